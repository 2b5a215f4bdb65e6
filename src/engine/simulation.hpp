#pragma once
// Wires the world, the fakes, the assistant, the workload, detection, playbooks and the journal
// together and runs a scenario: in virtual time (run_simulation) or in real time (run_drill).
// Both go through the same engine code; only the scheduler differs.
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "spec/model.hpp"
#include "sim/journal.hpp"

namespace gameday {

class StepEffects;        // playbook/effects.hpp
class RealTimeScheduler;  // sim/realtime_scheduler.hpp
class Assistant;          // assistant/assistant.hpp
class AnswerService;      // assistant/assistant.hpp
class TaskFactory;        // workload/task.hpp
struct ServiceControlSetup;  // playbook/service_control.hpp

/// Alerts raised outside the engine (a live drill: Alertmanager's webhook) delivered into it.
/// Call only on the scheduler's thread (RealTimeScheduler::post from any other).
class AlertInlet {
 public:
  virtual ~AlertInlet() = default;
  /// Alert `name` fires: journaled as alert_fire (with `summary`) and handled like a detector
  /// alert (a page is acknowledged after the responders' delay; playbooks triggered by it
  /// start). Ignored while `name` is already firing (Alertmanager repeats firing alerts).
  /// `severity` "" takes the scenario alert's severity, or "page" for an alert it lacks.
  /// `source` names the path it came by (journaled: alert_fire's "source", e.g. "alertmanager").
  virtual void fire(const std::string& name, const std::string& severity, const std::string& summary,
                    const std::string& source) = 0;
  /// Alert `name` resolves: journaled as alert_resolve; ignored when it is not firing.
  virtual void resolve(const std::string& name) = 0;
};

/// The running engine as a live drill's servers reach it (the assistant's HTTP API, the control
/// API's faults). Call only on the scheduler's thread (RealTimeScheduler::post from any other).
class EngineHandle {
 public:
  virtual ~EngineHandle() = default;
  /// The built-in assistant (its controls; in-process answers).
  virtual Assistant& assistant() = 0;
  /// Builds tasks over the run's world (a task asked over HTTP gets its truth here).
  virtual const TaskFactory& tasks() const = 0;
  /// Starts a fault now, journaled as fault_start: vendor and EHR faults go on the run's board
  /// (`for` > 0 ends it that much later; `at` is ignored), change faults (target assistant) make
  /// their change. False with `error` when a fault with that id is active.
  virtual bool add_fault(const FaultSpec& fault, std::string* error) = 0;
  /// Ends the active fault `id` (journaled fault_end); false when none is active.
  virtual bool remove_fault(const std::string& id) = 0;
  /// Ends every active fault; returns how many.
  virtual std::size_t reset_faults() = 0;
  /// The active vendor and EHR faults, in activation order.
  virtual std::vector<FaultSpec> active_faults() const = 0;

