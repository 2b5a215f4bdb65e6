#include "sim/realtime_scheduler.hpp"

#include <algorithm>

namespace gameday {
namespace {

// How often a waiting loop looks at the interrupt flag.
constexpr auto kPoll = std::chrono::milliseconds(50);

}  // namespace

RealTimeScheduler::RealTimeScheduler(double speed)
    : speed_(speed > 0 ? speed : 1.0), base_wall_(std::chrono::steady_clock::now()) {}

void RealTimeScheduler::restart_clock() {
  std::lock_guard<std::mutex> lock(clock_mu_);
  base_sim_ = 0;
  base_wall_ = std::chrono::steady_clock::now();
}

SimTime RealTimeScheduler::now_locked(std::chrono::steady_clock::time_point wall) const {
  if (paused_) return base_sim_;
  const auto real = std::chrono::duration_cast<std::chrono::microseconds>(wall - base_wall_).count();
  return base_sim_ + static_cast<SimTime>(static_cast<double>(real) * speed_);
}

SimTime RealTimeScheduler::now() const {
  std::lock_guard<std::mutex> lock(clock_mu_);
  return now_locked(std::chrono::steady_clock::now());
}

std::chrono::steady_clock::time_point RealTimeScheduler::when(SimTime t) const {
  std::lock_guard<std::mutex> lock(clock_mu_);
  if (paused_) return std::chrono::steady_clock::now() + std::chrono::hours(24);
  const double real_us = static_cast<double>(t - base_sim_) / speed_;
  // Round up: an event must never run before its time.
  return base_wall_ + std::chrono::microseconds(static_cast<std::int64_t>(real_us) + 1);
}

double RealTimeScheduler::speed() const {
  std::lock_guard<std::mutex> lock(clock_mu_);
  return speed_;
}

bool RealTimeScheduler::paused() const {
  std::lock_guard<std::mutex> lock(clock_mu_);
  return paused_;
}

void RealTimeScheduler::set_speed(double speed) {
  if (!(speed > 0)) return;
  {
    std::lock_guard<std::mutex> lock(clock_mu_);
    const auto wall = std::chrono::steady_clock::now();
    base_sim_ = now_locked(wall);
    base_wall_ = wall;
    speed_ = speed;
  }
  wake_.notify_one();
}

void RealTimeScheduler::pause() {
  {
    std::lock_guard<std::mutex> lock(clock_mu_);
    if (paused_) return;
    const auto wall = std::chrono::steady_clock::now();
    base_sim_ = now_locked(wall);
    base_wall_ = wall;
    paused_ = true;
  }
  wake_.notify_one();
}

void RealTimeScheduler::resume() {
  {
    std::lock_guard<std::mutex> lock(clock_mu_);
    if (!paused_) return;
    base_wall_ = std::chrono::steady_clock::now();
    paused_ = false;
  }
  wake_.notify_one();
}

void RealTimeScheduler::at(SimTime t, EventFn fn) { at_place(t, reserve_place(), std::move(fn)); }

std::uint64_t RealTimeScheduler::reserve_place() {
  std::lock_guard<std::mutex> lock(mu_);
  return seq_++;
}

void RealTimeScheduler::at_place(SimTime t, std::uint64_t place, EventFn fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    heap_.push_back(Item{t, place, std::move(fn)});
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
