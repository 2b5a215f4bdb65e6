#include "sim/scheduler.hpp"

#include <algorithm>

namespace gameday {

void VirtualScheduler::at(SimTime t, EventFn fn) { at_place(t, seq_++, std::move(fn)); }

void VirtualScheduler::at_place(SimTime t, std::uint64_t place, EventFn fn) {
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
  push_key(Key{t, place, i});
}

void VirtualScheduler::push_key(const Key& k) {
  std::size_t i = heap_.size();
  heap_.push_back(k);
  while (i > 0) {
    const std::size_t parent = (i - 1) / 4;
    if (!earlier(k, heap_[parent])) break;
    heap_[i] = heap_[parent];
    i = parent;
  }
  heap_[i] = k;
}

VirtualScheduler::Key VirtualScheduler::pop_key() {
  const Key top = heap_.front();
  const Key last = heap_.back();
  heap_.pop_back();
  const std::size_t n = heap_.size();
  if (n == 0) return top;
  std::size_t i = 0;
  for (;;) {
    const std::size_t first = 4 * i + 1;
    if (first >= n) break;
    const std::size_t end = std::min(first + 4, n);
    std::size_t best = first;
    for (std::size_t c = first + 1; c < end; ++c) {
      if (earlier(heap_[c], heap_[best])) best = c;
    }
    if (!earlier(heap_[best], last)) break;
    heap_[i] = heap_[best];
    i = best;
  }
  heap_[i] = last;
  return top;
}

void VirtualScheduler::run_until(SimTime end) {
  stopped_ = false;
  while (!heap_.empty() && !stopped_) {
    if (heap_.front().t > end) break;
    const Key top = pop_key();
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
