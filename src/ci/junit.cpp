#include "ci/junit.hpp"

#include <vector>

#include "ci/text.hpp"

namespace gameday {
namespace {

struct Suite {
  const ScenarioSummary* sc;
  int tests = 0;
  int failures = 0;
};

std::string attr(const char* name, std::string_view value) {
  return std::string(" ") + name + "=\"" + xml_escape(value) + "\"";
}

std::string failure(const std::string& message, const char* type, const std::string& body) {
  return ">\n      <failure" + attr("message", message) + attr("type", type) + ">" + xml_escape(body) +
         "</failure>\n    </testcase>\n";
}

// "step not run: ..." for each step of the run that could not run, one per line.
std::string not_run_lines(const RunRecord& r) {
  std::string out;
  for (const auto& step : r.steps_not_run) out += "step not run: " + step + "\n";
  return out;
}

// The testcase of one run: its failing expectations, the steps that could not run and how to
// replay it (a passing run's steps that could not run go to its system-out).
std::string run_testcase(const PlannedScenario& plan, const std::string& classname, const RunRecord& r) {
  std::string out = "    <testcase" + attr("classname", classname) +
                    attr("name", "seed " + std::to_string(r.seed)) + attr("time", "0");
  if (r.pass && r.steps_not_run.empty()) return out + "/>\n";
  if (r.pass) {
    return out + ">\n      <system-out>" + xml_escape(not_run_lines(r)) + "</system-out>\n    </testcase>\n";
  }
  const std::string message = r.failures.empty() ? "expectations failed" : join(r.failures, "; ");
  std::string body = join(r.failures, "\n");
  body += (body.empty() ? "" : "\n") + not_run_lines(r) + "replay: " + replay_command(plan, r.seed);
  return out + failure(message, "expectation", body);
}

// The "baseline" testcase of a compared scenario: its regressions and how to replay each.
std::string baseline_testcase(const CiSummary& s, const ScenarioSummary& sc, const std::string& classname) {
  std::string out = "    <testcase" + attr("classname", classname) + attr("name", "baseline") + attr("time", "0");
  if (*sc.baseline_ok) return out + "/>\n";
  std::vector<std::string> reasons;
  std::string body;
  for (const Regression& g : s.regressions) {
    if (g.scenario != sc.plan.name) continue;
    reasons.push_back(g.metric + " " + g.detail);
    body += g.metric + " " + g.detail + "\nreplay: " + replay_command(sc.plan, g.replay_seed) + "\n";
  }
  if (!body.empty()) body.pop_back();
  return out + failure("regression: " + join(reasons, "; "), "regression", body);
}

std::string testsuite(const CiSummary& s, const Suite& suite) {
  const ScenarioSummary& sc = *suite.sc;
  const std::string classname = "gameday." + sc.plan.name;
  std::string out = "  <testsuite" + attr("name", sc.plan.name) + attr("tests", std::to_string(suite.tests)) +
                    attr("failures", std::to_string(suite.failures)) + attr("errors", "0") +
                    attr("skipped", "0") + attr("time", "0") + ">\n";
  for (const RunRecord& r : s.runs) {
    if (r.scenario == sc.plan.name) out += run_testcase(sc.plan, classname, r);
  }
  if (sc.baseline_ok) out += baseline_testcase(s, sc, classname);
  // The per-incident figures of the suite's runs, as the terminal shows them.
  const std::string rows = incident_rows(sc);
  if (!rows.empty()) out += "    <system-out>" + xml_escape(rows) + "</system-out>\n";
  return out + "  </testsuite>\n";
}

}  // namespace

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
  for (const Suite& suite : suites) out += testsuite(s, suite);
  out += "</testsuites>\n";
  return out;
}

}  // namespace gameday
