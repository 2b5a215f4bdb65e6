#pragma once
// Runs playbooks: triggered by alerts, at a time, or by hand; steps in order with conditions,
// timeouts, retries and on_failure handling (abort, continue, rollback, goto), and a rollback
// list that always runs when a playbook aborts or the run is interrupted.
// Every step's start, end, outcome and reason is journaled; a skipped step too.
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "assistant/assistant.hpp"
#include "spec/model.hpp"
#include "playbook/condition.hpp"
#include "playbook/effects.hpp"
#include "playbook/service_control.hpp"
#include "quality/judge.hpp"
#include "sim/journal.hpp"
#include "sim/rng.hpp"
#include "sim/scheduler.hpp"

namespace gameday {

/// Real-time limits of steps that wait on the real world, when the step sets no `timeout`.
inline constexpr Duration kDefaultExecTimeout = 30 * kSecond;
inline constexpr Duration kDefaultHttpTimeout = 10 * kSecond;
/// Virtual-time limit of a wait_for step without a `timeout`.
inline constexpr Duration kDefaultWaitForTimeout = 10 * kMinute;
/// A run that jumps (on_failure goto) more often than this aborts: a goto loop must end.
inline constexpr int kMaxGotos = 20;

/// Executes playbooks against the assistant's control interface.
class PlaybookRunner {
 public:
  /// `golden_sets` maps resolved golden-set paths (StepSpec::golden_set) to loaded sets.
  /// Schedules the time-triggered playbooks (trigger.at) on `scheduler`.
  PlaybookRunner(std::vector<Playbook> playbooks, std::map<std::string, GoldenSet> golden_sets,
                 Scheduler& scheduler, Journal& journal, Assistant& assistant, GoldenRunner& golden,
                 Rng rng);
  ~PlaybookRunner();

  /// Where `when` and `wait_for` conditions read SLIs and alerts (must outlive the runner);
  /// wait_for re-evaluates every `poll_interval` (the scenario's evaluation interval). Without
  /// signals no condition holds.
  void set_signals(const ConditionSignals* signals, Duration poll_interval);
  /// What exec, http and notify steps run through (must outlive the runner). Without it those
  /// steps fail ("no step effects configured").
  void set_effects(StepEffects* effects);
  /// Where the built-in control steps (flag.set, mode.fallback, model.failover/rollback,
  /// prompt.deploy/rollback, traffic.shed) act when the system under test is a team's own
  /// service (must outlive the runner; null: the built-in assistant). With it they never touch
  /// the built-in assistant: each is a request of the service's control contract, journaled as
  /// the service answered it, and one the service cannot take fails ("unreachable: ..."). The
  /// control API of exec/http steps then refuses the built-in's routes (409).
  void set_service(ServiceControl* service) { service_ = service; }
  /// The run's interrupt flag (SIGINT/SIGTERM; must outlive the runner, may be null). A step
  /// that does not succeed once it is set was cut by the interrupt: it ends "interrupted" (not
  /// "failed"), and its playbook rolls back and ends "interrupted" (not "aborted").
  /// `cut` (may be null; a second Ctrl-C): a rollback step that does not succeed once it is set
  /// ends "interrupted" and the rest of its list is cut short (see abandon()).
  void set_stop(const std::atomic<bool>* stop, const std::atomic<bool>* cut = nullptr) {
    stop_ = stop;
    cut_ = cut;
  }

  /// Starts every playbook whose trigger names this alert (and whose labels match), unless an
  /// instance of it is already running or its trigger's cooldown has not passed since its last
  /// start (then it starts once the cooldown has passed, if the alert still fires and none
  /// runs). A trigger with `rerun` starts again every `rerun_every` after its last start while
  /// the alert still fires (read from the signals) and no instance runs.
  void on_alert(const AlertSpec& alert);
  /// A paged responder `who` acknowledged `alert`: the manual playbooks (mode: manual) it
  /// triggers start, with trigger "manual:WHO".
  void on_ack(const std::string& alert, const std::string& who);
  /// Starts playbook `name` by hand (trigger e.g. "manual"); false when unknown, already
  /// running, or the runner was interrupted.
  bool start(const std::string& name, const std::string& trigger);
  /// Whether any playbook run is in progress.
  bool any_running() const;

  /// Aborts every running playbook: the step in flight ends with outcome "interrupted", the
  /// rollback list runs, and the playbook ends with outcome "interrupted" and `reason` (one
  /// already rolling back keeps going and keeps its outcome). No playbook starts afterwards.
  /// Rollback steps that take time need the scheduler to keep running: see
  /// finish_interrupted().
  void interrupt(const std::string& reason);

  /// Ends every playbook still running at once (its rollback list cut short): the step in
  /// flight ends "interrupted" with `reason` (its work abandoned), the rest of the list does not
  /// run, and the playbook ends with its outcome and its reason plus "; rollback cut short:
  /// <reason>". For a run that cannot wait for its rollbacks any longer.
  void abandon(const std::string& reason);

  /// Runs `callback` each time the last running playbook ends (any_running() turns false).
  void on_idle(std::function<void()> callback) { on_idle_ = std::move(callback); }

