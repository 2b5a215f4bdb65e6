#pragma once
// The result of a CI sweep: per-scenario aggregates over its runs, the runs themselves and the
// regressions a baseline comparison found; merged from shards, and written as the summary JSON
// (which is also the next baseline). Output is sorted by scenario name then seed, so merging
// shard summaries gives byte-identical output to an unsharded run.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ci/plan.hpp"
#include "ci/record.hpp"
#include "ci/stats.hpp"

namespace gameday {

/// One incident id's aggregate over the runs of a scenario in which it occurred.
struct IncidentSummary {
  std::string id;  ///< as in IncidentRecord
  int runs = 0;    ///< runs in which it occurred (at most ScenarioSummary::runs)
  /// One entry per kCiIncidentMetrics name, over the `runs` in which it occurred: `samples`
  /// runs reached the metric, `missing` (= runs − samples) did not (e.g. never mitigated).
  std::map<std::string, MetricStats> metrics;
};

/// A scenario's aggregate over its runs.
struct ScenarioSummary {
  PlannedScenario plan;
  int runs = 0;    ///< runs present (fewer than plan.seeds in a shard's summary)
  int passed = 0;  ///< runs whose expectations all held
  std::map<std::string, MetricStats> metrics;  ///< one entry per kCiMetrics name
  /// Per incident id, ordered by the earliest place it takes in a run's incident list (then
  /// by id); a run with the same id twice counts its first only.
  std::vector<IncidentSummary> incidents;
  /// Outcome of the baseline comparison: nullopt when not compared, else whether it held.
  std::optional<bool> baseline_ok;
};

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

}  // namespace gameday
