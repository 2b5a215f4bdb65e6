#pragma once
// What CI keeps of one scenario run: its verdict, the metrics it aggregates and the failing
// expectations (the journal itself is not kept).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "score/score.hpp"
#include "sim/journal.hpp"

namespace gameday {

/// The metrics CI aggregates and compares with a baseline, in output order. Lower is better for
/// every one of them; durations are in seconds.
inline constexpr const char* kCiMetrics[] = {"ttd", "tta", "ttm", "ttr", "failed", "unsafe",
                                            "failed_ratio"};

/// The metrics CI aggregates per incident, in output order: the incident's own durations
/// (seconds from its first harm) and harm counts.
inline constexpr const char* kCiIncidentMetrics[] = {"ttd", "tta", "ttm", "ttr", "failed", "unsafe"};

/// One incident of a run, as CI keeps it.
struct IncidentRecord {
  /// Stable across seeds: the faults' `incident:` name or the first fault's id, "#2", "#3"...
  /// appended for relapses.
  std::string id;
  /// One entry per kCiIncidentMetrics name; nullopt when the incident never reached that time.
  std::map<std::string, std::optional<double>> metrics;
};

/// One scenario run at one seed, as CI keeps it (the journal itself is not kept).
struct RunRecord {
  std::string scenario;  ///< scenario name
  std::uint64_t seed = 0;
  bool pass = true;  ///< every expectation held
  /// One entry per kCiMetrics name; nullopt when the metric did not happen (e.g. no mitigation).
  std::map<std::string, std::optional<double>> metrics;
  /// Failing expectations, in scenario order: "ttm <= 10m (actual 31m05s)".
  std::vector<std::string> failures;
  /// Playbook steps that failed because they could not run at all, in journal order, as
  /// describe_step_not_run gives them. They are failed steps of the run (its expectations
  /// decide the verdict); CI names each one.
  std::vector<std::string> steps_not_run;
  /// The run's incidents in the order the scorer lists them (by first harm).
  std::vector<IncidentRecord> incidents;
};

/// The record of a scored run: scenario and seed from run_start, verdict, metrics, failures
/// and each incident's metrics.
RunRecord make_run_record(const Score& score);

/// What CI keeps of one scored incident: its id and kCiIncidentMetrics values.
IncidentRecord make_incident_record(const Incident& incident);

/// One step that could not run, for people: "playbook 'P', step 'S' (exec): REASON", with
/// ", rollback" after the kind for a step of the rollback list.
std::string describe_step_not_run(const StepEndEvent& step);

/// Orders records by scenario name, then seed (the order of every summary).
bool by_scenario_then_seed(const RunRecord& a, const RunRecord& b);

}  // namespace gameday
