#include "engine/simulation.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>

#include "assistant/assistant.hpp"
#include "assistant/clients.hpp"
#include "fakes/ehr.hpp"
#include "fakes/faults.hpp"
#include "fakes/world.hpp"
#include "playbook/runner.hpp"
#include "playbook/service_control.hpp"
#include "quality/judge.hpp"
#include "sim/distribution.hpp"
#include "sim/realtime_scheduler.hpp"
#include "sim/rng.hpp"
#include "sim/scheduler.hpp"
#include "sim/timeouts.hpp"
#include "slo/burn_windows.hpp"
#include "slo/detector.hpp"
#include "workload/task.hpp"

namespace gameday {
namespace {

// An alert rule as the scorer needs it (see AlertRuleRecord).
AlertRuleRecord rule_record(const AlertSpec& a, const Scenario& s) {
  AlertRuleRecord r;
  r.name = a.name;
  switch (a.type) {
    case AlertType::kThreshold:
      r.sli = to_name(a.sli);
      r.window = a.window;
      r.above = a.above;
      break;
    case AlertType::kBurnRate:
      for (const auto& slo : s.slos) {
        if (slo.name != a.slo) continue;
        r.slo_kind = to_name(slo.sli);
        r.threshold = slo.threshold;
      }
      for (const auto& w : effective_burn_windows(a)) r.window = std::max(r.window, w.short_window);
      break;
  }
  return r;
}

RunStartEvent run_start(const Scenario& s, const SimOptions& o, const char* mode) {
  RunStartEvent e;
  e.scenario = s.name;
  e.description = s.description;
  e.seed = o.seed;
  e.duration = s.duration;
  e.mode = mode;
  e.playbooks_enabled = o.playbooks_enabled;
  e.sustain = s.sustain;
  for (const auto& slo : s.slos) e.slos.push_back(SloRecord{slo.name, to_name(slo.sli), slo.objective, slo.threshold});
  for (const auto& x : s.expect) e.expect.push_back(x.text);
  for (const auto& a : s.alerts) e.alerts.push_back(rule_record(a, s));
  e.evaluation_interval = s.evaluation_interval;
  return e;
}

// What playbook conditions read: SLIs from the detector; which alerts fire from the detector,
// or, with external alerts, from the inlet's set.
class EngineSignals final : public ConditionSignals {
 public:
  explicit EngineSignals(const Detector& detector) : detector_(detector) {}
  /// Reads which alerts fire from `external` (must outlive this) instead of the detector.
  void set_external(const std::set<std::string>* external) { external_ = external; }
  std::optional<double> sli(Sli sli, Duration window) const override {
    return detector_.sli(sli, window);
  }
  std::optional<double> vendor_sli(Sli sli, Duration window, const std::string& vendor) const override {
    return detector_.sli(sli, window, vendor);
  }
  bool firing(const std::string& name) const override {
    if (external_) return external_->count(name) > 0;
    for (const auto& n : detector_.firing()) {
      if (n == name) return true;
    }
    return false;
  }

 private:
  const Detector& detector_;
  const std::set<std::string>* external_ = nullptr;
};

// External alerts, journaled and paged like the detector's.
class EngineAlertInlet final : public AlertInlet {
 public:
  EngineAlertInlet(const Scenario& scenario, Scheduler& scheduler, Journal& journal,
                   std::function<void(const AlertSpec&)> page,
                   std::function<bool(const AlertSpec&)> grouped)
      : scenario_(scenario), scheduler_(scheduler), journal_(journal), page_(std::move(page)),
        grouped_(std::move(grouped)) {}

  void fire(const std::string& name, const std::string& severity, const std::string& summary,
            const std::string& source) override {
    if (!firing_.insert(name).second) return;
    AlertSpec spec;
    spec.name = name;
    for (const auto& a : scenario_.alerts) {
      if (a.name == name) spec = a;
    }
    if (!severity.empty()) spec.severity = severity;
    journal_.append(scheduler_.now(),
                    AlertFireEvent{name, spec.severity, 0, summary, source, grouped_(spec)});
    page_(spec);
  }

  void resolve(const std::string& name) override {
    if (firing_.erase(name) == 0) return;
    journal_.append(scheduler_.now(), AlertResolveEvent{name});
  }

