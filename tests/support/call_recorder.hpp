#pragma once
// Collects the calls a live fake reports (net::CallObserver), for tests that read them back.
#include <mutex>
#include <vector>

#include "net/served_call.hpp"

namespace gameday::testing {

/// Every ServedCall reported, in order (thread-safe).
class CallRecorder final : public net::CallObserver {
 public:
  void served(const net::ServedCall& call) override {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.push_back(call);
  }
  /// A copy of what was reported so far.
  std::vector<net::ServedCall> calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<net::ServedCall> calls_;
};

}  // namespace gameday::testing
