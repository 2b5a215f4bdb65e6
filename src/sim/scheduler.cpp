#include "sim/scheduler.hpp"

namespace gameday {

void VirtualScheduler::at(SimTime t, EventFn fn) {
  if (t < now_) t = now_;
  std::uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
    slab_[slot] = std::move(fn);
  } else {
    slot = static_cast<std::uint32_t>(slab_.size());
    slab_.push_back(std::move(fn));
  }
  heap_.push_back(Key{t, seq_++, slot});
  std::push_heap(heap_.begin(), heap_.end(), Later{});
}

void VirtualScheduler::run_until(SimTime end) {
  stopped_ = false;
  while (!heap_.empty() && !stopped_) {
    const Key top = heap_.front();
    if (top.t > end) break;
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    heap_.pop_back();
    // Move the callback out before running it: it may schedule events and grow the slab.
    EventFn fn = std::move(slab_[top.slot]);
    free_.push_back(top.slot);
    now_ = top.t;
    ++executed_;
    fn();
    if (interrupt_ != nullptr && executed_ % kInterruptEvery == 0 && interrupt_->load()) {
      stopped_ = true;  // and leave now() at this event, not at `end`
    }
  }
  if (!stopped_ && now_ < end) now_ = end;
}

}  // namespace gameday
