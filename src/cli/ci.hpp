#pragma once
// `gameday ci` (every scenario × seed in simulated time, in parallel; summary JSON, JUnit,
// baseline regressions, shards and merge) and `gameday golden` (a golden set on its own).
// The logic lives in ci/ and engine/golden; this is the CLI glue: files, threads,
// terminal output. Exit codes as for every command: 0 pass, 1 failed, 2 invalid input.
#include <cstdint>
#include <string>
#include <vector>

#include "cli/history.hpp"

namespace CLI {
class App;
}

namespace gameday {

/// Options of `gameday ci`.
struct CiOptions {
  /// Scenario directories (every *.yaml scenario directly in one) and scenario files, in order.
  std::vector<std::string> paths = {"scenarios"};
  int seeds = 10;                 ///< seeds per scenario: its own seed, +1, ..., +seeds−1
  std::string junit;              ///< JUnit XML path ("" = none)
  std::string html;               ///< CI dashboard path ("" = none)
  std::string summary;            ///< summary JSON path ("" = reports/ci/summary[-i-of-n].json)
  std::string baseline;           ///< baseline summary to compare with ("" = none)
  std::string shard;              ///< "i/n" (1-based), "" = from JOB_COMPLETION_INDEX, else all the work
  int jobs = 0;                   ///< worker threads (0 = hardware concurrency)
  std::string out;                ///< per-run journal and reports under OUT/<scenario>-<seed>/ ("" = none)
  std::vector<std::string> merge; ///< shard summaries to merge instead of running anything
  bool progress = true;           ///< allow the one-line progress display (only on a TTY, not under CI)
  bool json = false;              ///< print the summary JSON on stdout instead of the text result
  bool no_traces = false;         ///< write no traces.otlp.jsonl with each run under --out
  bool zstd = false;              ///< write each run's journal under --out as journal.jsonl.zst
  double trace_sample = 1;        ///< share of requests traced, in (0, 1]
  HistoryFlags history;           ///< where the runs are recorded (--history, --no-history)
};

/// Options of `gameday golden`.
struct GoldenOptions {
  std::string set;    ///< golden set file
  std::string fakes;  ///< fakes directory ("" = ./fakes when present, else the embedded copy)
  std::uint64_t seed = 1;
};

/// Registers `ci` on `app`, filling `options` when it is parsed.
CLI::App* add_ci_command(CLI::App& app, CiOptions& options);

/// Registers `golden` on `app`, filling `options` when it is parsed.
CLI::App* add_golden_command(CLI::App& app, GoldenOptions& options);

/// Runs `gameday ci`; returns the exit code. Throws ConfigError for an unreadable input file.
int cmd_ci(const CiOptions& options);

/// Runs `gameday golden`; returns the exit code (0 when the pass rate reaches the set's
/// min_pass_rate). Throws ConfigError for invalid input files.
int cmd_golden(const GoldenOptions& options);

}  // namespace gameday
