#include "fakes/faults.hpp"

#include <algorithm>

namespace gameday {

void FaultBoard::activate(const FaultSpec* spec) {
  if (spec == nullptr) return;
  for (auto& a : active_) {
    if (a->id == spec->id) {
      a = spec;
      return;
    }
  }
  active_.push_back(spec);
}

void FaultBoard::deactivate(const std::string& id) {
  active_.erase(std::remove_if(active_.begin(), active_.end(),
                               [&](const FaultSpec* s) { return s->id == id; }),
                active_.end());
}

bool FaultBoard::matches(const std::string& spec_target, const std::string& target) {
  if (spec_target == target) return true;
  // "vendor:*" covers every vendor route.
  return spec_target == "vendor:*" && target.rfind("vendor:", 0) == 0;
}

std::vector<const FaultSpec*> FaultBoard::for_target(const std::string& target) const {
  std::vector<const FaultSpec*> out;
  for_target(target, out);
  return out;
}

void FaultBoard::for_target(const std::string& target, std::vector<const FaultSpec*>& out) const {
  out.clear();
  for (const FaultSpec* s : active_) {
    if (matches(s->target, target)) out.push_back(s);
  }
}

}  // namespace gameday
