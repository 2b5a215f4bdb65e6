#include "score/aggregate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <stdexcept>
#include <utility>

#include <nlohmann/json.hpp>

#include "score/expect.hpp"
#include "sim/time.hpp"

namespace gameday {
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kSummaryFormat = "gameday-ci-summary";
constexpr int kSummaryVersion = 1;
// Comparisons of derived doubles (baseline × 1.1 + slack) must not flip on rounding noise.
constexpr double kEpsilon = 1e-9;

bool is_count(std::string_view metric) { return metric_kind(metric) == MetricKind::kCount; }

std::string format_number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

// ---------------------------------------------------------------- JSON helpers

Json metric_json(std::string_view metric, const std::optional<double>& v) {
  if (!v || !std::isfinite(*v)) return nullptr;
  // Counts print as integers so a summary reads like the report it came from.
  if (is_count(metric)) return static_cast<std::int64_t>(std::llround(*v));
  return *v;
}

[[noreturn]] void bad(const std::string& where, const std::string& what) {
  throw std::invalid_argument(where + ": " + what);
}

const Json& field(const Json& obj, const char* key, const std::string& where) {
  if (!obj.is_object()) bad(where, "expected an object");
  auto it = obj.find(key);
  if (it == obj.end()) bad(where, std::string("missing key '") + key + "'");
  return *it;
}

std::string get_string(const Json& obj, const char* key, const std::string& where,
                       std::optional<std::string> fallback = std::nullopt) {
  if (!obj.contains(key) && fallback) return *fallback;
  const Json& v = field(obj, key, where);
  if (!v.is_string()) bad(where + "." + key, "expected a string");
  return v.get<std::string>();
}

long long get_int(const Json& obj, const char* key, const std::string& where,
                  std::optional<long long> fallback = std::nullopt) {
  if (!obj.contains(key) && fallback) return *fallback;
  const Json& v = field(obj, key, where);
  if (!v.is_number_integer()) bad(where + "." + key, "expected an integer");
  return v.get<long long>();
}

std::optional<double> get_optional_number(const Json& obj, const char* key, const std::string& where) {
  if (!obj.contains(key)) return std::nullopt;
  const Json& v = obj.at(key);
  if (v.is_null()) return std::nullopt;
  if (!v.is_number()) bad(where + "." + key, "expected a number or null");
  return v.get<double>();
}

const Json& get_array(const Json& obj, const char* key, const std::string& where) {
  const Json& v = field(obj, key, where);
  if (!v.is_array()) bad(where + "." + key, "expected an array");
  return v;
}

// ---------------------------------------------------------------- XML helpers

std::string attr(const char* name, std::string_view value) {
  return std::string(" ") + name + "=\"" + xml_escape(value) + "\"";
}

std::string join(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

}  // namespace

// ---------------------------------------------------------------- runs

std::string format_metric(std::string_view metric, std::optional<double> value) {
  if (!value || !std::isfinite(*value)) return "-";
  const auto kind = metric_kind(metric);
  if (kind == MetricKind::kDuration) return format_duration(std::llround(*value * 1e6));
  if (kind == MetricKind::kCount) return std::to_string(std::llround(*value));
  return format_number(*value);
}

RunRecord make_run_record(const Score& score) {
  RunRecord r;
  r.scenario = score.run.scenario;
  r.seed = score.run.seed;
  r.pass = score.pass;
  for (const char* m : kCiMetrics) r.metrics[m] = metric_value(score.metrics, m);
  for (const auto& e : score.expectations) {
    if (e.pass) continue;
    const std::string actual = e.actual ? format_metric(e.metric, e.actual) : "n/a";
    r.failures.push_back(e.text + " (actual " + actual + ")");
  }
  return r;
}

// ---------------------------------------------------------------- plan and shards

std::vector<std::uint64_t> ci_seeds(std::uint64_t base, int count) {
  std::vector<std::uint64_t> seeds;
  for (int k = 0; k < count; ++k) seeds.push_back(base + static_cast<std::uint64_t>(k));
  return seeds;
}

std::vector<WorkItem> work_items(const std::vector<PlannedScenario>& plan) {
  std::vector<std::size_t> order(plan.size());
  for (std::size_t i = 0; i < plan.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return plan[a].name < plan[b].name; });
  std::vector<WorkItem> items;
  for (std::size_t i : order) {
    for (std::uint64_t seed : plan[i].seeds) items.push_back(WorkItem{i, seed});
  }
  return items;
}