  const std::set<std::string>& firing() const { return firing_; }

 private:
  const Scenario& scenario_;
  Scheduler& scheduler_;
  Journal& journal_;
  std::function<void(const AlertSpec&)> page_;
  std::function<bool(const AlertSpec&)> grouped_;
  std::set<std::string> firing_;
};

// Starts and ends faults (the timeline's and those added at run time through the
// EngineHandle), journals each, and tells the observer (a drill's HTTP fakes).
class FaultControl {
 public:
  FaultControl(FaultBoard& board, Journal& journal, Scheduler& scheduler, Assistant& assistant,
               const std::function<void(const FaultSpec&, bool)>& observer)
      : board_(board), journal_(journal), scheduler_(scheduler), assistant_(assistant), observer_(observer) {}

  // Change faults act on the team's own service through it from now on (a --sut drill).
  void set_service(ServiceControl* service) { service_ = service; }

  // Starts `f` (which must outlive its activation). Change faults make their change.
  void start(const FaultSpec* f) {
    if (service_ != nullptr && capability_of(f->kind())) return start_on_service(f);
    journal_.append(scheduler_.now(),
                    FaultStartEvent{f->id, f->target, to_name(f->kind()), describe_fault(*f), f->incident});
    // Change faults make their change once; the others act on requests while active.
    // The loader validates versions and flags; an unknown one changes nothing.
    const std::string by = std::string(kDeployBy) + f->id;
    if (const auto* deploy = f->as<PromptDeployFault>()) {
      assistant_.set_prompt(deploy->prompt_version, by, nullptr);
      return;
    }
    if (const auto* change = f->as<ConfigChangeFault>()) {
      assistant_.set_flag(change->flag, change->variant, by, nullptr);
      return;
    }
    board_.activate(f, scheduler_.now());
    if (observer_) observer_(*f, true);
  }

  // A change fault against the team's own service: journaled (fault_start, then the service's
  // control change) only once the service's answer shows the change; otherwise it was not
  // injected, and the drill says so.
  void start_on_service(const FaultSpec* f) {
    const std::string by = std::string(kDeployBy) + f->id;
    service_->send(
        control_call_for(*f), by, nullptr, kDefaultHttpTimeout,
        [this, f](bool ok, const std::string& reason, bool) {
          if (!ok) service_->warn("fault " + f->id + " was not injected: " + reason);
        },
        [this, f] {
          journal_.append(scheduler_.now(), FaultStartEvent{f->id, f->target, to_name(f->kind()),
                                                            describe_fault(*f), f->incident});
        });
  }

  // Ends `f` if it is the active fault of its id (it may have been removed or replaced).
  bool end(const FaultSpec* f) {
    if (find(f->id) != f) return false;
    board_.deactivate(f->id);
    journal_.append(scheduler_.now(), FaultEndEvent{f->id, f->target, to_name(f->kind())});
    if (observer_) observer_(*f, false);
    return true;
  }

  // Schedules each window of `f` (which must outlive the run) that starts before `run_end`,
  // and the ends of those that end before it. Each window starts `f` afresh (journaled, its
  // counters and ramps from zero); its end ends `f` if it is still the active fault of its id.
  void schedule(const FaultSpec* f, SimTime run_end) {
    for (const SimTime start : window_starts(*f)) {
      if (start >= run_end) break;
      scheduler_.at(start, [this, f] { this->start(f); });
      if (f->target != "assistant" && f->duration > 0 && start + f->duration < run_end) {
        scheduler_.at(start + f->duration, [this, f] { end(f); });
      }
    }
  }

  // Ends every active fault at `at` (the run's end).
  void end_all(SimTime at) {
    const std::vector<const FaultSpec*> active = board_.active();
    for (const FaultSpec* f : active) {
      board_.deactivate(f->id);
      journal_.append(at, FaultEndEvent{f->id, f->target, to_name(f->kind())});
      if (observer_) observer_(*f, false);
    }
  }

  const FaultSpec* find(const std::string& id) const {
    for (const FaultSpec* f : board_.active()) {
      if (f->id == id) return f;
    }
    return nullptr;
  }
  const FaultBoard& board() const { return board_; }
  Scheduler& scheduler() { return scheduler_; }

