#include "sim/scheduler.hpp"

namespace gameday {

void VirtualScheduler::at(SimTime t, EventFn fn) {
  if (t < now_) t = now_;
  queue_.push(Entry{t, seq_++, std::move(fn)});
}

void VirtualScheduler::run_until(SimTime end) {
  stopped_ = false;
  while (!queue_.empty() && !stopped_) {
    if (queue_.top().t > end) break;
    // Move the callback out before popping: it may schedule new events.
    Entry e = std::move(const_cast<Entry&>(queue_.top()));
    queue_.pop();
    now_ = e.t;
    ++executed_;
    e.fn();
  }
  if (!stopped_ && now_ < end) now_ = end;
}

}  // namespace gameday