std::optional<Shard> parse_shard(std::string_view text, std::string* error) {
  auto fail = [&] {
    if (error) {
      *error = "expected i/n with 1 <= i <= n (e.g. 1/4), got '" + std::string(text) + "'";
    }
    return std::nullopt;
  };
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return fail();
  auto parse_int = [](std::string_view s) -> std::optional<int> {
    if (s.empty() || s.size() > 6) return std::nullopt;
    int v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    return v;
  };
  const auto i = parse_int(text.substr(0, slash));
  const auto n = parse_int(text.substr(slash + 1));
  if (!i || !n || *n < 1 || *i < 1 || *i > *n) return fail();
  return Shard{*i, *n};
}

std::vector<WorkItem> select_shard(const std::vector<WorkItem>& all, const Shard& shard) {
  std::vector<WorkItem> mine;
  for (std::size_t k = 0; k < all.size(); ++k) {
    if (static_cast<int>(k % static_cast<std::size_t>(shard.count)) == shard.index - 1) {
      mine.push_back(all[k]);
    }
  }
  return mine;
}

// ---------------------------------------------------------------- aggregation

std::optional<double> percentile(std::vector<double> values, double p) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  const double n = static_cast<double>(values.size());
  long rank = static_cast<long>(std::ceil(p * n / 100.0 - kEpsilon));
  rank = std::clamp(rank, 1L, static_cast<long>(values.size()));
  return values[static_cast<std::size_t>(rank - 1)];
}

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

bool CiSummary::pass() const {
  if (!regressions.empty()) return false;
  return std::all_of(runs.begin(), runs.end(), [](const RunRecord& r) { return r.pass; });
}

CiSummary summarize(std::vector<PlannedScenario> plan, std::vector<RunRecord> runs,
                    std::optional<Shard> shard) {
  std::sort(plan.begin(), plan.end(),
            [](const PlannedScenario& a, const PlannedScenario& b) { return a.name < b.name; });
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
  std::sort(runs.begin(), runs.end(), [](const RunRecord& a, const RunRecord& b) {
    return a.scenario != b.scenario ? a.scenario < b.scenario : a.seed < b.seed;
  });

  CiSummary s;
  s.shard = shard;
  for (PlannedScenario& p : plan) {
    ScenarioSummary agg;
    agg.plan = std::move(p);
    std::map<std::string, std::vector<double>> values;
    for (const RunRecord& r : runs) {
      if (r.scenario != agg.plan.name) continue;
      ++agg.runs;
      if (r.pass) ++agg.passed;
      for (const char* m : kCiMetrics) {
        auto it = r.metrics.find(m);
        if (it != r.metrics.end() && it->second) {
          values[m].push_back(*it->second);
        } else {
          ++agg.metrics[m].missing;
        }
      }
    }
    for (const char* m : kCiMetrics) {
      MetricStats& st = agg.metrics[m];
      st.samples = static_cast<int>(values[m].size());
      st.p50 = percentile(values[m], 50);
      st.p90 = percentile(values[m], 90);
    }
    s.scenarios.push_back(std::move(agg));
  }
  s.runs = std::move(runs);
  return s;
}

