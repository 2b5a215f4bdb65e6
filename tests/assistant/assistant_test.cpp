#include <catch2/catch.hpp>

#include "quality/judge.hpp"
#include "support/world_harness.hpp"

using namespace gameday;
using namespace gameday::testing;

TEST_CASE("Assistant answers a prior-auth question citing the retrieved case", "[assistant]") {
  Harness h;
  Rng rng(3);
  Task task = h.factory.random(TaskType::kPriorAuthStatus, rng);
  const Answer a = h.ask(task);
  REQUIRE(a.status == RequestStatus::kOk);
  REQUIRE(a.vendor == "primary");
  REQUIRE(a.citations_valid);
  REQUIRE_FALSE(a.citations.empty());
  for (const auto& id : a.citations) {
    REQUIRE(std::find(a.retrieved_ids.begin(), a.retrieved_ids.end(), id) != a.retrieved_ids.end());
  }
  REQUIRE(judge(task, a).correct);
  REQUIRE(a.attempts == 1);
  REQUIRE(a.ehr_calls == 1);
}

TEST_CASE("Assistant answers every task type correctly when nothing is wrong", "[assistant]") {
  Harness h;
  Rng rng(9);
  for (TaskType type : all_task_types()) {
    for (int i = 0; i < 10; ++i) {
      Task task = h.factory.random(type, rng);
      const Answer a = h.ask(task);
      INFO(to_string(type) << ": " << a.text);
      REQUIRE(a.status == RequestStatus::kOk);
      REQUIRE(judge(task, a).correct);
    }
  }
}

TEST_CASE("Assistant falls back after its own timeout and retry when the vendor hangs", "[assistant]") {
  Harness h;
  h.board.activate(&h.fault("vendor:primary", "hang"));
  Rng rng(3);
  const Answer a = h.ask(h.factory.random(TaskType::kDischargeSummary, rng));
  REQUIRE(a.status == RequestStatus::kFallback);
  REQUIRE(a.cause == "vendor_timeout");
  REQUIRE(a.attempts == 2);
  REQUIRE(a.text == kFallbackText);
  const auto& cfg = h.fakes.assistant;
  REQUIRE(a.latency >= 2 * cfg.model_timeout);
}

TEST_CASE("Assistant fails over to the secondary vendor when auto-failover is on", "[assistant]") {
  Harness h;
  h.board.activate(&h.fault("vendor:primary", "hang"));
  REQUIRE(h.assistant->set_flag("auto-failover", "on", "test", nullptr));
  Rng rng(3);
  const Answer a = h.ask(h.factory.random(TaskType::kBenefitsQuestion, rng));
  REQUIRE(a.status == RequestStatus::kOk);
  REQUIRE(a.vendor == "secondary");
  REQUIRE(a.attempts == 3);
}

TEST_CASE("Assistant waits for Retry-After before retrying a 429", "[assistant]") {
  Harness h;
  FaultSpec& f = h.fault("vendor:primary", "error");
  f.status = 429;
  f.retry_after = 2 * kSecond;
  h.board.activate(&f);
  Rng rng(3);
  const Answer a = h.ask(h.factory.random(TaskType::kPriorAuthStatus, rng));
  REQUIRE(a.status == RequestStatus::kFallback);
  REQUIRE(a.cause == "vendor_rate_limited");
  REQUIRE(a.latency >= 2 * kSecond);
  REQUIRE(a.latency < 4 * kSecond);
}

TEST_CASE("Assistant falls back when the EHR times out", "[assistant]") {
  Harness h;
  h.board.activate(&h.fault("ehr", "timeout"));
  Rng rng(3);
  const Answer a = h.ask(h.factory.random(TaskType::kPriorAuthStatus, rng));
  REQUIRE(a.status == RequestStatus::kFallback);
  REQUIRE(a.cause == "ehr_timeout");
  REQUIRE(a.attempts == 0);
  REQUIRE(a.ehr_calls == 2);
}

TEST_CASE("Assistant serves the canned fallback in safe mode without calling anything", "[assistant]") {
  Harness h;
  REQUIRE(h.assistant->set_flag("safe-mode", "on", "test", nullptr));
  Rng rng(3);
  const Answer a = h.ask(h.factory.random(TaskType::kPriorAuthStatus, rng));
  REQUIRE(a.status == RequestStatus::kFallback);
  REQUIRE(a.cause == "safe_mode");
  REQUIRE(a.ehr_calls == 0);
}

TEST_CASE("Assistant answers without citations under a prompt that drops them", "[assistant]") {
  Harness h;
  REQUIRE(h.assistant->set_prompt("v3", "test", nullptr));
  Rng rng(3);
  Task task = h.factory.random(TaskType::kPriorAuthStatus, rng);
  const Answer a = h.ask(task);
  REQUIRE(a.status == RequestStatus::kOk);
  REQUIRE(a.citations.empty());
  REQUIRE(a.prompt_version == "v3");
  REQUIRE_FALSE(judge(task, a).correct);  // right facts, but nothing cited
}

TEST_CASE("Control changes are journaled and rejected when unknown", "[assistant][control]") {
  Harness h;
  std::string error;
  REQUIRE(h.assistant->set_route("secondary", "playbook:x", &error));
  REQUIRE_FALSE(h.assistant->set_route("tertiary", "playbook:x", &error));
  REQUIRE(error.find("tertiary") != std::string::npos);
  REQUIRE_FALSE(h.assistant->set_flag("no-such-flag", "on", "x", &error));
  REQUIRE_FALSE(h.assistant->set_flag("safe-mode", "maybe", "x", &error));
  REQUIRE(h.journal.events().size() == 1);
  const auto& e = std::get<ControlChangeEvent>(h.journal.events()[0].body);
  REQUIRE(e.what == "route");
  REQUIRE(e.from == "primary");
  REQUIRE(e.to == "secondary");
  REQUIRE(e.by == "playbook:x");
}

TEST_CASE("Prompt rollback returns to the last known-good version", "[assistant][control]") {
  Harness h;
  std::string error;
  REQUIRE_FALSE(h.assistant->rollback_prompt("x", &error));  // nothing deployed before
  REQUIRE(h.assistant->set_prompt("v1", "deploy", &error));
  REQUIRE(h.assistant->set_prompt("v3", "deploy", &error));
  REQUIRE(h.assistant->rollback_prompt("playbook:p", &error));
  REQUIRE(h.assistant->prompt_version() == "v1");
  REQUIRE(h.assistant->rollback_prompt("playbook:p", &error));
  REQUIRE(h.assistant->prompt_version() == "v2");
}

TEST_CASE("Citations are extracted once each in order of appearance", "[assistant]") {
  REQUIRE(extract_citations("A [doc:x1]. B [doc:y2]. C [doc:x1].") == std::vector<std::string>{"x1", "y2"});
  REQUIRE(extract_citations("no citations here").empty());
}
