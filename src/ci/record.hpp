#pragma once
// What CI keeps of one scenario run: its verdict, the metrics it aggregates and the failing
// expectations (the journal itself is not kept).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
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

/// Orders records by scenario name, then seed (the order of every summary).
bool by_scenario_then_seed(const RunRecord& a, const RunRecord& b);

}  // namespace gameday
