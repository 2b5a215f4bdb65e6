#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "ci/baseline.hpp"
#include "ci/junit.hpp"
#include "sweep.hpp"

using namespace gameday;
using namespace gameday::test;

TEST_CASE("XML escaping covers markup characters, quotes and control characters", "[ci][junit]") {
  CHECK(xml_escape("a<b & \"c\" 'd' >") == "a&lt;b &amp; &quot;c&quot; &apos;d&apos; &gt;");
  CHECK(xml_escape("line1\nline2\tx\r") == "line1&#10;line2&#9;x&#13;");
  CHECK(xml_escape(std::string("bell\x07") + "!") == "bell?!");
  CHECK(xml_escape("ümlaut") == "ümlaut");  // UTF-8 passes through
}

TEST_CASE("JUnit XML has a testcase per run and a failure per failed run", "[ci][junit]") {
  std::vector<PlannedScenario> plan = {planned("a&b <x>", 1, 2), planned("plain", 5, 1)};
  std::vector<RunRecord> runs = {run("a&b <x>", 1, 1.0, false), run("a&b <x>", 2, 1.0), run("plain", 5, 1.0)};
  runs[0].failures = {"ttm <= 10m (actual \"31m\")"};
  const std::string xml = junit_xml(summarize(plan, runs));
  CHECK(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", 0) == 0);
  CHECK(count_of(xml, "<testcase ") == 3);
  CHECK(count_of(xml, "<failure ") == 1);
  CHECK(count_of(xml, "<testsuite ") == 2);
  CHECK(xml.find("tests=\"3\" failures=\"1\"") != std::string::npos);
  CHECK(xml.find("name=\"a&amp;b &lt;x&gt;\"") != std::string::npos);
  CHECK(xml.find("actual &quot;31m&quot;") != std::string::npos);
  CHECK(xml.find("a&b") == std::string::npos);
  // The failure says how to replay it (the name is shell-quoted in the path).
  CHECK(xml.find("replay: gameday run scenarios/a&amp;b &lt;x&gt;.yaml") == std::string::npos);
  CHECK(xml.find("replay: gameday run &apos;scenarios/a&amp;b &lt;x&gt;.yaml&apos; --seed 1") != std::string::npos);
}

TEST_CASE("A baseline comparison adds one baseline testcase per compared scenario", "[ci][junit]") {
  const std::vector<PlannedScenario> plan = {planned("s", 1, 1)};
  const CiSummary baseline = summarize(plan, {run("s", 1, 10)});
  CiSummary current = summarize(plan, {run("s", 1, 1000)});
  compare_with_baseline(current, baseline);
  const std::string xml = junit_xml(current);
  CHECK(count_of(xml, "<testcase ") == 2);
  CHECK(xml.find("name=\"baseline\"") != std::string::npos);
  CHECK(xml.find("type=\"regression\"") != std::string::npos);
  CHECK(xml.find("tests=\"2\" failures=\"1\"") != std::string::npos);
}

TEST_CASE("JUnit XML names the steps that could not run in a run's testcase", "[ci][junit]") {
  const std::vector<PlannedScenario> plan = {planned("s", 1, 2)};
  std::vector<RunRecord> runs = {run("s", 1, 1.0, false), run("s", 2, 1.0)};
  runs[0].steps_not_run = {"playbook 'p', step 'x' (exec): cannot run './x.sh': No such file or directory"};
  runs[1].steps_not_run = {"playbook 'p', step 'tell' (notify): webhook unreachable: refused"};
  const std::string xml = junit_xml(summarize(plan, runs));
  CHECK(count_of(xml, "<failure ") == 1);
  CHECK(xml.find("step not run: playbook &apos;p&apos;, step &apos;x&apos; (exec): cannot run") !=
        std::string::npos);
  // A passing run keeps its verdict and names the step in its output.
  CHECK(xml.find("<system-out>step not run: playbook &apos;p&apos;, step &apos;tell&apos; (notify)") !=
        std::string::npos);
}

TEST_CASE("JUnit XML lists a scenario's incident figures in its suite's system-out", "[ci][junit]") {
  auto [plan, runs] = sweep();
  const std::string xml = junit_xml(summarize(plan, runs));
  // Only "mid" had incidents: one suite-level system-out, after its testcases.
  CHECK(count_of(xml, "<system-out>") == 1);
  const auto at = xml.find("<system-out>  incident slow: in 4/4 runs; failed p90 10, unsafe p90 0&#10;");
  REQUIRE(at != std::string::npos);
  CHECK(xml.find("TTR 5m02s/5m03s (3/4 runs)", at) != std::string::npos);
  CHECK(xml.find("</system-out>\n  </testsuite>", at) != std::string::npos);
}
