#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/realtime_scheduler.hpp"
#include "sim/scheduler.hpp"
#include "sim/timeouts.hpp"

using namespace gameday;

namespace {

// A client-like workload on one scheduler: every 7 µs a call starts, arms a 30 µs timeout and
// schedules its own answer 1 to 40 µs later (so answers and timeouts fall on the same times);
// an answer disarms the timeout unless it fired first. Timeouts go through a TimeoutQueue, or
// (`queue` false) each through scheduler.after() as a plain event. Returns what ran, in order.
std::vector<std::string> client_run(bool queue) {
  VirtualScheduler s;
  TimeoutQueue timeouts(s, 30);
  std::vector<std::string> ran;
  std::uint64_t x = 0x9E3779B97F4A7C15ULL;
  for (int call = 0; call < 400; ++call) {
    s.at(call * 7, [&, call] {
      auto answered = std::make_shared<bool>(false);
      auto timed_out = std::make_shared<bool>(false);
      const std::string name = std::to_string(call);
      auto on_timeout = [&ran, name, answered, timed_out] {
        if (*answered) return;  // a stale timeout does nothing
        *timed_out = true;
        ran.push_back("timeout " + name);
      };
      std::uint64_t token = 0;
      if (queue) {
        token = timeouts.arm(on_timeout);
      } else {
        s.after(30, on_timeout);
      }
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      s.after(static_cast<Duration>(1 + x % 40), [&, name, answered, timed_out, token] {
        if (*timed_out) return;
        *answered = true;
        if (queue) timeouts.disarm(token);
        ran.push_back("answer " + name);
        // Some answers start a follow-up call with its own timeout, from inside an event.
        if (name.back() == '3') {
          auto follow_up = [&ran, name] { ran.push_back("follow-up timeout " + name); };
          if (queue) {
            timeouts.arm(follow_up);
          } else {
            s.after(30, follow_up);
          }
        }
      });
    });
  }
  s.run_until(kNever - 1);
  REQUIRE(timeouts.armed() == 0);
  return ran;
}

}  // namespace

TEST_CASE("Queued timeouts run at the times and in the places plain scheduled ones would", "[sim][timeouts]") {
  const std::vector<std::string> plain = client_run(false);
  const std::vector<std::string> queued = client_run(true);
  REQUIRE(queued == plain);
  // The workload exercises both outcomes and same-time ties.
  const auto count = [&](const std::string& prefix) {
    std::size_t n = 0;
    for (const auto& r : plain) n += r.rfind(prefix, 0) == 0;
    return n;
  };
  CHECK(count("timeout ") > 20);
  CHECK(count("answer ") > 200);
  CHECK(count("follow-up timeout ") > 10);
}

TEST_CASE("A disarmed timeout never runs and leaves no event waiting in the scheduler", "[sim][timeouts]") {
  VirtualScheduler s;
  TimeoutQueue timeouts(s, 10 * kSecond);
  int ran = 0;
  SimTime ran_at = -1;
  std::vector<std::uint64_t> tokens;
  for (int i = 0; i < 1000; ++i) {
    tokens.push_back(timeouts.arm([&] {
      ++ran;
      ran_at = s.now();
    }));
  }
  // One event in the scheduler serves all of them.
  CHECK(s.pending() == 1);
  CHECK(timeouts.armed() == 1000);
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (i != 500) timeouts.disarm(tokens[i]);
  }
  timeouts.disarm(tokens[3]);  // twice: nothing more
  CHECK(timeouts.armed() == 1);
  s.run_until(kNever - 1);
  CHECK(ran == 1);
  CHECK(ran_at == 10 * kSecond);
  CHECK(s.pending() == 0);
  CHECK(s.executed() == 2);  // the event for the first (disarmed by then), then the one for #500
  timeouts.disarm(tokens[500]);  // already ran: nothing
  timeouts.disarm(123456);       // never armed: nothing
  CHECK(timeouts.armed() == 0);
}

TEST_CASE("A timeout's callback destroyed on disarm releases what it captured at once", "[sim][timeouts]") {
  VirtualScheduler s;
  TimeoutQueue timeouts(s, kSecond);
  auto held = std::make_shared<int>(7);
  const std::uint64_t token = timeouts.arm([held] { (void)held; });
  CHECK(held.use_count() == 2);
  timeouts.disarm(token);
  CHECK(held.use_count() == 1);
}

TEST_CASE("The real-time scheduler runs an event in a reserved place among same-time events", "[sim][timeouts]") {
  RealTimeScheduler s(1000.0);
  std::vector<int> order;
  const std::uint64_t place = s.reserve_place();
  s.at(0, [&] { order.push_back(2); });
  s.at_place(0, place, [&] { order.push_back(1); });
  s.at(5, [&] {
    order.push_back(3);
    s.stop();
  });
  s.run_until(kHour);
  REQUIRE(order == std::vector<int>{1, 2, 3});
}