// ---------------------------------------------------------------- baseline

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
    // Overrides kept in a baseline carry on into the next one.
    for (const auto& [m, v] : base->plan.tolerance) cur.plan.tolerance.emplace(m, v);
    bool ok = true;
    for (const char* m : kCiMetrics) {
      auto bit = base->metrics.find(m);
      if (bit == base->metrics.end()) continue;
      const MetricStats& b = bit->second;
      const MetricStats& c = cur.metrics.at(m);
      const Tolerance tol = tolerance_for(cur, m);
      std::vector<std::string> parts;
      bool worse_missing = false;
      const std::pair<const char*, std::optional<double> MetricStats::*> stats[] = {
          {"p50", &MetricStats::p50}, {"p90", &MetricStats::p90}};
      for (const auto& [label, member] : stats) {
        const auto& bv = b.*member;
        const auto& cv = c.*member;
        if (!bv || !cv) continue;
        const double allowed = *bv * (1 + tol.relative) + tol.absolute;
        if (*cv > allowed + kEpsilon) {
          std::string tol_text;
          if (tol.relative > 0) tol_text += " +" + format_number(tol.relative * 100) + "%";
          if (tol.absolute > 0 || tol.relative <= 0) tol_text += " +" + format_metric(m, tol.absolute);
          parts.push_back(std::string(label) + " " + format_metric(m, cv) + " > allowed " +
                          format_metric(m, allowed) + " (baseline " + format_metric(m, bv) +
                          ", tolerance" + tol_text + ")");
        }
      }
      const int base_total = b.samples + b.missing;
      const int cur_total = c.samples + c.missing;
      if (base_total > 0 && cur_total > 0 &&
          static_cast<double>(c.missing) / cur_total >
              static_cast<double>(b.missing) / base_total + kEpsilon) {
        worse_missing = true;
        parts.push_back("never happened in " + std::to_string(c.missing) + "/" +
                        std::to_string(cur_total) + " runs (baseline " + std::to_string(b.missing) +
                        "/" + std::to_string(base_total) + ")");
      }
      if (parts.empty()) continue;
      ok = false;
      // The run to replay: one where the metric never happened, else the one with its worst
      // value (the lowest seed on ties).
      std::uint64_t replay = cur.plan.seeds.empty() ? 0 : cur.plan.seeds.front();
      std::optional<double> worst;
      for (const RunRecord& r : current.runs) {
        if (r.scenario != cur.plan.name) continue;
        auto it = r.metrics.find(m);
        const std::optional<double> v = it == r.metrics.end() ? std::nullopt : it->second;
        if (worse_missing) {
          if (!v) {
            replay = r.seed;
            break;
          }
        } else if (v && (!worst || *v > *worst)) {
          worst = v;
          replay = r.seed;
        }
      }
      current.regressions.push_back(Regression{cur.plan.name, m, join(parts, "; "), replay});
    }
    cur.baseline_ok = ok;
  }
}

// ---------------------------------------------------------------- merge

CiSummary merge_summaries(const std::vector<CiSummary>& parts) {
  if (parts.empty()) throw std::invalid_argument("nothing to merge");
  auto plan_of = [](const CiSummary& s) {
    std::vector<PlannedScenario> plan;
    for (const auto& sc : s.scenarios) plan.push_back(sc.plan);
    return plan;
  };
  const std::vector<PlannedScenario> plan = plan_of(parts.front());
  std::vector<RunRecord> runs;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto other = plan_of(parts[i]);
    bool same = other.size() == plan.size();
    for (std::size_t k = 0; same && k < plan.size(); ++k) {
      same = other[k].name == plan[k].name && other[k].file == plan[k].file &&
             other[k].seeds == plan[k].seeds && other[k].tolerance == plan[k].tolerance;
    }
    if (!same) {
      throw std::invalid_argument("summary " + std::to_string(i + 1) +
                                  " comes from a different plan (scenarios, files or seeds differ)");
    }
    runs.insert(runs.end(), parts[i].runs.begin(), parts[i].runs.end());
  }
  CiSummary merged = summarize(plan, std::move(runs));
  std::vector<std::string> missing;
  for (const auto& sc : merged.scenarios) {
    for (std::uint64_t seed : sc.plan.seeds) {
      const bool have = std::any_of(merged.runs.begin(), merged.runs.end(), [&](const RunRecord& r) {
        return r.scenario == sc.plan.name && r.seed == seed;
      });
      if (!have) missing.push_back(sc.plan.name + " seed " + std::to_string(seed));
    }
  }
  if (!missing.empty()) {
    std::string list;
    for (std::size_t i = 0; i < missing.size() && i < 5; ++i) list += (i ? ", " : "") + missing[i];
    if (missing.size() > 5) list += ", ...";
    throw std::invalid_argument(std::to_string(missing.size()) + " planned run" +
                                (missing.size() == 1 ? " is" : "s are") +
                                " in no summary (a shard is missing?): " + list);
  }
  return merged;
}