 private:
  FaultBoard& board_;
  Journal& journal_;
  Scheduler& scheduler_;
  Assistant& assistant_;
  const std::function<void(const FaultSpec&, bool)>& observer_;
  ServiceControl* service_ = nullptr;
};

// The engine as a live drill's servers reach it.
class EngineHandleImpl final : public EngineHandle {
 public:
  EngineHandleImpl(Assistant& assistant, const TaskFactory& tasks, FaultControl& faults, Journal& journal,
                   Scheduler& scheduler, PlaybookRunner& playbooks, GoldenRunner& golden,
                   const ScenarioBundle& bundle, bool playbooks_enabled)
      : assistant_(assistant), tasks_(tasks), faults_(faults), journal_(journal), scheduler_(scheduler),
        playbooks_(playbooks), golden_(golden), bundle_(bundle), playbooks_enabled_(playbooks_enabled) {}

  Assistant& assistant() override { return assistant_; }
  const TaskFactory& tasks() const override { return tasks_; }

  bool add_fault(const FaultSpec& fault, std::string* error) override {
    if (fault.target != "assistant" && faults_.find(fault.id) != nullptr) {
      if (error) *error = "a fault with id '" + fault.id + "' is active: remove it first";
      return false;
    }
    // Owned here for the rest of the run (the board and scheduled ends point into it).
    const FaultSpec* f = &added_.emplace_back(fault);
    if (f->repeat) {
      // Its windows from now on (the first starts at once).
      added_.back().at = faults_.scheduler().now();
      faults_.schedule(f, kMaxDuration);
      return true;
    }
    faults_.start(f);
    if (f->target != "assistant" && f->duration > 0) {
      faults_.scheduler().after(f->duration, [this, f] { faults_.end(f); });
    }
    return true;
  }

  bool remove_fault(const std::string& id) override {
    const FaultSpec* f = faults_.find(id);
    return f != nullptr && faults_.end(f);
  }

  std::size_t reset_faults() override {
    const std::vector<const FaultSpec*> active = faults_.board().active();
    std::size_t n = 0;
    for (const FaultSpec* f : active) n += faults_.end(f) ? 1 : 0;
    return n;
  }

  std::vector<FaultSpec> active_faults() const override {
    std::vector<FaultSpec> out;
    for (const FaultSpec* f : faults_.board().active()) out.push_back(*f);
    return out;
  }

  void record_action(const ActionEvent& action) override { journal_.append(scheduler_.now(), action); }
  void record_reference(const ReferenceEvent& reference) override { journal_.append(scheduler_.now(), reference); }

  bool acknowledge(const std::string& alert, const std::string& who, std::string* error) override {
    const auto& rules = bundle_.scenario.alerts;
    if (std::none_of(rules.begin(), rules.end(), [&](const AlertSpec& a) { return a.name == alert; })) {
      if (error) *error = "the scenario has no alert '" + alert + "'";
      return false;
    }
    const auto& events = journal_.events();
    const bool fired = std::any_of(events.rbegin(), events.rend(), [&](const Event& e) {
      const auto* f = std::get_if<AlertFireEvent>(&e.body);
      return f != nullptr && f->name == alert;
    });
    if (!fired) {
      if (error) *error = "alert '" + alert + "' has not fired: there is no page to acknowledge";
      return false;
    }
    journal_.append(scheduler_.now(), AckEvent{who, alert});
    return true;
  }

  bool start_playbook(const std::string& name, const std::string& who, std::string* error) override {
    if (!playbooks_enabled_) {
      if (error) *error = "playbooks are off in this drill (--no-playbooks)";
      return false;
    }
    const auto names = playbook_names();
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      if (error) *error = "no playbook '" + name + "' in this scenario";
      return false;
    }
    if (!playbooks_.start(name, "manual:" + who)) {
      if (error) *error = "playbook '" + name + "' is already running";
      return false;
    }
    return true;
  }

