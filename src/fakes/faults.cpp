#include "fakes/faults.hpp"

#include <algorithm>

namespace gameday {
namespace {

bool listed(const std::vector<std::string>& list, std::string_view value) {
  if (list.empty()) return true;
  if (value.empty()) return false;
  for (const std::string& s : list) {
    if (s == value) return true;
  }
  return false;
}

}  // namespace

bool fault_filters_match(const FaultSpec& f, std::string_view task_type, std::string_view model,
                         std::string_view route) {
  return listed(f.task_types, task_type) && listed(f.models, model) && fault_on_route(f, route);
}

void FaultBoard::activate(const FaultSpec* spec, SimTime now) {
  if (spec == nullptr) return;
  std::size_t i = 0;
  while (i < active_.size() && active_[i]->id != spec->id) ++i;
  if (i == active_.size()) {
    active_.push_back(spec);
    matched_.push_back(0);
    started_.push_back(now);
    resolved_.emplace_back();
  }
  active_[i] = spec;
  matched_[i] = 0;
  started_[i] = now;
  resolved_[i] = spec->ramps.empty() ? nullptr : std::make_unique<FaultSpec>(*spec);
}

void FaultBoard::deactivate(const std::string& id) {
  std::size_t out = 0;
  for (std::size_t i = 0; i < active_.size(); ++i) {
    if (active_[i]->id == id) continue;
    active_[out] = active_[i];
    matched_[out] = matched_[i];
    started_[out] = started_[i];
    resolved_[out] = std::move(resolved_[i]);
    ++out;
  }
  active_.resize(out);
  matched_.resize(out);
  started_.resize(out);
  resolved_.resize(out);
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

void FaultBoard::select(const std::string& target, const RequestInfo& info, SimTime now,
                        std::vector<const FaultSpec*>& out) {
  out.clear();
  for (std::size_t i = 0; i < active_.size(); ++i) {
    const FaultSpec* s = active_[i];
    if (!matches(s->target, target) || !fault_filters_match(*s, info.task_type, info.model, info.route)) {
      continue;
    }
    const std::uint64_t n = ++matched_[i];
    if (s->every_nth > 0 && n % static_cast<std::uint64_t>(s->every_nth) != 0) continue;
    if (s->first_n > 0 && n > static_cast<std::uint64_t>(s->first_n)) continue;
    if (resolved_[i] != nullptr) {
      *resolved_[i] = at_elapsed(*s, now - started_[i]);
      s = resolved_[i].get();
    }
    out.push_back(s);
  }
  if (combine_ == FaultCombine::kMax) keep_strongest_of_each_kind(out);
}

void keep_strongest_of_each_kind(std::vector<const FaultSpec*>& faults) {
  std::vector<const FaultSpec*> kept;
  for (const FaultSpec* f : faults) {
    auto same = std::find_if(kept.begin(), kept.end(),
                             [&](const FaultSpec* k) { return k->kind() == f->kind(); });
    if (same == kept.end()) {
      kept.push_back(f);
    } else if (f->probability > (*same)->probability) {
      *same = f;
    }
  }
  faults = std::move(kept);
}

std::uint64_t FaultBoard::matched(const std::string& id) const {
  for (std::size_t i = 0; i < active_.size(); ++i) {
    if (active_[i]->id == id) return matched_[i];
  }
  return 0;
}

}  // namespace gameday
