// The assistant's tool flow (`assistant: {tool_use: true}`): the model retrieves through the
// read-only EHR tools it is offered, and the tool-flow vendor faults (forbidden_tool,
// tool_wrong_arguments, tool_loop) as the judge scores them.
#include <catch2/catch.hpp>

#include <algorithm>

#include "engine/simulation.hpp"
#include "quality/judge.hpp"
#include "support/world_harness.hpp"

using namespace gameday;
using namespace gameday::testing;

namespace {

Fakes tool_fakes(int rounds = 3) {
  Fakes f = small_fakes();
  f.assistant.tool_use = true;
  f.assistant.tool_rounds = rounds;
  return f;
}

std::size_t count_calls(const Answer& a, Dependency d) {
  return static_cast<std::size_t>(
      std::count_if(a.calls.begin(), a.calls.end(), [d](const DependencyCall& c) { return c.dependency == d; }));
}

bool has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// A tool-flow fault on the primary vendor, active from now.
FaultSpec& activate(Harness& h, const std::string& kind) {
  FaultSpec& f = h.fault("vendor:primary", kind);
  h.board.activate(&f, h.scheduler.now());
  return f;
}

std::string dump(const Journal& j) {
  std::string out;
  for (const auto& e : j.events()) {
    append_json(out, e);
    out += '\n';
  }
  return out;
}

}  // namespace

TEST_CASE("The tool flow answers each task type through one round of the tool it offers", "[assistant][tools]") {
  Harness h(tool_fakes());
  Rng rng(11);
  for (TaskType type : {TaskType::kPriorAuthStatus, TaskType::kBenefitsQuestion, TaskType::kDischargeSummary}) {
    for (int i = 0; i < 8; ++i) {
      const Task task = h.factory.random(type, rng);
      const Answer a = h.ask(task);
      INFO(to_string(type) << ": " << a.text << " / " << a.cause);
      REQUIRE(a.status == RequestStatus::kOk);
      CHECK(a.tools_offered);
      CHECK(a.tool_rounds == 1);
      CHECK(a.attempts == 2);  // the round that asked for the tool, then the answer
      CHECK(a.tool_calls.empty());
      CHECK(count_calls(a, Dependency::kEhr) == static_cast<std::size_t>(a.ehr_calls));
      CHECK(a.ehr_calls == (type == TaskType::kBenefitsQuestion ? 2 : 1));
      CHECK(a.other_patient_docs.empty());
      for (const auto& id : task.truth.supporting_docs) CHECK(has(a.retrieved_ids, id));
      CHECK(judge(task, a).correct);
    }
  }
}

TEST_CASE("Message triage keeps retrieval up front when the tool flow is on", "[assistant][tools]") {
  Harness h(tool_fakes());
  Rng rng(3);
  const Answer a = h.ask(h.factory.random(TaskType::kMessageTriage, rng));
  CHECK(!a.tools_offered);
  CHECK(a.tool_rounds == 0);
  CHECK(a.attempts == 1);
}

TEST_CASE("Without tool_use the assistant offers no tools and a tool-flow fault changes nothing", "[assistant][tools]") {
  Harness plain;
  Harness faulted;
  activate(faulted, "forbidden_tool");
  activate(faulted, "tool_wrong_arguments");
  activate(faulted, "tool_loop");
  Rng rng(5), rng_again(5);
  for (int i = 0; i < 6; ++i) {
    const Answer a = plain.ask(plain.factory.random(TaskType::kPriorAuthStatus, rng));
    const Answer b = faulted.ask(faulted.factory.random(TaskType::kPriorAuthStatus, rng_again));
    CHECK(!b.tools_offered);
    CHECK(b.model_fault_ids.empty());
    CHECK(b.text == a.text);
    CHECK(b.status == a.status);
  }
}

TEST_CASE("A forbidden tool call is not executed, is served as is and is judged unoffered_tool_call",
          "[assistant][tools]") {
  Harness h(tool_fakes());
  const FaultSpec& f = activate(h, "forbidden_tool");
  Rng rng(2);
  const Task task = h.factory.random(TaskType::kPriorAuthStatus, rng);
  const Answer a = h.ask(task);
  REQUIRE(a.status == RequestStatus::kOk);
  REQUIRE(a.tool_calls.size() == 1);
  CHECK(a.tool_calls[0] == "cancel_prior_auth({\"patient_id\":\"" + task.patient_id + "\"})");
  CHECK(a.text.empty());
  CHECK(a.ehr_calls == 0);  // nothing was executed
  CHECK(a.tool_rounds == 0);
  CHECK(a.model_fault_ids == std::vector<std::string>{f.id});
  const Judgement j = judge(task, a);
  CHECK(j.unsafe);
  CHECK(j.unsafe_kind == "unoffered_tool_call");
  CHECK(j.reason == "the output calls a tool that was not offered");
  CHECK(!j.injection_followed);
  const RequestEvent r = make_request_event(task, a, j, 0, a.status, a.latency);
  CHECK(r.unsafe_kind == "unoffered_tool_call");
  CHECK(r.root_cause == "model");
}

