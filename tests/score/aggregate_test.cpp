#include <catch2/catch.hpp>

#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "score/aggregate.hpp"

using namespace gameday;

namespace {

/// A run with every CI metric set from `ttm` (others fixed) and a verdict.
RunRecord run(const std::string& scenario, std::uint64_t seed, std::optional<double> ttm,
              bool pass = true) {
  RunRecord r;
  r.scenario = scenario;
  r.seed = seed;
  r.pass = pass;
  for (const char* m : kCiMetrics) r.metrics[m] = 10.0;
  r.metrics["ttm"] = ttm;
  r.metrics["failed"] = 100.0 + static_cast<double>(seed);
  r.metrics["unsafe"] = 0.0;
  r.metrics["failed_ratio"] = 0.01 * static_cast<double>(seed);
  if (!pass) r.failures.push_back("ttm <= 10m (actual 31m)");
  return r;
}

PlannedScenario planned(const std::string& name, std::uint64_t base, int seeds) {
  return PlannedScenario{name, "scenarios/" + name + ".yaml", ci_seeds(base, seeds), {}};
}

/// Three scenarios × four seeds, with a few failures and missing metrics.
std::pair<std::vector<PlannedScenario>, std::vector<RunRecord>> sweep() {
  std::vector<PlannedScenario> plan = {planned("zeta", 1, 4), planned("alpha", 7, 4),
                                       planned("mid", 100, 4)};
  std::vector<RunRecord> runs;
  for (const auto& p : plan) {
    for (std::uint64_t seed : p.seeds) {
      const bool never = p.name == "mid" && seed == 101;
      runs.push_back(run(p.name, seed, never ? std::nullopt : std::optional<double>(60.0 * seed),
                         !(p.name == "zeta" && seed == 3)));
    }
  }
  return {plan, runs};
}

int count_of(const std::string& hay, const std::string& needle) {
  int n = 0;
  for (auto pos = hay.find(needle); pos != std::string::npos; pos = hay.find(needle, pos + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("Nearest-rank percentiles pick observed values", "[aggregate]") {
  CHECK_FALSE(percentile({}, 50));
  CHECK(*percentile({42}, 50) == 42);
  CHECK(*percentile({42}, 90) == 42);
  CHECK(*percentile({2, 1}, 50) == 1);
  CHECK(*percentile({2, 1}, 90) == 2);
  const std::vector<double> ten = {10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
  CHECK(*percentile(ten, 50) == 5);
  CHECK(*percentile(ten, 90) == 9);
  CHECK(*percentile(ten, 100) == 10);
  CHECK(*percentile({1, 2, 3}, 50) == 2);
}

TEST_CASE("Aggregates exclude and count runs in which a metric never happened", "[aggregate]") {
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

TEST_CASE("Summaries reject duplicate runs, unplanned seeds and duplicate names", "[aggregate]") {
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

TEST_CASE("A metric within the baseline's tolerance is not a regression", "[aggregate][baseline]") {
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

TEST_CASE("A metric worse than the baseline beyond its tolerance is a regression", "[aggregate][baseline]") {
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

TEST_CASE("A tolerance override replaces the default with an absolute slack", "[aggregate][baseline]") {
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

TEST_CASE("A metric that stops happening in more runs than in the baseline regresses", "[aggregate][baseline]") {
  const std::vector<PlannedScenario> plan = {planned("s", 1, 2)};
  const CiSummary baseline = summarize(plan, {run("s", 1, 100), run("s", 2, 100)});
  CiSummary current = summarize(plan, {run("s", 1, 100), run("s", 2, std::nullopt)});
  compare_with_baseline(current, baseline);
  REQUIRE(current.regressions.size() == 1);
  CHECK(current.regressions[0].replay_seed == 2);
  CHECK(current.regressions[0].detail.find("never happened in 1/2 runs (baseline 0/2)") != std::string::npos);
}

TEST_CASE("Scenarios missing from the baseline are not compared", "[aggregate][baseline]") {
  const CiSummary baseline = summarize({planned("old", 1, 1)}, {run("old", 1, 1)});
  CiSummary current = summarize({planned("new", 1, 1)}, {run("new", 1, 1e6)});
  compare_with_baseline(current, baseline);
  CHECK(current.regressions.empty());
  CHECK_FALSE(current.scenarios[0].baseline_ok.has_value());
}

TEST_CASE("Shard strings are i/n with 1 <= i <= n", "[aggregate][shard]") {
  std::string error;
  auto s = parse_shard("2/5", &error);
  REQUIRE(s);
  CHECK(s->index == 2);
  CHECK(s->count == 5);
  CHECK(parse_shard("1/1", nullptr));
  for (const char* bad : {"3/2", "0/2", "1/0", "a/b", "1", "", "1/2/3", "-1/2", "1 /2"}) {
    INFO(bad);
    CHECK_FALSE(parse_shard(bad, &error));
  }
  CHECK(error.find("i/n") != std::string::npos);
}

TEST_CASE("Shards 1..n partition the work exactly, for n from 1 to 5", "[aggregate][shard]") {
  auto [plan, runs] = sweep();
  const auto all = work_items(plan);
  REQUIRE(all.size() == 12);
  // Stable order: scenarios by name, then seeds.
  CHECK(plan[all.front().scenario].name == "alpha");
  CHECK(plan[all.back().scenario].name == "zeta");
  for (int n = 1; n <= 5; ++n) {
    std::multiset<std::pair<std::size_t, std::uint64_t>> seen;
    std::size_t largest = 0, smallest = all.size();
    for (int i = 1; i <= n; ++i) {
      const auto mine = select_shard(all, Shard{i, n});
      largest = std::max(largest, mine.size());
      smallest = std::min(smallest, mine.size());
      for (const auto& w : mine) seen.emplace(w.scenario, w.seed);
    }
    INFO("n = " << n);
    CHECK(seen.size() == all.size());
    for (const auto& w : all) CHECK(seen.count({w.scenario, w.seed}) == 1);
    CHECK(largest - smallest <= 1);  // balanced
  }
}

TEST_CASE("Merging shard summaries gives the unsharded summary byte for byte", "[aggregate][shard]") {
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

TEST_CASE("Merging refuses a missing shard, an overlap and different plans", "[aggregate][shard]") {
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

TEST_CASE("A summary survives a JSON round trip unchanged", "[aggregate]") {
  auto [plan, runs] = sweep();
  plan[0].tolerance["failed_ratio"] = 0.02;
  CiSummary s = summarize(plan, runs);
  const CiSummary baseline = summarize(plan, runs);
  compare_with_baseline(s, baseline);
  const std::string text = summary_json(s);
  CHECK(summary_json(parse_summary_json(text)) == text);
  CHECK(text.find("\"failed\": 101") != std::string::npos);  // counts print as integers
  CHECK(text.back() == '\n');
}

TEST_CASE("Parsing a summary names what is wrong", "[aggregate]") {
  CHECK_THROWS_WITH(parse_summary_json("{"), Catch::Contains("not JSON"));
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

TEST_CASE("XML escaping covers markup characters, quotes and control characters", "[aggregate][junit]") {
  CHECK(xml_escape("a<b & \"c\" 'd' >") == "a&lt;b &amp; &quot;c&quot; &apos;d&apos; &gt;");
  CHECK(xml_escape("line1\nline2\tx\r") == "line1&#10;line2&#9;x&#13;");
  CHECK(xml_escape(std::string("bell\x07") + "!") == "bell?!");
  CHECK(xml_escape("ümlaut") == "ümlaut");  // UTF-8 passes through
}

TEST_CASE("JUnit XML has a testcase per run and a failure per failed run", "[aggregate][junit]") {
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

TEST_CASE("A baseline comparison adds one baseline testcase per compared scenario", "[aggregate][junit]") {
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

TEST_CASE("Replay commands reproduce one run and quote what the shell would split", "[aggregate]") {
  CHECK(replay_command(planned("vendor-latency-spike", 7, 1), 9) ==
        "gameday run scenarios/vendor-latency-spike.yaml --seed 9 --out reports/vendor-latency-spike-9");
  PlannedScenario odd{"it's", "my dir/x.yaml", {1}, {}};
  CHECK(replay_command(odd, 1) == "gameday run 'my dir/x.yaml' --seed 1 --out 'reports/it'\\''s-1'");
}

TEST_CASE("A run record keeps the verdict, CI metrics and failing expectations", "[aggregate]") {
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
