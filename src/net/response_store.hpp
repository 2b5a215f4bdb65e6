#pragma once
// The recent responses of the fake vendor's Responses API, for GET /v1/responses/{id} and
// `previous_response_id`: a bounded store that forgets the oldest first.
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "fakes/vendor.hpp"

namespace gameday::net {

/// One stored response.
struct StoredResponse {
  std::string json;                       ///< the Response object as answered
  std::vector<ChatMessage> conversation;  ///< what a follow-up continues (responses::conversation)
  /// The function calls the response made: a follow-up's function_call_output items answer them.
  std::vector<ToolCall> calls;
};

/// Holds at most `capacity` responses of at most `byte_budget` bytes together (bytes_of);
/// putting one more forgets the oldest until both hold. Thread-safe.
class ResponseStore {
 public:
  /// How many responses a vendor server keeps by default.
  static constexpr std::size_t kDefaultCapacity = 512;
  /// How many bytes they may take together by default (64 MiB).
  static constexpr std::size_t kDefaultByteBudget = 64 * 1024 * 1024;

  explicit ResponseStore(std::size_t capacity = kDefaultCapacity, std::size_t byte_budget = kDefaultByteBudget);
  /// Stores `r` under `id` (replacing one with the same id), forgetting the oldest while over
  /// the capacity or the budget. A response over the whole budget is not stored (false).
  bool put(const std::string& id, StoredResponse r);
  /// The response stored under `id`, if it is still held.
  std::optional<StoredResponse> get(const std::string& id) const;
  /// How many responses it holds.
  std::size_t size() const;
  /// What a response counts against the budget: its JSON, its messages' text and 64 bytes a
  /// message.
  static std::size_t bytes_of(const StoredResponse& r);

 private:
  mutable std::mutex mu_;
  std::size_t capacity_;
  std::size_t byte_budget_;
  std::size_t bytes_ = 0;  // guarded by mu_: bytes_of every held response
  std::deque<std::string> order_;  // guarded by mu_: ids, oldest first
  std::unordered_map<std::string, StoredResponse> by_id_;  // guarded by mu_
};

}  // namespace gameday::net
