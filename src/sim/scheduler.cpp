#include "sim/scheduler.hpp"

namespace gameday {

void VirtualScheduler::at(SimTime t, EventFn fn) {
  if (t < now_) t = now_;
  std::uint32_t i;
  if (!free_.empty()) {
    i = free_.back();
    free_.pop_back();
  } else {
    i = slots_++;
    if ((i >> kChunkBits) == chunks_.size()) chunks_.push_back(std::make_unique<EventFn[]>(1u << kChunkBits));
  }
  slot(i) = std::move(fn);
  heap_.push_back(Key{t, seq_++, i});
  std::push_heap(heap_.begin(), heap_.end(), Later{});
}

void VirtualScheduler::run_until(SimTime end) {
  stopped_ = false;
  while (!heap_.empty() && !stopped_) {
    const Key top = heap_.front();
    if (top.t > end) break;
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    heap_.pop_back();
    // The next event's callback is most likely the one after this: start loading it now (at a
    // high rate thousands of callbacks wait, and theirs is memory not touched for seconds).
    if (!heap_.empty()) __builtin_prefetch(&slot(heap_.front().slot));
    now_ = top.t;
    ++executed_;
    // Run in place (the slab never moves a callback), then free its slot.
    EventFn& fn = slot(top.slot);
    fn();
    fn = nullptr;
    free_.push_back(top.slot);
    if (interrupt_ != nullptr && executed_ % kInterruptEvery == 0 && interrupt_->load()) {
      stopped_ = true;  // and leave now() at this event, not at `end`
    }
  }
  if (!stopped_ && now_ < end) now_ = end;
}

}  // namespace gameday
