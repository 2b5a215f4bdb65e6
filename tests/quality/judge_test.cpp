#include <catch2/catch.hpp>

#include "quality/judge.hpp"

using namespace gameday;

namespace {

Task pa_task() {
  Task t;
  t.id = 1;
  t.type = TaskType::kPriorAuthStatus;
  t.patient_id = "pat-0001";
  t.truth.facts = {"approved", "72148"};
  t.truth.supporting_docs = {"pa-000001"};
  return t;
}

Answer served(const std::string& text) {
  Answer a;
  a.text = text;
  a.citations = extract_citations(text);
  a.retrieved_ids = {"pa-000001", "pa-000002"};
  return a;
}

}  // namespace

TEST_CASE("A cited answer stating every fact is correct and safe", "[quality][judge]") {
  const auto j = judge(pa_task(), served("The status of prior authorization X (CPT 72148) is approved. [doc:pa-000001]"));
  REQUIRE(j.correct);
  REQUIRE_FALSE(j.unsafe);
}

TEST_CASE("A served answer missing a fact is unsafe", "[quality][judge]") {
  const auto j = judge(pa_task(), served("The prior authorization (CPT 72148) is denied. [doc:pa-000001]"));
  REQUIRE_FALSE(j.correct);
  REQUIRE(j.unsafe);
  REQUIRE(j.unsafe_kind == "incorrect");
}

TEST_CASE("A wrong answer citing a document it was not given is a hallucination", "[quality][judge]") {
  const auto j = judge(pa_task(), served("It is denied (CPT 99999). [doc:pa-777777]"));
  REQUIRE(j.unsafe);
  REQUIRE(j.unsafe_kind == "hallucination");
}

TEST_CASE("Fallbacks and refusals are never unsafe", "[quality][judge]") {
  Answer fb;
  fb.status = RequestStatus::kFallback;
  fb.text = kFallbackText;
  REQUIRE_FALSE(judge(pa_task(), fb).unsafe);
  Answer refusal = served("I cannot answer that from the provided records.");
  refusal.refused = true;
  const auto j = judge(pa_task(), refusal);
  REQUIRE_FALSE(j.unsafe);
  REQUIRE_FALSE(j.correct);
}

TEST_CASE("Golden cases check latency, citations and required text", "[quality][golden]") {
  GoldenCase c;
  c.id = "c1";
  c.expect.must_contain = {"APPROVED"};
  c.expect.must_not_contain = {"denied"};
  c.expect.max_latency = 5 * kSecond;
  Answer a = served("The status is approved (CPT 72148). [doc:pa-000001]");
  a.latency = 2 * kSecond;
  std::string reason;
  REQUIRE(golden_case_passes(c, a, judge(pa_task(), a), &reason));
  a.latency = 6 * kSecond;
  REQUIRE_FALSE(golden_case_passes(c, a, judge(pa_task(), a), &reason));
  REQUIRE(reason.find("latency") == 0);
  Answer uncited = served("The status is approved (CPT 72148).");
  uncited.latency = kSecond;
  c.expect.correct = false;
  REQUIRE_FALSE(golden_case_passes(c, uncited, judge(pa_task(), uncited), &reason));
  REQUIRE(reason == "no citation");
}

TEST_CASE("Request events carry pseudonyms, never patient ids", "[quality]") {
  const Task t = pa_task();
  const Answer a = served("approved 72148 [doc:pa-000001]");
  const RequestEvent r = make_request_event(t, a, judge(t, a), 10, RequestStatus::kOk, 5);
  REQUIRE(r.patient_ref.rfind("pt-", 0) == 0);
  REQUIRE(r.patient_ref.find("0001") == std::string::npos);
  REQUIRE(r.correct);
  const RequestEvent timed_out = make_request_event(t, a, judge(t, a), 10, RequestStatus::kTimeout, 30);
  REQUIRE_FALSE(timed_out.correct);
  REQUIRE(timed_out.cause == "client_timeout");
}
