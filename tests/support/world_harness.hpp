#pragma once
// A simulated world for unit tests: scheduler, fakes, faults, clients, journal and assistant.
#include <memory>
#include <optional>

#include "assistant/assistant.hpp"
#include "assistant/clients.hpp"
#include "fakes/ehr.hpp"
#include "fakes/faults.hpp"
#include "fakes/world.hpp"
#include "sim/journal.hpp"
#include "sim/scheduler.hpp"
#include "support/fixtures.hpp"
#include "workload/task.hpp"

namespace gameday::testing {

/// Everything the assistant needs, wired in-process on a VirtualScheduler.
struct Harness {
  explicit Harness(Fakes f = small_fakes(), std::uint64_t seed = 1)
      : fakes(std::move(f)),
        world(World::generate(fakes.world)),
        ehr(world),
        ehr_client(ehr, board, scheduler, Rng::for_component(seed, "ehr")),
        model_client(board, scheduler),
        factory(world) {
    for (const auto& v : fakes.vendors) model_client.add_vendor(v, Rng::for_component(seed, "vendor." + v.id), fakes.hallucinations);
    assistant = std::make_unique<Assistant>(fakes.assistant, fakes.prompts, fakes.flags, scheduler,
                                            ehr_client, model_client, journal);
  }

  /// Runs one task to completion and returns the answer.
  Answer ask(const Task& task) { return ask(*assistant, task); }

  /// Runs one task to completion on `a` (e.g. one built by assistant_with) and returns the answer.
  Answer ask(Assistant& a, const Task& task) {
    std::optional<Answer> got;
    a.handle(task, [&](const Answer& answer) { got = answer; });
    scheduler.run_until(scheduler.now() + 10 * kMinute);
    REQUIRE(got.has_value());
    return *got;
  }

  /// An assistant on this harness's fakes, scheduler and journal but other clients (doubles).
  std::unique_ptr<Assistant> assistant_with(EhrClient& ehr_double, ModelClient& model_double) {
    return std::make_unique<Assistant>(fakes.assistant, fakes.prompts, fakes.flags, scheduler,
                                       ehr_double, model_double, journal);
  }

  /// A fault spec kept alive by the harness.
  FaultSpec& fault(const std::string& target, const std::string& kind) {
    auto f = std::make_unique<FaultSpec>();
    f->id = kind + "-" + std::to_string(faults.size() + 1);
    f->target = target;
    f->params = default_params(parse_name<FaultKind>(kind).value());
    faults.push_back(std::move(f));
    return *faults.back();
  }

  Fakes fakes;
  VirtualScheduler scheduler;
  World world;
  FakeEhr ehr;
  FaultBoard board;
  SimEhrClient ehr_client;
  SimModelClient model_client;
  Journal journal;
  TaskFactory factory;
  std::unique_ptr<Assistant> assistant;
  std::vector<std::unique_ptr<FaultSpec>> faults;
};

}  // namespace gameday::testing
