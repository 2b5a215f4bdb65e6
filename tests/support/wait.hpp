#pragma once
// Waiting in tests that run real threads, sockets or processes: wait for the condition itself,
// never for a fixed time, and never bound how long something legitimately takes. Only a hang
// reaches kHangLimit, which is shorter than ctest's TIMEOUT so the test's own message shows.
#include <chrono>
#include <cstdint>
#include <thread>

namespace test_support {

/// How long a test waits for something that must happen before it calls it a hang.
inline constexpr std::chrono::seconds kHangLimit{30};

/// kHangLimit in microseconds (gameday's Duration, sim/time.hpp): the timeout of a request or
/// process that must finish.
inline constexpr std::int64_t kHangLimitUs = std::chrono::microseconds(kHangLimit).count();

/// Polls `done()` until it returns true (then true) or `limit` passes (then false).
template <class Predicate>
bool wait_until(Predicate done, std::chrono::milliseconds limit = kHangLimit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace test_support
