#include <catch2/catch.hpp>

#include "quality/judge.hpp"
#include "support/doubles.hpp"
#include "support/world_harness.hpp"

using namespace gameday;
using namespace gameday::testing;

namespace {

constexpr const char* kMessage =
    "I have had crushing chest pain and shortness of breath since this morning.";
constexpr const char* kPolicyText =
    "Chest pain or shortness of breath needs urgency emergency and a call to 911. "
    "A medication refill request is routine.";

// The triage world of one patient, served by a scripted EHR: their portal message, then the
// triage policy (what engineer A's world holds; scripted so this does not depend on it).
struct TriageWorld {
  explicit TriageWorld(Harness& h) : ehr(h.scheduler) {
    Document msg;
    msg.id = "msg-0001";
    msg.patient_id = "pat-0001";
    msg.category = kPortalMessageCategory;
    msg.text = kMessage;
    msg.facts = {"emergency"};
    Document policy;
    policy.id = kTriagePolicyId;
    policy.category = "policy";
    policy.plan_code = "ALL";
    policy.text = kPolicyText;
    const Document* m = ehr.keep(msg);
    const Document* p = ehr.keep(policy);
    ehr.script = [m, p](const EhrRequest& req) {
      EhrOutcome out;
      if (req.category == kPortalMessageCategory && req.patient == "pat-0001") out.documents = {m};
      if (req.category == "policy" && req.plan == "ALL") out.documents = {p};
      out.total = static_cast<int>(out.documents.size());
      return out;
    };
    task.id = 7;
    task.type = TaskType::kMessageTriage;
    task.patient_id = "pat-0001";
    task.question = std::string("Triage this patient message: ") + kMessage + " What urgency applies?";
    task.truth.facts = {"emergency"};
    task.truth.supporting_docs = {"msg-0001", kTriagePolicyId};
  }
  ScriptedEhr ehr;
  Task task;
};

template <class Req>
std::string task_type_of(const Req& req) {
  if constexpr (requires { req.task_type; }) {
    return req.task_type;
  } else {
    return "message_triage";  // the field is engineer A's; until it exists there is nothing to set
  }
}

}  // namespace

TEST_CASE("Triage retrieves the portal message and the triage policy and asks for JSON", "[assistant][triage]") {
  Harness h;
  TriageWorld w(h);
  ScriptedModel model(h.scheduler, &h.model_client);
  auto assistant = h.assistant_with(w.ehr, model);
  const Answer a = h.ask(*assistant, w.task);
  REQUIRE(w.ehr.requests.size() == 2);
  REQUIRE(w.ehr.requests[0].resource_type == "DocumentReference");
  REQUIRE(w.ehr.requests[0].category == kPortalMessageCategory);
  REQUIRE(w.ehr.requests[0].patient == "pat-0001");
  REQUIRE(w.ehr.requests[1].category == "policy");
  REQUIRE(w.ehr.requests[1].plan == "ALL");
  REQUIRE(w.ehr.requests[1].patient.empty());
  REQUIRE(model.requests.at(0).json_output);
  for (const auto& r : w.ehr.requests) REQUIRE(task_type_of(r) == "message_triage");
  REQUIRE(task_type_of(model.requests.at(0)) == "message_triage");
  REQUIRE(a.retrieved_ids == std::vector<std::string>{"msg-0001", kTriagePolicyId});
  REQUIRE(a.other_patient_docs.empty());

  // The extractive vendor answers in JSON from the policy sentence the message matches.
  REQUIRE(a.status == RequestStatus::kOk);
  REQUIRE(a.json_output);
  REQUIRE(a.schema_valid);
  REQUIRE(a.statement.find("emergency") != std::string::npos);
  REQUIRE(a.text.front() == '{');
  REQUIRE_FALSE(a.citations.empty());
  REQUIRE(a.citations_valid);
  const Judgement j = judge(w.task, a);
  REQUIRE(j.grounded);
  REQUIRE(j.correct);
}

TEST_CASE("Triage falls back on a broken JSON schema when schema-check is on", "[assistant][triage]") {
  Harness h;
  TriageWorld w(h);
  ScriptedModel model(h.scheduler);
  auto assistant = h.assistant_with(w.ehr, model);
  for (const char* broken : {"{\"answer\": \"needs urgency emergency", "{\"answer\": \"x\"}",
                             "{\"answer\": 3, \"citations\": []}", "[\"answer\"]",
                             "{\"answer\": \"x\", \"citations\": [1]}", "urgency emergency"}) {
    INFO(broken);
    model.script = [&](const ChatRequest&) { return vendor_says(broken, {"schema-fault"}); };
    const Answer a = h.ask(*assistant, w.task);
    REQUIRE(a.status == RequestStatus::kFallback);
    REQUIRE(a.cause == "invalid_schema");
    REQUIRE_FALSE(a.schema_valid);
    REQUIRE(a.model_fault_ids == std::vector<std::string>{"schema-fault"});
    const RequestEvent r = make_request_event(w.task, a, judge(w.task, a), 0, a.status, a.latency);
    REQUIRE_FALSE(r.schema_valid);  // what the validator saw, even though nothing was served
    REQUIRE_FALSE(r.unsafe);
    REQUIRE(r.root_cause == "model");
  }
}

TEST_CASE("Triage serves a broken JSON answer when schema-check is off, and it is unsafe", "[assistant][triage]") {
  Harness h;
  TriageWorld w(h);
  ScriptedModel model(h.scheduler);
  auto assistant = h.assistant_with(w.ehr, model);
  REQUIRE(assistant->set_flag("schema-check", "off", "test", nullptr));
  model.script = [&](const ChatRequest&) { return vendor_says("{\"answer\": \"needs urgency emergency"); };
  const Answer a = h.ask(*assistant, w.task);
  REQUIRE(a.status == RequestStatus::kOk);
  REQUIRE_FALSE(a.schema_valid);
  REQUIRE_FALSE(a.citations_valid);
  const Judgement j = judge(w.task, a);
  REQUIRE(j.unsafe);
  REQUIRE(j.unsafe_kind == "invalid_schema");
  std::vector<FaultSpec> none;
  REQUIRE(root_cause(a, j, a.status, &none) == "prompt_config");  // schema-check off explains
}

TEST_CASE("A valid JSON answer citing a document it was not given is caught by citation-check", "[assistant][triage]") {
  Harness h;
  TriageWorld w(h);
  ScriptedModel model(h.scheduler);
  auto assistant = h.assistant_with(w.ehr, model);
  model.script = [&](const ChatRequest&) {
    return vendor_says("{\"answer\": \"Urgency emergency.\", \"citations\": [\"policy-other\"]}");
  };
  const Answer a = h.ask(*assistant, w.task);
  REQUIRE(a.status == RequestStatus::kFallback);
  REQUIRE(a.cause == "citation_invalid");
  REQUIRE(a.schema_valid);
}
