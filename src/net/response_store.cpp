#include "net/response_store.hpp"

#include <algorithm>

namespace gameday::net {

ResponseStore::ResponseStore(std::size_t capacity, std::size_t byte_budget)
    : capacity_(std::max<std::size_t>(1, capacity)), byte_budget_(byte_budget) {}

std::size_t ResponseStore::bytes_of(const StoredResponse& r) {
  std::size_t n = r.json.size();
  for (const ChatMessage& m : r.conversation) n += 64 + m.role.size() + m.content.size();
  return n;
}

bool ResponseStore::put(const std::string& id, StoredResponse r) {
  const std::size_t size = bytes_of(r);
  if (size > byte_budget_) return false;
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = by_id_.find(id); it != by_id_.end()) {
    // The same id again: replaced in place, keeping its age.
    bytes_ = bytes_ - bytes_of(it->second) + size;
    it->second = std::move(r);
  } else {
    by_id_.emplace(id, std::move(r));
    order_.push_back(id);
    bytes_ += size;
  }
  while (order_.size() > 1 && (order_.size() > capacity_ || bytes_ > byte_budget_)) {
    auto oldest = by_id_.find(order_.front());
    bytes_ -= bytes_of(oldest->second);
    by_id_.erase(oldest);
    order_.pop_front();
  }
  return true;
}

std::optional<StoredResponse> ResponseStore::get(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  return it->second;
}

std::size_t ResponseStore::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return by_id_.size();
}

}  // namespace gameday::net
