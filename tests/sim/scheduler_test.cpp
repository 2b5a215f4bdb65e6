#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "sim/distribution.hpp"
#include "sim/rng.hpp"
#include "sim/scheduler.hpp"

using namespace gameday;

TEST_CASE("Scheduler runs same-time events in scheduling order", "[sim][scheduler]") {
  VirtualScheduler s;
  std::vector<int> order;
  s.at(5, [&] { order.push_back(2); });
  s.at(1, [&] { order.push_back(1); });
  s.at(5, [&] { order.push_back(3); });
  s.run_until(10);
  REQUIRE(order == std::vector<int>{1, 2, 3});
  REQUIRE(s.now() == 10);
}

TEST_CASE("Scheduler jumps virtual time to each event and stops at the horizon", "[sim][scheduler]") {
  VirtualScheduler s;
  std::vector<SimTime> seen;
  s.at(3 * kSecond, [&] {
    seen.push_back(s.now());
    s.after(kHour, [&] { seen.push_back(s.now()); });
  });
  s.run_until(kMinute);
  REQUIRE(seen == std::vector<SimTime>{3 * kSecond});
  REQUIRE(s.pending() == 1);
  s.run_until(2 * kHour);
  REQUIRE(seen.size() == 2);
  REQUIRE(seen[1] == 3 * kSecond + kHour);
}

TEST_CASE("Scheduler clamps events scheduled in the past to now", "[sim][scheduler]") {
  VirtualScheduler s;
  SimTime ran_at = -1;
  s.at(10, [&] { s.at(2, [&] { ran_at = s.now(); }); });
  s.run_until(100);
  REQUIRE(ran_at == 10);
}

TEST_CASE("A running callback keeps its captures while it schedules hundreds more", "[sim][scheduler]") {
  // Callbacks run where they were scheduled: the slab grows by whole chunks under a running one
  // and must not move it (its captures, read after scheduling, would then be gone).
  VirtualScheduler s;
  std::vector<std::string> seen;
  int late = 0;
  const std::string name(200, 'x');  // a capture past the small-string buffer
  s.at(1, [&s, &seen, &late, name] {
    for (int i = 0; i < 500; ++i) s.at(2 + i, [&late] { ++late; });
    seen.push_back(name);
  });
  s.run_until(10'000);
  REQUIRE(seen == std::vector<std::string>{name});
  REQUIRE(late == 500);
  REQUIRE(s.pending() == 0);
  // A second round runs in the slots the first one freed.
  s.at(20'000, [&] { for (int i = 0; i < 500; ++i) s.after(i, [&late] { ++late; }); });
  s.run_until(30'000);
  REQUIRE(late == 1000);
}

TEST_CASE("Scheduler runs thousands of events in time order and ties in scheduling order", "[sim][scheduler]") {
  // Random times with many ties, some scheduled by running events: the run order must be the
  // order of (time, scheduling order), which is what makes a simulation reproducible.
  VirtualScheduler s;
  Rng rng(42);
  struct Scheduled {
    SimTime t;
    int id;
  };
  std::vector<Scheduled> expected;
  std::vector<int> ran;
  int next_id = 0;
  auto add = [&](SimTime t, auto& self) -> void {
    const int id = next_id++;
    expected.push_back({std::max(t, s.now()), id});
    s.at(t, [&, id] {
      ran.push_back(id);
      if (id % 7 == 0 && next_id < 6000) self(s.now() + static_cast<SimTime>(rng.below(50)), self);
    });
  };
  for (int i = 0; i < 5000; ++i) add(static_cast<SimTime>(rng.below(2000)), add);
  s.run_until(1'000'000);
  std::stable_sort(expected.begin(), expected.end(),
                   [](const Scheduled& a, const Scheduled& b) { return a.t < b.t; });
  std::vector<int> want;
  for (const auto& e : expected) want.push_back(e.id);
  REQUIRE(ran.size() == want.size());
  REQUIRE(ran == want);
}

TEST_CASE("Rng streams are reproducible and independent per component", "[sim][rng]") {
  Rng a = Rng::for_component(7, "vendor");
  Rng b = Rng::for_component(7, "vendor");
  Rng c = Rng::for_component(7, "ehr");
  Rng d = Rng::for_component(8, "vendor");
  const auto x = a.next_u64();
  REQUIRE(x == b.next_u64());
  REQUIRE(x != c.next_u64());
  REQUIRE(x != d.next_u64());
}

TEST_CASE("Rng sampling functions have the expected means", "[sim][rng]") {
  Rng r(42);
  const int n = 200000;
  double su = 0, se = 0, sn = 0, sn2 = 0;
  std::vector<double> logs;
  int below_median = 0;
  for (int i = 0; i < n; ++i) {
    su += r.uniform(2, 4);
    se += r.exponential(0.5);
    const double z = r.normal();
    sn += z;
    sn2 += z * z;
    if (r.lognormal(std::log(3.0), 0.7) < 3.0) ++below_median;
  }
  REQUIRE(su / n == Approx(3.0).epsilon(0.01));
  REQUIRE(se / n == Approx(2.0).epsilon(0.02));
  REQUIRE(sn / n == Approx(0.0).margin(0.01));
  REQUIRE(sn2 / n == Approx(1.0).epsilon(0.02));
  REQUIRE(static_cast<double>(below_median) / n == Approx(0.5).epsilon(0.02));
}

TEST_CASE("Rng below is unbiased over a small range", "[sim][rng]") {
  Rng r(1);
  int counts[3] = {0, 0, 0};
  for (int i = 0; i < 30000; ++i) ++counts[r.below(3)];
  for (int c : counts) REQUIRE(c == Approx(10000).epsilon(0.05));
}

TEST_CASE("A fixed duration distribution always returns its value", "[sim][distribution]") {
  Rng r(3);
  DurationDist d;
  d.kind = DistKind::kFixed;
  d.value = 5 * kSecond;
  REQUIRE(sample(d, r) == 5 * kSecond);
  REQUIRE(describe(d) == "5s");
}

TEST_CASE("A lognormal duration distribution centres on its median", "[sim][distribution]") {
  Rng r(3);
  DurationDist d;
  d.kind = DistKind::kLognormal;
  d.median = 2 * kMinute;
  d.sigma = 0.5;
  int below = 0;
  for (int i = 0; i < 20000; ++i) below += sample(d, r) < 2 * kMinute;
  REQUIRE(below / 20000.0 == Approx(0.5).epsilon(0.03));
}

TEST_CASE("Durations format compactly for people", "[sim][time]") {
  REQUIRE(format_duration(250 * kMillisecond) == "250ms");
  REQUIRE(format_duration(12500 * kMillisecond) == "12.5s");
  REQUIRE(format_duration(4 * kMinute + 5 * kSecond) == "4m05s");
  REQUIRE(format_duration(kHour + 2 * kMinute + 3 * kSecond) == "1h02m03s");
  REQUIRE(format_offset(75 * kSecond) == "T+01:15");
}
