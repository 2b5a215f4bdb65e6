#pragma once
// The faults active in live mode, shared by the fake servers (each on its own thread) and the
// control API: a FaultBoard behind a mutex, owning its fault specs. Servers take a snapshot of
// the faults that apply to one request (copies, so a fault removed meanwhile cannot dangle).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "spec/model.hpp"
#include "fakes/faults.hpp"
#include "net/http_server.hpp"

namespace gameday::net {

/// Thread-safe set of live faults. Fault ids are unique; adding an id that is active replaces it.
class LiveFaults {
 public:
  /// Activates `spec` (copied), started now: its ramps move with real time from here. Returns
  /// false when its id is empty.
  bool add(const FaultSpec& spec);
  /// How overlapping faults of one kind on one target combine (a drill's scenario
  /// `fault_combine`; default independent).
  void set_combine(FaultCombine combine);
  /// How fast ramps move: scenario time per real time (a drill's --speed; values <= 0 are
  /// taken as 1). Set before adding faults.
  void set_speed(double speed);
  /// Deactivates the fault `id`; false when it was not active.
  bool remove(const std::string& id);
  /// Deactivates every fault (POST /reset). Returns how many were active.
  std::size_t reset();
  /// Ends the faults whose `for` has passed (on this board's clock) since they were added, as
  /// remove() does; returns how many. `gameday serve` calls it on a timer; in a drill the
  /// engine's timeline ends faults and never calls it.
  std::size_t expire_due();
  /// The active faults, in activation order.
  std::vector<FaultSpec> list() const;
  /// The active fault `id`, if any.
  std::optional<FaultSpec> get(const std::string& id) const;
  /// The faults that apply to one request to `target` ("vendor:<id>", "ehr"): target, filters
  /// and every_nth/first_n counters (FaultBoard::select), copied into `out` (cleared first),
  /// ramped parameters at their value for the real time elapsed since the fault was added.
  /// Advances the counters: call once per request.
  void select(const std::string& target, const RequestInfo& info, std::vector<FaultSpec>& out);
  /// Requests counted for the active fault `id` since it was added (0 when not active).
  std::uint64_t matched(const std::string& id) const;

  /// Calls `listener` after each change that ends a fault (remove, reset, an add that replaces
  /// an active fault) with what ended (the fault's id; a reset: everything), on the thread that
  /// made it, outside the board's lock; it must not block (servers release the connections and
  /// delays the ended faults held). Returns an id for unsubscribe().
  std::size_t subscribe(std::function<void(const HoldRelease&)> listener);
  /// Stops calling the listener `id`; once it returns, the listener is not running and will not
  /// run again.
  void unsubscribe(std::size_t id);

 private:
  void notify_ended(const HoldRelease& ended);

  std::mutex listeners_mu_;  // held while listeners run, so unsubscribe() waits for them
  std::vector<std::pair<std::size_t, std::function<void(const HoldRelease&)>>> listeners_;
  std::size_t next_listener_ = 1;
  mutable std::mutex mu_;
  // How many faults are active (written under mu_): select() skips the lock and the copies
  // while the board is empty, the usual case on the live vendor's hot path.
  std::atomic<std::size_t> active_{0};
  std::vector<std::unique_ptr<FaultSpec>> specs_;  // owned; the board points into them
  std::map<std::string, SimTime> due_;              // id -> when its `for` ends (board clock)
  FaultBoard board_;
  std::vector<const FaultSpec*> scratch_;
  // The board's clock: microseconds since construction times speed_ (live ramps follow real
  // time, or a drill's scenario time).
  std::chrono::steady_clock::time_point epoch_ = std::chrono::steady_clock::now();
  std::atomic<double> speed_{1.0};
  SimTime now() const;
};

/// Pointers to `specs` (for FakeVendor/FakeEhr::respond, which take pointers).
std::vector<const FaultSpec*> pointers_to(const std::vector<FaultSpec>& specs);

}  // namespace gameday::net
