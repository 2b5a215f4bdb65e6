#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "fakes/world.hpp"
#include "support/fixtures.hpp"
#include "workload/ahead.hpp"
#include "workload/task.hpp"

using namespace gameday;
using namespace gameday::testing;

namespace {

// What identifies a task's content (its id is given at arrival).
std::string summary(const Task& t) {
  std::string out = std::string(to_string(t.type)) + "|" + t.patient_id + "|" + t.patient_ref + "|" + t.question +
                    "|" + t.subject + "|" + std::string(t.patient_given) + "|" + std::string(t.truth.patient.mrn);
  for (const auto& f : t.truth.facts) out += "|" + f;
  for (const auto& d : t.truth.supporting_docs) out += "|" + d;
  return out;
}

}  // namespace

TEST_CASE("Tasks built ahead are the tasks built one by one in the same order", "[workload][ahead]") {
  const World world = World::generate(small_world());
  const TaskFactory factory(world);
  const std::vector<TaskType> types = {TaskType::kPriorAuthStatus, TaskType::kBenefitsQuestion,
                                       TaskType::kDischargeSummary};
  Rng direct_rng(9);
  std::vector<std::string> direct;
  for (int i = 0; i < 1000; ++i) direct.push_back(summary(factory.random(types[i % 3], direct_rng)));
  Rng ahead_rng(9);
  int made = 0;
  TasksAhead ahead([&] {
    const TaskType type = types[static_cast<std::size_t>(made++ % 3)];
    return factory.random(type, ahead_rng);
  });
  // Several chunks, read in steps that do not match the chunks.
  for (int i = 0; i < 1000; ++i) REQUIRE(summary(ahead.next()) == direct[static_cast<std::size_t>(i)]);
}

TEST_CASE("A task that fails to build is rethrown in its place and after", "[workload][ahead]") {
  int made = 0;
  TasksAhead ahead([&] {
    if (made == 300) throw std::runtime_error("no patient supports task type message_triage");
    Task t;
    t.question = std::to_string(made++);
    return t;
  });
  for (int i = 0; i < 300; ++i) REQUIRE(ahead.next().question == std::to_string(i));
  CHECK_THROWS_WITH(ahead.next(), "no patient supports task type message_triage");
  CHECK_THROWS_WITH(ahead.next(), "no patient supports task type message_triage");
}

TEST_CASE("Tasks built ahead and never read are dropped when it goes", "[workload][ahead]") {
  int made = 0;
  {
    TasksAhead ahead([&] {
      Task t;
      t.id = static_cast<std::uint64_t>(made++);
      return t;
    });
    REQUIRE(ahead.next().id == 0);
  }  // the thread stops while chunks wait: the destructor must not hang
  CHECK(made > 0);
  CHECK(made <= 6 * 256);  // bounded: a few chunks ahead, not the whole sequence
}

TEST_CASE("A workload building ahead submits the same tasks at the same times", "[workload][ahead]") {
  const World world = World::generate(small_world());
  const TaskFactory factory(world);
  WorkloadSpec spec;
  spec.rate_per_s = 20;
  spec.mix = {{"prior_auth_status", 2}, {"benefits_question", 1}, {"discharge_summary", 1}};
  const auto submitted = [&](bool ahead) {
    VirtualScheduler scheduler;
    Workload w(spec, factory, scheduler, Rng(1), Rng(2));
    if (ahead) w.build_ahead();
    std::vector<std::string> out;
    w.start(10 * kMinute, [&](Task&& t) {
      out.push_back(std::to_string(scheduler.now()) + "#" + std::to_string(t.id) + "#" + summary(t));
    });
    scheduler.run_until(10 * kMinute);
    return out;
  };
  const std::vector<std::string> one_by_one = submitted(false);
  REQUIRE(one_by_one.size() > 10000);
  REQUIRE(submitted(true) == one_by_one);
}
