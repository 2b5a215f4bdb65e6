#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "ci/baseline.hpp"
#include "sweep.hpp"

using namespace gameday;
using namespace gameday::test;

TEST_CASE("A metric within the baseline's tolerance is not a regression", "[ci][baseline]") {
  const std::vector<PlannedScenario> plan = {planned("s", 1, 2)};
  const CiSummary baseline = summarize(plan, {run("s", 1, 100), run("s", 2, 100)});
  // ttm default tolerance: +10% +60 s, so up to 170 s is allowed.
  CiSummary current = summarize(plan, {run("s", 1, 170), run("s", 2, 100)});
  compare_with_baseline(current, baseline);
  CHECK(current.regressions.empty());
  REQUIRE(current.scenarios[0].baseline_ok.has_value());
  CHECK(*current.scenarios[0].baseline_ok);
  CHECK(current.pass());
}

TEST_CASE("A metric worse than the baseline beyond its tolerance is a regression", "[ci][baseline]") {
  const std::vector<PlannedScenario> plan = {planned("s", 1, 2)};
  const CiSummary baseline = summarize(plan, {run("s", 1, 100), run("s", 2, 100)});
  CiSummary current = summarize(plan, {run("s", 1, 100), run("s", 2, 171)});
  compare_with_baseline(current, baseline);
  REQUIRE(current.regressions.size() == 1);
  const Regression& g = current.regressions[0];
  CHECK(g.scenario == "s");
  CHECK(g.metric == "ttm");
  CHECK(g.replay_seed == 2);  // the run with the worst ttm
  CHECK(g.detail.find("p90 2m51s > allowed 2m50s") != std::string::npos);
  CHECK_FALSE(*current.scenarios[0].baseline_ok);
  CHECK_FALSE(current.pass());
}

TEST_CASE("A tolerance override replaces the default with an absolute slack", "[ci][baseline]") {
  std::vector<PlannedScenario> plan = {planned("s", 1, 1)};
  const CiSummary baseline = summarize(plan, {run("s", 1, 100)});
  plan[0].tolerance["ttm"] = 5;  // as from a scenario's ci.tolerance
  CiSummary current = summarize(plan, {run("s", 1, 106)});
  compare_with_baseline(current, baseline);
  REQUIRE(current.regressions.size() == 1);
  CHECK(current.regressions[0].metric == "ttm");

  // An override kept in the baseline applies, and carries on into the new summary.
  std::vector<PlannedScenario> lenient = {planned("s", 1, 1)};
  lenient[0].tolerance["ttm"] = 1000;
  const CiSummary lenient_baseline = summarize(lenient, {run("s", 1, 100)});
  CiSummary later = summarize({planned("s", 1, 1)}, {run("s", 1, 900)});
  compare_with_baseline(later, lenient_baseline);
  CHECK(later.regressions.empty());
  CHECK(later.scenarios[0].plan.tolerance.at("ttm") == 1000);
}

TEST_CASE("A metric that stops happening in more runs than in the baseline regresses", "[ci][baseline]") {
  const std::vector<PlannedScenario> plan = {planned("s", 1, 2)};
  const CiSummary baseline = summarize(plan, {run("s", 1, 100), run("s", 2, 100)});
  CiSummary current = summarize(plan, {run("s", 1, 100), run("s", 2, std::nullopt)});
  compare_with_baseline(current, baseline);
  REQUIRE(current.regressions.size() == 1);
  CHECK(current.regressions[0].replay_seed == 2);
  CHECK(current.regressions[0].detail.find("never happened in 1/2 runs (baseline 0/2)") != std::string::npos);
}

TEST_CASE("Scenarios missing from the baseline are not compared", "[ci][baseline]") {
  const CiSummary baseline = summarize({planned("old", 1, 1)}, {run("old", 1, 1)});
  CiSummary current = summarize({planned("new", 1, 1)}, {run("new", 1, 1e6)});
  compare_with_baseline(current, baseline);
  CHECK(current.regressions.empty());
  CHECK_FALSE(current.scenarios[0].baseline_ok.has_value());
}