// ---------------------------------------------------------------- summary JSON

std::string summary_json(const CiSummary& s) {
  Json j;
  j["format"] = kSummaryFormat;
  j["version"] = kSummaryVersion;
  if (s.shard) j["shard"] = Json{{"index", s.shard->index}, {"count", s.shard->count}};
  j["pass"] = s.pass();
  const long passed = std::count_if(s.runs.begin(), s.runs.end(), [](const RunRecord& r) { return r.pass; });
  j["totals"] = Json{{"scenarios", s.scenarios.size()},
                     {"runs", s.runs.size()},
                     {"passed", passed},
                     {"failed", static_cast<long>(s.runs.size()) - passed},
                     {"regressions", s.regressions.size()}};
  Json scenarios = Json::array();
  for (const auto& sc : s.scenarios) {
    Json x;
    x["scenario"] = sc.plan.name;
    x["file"] = sc.plan.file;
    x["seeds"] = sc.plan.seeds;
    x["runs"] = sc.runs;
    x["passed"] = sc.passed;
    x["failed"] = sc.runs - sc.passed;
    Json tol = Json::object();
    for (const auto& [m, v] : sc.plan.tolerance) tol[m] = v;
    x["tolerance"] = tol;
    x["baseline"] = sc.baseline_ok ? Json(*sc.baseline_ok ? "pass" : "regression") : Json(nullptr);
    Json metrics;
    for (const char* m : kCiMetrics) {
      const MetricStats& st = sc.metrics.count(m) ? sc.metrics.at(m) : MetricStats{};
      metrics[m] = Json{{"p50", metric_json(m, st.p50)},
                        {"p90", metric_json(m, st.p90)},
                        {"samples", st.samples},
                        {"missing", st.missing}};
    }
    x["metrics"] = metrics;
    scenarios.push_back(std::move(x));
  }
  j["scenarios"] = std::move(scenarios);
  Json regressions = Json::array();
  for (const auto& r : s.regressions) {
    regressions.push_back(Json{{"scenario", r.scenario},
                               {"metric", r.metric},
                               {"detail", r.detail},
                               {"replay_seed", r.replay_seed}});
  }
  j["regressions"] = std::move(regressions);
  Json runs = Json::array();
  for (const auto& r : s.runs) {
    Json metrics;
    for (const char* m : kCiMetrics) {
      auto it = r.metrics.find(m);
      metrics[m] = metric_json(m, it == r.metrics.end() ? std::nullopt : it->second);
    }
    runs.push_back(Json{{"scenario", r.scenario},
                        {"seed", r.seed},
                        {"verdict", r.pass ? "pass" : "fail"},
                        {"metrics", std::move(metrics)},
                        {"failures", r.failures}});
  }
  j["runs"] = std::move(runs);
  return j.dump(2) + "\n";
}

