#include "playbook/runner.hpp"

#include <algorithm>

namespace gameday {

const std::vector<std::string>& known_step_kinds() {
  static const std::vector<std::string> kKinds = {"flag.set", "prompt.rollback", "model.failover",
                                                  "golden.check", "wait", "approve"};
  return kKinds;
}

struct PlaybookRunner::Run {
  std::size_t playbook = 0;
  std::uint64_t id = 0;
  std::string trigger;
  std::size_t step = 0;       // index into steps (or rollback while rolling back)
  bool rolling_back = false;
  int attempt = 0;
  std::uint64_t op = 0;       // token of the step attempt in flight
  SimTime step_started = 0;
  std::string outcome = "completed";
  std::string reason;
  bool ended = false;
};

PlaybookRunner::PlaybookRunner(std::vector<Playbook> playbooks,
                               std::map<std::string, GoldenSet> golden_sets, Scheduler& scheduler,
                               Journal& journal, Assistant& assistant, GoldenRunner& golden, Rng rng)
    : playbooks_(std::move(playbooks)),
      golden_sets_(std::move(golden_sets)),
      scheduler_(scheduler),
      journal_(journal),
      assistant_(assistant),
      golden_(golden),
      rng_(rng) {}

PlaybookRunner::~PlaybookRunner() = default;

bool PlaybookRunner::any_running() const { return !running_.empty(); }

void PlaybookRunner::on_alert(const AlertSpec& alert) {
  for (std::size_t i = 0; i < playbooks_.size(); ++i) {
    const TriggerSpec& t = playbooks_[i].trigger;
    if (t.alert.empty() || t.alert != alert.name) continue;
    bool labels_match = true;
    for (const auto& [k, v] : t.labels) {
      if (k == "severity" && v != alert.severity) labels_match = false;
      if (k == "alertname" && v != alert.name) labels_match = false;
    }
    if (!labels_match) continue;
    begin(i, "alert:" + alert.name);
  }
}

bool PlaybookRunner::start(const std::string& name, const std::string& trigger) {
  for (std::size_t i = 0; i < playbooks_.size(); ++i) {
    if (playbooks_[i].name != name) continue;
    const std::size_t before = running_.size();
    begin(i, trigger);
    return running_.size() > before;
  }
  return false;
}

void PlaybookRunner::begin(std::size_t playbook_index, const std::string& trigger) {
  // At most one running instance per playbook: a re-fired alert does not stack runs.
  for (const auto& r : running_) {
    if (r->playbook == playbook_index) return;
  }
  auto run = std::make_shared<Run>();
  run->playbook = playbook_index;
  run->id = next_run_++;
  run->trigger = trigger;
  running_.push_back(run);
  journal_.append(scheduler_.now(),
                  PlaybookStartEvent{playbooks_[playbook_index].name, run->id, trigger});
  run_step(run);
}

void PlaybookRunner::run_step(const std::shared_ptr<Run>& run) {
  const Playbook& pb = playbooks_[run->playbook];
  const auto& steps = run->rolling_back ? pb.rollback : pb.steps;
  if (run->step >= steps.size()) {
    end(run);
    return;
  }
  const StepSpec& step = steps[run->step];
  const std::uint64_t op = ++run->op;
  if (run->attempt == 0) run->step_started = scheduler_.now();
  journal_.append(scheduler_.now(),
                  StepStartEvent{pb.name, run->id, static_cast<int>(run->step), step.name, step.kind,
                                 run->rolling_back});
  if (step.timeout > 0) {
    scheduler_.after(step.timeout, [this, run, op, timeout = step.timeout] {
      step_done(run, op, "timeout", "no result within " + format_duration(timeout));
    });
  }
  execute(run, step, op);
}

void PlaybookRunner::execute(const std::shared_ptr<Run>& run, const StepSpec& step,
                             std::uint64_t op) {
  const std::string by = "playbook:" + playbooks_[run->playbook].name;
  std::string error;
  if (step.kind == "flag.set") {
    const bool ok = assistant_.set_flag(step.flag, step.variant, by, &error);
    step_done(run, op, ok ? "ok" : "failed", ok ? step.flag + " = " + step.variant : error);
  } else if (step.kind == "prompt.rollback") {
    const std::string from = assistant_.prompt_version();
    const bool ok = step.version.empty() ? assistant_.rollback_prompt(by, &error)
                                         : assistant_.set_prompt(step.version, by, &error);
    step_done(run, op, ok ? "ok" : "failed",
              ok ? "prompt " + from + " -> " + assistant_.prompt_version() : error);
  } else if (step.kind == "model.failover") {
    const std::string from = assistant_.route();
    const bool ok = assistant_.set_route(step.to, by, &error);
    step_done(run, op, ok ? "ok" : "failed", ok ? "route " + from + " -> " + step.to : error);
  } else if (step.kind == "wait") {
    scheduler_.after(step.duration, [this, run, op, d = step.duration] {
      step_done(run, op, "ok", "waited " + format_duration(d));
    });
  } else if (step.kind == "approve") {
    const Duration delay = sample(step.delay, rng_);
    std::string who = step.approvers.empty() ? "approver" : step.approvers.front();
    scheduler_.after(delay, [this, run, op, who, delay] {
      step_done(run, op, "ok", "approved by " + who + " after " + format_duration(delay));
    });
  } else if (step.kind == "golden.check") {
    auto it = golden_sets_.find(step.golden_set);
    if (it == golden_sets_.end()) {
      step_done(run, op, "failed", "golden set not loaded: " + step.golden_set);
      return;
    }
    golden_.run(it->second, step.min_pass_rate, by, [this, run, op](const GoldenRunner::Result& r) {
      std::string reason = std::to_string(r.passed) + "/" + std::to_string(r.total) + " passed";
      if (!r.failures.empty()) reason += "; first failure: " + r.failures.front();
      step_done(run, op, r.ok ? "ok" : "failed", reason);
    });
  } else {
    step_done(run, op, "failed", "unknown step kind '" + step.kind + "'");
  }
}

void PlaybookRunner::step_done(const std::shared_ptr<Run>& run, std::uint64_t op,
                               const std::string& outcome, const std::string& reason) {
  if (run->ended || run->op != op) return;  // a late result of an attempt that timed out
  ++run->op;
  const Playbook& pb = playbooks_[run->playbook];
  const auto& steps = run->rolling_back ? pb.rollback : pb.steps;
  const StepSpec& step = steps[run->step];
  journal_.append(scheduler_.now(),
                  StepEndEvent{pb.name, run->id, static_cast<int>(run->step), step.name, step.kind,
                               outcome, reason, run->rolling_back});
  if (outcome == "ok") {
    run->attempt = 0;
    ++run->step;
    run_step(run);
    return;
  }
  if (run->attempt < step.retries) {
    ++run->attempt;
    const std::uint64_t wait_op = ++run->op;
    scheduler_.after(step.retry_delay, [this, run, wait_op] {
      if (run->ended || run->op != wait_op) return;
      run_step(run);
    });
    return;
  }
  run->attempt = 0;
  if (run->rolling_back || step.on_failure == "continue") {
    // A failing rollback step does not stop the rest of the rollback list.
    ++run->step;
    run_step(run);
    return;
  }
  start_rollback(run, step.on_failure == "rollback" ? "rolled_back" : "aborted",
                 "step '" + step.name + "' " + outcome + ": " + reason);
}

void PlaybookRunner::start_rollback(const std::shared_ptr<Run>& run, const std::string& outcome,
                                    const std::string& reason) {
  run->outcome = outcome;
  run->reason = reason;
  run->rolling_back = true;
  run->step = 0;
  run_step(run);
}

void PlaybookRunner::end(const std::shared_ptr<Run>& run) {
  if (run->ended) return;
  run->ended = true;
  journal_.append(scheduler_.now(), PlaybookEndEvent{playbooks_[run->playbook].name, run->id,
                                                     run->outcome, run->reason});
  running_.erase(std::remove(running_.begin(), running_.end(), run), running_.end());
}

}  // namespace gameday
