#pragma once
// CI over many runs: one record per (scenario, seed), per-scenario p50/p90 across seeds,
// comparison with a baseline, shards, the summary JSON (which is also the next baseline) and
// JUnit XML. Pure functions of their arguments: no files, no clock, no threads. Output is sorted
// by scenario name then seed, so merging shard summaries gives byte-identical output to an
// unsharded run.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "score/score.hpp"

namespace gameday {

/// The metrics CI aggregates and compares with a baseline, in output order. Lower is better for
/// every one of them; durations are in seconds.
inline constexpr const char* kCiMetrics[] = {"ttd", "tta", "ttm", "ttr", "failed", "unsafe",
                                            "failed_ratio"};

/// One scenario run at one seed, as CI keeps it (the journal itself is not kept).
struct RunRecord {
  std::string scenario;  ///< scenario name
  std::uint64_t seed = 0;
  bool pass = true;  ///< every expectation held
  /// One entry per kCiMetrics name; nullopt when the metric did not happen (e.g. no mitigation).
  std::map<std::string, std::optional<double>> metrics;
  /// Failing expectations, in scenario order: "ttm <= 10m (actual 31m05s)".
  std::vector<std::string> failures;
};

/// The record of a scored run: scenario and seed from run_start, verdict, metrics, failures.
RunRecord make_run_record(const Score& score);

/// A metric value in its unit for people: "1m15s" for durations, "12" for counts, "0.0123"
/// for ratios, "-" when missing.
std::string format_metric(std::string_view metric, std::optional<double> value);

/// A scenario as planned for a CI run (identical on every shard of the same sweep).
struct PlannedScenario {
  std::string name;  ///< scenario name (unique within a plan)
  std::string file;  ///< scenario file as given to `gameday ci` (used in replay commands)
  std::vector<std::uint64_t> seeds;  ///< seeds to run, in order
  /// Per-metric absolute slack overriding the default tolerance (seconds for durations).
  std::map<std::string, double> tolerance;
};

/// The CI seeds of a scenario whose own seed is `base`: base, base+1, ..., base+count−1, so
/// `--seeds 1` reproduces `gameday run` of the same file.
std::vector<std::uint64_t> ci_seeds(std::uint64_t base, int count);

/// One unit of work: a scenario of the plan (by index) at one seed.
struct WorkItem {
  std::size_t scenario = 0;
  std::uint64_t seed = 0;
};

/// Every (scenario, seed) pair of `plan` in the stable order shards are cut from: scenarios in
/// name order, then seeds in plan order.
std::vector<WorkItem> work_items(const std::vector<PlannedScenario>& plan);

/// A slice of the work: shard `index` of `count`, 1-based (1 <= index <= count).
struct Shard {
  int index = 1;
  int count = 1;
};

/// Parses "i/n" with 1 <= i <= n. On failure returns nullopt and sets `error`.
std::optional<Shard> parse_shard(std::string_view text, std::string* error);

/// The items of `all` (in work_items order) that belong to `shard`: position k goes to shard
/// (k mod count) + 1, so the shards 1..count partition `all` exactly and are balanced.
std::vector<WorkItem> select_shard(const std::vector<WorkItem>& all, const Shard& shard);

/// The nearest-rank percentile (`p` in (0, 100]) of `values`: the smallest value such that at
/// least p% of the values are <= it (always one of the values). nullopt when `values` is empty.
std::optional<double> percentile(std::vector<double> values, double p);

/// A metric's distribution across a scenario's runs.
struct MetricStats {
  std::optional<double> p50;
  std::optional<double> p90;
  int samples = 0;  ///< runs in which it happened
  int missing = 0;  ///< runs in which it did not (excluded from the percentiles)
};

/// How much worse than the baseline a metric may get before it is a regression:
/// allowed = baseline × (1 + relative) + absolute.
struct Tolerance {
  double relative = 0.1;
  double absolute = 0;
};

/// The default tolerance of a CI metric: 10% relative plus 30 s (ttd, tta), 60 s (ttm, ttr),
/// 5 failed requests, 0 unsafe answers, 0.005 for failed_ratio.
Tolerance default_tolerance(std::string_view metric);

/// A scenario's aggregate over its runs.
struct ScenarioSummary {
  PlannedScenario plan;
  int runs = 0;    ///< runs present (fewer than plan.seeds in a shard's summary)
  int passed = 0;  ///< runs whose expectations all held
  std::map<std::string, MetricStats> metrics;  ///< one entry per kCiMetrics name
  /// Outcome of the baseline comparison: nullopt when not compared, else whether it held.
  std::optional<bool> baseline_ok;
};

/// The tolerance `s` allows for `metric`: its override as an absolute slack (no relative part)
/// when it has one, else the default.
Tolerance tolerance_for(const ScenarioSummary& s, std::string_view metric);

/// A metric of a scenario that got worse than the baseline beyond its tolerance.
struct Regression {
  std::string scenario;
  std::string metric;
  std::string detail;  ///< "p90 7m30s > allowed 6m30s (baseline 5m, +10% +60s); ..."
  std::uint64_t replay_seed = 0;  ///< the run with the worst value of the metric
};

/// The result of a CI run, a shard of one, or a merge of shards.
struct CiSummary {
  std::optional<Shard> shard;              ///< set only in one shard's summary
  std::vector<ScenarioSummary> scenarios;  ///< sorted by name
  std::vector<RunRecord> runs;             ///< sorted by scenario name, then seed
  std::vector<Regression> regressions;     ///< in scenario, then kCiMetrics order
  /// Every run passed and nothing regressed.
  bool pass() const;
};

/// Builds a summary of `runs` under `plan`: sorts both, aggregates each scenario's runs.
/// Throws std::invalid_argument when a run names a scenario or seed outside the plan, when a
/// (scenario, seed) pair appears twice, or when two planned scenarios share a name.
CiSummary summarize(std::vector<PlannedScenario> plan, std::vector<RunRecord> runs,
                    std::optional<Shard> shard = std::nullopt);

/// Compares `current` with `baseline` scenario by scenario (scenarios missing from either side
/// are skipped) and records the outcome in `current` (regressions, baseline_ok). A metric
/// regresses when its p50 or p90 exceeds the baseline's by more than the tolerance, or when it
/// is missing (never happened) in a larger share of runs than in the baseline. Tolerances come
/// from `current`'s plan first, then the baseline scenario's overrides (copied into `current`'s
/// plan, so they carry on to the next baseline), then the defaults.
void compare_with_baseline(CiSummary& current, const CiSummary& baseline);

/// Combines shard summaries into the summary an unsharded run of the same plan gives (without
/// any baseline comparison). Throws std::invalid_argument when their plans differ, a
/// (scenario, seed) pair is in two parts, or a planned pair is in none.
CiSummary merge_summaries(const std::vector<CiSummary>& parts);

/// The summary as JSON: keys in a fixed order, pretty-printed with 2-space indents and a
/// trailing newline (format described in docs/ci.md).
std::string summary_json(const CiSummary& s);

/// Parses summary_json output (a hand-edited one too). Aggregates are taken as written, not
/// recomputed, so a baseline may carry only "scenarios". Throws std::invalid_argument with a
/// one-line reason when it is not a summary.
CiSummary parse_summary_json(std::string_view text);

/// The command that replays one run locally:
/// `gameday run FILE --seed S --out reports/NAME-S` (arguments shell-quoted when needed).
std::string replay_command(const PlannedScenario& scenario, std::uint64_t seed);

/// JUnit XML: one <testsuite> per scenario with runs, one <testcase> per seed ("seed 7") and,
/// when the scenario was compared with a baseline, one "baseline" testcase; failures carry the
/// reasons and the replay command. Times are 0 so the output is deterministic.
std::string junit_xml(const CiSummary& s);

/// Escapes text for an XML attribute value or element content: & < > " ' and the line breaks
/// and tabs (as character references); other control characters, invalid in XML 1.0, become '?'.
std::string xml_escape(std::string_view text);

}  // namespace gameday
