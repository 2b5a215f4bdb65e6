#pragma once
// The set of faults active right now, shared by the fakes. The engine (or the control API)
// turns faults on and off; the fakes read it on every request.
#include <string>
#include <vector>

#include "config/model.hpp"

namespace gameday {

/// Active faults, by target. Not thread-safe; live mode guards it with its own strand/mutex.
class FaultBoard {
 public:
  /// Activates a fault (the spec must outlive its activation). A fault whose id is already
  /// active is replaced in place, keeping its position.
  void activate(const FaultSpec* spec);
  /// Deactivates the fault with this id (no-op if absent).
  void deactivate(const std::string& id);
  /// Deactivates every fault.
  void clear() { active_.clear(); }
  /// Active faults whose target matches `target` ("vendor:primary" matches "vendor:*" too),
  /// in activation order.
  std::vector<const FaultSpec*> for_target(const std::string& target) const;
  /// Same, into `out` (cleared first), so a hot path can reuse one vector.
  void for_target(const std::string& target, std::vector<const FaultSpec*>& out) const;
  /// True when a spec with this `spec_target` applies to requests for `target`.
  static bool matches(const std::string& spec_target, const std::string& target);
  /// Every active fault, in activation order.
  const std::vector<const FaultSpec*>& active() const { return active_; }

 private:
  std::vector<const FaultSpec*> active_;
};

}  // namespace gameday
