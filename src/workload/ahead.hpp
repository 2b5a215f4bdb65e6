#pragma once
// Building a run's tasks ahead of their arrivals, on a thread of their own.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "workload/task.hpp"

namespace gameday {

/// A sequence of tasks built ahead of its reader on a thread of its own, in chunks: next()
/// returns exactly the tasks successive calls of `make` return, in order, so a run reads the
/// same tasks as it would building each at its arrival. `make` runs only on that thread, and
/// what it reads must not change while the object lives (a TaskFactory and its world do not).
/// At most a few chunks wait: building stays a bounded distance ahead of the reader. The builder
/// sleeps until the reader is down to its last waiting chunk, then fills up again, so waking it
/// (a system call) happens once every few chunks, not for each.
class TasksAhead {
 public:
  explicit TasksAhead(std::function<Task()> make);
  TasksAhead(const TasksAhead&) = delete;
  TasksAhead& operator=(const TasksAhead&) = delete;
  /// Stops the thread; tasks built and not read are dropped.
  ~TasksAhead();

  /// The next task (waits for it when the thread has not built it yet). What `make` threw is
  /// rethrown here, in the place of the task it was building, and by every later call.
  Task next();

 private:
  static constexpr std::size_t kChunk = 256;
  static constexpr std::size_t kMaxReady = 4;  // the builder stops at this many waiting
  static constexpr std::size_t kRefillAt = 1;  // and starts again at this many

  std::function<Task()> make_;
  std::vector<Task> current_;  // the reader's chunk
  std::size_t pos_ = 0;        // the next task to hand out in current_
  std::mutex mutex_;
  std::condition_variable ready_cv_;  // a chunk is ready, or the builder failed
  std::condition_variable room_cv_;   // a chunk was taken, or stopping
  std::deque<std::vector<Task>> ready_;
  std::exception_ptr error_;
  bool stopping_ = false;
  bool builder_waiting_ = false;  // the builder sleeps until kRefillAt
  std::thread thread_;  // last: started once everything it uses is built
};

}  // namespace gameday
