#include "net/trace_join.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace gameday::net {
namespace {

void add_unique(std::vector<std::string>& to, const std::vector<std::string>& ids) {
  for (const auto& id : ids) {
    if (std::find(to.begin(), to.end(), id) == to.end()) to.push_back(id);
  }
}

std::vector<std::string>& fault_list(Answer& a, Dependency d) {
  return d == Dependency::kEhr ? a.ehr_fault_ids : d == Dependency::kVendor ? a.model_fault_ids : a.embedding_fault_ids;
}

}  // namespace

void add_served_call(Answer& a, const ServedCall& served, SimTime started) {
  DependencyCall call = served.call;
  call.started = started;
  a.untraced = false;
  a.spans_from_fakes = true;
  std::vector<std::string>& faults = fault_list(a, call.dependency);
  if (call.dependency == Dependency::kEhr) {
    ++a.ehr_calls;
    a.stage = Stage::kRetrieval;
  } else {
    if (call.dependency == Dependency::kVendor) ++a.attempts;
    a.stage = Stage::kModel;
  }
  if (served.phi_in_prompt > 0) {
    a.phi_to_vendor = true;
    a.redaction = false;  // identifiers reached the vendor: nothing redacted them
  }
  if (served.canary) a.canary_in_context = true;  // a poisoned note reached the service
  if (served.unfinished) {
    // Held: the caller gives up on it, or the request does.
    call.latency = 0;
    a.in_flight_mark = faults.size();
    add_unique(faults, call.fault_ids);
    a.in_flight = std::move(call);
    return;
  }
  add_unique(faults, call.fault_ids);
  a.calls.push_back(std::move(call));
}

void merge_span_facts(Answer& answer, const Answer& spans, SimTime now) {
  answer.untraced = spans.untraced;
  answer.spans_from_fakes = spans.spans_from_fakes;
  if (!spans.spans_from_fakes) return;
  answer.calls = spans.calls;
  if (spans.in_flight) {
    DependencyCall given_up = *spans.in_flight;
    given_up.status = 0;
    given_up.latency = std::max<Duration>(0, now - given_up.started);
    answer.calls.push_back(std::move(given_up));
  }
  answer.ehr_fault_ids = spans.ehr_fault_ids;
  answer.model_fault_ids = spans.model_fault_ids;
  answer.embedding_fault_ids = spans.embedding_fault_ids;
  // The service's own counts win when it reports them; else what the fakes saw.
  if (answer.attempts == 0) answer.attempts = spans.attempts;
  if (answer.ehr_calls == 0) answer.ehr_calls = spans.ehr_calls;
  answer.phi_to_vendor = spans.phi_to_vendor;
  answer.redaction = spans.redaction;
  answer.canary_in_context = answer.canary_in_context || spans.canary_in_context;
}

TraceJoin::TraceJoin(std::function<void(std::function<void()>)> post, std::function<SimTime()> now, double speed)
    : post_(std::move(post)), now_(std::move(now)), speed_(speed > 0 ? speed : 1) {}

void TraceJoin::served(const ServedCall& call) {
  post_([this, call] { add(call); });
}

void TraceJoin::expect(const std::string& trace_id, std::shared_ptr<Answer> spans) {
  spans->untraced = true;
  open_[trace_id] = std::move(spans);
}

std::shared_ptr<Answer> TraceJoin::take(const std::string& trace_id) {
  const auto it = open_.find(trace_id);
  if (it == open_.end()) return nullptr;
  std::shared_ptr<Answer> spans = std::move(it->second);
  open_.erase(it);
  return spans;
}

void TraceJoin::add(const ServedCall& call) {
  const auto it = call.trace_id.empty() ? open_.end() : open_.find(call.trace_id);
  if (it == open_.end()) {
    ++unmatched_;
    return;
  }
  // The call ended (or began holding) just now, after its latency in real time.
  const auto scenario_latency = static_cast<Duration>(std::llround(static_cast<double>(call.call.latency) * speed_));
  add_served_call(*it->second, call, now_() - scenario_latency);
}

}  // namespace gameday::net