  bool run_golden(const std::string& set, const std::string& who, std::string* error) override {
    for (const auto& [path, golden_set] : bundle_.golden_sets) {
      if (!set.empty() && file_name(path) != set) continue;
      golden_.run(golden_set, golden_set.min_pass_rate, who, [](const GoldenRunner::Result&) {});
      return true;
    }
    if (error) *error = set.empty() ? "the scenario has no golden set" : "no golden set '" + set + "' in this scenario";
    return false;
  }

  std::vector<std::string> playbook_names() const override {
    std::vector<std::string> out;
    for (const auto& p : bundle_.playbooks) out.push_back(p.name);
    return out;
  }

  std::vector<std::string> golden_set_names() const override {
    std::vector<std::string> out;
    for (const auto& [path, set] : bundle_.golden_sets) out.push_back(file_name(path));
    return out;
  }

 private:
  static std::string file_name(const std::string& path) {
    const auto slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
  }

  Assistant& assistant_;
  const TaskFactory& tasks_;
  FaultControl& faults_;
  Journal& journal_;
  Scheduler& scheduler_;
  PlaybookRunner& playbooks_;
  GoldenRunner& golden_;
  const ScenarioBundle& bundle_;
  const bool playbooks_enabled_;
  std::deque<FaultSpec> added_;  // stable addresses
};

// Runs the scenario's timeline to its end (or an interrupt). Virtual time: still in slices of
// a minute, and the scheduler also looks at the flag every few thousand events, so an
// interrupt is seen promptly however dense the traffic; neither changes the order of events.
bool run_timeline(VirtualScheduler& scheduler, SimTime end, const std::atomic<bool>* stop) {
  if (stop == nullptr) {
    scheduler.run_until(end);
    return false;
  }
  scheduler.set_interrupt(stop);
  bool interrupted = false;
  for (SimTime t = 0; t < end && !interrupted;) {
    t = std::min(end, t + kMinute);
    scheduler.run_until(t);
    interrupted = stop->load();
  }
  scheduler.set_interrupt(nullptr);
  return interrupted;
}

// Real time: the loop itself polls the flag while it sleeps.
bool run_timeline(RealTimeScheduler& scheduler, SimTime end, const std::atomic<bool>* stop) {
  scheduler.set_interrupt(stop);
  scheduler.run_until(end);
  scheduler.set_interrupt(nullptr);
  return stop != nullptr && stop->load();
}

// A user request in flight. The caller gives up after client_timeout; whichever of the answer
// and the timeout comes first is journaled.
struct PendingRequest {
  PendingRequest(Task&& t, SimTime at) : task(std::move(t)), arrival(at) {}
  Task task;
  SimTime arrival;
  std::uint64_t give_up = 0;  // its give-up's token in EngineRun::give_ups
  bool done = false;
  std::weak_ptr<const Answer> live;  // the answer in progress (its spans), for a timeout
};

// A user request's journal event, finished on the journal's writer thread when one runs (see
// EventCompletion): the judge's truth, the names, the calls and the faults, read from the
// request and the answer it holds (the assistant's own, which nothing changes once answered).
// Its members are freed there too. `lexicon` and what the answer views (the system prompt)
// belong to the run, which catches the journal up before they go.
class RequestCompletion final : public EventCompletion {
 public:
  RequestCompletion(std::shared_ptr<PendingRequest> request, std::shared_ptr<const Answer> answer,
                    const JudgeLexicon& lexicon, const std::vector<FaultSpec>* faults,
                    std::optional<Judgement> judged)
      : request_(std::move(request)),
        answer_(std::move(answer)),
        lexicon_(lexicon),
        faults_(faults),
        judged_(std::move(judged)) {}

  void complete(EventBody& body) override {
    const Task& task = request_->task;
    if (!judged_) judged_ = judge(task, *answer_, lexicon_);
    complete_request_event(std::get<RequestEvent>(body), task, *answer_, *judged_, faults_);
  }

