#include "sim/timeouts.hpp"

#include <utility>

namespace gameday {

TimeoutQueue::TimeoutQueue(Scheduler& scheduler, Duration length)
    : scheduler_(scheduler), length_(length < 0 ? 0 : length) {}

std::uint64_t TimeoutQueue::arm(Fn fn) {
  const std::uint64_t token = front_token_ + entries_.size();
  // The place is taken now, where scheduler.after() would have scheduled the timeout.
  entries_.push_back(Entry{scheduler_.now() + length_, scheduler_.reserve_place(), std::move(fn)});
  ++armed_;
  if (!scheduled_) schedule_front();
  return token;
}

void TimeoutQueue::disarm(std::uint64_t token) {
  if (token < front_token_ || token - front_token_ >= entries_.size()) return;
  Entry& e = entries_[static_cast<std::size_t>(token - front_token_)];
  if (!e.fn) return;
  e.fn = nullptr;
  --armed_;
}

void TimeoutQueue::schedule_front() {
  while (!entries_.empty() && !entries_.front().fn) {
    entries_.pop_front();
    ++front_token_;
  }
  if (entries_.empty()) return;
  const Entry& e = entries_.front();
  scheduled_ = true;
  scheduler_.at_place(e.due, e.place, [this, token = front_token_] { fire(token); });
}

void TimeoutQueue::fire(std::uint64_t token) {
  scheduled_ = false;
  // Nothing before the event's entry was armed when it was scheduled, and nothing is dropped
  // while it waits: the entry is at the front, armed unless it was disarmed since.
  Fn due;
  if (token == front_token_ && !entries_.empty() && entries_.front().fn) {
    due = std::move(entries_.front().fn);
    entries_.front().fn = nullptr;
    --armed_;
  }
  schedule_front();  // the next armed timeout, in its own place
  if (due) due();
}

}  // namespace gameday
