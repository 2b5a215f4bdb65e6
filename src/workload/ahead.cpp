#include "workload/ahead.hpp"

#include <utility>

namespace gameday {

TasksAhead::TasksAhead(std::function<Task()> make) : make_(std::move(make)) {
  thread_ = std::thread([this] {
    for (;;) {
      // Built outside the lock: the reader takes chunks meanwhile.
      std::vector<Task> chunk;
      chunk.reserve(kChunk);
      std::exception_ptr error;
      try {
        while (chunk.size() < kChunk) chunk.push_back(make_());
      } catch (...) {
        error = std::current_exception();
      }
      std::unique_lock<std::mutex> lock(mutex_);
      if (!chunk.empty()) ready_.push_back(std::move(chunk));
      if (error) error_ = error;
      ready_cv_.notify_one();
      if (error) return;  // nothing after the failing task can be built in its place
      if (ready_.size() >= kMaxReady) {
        builder_waiting_ = true;
        room_cv_.wait(lock, [this] { return stopping_ || ready_.size() <= kRefillAt; });
        builder_waiting_ = false;
      }
      if (stopping_) return;
    }
  });
}

TasksAhead::~TasksAhead() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  room_cv_.notify_one();
  thread_.join();
}

Task TasksAhead::next() {
  if (pos_ == current_.size()) {
    std::unique_lock<std::mutex> lock(mutex_);
    ready_cv_.wait(lock, [this] { return !ready_.empty() || error_ != nullptr; });
    if (ready_.empty()) std::rethrow_exception(error_);
    current_ = std::move(ready_.front());
    ready_.pop_front();
    pos_ = 0;
    const bool wake = builder_waiting_ && ready_.size() <= kRefillAt;
    lock.unlock();
    if (wake) room_cv_.notify_one();
  }
  return std::move(current_[pos_++]);
}

}  // namespace gameday
