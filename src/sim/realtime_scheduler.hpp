#pragma once
// The real-time scheduler of live drills: a steady-clock event loop that sleeps until the next
// event. Same contract as VirtualScheduler (events in (time, sequence) order on one thread), but
// now() follows the OS monotonic clock, so a run is not reproducible (and need not be).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

#include "sim/scheduler.hpp"

namespace gameday {

/// Runs events at real times. now() is the steady-clock time since construction multiplied by
/// `speed` (2.0: scenario time runs twice as fast as the wall clock); a facilitator may pause
/// the clock, resume it, or change the speed while it runs (scenario time never jumps). at()
/// and post() are thread-safe; events run only on the thread inside run_until(), one at a time.
class RealTimeScheduler final : public Scheduler {
 public:
  /// `speed` must be positive (values <= 0 are taken as 1).
  explicit RealTimeScheduler(double speed = 1.0);

  SimTime now() const override;
  /// Restarts the clock: now() reads 0 at this instant. Call before the run's first event is
  /// scheduled (run_drill does), not while run_until runs.
  void restart_clock();
  /// Thread-safe. Runs `fn` at scenario time `t` (now if `t` is in the past).
  void at(SimTime t, EventFn fn) override;
  /// Thread-safe.
  std::uint64_t reserve_place() override;
  /// Thread-safe.
  void at_place(SimTime t, std::uint64_t place, EventFn fn) override;
  /// Thread-safe: runs `fn` on the loop thread as soon as it is free (how other threads, e.g.
  /// an HTTP server's, hand work to the single-threaded engine).
  void post(EventFn fn) { at(0, std::move(fn)); }

  /// Runs due events, sleeping in between, until now() reaches `end`, stop() is called, or the
  /// interrupt flag (set_interrupt) is true. Events due after `end` stay queued.
  void run_until(SimTime end);
  /// Thread-safe: makes run_until return after the current event.
  void stop();
  /// A flag polled while waiting (at least every 50 ms of real time), e.g. set by a SIGINT
  /// handler, which cannot notify a condition variable; nullptr: none.
  void set_interrupt(const std::atomic<bool>* flag) { interrupt_ = flag; }

  /// Number of events executed so far.
  std::uint64_t executed() const { return executed_; }
  /// Number of events waiting.
  std::size_t pending() const;
  /// The speed factor.
  double speed() const;
  /// Thread-safe: scenario time runs at `speed` from now on (values <= 0 are ignored).
  void set_speed(double speed);
  /// Thread-safe: scenario time stops (nothing is due while paused) / goes on from where it
  /// stopped.
  void pause();
  void resume();
  bool paused() const;

 private:
  struct Item {
    SimTime t;
    std::uint64_t seq;
    EventFn fn;
  };
  struct Later {
    bool operator()(const Item& a, const Item& b) const {
      return a.t != b.t ? a.t > b.t : a.seq > b.seq;
    }
  };
  // The steady-clock instant at which scenario time reaches `t` (far ahead while paused).
  std::chrono::steady_clock::time_point when(SimTime t) const;
  // now() with clock_mu_ held.
  SimTime now_locked(std::chrono::steady_clock::time_point wall) const;

  // The clock: scenario time `base_sim_` at steady instant `base_wall_`, then `speed_` per
  // real microsecond unless paused. Its own mutex: now() is read with mu_ held.
  mutable std::mutex clock_mu_;
  double speed_;
  SimTime base_sim_ = 0;
  std::chrono::steady_clock::time_point base_wall_;
  bool paused_ = false;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::vector<Item> heap_;
  std::uint64_t seq_ = 0;
  std::uint64_t executed_ = 0;
  bool stopped_ = false;
  const std::atomic<bool>* interrupt_ = nullptr;
};

}  // namespace gameday
