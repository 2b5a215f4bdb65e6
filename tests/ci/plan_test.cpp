#include <catch2/catch.hpp>

#include <set>
#include <string>
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
