#pragma once
// The set of faults active right now, shared by the fakes, and their trigger logic. The engine
// (or the control API) turns faults on and off; the clients ask the board which faults apply to
// each request, and the fakes apply them.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sim/rng.hpp"
#include "spec/model.hpp"

namespace gameday {

/// What a fault's trigger filters can see of a request.
struct RequestInfo {
  std::string_view task_type;  // the request's task type metadata ("" = not given)
  std::string_view model;      // vendor requests: the model that answers (FakeVendor::model_for)
  std::string_view route = kChatRoute;  // vendor requests: "chat", "responses" or "embeddings"
};

/// Whether a request passes a fault's filters: `task_types` (empty = every request; a request
/// without a task type matches no list), `models` (likewise, on the model) and `routes`
/// (fault_on_route: vendor calls are "chat" unless said otherwise; EHR faults have no routes).
/// Counters (every_nth, first_n) and probability are not considered here.
bool fault_filters_match(const FaultSpec& f, std::string_view task_type, std::string_view model,
                         std::string_view route = kChatRoute);

/// Calls on_applied(f) for each fault of `faults` (as FaultBoard::select passes them) that
/// applies to one request to `target`, in order: not null, of a kind that can target it
/// (applies_to), passing its filters (fault_filters_match), and whose probability draw from `rng`
/// succeeds (one draw for each fault that got that far). on_applied may draw from `rng` too (a
/// latency fault's delay): its draws come right after the fault's own.
/// `route` is the vendor route of the request ("chat" unless said otherwise).
template <class F>
void for_each_applied(const std::vector<const FaultSpec*>& faults, FaultTarget target,
                      std::string_view task_type, std::string_view model, Rng& rng, F&& on_applied,
                      std::string_view route = kChatRoute) {
  for (const FaultSpec* f : faults) {
    if (f == nullptr || !applies_to(f->kind(), target)) continue;
    if (!fault_filters_match(*f, task_type, model, route)) continue;
    if (rng.uniform01() < f->probability) on_applied(*f);
  }
}

/// Sets `slot` to `f` unless it holds a fault already: the first applied fault of a kind wins.
inline void keep_first(const FaultSpec*& slot, const FaultSpec& f) {
  if (slot == nullptr) slot = &f;
}

/// Active faults, by target, with per-fault trigger counters and start times. Not thread-safe;
/// live mode guards it with its own strand/mutex.
///
/// Trigger semantics (all must hold): the target matches; the request passes the filters
/// (fault_filters_match); then, counting the requests that got this far since the fault was
/// (re)activated as n = 1, 2, ...: every_nth N > 0 needs n % N == 0 and first_n N > 0 needs
/// n <= N; finally the fake draws `probability` (FakeVendor/FakeEhr::respond).
///
/// Ramps: select() hands out a fault with ramps as it acts at `now` (at_elapsed from its
/// activation time), so the fakes read plain values.
///
/// Combination: overlapping faults of one kind on one target each draw their own probability
/// (the fakes' for_each_applied), so with FaultCombine::kIndependent they apply together with
/// probability 1 - prod(1 - p). With kMax, select() passes on only the fault of each kind with
/// the largest probability (the earliest activated on ties): one draw, the largest p.
class FaultBoard {
 public:
  /// Activates a fault (the spec must outlive its activation) with its counter at zero, started
  /// at `now` (its ramps start there). A fault whose id is already active is replaced in place,
  /// keeping its position (counter reset, started again).
  void activate(const FaultSpec* spec, SimTime now);
  /// Deactivates the fault with this id (no-op if absent).
  void deactivate(const std::string& id);
  /// Deactivates every fault.
  void clear() {
    active_.clear();
    matched_.clear();
    started_.clear();
    resolved_.clear();
  }
  /// How overlapping faults of one kind on one target combine (default independent).
  void set_combine(FaultCombine combine) { combine_ = combine; }
  /// Active faults whose target matches `target` ("vendor:primary" matches "vendor:*" too),
  /// in activation order. Applies no trigger filters or counters (the fakes still apply
  /// task_types, models and probability); use select() for every_nth and first_n.
  std::vector<const FaultSpec*> for_target(const std::string& target) const;
  /// Same, into `out` (cleared first), so a hot path can reuse one vector.
  void for_target(const std::string& target, std::vector<const FaultSpec*>& out) const;
  /// The faults that apply to one request, into `out` (cleared first), in activation order:
  /// target and filters match, and the fault's counter passes every_nth / first_n (see the
  /// class comment). Advances the counters of every fault that matched target and filters, so
  /// call it exactly once per request sent (a retry is a new request). Draws no randomness;
  /// pass `out` to respond(), which applies each fault's probability. A ramped fault is given
  /// as it acts at `now` (a copy the board keeps until the next select()); with
  /// FaultCombine::kMax only the strongest fault of each kind is given.
  void select(const std::string& target, const RequestInfo& info, SimTime now,
              std::vector<const FaultSpec*>& out);
  /// True when a spec with this `spec_target` applies to requests for `target`.
  static bool matches(const std::string& spec_target, const std::string& target);
  /// Every active fault, in activation order.
  const std::vector<const FaultSpec*>& active() const { return active_; }
  /// Requests counted for the active fault `id` since its activation (0 when not active).
  std::uint64_t matched(const std::string& id) const;

 private:
  std::vector<const FaultSpec*> active_;
  std::vector<std::uint64_t> matched_;  // parallel to active_
  std::vector<SimTime> started_;        // parallel to active_: activation times
  // Parallel to active_: the fault as it acted at the last select() (ramped faults only).
  std::vector<std::unique_ptr<FaultSpec>> resolved_;
  FaultCombine combine_ = FaultCombine::kIndependent;
};

/// Keeps, of each kind in `faults`, only the one with the largest probability (the first on
/// ties), in order: FaultCombine::kMax.
void keep_strongest_of_each_kind(std::vector<const FaultSpec*>& faults);

}  // namespace gameday