 private:
  std::shared_ptr<PendingRequest> request_;
  std::shared_ptr<const Answer> answer_;
  const JudgeLexicon& lexicon_;
  const std::vector<FaultSpec>* faults_;
  std::optional<Judgement> judged_;  // judged already (clinician corrections read it at once)
};

// The playbooks a run loads: none without playbooks; in a manual drill, without their time
// triggers (people start them; alert triggers are not followed either: see page()).
std::vector<Playbook> playbooks_for(const ScenarioBundle& bundle, const SimOptions& options) {
  if (!options.playbooks_enabled) return {};
  std::vector<Playbook> out = bundle.playbooks;
  if (options.manual) {
    for (auto& p : out) p.trigger.at.reset();
  }
  return out;
}

// With external alerts the detector keeps measuring (playbook conditions read its SLIs) but
// has no rules, so it never pages: the scenario it is given then has no alerts.
Scenario without_alerts(const Scenario& scenario, bool external_alerts) {
  Scenario unruled;
  if (external_alerts) {
    unruled = scenario;
    unruled.alerts.clear();
  }
  return unruled;
}

// One run of the engine: its parts, built in dependency order (the order of their random
// streams and first scheduled events is part of every journal), and the wiring between them.
// One body for both clocks: `S` is VirtualScheduler or RealTimeScheduler.
template <class S>
struct EngineRun {
  EngineRun(const ScenarioBundle& b, const SimOptions& o, Journal& j, S& s);
  EngineRun(const EngineRun&) = delete;
  EngineRun& operator=(const EngineRun&) = delete;
  // Request events may still be completing on the journal's writer thread, reading the
  // lexicon and the assistant's prompts: they finish before the run's parts go.
  ~EngineRun() {
    try {
      journal.catch_up();
    } catch (...) {
      // Already reported by the run's own flush(), or the run is unwinding from an error.
    }
  }

  // Runs the scenario to its end (or an interrupt) and closes the journal; `mode` goes into
  // run_start ("simulated" | "live").
  SimStats run(const char* mode);

  void start_journal(const char* mode);
  void wire_alerts();
  bool group(const AlertSpec& alert);
  void page(const AlertSpec& alert);
  void schedule_faults();
  void schedule_probes();
  void on_arrival(Task&& task);
  void give_up(const std::shared_ptr<PendingRequest>& p);
  void answered(const std::shared_ptr<PendingRequest>& p, const Answer& a);
  void maybe_correct(const Task& task, bool unsafe);
  SimStats finish();

  const ScenarioBundle& bundle;
  const SimOptions& options;
  Journal& journal;
  S& scheduler;
  const Scenario& scenario = bundle.scenario;
  const Fakes& fakes = bundle.fakes;
  const std::uint64_t seed = options.seed;
  SimStats stats;

