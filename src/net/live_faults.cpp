#include "net/live_faults.hpp"

#include <algorithm>
#include <memory>

namespace gameday::net {

bool LiveFaults::add(const FaultSpec& spec) {
  if (spec.id.empty()) return false;
  std::size_t replaced = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto owned = std::make_unique<FaultSpec>(spec);
    board_.activate(owned.get(), now());  // replaces an active fault with the same id, in place
    // Drop the spec the board no longer points to (a replaced one).
    replaced = std::erase_if(specs_, [&](const std::unique_ptr<FaultSpec>& s) { return s->id == spec.id; });
    specs_.push_back(std::move(owned));
    active_.store(specs_.size(), std::memory_order_release);
    if (spec.duration > 0) {
      due_[spec.id] = now() + spec.duration;
    } else {
      due_.erase(spec.id);
    }
  }
  if (replaced > 0) notify_ended(HoldRelease{false, {spec.id}});
  return true;
}

std::size_t LiveFaults::expire_due() {
  HoldRelease ended;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const SimTime t = now();
    for (auto it = due_.begin(); it != due_.end();) {
      if (it->second > t) {
        ++it;
        continue;
      }
      const std::string id = it->first;
      it = due_.erase(it);
      board_.deactivate(id);
      std::erase_if(specs_, [&](const std::unique_ptr<FaultSpec>& s) { return s->id == id; });
      ended.faults.push_back(id);
    }
    active_.store(specs_.size(), std::memory_order_release);
  }
  if (!ended.faults.empty()) notify_ended(ended);
  return ended.faults.size();
}

void LiveFaults::set_combine(FaultCombine combine) {
  std::lock_guard<std::mutex> lock(mu_);
  board_.set_combine(combine);
}

void LiveFaults::set_speed(double speed) { speed_.store(speed > 0 ? speed : 1.0); }

SimTime LiveFaults::now() const {
  const auto real =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - epoch_).count();
  return static_cast<SimTime>(static_cast<double>(real) * speed_.load());
}

bool LiveFaults::remove(const std::string& id) {
  bool removed = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const auto before = specs_.size();
    board_.deactivate(id);
    std::erase_if(specs_, [&](const std::unique_ptr<FaultSpec>& s) { return s->id == id; });
    due_.erase(id);
    active_.store(specs_.size(), std::memory_order_release);
    removed = specs_.size() != before;
  }
  if (removed) notify_ended(HoldRelease{false, {id}});
  return removed;
}

std::size_t LiveFaults::reset() {
  std::size_t n = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    n = specs_.size();
    board_.clear();
    specs_.clear();
    due_.clear();
    active_.store(0, std::memory_order_release);
  }
  // Even with no fault active: /reset also releases whatever is still held.
  notify_ended(HoldRelease{true, {}});
  return n;
}

std::size_t LiveFaults::subscribe(std::function<void(const HoldRelease&)> listener) {
  std::lock_guard<std::mutex> lock(listeners_mu_);
  listeners_.emplace_back(next_listener_, std::move(listener));
  return next_listener_++;
}

void LiveFaults::unsubscribe(std::size_t id) {
  std::lock_guard<std::mutex> lock(listeners_mu_);
  std::erase_if(listeners_, [id](const auto& l) { return l.first == id; });
}

void LiveFaults::notify_ended(const HoldRelease& ended) {
  std::lock_guard<std::mutex> lock(listeners_mu_);
  for (const auto& [id, listener] : listeners_) listener(ended);
}

std::vector<FaultSpec> LiveFaults::list() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<FaultSpec> out;
  for (const FaultSpec* s : board_.active()) out.push_back(*s);
  return out;
}

std::optional<FaultSpec> LiveFaults::get(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const FaultSpec* s : board_.active()) {
    if (s->id == id) return *s;
  }
  return std::nullopt;
}

void LiveFaults::select(const std::string& target, const RequestInfo& info, std::vector<FaultSpec>& out) {
  out.clear();
  // No fault: nothing to copy and no counter to advance. A fault added meanwhile applies from
  // the next request (as if this one had come first).
  if (active_.load(std::memory_order_acquire) == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  board_.select(target, info, now(), scratch_);
  for (const FaultSpec* s : scratch_) out.push_back(*s);
}

std::uint64_t LiveFaults::matched(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  return board_.matched(id);
}

std::vector<const FaultSpec*> pointers_to(const std::vector<FaultSpec>& specs) {
  std::vector<const FaultSpec*> out;
  out.reserve(specs.size());
  for (const auto& s : specs) out.push_back(&s);
  return out;
}

}  // namespace gameday::net
