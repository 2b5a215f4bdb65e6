// Joining the calls the fakes served to the --sut answers they served, by trace id
// (net/trace_join.hpp), and what the scorer then reads: root causes from the fakes' side, PHI
// the vendor received, attack attempts, and no guess where no trace context came.
#include <catch2/catch.hpp>

#include <functional>
#include <vector>

#include "net/trace_join.hpp"
#include "quality/judge.hpp"

using namespace gameday;
using namespace gameday::net;

namespace {

ServedCall served(Dependency d, const std::string& trace, int status, std::vector<std::string> faults = {}) {
  ServedCall c;
  c.trace_id = trace;
  c.call.dependency = d;
  c.call.vendor = d == Dependency::kEhr ? "" : "primary";
  c.call.status = status;
  c.call.latency = 200 * kMillisecond;
  c.call.fault_ids = std::move(faults);
  return c;
}

// A join whose posted work runs when run() is called, on a clock the test sets.
struct Harness {
  std::vector<std::function<void()>> queue;
  SimTime now = 10 * kSecond;
  TraceJoin join{[this](std::function<void()> fn) { queue.push_back(std::move(fn)); }, [this] { return now; }, 2.0};
  void run() {
    for (auto& fn : queue) fn();
    queue.clear();
  }
};

const std::string kTrace = "4bf92f3577b34da6a3ce929d0e0e4736";

}  // namespace

TEST_CASE("The calls served under a request's trace id become its span facts", "[net][trace][join]") {
  Harness h;
  auto spans = std::make_shared<Answer>();
  h.join.expect(kTrace, spans);
  REQUIRE(spans->untraced);
  ServedCall ehr = served(Dependency::kEhr, kTrace, 200, {"poison"});
  ehr.canary = true;
  ServedCall model = served(Dependency::kVendor, kTrace, 200);
  model.phi_in_prompt = 2;
  h.join.served(ehr);
  h.join.served(model);
  h.join.served(served(Dependency::kVendor, "", 200));                                  // no trace context
  h.join.served(served(Dependency::kVendor, "ffffffffffffffffffffffffffffffff", 200));  // someone else's
  REQUIRE(spans->calls.empty());  // nothing before the scheduler runs it
  h.run();
  CHECK_FALSE(spans->untraced);
  CHECK(spans->spans_from_fakes);
  REQUIRE(spans->calls.size() == 2);
  // A call ends when it is reported; its real latency is scaled to scenario time (speed 2).
  CHECK(spans->calls[0].started == 10 * kSecond - 400 * kMillisecond);
  CHECK(spans->ehr_calls == 1);
  CHECK(spans->attempts == 1);
  CHECK(spans->ehr_fault_ids == std::vector<std::string>{"poison"});
  CHECK(spans->canary_in_context);
  CHECK(spans->phi_to_vendor);
  CHECK_FALSE(spans->redaction);
  CHECK(h.join.unmatched_calls() == 2);
  CHECK(h.join.take(kTrace) == spans);
  CHECK(h.join.take(kTrace) == nullptr);
}

TEST_CASE("A call still held when the service answered counts as a call it gave up on", "[net][trace][join]") {
  Answer spans;
  ServedCall held = served(Dependency::kEhr, kTrace, 0, {"ehr-hang"});
  held.unfinished = true;
  add_served_call(spans, held, 2 * kSecond);
  REQUIRE(spans.in_flight);
  CHECK(spans.stage == Stage::kRetrieval);
  Answer answer;
  answer.status = RequestStatus::kFallback;
  answer.cause = "dependency_down";  // the service's own words
  merge_span_facts(answer, spans, 7 * kSecond);
  REQUIRE(answer.calls.size() == 1);
  CHECK(answer.calls[0].status == 0);
  CHECK(answer.calls[0].latency == 5 * kSecond);
  CHECK(answer.ehr_fault_ids == std::vector<std::string>{"ehr-hang"});
  // The fakes saw its EHR call fail: that is where the failure came from.
  CHECK(root_cause(answer, Judgement{}, answer.status, nullptr) == "ehr_dependency");
}

TEST_CASE("A bad answer no call could be tied to has no root cause, rather than a guess", "[net][trace][join]") {
  Harness h;
  auto spans = std::make_shared<Answer>();
  h.join.expect(kTrace, spans);
  Answer answer;
  answer.status = RequestStatus::kError;
  answer.cause = "sut_http_500";
  merge_span_facts(answer, *h.join.take(kTrace), h.now);
  CHECK(answer.untraced);
  CHECK(root_cause(answer, Judgement{}, answer.status, nullptr) == "no_trace_context");
  CHECK(root_cause(answer, Judgement{}, RequestStatus::kTimeout, nullptr) == "no_trace_context");
  // A good answer needs no root cause either way.
  answer.status = RequestStatus::kOk;
  CHECK(root_cause(answer, Judgement{}, answer.status, nullptr).empty());
}

TEST_CASE("A traced request the caller gave up on is placed where its calls stood", "[net][trace][join]") {
  Answer in_model;
  add_served_call(in_model, served(Dependency::kEhr, kTrace, 200), kSecond);
  ServedCall held = served(Dependency::kVendor, kTrace, 0);
  held.unfinished = true;
  add_served_call(in_model, held, 2 * kSecond);
  CHECK(root_cause(in_model, Judgement{}, RequestStatus::kTimeout, nullptr) == "model");
  Answer in_ehr;
  ServedCall ehr_held = served(Dependency::kEhr, kTrace, 0);
  ehr_held.unfinished = true;
  add_served_call(in_ehr, ehr_held, kSecond);
  CHECK(root_cause(in_ehr, Judgement{}, RequestStatus::kTimeout, nullptr) == "ehr_dependency");
}
