// The summary JSON, out and in (format in docs/ci.md).
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "ci/summary.hpp"
#include "score/expect.hpp"

namespace gameday {
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kSummaryFormat = "gameday-ci-summary";
constexpr int kSummaryVersion = 1;

bool is_count(std::string_view metric) { return metric_kind(metric) == MetricKind::kCount; }

Json metric_json(std::string_view metric, const std::optional<double>& v) {
  if (!v || !std::isfinite(*v)) return nullptr;
  // Counts print as integers so a summary reads like the report it came from.
  if (is_count(metric)) return static_cast<std::int64_t>(std::llround(*v));
  return *v;
}

// ---------------------------------------------------------------- out

Json stats_json(const char* metric, const std::map<std::string, MetricStats>& all) {
  const auto it = all.find(metric);
  const MetricStats st = it == all.end() ? MetricStats{} : it->second;
  return Json{{"p50", metric_json(metric, st.p50)},
              {"p90", metric_json(metric, st.p90)},
              {"samples", st.samples},
              {"missing", st.missing}};
}

Json incident_summary_json(const IncidentSummary& x) {
  Json metrics;
  for (const char* m : kCiIncidentMetrics) metrics[m] = stats_json(m, x.metrics);
  return Json{{"id", x.id}, {"runs", x.runs}, {"metrics", std::move(metrics)}};
}

Json scenario_json(const ScenarioSummary& sc) {
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
  for (const char* m : kCiMetrics) metrics[m] = stats_json(m, sc.metrics);
  x["metrics"] = metrics;
  Json incidents = Json::array();
  for (const auto& i : sc.incidents) incidents.push_back(incident_summary_json(i));
  x["incidents"] = std::move(incidents);
  return x;
}

Json incident_record_json(const IncidentRecord& x) {
  Json metrics;
  for (const char* m : kCiIncidentMetrics) {
    auto it = x.metrics.find(m);
    metrics[m] = metric_json(m, it == x.metrics.end() ? std::nullopt : it->second);
  }
  return Json{{"id", x.id}, {"metrics", std::move(metrics)}};
}

Json run_json(const RunRecord& r) {
  Json metrics;
  for (const char* m : kCiMetrics) {
    auto it = r.metrics.find(m);
    metrics[m] = metric_json(m, it == r.metrics.end() ? std::nullopt : it->second);
  }
  Json x{{"scenario", r.scenario},
         {"seed", r.seed},
         {"verdict", r.pass ? "pass" : "fail"},
         {"metrics", std::move(metrics)},
         {"failures", r.failures}};
  Json incidents = Json::array();
  for (const auto& i : r.incidents) incidents.push_back(incident_record_json(i));
  x["incidents"] = std::move(incidents);
  // Only when there are some: summaries of runs whose steps all ran keep their old shape.
  if (!r.steps_not_run.empty()) x["steps_not_run"] = r.steps_not_run;
  return x;
}

// ---------------------------------------------------------------- in

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

// The parsed document, once it is known to be a summary of this version.
Json parse_document(std::string_view text) {
  Json j;
  try {
    j = Json::parse(text);
  } catch (const Json::parse_error& e) {
    throw std::invalid_argument(std::string("not JSON: ") + e.what());
  } catch (const Json::out_of_range&) {
    throw std::invalid_argument("not JSON: a number too large for a JSON number");
  }
  if (!j.is_object() || !j.contains("format") || j["format"] != kSummaryFormat) {
    throw std::invalid_argument(std::string("not a gameday ci summary (expected \"format\": \"") +
                                kSummaryFormat + "\")");
  }
  if (get_int(j, "version", "summary") != kSummaryVersion) {
    bad("summary.version", "expected " + std::to_string(kSummaryVersion));
  }
  return j;
}

void parse_plan_lists(const Json& x, const std::string& where, PlannedScenario& plan) {
  if (x.contains("seeds")) {
    for (const Json& seed : get_array(x, "seeds", where)) {
      if (!seed.is_number_unsigned()) bad(where + ".seeds", "expected non-negative integers");
      plan.seeds.push_back(seed.get<std::uint64_t>());
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
      plan.tolerance[m] = v.get<double>();
    }
  }
}

MetricStats parse_metric_stats(const Json& metrics, const char* m, const std::string& where) {
  MetricStats st;
  if (!metrics.contains(m)) return st;
  const Json& mj = metrics[m];
  const std::string mw = where + ".metrics." + m;
  if (!mj.is_object()) bad(mw, "expected an object with p50, p90, samples, missing");
  st.p50 = get_optional_number(mj, "p50", mw);
  st.p90 = get_optional_number(mj, "p90", mw);
  st.samples = static_cast<int>(get_int(mj, "samples", mw, 0));
  st.missing = static_cast<int>(get_int(mj, "missing", mw, 0));
  return st;
}

IncidentSummary parse_incident_summary(const Json& x, const std::string& where) {
  IncidentSummary sum;
  sum.id = get_string(x, "id", where);
  sum.runs = static_cast<int>(get_int(x, "runs", where, 0));
  const Json& metrics = field(x, "metrics", where);
  if (!metrics.is_object()) bad(where + ".metrics", "expected an object");
  for (const char* m : kCiIncidentMetrics) sum.metrics[m] = parse_metric_stats(metrics, m, where);
  return sum;
}

IncidentRecord parse_incident_record(const Json& x, const std::string& where) {
  IncidentRecord r;
  r.id = get_string(x, "id", where);
  const Json& metrics = field(x, "metrics", where);
  if (!metrics.is_object()) bad(where + ".metrics", "expected an object");
  for (const char* m : kCiIncidentMetrics) r.metrics[m] = get_optional_number(metrics, m, where + ".metrics");
  return r;
}

// Each element of the optional array `key` of `x` through `parse` ("where.key[i]" in errors).
template <class T, class Parse>
void parse_optional_list(const Json& x, const char* key, const std::string& where, Parse parse,
                         std::vector<T>& out) {
  if (!x.contains(key)) return;
  const Json& items = get_array(x, key, where);
  for (std::size_t i = 0; i < items.size(); ++i) {
    out.push_back(parse(items[i], where + "." + key + "[" + std::to_string(i) + "]"));
  }
}

ScenarioSummary parse_scenario(const Json& x, const std::string& where) {
  ScenarioSummary sc;
  sc.plan.name = get_string(x, "scenario", where);
  sc.plan.file = get_string(x, "file", where, "");
  parse_plan_lists(x, where, sc.plan);
  sc.runs = static_cast<int>(get_int(x, "runs", where, 0));
  sc.passed = static_cast<int>(get_int(x, "passed", where, 0));
  if (x.contains("baseline") && !x["baseline"].is_null()) {
    sc.baseline_ok = get_string(x, "baseline", where) == "pass";
  }
  const Json& metrics = field(x, "metrics", where);
  for (const char* m : kCiMetrics) sc.metrics[m] = parse_metric_stats(metrics, m, where);
  parse_optional_list(x, "incidents", where, parse_incident_summary, sc.incidents);
  return sc;
}

Regression parse_regression(const Json& x, const std::string& where) {
  Regression r;
  r.scenario = get_string(x, "scenario", where);
  r.metric = get_string(x, "metric", where);
  r.detail = get_string(x, "detail", where, "");
  r.replay_seed = static_cast<std::uint64_t>(get_int(x, "replay_seed", where, 0));
  return r;
}

RunRecord parse_run(const Json& x, const std::string& where) {
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
  if (x.contains("steps_not_run")) {
    for (const Json& f : get_array(x, "steps_not_run", where)) {
      if (!f.is_string()) bad(where + ".steps_not_run", "expected strings");
      r.steps_not_run.push_back(f.get<std::string>());
    }
  }
  parse_optional_list(x, "incidents", where, parse_incident_record, r.incidents);
  return r;
}

// Each element of the array `key` of `j` through `parse` (named "key[i]" in errors).
template <class Parse>
auto parse_each(const Json& j, const char* key, Parse parse) {
  std::vector<decltype(parse(j, std::string()))> out;
  const Json& items = get_array(j, key, "summary");
  for (std::size_t i = 0; i < items.size(); ++i) {
    out.push_back(parse(items[i], std::string(key) + "[" + std::to_string(i) + "]"));
  }
  return out;
}

}  // namespace

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
  for (const auto& sc : s.scenarios) scenarios.push_back(scenario_json(sc));
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
  for (const auto& r : s.runs) runs.push_back(run_json(r));
  j["runs"] = std::move(runs);
  return j.dump(2) + "\n";
}

CiSummary parse_summary_json(std::string_view text) {
  const Json j = parse_document(text);
  CiSummary s;
  if (j.contains("shard")) {
    const Json& sh = j["shard"];
    s.shard = Shard{static_cast<int>(get_int(sh, "index", "shard")),
                    static_cast<int>(get_int(sh, "count", "shard"))};
  }
  s.scenarios = parse_each(j, "scenarios", parse_scenario);
  std::sort(s.scenarios.begin(), s.scenarios.end(),
            [](const ScenarioSummary& a, const ScenarioSummary& b) { return a.plan.name < b.plan.name; });
  if (j.contains("regressions")) s.regressions = parse_each(j, "regressions", parse_regression);
  if (j.contains("runs")) {
    s.runs = parse_each(j, "runs", parse_run);
    std::sort(s.runs.begin(), s.runs.end(), by_scenario_then_seed);
  }
  return s;
}

}  // namespace gameday
