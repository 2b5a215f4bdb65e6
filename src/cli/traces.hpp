#pragma once
// `--no-traces` and `--trace-sample`, and the traces file a run writes next to its reports.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>
#include <memory>

#include "engine/simulation.hpp"
#include "sim/journal.hpp"
#include "trace/otlp.hpp"

namespace gameday {

/// What the trace flags of `run` and `ci` ask for.
struct TraceFlags {
  bool off = false;   ///< --no-traces
  double sample = 1;  ///< --trace-sample RATIO, in (0, 1]
};

/// Adds --no-traces (sets `off`) and --trace-sample (sets `sample`) to `command`; a bad ratio
/// is a parse error (exit 2).
void add_trace_flags(CLI::App& command, bool& off, double& sample);

/// A run's traces.otlp.jsonl in `dir`, written as `journal` is appended (see TraceWriter).
/// Nothing is written when `flags.off`. Construct it before the run and call finish() after;
/// it must outlive every append to the journal.
class RunTraces {
 public:
  /// Opens DIR/traces.otlp.jsonl (throws std::runtime_error when it cannot) and subscribes.
  RunTraces(const std::filesystem::path& dir, const ScenarioBundle& bundle, const TraceFlags& flags,
            Journal& journal);
  /// Writes what is buffered and closes the file.
  void finish();

 private:
  std::ofstream file_;
  std::unique_ptr<TraceWriter> writer_;
};

}  // namespace gameday
