#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

#include "fakes/world.hpp"
#include "support/fixtures.hpp"
#include "workload/task.hpp"

using namespace gameday;
using namespace gameday::testing;

TEST_CASE("Task truth facts appear verbatim in the supporting record", "[workload]") {
  const World world = World::generate(small_world());
  const TaskFactory factory(world);
  Rng rng(2);
  for (int i = 0; i < 50; ++i) {
    const Task b = factory.random(TaskType::kBenefitsQuestion, rng);
    const Document* doc = world.document(b.truth.supporting_docs.at(0));
    REQUIRE(doc != nullptr);
    for (const auto& f : b.truth.facts) REQUIRE(doc->text.find(f) != std::string::npos);
    const Task d = factory.random(TaskType::kDischargeSummary, rng);
    const Document* note = world.document(d.truth.supporting_docs.at(0));
    REQUIRE(note->patient_id == d.patient_id);
    for (const auto& f : d.truth.facts) REQUIRE(note->text.find(f) != std::string::npos);
    const Task p = factory.random(TaskType::kPriorAuthStatus, rng);
    const PriorAuth* pa = world.prior_auth(p.truth.supporting_docs.at(0));
    REQUIRE(pa->patient_id == p.patient_id);
    REQUIRE(p.question.find(pa->pre_auth_ref) != std::string::npos);
  }
}

TEST_CASE("Workload arrivals are Poisson at the configured rate with the configured mix", "[workload]") {
  const World world = World::generate(small_world());
  const TaskFactory factory(world);
  VirtualScheduler scheduler;
  WorkloadSpec spec;
  spec.rate_per_s = 4;
  spec.mix = {{"prior_auth_status", 2}, {"benefits_question", 1}, {"discharge_summary", 1}};
  Workload w(spec, factory, scheduler, Rng(1), Rng(2));
  std::map<TaskType, int> counts;
  std::uint64_t last_id = 0;
  bool ids_increase = true;
  w.start(kHour, [&](Task t) {
    ++counts[t.type];
    ids_increase = ids_increase && t.id == last_id + 1;
    last_id = t.id;
  });
  scheduler.run_until(2 * kHour);
  const int total = counts[TaskType::kPriorAuthStatus] + counts[TaskType::kBenefitsQuestion] +
                    counts[TaskType::kDischargeSummary];
  REQUIRE(total == Approx(4 * 3600).epsilon(0.03));
  REQUIRE(counts[TaskType::kPriorAuthStatus] / double(total) == Approx(0.5).epsilon(0.05));
  REQUIRE(ids_increase);
}

TEST_CASE("Task types round-trip through their names", "[workload]") {
  for (TaskType t : all_task_types()) REQUIRE(parse_task_type(to_string(t)) == t);
  REQUIRE_FALSE(parse_task_type("triage").has_value());
  REQUIRE(parse_task_type("message_triage") == TaskType::kMessageTriage);
  REQUIRE(all_task_types().size() == 4);
  // Triage runs only when a mix names it.
  REQUIRE(std::find(default_task_types().begin(), default_task_types().end(),
                    TaskType::kMessageTriage) == default_task_types().end());
}

TEST_CASE("A workload without a mix draws only the three default task types", "[workload]") {
  const World world = World::generate(small_world());
  const TaskFactory factory(world);
  VirtualScheduler scheduler;
  WorkloadSpec spec;
  spec.rate_per_s = 4;
  Workload w(spec, factory, scheduler, Rng(1), Rng(2));
  std::map<TaskType, int> counts;
  w.start(10 * kMinute, [&](Task t) { ++counts[t.type]; });
  scheduler.run_until(kHour);
  REQUIRE(counts.size() == 3);
  REQUIRE(counts.count(TaskType::kMessageTriage) == 0);
}

TEST_CASE("Tasks carry the patient's name for redaction and identifiers for the judge", "[workload]") {
  const World world = World::generate(small_world());
  const TaskFactory factory(world);
  Rng rng(4);
  for (TaskType type : default_task_types()) {
    const Task t = factory.random(type, rng);
    const Patient* p = world.patient(t.patient_id);
    REQUIRE(p != nullptr);
    REQUIRE(t.patient_given == p->given);
    REQUIRE(t.patient_family == p->family);
    REQUIRE(t.truth.patient.mrn == p->mrn);
    REQUIRE(t.truth.patient.phone == p->phone);
    REQUIRE(t.truth.patient.member_id == world.coverage_of(p->id)->member_id);
  }
}

TEST_CASE("Triage tasks quote the patient's portal message and carry its urgency as truth", "[workload][triage]") {
  const World world = World::generate(small_world());
  const TaskFactory factory(world);
  Rng rng(6);
  int built = 0;
  for (const Patient& p : world.patients()) {
    const Document* message = nullptr;
    for (const Document* d : world.notes_of(p.id)) {
      if (d->category == kPortalMessageCategory && !d->facts.empty()) {
        message = d;
        break;
      }
    }
    const auto t = factory.make(TaskType::kMessageTriage, p.id, rng);
    // A patient without a portal message has no triage task.
    REQUIRE(t.has_value() == (message != nullptr));
    if (!t) continue;
    ++built;
    REQUIRE(t->question == "Triage this patient message: " + message->text + " What urgency applies?");
    REQUIRE(t->truth.facts == message->facts);
    REQUIRE(t->truth.supporting_docs.at(0) == message->id);
    REQUIRE(t->subject == message->id);
  }
  REQUIRE(built > 0);  // else nothing above was checked
}
