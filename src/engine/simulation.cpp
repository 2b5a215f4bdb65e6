#include "engine/simulation.hpp"

#include <memory>

#include "assistant/assistant.hpp"
#include "assistant/clients.hpp"
#include "fakes/ehr.hpp"
#include "fakes/faults.hpp"
#include "fakes/world.hpp"
#include "playbook/runner.hpp"
#include "quality/judge.hpp"
#include "sim/distribution.hpp"
#include "sim/rng.hpp"
#include "sim/scheduler.hpp"
#include "slo/detector.hpp"
#include "workload/task.hpp"

namespace gameday {
namespace {

std::string describe_fault(const FaultSpec& f) {
  std::string d;
  if (f.kind == "latency") {
    d = "+" + describe(f.delay);
  } else if (f.kind == "error") {
    d = "status " + std::to_string(f.status);
    if (f.retry_after > 0) d += ", retry-after " + format_duration(f.retry_after);
  } else if (f.kind == "hang" || f.kind == "timeout") {
    d = "no response";
  } else {
    d = f.kind;
  }
  if (f.probability < 1.0) {
    d += " on " + std::to_string(static_cast<int>(f.probability * 100 + 0.5)) + "% of requests";
  }
  return d;
}

RunStartEvent run_start(const Scenario& s, const SimOptions& o) {
  RunStartEvent e;
  e.scenario = s.name;
  e.description = s.description;
  e.seed = o.seed;
  e.duration = s.duration;
  e.mode = "simulated";
  e.playbooks_enabled = o.playbooks_enabled;
  e.sustain = s.sustain;
  for (const auto& slo : s.slos) e.slos.push_back(SloRecord{slo.name, slo.sli, slo.objective, slo.threshold});
  for (const auto& x : s.expect) e.expect.push_back(x.text);
  return e;
}

}  // namespace

SimStats run_simulation(const ScenarioBundle& bundle, const SimOptions& options, Journal& journal) {
  const Scenario& scenario = bundle.scenario;
  const Fakes& fakes = bundle.fakes;
  const std::uint64_t seed = options.seed;
  SimStats stats;

  VirtualScheduler scheduler;
  const World world = World::generate(fakes.world);
  const FakeEhr ehr(world);
  FaultBoard board;
  SimEhrClient ehr_client(ehr, board, scheduler, Rng::for_component(seed, "ehr"));
  SimModelClient model_client(board, scheduler);
  for (const auto& v : fakes.vendors) {
    model_client.add_vendor(v, Rng::for_component(seed, "vendor." + v.id));
  }
  Assistant assistant(scenario.assistant.value_or(fakes.assistant), fakes.prompts, fakes.flags,
                      scheduler, ehr_client, model_client, journal);
  const TaskFactory factory(world);
  GoldenRunner golden(factory, assistant, scheduler, journal, Rng::for_component(seed, "golden"));
  PlaybookRunner playbooks(options.playbooks_enabled ? bundle.playbooks : std::vector<Playbook>{},
                           bundle.golden_sets, scheduler, journal, assistant, golden,
                           Rng::for_component(seed, "playbooks"));
  Detector detector(scenario, scheduler, journal);
  Rng responders = Rng::for_component(seed, "responders");

  // One request event per arrival dominates the journal; leave headroom for the rest.
  const double expected = scenario.workload.rate_per_s * to_seconds(scenario.duration);
  journal.reserve(static_cast<std::size_t>(expected * 1.1) + 4096);
  journal.append(0, run_start(scenario, options));

  // Paged humans acknowledge after a modelled delay; playbooks start on the alert itself.
  detector.on_fire([&](const AlertSpec& alert) {
    if (alert.severity == "page") {
      const Duration delay = sample(scenario.ack_delay, responders);
      scheduler.after(delay, [&journal, &scheduler, &scenario, name = alert.name] {
        journal.append(scheduler.now(), AckEvent{scenario.responder, name});
      });
    }
    playbooks.on_alert(alert);
  });

  // The fault timeline.
  for (const FaultSpec& f : scenario.faults) {
    if (f.at >= scenario.duration) continue;
    scheduler.at(f.at, [&board, &journal, &scheduler, &f] {
      board.activate(&f);
      journal.append(scheduler.now(), FaultStartEvent{f.id, f.target, f.kind, describe_fault(f)});
    });
    if (f.duration > 0 && f.at + f.duration < scenario.duration) {
      scheduler.at(f.at + f.duration, [&board, &journal, &scheduler, &f] {
        board.deactivate(f.id);
        journal.append(scheduler.now(), FaultEndEvent{f.id, f.target, f.kind});
      });
    }
  }

  // User traffic: the caller gives up after client_timeout; whichever comes first is journaled.
  Workload workload(scenario.workload, factory, scheduler, Rng::for_component(seed, "workload.arrivals"),
                    Rng::for_component(seed, "workload.tasks"));
  const Duration client_timeout = scenario.workload.client_timeout;
  workload.start(scenario.duration, [&](Task task) {
    ++stats.requests;
    struct Pending {
      Task task;
      SimTime arrival;
      bool done = false;
    };
    auto p = std::make_shared<Pending>(Pending{std::move(task), scheduler.now()});
    scheduler.after(client_timeout, [&, p] {
      if (p->done) return;
      p->done = true;
      Answer none;
      none.status = RequestStatus::kTimeout;
      none.prompt_version = assistant.prompt_version();
      const Judgement j;
      journal.append(scheduler.now(), make_request_event(p->task, none, j, p->arrival,
                                                         RequestStatus::kTimeout, client_timeout));
      detector.observe(scheduler.now(), std::get<RequestEvent>(journal.events().back().body));
    });
    assistant.handle(p->task, [&, p](const Answer& a) {
      if (p->done) return;
      p->done = true;
      const Judgement j = judge(p->task, a);
      journal.append(scheduler.now(), make_request_event(p->task, a, j, p->arrival, a.status, a.latency));
      detector.observe(scheduler.now(), std::get<RequestEvent>(journal.events().back().body));
    });
  });

  detector.start(scenario.duration);
  scheduler.run_until(scenario.duration);

  for (const FaultSpec* f : board.active()) {
    journal.append(scenario.duration, FaultEndEvent{f->id, f->target, f->kind});
  }
  journal.append(scenario.duration, RunEndEvent{"completed"});
  stats.events = scheduler.executed();
  return stats;
}

}  // namespace gameday
