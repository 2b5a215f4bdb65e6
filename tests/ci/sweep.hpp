#pragma once
// CI test data: run records, planned scenarios and a small sweep of them.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ci/plan.hpp"
#include "ci/record.hpp"

namespace gameday::test {

/// A run with every CI metric set from `ttm` (others fixed) and a verdict.
inline RunRecord run(const std::string& scenario, std::uint64_t seed, std::optional<double> ttm,
                     bool pass = true) {
  RunRecord r;
  r.scenario = scenario;
  r.seed = seed;
  r.pass = pass;
  for (const char* m : kCiMetrics) r.metrics[m] = 10.0;
  r.metrics["ttm"] = ttm;
  r.metrics["failed"] = 100.0 + static_cast<double>(seed);
  r.metrics["unsafe"] = 0.0;
  r.metrics["failed_ratio"] = 0.01 * static_cast<double>(seed);
  if (!pass) r.failures.push_back("ttm <= 10m (actual 31m)");
  return r;
}

/// An incident `id` with TTD `ttd`, TTM `ttm` and TTR `ttr` (nullopt: never reached), TTA 5 s,
/// `failed` failed and no unsafe answers.
inline IncidentRecord incident(const std::string& id, std::optional<double> ttd, std::optional<double> ttm,
                               std::optional<double> ttr, double failed = 10) {
  IncidentRecord x;
  x.id = id;
  x.metrics = {{"ttd", ttd}, {"tta", 5.0}, {"ttm", ttm}, {"ttr", ttr}, {"failed", failed}, {"unsafe", 0.0}};
  return x;
}

/// A scenario named `name` in scenarios/<name>.yaml, at `seeds` seeds from `base`.
inline PlannedScenario planned(const std::string& name, std::uint64_t base, int seeds) {
  return PlannedScenario{name, "scenarios/" + name + ".yaml", ci_seeds(base, seeds), {}};
}

/// Three scenarios × four seeds, with a few failures and missing metrics. Every run of "mid"
/// has incident "slow" (never recovered at seed 101); seed 102 also has its relapse "slow#2".
inline std::pair<std::vector<PlannedScenario>, std::vector<RunRecord>> sweep() {
  std::vector<PlannedScenario> plan = {planned("zeta", 1, 4), planned("alpha", 7, 4),
                                       planned("mid", 100, 4)};
  std::vector<RunRecord> runs;
  for (const auto& p : plan) {
    for (std::uint64_t seed : p.seeds) {
      const bool never = p.name == "mid" && seed == 101;
      runs.push_back(run(p.name, seed, never ? std::nullopt : std::optional<double>(60.0 * seed),
                         !(p.name == "zeta" && seed == 3)));
      if (p.name != "mid") continue;
      const double d = static_cast<double>(seed - 100);
      runs.back().incidents.push_back(
          incident("slow", 40 + d, 100 + d, never ? std::nullopt : std::optional<double>(300 + d)));
      if (seed == 102) runs.back().incidents.push_back(incident("slow#2", 20, std::nullopt, std::nullopt, 4));
    }
  }
  return {plan, runs};
}

/// How often `needle` occurs in `hay` (overlapping occurrences too).
inline int count_of(const std::string& hay, const std::string& needle) {
  int n = 0;
  for (auto pos = hay.find(needle); pos != std::string::npos; pos = hay.find(needle, pos + 1)) ++n;
  return n;
}

}  // namespace gameday::test
