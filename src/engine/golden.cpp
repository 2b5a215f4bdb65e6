#include "engine/golden.hpp"

#include <optional>

#include "assistant/assistant.hpp"
#include "assistant/clients.hpp"
#include "fakes/ehr.hpp"
#include "fakes/faults.hpp"
#include "fakes/world.hpp"
#include "quality/judge.hpp"
#include "sim/rng.hpp"
#include "sim/scheduler.hpp"
#include "workload/task.hpp"

namespace gameday {

GoldenSetResult run_golden_set(const Fakes& fakes, const GoldenSet& set, std::uint64_t seed,
                               Journal& journal) {
  VirtualScheduler scheduler;
  const World world = World::generate(fakes.world);
  const FakeEhr ehr(world);
  FaultBoard board;  // no faults: the set is judged against a healthy world
  SimEhrClient ehr_client(ehr, board, scheduler, Rng::for_component(seed, "ehr"));
  SimModelClient model_client(board, scheduler);
  for (const auto& v : fakes.vendors) {
    model_client.add_vendor(v, Rng::for_component(seed, "vendor." + v.id), fakes.hallucinations);
  }
  Assistant assistant(fakes.assistant, fakes.prompts, fakes.flags, scheduler, ehr_client,
                      model_client, journal);
  const TaskFactory factory(world);
  const JudgeLexicon lexicon(fakes.hallucinations);
  Rng rng = Rng::for_component(seed, "golden");

  GoldenSetResult result;
  result.set = set.name;
  result.min_pass_rate = set.min_pass_rate;
  result.total = static_cast<int>(set.cases.size());
  result.cases.resize(set.cases.size());
  // The assistant keeps a reference to each task until it answers: the tasks live here, in a
  // vector that is never resized while requests are in flight.
  std::vector<std::optional<Task>> tasks(set.cases.size());
  std::uint64_t next_id = 1;
  for (std::size_t i = 0; i < set.cases.size(); ++i) {
    const GoldenCase& c = set.cases[i];
    GoldenCaseResult& r = result.cases[i];
    r.id = c.id;
    const auto type = parse_task_type(c.task_type);
    if (type) tasks[i] = factory.make(*type, c.patient, rng);
    if (!tasks[i]) {
      r.status = RequestStatus::kFallback;
      r.reason = "cannot build a " + c.task_type + " task for " + factory.world().pseudonym(c.patient);
      continue;
    }
    r.status = RequestStatus::kTimeout;
    r.reason = "no answer";  // until the assistant answers
    tasks[i]->id = next_id++;
    tasks[i]->probe = true;
    assistant.handle(*tasks[i], [&, i](const Answer& a) {
      const Task& t = *tasks[i];
      const Judgement j = judge(t, a, lexicon);
      journal.append(scheduler.now(), make_request_event(t, a, j, 0, a.status, a.latency));
      GoldenCaseResult& cr = result.cases[i];
      cr.status = a.status;
      cr.latency = a.latency;
      cr.pass = golden_case_passes(set.cases[i], a, j, &cr.reason);
      if (cr.pass) cr.reason.clear();
    });
  }
  scheduler.run_until(24 * kHour);

  for (const auto& c : result.cases) result.passed += c.pass ? 1 : 0;
  result.pass_rate = result.total ? static_cast<double>(result.passed) / result.total : 0.0;
  result.ok = result.total > 0 && result.pass_rate + 1e-12 >= result.min_pass_rate;
  journal.append(scheduler.now(), GoldenResultEvent{set.name, result.passed, result.total,
                                                    result.min_pass_rate, result.ok, "gameday golden"});
  return result;
}

}  // namespace gameday
