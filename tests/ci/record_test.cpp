#include <catch2/catch.hpp>

#include <iterator>
#include <string>
#include <vector>

#include "ci/record.hpp"
#include "ci/text.hpp"

using namespace gameday;

TEST_CASE("A run record keeps the verdict, CI metrics and failing expectations", "[ci][record]") {
  Score score;
  score.run.scenario = "s";
  score.run.seed = 4;
  score.metrics.ttd_s = 75.5;
  score.metrics.failed = 12;
  score.metrics.failed_ratio = 0.25;
  score.pass = false;
  score.expectations.push_back(ExpectationResult{"ttd <= 1m", "ttd", 75.5, false});
  score.expectations.push_back(ExpectationResult{"ttr <= 20m", "ttr", std::nullopt, false});
  score.expectations.push_back(ExpectationResult{"unsafe <= 0", "unsafe", 0.0, true});
  const RunRecord r = make_run_record(score);
  CHECK(r.scenario == "s");
  CHECK(r.seed == 4);
  CHECK_FALSE(r.pass);
  CHECK(r.metrics.size() == std::size(kCiMetrics));
  CHECK(*r.metrics.at("ttd") == 75.5);
  CHECK_FALSE(r.metrics.at("ttm"));
  CHECK(*r.metrics.at("failed") == 12);
  REQUIRE(r.failures.size() == 2);
  CHECK(r.failures[0] == "ttd <= 1m (actual 1m15s)");
  CHECK(r.failures[1] == "ttr <= 20m (actual n/a)");
  CHECK(format_metric("failed_ratio", 0.012345) == "0.01235");
  CHECK(format_metric("unsafe", 3.0) == "3");
  CHECK(format_metric("ttm", std::nullopt) == "-");
}

TEST_CASE("A run record keeps each incident's id, times and harm counts in the scorer's order", "[ci][record]") {
  Score score;
  score.run.scenario = "s";
  Incident first;
  first.id = "ehr-down";
  first.ttd_s = 42.5;
  first.tta_s = 10;
  first.ttm_s = 130;
  first.failed = 120;
  first.unsafe = 2;
  Incident relapse;
  relapse.id = "ehr-down#2";
  relapse.ttd_s = 12;
  score.incidents = {first, relapse};
  const RunRecord r = make_run_record(score);
  REQUIRE(r.incidents.size() == 2);
  CHECK(r.incidents[0].id == "ehr-down");
  CHECK(r.incidents[0].metrics.size() == std::size(kCiIncidentMetrics));
  CHECK(*r.incidents[0].metrics.at("ttd") == 42.5);
  CHECK(*r.incidents[0].metrics.at("ttm") == 130);
  CHECK_FALSE(r.incidents[0].metrics.at("ttr"));
  CHECK(*r.incidents[0].metrics.at("failed") == 120);
  CHECK(*r.incidents[0].metrics.at("unsafe") == 2);
  CHECK(r.incidents[1].id == "ehr-down#2");
  CHECK_FALSE(r.incidents[1].metrics.at("ttm"));
  CHECK(*r.incidents[1].metrics.at("failed") == 0);
}

TEST_CASE("A step that could not run is described with its playbook, kind and reason", "[ci][record]") {
  StepEndEvent step{"failover-by-script", 1, 1, "route by script", "exec", "failed",
                    "cannot run './failover.sh': No such file or directory", false};
  CHECK(describe_step_not_run(step) ==
        "playbook 'failover-by-script', step 'route by script' (exec): cannot run './failover.sh': "
        "No such file or directory");
  step.rollback = true;
  CHECK(describe_step_not_run(step).find("(exec, rollback): ") != std::string::npos);
}
