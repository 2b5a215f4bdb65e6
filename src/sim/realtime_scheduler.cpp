#include "sim/realtime_scheduler.hpp"

#include <algorithm>

namespace gameday {
namespace {

// How often a waiting loop looks at the interrupt flag.
constexpr auto kPoll = std::chrono::milliseconds(50);

}  // namespace

RealTimeScheduler::RealTimeScheduler(double speed)
    : speed_(speed > 0 ? speed : 1.0), start_(std::chrono::steady_clock::now()) {}

SimTime RealTimeScheduler::now() const {
  const auto real = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::steady_clock::now() - start_)
                        .count();
  return static_cast<SimTime>(static_cast<double>(real) * speed_);
}

std::chrono::steady_clock::time_point RealTimeScheduler::when(SimTime t) const {
  const double real_us = static_cast<double>(t) / speed_;
  // Round up: an event must never run before its time.
  return start_ + std::chrono::microseconds(static_cast<std::int64_t>(real_us) + 1);
}

void RealTimeScheduler::at(SimTime t, EventFn fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    heap_.push_back(Item{t, seq_++, std::move(fn)});
    std::push_heap(heap_.begin(), heap_.end(), Later{});
  }
  wake_.notify_one();
}

void RealTimeScheduler::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
  }
  wake_.notify_one();
}

std::size_t RealTimeScheduler::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return heap_.size();
}

void RealTimeScheduler::run_until(SimTime end) {
  std::unique_lock<std::mutex> lock(mu_);
  stopped_ = false;
  while (!stopped_) {
    if (interrupt_ != nullptr && interrupt_->load()) break;
    const SimTime t = now();
    if (!heap_.empty() && heap_.front().t <= t && heap_.front().t <= end) {
      std::pop_heap(heap_.begin(), heap_.end(), Later{});
      EventFn fn = std::move(heap_.back().fn);
      heap_.pop_back();
      ++executed_;
      // Run without the lock: the event schedules more, and other threads post meanwhile.
      lock.unlock();
      fn();
      lock.lock();
      continue;
    }
    if (t >= end) break;
    // Sleep until the next event or the end, whichever is first, waking to poll the flag.
    SimTime next = end;
    if (!heap_.empty()) next = std::min(next, heap_.front().t);
    const auto deadline = std::min(when(next), std::chrono::steady_clock::now() + kPoll);
    wake_.wait_until(lock, deadline);
  }
}

}  // namespace gameday
