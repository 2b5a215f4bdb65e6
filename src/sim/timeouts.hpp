#pragma once
// Timeouts of one fixed length, as a client arms one per call: a FIFO and one scheduled event
// serve them all, where each would otherwise wait in the scheduler's queue for its whole length
// although nearly every one is disarmed (its call answered) long before it comes due.
#include <cstdint>
#include <deque>

#include "sim/inline_function.hpp"
#include "sim/scheduler.hpp"
#include "sim/time.hpp"

namespace gameday {

/// Timeouts that all last `length`. Each armed timeout runs its callback at the time, and in the
/// place among same-time events, that `scheduler.after(length, fn)` called when it was armed
/// would have run it (Scheduler::reserve_place), unless it is disarmed first. Only the earliest
/// armed timeout has an event in the scheduler; a disarmed one costs a FIFO entry until the
/// timeouts armed before it are done. Use on the scheduler's thread.
class TimeoutQueue {
 public:
  /// A timeout's callback (small captures inline, like EventFn's).
  using Fn = InlineFunction<void(), 96>;

  TimeoutQueue(Scheduler& scheduler, Duration length);
  TimeoutQueue(const TimeoutQueue&) = delete;
  TimeoutQueue& operator=(const TimeoutQueue&) = delete;

  /// Arms a timeout: `fn` runs `length` from now unless disarm() comes first. Returns its token.
  std::uint64_t arm(Fn fn);
  /// Disarms the timeout of `token`: its callback is destroyed now and never runs. Nothing when
  /// it already ran or was disarmed.
  void disarm(std::uint64_t token);
  /// How many timeouts are armed and not yet run or disarmed.
  std::size_t armed() const { return armed_; }

 private:
  struct Entry {
    SimTime due;
    std::uint64_t place;
    Fn fn;  // empty: disarmed (or run)
  };
  // Drops disarmed entries at the front, then schedules the event for the first armed one.
  void schedule_front();
  // The scheduled event: runs the front entry when it is the one the event was for.
  void fire(std::uint64_t token);

  Scheduler& scheduler_;
  Duration length_;
  std::deque<Entry> entries_;
  std::uint64_t front_token_ = 0;  // the token of entries_.front()
  std::size_t armed_ = 0;
  bool scheduled_ = false;  // an event is in the scheduler for an entry
};

}  // namespace gameday