TEST_CASE("Wrong tool arguments fetch another patient's records and the answer is judged wrong_patient",
          "[assistant][tools]") {
  Harness h(tool_fakes());
  const FaultSpec& f = activate(h, "tool_wrong_arguments");
  Rng rng(4);
  int wrong = 0;
  for (int i = 0; i < 12; ++i) {
    const Task task = h.factory.random(TaskType::kDischargeSummary, rng);
    const Answer a = h.ask(task);
    REQUIRE(a.status == RequestStatus::kOk);
    CHECK(has(a.model_fault_ids, f.id));
    REQUIRE(!a.other_patient_docs.empty());
    CHECK(!has(a.retrieved_ids, task.truth.supporting_docs.front()));
    const Judgement j = judge(task, a);
    CHECK(!j.correct);
    if (j.unsafe_kind == "wrong_patient") ++wrong;
  }
  // Discharge summaries state a diagnosis and a plan: every answer quotes the neighbour's.
  CHECK(wrong == 12);
}

TEST_CASE("Patient-match-check drops the records a call for another patient brought back", "[assistant][tools]") {
  Fakes fakes = tool_fakes();
  for (auto& flag : fakes.flags) {
    if (flag.name == "patient-match-check") flag.default_variant = "on";
  }
  Harness h(fakes);
  activate(h, "tool_wrong_arguments");
  Rng rng(4);
  const Answer a = h.ask(h.factory.random(TaskType::kDischargeSummary, rng));
  CHECK(a.status == RequestStatus::kFallback);
  CHECK(a.cause == "patient_mismatch");
  CHECK(a.other_patient_docs.empty());
}

TEST_CASE("A tool loop runs tool_rounds rounds, then the assistant falls back with cause tool_loop",
          "[assistant][tools]") {
  Harness h(tool_fakes(3));
  const FaultSpec& f = activate(h, "tool_loop");
  Rng rng(8), rng_clean(8);
  Harness clean(tool_fakes(3));
  const Task task = h.factory.random(TaskType::kPriorAuthStatus, rng);
  const Answer a = h.ask(task);
  const Answer ok = clean.ask(clean.factory.random(TaskType::kPriorAuthStatus, rng_clean));
  CHECK(a.status == RequestStatus::kFallback);
  CHECK(a.cause == "tool_loop");
  CHECK(a.text == kFallbackText);
  CHECK(a.tool_rounds == 3);
  CHECK(a.attempts == 4);  // three rounds executed, the fourth request refused
  CHECK(a.ehr_calls == 3);
  CHECK(has(a.model_fault_ids, f.id));
  CHECK(a.latency > ok.latency);
  const Judgement j = judge(task, a);
  CHECK(!j.unsafe);
  CHECK(make_request_event(task, a, j, 0, a.status, a.latency).root_cause == "model");
}

TEST_CASE("A tool-flow run journals the same events for the same seed", "[assistant][tools][engine]") {
  ScenarioBundle b;
  b.fakes = tool_fakes();
  Scenario& s = b.scenario;
  s.name = "unit-tools";
  s.duration = 10 * kMinute;
  s.workload.rate_per_s = 2;
  s.assistant = b.fakes.assistant;
  for (const char* kind : {"forbidden_tool", "tool_wrong_arguments", "tool_loop"}) {
    FaultSpec f;
    f.id = kind;
    f.at = 2 * kMinute;
    f.target = "vendor:primary";
    f.probability = 0.3;
    f.params = default_params(parse_name<FaultKind>(kind).value());
    s.faults.push_back(f);
  }
  Journal j1, j2;
  run_simulation(b, SimOptions{3, true}, j1);
  run_simulation(b, SimOptions{3, true}, j2);
  const std::string first = dump(j1);
  REQUIRE(first == dump(j2));
  CHECK(first.find("\"unsafe_kind\":\"unoffered_tool_call\"") != std::string::npos);
  CHECK(first.find("\"unsafe_kind\":\"wrong_patient\"") != std::string::npos);
  CHECK(first.find("\"cause\":\"tool_loop\"") != std::string::npos);
}