  // A drill room's people (net/room): each call journals what it changed, as any actor's would.
  /// Journals `action` now (an ActionEvent: a person's action, declaration, note or hint).
  virtual void record_action(const ActionEvent& action) = 0;
  /// Journals a drill room's answer key (a ReferenceEvent) now.
  virtual void record_reference(const ReferenceEvent& reference) = 0;
  /// `who` acknowledges the page of `alert` (journaled ack). False with `error` when the
  /// scenario has no such alert or it has not fired.
  virtual bool acknowledge(const std::string& alert, const std::string& who, std::string* error) = 0;
  /// Starts the playbook `name` by hand (trigger "manual:WHO"). False with `error` when the
  /// run has no such playbook (or none: --no-playbooks) or it is already running.
  virtual bool start_playbook(const std::string& name, const std::string& who, std::string* error) = 0;
  /// Runs a golden set by `who` (journaled golden_result, by WHO, when its answers are in):
  /// `set` names one of the run's sets by its file name (e.g. "core.yaml"), "" the first.
  /// False with `error` when there is no such set.
  virtual bool run_golden(const std::string& set, const std::string& who, std::string* error) = 0;
  /// The names of the run's playbooks and golden sets (file names), in order.
  virtual std::vector<std::string> playbook_names() const = 0;
  virtual std::vector<std::string> golden_set_names() const = 0;
};

/// A scenario with everything it references, loaded and validated.
struct ScenarioBundle {
  Scenario scenario;
  Fakes fakes;
  std::vector<Playbook> playbooks;
  std::map<std::string, GoldenSet> golden_sets;  // by resolved path
};

/// How to run a simulation.
struct SimOptions {
  std::uint64_t seed = 1;
  bool playbooks_enabled = true;
  /// Runs playbook exec/http/notify steps (the CLI passes net::NetStepEffects); null: those
  /// steps fail. In a simulation it must block (virtual time stands still while a step runs);
  /// in a drill it may run steps in the background. Closed when the run ends.
  StepEffects* step_effects = nullptr;
  /// When set and it becomes true (e.g. on SIGINT), the run stops within the next
  /// VirtualScheduler::kInterruptEvery events (or as soon as a blocking step returns): running playbooks are interrupted, their
  /// rollback lists run, and the journal ends with run_end "interrupted".
  const std::atomic<bool>* stop = nullptr;
  /// When set and it becomes true (a second Ctrl-C), the rollbacks still running after `stop`
  /// are cut short: their processes are killed, each such playbook ends at once (its step in
  /// flight journaled "interrupted", its reason saying the rollback was cut short) and the run
  /// ends.
  const std::atomic<bool>* stop_rollbacks = nullptr;
  /// When true the scenario's alert rules never fire: the detector still measures SLIs for
  /// playbook conditions, and alerts come only through the AlertInlet (`alert_inlet`), so
  /// detection is whatever path delivers them (e.g. Prometheus and Alertmanager in a drill).
  bool external_alerts = false;
  /// Called on the scheduler's thread once the engine is wired, with the inlet for external
  /// alerts, and again with nullptr before the engine is torn down. Optional.
  std::function<void(AlertInlet*)> alert_inlet;
  /// A drill played by people (`drill --manual`): alerts page the on-call person instead of
  /// starting automation. No playbook starts by itself (alert or time triggers) and no
  /// simulated responder acknowledges; people do both through the EngineHandle. The playbooks
  /// stay loaded, so a person can start one by hand.
  bool manual = false;
  /// How much scenario time the rollbacks of playbooks still running at the end may take.
  Duration rollback_limit = kHour;
  /// Where user traffic and golden probes are asked (a drill's HTTP transport); null: the
  /// built-in assistant, in-process. Must outlive the run.
  AnswerService* answers = nullptr;
  /// Called on the scheduler's thread with the running engine once it is wired, and again with
  /// nullptr before it is torn down. Optional.
  std::function<void(EngineHandle*)> engine;
  /// Called on the scheduler's thread whenever a vendor or EHR fault starts (true) or ends
  /// (false), from the timeline or through the EngineHandle (a drill mirrors them onto its
  /// HTTP fakes). Optional.
  std::function<void(const FaultSpec&, bool active)> on_fault;
  /// The system under test is the team's own service (a --sut drill): built-in playbook steps
  /// and change faults (target assistant) act on it through its control contract, never on the
  /// built-in assistant, and run_start's initial state is the service's (see
  /// playbook/service_control.hpp). Null: the built-in assistant. Must outlive the run.
  const ServiceControlSetup* service = nullptr;
  /// Build user traffic's tasks ahead of their arrivals on a thread of their own (see
  /// Workload::build_ahead): the same run, with the task building off the simulating thread.
  /// For a run with a core to spare (`gameday run`; not `gameday ci`, whose jobs fill the cores).
  bool tasks_ahead = false;
};

/// Counters of a finished simulation (for benchmarks and logs; the journal is the record).
struct SimStats {
  std::uint64_t events = 0;    // scheduler events executed
  std::uint64_t requests = 0;  // user requests submitted
  bool interrupted = false;    // SimOptions::stop ended the run early
  /// The journaled ends of exec/http/notify steps that failed because they could not run at
  /// all (PlaybookRunner::steps_not_run), in journal order.
  std::vector<StepEndEvent> steps_not_run;
};

/// Runs `bundle` in virtual time, single-threaded, appending every event to `journal`.
/// Byte-for-byte reproducible for the same bundle and seed. Never reads the OS clock.
SimStats run_simulation(const ScenarioBundle& bundle, const SimOptions& options, Journal& journal);

/// Runs `bundle` in real time on `scheduler` (a live drill): the same components and journal
/// events as run_simulation, with run_start mode "live"; the OS clock sets the times, so runs
/// are not reproducible. `options.stop` is polled while waiting (within 50 ms); on it the run
/// ends as run_simulation's does (rollbacks run, run_end "interrupted"). Returns when the
/// scenario's duration of scheduler time has passed and the rollbacks are done.
SimStats run_drill(const ScenarioBundle& bundle, const SimOptions& options, Journal& journal,
                   RealTimeScheduler& scheduler);

}  // namespace gameday
