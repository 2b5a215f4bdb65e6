#include <catch2/catch.hpp>

#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "ci/plan.hpp"
#include "sweep.hpp"

using namespace gameday;
using namespace gameday::test;

TEST_CASE("Shard strings are i/n with 1 <= i <= n", "[ci][plan]") {
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

TEST_CASE("Shards 1..n partition the work exactly, for n from 1 to 5", "[ci][plan]") {
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

TEST_CASE("Replay commands reproduce one run and quote what the shell would split", "[ci][plan]") {
  CHECK(replay_command(planned("vendor-latency-spike", 7, 1), 9) ==
        "gameday run scenarios/vendor-latency-spike.yaml --seed 9 --out reports/vendor-latency-spike-9");
  PlannedScenario odd{"it's", "my dir/x.yaml", {1}, {}};
  CHECK(replay_command(odd, 1) == "gameday run 'my dir/x.yaml' --seed 1 --out 'reports/it'\\''s-1'");
}

TEST_CASE("An Indexed Job's 0-based JOB_COMPLETION_INDEX i of JOB_COMPLETIONS n is shard i+1 of n", "[ci][plan]") {
  for (const auto& [index, count, want_index, want_count] :
       std::vector<std::tuple<const char*, const char*, int, int>>{
           {"0", "3", 1, 3}, {"1", "3", 2, 3}, {"2", "3", 3, 3}, {"0", "1", 1, 1}, {"7", "08", 8, 8}}) {
    INFO(index << " of " << count);
    const auto s = shard_from_env(index, count);
    REQUIRE(s);
    CHECK(s->index == want_index);
    CHECK(s->count == want_count);
  }
  // Shards from the environment cut the work exactly as --shard does.
  auto [plan, runs] = sweep();
  const auto all = work_items(plan);
  for (int i = 0; i < 3; ++i) {
    const auto from_env = select_shard(all, *shard_from_env(std::to_string(i), "3"));
    const auto from_flag = select_shard(all, *parse_shard(std::to_string(i + 1) + "/3", nullptr));
    REQUIRE(from_env.size() == from_flag.size());
    for (std::size_t k = 0; k < from_env.size(); ++k) {
      CHECK(from_env[k].scenario == from_flag[k].scenario);
      CHECK(from_env[k].seed == from_flag[k].seed);
    }
  }
}

TEST_CASE("Without JOB_COMPLETION_INDEX the environment selects no shard, even with JOB_COMPLETIONS", "[ci][plan]") {
  CHECK_FALSE(shard_from_env(std::nullopt, std::nullopt));
  CHECK_FALSE(shard_from_env(std::nullopt, "3"));
  CHECK_FALSE(shard_from_env(std::nullopt, "not a number"));
}

TEST_CASE("A bad JOB_COMPLETION_INDEX or JOB_COMPLETIONS is an error naming the variable", "[ci][plan]") {
  SECTION("the index without the count") {
    CHECK_THROWS_AS(shard_from_env("1", std::nullopt), std::invalid_argument);
    CHECK_THROWS_WITH(shard_from_env("1", std::nullopt),
                      Catch::StartsWith("JOB_COMPLETION_INDEX=1 is set but JOB_COMPLETIONS is not") &&
                          Catch::Contains("spec.completions") && Catch::Contains("--shard"));
  }
  SECTION("an index that is not a non-negative whole number") {
    for (const char* bad : {"", "-1", "+1", "1.0", "one", " 1", "1 ", "0x1", "1234567"}) {
      INFO("'" << bad << "'");
      CHECK_THROWS_WITH(shard_from_env(bad, "3"), Catch::StartsWith("JOB_COMPLETION_INDEX must be a whole number"));
    }
    CHECK_THROWS_WITH(shard_from_env("x", "3"), Catch::EndsWith("got 'x'"));
  }
  SECTION("a count that is not a positive whole number") {
    for (const char* bad : {"", "0", "000", "-3", "three", "3 ", "1234567"}) {
      INFO("'" << bad << "'");
      CHECK_THROWS_WITH(shard_from_env("0", bad),
                        Catch::StartsWith("JOB_COMPLETIONS must be a whole number of at least 1"));
    }
  }
  SECTION("an index not below the count") {
    CHECK_THROWS_WITH(shard_from_env("3", "3"),
                      "JOB_COMPLETION_INDEX=3 is out of range for JOB_COMPLETIONS=3 (0-based: 0 to 2)");
    CHECK_THROWS_WITH(shard_from_env("9", "1"),
                      Catch::StartsWith("JOB_COMPLETION_INDEX=9 is out of range for JOB_COMPLETIONS=1"));
  }
}
