// The fake vendor's tool step on requests that offer tools (ChatRequest::tool_turn), and the
// tool-flow faults that bend it: forbidden_tool, tool_wrong_arguments and tool_loop.
#include <catch2/catch.hpp>

#include <string>

#include "fakes/tool_calls.hpp"
#include "fakes/vendor.hpp"
#include "sim/rng.hpp"

using namespace gameday;

namespace {

constexpr const char* kSystem = "Answer only from the context. Cite the document id like [doc:ID].";
constexpr const char* kParameters =
    R"({"type":"object","properties":{"patient_id":{"type":"string","description":"The patient's FHIR id."}},)"
    R"("required":["patient_id"]})";

tools::ToolTurn offered() {
  tools::ToolTurn turn;
  turn.tools = {{"search_prior_auths", "Preauthorization cases of a patient with their status.", kParameters},
                {"search_discharge_notes", "Discharge summaries: diagnosis and follow-up.", kParameters}};
  return turn;
}

ChatRequest request(const tools::ToolTurn& turn) {
  ChatRequest req;
  req.messages = {{"system", kSystem},
                  {"user", "Patient: pat-0007\nQuestion: What is the status of prior authorization PA-SYN-100200?\n"}};
  req.tool_turn = &turn;
  return req;
}

FaultSpec fault(FaultKind kind) {
  FaultSpec f;
  f.id = std::string(name_of(kind));
  f.target = "vendor:primary";
  f.params = default_params(kind);
  return f;
}

VendorOutcome respond(const ChatRequest& req, const std::vector<const FaultSpec*>& faults = {}) {
  VendorProfile p;
  p.id = "primary";
  p.models = {"m"};
  p.tokens_per_second = 50;
  FakeVendor v(p);
  Rng rng(1);
  return v.respond(req, 0, rng, faults);
}

const tools::ToolResult kResult{"call_x_0", "search_prior_auths",
                                "[doc:pa-000007] Prior authorization PA-SYN-100200 for CPT 72148 has status "
                                "approved. It was submitted to Payer on 2026-03-02.\n"};

}  // namespace

TEST_CASE("The vendor calls the relevant offered tool with the patient of the prompt, then answers from its result",
          "[fakes][vendor][tools]") {
  tools::ToolTurn turn = offered();
  const VendorOutcome first = respond(request(turn));
  REQUIRE(first.status == 200);
  REQUIRE(first.response.tool_calls.size() == 1);
  CHECK(first.response.tool_calls[0].name == "search_prior_auths");
  CHECK(first.response.tool_calls[0].arguments == R"({"patient_id":"pat-0007"})");
  CHECK(first.response.finish_reason == "tool_calls");
  CHECK(first.response.content.empty());
  turn.results = {kResult};
  const VendorOutcome second = respond(request(turn));
  CHECK(second.response.tool_calls.empty());
  CHECK(second.response.content.find("approved") != std::string::npos);
  CHECK(second.response.content.find("[doc:pa-000007]") != std::string::npos);
}

TEST_CASE("forbidden_tool makes the vendor call the fault's tool instead, at any round", "[fakes][vendor][tools]") {
  tools::ToolTurn turn = offered();
  FaultSpec f = fault(FaultKind::kForbiddenTool);
  f.as<ForbiddenToolFault>()->tool = "update_patient_record";
  for (bool with_results : {false, true}) {
    turn.results.clear();
    if (with_results) turn.results = {kResult};
    const VendorOutcome o = respond(request(turn), {&f});
    REQUIRE(o.response.tool_calls.size() == 1);
    CHECK(o.response.tool_calls[0].name == "update_patient_record");
    CHECK(o.response.tool_calls[0].arguments == R"({"patient_id":"pat-0007"})");
    CHECK(o.response.content.empty());
    CHECK(o.fault_ids == std::vector<std::string>{f.id});
  }
}

TEST_CASE("tool_wrong_arguments moves a call's patient to the neighbouring id", "[fakes][vendor][tools]") {
  const tools::ToolTurn turn = offered();
  const FaultSpec f = fault(FaultKind::kToolWrongArguments);
  const VendorOutcome o = respond(request(turn), {&f});
  REQUIRE(o.response.tool_calls.size() == 1);
  CHECK(o.response.tool_calls[0].arguments == R"({"patient_id":"pat-0006"})");
  CHECK(o.fault_ids == std::vector<std::string>{f.id});
  // pat-0001 has no lower neighbour: it moves up.
  ChatRequest first = request(turn);
  first.messages[1].content = "Patient: pat-0001\nQuestion: What is the status of prior authorization PA-SYN-1?\n";
  CHECK(respond(first, {&f}).response.tool_calls.at(0).arguments == R"({"patient_id":"pat-0002"})");
}

TEST_CASE("tool_wrong_arguments leaves an answer alone and records nothing when there is no call",
          "[fakes][vendor][tools]") {
  tools::ToolTurn turn = offered();
  turn.results = {kResult};
  const FaultSpec f = fault(FaultKind::kToolWrongArguments);
  const VendorOutcome o = respond(request(turn), {&f});
  CHECK(o.response.tool_calls.empty());
  CHECK(o.fault_ids.empty());
}

TEST_CASE("tool_loop makes the vendor call the tools again after their results came back", "[fakes][vendor][tools]") {
  tools::ToolTurn turn = offered();
  turn.results = {kResult};
  const FaultSpec f = fault(FaultKind::kToolLoop);
  const VendorOutcome o = respond(request(turn), {&f});
  REQUIRE(o.response.tool_calls.size() == 1);
  CHECK(o.response.tool_calls[0].name == "search_prior_auths");
  CHECK(o.response.tool_calls[0].arguments == R"({"patient_id":"pat-0007"})");
  CHECK(o.fault_ids == std::vector<std::string>{f.id});
  // Before any result, the calls are the model's own: the loop changed nothing.
  turn.results.clear();
  CHECK(respond(request(turn), {&f}).fault_ids.empty());
}

TEST_CASE("Tool-flow faults do nothing to a request that offers no tools", "[fakes][vendor][tools]") {
  const tools::ToolTurn turn = offered();
  ChatRequest req = request(turn);
  req.tool_turn = nullptr;
  const FaultSpec a = fault(FaultKind::kForbiddenTool);
  const FaultSpec b = fault(FaultKind::kToolWrongArguments);
  const FaultSpec c = fault(FaultKind::kToolLoop);
  const VendorOutcome plain = respond(req);
  const VendorOutcome o = respond(req, {&a, &b, &c});
  CHECK(o.response.tool_calls.empty());
  CHECK(o.fault_ids.empty());
  CHECK(o.response.content == plain.response.content);
}