  const World world = World::generate(fakes.world);
  const FakeEhr ehr{world};
  FaultBoard board;
  SimEhrClient ehr_client{ehr, board, scheduler, Rng::for_component(seed, "ehr")};
  SimEhrClient replica_client{ehr, board, scheduler, Rng::for_component(seed, "ehr.replica"), "ehr:replica"};
  SimModelClient model_client{board, scheduler};
  Assistant assistant{scenario.assistant.value_or(fakes.assistant), fakes.prompts, fakes.flags,
                      scheduler, ehr_client, model_client, journal};
  const TaskFactory factory{world};
  const std::vector<FaultSpec>* fault_kinds = &scenario.faults;  // root causes name fault kinds
  const JudgeLexicon lexicon{fakes.hallucinations};  // what the vendor makes up, for the judge
  // User traffic and probes ask the built-in assistant in-process, or a drill's HTTP transport.
  AnswerService& service = options.answers != nullptr ? *options.answers : assistant;
  GoldenRunner golden{factory, service, scheduler, journal, Rng::for_component(seed, "golden"),
                      fault_kinds, &lexicon};
  PlaybookRunner playbooks{playbooks_for(bundle, options),
                           bundle.golden_sets, scheduler, journal, assistant, golden,
                           Rng::for_component(seed, "playbooks")};
  const Scenario unruled = without_alerts(scenario, options.external_alerts);
  Detector detector{options.external_alerts ? unruled : scenario, scheduler, journal};
  std::unique_ptr<EngineAlertInlet> inlet;
  // Playbook conditions (when, wait_for) read the detector; exec/http/notify steps run through
  // the caller's effects.
  EngineSignals playbook_signals{detector};
  Rng responders = Rng::for_component(seed, "responders");
  // Paging groups: when each alert last paged, and whether its latest firing was grouped.
  std::map<std::string, SimTime> last_paged;
  std::map<std::string, bool> fire_grouped;
  FaultControl fault_control{board, journal, scheduler, assistant, options.on_fault};
  // A --sut drill: where built-in steps and change faults act instead of the built-in assistant.
  std::unique_ptr<ServiceControl> service_control;
  EngineHandleImpl handle{assistant, factory, fault_control, journal, scheduler, playbooks, golden, bundle,
                          options.playbooks_enabled};
  // Clinician corrections draw from their own random stream: the draws shift nothing else.
  Rng correction_rng = Rng::for_component(seed, "corrections");
  const Duration client_timeout = scenario.workload.client_timeout;
  // The callers' give-ups: every request waits the same client_timeout, so one scheduled event
  // (for the earliest) serves them all, instead of one per request in the scheduler's queue for
  // client_timeout. An answered request disarms its give-up, which lets go of the request at once.
  TimeoutQueue give_ups{scheduler, client_timeout};
  Workload workload{scenario.workload, factory, scheduler, Rng::for_component(seed, "workload.arrivals"),
                    Rng::for_component(seed, "workload.tasks")};
};

template <class S>
EngineRun<S>::EngineRun(const ScenarioBundle& b, const SimOptions& o, Journal& j, S& s)
    : bundle(b), options(o), journal(j), scheduler(s) {
  for (const auto& v : fakes.vendors) {
    model_client.add_vendor(v, Rng::for_component(seed, "vendor." + v.id), fakes.hallucinations);
  }
  assistant.set_replica(&replica_client);
  playbooks.set_signals(&playbook_signals, scenario.evaluation_interval);
  playbooks.set_effects(options.step_effects);
  playbooks.set_stop(options.stop, options.stop_rollbacks);
  if (options.service != nullptr) {
    service_control = std::make_unique<ServiceControl>(*options.service, scheduler, journal, options.step_effects);
    playbooks.set_service(service_control.get());
    fault_control.set_service(service_control.get());
  }
}

template <class S>
SimStats EngineRun<S>::run(const char* mode) {
  start_journal(mode);
  wire_alerts();
  schedule_faults();
  if (options.engine) options.engine(&handle);
  schedule_probes();
  if (options.tasks_ahead) workload.build_ahead();
  workload.start(scenario.duration, [this](Task&& task) { on_arrival(std::move(task)); });
  detector.start(scenario.duration);
  stats.interrupted = run_timeline(scheduler, scenario.duration, options.stop);
  return finish();
}

template <class S>
void EngineRun<S>::start_journal(const char* mode) {
  // One request event per arrival dominates the journal; leave headroom for the rest.
  const double expected = scenario.workload.rate_per_s * to_seconds(scenario.duration);
  journal.reserve(static_cast<std::size_t>(expected * 1.1) + 4096);
  RunStartEvent start = run_start(scenario, options, mode);
  if (service_control) {
    // The team's service: its state as it reported it (none without a control contract).
    if (const auto& s = service_control->state()) {
      const auto safe = s->flags.find("safe-mode");
      start.initial_state = {"route=" + s->route, "prompt=" + s->prompt_version,
                             std::string("mode=") + (safe != s->flags.end() && safe->second == "on" ? "fallback" : "normal")};
      for (const auto& [name, variant] : s->flags) start.initial_state.push_back("flag." + name + "=" + variant);
    }
    journal.append(0, std::move(start));
    return;
  }
  start.initial_state = {"route=" + assistant.route(), "prompt=" + assistant.prompt_version(),
                         "mode=" + std::string(assistant.flag_on("safe-mode") ? "fallback" : "normal")};
  for (const auto& f : assistant.flags()) start.initial_state.push_back("flag." + f.name + "=" + assistant.flag_variant(f.name));
  journal.append(0, std::move(start));
}

// Alerts page through page(): the detector's, or with external alerts the inlet's.
template <class S>
void EngineRun<S>::wire_alerts() {
  detector.on_fire([this](const AlertSpec& alert) { page(alert); });
  if (scenario.group_interval > 0) detector.set_grouping([this](const AlertSpec& a) { return group(a); });
  if (options.external_alerts) {
    inlet = std::make_unique<EngineAlertInlet>(
        scenario, scheduler, journal, [this](const AlertSpec& alert) { page(alert); },
        [this](const AlertSpec& alert) { return group(alert); });
    playbook_signals.set_external(&inlet->firing());
  }
  if (options.alert_inlet) options.alert_inlet(inlet.get());
}

// Whether a firing of `alert` now is grouped with its last page (within the scenario's
// group_interval): then nobody is paged again. Otherwise it pages, and a new group starts.
template <class S>
bool EngineRun<S>::group(const AlertSpec& alert) {
  if (scenario.group_interval <= 0) return false;
  const auto last = last_paged.find(alert.name);
  const bool grouped = last != last_paged.end() && scheduler.now() - last->second < scenario.group_interval;
  if (!grouped) last_paged[alert.name] = scheduler.now();
  fire_grouped[alert.name] = grouped;
  return grouped;
}

// Paged humans acknowledge after a modelled delay (not for a firing grouped with an earlier
// page); playbooks start on the alert itself, by their own trigger rules.
template <class S>
void EngineRun<S>::page(const AlertSpec& alert) {
  // A manual drill: the page goes to the people in the room, who acknowledge and act themselves.
  if (options.manual) return;
  const auto grouped = fire_grouped.find(alert.name);
  if (alert.severity == kSeverityPage && (grouped == fire_grouped.end() || !grouped->second)) {
    const Duration delay = sample(scenario.ack_delay, responders);
    scheduler.after(delay, [this, name = alert.name] {
      journal.append(scheduler.now(), AckEvent{scenario.responder, name});
      playbooks.on_ack(name, scenario.responder);
    });
  }
  playbooks.on_alert(alert);
}

template <class S>
void EngineRun<S>::schedule_faults() {
  // The fault timeline. Change faults (target "assistant") make one control change at `at`,
  // by "deploy:<id>", and persist until a playbook (or a human) undoes it: no end, no revert.
  board.set_combine(scenario.fault_combine);
  for (const FaultSpec& f : scenario.faults) fault_control.schedule(&f, scenario.duration);
}

// Scheduled golden-set probes (by "probe"): every `every` from `every` on. Their results are
// a detector signal; their requests are journaled as probes.
template <class S>
void EngineRun<S>::schedule_probes() {
  if (!scenario.probes || scenario.probes->every <= 0) return;
  const ProbeSpec& probes = *scenario.probes;
  auto set = bundle.golden_sets.find(probes.golden_set);
  if (set == bundle.golden_sets.end()) {
    throw std::invalid_argument("probe golden set not loaded: " + probes.golden_set);
  }
  for (SimTime t = probes.every; t < scenario.duration; t += probes.every) {
    scheduler.at(t, [this, &probes, &gs = set->second] {
      auto observed = [this](const GoldenRunner::Result& r) {
        detector.observe_probe(scheduler.now(), r.ok, r.passed, r.total);
      };
      golden.run(gs, probes.min_pass_rate, "probe", observed);
    });
  }
}

// User traffic: the caller gives up after client_timeout; whichever comes first is journaled.
template <class S>
void EngineRun<S>::on_arrival(Task&& task) {
  ++stats.requests;
  auto p = std::make_shared<PendingRequest>(std::move(task), scheduler.now());
  p->give_up = give_ups.arm([this, p] { give_up(p); });
  // The service points p->live at the answer in progress (an aliasing pointer: no allocation).
  const AnswerProgress progress(p, &p->live);
  service.ask(p->task, [this, p](const Answer& a) { answered(p, a); }, progress);
}

// The caller gave up: journal what the request had been through so far.
template <class S>
void EngineRun<S>::give_up(const std::shared_ptr<PendingRequest>& p) {
  if (p->done) return;
  p->done = true;
  Answer partial;
  if (auto live = p->live.lock()) partial = *live;
  partial.status = RequestStatus::kTimeout;
  if (partial.prompt_version.empty()) partial.prompt_version = assistant.prompt_version();
  const Judgement j = judge(p->task, partial, lexicon);
  journal.append(scheduler.now(), make_request_event(p->task, partial, j, p->arrival,
                                                     RequestStatus::kTimeout, client_timeout,
                                                     fault_kinds));
  detector.observe(scheduler.now(), std::get<RequestEvent>(journal.last().body));
}

template <class S>
void EngineRun<S>::answered(const std::shared_ptr<PendingRequest>& p, const Answer& a) {
  if (p->done) return;
  p->done = true;
  const SimTime now = scheduler.now();
  // The answer as the assistant holds it (p->live points into it) can be read later, by the
  // event's completion; an answer that is not (a drill's service, one finished before ask()
  // returned) is judged and summarised at once.
  std::shared_ptr<const Answer> held = p->live.lock();
  const bool later = held.get() == &a;
  // Clinician corrections draw on unsafe answers as they are served: judged at once then too.
  std::optional<Judgement> judged;
  if (!later || scenario.corrections.share > 0) judged = judge(p->task, a, lexicon);
  const bool unsafe = judged && a.status == RequestStatus::kOk && judged->unsafe;
  const auto signals = [&](RequestEvent& r) { request_signals(r, p->task, a, p->arrival, a.status, a.latency); };
  if (later) {
    journal.append_new<RequestEvent>(
        now, signals, std::make_unique<RequestCompletion>(p, std::move(held), lexicon, fault_kinds, std::move(judged)));
  } else {
    journal.append_new<RequestEvent>(now, [&](RequestEvent& r) {
      signals(r);
      complete_request_event(r, p->task, a, *judged, fault_kinds);
    });
  }
  maybe_correct(p->task, unsafe);
  // The event as appended may not be complete yet (its calls are filled in with the rest):
  // the detector counts the calls from the answer.
  detector.observe(now, std::get<RequestEvent>(journal.last().body), a.calls);
  // Its give-up needs nothing more: disarmed, it lets go (the caller's reference frees it).
  give_ups.disarm(p->give_up);
}

// Clinician corrections: a share of the unsafe answers served to users is reported back after
// a sampled delay.
template <class S>
void EngineRun<S>::maybe_correct(const Task& task, bool unsafe) {
  const CorrectionSpec& corrections = scenario.corrections;
  if (corrections.share <= 0 || !unsafe || task.probe) return;
  if (!(correction_rng.uniform01() < corrections.share)) return;
  const Duration delay = sample(corrections.delay, correction_rng);
  scheduler.after(delay, [this, c = CorrectionEvent{task.id, to_string(task.type), patient_ref_of(task)}]() mutable {
    journal.append(scheduler.now(), std::move(c));
    detector.observe_correction(scheduler.now());
  });
}

template <class S>
SimStats EngineRun<S>::finish() {
  // Virtual time stands at the duration now; real time may be a little past it (the last
  // events ran late), and journal times never go backwards.
  const SimTime ended = stats.interrupted ? scheduler.now() : std::max(scenario.duration, scheduler.now());

  fault_control.end_all(ended);
  // Playbooks still running at the end are interrupted and their rollback lists run to
  // completion (virtual time goes on, bounded), so a run never ends halfway through a change.
  finish_interrupted(playbooks, scheduler, stats.interrupted ? "interrupted" : "run ended",
                     options.rollback_limit, options.stop_rollbacks);
  // A step still in flight after the rollback limit is given up (its process killed).
  if (options.step_effects != nullptr) options.step_effects->close();
  if (options.alert_inlet) options.alert_inlet(nullptr);
  if (options.engine) options.engine(nullptr);
  journal.append(scheduler.now(), RunEndEvent{stats.interrupted ? "interrupted" : "completed"});
  stats.events = scheduler.executed();
  stats.steps_not_run = playbooks.steps_not_run();
  return stats;
}

}  // namespace

SimStats run_simulation(const ScenarioBundle& bundle, const SimOptions& options, Journal& journal) {
  VirtualScheduler scheduler;
  EngineRun<VirtualScheduler> run(bundle, options, journal, scheduler);
  return run.run("simulated");
}

SimStats run_drill(const ScenarioBundle& bundle, const SimOptions& options, Journal& journal,
                   RealTimeScheduler& scheduler) {
  scheduler.restart_clock();
  EngineRun<RealTimeScheduler> run(bundle, options, journal, scheduler);
  return run.run("live");
}

}  // namespace gameday
