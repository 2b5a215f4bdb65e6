#pragma once
// Test doubles for the assistant's dependencies: an EHR and a model vendor whose outcomes a test
// scripts, so behaviour that other modules' faults produce (poisoned notes, wrong patients,
// hallucinations, schema breaks) can be tested without them.
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "assistant/clients.hpp"
#include "sim/scheduler.hpp"

namespace gameday::testing {

/// An EHR that answers every request with script(req), after `delay`; it records the requests.
class ScriptedEhr final : public EhrClient {
 public:
  explicit ScriptedEhr(Scheduler& scheduler) : scheduler_(scheduler) {}

  /// Keeps a document alive for the outcomes that point at it.
  const Document* keep(Document d) { return &docs_.emplace_back(std::move(d)); }

  void send(const EhrRequest& req, EhrDone done, SpanFaults* span) override {
    requests.push_back(req);
    EhrOutcome out = script ? script(req) : EhrOutcome{};
    if (span) span->insert(span->end(), out.fault_ids.begin(), out.fault_ids.end());
    if (out.hang) return;
    scheduler_.after(delay, [done = std::move(done), out = std::move(out)]() mutable { done(out); });
  }

  std::function<EhrOutcome(const EhrRequest&)> script;
  Duration delay = 10 * kMillisecond;
  std::vector<EhrRequest> requests;

 private:
  Scheduler& scheduler_;
  std::deque<Document> docs_;
};

/// A vendor route set whose outcome is script(req) (or, without a script, whatever `inner`
/// answers); it records every request.
class ScriptedModel final : public ModelClient {
 public:
  ScriptedModel(Scheduler& scheduler, ModelClient* inner = nullptr)
      : scheduler_(scheduler), inner_(inner) {}

  bool has_vendor(const std::string& vendor) const override {
    return inner_ ? inner_->has_vendor(vendor) : vendor == "primary" || vendor == "secondary";
  }

  void send(const std::string& vendor, const ChatRequest& req, ModelDone done,
            SpanFaults* span) override {
    requests.push_back(req);
    if (!script) {
      inner_->send(vendor, req, std::move(done), span);
      return;
    }
    VendorOutcome out = script(req);
    if (span) span->insert(span->end(), out.fault_ids.begin(), out.fault_ids.end());
    if (out.hang) return;
    scheduler_.after(out.delay, [done = std::move(done), out = std::move(out)]() mutable { done(out); });
  }

  /// The user message of the last request (what the vendor saw).
  const std::string& last_prompt() const { return requests.back().messages.back().content; }

  std::function<VendorOutcome(const ChatRequest&)> script;
  std::vector<ChatRequest> requests;

 private:
  Scheduler& scheduler_;
  ModelClient* inner_;
};

/// A 200 outcome with `content`, after `delay`, shaped by `fault_ids`.
inline VendorOutcome vendor_says(const std::string& content, std::vector<std::string> fault_ids = {},
                                 Duration delay = 500 * kMillisecond) {
  VendorOutcome o;
  o.delay = delay;
  o.response.id = "chatcmpl-test";
  o.response.model = "scripted-model";
  o.response.content = content;
  o.fault_ids = std::move(fault_ids);
  return o;
}

}  // namespace gameday::testing
