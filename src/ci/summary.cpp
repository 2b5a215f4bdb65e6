#include "ci/summary.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>
#include <utility>

namespace gameday {
namespace {

// Throws unless every run belongs to `plan` (sorted by name) and no pair appears twice.
void check_runs(const std::vector<PlannedScenario>& plan, const std::vector<RunRecord>& runs) {
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    if (!index.emplace(plan[i].name, i).second) {
      throw std::invalid_argument("two scenarios are named '" + plan[i].name + "'");
    }
  }
  std::set<std::pair<std::string, std::uint64_t>> seen;
  for (const RunRecord& r : runs) {
    auto it = index.find(r.scenario);
    if (it == index.end()) throw std::invalid_argument("run of unplanned scenario '" + r.scenario + "'");
    const auto& seeds = plan[it->second].seeds;
    if (std::find(seeds.begin(), seeds.end(), r.seed) == seeds.end()) {
      throw std::invalid_argument("run of " + r.scenario + " at unplanned seed " + std::to_string(r.seed));
    }
    if (!seen.emplace(r.scenario, r.seed).second) {
      throw std::invalid_argument(r.scenario + " seed " + std::to_string(r.seed) + " appears twice");
    }
  }
}

// The per-incident aggregates of one scenario's `runs` (see ScenarioSummary::incidents).
std::vector<IncidentSummary> aggregate_incidents(const std::vector<const RunRecord*>& runs) {
  struct Acc {
    std::size_t first_place = 0;
    int runs = 0;
    std::map<std::string, std::vector<double>> values;
  };
  std::map<std::string, Acc> by_id;
  for (const RunRecord* r : runs) {
    std::set<std::string> seen;
    for (std::size_t k = 0; k < r->incidents.size(); ++k) {
      const IncidentRecord& x = r->incidents[k];
      if (!seen.insert(x.id).second) continue;
      auto [it, fresh] = by_id.try_emplace(x.id);
      Acc& acc = it->second;
      acc.first_place = fresh ? k : std::min(acc.first_place, k);
      ++acc.runs;
      for (const auto& [m, v] : x.metrics) {
        if (v) acc.values[m].push_back(*v);
      }
    }
  }
  std::vector<std::pair<std::size_t, IncidentSummary>> ordered;
  for (auto& [id, acc] : by_id) {
    IncidentSummary sum;
    sum.id = id;
    sum.runs = acc.runs;
    for (const char* m : kCiIncidentMetrics) {
      const auto& vals = acc.values[m];
      sum.metrics[m] = metric_stats(vals, acc.runs - static_cast<int>(vals.size()));
    }
    ordered.emplace_back(acc.first_place, std::move(sum));
  }
  // by_id is sorted by id, so a stable sort on the place keeps ids in order among equals.
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<IncidentSummary> out;
  for (auto& [place, sum] : ordered) out.push_back(std::move(sum));
  return out;
}

// The aggregate of `plan`'s runs among `runs`.
ScenarioSummary aggregate(PlannedScenario plan, const std::vector<RunRecord>& runs) {
  ScenarioSummary agg;
  agg.plan = std::move(plan);
  std::map<std::string, std::vector<double>> values;
  std::map<std::string, int> missing;
  std::vector<const RunRecord*> mine;
  for (const RunRecord& r : runs) {
    if (r.scenario != agg.plan.name) continue;
    mine.push_back(&r);
    ++agg.runs;
    if (r.pass) ++agg.passed;
    for (const char* m : kCiMetrics) {
      auto it = r.metrics.find(m);
      if (it != r.metrics.end() && it->second) {
        values[m].push_back(*it->second);
      } else {
        ++missing[m];
      }
    }
  }
  for (const char* m : kCiMetrics) agg.metrics[m] = metric_stats(values[m], missing[m]);
  agg.incidents = aggregate_incidents(mine);
  return agg;
}

std::vector<PlannedScenario> plan_of(const CiSummary& s) {
  std::vector<PlannedScenario> plan;
  for (const auto& sc : s.scenarios) plan.push_back(sc.plan);
  return plan;
}

bool same_plan(const std::vector<PlannedScenario>& a, const std::vector<PlannedScenario>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t k = 0; k < a.size(); ++k) {
    if (a[k].name != b[k].name || a[k].file != b[k].file || a[k].seeds != b[k].seeds ||
        a[k].tolerance != b[k].tolerance) {
      return false;
    }
  }
  return true;
}

// Throws when a planned (scenario, seed) pair has no run in `merged`.
void check_complete(const CiSummary& merged) {
  std::vector<std::string> missing;
  for (const auto& sc : merged.scenarios) {
    for (std::uint64_t seed : sc.plan.seeds) {
      const bool have = std::any_of(merged.runs.begin(), merged.runs.end(), [&](const RunRecord& r) {
        return r.scenario == sc.plan.name && r.seed == seed;
      });
      if (!have) missing.push_back(sc.plan.name + " seed " + std::to_string(seed));
    }
  }
  if (missing.empty()) return;
  std::string list;
  for (std::size_t i = 0; i < missing.size() && i < 5; ++i) list += (i ? ", " : "") + missing[i];
  if (missing.size() > 5) list += ", ...";
  throw std::invalid_argument(std::to_string(missing.size()) + " planned run" +
                              (missing.size() == 1 ? " is" : "s are") +
                              " in no summary (a shard is missing?): " + list);
}

}  // namespace

bool CiSummary::pass() const {
  if (!regressions.empty()) return false;
  return std::all_of(runs.begin(), runs.end(), [](const RunRecord& r) { return r.pass; });
}

CiSummary summarize(std::vector<PlannedScenario> plan, std::vector<RunRecord> runs,
                    std::optional<Shard> shard) {
  std::sort(plan.begin(), plan.end(),
            [](const PlannedScenario& a, const PlannedScenario& b) { return a.name < b.name; });
  check_runs(plan, runs);
  std::sort(runs.begin(), runs.end(), by_scenario_then_seed);
  CiSummary s;
  s.shard = shard;
  for (PlannedScenario& p : plan) s.scenarios.push_back(aggregate(std::move(p), runs));
  s.runs = std::move(runs);
  return s;
}

CiSummary merge_summaries(const std::vector<CiSummary>& parts) {
  if (parts.empty()) throw std::invalid_argument("nothing to merge");
  const std::vector<PlannedScenario> plan = plan_of(parts.front());
  std::vector<RunRecord> runs;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (!same_plan(plan_of(parts[i]), plan)) {
      throw std::invalid_argument("summary " + std::to_string(i + 1) +
                                  " comes from a different plan (scenarios, files or seeds differ)");
    }
    runs.insert(runs.end(), parts[i].runs.begin(), parts[i].runs.end());
  }
  CiSummary merged = summarize(plan, std::move(runs));
  check_complete(merged);
  return merged;
}

}  // namespace gameday
