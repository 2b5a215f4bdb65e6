#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
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

TEST_CASE("Real-time scheduler waits for an event's time and leaves later ones queued", "[sim][realtime]") {
  RealTimeScheduler s;
  SimTime ran_at = -1;
  s.at(30 * kMillisecond, [&] { ran_at = s.now(); });
  s.at(10 * kSecond, [] {});
  const auto t0 = std::chrono::steady_clock::now();
  s.run_until(60 * kMillisecond);
  REQUIRE(ran_at >= 30 * kMillisecond);
  REQUIRE(seconds_since(t0) < 2.0);
  REQUIRE(s.pending() == 1);
}

TEST_CASE("Real-time scheduler speed runs scenario time faster than the wall clock", "[sim][realtime]") {
  RealTimeScheduler s(100.0);
  bool ran = false;
  s.at(5 * kSecond, [&] { ran = true; });
  const auto t0 = std::chrono::steady_clock::now();
  s.run_until(6 * kSecond);  // 60 ms of real time
  const double took = seconds_since(t0);
  REQUIRE(ran);
  REQUIRE(took >= 0.05);
  REQUIRE(took < 1.0);
}

TEST_CASE("Real-time scheduler runs work posted from another thread on its own thread", "[sim][realtime]") {
  RealTimeScheduler s;
  std::thread::id ran_on;
  std::thread poster([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    s.post([&] {
      ran_on = std::this_thread::get_id();
      s.stop();
    });
  });
  const auto t0 = std::chrono::steady_clock::now();
  s.run_until(10 * kSecond);
  poster.join();
  REQUIRE(ran_on == std::this_thread::get_id());
  REQUIRE(seconds_since(t0) < 2.0);
}

TEST_CASE("Real-time scheduler sees its interrupt flag while it sleeps", "[sim][realtime]") {
  RealTimeScheduler s;
  std::atomic<bool> flag{false};
  s.set_interrupt(&flag);
  s.at(kMinute, [] {});
  std::thread setter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    flag.store(true);
  });
  const auto t0 = std::chrono::steady_clock::now();
  s.run_until(kMinute);
  setter.join();
  REQUIRE(seconds_since(t0) < 1.0);
  REQUIRE(s.pending() == 1);
}