CiSummary parse_summary_json(std::string_view text) {
  Json j;
  try {
    j = Json::parse(text);
  } catch (const Json::parse_error& e) {
    throw std::invalid_argument(std::string("not JSON: ") + e.what());
  }
  if (!j.is_object() || !j.contains("format") || j["format"] != kSummaryFormat) {
    throw std::invalid_argument(std::string("not a gameday ci summary (expected \"format\": \"") +
                                kSummaryFormat + "\")");
  }
  if (get_int(j, "version", "summary") != kSummaryVersion) {
    bad("summary.version", "expected " + std::to_string(kSummaryVersion));
  }
  CiSummary s;
  if (j.contains("shard")) {
    const Json& sh = j["shard"];
    s.shard = Shard{static_cast<int>(get_int(sh, "index", "shard")),
                    static_cast<int>(get_int(sh, "count", "shard"))};
  }
  const Json& scenarios = get_array(j, "scenarios", "summary");
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    const Json& x = scenarios[i];
    const std::string where = "scenarios[" + std::to_string(i) + "]";
    ScenarioSummary sc;
    sc.plan.name = get_string(x, "scenario", where);
    sc.plan.file = get_string(x, "file", where, "");
    if (x.contains("seeds")) {
      for (const Json& seed : get_array(x, "seeds", where)) {
        if (!seed.is_number_unsigned()) bad(where + ".seeds", "expected non-negative integers");
        sc.plan.seeds.push_back(seed.get<std::uint64_t>());
      }
    }
    if (x.contains("tolerance")) {
      const Json& tol = x["tolerance"];
      if (!tol.is_object()) bad(where + ".tolerance", "expected an object of metric: slack");
      for (const auto& [m, v] : tol.items()) {
        if (!metric_kind(m)) bad(where + ".tolerance", "unknown metric '" + m + "'");
        if (!v.is_number() || v.get<double>() < 0) {
          bad(where + ".tolerance." + m, "expected a non-negative number (seconds for durations)");
        }
        sc.plan.tolerance[m] = v.get<double>();
      }
    }
    sc.runs = static_cast<int>(get_int(x, "runs", where, 0));
    sc.passed = static_cast<int>(get_int(x, "passed", where, 0));
    if (x.contains("baseline") && !x["baseline"].is_null()) {
      sc.baseline_ok = get_string(x, "baseline", where) == "pass";
    }
    const Json& metrics = field(x, "metrics", where);
    for (const char* m : kCiMetrics) {
      MetricStats st;
      if (metrics.contains(m)) {
        const Json& mj = metrics[m];
        const std::string mw = where + ".metrics." + m;
        if (!mj.is_object()) bad(mw, "expected an object with p50, p90, samples, missing");
        st.p50 = get_optional_number(mj, "p50", mw);
        st.p90 = get_optional_number(mj, "p90", mw);
        st.samples = static_cast<int>(get_int(mj, "samples", mw, 0));
        st.missing = static_cast<int>(get_int(mj, "missing", mw, 0));
      }
      sc.metrics[m] = st;
    }
    s.scenarios.push_back(std::move(sc));
  }
  std::sort(s.scenarios.begin(), s.scenarios.end(),
            [](const ScenarioSummary& a, const ScenarioSummary& b) { return a.plan.name < b.plan.name; });
  if (j.contains("regressions")) {
    const Json& regs = get_array(j, "regressions", "summary");
    for (std::size_t i = 0; i < regs.size(); ++i) {
      const std::string where = "regressions[" + std::to_string(i) + "]";
      Regression r;
      r.scenario = get_string(regs[i], "scenario", where);
      r.metric = get_string(regs[i], "metric", where);
      r.detail = get_string(regs[i], "detail", where, "");
      r.replay_seed = static_cast<std::uint64_t>(get_int(regs[i], "replay_seed", where, 0));
      s.regressions.push_back(std::move(r));
    }
  }
  if (j.contains("runs")) {
    const Json& runs = get_array(j, "runs", "summary");
    for (std::size_t i = 0; i < runs.size(); ++i) {
      const Json& x = runs[i];
      const std::string where = "runs[" + std::to_string(i) + "]";
      RunRecord r;
      r.scenario = get_string(x, "scenario", where);
      const long long seed = get_int(x, "seed", where);
      if (seed < 0) bad(where + ".seed", "expected a non-negative integer");
      r.seed = static_cast<std::uint64_t>(seed);
      const std::string verdict = get_string(x, "verdict", where);
      if (verdict != "pass" && verdict != "fail") bad(where + ".verdict", "expected pass or fail");
      r.pass = verdict == "pass";
      const Json& metrics = field(x, "metrics", where);
      if (!metrics.is_object()) bad(where + ".metrics", "expected an object");
      for (const char* m : kCiMetrics) r.metrics[m] = get_optional_number(metrics, m, where + ".metrics");
      if (x.contains("failures")) {
        for (const Json& f : get_array(x, "failures", where)) {
          if (!f.is_string()) bad(where + ".failures", "expected strings");
          r.failures.push_back(f.get<std::string>());
        }
      }
      s.runs.push_back(std::move(r));
    }
    std::sort(s.runs.begin(), s.runs.end(), [](const RunRecord& a, const RunRecord& b) {
      return a.scenario != b.scenario ? a.scenario < b.scenario : a.seed < b.seed;
    });
  }
  return s;
}

