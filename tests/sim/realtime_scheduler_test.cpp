#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "sim/realtime_scheduler.hpp"

using namespace gameday;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TEST_CASE("Real-time scheduler runs events in time order, same-time ones in scheduling order", "[sim][realtime]") {
  RealTimeScheduler s;
  std::vector<int> order;
  s.at(20 * kMillisecond, [&] { order.push_back(3); });
  s.at(5 * kMillisecond, [&] { order.push_back(1); });
  s.at(20 * kMillisecond, [&] { order.push_back(4); });
  s.at(10 * kMillisecond, [&] { order.push_back(2); });
  s.run_until(50 * kMillisecond);
  REQUIRE(order == std::vector<int>{1, 2, 3, 4});
  REQUIRE(s.executed() == 4);
  REQUIRE(s.now() >= 50 * kMillisecond);
}

// No test here bounds how long the wall clock took: a scheduler that overslept would instead
// wait for an event an hour away, and the test's ctest TIMEOUT fails it.

TEST_CASE("Real-time scheduler waits for an event's time and leaves later ones queued", "[sim][realtime]") {
  RealTimeScheduler s;
  SimTime ran_at = -1;
  s.at(30 * kMillisecond, [&] { ran_at = s.now(); });
  s.at(kHour, [] {});
  s.run_until(60 * kMillisecond);
  REQUIRE(ran_at >= 30 * kMillisecond);
  REQUIRE(s.pending() == 1);
}

TEST_CASE("Real-time scheduler speed runs scenario time faster than the wall clock", "[sim][realtime]") {
  // An hour at 20000x is 180 ms of real time; at 1x the run would hang.
  const auto t0 = std::chrono::steady_clock::now();
  RealTimeScheduler s(20000.0);
  bool ran = false;
  s.at(kHour - kMinute, [&] { ran = true; });
  s.run_until(kHour);
  REQUIRE(ran);
  REQUIRE(s.now() >= kHour);
  REQUIRE(seconds_since(t0) >= 0.18);
}

namespace {

// Lets another thread wait until the scheduler's loop has run its first event, so that what it
// does next happens while run_until() is waiting for a far-off event.
struct LoopStarted {
  std::mutex mu;
  std::condition_variable cv;
  bool started = false;
  void mark() {
    std::lock_guard<std::mutex> lock(mu);
    started = true;
    cv.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [this] { return started; });
  }
};

}  // namespace

TEST_CASE("Real-time scheduler runs work posted from another thread on its own thread", "[sim][realtime]") {
  RealTimeScheduler s;
  LoopStarted loop;
  std::thread::id ran_on;
  s.post([&] { loop.mark(); });
  std::thread poster([&] {
    loop.wait();
    s.post([&] {
      ran_on = std::this_thread::get_id();
      s.stop();
    });
  });
  s.run_until(kHour);  // returns only through the posted stop()
  poster.join();
  REQUIRE(ran_on == std::this_thread::get_id());
}

TEST_CASE("Real-time scheduler sees its interrupt flag while it sleeps", "[sim][realtime]") {
  RealTimeScheduler s;
  LoopStarted loop;
  std::atomic<bool> flag{false};
  s.set_interrupt(&flag);
  s.post([&] { loop.mark(); });
  s.at(kHour, [] {});
  std::thread setter([&] {
    loop.wait();
    flag.store(true);
  });
  s.run_until(kHour);  // returns only through the flag
  setter.join();
  REQUIRE(s.pending() == 1);
}
