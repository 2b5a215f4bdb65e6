#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "ci/baseline.hpp"
#include "ci/junit.hpp"
#include "sweep.hpp"

using namespace gameday;
using namespace gameday::test;

TEST_CASE("Aggregates exclude and count runs in which a metric never happened", "[ci][summary]") {
  auto [plan, runs] = sweep();
  const CiSummary s = summarize(plan, runs);
  REQUIRE(s.scenarios.size() == 3);
  CHECK(s.scenarios[0].plan.name == "alpha");
  CHECK(s.scenarios[2].plan.name == "zeta");
  const ScenarioSummary& mid = s.scenarios[1];
  CHECK(mid.runs == 4);
  CHECK(mid.passed == 4);
  const MetricStats& ttm = mid.metrics.at("ttm");
  CHECK(ttm.samples == 3);
  CHECK(ttm.missing == 1);
  CHECK(*ttm.p50 == 60.0 * 102);  // of {6000, 6120, 6180}
  CHECK(*ttm.p90 == 60.0 * 103);
  CHECK(s.scenarios[2].passed == 3);
  CHECK_FALSE(s.pass());
  // Runs come out sorted by scenario, then seed.
  CHECK(s.runs.front().scenario == "alpha");
  CHECK(s.runs.front().seed == 7);
  CHECK(s.runs.back().scenario == "zeta");
  CHECK(s.runs.back().seed == 4);
}

TEST_CASE("Per-incident aggregates rest on the runs in which the incident occurred and reached each time", "[ci][summary]") {
  auto [plan, runs] = sweep();
  const CiSummary s = summarize(plan, runs);
  CHECK(s.scenarios[0].incidents.empty());  // alpha's runs had none
  const ScenarioSummary& mid = s.scenarios[1];
  REQUIRE(mid.incidents.size() == 2);
  const IncidentSummary& slow = mid.incidents[0];
  CHECK(slow.id == "slow");
  CHECK(slow.runs == 4);
  CHECK(*slow.metrics.at("ttd").p50 == 41);
  CHECK(*slow.metrics.at("ttd").p90 == 43);
  CHECK(slow.metrics.at("ttd").samples == 4);
  // Never recovered at seed 101: three runs carry TTR, one is missing.
  CHECK(slow.metrics.at("ttr").samples == 3);
  CHECK(slow.metrics.at("ttr").missing == 1);
  CHECK(*slow.metrics.at("ttr").p50 == 302);
  CHECK(*slow.metrics.at("ttr").p90 == 303);
  CHECK(*slow.metrics.at("failed").p90 == 10);
  // The relapse occurred in one run only and was never mitigated there.
  const IncidentSummary& relapse = mid.incidents[1];
  CHECK(relapse.id == "slow#2");
  CHECK(relapse.runs == 1);
  CHECK(*relapse.metrics.at("ttd").p90 == 20);
  CHECK(relapse.metrics.at("ttm").samples == 0);
  CHECK(relapse.metrics.at("ttm").missing == 1);
  CHECK_FALSE(relapse.metrics.at("ttm").p50);
}

TEST_CASE("Incidents are ordered by their earliest place in a run, then by id, and counted once per run", "[ci][summary]") {
  const std::vector<PlannedScenario> plan = {planned("s", 1, 3)};
  std::vector<RunRecord> runs = {run("s", 1, 1.0), run("s", 2, 1.0), run("s", 3, 1.0)};
  runs[0].incidents = {incident("vendor", 1, 2, 3), incident("ehr", 1, 2, 3)};
  runs[1].incidents = {incident("ehr", 1, 2, 3), incident("vendor", 1, 2, 3), incident("ehr", 9, 9, 9)};
  runs[2].incidents = {incident("zz-late", 1, 2, 3), incident("aa-late", 1, 2, 3)};
  const CiSummary s = summarize(plan, runs);
  const auto& xs = s.scenarios[0].incidents;
  REQUIRE(xs.size() == 4);
  CHECK(xs[0].id == "ehr");
  CHECK(xs[1].id == "vendor");
  CHECK(xs[2].id == "zz-late");
  CHECK(xs[3].id == "aa-late");
  // "ehr" twice in one run counts that run once, with its first occurrence.
  CHECK(xs[0].runs == 2);
  CHECK(*xs[0].metrics.at("ttd").p90 == 1);
}

TEST_CASE("Summaries reject duplicate runs, unplanned seeds and duplicate names", "[ci][summary]") {
  auto [plan, runs] = sweep();
  auto dup = runs;
  dup.push_back(runs.front());
  CHECK_THROWS_AS(summarize(plan, dup), std::invalid_argument);
  auto stray = runs;
  stray.push_back(run("alpha", 999, 1.0));
  CHECK_THROWS_AS(summarize(plan, stray), std::invalid_argument);
  auto twice = plan;
  twice.push_back(planned("alpha", 1, 1));
  CHECK_THROWS_AS(summarize(twice, {}), std::invalid_argument);
}

