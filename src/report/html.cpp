#include "report/html.hpp"

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm.h>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <stdexcept>

#include "ci/junit.hpp"
#include "ci/plan.hpp"
#include "report/assets.hpp"
#include "report/report.hpp"
#include "score/series.hpp"
#include "spec/verdict.hpp"

namespace gameday {
namespace {

using nlohmann::json;

/// `v` rounded to `digits` decimals, as JSON (shortest form of the rounded double).
json rounded(double v, int digits) {
  if (!std::isfinite(v)) return nullptr;
  const double scale = std::pow(10.0, digits);
  return std::round(v * scale) / scale;
}

json opt_rounded(const std::optional<double>& v, int digits) {
  return v ? rounded(*v, digits) : json(nullptr);
}

/// An instant as seconds since the run start (millisecond precision).
json secs(SimTime t) { return rounded(static_cast<double>(t) / static_cast<double>(kSecond), 3); }
json secs(const std::optional<SimTime>& t) { return t ? secs(*t) : json(nullptr); }

std::string_view asset(std::string_view name) {
  const std::string_view a = report_asset(name);
  if (a.empty()) throw std::logic_error("missing embedded asset " + std::string(name));
  return a;
}

json timeline_data(const Score& s) {
  json faults = json::array();
  for (const auto& f : s.faults) {
    faults.push_back({{"id", f.id}, {"target", f.target}, {"kind", f.kind}, {"detail", f.detail},
                      {"start", secs(f.start)}, {"end", secs(f.end)}});
  }
  json incidents = json::array();
  for (const auto& i : s.incidents) {
    incidents.push_back({{"id", i.id}, {"faults", i.faults},
                         {"relapse_of", i.relapse_of ? json(*i.relapse_of) : json(nullptr)},
                         {"t_f", secs(i.t_f)}, {"t_i", secs(i.t_i)}, {"t_d", secs(i.t_d)},
                         {"t_a", secs(i.t_a)}, {"t_m", secs(i.t_m)}, {"t_r", secs(i.t_r)},
                         {"harm_until", secs(i.harm_until)}, {"detected_by", i.detected_by},
                         {"mitigated_by", i.mitigated_by}, {"failed", i.failed},
                         {"unsafe", i.unsafe}, {"slow", i.slow}});
  }
  json alerts = json::array();
  for (const auto& a : s.alerts) {
    alerts.push_back({{"name", a.name}, {"severity", a.severity}, {"fired", secs(a.fired_at)},
                      {"resolved", secs(a.resolved_at)}, {"value", rounded(a.value, 4)},
                      {"summary", a.summary}});
  }
  json acks = json::array();
  for (const auto& a : s.acks) acks.push_back({{"at", secs(a.at)}, {"who", a.who}, {"alert", a.alert}});
  json playbooks = json::array();
  for (const auto& p : s.playbooks) {
    json steps = json::array();
    for (const auto& st : p.steps) {
      steps.push_back({{"name", st.name}, {"kind", st.kind}, {"outcome", st.outcome},
                       {"reason", st.reason}, {"rollback", st.rollback},
                       {"start", secs(st.started_at)}, {"end", secs(st.ended_at)}});
    }
    playbooks.push_back({{"playbook", p.playbook}, {"trigger", p.trigger}, {"outcome", p.outcome},
                         {"reason", p.reason}, {"start", secs(p.started_at)},
                         {"end", secs(p.ended_at)}, {"steps", std::move(steps)}});
  }
  json changes = json::array();
  for (const auto& c : s.changes) {
    changes.push_back({{"at", secs(c.at)}, {"what", c.what}, {"key", c.key}, {"from", c.from},
                       {"to", c.to}, {"by", c.by}});
  }
  json golden = json::array();
  for (const auto& g : s.golden) {
    golden.push_back({{"at", secs(g.at)}, {"set", g.set}, {"passed", g.passed},
                      {"total", g.total}, {"ok", g.ok}, {"by", g.by}});
  }
  // A drill room's people: each action, with the scorecard's verdict for the trainee's.
  json actions = json::array();
  std::size_t judged = 0;
  for (const auto& a : s.actions) {
    std::string verdict;
    if (s.trainee && a.action.by == "trainee:" + s.trainee->name && judged < s.trainee->actions.size()) {
      verdict = s.trainee->actions[judged++].verdict;
    }
    actions.push_back({{"at", secs(a.at)}, {"by", a.action.by}, {"action", a.action.action},
                       {"target", a.action.target}, {"detail", a.action.detail},
                       {"outcome", a.action.outcome}, {"verdict", verdict}});
  }
  return {{"faults", std::move(faults)}, {"incidents", std::move(incidents)}, {"actions", std::move(actions)},
          {"alerts", std::move(alerts)}, {"acks", std::move(acks)},
          {"playbooks", std::move(playbooks)}, {"changes", std::move(changes)},
          {"golden", std::move(golden)}};
}

json per_minute_rate(const std::vector<long>& v) {
  json out = json::array();
  for (long n : v) out.push_back(rounded(static_cast<double>(n) / 60.0, 3));
  return out;
}

json ratio_series(const std::vector<long>& part, const std::vector<long>& whole) {
  json out = json::array();
  for (std::size_t i = 0; i < part.size(); ++i) {
    out.push_back(whole[i] == 0 ? json(nullptr)
                                : rounded(static_cast<double>(part[i]) / static_cast<double>(whole[i]), 5));
  }
  return out;
}

/// [fired, resolved] of each firing of the alert `name`.
json fired_windows(const Score& s, const std::string& name) {
  json fired = json::array();
  for (const auto& a : s.alerts) {
    if (a.name == name) fired.push_back({secs(a.fired_at), secs(a.resolved_at)});
  }
  return fired;
}

json series_data(const MinuteSeries& m, const Score& s) {
  json t = json::array();
  for (int i = 0; i < m.minutes; ++i) t.push_back(i * 60);
  json p50 = json::array();
  json p95 = json::array();
  for (int i = 0; i < m.minutes; ++i) {
    p50.push_back(opt_rounded(m.p50_s[static_cast<std::size_t>(i)], 3));
    p95.push_back(opt_rounded(m.p95_s[static_cast<std::size_t>(i)], 3));
  }
  json failed = json::object();
  for (const auto& [status, v] : m.failed_by_status) failed[status] = v;
  json unsafe = json::object();
  for (const auto& [kind, v] : m.unsafe_by_kind) unsafe[kind] = v;
  json slos = json::array();
  for (const auto& slo : m.slos) {
    slos.push_back({{"name", slo.name}, {"sli", slo.sli}, {"objective", slo.objective},
                    {"threshold_s", secs(slo.threshold)},
                    {"compliance", ratio_series(slo.good, slo.total)}});
  }
  json burn = json::array();
  for (const auto& b : m.burn) {
    json rate = json::array();
    for (const auto& r : b.rate) rate.push_back(opt_rounded(r, 3));
    json fired = fired_windows(s, b.alert);
    burn.push_back({{"alert", b.alert}, {"slo", b.slo}, {"window_s", secs(b.window)},
                    {"rate", std::move(rate)}, {"fired", std::move(fired)}});
  }
  json rules = json::array();
  for (const auto& r : m.rules) {
    json value = json::array();
    for (const auto& v : r.value) value.push_back(opt_rounded(v, 5));
    rules.push_back({{"alert", r.alert}, {"sli", r.sli}, {"window_s", secs(r.window)},
                     {"above", rounded(r.above, 6)}, {"per_minute", r.per_minute},
                     {"value", std::move(value)}, {"fired", fired_windows(s, r.alert)}});
  }
  return {{"t", std::move(t)},
          {"requests_per_s", per_minute_rate(m.requests)},
          {"probes", m.probes},
          {"availability", ratio_series(m.ok, m.requests)},
          {"p50_s", std::move(p50)},
          {"p95_s", std::move(p95)},
          {"failed", std::move(failed)},
          {"unsafe", std::move(unsafe)},
          {"slos", std::move(slos)},
          {"burn", std::move(burn)},
          {"rules", std::move(rules)}};
}

}  // namespace

std::string markdown_html(std::string_view markdown) {
  // cmark-gfm registers its extensions behind a plain flag: two threads rendering their first
  // report at once (`gameday ci --jobs N`) could both register the table extension, and a
  // table parsed with one registration's node type then fails the other's assertion when
  // rendered. A function-local static runs the registration exactly once, before any thread
  // goes on; afterwards the registry is only read.
  static const bool registered = (cmark_gfm_core_extensions_ensure_registered(), true);
  (void)registered;
  const int options = CMARK_OPT_DEFAULT;  // raw HTML is replaced, unsafe links dropped
  std::unique_ptr<cmark_parser, void (*)(cmark_parser*)> parser(cmark_parser_new(options),
                                                                cmark_parser_free);
  if (cmark_syntax_extension* table = cmark_find_syntax_extension("table")) {
    cmark_parser_attach_syntax_extension(parser.get(), table);
  }
  cmark_parser_feed(parser.get(), markdown.data(), markdown.size());
  std::unique_ptr<cmark_node, void (*)(cmark_node*)> doc(cmark_parser_finish(parser.get()),
                                                         cmark_node_free);
  char* html = cmark_render_html(doc.get(), options, cmark_parser_get_syntax_extensions(parser.get()));
  std::string out(html);
  std::free(html);
  return out;
}

std::string html_page(std::string_view title, std::string_view body, const json& data,
                      std::string_view script, bool live) {
  // Invalid UTF-8 in scenario text becomes U+FFFD rather than an exception.
  std::string json_text = data.dump(-1, ' ', false, json::error_handler_t::replace);
  // Inside <script>, "</" could close the element: JSON allows "<\/" for the same string.
  std::string safe;
  safe.reserve(json_text.size());
  for (std::size_t i = 0; i < json_text.size(); ++i) {
    if (json_text[i] == '<' && i + 1 < json_text.size() && json_text[i + 1] == '/') {
      safe += "<\\/";
      ++i;
    } else {
      safe += json_text[i];
    }
  }
  std::string out;
  out += "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  // Nothing on this page may load from the network: the policy blocks it as well.
  out += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; ";
  if (live) out += "connect-src 'self'; ";
  out += "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n";
  out += "<title>" + xml_escape(title) + "</title>\n<style>\n";
  out += asset("third_party/uplot/uPlot.min.css");
  out += "\n";
  out += asset("src/report/html/page.css");
  out += "</style>\n</head>\n<body>\n";
  out += body;
  out += "\n<script type=\"application/json\" id=\"gameday-data\">";
  out += safe;
  out += "</script>\n<script>\n";
  out += asset("third_party/uplot/uPlot.iife.min.js");
  out += "\n</script>\n<script>\n";
  out += asset("src/report/html/charts.js");
  out += "\n";
  out += asset(std::string("src/report/html/") + std::string(script));
  out += "\n</script>\n</body>\n</html>\n";
  return out;
}

std::string report_html(const Score& score, const std::vector<Event>& events) {
  return report_html(score, minute_series(events, score));
}

std::string report_html(const Score& score, const MinuteSeries& series) {
  const std::string verdict = score.pass ? "pass" : "fail";
  json data = {
      {"run", {{"scenario", score.run.scenario}, {"seed", score.run.seed}, {"mode", score.run.mode},
               {"playbooks_enabled", score.run.playbooks_enabled}, {"verdict", verdict},
               {"duration_s", secs(score.run.duration)}, {"end_s", secs(score.end)},
               {"ended", score.ended}}},
      {"timeline", timeline_data(score)},
      {"series", series_data(series, score)},
  };
  std::string body;
  body += "<header class=\"page-head\"><h1>" + xml_escape(score.run.scenario) + "</h1>";
  body += "<p class=\"meta\"><span class=\"verdict verdict-" + verdict + "\">" +
          (score.pass ? "PASS" : "FAIL") + "</span> seed " + std::to_string(score.run.seed) +
          " &middot; " + xml_escape(score.run.mode) + " &middot; playbooks " +
          (score.run.playbooks_enabled ? "on" : "off") + "</p></header>\n";
  body += "<nav class=\"toolbar\"><button type=\"button\" id=\"reset-zoom\">Reset zoom</button>"
          "<span class=\"hint\">Drag across a chart to zoom the time axis; double-click to reset. "
          "Hover for exact values.</span></nav>\n";
  body += "<section id=\"timeline-section\"><h2>Timeline</h2><div id=\"timeline\"></div>"
          "<noscript><p>The timeline and charts need JavaScript; the tables below do not.</p>"
          "</noscript></section>\n";
  body += "<section id=\"charts-section\"><h2>SLIs per minute</h2><div id=\"charts\"></div></section>\n";
  body += "<section id=\"report\" class=\"markdown\">\n";
  body += markdown_html(report_markdown(score));
  body += "</section>\n";
  const std::string title = "gameday report: " + score.run.scenario + " (seed " +
                            std::to_string(score.run.seed) + ", " + (score.pass ? "pass" : "fail") + ")";
  return html_page(title, body, data, "report.js");
}

std::string ci_dashboard_html(const CiSummary& summary, const std::string& reports_dir) {
  json scenarios = json::array();
  for (const auto& sc : summary.scenarios) {
    json runs = json::array();
    for (const auto& r : summary.runs) {
      if (r.scenario != sc.plan.name) continue;
      json metrics = json::object();
      for (const auto& [name, v] : r.metrics) metrics[name] = opt_rounded(v, 3);
      json run = {{"seed", r.seed}, {"pass", r.pass}, {"metrics", std::move(metrics)},
                  {"failures", r.failures}, {"steps_not_run", r.steps_not_run},
                  {"replay", replay_command(sc.plan, r.seed)}};
      if (!reports_dir.empty()) {
        std::string dir = reports_dir;
        if (dir.back() != '/') dir += '/';
        run["report"] = dir + r.scenario + "-" + std::to_string(r.seed) + "/report.html";
      }
      runs.push_back(std::move(run));
    }
    json regressions = json::array();
    for (const auto& g : summary.regressions) {
      if (g.scenario != sc.plan.name) continue;
      regressions.push_back({{"metric", g.metric}, {"detail", g.detail},
                             {"replay_seed", g.replay_seed},
                             {"replay", replay_command(sc.plan, g.replay_seed)}});
    }
    scenarios.push_back({{"name", sc.plan.name}, {"file", sc.plan.file}, {"runs", sc.runs},
                         {"passed", sc.passed},
                         {"baseline_ok", sc.baseline_ok ? json(*sc.baseline_ok) : json(nullptr)},
                         {"results", std::move(runs)}, {"regressions", std::move(regressions)}});
  }
  long runs = 0;
  long passed = 0;
  for (const auto& sc : summary.scenarios) {
    runs += sc.runs;
    passed += sc.passed;
  }
  const bool pass = summary.pass();
  json data = {{"pass", pass}, {"runs", runs}, {"passed", passed},
               {"regressions", summary.regressions.size()}, {"scenarios", std::move(scenarios)}};
  std::string body;
  body += "<header class=\"page-head\"><h1>gameday CI</h1><p class=\"meta\"><span class=\"verdict verdict-";
  body += pass ? "pass\">PASS" : "fail\">FAIL";
  body += "</span> " + std::to_string(passed) + " of " + std::to_string(runs) + " runs passed &middot; " +
          std::to_string(summary.regressions.size()) + " regression" +
          (summary.regressions.size() == 1 ? "" : "s") + "</p></header>\n";
  body += "<div id=\"dashboard\"></div>\n";
  return html_page(std::string("gameday CI: ") + (pass ? "pass" : "fail"), body, data, "dashboard.js");
}

}  // namespace gameday
