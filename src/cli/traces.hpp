#pragma once
// `--no-traces` and `--trace-sample`, and the traces file a run writes next to its reports.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>

#include "engine/simulation.hpp"
#include "net/live_metrics.hpp"
#include "net/otlp_exporter.hpp"
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

/// Logs what a live OTLP export did ("otlp: 120 spans sent, 0 dropped, 0 failed"), a warning
/// with the last error when spans were lost.
void log_otlp_export(const net::OtlpExportStats& stats);

/// Shows what a live OTLP export did so far on /metrics: the gauge gameday_otlp_export_spans
/// {outcome = sent | dropped | failed} and gameday_otlp_export_retries.
void show_otlp_export(net::LiveMetrics& metrics, const net::OtlpExportStats& stats);

/// Vendor id -> the model a request that names none gets (TraceOptions::vendor_models).
std::map<std::string, std::string> vendor_models(const ScenarioBundle& bundle);

/// A run's traces.otlp.jsonl in `dir`, written as `journal` is appended (see TraceWriter).
/// Nothing is written when `flags.off`. Construct it before the run and call finish() after;
/// it must outlive every append to the journal.
class RunTraces {
 public:
  /// Opens DIR/traces.otlp.jsonl (throws std::runtime_error when it cannot) and subscribes.
  /// `options` give the time map and trace seed (a drill's); the flags' sample and the
  /// bundle's vendor models are filled in.
  RunTraces(const std::filesystem::path& dir, const ScenarioBundle& bundle, const TraceFlags& flags,
            Journal& journal, TraceOptions options = {});
  /// Writes one export request line of other spans (a service's, from the drill's intake).
  void append_line(const std::string& line);
  /// Writes what is buffered and closes the file.
  void finish();

 private:
  std::ofstream file_;
  std::unique_ptr<TraceWriter> writer_;
};

}  // namespace gameday
