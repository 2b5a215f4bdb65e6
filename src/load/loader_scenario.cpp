// scenarios/*.yaml
#include <algorithm>
#include <cctype>
#include <climits>
#include <set>

#include "load/loader.hpp"
#include "load/limits.hpp"
#include "load/loader_detail.hpp"
#include "ci/record.hpp"
#include "score/expect.hpp"
#include "slo/burn_windows.hpp"
#include "slo/detector.hpp"

namespace gameday::loader {
namespace {

std::string item_path(const std::string& list_path, std::size_t i) {
  return list_path + "[" + std::to_string(i) + "]";
}

void read_workload(MapReader& top, Scenario& sc) {
  if (!top.require("workload")) return;
  MapReader m(top.ctx(), top.value("workload"), "workload", "for 'workload'", top.mark_of("workload"));
  if (!m.ok()) return;
  m.allow({"rate", "mix", "client_timeout"});
  if (auto rate = m.positive("rate", kRequired)) {
    if (*rate > limits::kMaxRatePerSecond) {
      m.error_at("rate", "expected a rate of at most " + format_number(limits::kMaxRatePerSecond) +
                             " requests per second for 'rate', got " + describe_node(m.value("rate")));
    } else {
      sc.workload.rate_per_s = *rate;
    }
  }
  sc.workload.client_timeout = m.positive_duration("client_timeout").value_or(sc.workload.client_timeout);
  const std::vector<std::string> tasks(std::begin(kTaskTypes), std::end(kTaskTypes));
  for (const auto& t : tasks) sc.workload.mix[t] = 1.0;
  if (!m.has("mix")) {
    // Without a mix: equal thirds of the original three (message triage only when named).
    for (auto& [t, w] : sc.workload.mix) {
      w = t == "message_triage" ? 0.0 : 1.0 / static_cast<double>(kDefaultMixTaskTypes);
    }
    return;
  }
  MapReader mix(m.ctx(), m.value("mix"), "workload.mix", "for 'mix'", m.mark_of("mix"));
  if (!mix.ok()) return;
  mix.allow(tasks);
  double total = 0;
  for (const auto& t : tasks) {
    sc.workload.mix[t] = mix.number_in(t, 0, 1e9).value_or(0);
    total += sc.workload.mix[t];
  }
  if (total <= 0) {
    m.error_at("mix", "expected at least one task type with a weight > 0 in 'mix'");
    return;
  }
  for (auto& [_, w] : sc.workload.mix) w /= total;
}

void read_slos(MapReader& top, Scenario& sc) {
  auto list = top.list("slos");
  if (!list) return;
  std::set<std::string> names;
  std::size_t i = 0;
  for (const auto& item : *list) {
    MapReader m(top.ctx(), item, item_path("slos", i++), "for each item of 'slos'", top.mark_of("slos"));
    if (!m.ok()) continue;
    SloSpec slo;
    // Unknown keys first, so a misspelt discriminator is reported as a typo, not as missing.
    m.allow({"name", "sli", "objective", "threshold", "window", "vendor"});
    const auto sli = read_enum<SloKind>(m, "sli", "SLI", kRequired);
    std::vector<std::string> keys = {"name", "sli", "objective", "window"};
    std::map<std::string, std::string> elsewhere;
    if (sli && has_threshold(*sli)) {
      keys.push_back("threshold");
    } else {
      elsewhere["threshold"] = "applies only to latency and ehr_latency SLOs";
    }
    if (sli && is_vendor_slo(*sli)) {
      keys.push_back("vendor");
    } else {
      elsewhere["vendor"] = "applies only to vendor_availability, vendor_throttle and embedding_availability SLOs";
    }
    m.allow(keys, elsewhere);
    slo.sli = sli.value_or(SloKind::kAvailability);
    slo.name = m.str("name", kRequired).value_or("");
    if (!slo.name.empty() && !names.insert(slo.name).second) {
      m.error_at("name", "duplicate SLO name '" + slo.name + "'");
    }
    if (auto o = m.number("objective", kRequired)) {
      // 1 would leave no error budget at all (burn rates divide by 1 - objective).
      if (*o <= 0 || *o >= 1) {
        m.error_at("objective", "expected an objective between 0 and 1 (exclusive) for 'objective', got " +
                                    describe_node(m.value("objective")));
      } else {
        slo.objective = *o;
      }
    }
    if (sli && has_threshold(*sli)) slo.threshold = m.positive_duration("threshold", kRequired).value_or(0);
    if (sli && is_vendor_slo(*sli)) slo.vendor = m.str("vendor").value_or("");
    slo.window = m.positive_duration("window").value_or(slo.window);
    sc.slos.push_back(std::move(slo));
  }
}

// The `above` of a threshold alert, in the SLI's unit.
double read_threshold(MapReader& m, Sli sli) {
  switch (unit_of(sli)) {
    case SliUnit::kSeconds:
      if (auto d = m.duration("above", kRequired)) return to_seconds(*d);
      return 0;
    case SliUnit::kPerSecond:
    case SliUnit::kPerMinute:
    case SliUnit::kCount:
      return m.number_in("above", 0, 1e9, kRequired).value_or(0);
    case SliUnit::kFlag:
      return m.number_in("above", 0, 0).value_or(0);
    case SliUnit::kRatio:
      return m.number_in("above", 0, 1, kRequired).value_or(0);
  }
  return 0;
}

void read_alerts(MapReader& top, Scenario& sc) {
  auto list = top.list("alerts");
  if (!list) return;
  std::set<std::string> names;
  std::vector<std::string> slo_names;
  for (const auto& s : sc.slos) slo_names.push_back(s.name);
  std::size_t i = 0;
  for (const auto& item : *list) {
    const std::string path = item_path("alerts", i++);
    MapReader m(top.ctx(), item, path, "for each item of 'alerts'", top.mark_of("alerts"));
    if (!m.ok()) continue;
    AlertSpec a;
    a.loc = top.ctx().loc(m.mark());
    m.allow({"name", "type", "severity", "for", "runbook", "sli", "window", "above", "vendor", "slo", "windows",
             "preset", "scale"});
    const auto type = read_enum<AlertType>(m, "type", "alert type", kRequired);
    const std::vector<std::string> common = {"name", "type", "severity", "for", "runbook"};
    std::vector<std::string> threshold_keys = common, burn_keys = common;
    for (const char* k : {"sli", "window", "above", "vendor"}) threshold_keys.push_back(k);
    for (const char* k : {"slo", "windows", "preset", "scale"}) burn_keys.push_back(k);
    if (type == AlertType::kThreshold) {
      m.allow(threshold_keys, {{"slo", "applies only to burn_rate alerts"},
                               {"windows", "applies only to burn_rate alerts"},
                               {"preset", "applies only to burn_rate alerts"},
                               {"scale", "applies only to burn_rate alerts"}});
    } else if (type) {
      m.allow(burn_keys, {{"sli", "applies only to threshold alerts"},
                          {"vendor", "applies only to threshold alerts (a burn_rate alert's SLO names its vendor)"},
                          {"window", "applies only to threshold alerts"},
                          {"above", "applies only to threshold alerts"}});
    }
    a.type = type.value_or(AlertType::kThreshold);
    a.name = m.str("name", kRequired).value_or("");
    if (!a.name.empty() && !names.insert(a.name).second) {
      m.error_at("name", "duplicate alert name '" + a.name + "'");
    }
    a.severity = m.one_of("severity", {std::string(kSeverityPage), std::string(kSeverityTicket)}, "severity")
                     .value_or(std::string(kSeverityPage));
    a.for_duration = m.duration("for").value_or(0);
    a.runbook = m.str("runbook").value_or("");
    if (!a.runbook.empty() && a.runbook.rfind("https://", 0) != 0 && a.runbook.rfind("http://", 0) != 0) {
      m.error_at("runbook", "expected an http:// or https:// URL for 'runbook', got '" + a.runbook + "'");
    }
    if (type == AlertType::kThreshold) {
      const auto sli = read_enum<Sli>(m, "sli", "alert SLI", kRequired);
      if (sli) a.sli = *sli;
      a.window = m.positive_duration("window").value_or(a.window);
      if (sli) a.above = read_threshold(m, *sli);
      if (m.has("vendor")) {
        if (sli && !is_vendor_sli(*sli)) {
          m.error_at("vendor", "key 'vendor' applies only to vendor_error_ratio, vendor_throttle_ratio and embedding_error_ratio");
        } else {
          a.vendor = m.str("vendor").value_or("");
        }
      }
    } else if (type == AlertType::kBurnRate) {
      if (auto slo = m.str("slo", kRequired)) {
        if (std::find(slo_names.begin(), slo_names.end(), *slo) == slo_names.end()) {
          m.error_at("slo", slo_names.empty()
                                ? "alert '" + a.name + "' names SLO '" + *slo + "' but the scenario defines no 'slos'"
                                : unknown_value_message("SLO", *slo, slo_names));
        }
        a.slo = *slo;
      }
      a.preset = read_enum<BurnPreset>(m, "preset", "burn-rate preset", false,
                                       [](BurnPreset p) { return p != BurnPreset::kNone; })
                     .value_or(BurnPreset::kNone);
      if (m.has("scale")) {
        const YAML::Node v = m.value("scale");
        const auto scale = v.IsScalar() ? parse_burn_scale(v.Scalar()) : std::nullopt;
        if (!scale) {
          m.error_at("scale", "expected a positive number or fraction like 1/60 for 'scale', got " +
                                  describe_node(v));
        } else {
          a.scale = *scale;
        }
      }
      if (auto windows = m.list("windows", !m.has("preset"))) {
        if (windows->size() == 0 && a.preset == BurnPreset::kNone) m.error_at("windows", "expected at least one item in 'windows'");
        std::size_t k = 0;
        for (const auto& w : *windows) {
          MapReader wm(m.ctx(), w, item_path(path + ".windows", k++), "for each item of 'windows'",
                       m.mark_of("windows"));
          if (!wm.ok()) continue;
          wm.allow({"long", "short", "factor"});
          BurnWindow bw;
          auto lw = wm.positive_duration("long", kRequired);
          auto sw = wm.positive_duration("short", kRequired);
          bw.factor = wm.positive("factor", kRequired).value_or(bw.factor);
          if (lw && sw && *sw >= *lw) {
            wm.error_at("short", "'short' (" + format_duration(*sw) + ") must be shorter than 'long' (" +
                                     format_duration(*lw) + ")");
          }
          bw.long_window = lw.value_or(bw.long_window);
          bw.short_window = sw.value_or(bw.short_window);
          a.windows.push_back(bw);
        }
      }
    }
    sc.alerts.push_back(std::move(a));
  }
}

// read_faults: loader_faults.cpp.

void read_expectations(MapReader& top, std::vector<Expectation>& out) {
  auto list = top.list("expect");
  if (!list) return;
  for (const auto& item : *list) {
    const YAML::Mark mark = item.Mark().line >= 0 ? item.Mark() : top.mark_of("expect");
    if (!item.IsScalar()) {
      top.ctx().error(mark, "expected a string like \"ttd <= 3m\" for each item of 'expect', got " +
                                describe_node(item));
      continue;
    }
    std::string error;
    auto e = parse_expectation(item.Scalar(), &error);
    if (!e) {
      top.ctx().error(mark, error);
      continue;
    }
    e->loc = top.ctx().loc(mark);
    out.push_back(std::move(*e));
  }
}

// Names an expectation may use within the scenario itself: incidents are named by fault ids or
// `incident:` names (a relapse adds #N), alerts by the scenario's alert names.
void check_expectation_names(FileCtx& ctx, const Scenario& sc) {
  std::vector<std::string> incidents, alerts;
  for (const auto& f : sc.faults) {
    incidents.push_back(f.id);
    if (!f.incident.empty() && std::find(incidents.begin(), incidents.end(), f.incident) == incidents.end()) {
      incidents.push_back(f.incident);
    }
  }
  for (const auto& a : sc.alerts) alerts.push_back(a.name);
  for (const auto& e : sc.expect) {
    const auto at = [&](const std::string& message) { ctx.session().diag().add(e.loc, message); };
    if (e.scope == ExpectScope::kIncident) {
      const std::string base = e.arg.substr(0, e.arg.find('#'));
      if (std::find(incidents.begin(), incidents.end(), base) == incidents.end()) {
        at(incidents.empty() ? "incident '" + e.arg + "' names no fault: the scenario has no faults"
                             : unknown_value_message("incident (a fault id or incident name)", e.arg, incidents));
      }
    } else if (e.scope == ExpectScope::kAlert && std::find(alerts.begin(), alerts.end(), e.arg) == alerts.end()) {
      at(alerts.empty() ? "alert '" + e.arg + "' is not defined: the scenario has no alerts"
                        : unknown_value_message("alert", e.arg, alerts));
    }
  }
}

// The name becomes a directory under reports/ (and part of shell commands in CI plans):
// letters, digits, '.', '_' and '-', not starting with a dot, so it can never climb out.
void check_name(MapReader& top, const std::string& name) {
  if (name.empty()) return;
  const bool safe = std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
  if (!safe || name.front() == '.' || name.size() > limits::kMaxNameLength) {
    top.error_at("name", "expected a name of letters, digits, '.', '_' and '-' (not starting with "
                         "'.', at most " + std::to_string(limits::kMaxNameLength) +
                         " characters) for 'name': it names the reports directory, got " +
                         quoted(name));
  }
}

// What a run would cost, from values already read one by one: refused when it could not
// finish in reasonable time or memory (docs/limits.md).
void check_run_cost(MapReader& top, const Scenario& sc, bool have_duration) {
  if (!have_duration) return;
  const Duration d = sc.duration;
  if (d > limits::kMaxRunDuration) {
    top.error_at("duration", "'duration' " + format_duration(d) + " is longer than the limit of " +
                                 format_duration_exact(limits::kMaxRunDuration));
    return;
  }
  const double requests = sc.workload.rate_per_s * to_seconds(d);
  if (top.has("workload") && requests > limits::kMaxExpectedRequests) {
    top.ctx().session().diag().add(
        top.ctx().session().diag().where(top.ctx().file(), "workload.rate", top.ctx().loc(top.mark_of("workload"))),
        "'rate' " + format_number(sc.workload.rate_per_s) + "/s for 'duration' " + format_duration(d) +
            " is about " + format_number(requests) + " requests, over the limit of " +
            format_number(limits::kMaxExpectedRequests) + " for one run (lower the rate or shorten the run)");
  }
  if (top.has("evaluation_interval") && sc.evaluation_interval > 0 &&
      d / sc.evaluation_interval > limits::kMaxEvaluations) {
    top.error_at("evaluation_interval",
                 "'evaluation_interval' " + format_duration(sc.evaluation_interval) + " over 'duration' " +
                     format_duration(d) + " is " + std::to_string(d / sc.evaluation_interval) +
                     " evaluations, over the limit of " + std::to_string(limits::kMaxEvaluations));
  }
  if (sc.probes && sc.probes->every > 0 && d / sc.probes->every > limits::kMaxProbeRuns) {
    top.ctx().session().diag().add(
        top.ctx().session().diag().where(top.ctx().file(), "probes.every", top.ctx().loc(top.mark_of("probes"))),
        "'every' " + format_duration(sc.probes->every) + " over 'duration' " + format_duration(d) + " is " +
            std::to_string(d / sc.probes->every) + " probe runs, over the limit of " +
            std::to_string(limits::kMaxProbeRuns));
  }
}

// A duration at least `min` (positive_duration has already refused zero and negatives).
std::optional<Duration> at_least(MapReader& m, const std::string& key, Duration min) {
  auto d = m.positive_duration(key);
  if (d && *d < min) {
    m.error_at(key, "expected a duration of at least " + format_duration_exact(min) + " for '" + key +
                        "', got " + describe_node(m.value(key)));
    return std::nullopt;
  }
  return d;
}

}  // namespace

Scenario read_scenario(Session& s, const std::string& path) {
  Scenario sc;
  sc.file = path;
  auto doc = s.parse_yaml(path);
  if (!doc) return sc;
  FileCtx ctx(s, path);
  MapReader top(ctx, *doc, "", "at the top level", YAML::Mark());
  if (!top.ok()) return sc;
  top.allow({"name", "description", "seed", "duration", "fakes", "workload", "assistant", "slos",
             "evaluation_interval", "alerts", "responders", "paging", "probes", "corrections", "faults", "playbooks",
             "recovery", "expect", "ci", "fault_combine"});
  const std::string dir = dir_of(path);

  sc.name = top.str("name", kRequired).value_or("");
  check_name(top, sc.name);
  sc.description = top.str("description").value_or("");
  sc.seed = static_cast<std::uint64_t>(top.integer("seed", 0, LLONG_MAX).value_or(1));
  const auto run_duration = top.positive_duration("duration", kRequired);
  sc.duration = run_duration.value_or(sc.duration);

  // fakes: every file of the directory must be there.
  const auto fakes = top.str("fakes");
  sc.fakes_dir = resolve_path(dir, fakes.value_or("../fakes"));
  std::vector<std::string> missing;
  for (const auto& f : fakes_files()) {
    if (!s.exists(resolve_path(sc.fakes_dir, f))) missing.push_back(f);
  }
  if (!missing.empty()) {
    const std::string named = "fakes directory '" + fakes.value_or("../fakes") + "'" +
                              (sc.fakes_dir != fakes.value_or("../fakes") ? " (" + sc.fakes_dir + ")" : "");
    const YAML::Mark at = fakes ? top.mark_of("fakes") : top.mark();
    if (missing.size() == fakes_files().size()) {
      ctx.error(at, named + " not found: no " + resolve_path(sc.fakes_dir, "vendors.yaml"));
    } else {
      ctx.error(at, named + " is missing " + join(missing));
    }
  }

  read_workload(top, sc);

  if (top.has("assistant")) {
    MapReader m(ctx, top.value("assistant"), "assistant", "for 'assistant'", top.mark_of("assistant"));
    if (m.ok()) {
      const std::string base_path = resolve_path(sc.fakes_dir, "assistant/assistant.yaml");
      AssistantConfig base = s.exists(base_path) ? s.assistant_config(base_path) : AssistantConfig{};
      read_assistant_fields(m, base);
      sc.assistant = base;
    }
  }

  read_slos(top, sc);
  sc.evaluation_interval =
      at_least(top, "evaluation_interval", limits::kMinEvaluationInterval).value_or(sc.evaluation_interval);
  read_alerts(top, sc);

  sc.ack_delay.kind = DistKind::kLognormal;
  sc.ack_delay.median = 2 * kMinute;
  sc.ack_delay.sigma = 0.5;
  if (top.has("responders")) {
    MapReader m(ctx, top.value("responders"), "responders", "for 'responders'", top.mark_of("responders"));
    if (m.ok()) {
      m.allow({"name", "ack_delay"});
      sc.responder = m.str("name").value_or(sc.responder);
      if (auto d = m.dist("ack_delay")) sc.ack_delay = *d;
    }
  }
  if (top.has("paging")) {
    MapReader m(ctx, top.value("paging"), "paging", "for 'paging'", top.mark_of("paging"));
    if (m.ok()) {
      m.allow({"group_interval"});
      sc.group_interval = m.duration("group_interval").value_or(0);
    }
  }

  if (top.has("probes")) {
    MapReader m(ctx, top.value("probes"), "probes", "for 'probes'", top.mark_of("probes"));
    if (m.ok()) {
      m.allow({"set", "every", "min_pass_rate"});
      ProbeSpec p;
      if (auto set = m.str("set", kRequired)) {
        p.golden_set = resolve_path(dir, *set);
        if (!s.exists(p.golden_set)) {
          m.error_at("set", "golden set '" + *set + "' not found" +
                                (p.golden_set != *set ? " (looked for " + p.golden_set + ")" : ""));
        }
      }
      p.every = at_least(m, "every", limits::kMinProbeInterval).value_or(p.every);
      p.min_pass_rate = m.number_in("min_pass_rate", 0, 1).value_or(p.min_pass_rate);
      sc.probes = p;
    }
  }

  if (top.has("corrections")) {
    MapReader m(ctx, top.value("corrections"), "corrections", "for 'corrections'", top.mark_of("corrections"));
    if (m.ok()) {
      m.allow({"share", "delay"});
      sc.corrections.share = m.number_in("share", 0, 1, kRequired).value_or(0);
      sc.corrections.delay.kind = DistKind::kLognormal;
      sc.corrections.delay.median = 10 * kMinute;
      sc.corrections.delay.sigma = 0.5;
      if (auto d = m.dist("delay")) sc.corrections.delay = *d;
    }
  }

  check_run_cost(top, sc, run_duration.has_value());
  read_faults(top, sc, run_duration);
  if (auto c = read_enum<FaultCombine>(top, "fault_combine", "fault combination")) sc.fault_combine = *c;

  if (auto list = top.list("playbooks")) {
    for (const auto& item : *list) {
      const YAML::Mark mark = item.Mark().line >= 0 ? item.Mark() : top.mark_of("playbooks");
      if (!item.IsScalar()) {
        ctx.error(mark, "expected a file path for each item of 'playbooks', got " + describe_node(item));
        continue;
      }
      const std::string resolved = resolve_path(dir, item.Scalar());
      if (!s.exists(resolved)) {
        ctx.error(mark, "playbook file '" + item.Scalar() + "' not found" +
                            (resolved != item.Scalar() ? " (looked for " + resolved + ")" : ""));
        continue;
      }
      ctx.record("playbooks[" + std::to_string(sc.playbook_files.size()) + "]", mark);
      sc.playbook_files.push_back(resolved);
    }
  }

  if (top.has("recovery")) {
    MapReader m(ctx, top.value("recovery"), "recovery", "for 'recovery'", top.mark_of("recovery"));
    if (m.ok()) {
      m.allow({"sustain"});
      sc.sustain = m.positive_duration("sustain").value_or(sc.sustain);
    }
  }

  read_expectations(top, sc.expect);
  check_expectation_names(ctx, sc);

  // ci: {tolerance: {metric: slack}}: how far a metric may move past its baseline before
  // `gameday ci --baseline` calls it a regression (seconds for durations).
  if (top.has("ci")) {
    MapReader m(ctx, top.value("ci"), "ci", "for 'ci'", top.mark_of("ci"));
    if (m.ok()) {
      m.allow({"tolerance"});
      if (m.has("tolerance")) {
        MapReader t(ctx, m.value("tolerance"), "ci.tolerance", "for 'tolerance'", m.mark_of("tolerance"));
        if (t.ok()) {
          const std::vector<std::string> metrics(std::begin(kCiMetrics), std::end(kCiMetrics));
          t.allow(metrics);
          for (const auto& name : metrics) {
            if (!t.has(name)) continue;
            const YAML::Node v = t.value(name);
            if (v.IsScalar()) {
              if (auto d = parse_duration(v.Scalar())) {
                sc.ci_tolerance[name] = to_seconds(*d);
                continue;
              }
            }
            if (auto n = t.number_in(name, 0, 1e12)) sc.ci_tolerance[name] = *n;
          }
        }
      }
    }
  }
  return sc;
}

}  // namespace gameday::loader
