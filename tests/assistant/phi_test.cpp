#include <catch2/catch.hpp>

#include "assistant/phi.hpp"
#include "quality/judge.hpp"
#include "support/doubles.hpp"
#include "support/world_harness.hpp"

using namespace gameday;
using namespace gameday::testing;

TEST_CASE("PHI patterns find MRNs, phones and member ids but not prior-auth references", "[assistant][phi]") {
  const std::string text =
      "Alma (MRN SYN-0004821) called from (417) 555-0142 about member SYNM-12345678 and "
      "PA-SYN-482913.";
  PhiMatch m;
  REQUIRE(find_phi(text, 0, &m));
  REQUIRE(m.kind == PhiKind::kMrn);
  REQUIRE(m.text(text) == "SYN-0004821");
  REQUIRE(find_phi(text, m.pos + m.len, &m));
  REQUIRE(m.kind == PhiKind::kPhone);
  REQUIRE(m.text(text) == "(417) 555-0142");
  REQUIRE(find_phi(text, m.pos + m.len, &m));
  REQUIRE(m.kind == PhiKind::kMemberId);
  REQUIRE(m.text(text) == "SYNM-12345678");
  REQUIRE_FALSE(find_phi(text, m.pos + m.len, &m));

  REQUIRE_FALSE(contains_phi("Prior authorization PA-SYN-482913 for CPT 72148 is approved."));
  REQUIRE_FALSE(contains_phi("SYN-123456 is too short, SYN-12345678 too long, 555-0142 bare."));
  REQUIRE_FALSE(contains_phi("[MRN] [PHONE] [MEMBER-ID] [PATIENT]"));
  REQUIRE(contains_phi("SYN-0000001"));
}

TEST_CASE("Redaction replaces identifiers and the patient's whole name with tokens", "[assistant][phi]") {
  std::string text = "Alma Testwell (MRN SYN-0004821) was admitted. Call (417) 555-0142. "
                     "Alma Testwellington is someone else.";
  const PersonName alma{"Alma", "Testwell"};
  REQUIRE(count_phi(text, alma) == 3);
  REQUIRE(redact_phi(text, alma) == 3);
  REQUIRE(text == "[PATIENT] (MRN [MRN]) was admitted. Call [PHONE]. "
                  "Alma Testwellington is someone else.");
  REQUIRE(count_phi(text, alma) == 0);
  std::string clean = "Nothing to redact here. Testwell alone is not the name.";
  REQUIRE(redact_phi(clean, alma) == 0);
  REQUIRE(redact_phi(clean, PersonName{}) == 0);
  REQUIRE(clean == "Nothing to redact here. Testwell alone is not the name.");
}

namespace {

// A discharge-summary task: its note names the patient and their MRN.
Task discharge_task(Harness& h) {
  Rng rng(3);
  return h.factory.random(TaskType::kDischargeSummary, rng);
}

std::string full_name(const Task& t) {
  return std::string(t.patient_given) + " " + std::string(t.patient_family);
}

}  // namespace

TEST_CASE("With redaction on the vendor receives tokens, never the patient's identifiers", "[assistant][phi]") {
  Harness h;
  ScriptedModel model(h.scheduler, &h.model_client);
  auto assistant = h.assistant_with(h.ehr_client, model);
  const Task task = discharge_task(h);
  REQUIRE_FALSE(task.truth.patient.mrn.empty());
  const Answer a = h.ask(*assistant, task);
  REQUIRE(a.status == RequestStatus::kOk);
  const std::string& prompt = model.last_prompt();
  REQUIRE(prompt.find(task.truth.patient.mrn) == std::string::npos);
  REQUIRE(prompt.find(full_name(task)) == std::string::npos);
  REQUIRE_FALSE(contains_phi(prompt));
  REQUIRE(prompt.find("[MRN]") != std::string::npos);
  REQUIRE(prompt.find("[PATIENT]") != std::string::npos);
  REQUIRE(a.redaction);
  REQUIRE_FALSE(a.phi_to_vendor);
  REQUIRE_FALSE(a.phi_in_logs);
  REQUIRE(judge(task, a).correct);  // the facts survive redaction
}

TEST_CASE("With redaction off the vendor receives identifiers and the logs would hold them", "[assistant][phi]") {
  Harness h;
  ScriptedModel model(h.scheduler, &h.model_client);
  auto assistant = h.assistant_with(h.ehr_client, model);
  REQUIRE(assistant->set_flag("phi-redaction", "off", "test", nullptr));
  const Task task = discharge_task(h);
  const Answer a = h.ask(*assistant, task);
  REQUIRE(model.last_prompt().find(task.truth.patient.mrn) != std::string::npos);
  REQUIRE(model.last_prompt().find(full_name(task)) != std::string::npos);
  REQUIRE_FALSE(a.redaction);
  REQUIRE(a.phi_to_vendor);
  REQUIRE(a.phi_in_logs);
  const RequestEvent r = make_request_event(task, a, judge(task, a), 0, a.status, a.latency);
  REQUIRE(r.phi_to_vendor);
  REQUIRE(r.phi_in_logs);
  // The truth records the exposure; the journal line itself holds no identifier.
  std::string line;
  append_json(line, Event{0, r});
  REQUIRE_FALSE(contains_phi(line));
  REQUIRE(line.find(full_name(task)) == std::string::npos);
  REQUIRE(line.find(task.patient_id) == std::string::npos);
}

TEST_CASE("Redaction off exposes nothing when the context holds no identifiers", "[assistant][phi]") {
  Harness h;
  REQUIRE(h.assistant->set_flag("phi-redaction", "off", "test", nullptr));
  Rng rng(3);
  const Answer a = h.ask(h.factory.random(TaskType::kPriorAuthStatus, rng));
  REQUIRE(a.status == RequestStatus::kOk);
  REQUIRE_FALSE(a.phi_to_vendor);
  REQUIRE_FALSE(a.phi_in_logs);
}

TEST_CASE("Redaction stays on when the flag is not defined", "[assistant][phi]") {
  Fakes f = small_fakes();
  f.flags.erase(std::remove_if(f.flags.begin(), f.flags.end(),
                               [](const FlagDef& d) { return d.name == "phi-redaction"; }),
                f.flags.end());
  Harness h(f);
  Rng rng(3);
  const Answer a = h.ask(h.factory.random(TaskType::kDischargeSummary, rng));
  REQUIRE(a.redaction);
  REQUIRE_FALSE(a.phi_to_vendor);
}

TEST_CASE("The output PHI filter and canary check observe the served answer", "[assistant][phi]") {
  Harness h;
  ScriptedModel model(h.scheduler);
  auto assistant = h.assistant_with(h.ehr_client, model);
  Rng rng(3);
  const Task task = h.factory.random(TaskType::kPriorAuthStatus, rng);
  const std::string cited = " [doc:" + task.truth.supporting_docs[0] + "]";
  model.script = [&](const ChatRequest&) {
    return vendor_says("Call (417) 555-0142 about GDCANARY-1a2b3c4d." + cited);
  };
  const Answer a = h.ask(*assistant, task);
  REQUIRE(a.status == RequestStatus::kOk);
  REQUIRE(a.phi_detected);
  REQUIRE(a.canary_seen);
  model.script = [&](const ChatRequest&) { return vendor_says("It is fine." + cited); };
  const Answer b = h.ask(*assistant, task);
  REQUIRE_FALSE(b.phi_detected);
  REQUIRE_FALSE(b.canary_seen);
}
