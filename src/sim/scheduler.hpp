#pragma once
// The seam between components and time: components never read the OS clock or sleep.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <algorithm>
#include <vector>

#include "sim/inline_function.hpp"
#include "sim/time.hpp"

namespace gameday {

/// Reads the current time. Virtual in simulation, monotonic-since-start in live mode.
class Clock {
 public:
  virtual ~Clock() = default;
  /// The current time since scenario start.
  virtual SimTime now() const = 0;
};

/// A callback run by a Scheduler (move-only; small captures live inline, without allocating).
using EventFn = InlineFunction<void(), 384>;

/// Runs callbacks at given times. Events at the same time run in the order they were scheduled
/// (an event scheduled with at_place(), in the place reserved for it).
class Scheduler : public Clock {
 public:
  /// Runs `fn` at absolute time `t` (clamped to now if `t` is in the past).
  virtual void at(SimTime t, EventFn fn) = 0;
  /// Runs `fn` after `d` from now.
  void after(Duration d, EventFn fn) { at(now() + (d < 0 ? 0 : d), std::move(fn)); }
  /// Takes, without scheduling anything, the place in the same-time order that an event
  /// scheduled now would get: events scheduled later run after it at any shared time.
  virtual std::uint64_t reserve_place() = 0;
  /// Runs `fn` at `t` (clamped to now) in the place `place` from reserve_place(), as if it had
  /// been scheduled when the place was taken. Each place may be used once.
  virtual void at_place(SimTime t, std::uint64_t place, EventFn fn) = 0;
};

/// The discrete-event scheduler: one thread, virtual time that jumps to the next event.
/// Ordering is (time, sequence number), so a run is reproducible.
class VirtualScheduler final : public Scheduler {
 public:
  SimTime now() const override { return now_; }
  void at(SimTime t, EventFn fn) override;
  std::uint64_t reserve_place() override { return seq_++; }
  void at_place(SimTime t, std::uint64_t place, EventFn fn) override;
  /// Runs events in order until the queue is empty or the next event is after `end`;
  /// leaves now() at `end` (or at the last event when the queue drained earlier... at `end`).
  void run_until(SimTime end);
  /// Stops run_until after the current event.
  void stop() { stopped_ = true; }
  /// While set, run_until also stops (after an event) once `*flag` is true; it looks every
  /// kInterruptEvery events, so an interrupt is seen within milliseconds of wall time however
  /// many events a stretch of virtual time holds. nullptr: never.
  void set_interrupt(const std::atomic<bool>* flag) { interrupt_ = flag; }
  /// How many events run between two looks at the interrupt flag.
  static constexpr std::uint64_t kInterruptEvery = 1024;
  /// Number of events executed so far.
  std::uint64_t executed() const { return executed_; }
  /// Number of events waiting.
  std::size_t pending() const { return heap_.size(); }

 private:
  // The heap orders small keys; callbacks stay put in a slab (reused through a free list, last
  // freed first, so a new callback lands in memory still in cache), so sifting moves 24 bytes
  // instead of a callable. The slab grows by chunks and never moves a callback: each runs
  // where it was scheduled, and while it runs it may schedule more.
  struct Key {
    SimTime t;
    std::uint64_t seq;
    std::uint32_t slot;
  };
  static bool earlier(const Key& a, const Key& b) { return a.t != b.t ? a.t < b.t : a.seq < b.seq; }
  // A 4-ary min-heap on (t, seq): half the depth of a binary heap, and a node's children sit
  // side by side (fewer cache lines per level when thousands of events wait). Keys are unique,
  // so the order events run in is the same as any other priority queue's.
  void push_key(const Key& k);
  Key pop_key();
  static constexpr std::uint32_t kChunkBits = 6;  // 64 callbacks (about 25 KiB) per chunk
  EventFn& slot(std::uint32_t i) {
    return chunks_[i >> kChunkBits][i & ((1u << kChunkBits) - 1)];
  }
  std::vector<Key> heap_;
  std::vector<std::unique_ptr<EventFn[]>> chunks_;
  std::uint32_t slots_ = 0;  // slots handed out so far (chunks_ hold at least this many)
  std::vector<std::uint32_t> free_;
  SimTime now_ = 0;
  std::uint64_t seq_ = 0;
  std::uint64_t executed_ = 0;
  bool stopped_ = false;
  const std::atomic<bool>* interrupt_ = nullptr;
};

}  // namespace gameday