  /// The journaled ends of the steps that failed because they could not run at all, in journal
  /// order: an exec/http/notify step without step effects, a process that could not start
  /// (program not found, control API or flags file unavailable), a request that got no
  /// response (connection refused, unreachable, timed out). They are ordinary failed steps in
  /// the journal; this list lets a caller name them.
  const std::vector<StepEndEvent>& steps_not_run() const { return not_run_; }

 private:
  struct Run;
  class StepControl;
  /// Per playbook: when it last started, and a token that retires pending re-checks.
  struct Starts {
    std::optional<SimTime> last;
    std::uint64_t token = 0;
  };
  void begin(std::size_t playbook_index, const std::string& trigger, const std::string& alert = "");
  void check_again(std::size_t playbook_index, const std::string& alert, SimTime at,
                   const std::string& why);
  bool if_holds(const Run& run, const StepIfSpec& cond, std::string* observed) const;
  std::string timeout_reason(const StepSpec& step) const;
  void end_step(const std::shared_ptr<Run>& run, const StepSpec& step);
  void approve_in_order(const std::shared_ptr<Run>& run, const StepSpec& step, std::uint64_t op);
  void run_step(const std::shared_ptr<Run>& run);
  void step_done(const std::shared_ptr<Run>& run, std::uint64_t op, const std::string& outcome,
                 const std::string& reason, bool could_not_run = false);
  void execute(const std::shared_ptr<Run>& run, const StepSpec& step, std::uint64_t op);
  void set_route(const std::shared_ptr<Run>& run, const StepSpec& step, std::uint64_t op,
                 const std::string& by);
  void on_service(const std::shared_ptr<Run>& run, const StepSpec& step, std::uint64_t op,
                  const std::string& by);
  void set_fallback_mode(const std::shared_ptr<Run>& run, const StepSpec& step, std::uint64_t op,
                         const std::string& by);
  void golden_check(const std::shared_ptr<Run>& run, const StepSpec& step, std::uint64_t op,
                    const std::string& by);
  void approve(const std::shared_ptr<Run>& run, const StepSpec& step, std::uint64_t op);
  void escalate(const std::shared_ptr<Run>& run, const StepSpec& step, std::uint64_t op);
  void poll_condition(const std::shared_ptr<Run>& run, const StepSpec& step, std::uint64_t op,
                      SimTime deadline);
  void exec(const std::shared_ptr<Run>& run, const StepSpec& step, std::uint64_t op);
  void exec_done(const std::shared_ptr<Run>& run, std::uint64_t op, const StepControl& control,
                 const std::string& by, std::string flags_before, const std::string& program,
                 Duration timeout, const ExecResult& r);
  void http(const std::shared_ptr<Run>& run, const StepSpec& step, std::uint64_t op);
  void http_done(const std::shared_ptr<Run>& run, std::uint64_t op, const StepSpec& step,
                 const std::string& method, const HttpResult& r);
  void notify(const std::shared_ptr<Run>& run, const StepSpec& step, std::uint64_t op);
  void start_rollback(const std::shared_ptr<Run>& run, const std::string& outcome,
                      const std::string& reason);
  void cut_short(const std::shared_ptr<Run>& run, const std::string& reason);
  void end(const std::shared_ptr<Run>& run);
  const StepSpec& current_step(const Run& run) const;

  std::vector<Playbook> playbooks_;
  std::vector<Starts> starts_;  // per playbook
  std::map<std::string, GoldenSet> golden_sets_;
  Scheduler& scheduler_;
  Journal& journal_;
  Assistant& assistant_;
  GoldenRunner& golden_;
  Rng rng_;
  const ConditionSignals* signals_ = nullptr;
  Duration poll_interval_ = 15 * kSecond;
  StepEffects* effects_ = nullptr;
  ServiceControl* service_ = nullptr;
  const std::atomic<bool>* stop_ = nullptr;
  const std::atomic<bool>* cut_ = nullptr;
  bool interrupted_ = false;
  std::function<void()> on_idle_;
  std::uint64_t next_run_ = 1;
  std::vector<std::shared_ptr<Run>> running_;
  std::vector<StepEndEvent> not_run_;
};

/// Interrupts `runner` and keeps `scheduler` (VirtualScheduler or RealTimeScheduler) running,
/// other components' events included, until every rollback list has finished, `limit` of
/// scheduler time has passed or `cut` (may be null; a second Ctrl-C) turns true; playbooks
/// still running then are abandoned (PlaybookRunner::abandon). Returns whether all rollbacks
/// finished. For engine drivers: a run ends after its rollbacks, never halfway, unless told to.
template <class S>
bool finish_interrupted(PlaybookRunner& runner, S& scheduler, const std::string& reason,
                        Duration limit, const std::atomic<bool>* cut = nullptr) {
  runner.interrupt(reason);
  if (runner.any_running() && !(cut != nullptr && cut->load())) {
    runner.on_idle([&scheduler] { scheduler.stop(); });
    scheduler.set_interrupt(cut);
    scheduler.run_until(scheduler.now() + limit);
    scheduler.set_interrupt(nullptr);
    runner.on_idle(nullptr);
  }
  if (!runner.any_running()) return true;
  runner.abandon(cut != nullptr && cut->load() ? "second interrupt"
                                               : "not done within " + format_duration(limit));
  return false;
}

}  // namespace gameday
