#include "ci/baseline.hpp"

#include <string>
#include <utility>
#include <vector>

#include "ci/text.hpp"

namespace gameday {
namespace {

// " +10% +60s": the tolerance as the regression detail states it.
std::string tolerance_text(const Tolerance& tol, const char* metric) {
  std::string text;
  if (tol.relative > 0) text += " +" + format_significant(tol.relative * 100) + "%";
  if (tol.absolute > 0 || tol.relative <= 0) text += " +" + format_metric(metric, tol.absolute);
  return text;
}

// What is worse about `metric` than in the baseline: a p50/p90 beyond the tolerance, or more
// runs in which it never happened (`worse_missing`). Empty when nothing is.
std::vector<std::string> worse_than_baseline(const MetricStats& b, const MetricStats& c, const char* m,
                                             const Tolerance& tol, bool& worse_missing) {
  std::vector<std::string> parts;
  const std::pair<const char*, std::optional<double> MetricStats::*> stats[] = {
      {"p50", &MetricStats::p50}, {"p90", &MetricStats::p90}};
  for (const auto& [label, member] : stats) {
    const auto& bv = b.*member;
    const auto& cv = c.*member;
    if (!bv || !cv) continue;
    const double allowed = *bv * (1 + tol.relative) + tol.absolute;
    if (*cv > allowed + kCiEpsilon) {
      parts.push_back(std::string(label) + " " + format_metric(m, cv) + " > allowed " +
                      format_metric(m, allowed) + " (baseline " + format_metric(m, bv) +
                      ", tolerance" + tolerance_text(tol, m) + ")");
    }
  }
  const int base_total = b.samples + b.missing;
  const int cur_total = c.samples + c.missing;
  worse_missing = base_total > 0 && cur_total > 0 &&
                  static_cast<double>(c.missing) / cur_total >
                      static_cast<double>(b.missing) / base_total + kCiEpsilon;
  if (worse_missing) {
    parts.push_back("never happened in " + std::to_string(c.missing) + "/" + std::to_string(cur_total) +
                    " runs (baseline " + std::to_string(b.missing) + "/" + std::to_string(base_total) + ")");
  }
  return parts;
}

// The run to replay for a regression of `metric`: one where it never happened (when that is
// the regression), else the one with its worst value (the lowest seed on ties).
std::uint64_t replay_seed(const CiSummary& current, const ScenarioSummary& cur, const char* metric,
                          bool worse_missing) {
  std::uint64_t replay = cur.plan.seeds.empty() ? 0 : cur.plan.seeds.front();
  std::optional<double> worst;
  for (const RunRecord& r : current.runs) {
    if (r.scenario != cur.plan.name) continue;
    auto it = r.metrics.find(metric);
    const std::optional<double> v = it == r.metrics.end() ? std::nullopt : it->second;
    if (worse_missing) {
      if (!v) return r.seed;
    } else if (v && (!worst || *v > *worst)) {
      worst = v;
      replay = r.seed;
    }
  }
  return replay;
}

// Compares one scenario with its baseline; records its regressions in `current`.
bool compare_scenario(CiSummary& current, ScenarioSummary& cur, const ScenarioSummary& base) {
  // Overrides kept in a baseline carry on into the next one.
  for (const auto& [m, v] : base.plan.tolerance) cur.plan.tolerance.emplace(m, v);
  bool ok = true;
  for (const char* m : kCiMetrics) {
    auto bit = base.metrics.find(m);
    if (bit == base.metrics.end()) continue;
    bool worse_missing = false;
    const std::vector<std::string> parts =
        worse_than_baseline(bit->second, cur.metrics.at(m), m, tolerance_for(cur, m), worse_missing);
    if (parts.empty()) continue;
    ok = false;
    current.regressions.push_back(
        Regression{cur.plan.name, m, join(parts, "; "), replay_seed(current, cur, m, worse_missing)});
  }
  return ok;
}

}  // namespace

Tolerance default_tolerance(std::string_view metric) {
  if (metric == "ttd" || metric == "tta") return {0.1, 30};
  if (metric == "ttm" || metric == "ttr") return {0.1, 60};
  if (metric == "failed") return {0.1, 5};
  if (metric == "unsafe") return {0.1, 0};
  if (metric == "failed_ratio") return {0.1, 0.005};
  return {0.1, 0};
}

Tolerance tolerance_for(const ScenarioSummary& s, std::string_view metric) {
  auto it = s.plan.tolerance.find(std::string(metric));
  if (it != s.plan.tolerance.end()) return {0, it->second};
  return default_tolerance(metric);
}

void compare_with_baseline(CiSummary& current, const CiSummary& baseline) {
  current.regressions.clear();
  for (ScenarioSummary& cur : current.scenarios) {
    cur.baseline_ok.reset();
    if (cur.runs == 0) continue;
    const ScenarioSummary* base = nullptr;
    for (const auto& b : baseline.scenarios) {
      if (b.plan.name == cur.plan.name) base = &b;
    }
    if (!base) continue;  // a new scenario has nothing to regress from
    cur.baseline_ok = compare_scenario(current, cur, *base);
  }
}

}  // namespace gameday