// ---------------------------------------------------------------- replay and JUnit

std::string replay_command(const PlannedScenario& scenario, std::uint64_t seed) {
  auto quote = [](const std::string& s) {
    const bool plain = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             std::string_view("_./:=@%+-,").find(c) != std::string_view::npos;
    });
    if (plain) return s;
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
  };
  const std::string s = std::to_string(seed);
  return "gameday run " + quote(scenario.file) + " --seed " + s + " --out " +
         quote("reports/" + scenario.name + "-" + s);
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      case '\n': out += "&#10;"; break;
      case '\r': out += "&#13;"; break;
      case '\t': out += "&#9;"; break;
      default:
        // XML 1.0 forbids other C0 control characters even as references.
        out += static_cast<unsigned char>(c) < 0x20 ? '?' : c;
    }
  }
  return out;
}

std::string junit_xml(const CiSummary& s) {
  struct Suite {
    const ScenarioSummary* sc;
    int tests = 0;
    int failures = 0;
  };
  std::vector<Suite> suites;
  int tests = 0;
  int failures = 0;
  for (const auto& sc : s.scenarios) {
    Suite suite{&sc};
    suite.tests = sc.runs + (sc.baseline_ok ? 1 : 0);
    suite.failures = (sc.runs - sc.passed) + (sc.baseline_ok && !*sc.baseline_ok ? 1 : 0);
    if (suite.tests == 0) continue;  // nothing of this scenario ran in this shard
    tests += suite.tests;
    failures += suite.failures;
    suites.push_back(suite);
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites" + attr("name", "gameday ci") + attr("tests", std::to_string(tests)) +
         attr("failures", std::to_string(failures)) + attr("errors", "0") + attr("time", "0") + ">\n";
  for (const Suite& suite : suites) {
    const ScenarioSummary& sc = *suite.sc;
    const std::string classname = "gameday." + sc.plan.name;
    out += "  <testsuite" + attr("name", sc.plan.name) + attr("tests", std::to_string(suite.tests)) +
           attr("failures", std::to_string(suite.failures)) + attr("errors", "0") +
           attr("skipped", "0") + attr("time", "0") + ">\n";
    for (const RunRecord& r : s.runs) {
      if (r.scenario != sc.plan.name) continue;
      out += "    <testcase" + attr("classname", classname) +
             attr("name", "seed " + std::to_string(r.seed)) + attr("time", "0");
      if (r.pass) {
        out += "/>\n";
        continue;
      }
      const std::string message = r.failures.empty() ? "expectations failed" : join(r.failures, "; ");
      std::string body = join(r.failures, "\n");
      body += (body.empty() ? "" : "\n") + std::string("replay: ") + replay_command(sc.plan, r.seed);
      out += ">\n      <failure" + attr("message", message) + attr("type", "expectation") + ">" +
             xml_escape(body) + "</failure>\n    </testcase>\n";
    }
    if (sc.baseline_ok) {
      out += "    <testcase" + attr("classname", classname) + attr("name", "baseline") + attr("time", "0");
      if (*sc.baseline_ok) {
        out += "/>\n";
      } else {
        std::vector<std::string> reasons;
        std::string body;
        for (const Regression& g : s.regressions) {
          if (g.scenario != sc.plan.name) continue;
          reasons.push_back(g.metric + " " + g.detail);
          body += g.metric + " " + g.detail + "\nreplay: " + replay_command(sc.plan, g.replay_seed) + "\n";
        }
        if (!body.empty()) body.pop_back();
        out += ">\n      <failure" + attr("message", "regression: " + join(reasons, "; ")) +
               attr("type", "regression") + ">" + xml_escape(body) + "</failure>\n    </testcase>\n";
      }
    }
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

}  // namespace gameday