TEST_CASE("Merging shard summaries gives the unsharded summary byte for byte", "[ci][summary]") {
  auto [plan, runs] = sweep();
  const std::string whole = summary_json(summarize(plan, runs));
  const auto all = work_items(plan);
  for (int n = 1; n <= 4; ++n) {
    std::vector<CiSummary> parts;
    for (int i = 1; i <= n; ++i) {
      std::vector<RunRecord> mine;
      for (const auto& w : select_shard(all, Shard{i, n})) {
        for (const auto& r : runs) {
          if (r.scenario == plan[w.scenario].name && r.seed == w.seed) mine.push_back(r);
        }
      }
      // Through JSON, as between machines.
      const std::string text = summary_json(summarize(plan, mine, Shard{i, n}));
      CHECK(text.find("\"shard\"") != std::string::npos);
      parts.push_back(parse_summary_json(text));
    }
    const CiSummary merged = merge_summaries(parts);
    INFO("n = " << n);
    CHECK(summary_json(merged) == whole);
    CHECK(junit_xml(merged) == junit_xml(summarize(plan, runs)));
  }
}

TEST_CASE("Merging refuses a missing shard, an overlap and different plans", "[ci][summary]") {
  // Not a structured binding: the lambda below captures these, which clang 14 cannot do.
  const auto swept = sweep();
  const auto& plan = swept.first;
  const auto& runs = swept.second;
  const auto all = work_items(plan);
  auto part = [&](int i, int n) {
    std::vector<RunRecord> mine;
    for (const auto& w : select_shard(all, Shard{i, n})) {
      for (const auto& r : runs) {
        if (r.scenario == plan[w.scenario].name && r.seed == w.seed) mine.push_back(r);
      }
    }
    return summarize(plan, mine, Shard{i, n});
  };
  CHECK_THROWS_WITH(merge_summaries({part(1, 2)}), Catch::Contains("in no summary"));
  CHECK_THROWS_WITH(merge_summaries({part(1, 2), part(1, 2), part(2, 2)}), Catch::Contains("twice"));
  auto other_plan = plan;
  other_plan[0].seeds.push_back(99);
  const CiSummary foreign = summarize(other_plan, {});
  CHECK_THROWS_WITH(merge_summaries({part(1, 2), foreign}), Catch::Contains("different plan"));
  CHECK_THROWS_AS(merge_summaries({}), std::invalid_argument);
}

TEST_CASE("A summary survives a JSON round trip unchanged", "[ci][summary]") {
  auto [plan, runs] = sweep();
  plan[0].tolerance["failed_ratio"] = 0.02;
  runs[2].steps_not_run = {"playbook 'p', step 'x' (exec): cannot run './x.sh': not found in PATH"};
  CiSummary s = summarize(plan, runs);
  const CiSummary baseline = summarize(plan, runs);
  compare_with_baseline(s, baseline);
  const std::string text = summary_json(s);
  CHECK(summary_json(parse_summary_json(text)) == text);
  // Only a run with steps that could not run has the key.
  CHECK(count_of(text, "\"steps_not_run\"") == 1);
  CHECK(text.find("\"failed\": 101") != std::string::npos);  // counts print as integers
  CHECK(text.back() == '\n');
  // Per-incident aggregates and each run's incidents come back too.
  const CiSummary back = parse_summary_json(text);
  REQUIRE(back.scenarios[1].incidents.size() == 2);
  CHECK(back.scenarios[1].incidents[1].id == "slow#2");
  CHECK(back.scenarios[1].incidents[0].metrics.at("ttr").missing == 1);
  CHECK(text.find("\"id\": \"slow#2\",\n          \"runs\": 1") != std::string::npos);
}

TEST_CASE("A summary written before per-incident figures parses with no incidents", "[ci][summary]") {
  const CiSummary b = parse_summary_json(
      R"({"format": "gameday-ci-summary", "version": 1,
          "scenarios": [{"scenario": "x", "metrics": {"ttm": {"p50": 60, "p90": 90}}}],
          "runs": [{"scenario": "x", "seed": 1, "verdict": "pass", "metrics": {"ttm": 60}}]})");
  REQUIRE(b.scenarios.size() == 1);
  CHECK(b.scenarios[0].incidents.empty());
  REQUIRE(b.runs.size() == 1);
  CHECK(b.runs[0].incidents.empty());
  CHECK_THROWS_WITH(
      parse_summary_json(R"({"format": "gameday-ci-summary", "version": 1, "scenarios": [{"scenario": "x", "metrics": {}, "incidents": [{"id": "a", "metrics": {"ttd": {"p90": "x"}}}]}]})"),
      Catch::Contains("scenarios[0].incidents[0].metrics.ttd.p90"));
}

TEST_CASE("Parsing a summary names what is wrong", "[ci][summary]") {
  CHECK_THROWS_WITH(parse_summary_json("{"), Catch::Contains("not JSON"));
  CHECK_THROWS_WITH(parse_summary_json(R"({"format": 1e400})"), Catch::Contains("not JSON: a number too large"));
  CHECK_THROWS_WITH(parse_summary_json("{\"a\": 1}"), Catch::Contains("not a gameday ci summary"));
  CHECK_THROWS_WITH(
      parse_summary_json(R"({"format": "gameday-ci-summary", "version": 1, "scenarios": [{"scenario": "x", "metrics": {"ttd": {"p50": "slow"}}}]})"),
      Catch::Contains("scenarios[0].metrics.ttd.p50"));
  // A hand-written baseline needs only scenario aggregates.
  const CiSummary b = parse_summary_json(
      R"({"format": "gameday-ci-summary", "version": 1, "scenarios": [{"scenario": "x", "tolerance": {"ttm": 30}, "metrics": {"ttm": {"p50": 60, "p90": 90}}}]})");
  REQUIRE(b.scenarios.size() == 1);
  CHECK(*b.scenarios[0].metrics.at("ttm").p90 == 90);
  CHECK(b.scenarios[0].plan.tolerance.at("ttm") == 30);
}
