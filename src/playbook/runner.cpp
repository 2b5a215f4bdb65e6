#include "playbook/runner.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <optional>
#include <nlohmann/json.hpp>

#include "playbook/control_api.hpp"

namespace gameday {

namespace {

using Json = nlohmann::json;

std::string percent(double share) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g%%", share * 100);
  return buf;
}

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
  return out;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) {
    s.replace(pos, from.size(), to);
  }
}

bool has_header(const std::vector<std::pair<std::string, std::string>>& headers,
                const std::string& name) {
  return std::any_of(headers.begin(), headers.end(), [&](const auto& h) {
    return std::equal(h.first.begin(), h.first.end(), name.begin(), name.end(), [](char a, char b) {
      return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
    });
  });
}

// The value at `path` ("a.b.0" or a JSON pointer "/a/b/0"), or nullptr.
const Json* find_json(const Json& doc, const std::string& path) {
  if (!path.empty() && path[0] == '/') {
    try {
      return &doc.at(Json::json_pointer(path));
    } catch (const Json::exception&) {
      return nullptr;
    }
  }
  const Json* at = &doc;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = path.find('.', start);
    const std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (at->is_object()) {
      auto it = at->find(part);
      if (it == at->end()) return nullptr;
      at = &*it;
    } else if (at->is_array() && !part.empty() && part.size() <= 18 &&  // longer: no array is that long
               std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      const std::size_t i = std::stoul(part);
      if (i >= at->size()) return nullptr;
      at = &(*at)[i];
    } else {
      return nullptr;
    }
    if (dot == std::string::npos) return at;
    start = dot + 1;
  }
}

// Whether a response field matches what the playbook expects. A string field also matches the
// text of a non-string expectation ("200" matches 200): playbooks are written in YAML.
bool json_matches(const Json& actual, const std::string& expected_text) {
  const Json expected = Json::parse(expected_text, nullptr, false);
  if (expected.is_discarded()) return actual.is_string() && actual.get<std::string>() == expected_text;
  if (actual == expected) return true;
  return actual.is_string() && !expected.is_string() && actual.get<std::string>() == expected.dump();
}

const char* json_type(const Json& j) {
  if (j.is_string()) return "a string";
  if (j.is_number()) return "a number";
  if (j.is_boolean()) return "a bool";
  if (j.is_null()) return "null";
  if (j.is_array()) return "a list";
  return "an object";
}

}  // namespace

struct PlaybookRunner::Run {
  std::size_t playbook = 0;
  std::uint64_t id = 0;
  std::string trigger;
  std::string alert;          // the alert that started it ("" when none did)
  std::size_t step = 0;       // index into steps (or rollback while rolling back)
  std::vector<std::string> outcomes;  // per step of the current list: its last outcome ("" = not run)
  bool rolling_back = false;
  bool in_step = false;       // between a step's start and end events
  int attempt = 0;
  int gotos = 0;              // on_failure goto jumps taken
  std::uint64_t op = 0;       // token of the step attempt in flight
  SimTime step_started = 0;
  std::shared_ptr<ControlHandler> work;  // the exec/http/notify step's real work in flight
  std::string outcome = "completed";
  std::string reason;
  bool ended = false;
};

/// The control API as seen by one exec/http/notify step: changes are journaled as made by it.
/// With a --sut service (`refuse`), the built-in assistant is not the system under test: its
/// routes answer 409 rather than change what nobody is asking.
class PlaybookRunner::StepControl final : public ControlHandler {
 public:
  StepControl(Assistant& assistant, std::string by, bool refuse = false)
      : assistant_(assistant), by_(std::move(by)), refuse_(refuse) {}
  ControlResponse handle(const ControlRequest& request) override {
    ++calls_;
    if (refuse_) {
      return ControlResponse{409, nlohmann::json{{"error", "the system under test is the team's own service "
                                                           "(--sut): change it through its own control contract"}}
                                      .dump()};
    }
    return handle_control_request(assistant_, request, by_);
  }
  int calls() const { return calls_; }

 private:
  Assistant& assistant_;
  std::string by_;
  bool refuse_;
  int calls_ = 0;
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
      rng_(rng) {
  starts_.resize(playbooks_.size());
  for (std::size_t i = 0; i < playbooks_.size(); ++i) {
    if (playbooks_[i].manual) continue;  // people start it
    if (const auto at = playbooks_[i].trigger.at) {
      scheduler_.at(*at, [this, i] { begin(i, "time"); });
    }
  }
}

PlaybookRunner::~PlaybookRunner() = default;

void PlaybookRunner::set_signals(const ConditionSignals* signals, Duration poll_interval) {
  signals_ = signals;
  if (poll_interval > 0) poll_interval_ = poll_interval;
}

void PlaybookRunner::set_effects(StepEffects* effects) { effects_ = effects; }

bool PlaybookRunner::any_running() const { return !running_.empty(); }

void PlaybookRunner::on_ack(const std::string& alert, const std::string& who) {
  for (std::size_t i = 0; i < playbooks_.size(); ++i) {
    if (playbooks_[i].manual && playbooks_[i].trigger.fires_on(alert)) begin(i, "manual:" + who, alert);
  }
}

void PlaybookRunner::on_alert(const AlertSpec& alert) {
  for (std::size_t i = 0; i < playbooks_.size(); ++i) {
    if (playbooks_[i].manual) continue;  // paged people start it when they acknowledge
    const TriggerSpec& t = playbooks_[i].trigger;
    if (!t.fires_on(alert.name)) continue;
    bool labels_match = true;
    for (const auto& [k, v] : t.labels) {
      if (k == "severity" && v != alert.severity) labels_match = false;
      if (k == "alertname" && v != alert.name) labels_match = false;
    }
    if (!labels_match) continue;
    const Starts& st = starts_[i];
    if (t.cooldown > 0 && st.last && scheduler_.now() - *st.last < t.cooldown) {
      // Too soon after the last start: look again once the cooldown has passed.
      check_again(i, alert.name, *st.last + t.cooldown, " (after cooldown)");
      continue;
    }
    begin(i, "alert:" + alert.name, alert.name);
  }
}

void PlaybookRunner::check_again(std::size_t playbook_index, const std::string& alert, SimTime at,
                                 const std::string& why) {
  const std::uint64_t token = starts_[playbook_index].token;
  scheduler_.at(at, [this, playbook_index, alert, why, token] {
    // Another start since (or an interrupt) retires this check.
    if (interrupted_ || starts_[playbook_index].token != token) return;
    if (signals_ == nullptr || !signals_->firing(alert)) return;
    const Duration every = playbooks_[playbook_index].trigger.rerun_every;
    for (const auto& r : running_) {
      if (r->playbook != playbook_index) continue;
      // Running: a rerun looks again later; a check after the cooldown is done (the run is on it).
      if (every > 0) check_again(playbook_index, alert, scheduler_.now() + every, " (rerun)");
      return;
    }
    begin(playbook_index, "alert:" + alert + why, alert);
  });
}

bool PlaybookRunner::start(const std::string& name, const std::string& trigger) {
  for (std::size_t i = 0; i < playbooks_.size(); ++i) {
    if (playbooks_[i].name != name) continue;
    const std::uint64_t before = next_run_;
    begin(i, trigger);
    return next_run_ > before;
  }
  return false;
}

void PlaybookRunner::begin(std::size_t playbook_index, const std::string& trigger,
                           const std::string& alert) {
  if (interrupted_) return;
  // At most one running instance per playbook: a re-fired alert does not stack runs.
  for (const auto& r : running_) {
    if (r->playbook == playbook_index) return;
  }
  const Playbook& pb = playbooks_[playbook_index];
  auto run = std::make_shared<Run>();
  run->playbook = playbook_index;
  run->id = next_run_++;
  run->trigger = trigger;
  run->alert = alert;
  run->outcomes.assign(pb.steps.size(), "");
  running_.push_back(run);
  Starts& st = starts_[playbook_index];
  st.last = scheduler_.now();
  ++st.token;
  journal_.append(scheduler_.now(), PlaybookStartEvent{pb.name, run->id, trigger});
  if (!alert.empty() && pb.trigger.rerun_every > 0) {
    check_again(playbook_index, alert, scheduler_.now() + pb.trigger.rerun_every, " (rerun)");
  }
  run_step(run);
}

bool PlaybookRunner::if_holds(const Run& run, const StepIfSpec& cond, std::string* observed) const {
  const Playbook& pb = playbooks_[run.playbook];
  const auto& steps = run.rolling_back ? pb.rollback : pb.steps;
  // A step that has not run (jumped over) reads as skipped.
  auto outcome_of = [&](std::size_t i) {
    const std::string o = i < run.outcomes.size() ? run.outcomes[i] : "";
    return o.empty() ? std::string("skipped") : o;
  };
  std::vector<std::string> seen;
  bool any = false;
  for (const auto& group : cond.any_of) {
    bool all = true;
    for (const auto& test : group) {
      const std::string o = outcome_of(test.index);
      const std::string note = "'" + (test.index < steps.size() ? steps[test.index].name : test.step) + "' " + o;
      if (std::find(seen.begin(), seen.end(), note) == seen.end()) seen.push_back(note);
      all = all && ((o == test.outcome) == test.equal);
    }
    any = any || all;
  }
  if (observed) *observed = join(seen, ", ");
  return any;
}

const StepSpec& PlaybookRunner::current_step(const Run& run) const {
  const Playbook& pb = playbooks_[run.playbook];
  return (run.rolling_back ? pb.rollback : pb.steps)[run.step];
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
  run->in_step = true;
  journal_.append(scheduler_.now(),
                  StepStartEvent{pb.name, run->id, static_cast<int>(run->step), step.name,
                                 to_name(step.kind), run->rolling_back});
  if (step.if_ && run->attempt == 0) {
    std::string observed;
    if (!if_holds(*run, *step.if_, &observed)) {
      step_done(run, op, "skipped", "if '" + step.if_->text + "' does not hold (" + observed + ")");
      return;
    }
  }
  if (step.when && run->attempt == 0) {
    const ConditionReading r = evaluate_condition(*step.when, signals_);
    if (!r.holds) {
      step_done(run, op, "skipped",
                "when '" + describe_condition(*step.when) + "' does not hold (" + r.observed + ")");
      return;
    }
  }
  // Steps that wait on the real world run synchronously, with a real-time limit (a virtual-time
  // timer could never fire before they return); wait_for checks its own limit as it polls.
  if (step.timeout > 0 && !is_real_time(step.kind) && step.kind != StepKind::kWaitFor) {
    scheduler_.after(step.timeout, [this, run, op, reason = timeout_reason(step)] {
      step_done(run, op, "timeout", reason);
    });
  }
  execute(run, step, op);
}

void PlaybookRunner::execute(const std::shared_ptr<Run>& run, const StepSpec& step,
                             std::uint64_t op) {
  const std::string by = "playbook:" + playbooks_[run->playbook].name;
  if (service_ != nullptr && capability_of(step.kind)) return on_service(run, step, op, by);
  std::string error;
  switch (step.kind) {
    case StepKind::kFlagSet: {
      const bool ok = assistant_.set_flag(step.flag, step.variant, by, &error);
      step_done(run, op, ok ? "ok" : "failed", ok ? step.flag + " = " + step.variant : error);
      return;
    }
    case StepKind::kPromptRollback:
    case StepKind::kPromptDeploy: {
      const std::string from = assistant_.prompt_version();
      const bool ok = step.version.empty() ? assistant_.rollback_prompt(by, &error)
                                           : assistant_.set_prompt(step.version, by, &error);
      step_done(run, op, ok ? "ok" : "failed",
                ok ? "prompt " + from + " -> " + assistant_.prompt_version() : error);
      return;
    }
    case StepKind::kModelFailover:
    case StepKind::kModelRollback:
      return set_route(run, step, op, by);
    case StepKind::kModeFallback:
      return set_fallback_mode(run, step, op, by);
    case StepKind::kTrafficShed: {
      const bool ok = assistant_.set_shed(step.share, by, &error);
      step_done(run, op, ok ? "ok" : "failed",
                !ok ? error
                    : step.share > 0 ? "shedding " + percent(step.share) + " of user traffic"
                                     : "shedding stopped");
      return;
    }
    case StepKind::kWait:
      scheduler_.after(step.duration, [this, run, op, d = step.duration] {
        step_done(run, op, "ok", "waited " + format_duration(d));
      });
      return;
    case StepKind::kWaitFor: {
      const Duration limit = step.timeout > 0 ? step.timeout : kDefaultWaitForTimeout;
      return poll_condition(run, step, op, scheduler_.now() + limit);
    }
    case StepKind::kApprove:
      return approve(run, step, op);
    case StepKind::kEnd:
      step_done(run, op, "ok", "end: " + step.end_outcome + (step.message.empty() ? "" : " (" + step.message + ")"));
      return;
    case StepKind::kEscalate:
      return escalate(run, step, op);
    case StepKind::kGoldenCheck:
      return golden_check(run, step, op, by);
    case StepKind::kExec:
    case StepKind::kHttp:
    case StepKind::kNotify:
      if (!effects_) {
        step_done(run, op, "failed",
                  "no step effects configured: " + to_name(step.kind) + " steps cannot run here",
                  true);
        return;
      }
      if (step.kind == StepKind::kExec) return exec(run, step, op);
      if (step.kind == StepKind::kHttp) return http(run, step, op);
      return notify(run, step, op);
  }
}

void PlaybookRunner::set_route(const std::shared_ptr<Run>& run, const StepSpec& step,
                               std::uint64_t op, const std::string& by) {
  const bool rollback = step.kind == StepKind::kModelRollback;
  const std::string from = assistant_.route();
  const std::string to = rollback ? assistant_.config().primary_route : step.to;
  if (rollback && from == to) {
    step_done(run, op, "ok", "route already " + to);
    return;
  }
  std::string error;
  const bool ok = assistant_.set_route(to, by, &error);
  step_done(run, op, ok ? "ok" : "failed", ok ? "route " + from + " -> " + to : error);
}

void PlaybookRunner::on_service(const std::shared_ptr<Run>& run, const StepSpec& step,
                                std::uint64_t op, const std::string& by) {
  // The request is the step's work in flight: an interrupt drops it as it drops an http step's.
  auto control = std::make_shared<StepControl>(assistant_, by, true);
  run->work = control;
  const Duration timeout = step.timeout > 0 ? step.timeout : kDefaultHttpTimeout;
  service_->send(control_call_for(step, service_->primary_route()), by, control, timeout,
                 [this, run, op](bool ok, const std::string& reason, bool not_run) {
                   step_done(run, op, ok ? "ok" : "failed", reason, not_run);
                 });
}

void PlaybookRunner::set_fallback_mode(const std::shared_ptr<Run>& run, const StepSpec& step,
                                       std::uint64_t op, const std::string& by) {
  // Fallback mode is the safe-mode flag: canned answers that pass the request to staff.
  const bool was = assistant_.flag_on("safe-mode");
  if (was == step.enabled) {
    step_done(run, op, "ok", step.enabled ? "already in fallback mode" : "already in normal mode");
    return;
  }
  std::string error;
  if (!assistant_.set_flag("safe-mode", step.enabled ? "on" : "off", by, &error)) {
    step_done(run, op, "failed", "fallback mode needs the safe-mode flag: " + error);
    return;
  }
  journal_.append(scheduler_.now(),
                  ControlChangeEvent{"mode", "", was ? "fallback" : "normal",
                                     step.enabled ? "fallback" : "normal", by});
  step_done(run, op, "ok",
            step.enabled ? "fallback mode on: canned answers, requests passed to staff"
                         : "fallback mode off");
}

void PlaybookRunner::golden_check(const std::shared_ptr<Run>& run, const StepSpec& step,
                                  std::uint64_t op, const std::string& by) {
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
}

void PlaybookRunner::approve(const std::shared_ptr<Run>& run, const StepSpec& step,
                             std::uint64_t op) {
  if (step.order == ApproverOrder::kEscalation) return approve_in_order(run, step, op);
  const bool own_delays = !step.approver_delays.empty();
  if (step.quorum <= 0 && !own_delays) {
    // One approval, one draw (the original behaviour: runs stay reproducible across versions).
    const Duration delay = sample(step.delay, rng_);
    std::string who = step.approvers.empty() ? "approver" : step.approvers.front();
    scheduler_.after(delay, [this, run, op, who, delay] {
      step_done(run, op, "ok", "approved by " + who + " after " + format_duration(delay));
    });
    return;
  }
  // M of N: each approver answers after their own delay; the step completes at the M-th.
  std::vector<std::pair<Duration, std::string>> answers;
  for (std::size_t i = 0; i < step.approvers.size(); ++i) {
    const DurationDist& d = own_delays ? step.approver_delays[i] : step.delay;
    answers.emplace_back(sample(d, rng_), step.approvers[i]);
  }
  std::stable_sort(answers.begin(), answers.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  const std::size_t m = std::min<std::size_t>(static_cast<std::size_t>(std::max(step.quorum, 1)), answers.size());
  if (m == 0) {
    step_done(run, op, "failed", "no approvers");
    return;
  }
  std::vector<std::string> who;
  for (std::size_t i = 0; i < m; ++i) who.push_back(answers[i].second);
  const Duration delay = answers[m - 1].first;
  std::string reason = "approved by " + join(who, ", ") + " (" + std::to_string(m) + " of " +
                       std::to_string(answers.size()) + ") after " + format_duration(delay);
  scheduler_.after(delay, [this, run, op, reason = std::move(reason)] {
    step_done(run, op, "ok", reason);
  });
}

void PlaybookRunner::approve_in_order(const std::shared_ptr<Run>& run, const StepSpec& step,
                                      std::uint64_t op) {
  // Approver i is asked at i * escalate_after and answers after their own delay; whoever answers
  // first approves. One draw per approver, in order, asked or not: runs stay reproducible.
  const Duration every = step.escalate_after;
  std::size_t best = 0;
  Duration best_at = 0;
  for (std::size_t i = 0; i < step.approvers.size(); ++i) {
    const DurationDist& d = step.approver_delays.empty() ? step.delay : step.approver_delays[i];
    const Duration at = static_cast<Duration>(i) * every + sample(d, rng_);
    if (i == 0 || at < best_at) {
      best = i;
      best_at = at;
    }
  }
  if (step.approvers.empty()) {
    step_done(run, op, "failed", "no approvers");
    return;
  }
  std::string reason = "approved by " + step.approvers[best] + " after " + format_duration(best_at);
  if (best > 0) {
    const std::vector<std::string> before(step.approvers.begin(), step.approvers.begin() + static_cast<long>(best));
    reason += " (asked after " + format_duration(static_cast<Duration>(best) * every) + ": " +
              join(before, ", ") + " had not answered)";
  }
  scheduler_.after(best_at, [this, run, op, reason = std::move(reason)] { step_done(run, op, "ok", reason); });
}

std::string PlaybookRunner::timeout_reason(const StepSpec& step) const {
  if (step.kind != StepKind::kApprove || step.order != ApproverOrder::kEscalation) {
    return "no result within " + format_duration(step.timeout);
  }
  // Who had been asked by then.
  std::vector<std::string> asked;
  for (std::size_t i = 0; i < step.approvers.size(); ++i) {
    if (static_cast<Duration>(i) * step.escalate_after < step.timeout) asked.push_back(step.approvers[i]);
  }
  return "no approval within " + format_duration(step.timeout) + " (asked: " + join(asked, ", ") + ")";
}

void PlaybookRunner::end_step(const std::shared_ptr<Run>& run, const StepSpec& step) {
  // The playbook stops here with the step's outcome; its rollback list runs only when asked.
  const std::string reason = step.message.empty() ? "ended by step '" + step.name + "'" : step.message;
  if (step.end_rollback) {
    start_rollback(run, step.end_outcome, reason);
    return;
  }
  run->outcome = step.end_outcome;
  run->reason = reason;
  end(run);
}

void PlaybookRunner::escalate(const std::shared_ptr<Run>& run, const StepSpec& step,
                              std::uint64_t op) {
  const Duration delay = sample(step.ack_delay, rng_);
  // The acknowledgement names what it acknowledges: the triggering alert, else the playbook.
  const std::string& trigger = run->trigger;
  const std::string what = !run->alert.empty()                 ? run->alert
                           : trigger.rfind("alert:", 0) == 0 ? trigger.substr(6)
                                                             : "playbook:" + playbooks_[run->playbook].name;
  const std::string note = step.message.empty() ? "" : " (" + step.message + ")";
  // The responder acknowledges whatever happens to the step meanwhile: humans are not cancelled.
  scheduler_.after(delay, [this, run, op, who = step.to, what, delay, wait = step.wait_for_ack] {
    journal_.append(scheduler_.now(), AckEvent{who, what});
    if (wait) step_done(run, op, "ok", "acknowledged by " + who + " after " + format_duration(delay));
  });
  if (!step.wait_for_ack) step_done(run, op, "ok", "escalated to " + step.to + note);
}

void PlaybookRunner::poll_condition(const std::shared_ptr<Run>& run, const StepSpec& step,
                                    std::uint64_t op, SimTime deadline) {
  if (run->ended || run->op != op) return;
  const ConditionReading r = evaluate_condition(step.condition, signals_);
  const std::string text = describe_condition(step.condition);
  if (r.holds) {
    step_done(run, op, "ok", "'" + text + "' holds (" + r.observed + ")");
    return;
  }
  if (scheduler_.now() >= deadline) {
    step_done(run, op, "timeout",
              "'" + text + "' still false after " +
                  format_duration(scheduler_.now() - run->step_started) + " (" + r.observed + ")");
    return;
  }
  const SimTime next = std::min(scheduler_.now() + poll_interval_, deadline);
  scheduler_.at(next, [this, run, &step, op, deadline] { poll_condition(run, step, op, deadline); });
}

void PlaybookRunner::exec(const std::shared_ptr<Run>& run, const StepSpec& step, std::uint64_t op) {
  const std::string by = "exec:" + step.name;
  ExecRequest req;
  req.argv = step.argv;
  req.env = step.env;
  req.env["GAMEDAY_PLAYBOOK"] = playbooks_[run->playbook].name;
  req.env["GAMEDAY_STEP"] = step.name;
  req.env["GAMEDAY_RUN"] = std::to_string(run->id);
  req.env["GAMEDAY_TRIGGER"] = run->trigger;
  req.env["GAMEDAY_TIME_S"] = std::to_string(scheduler_.now() / kSecond);
  req.cwd = step.cwd;
  req.timeout = step.timeout > 0 ? step.timeout : kDefaultExecTimeout;
  req.flags_json = flags_to_flagd_json(assistant_);
  auto control = std::make_shared<StepControl>(assistant_, by, service_ != nullptr);
  run->work = control;
  // In simulation this returns once the process has ended (virtual time stands still and
  // control API calls land at this virtual time); in a drill the result arrives as an event.
  effects_->exec(req, control,
                 [this, run, op, control, by, flags_before = req.flags_json,
                  program = req.argv.empty() ? std::string() : req.argv.front(),
                  timeout = req.timeout](ExecResult r) {
                   if (run->ended || run->op != op) return;  // abandoned: the step already ended
                   exec_done(run, op, *control, by, flags_before, program, timeout, r);
                 });
}

void PlaybookRunner::exec_done(const std::shared_ptr<Run>& run, std::uint64_t op,
                               const StepControl& control, const std::string& by,
                               std::string flags_before, const std::string& program,
                               Duration timeout, const ExecResult& r) {
  // Edits of the flags file apply once the process has ended, like one more control call.
  bool flags_ok = true;
  std::string notes;
  if (service_ != nullptr && r.flags_file_read && r.flags_json_after != flags_before) {
    notes += "; flags file edits ignored: the system under test is the team's own service";
  } else if (r.flags_file_read && r.flags_json_after != flags_before) {
    std::vector<std::string> changes;
    std::string err;
    if (!apply_flagd_json(assistant_, r.flags_json_after, by, &changes, &err, &flags_before)) {
      flags_ok = false;
      notes += "; flags file rejected: " + err;
    } else if (!changes.empty()) {
      notes += "; flags file: " + join(changes, ", ");
    }
  }
  if (control.calls() > 0) {
    notes += "; " + std::to_string(control.calls()) + " control API call" + (control.calls() == 1 ? "" : "s");
  }
  // The process's output is never journaled (it may hold anything); only how it ended.
  switch (r.status) {
    case ExecResult::Status::kExited:
      step_done(run, op, r.exit_code == 0 && flags_ok ? "ok" : "failed",
                "exit " + std::to_string(r.exit_code) + notes);
      break;
    case ExecResult::Status::kSignaled:
      step_done(run, op, "failed", "killed by signal " + std::to_string(r.signal) + notes);
      break;
    case ExecResult::Status::kTimedOut:
      step_done(run, op, "timeout",
                "no exit within " + format_duration(timeout) + " (real time); killed" + notes);
      break;
    case ExecResult::Status::kFailedToStart:
      step_done(run, op, "failed", "cannot run '" + program + "': " + r.error, true);
      break;
  }
}

void PlaybookRunner::http(const std::shared_ptr<Run>& run, const StepSpec& step, std::uint64_t op) {
  HttpRequest req;
  req.method = step.method.empty() ? "GET" : step.method;
  req.url = step.url;
  req.headers = step.headers;
  req.body = step.body;
  req.timeout = step.timeout > 0 ? step.timeout : kDefaultHttpTimeout;
  if (!req.body.empty() && !has_header(req.headers, "Content-Type") &&
      (req.body.front() == '{' || req.body.front() == '[')) {
    req.headers.emplace_back("Content-Type", "application/json");
  }
  auto control = std::make_shared<StepControl>(assistant_, "http:" + step.name, service_ != nullptr);
  run->work = control;
  effects_->http(req, control, [this, run, op, &step, method = req.method](HttpResult r) {
    if (run->ended || run->op != op) return;
    http_done(run, op, step, method, r);
  });
}

void PlaybookRunner::http_done(const std::shared_ptr<Run>& run, std::uint64_t op,
                               const StepSpec& step, const std::string& method,
                               const HttpResult& r) {
  // URLs may carry tokens: reasons name the method and status, never the URL or the body.
  if (r.status == 0) {
    step_done(run, op, "failed", method + " failed: " + r.error, true);
    return;
  }
  const std::string got = "HTTP " + std::to_string(r.status);
  const auto& want = step.expect.status;
  const bool status_ok = want.empty() ? r.status >= 200 && r.status < 300
                                      : std::find(want.begin(), want.end(), r.status) != want.end();
  if (!status_ok) {
    std::vector<std::string> ws;
    for (int s : want) ws.push_back(std::to_string(s));
    step_done(run, op, "failed", got + ", expected " + (want.empty() ? "2xx" : join(ws, " or ")));
    return;
  }
  if (!step.expect.json.empty()) {
    const Json doc = Json::parse(r.body, nullptr, false);
    if (doc.is_discarded()) {
      step_done(run, op, "failed", got + ", but the body is not JSON");
      return;
    }
    for (const auto& [path, expected] : step.expect.json) {
      const Json* v = find_json(doc, path);
      if (!v) {
        step_done(run, op, "failed", got + ", but JSON field '" + path + "' is missing");
        return;
      }
      if (!json_matches(*v, expected)) {
        // The actual value is not echoed (it could be anything); its type helps debugging.
        step_done(run, op, "failed",
                  got + ", but JSON field '" + path + "' is not " + expected + " (got " + json_type(*v) + ")");
        return;
      }
    }
    step_done(run, op, "ok", got + "; " + std::to_string(step.expect.json.size()) + " JSON field" +
                                 (step.expect.json.size() == 1 ? "" : "s") + " as expected");
    return;
  }
  step_done(run, op, "ok", got);
}

void PlaybookRunner::notify(const std::shared_ptr<Run>& run, const StepSpec& step,
                            std::uint64_t op) {
  std::string text = step.text;
  replace_all(text, "{playbook}", playbooks_[run->playbook].name);
  replace_all(text, "{trigger}", run->trigger);
  replace_all(text, "{step}", step.name);
  replace_all(text, "{time}", format_offset(scheduler_.now()));
  HttpRequest req;
  req.method = "POST";
  req.url = step.url;
  req.headers = step.headers;
  if (!has_header(req.headers, "Content-Type")) req.headers.emplace_back("Content-Type", "application/json");
  req.body = Json{{"text", text}}.dump();  // Slack-compatible incoming-webhook body
  req.timeout = step.timeout > 0 ? step.timeout : kDefaultHttpTimeout;
  auto control = std::make_shared<StepControl>(assistant_, "http:" + step.name, service_ != nullptr);
  run->work = control;
  effects_->http(req, control, [this, run, op](HttpResult r) {
    if (run->ended || run->op != op) return;
    if (r.status == 0) {
      step_done(run, op, "failed", "webhook unreachable: " + r.error, true);
    } else if (r.status < 200 || r.status >= 300) {
      step_done(run, op, "failed", "webhook answered HTTP " + std::to_string(r.status));
    } else {
      step_done(run, op, "ok", "notified (HTTP " + std::to_string(r.status) + ")");
    }
  });
}

void PlaybookRunner::step_done(const std::shared_ptr<Run>& run, std::uint64_t op,
                               const std::string& outcome, const std::string& reason,
                               bool could_not_run) {
  if (run->ended || run->op != op) return;  // a late result of an attempt that timed out
  ++run->op;
  run->in_step = false;
  run->work.reset();
  const Playbook& pb = playbooks_[run->playbook];
  const auto& steps = run->rolling_back ? pb.rollback : pb.steps;
  const StepSpec& step = steps[run->step];
  const bool passed = outcome == "ok" || outcome == "skipped";
  if (!passed && run->rolling_back && cut_ != nullptr && cut_->load()) {
    // A second Ctrl-C killed the rollback step: the rest of the list is not run either.
    journal_.append(scheduler_.now(),
                    StepEndEvent{pb.name, run->id, static_cast<int>(run->step), step.name,
                                 to_name(step.kind), "interrupted", "interrupted: " + reason, true});
    cut_short(run, "second interrupt");
    return;
  }
  if (!passed && !run->rolling_back && stop_ != nullptr && stop_->load()) {
    // Cut short by Ctrl-C (the process killed, the request cancelled): not the step's failure.
    interrupted_ = true;
    journal_.append(scheduler_.now(),
                    StepEndEvent{pb.name, run->id, static_cast<int>(run->step), step.name,
                                 to_name(step.kind), "interrupted", "interrupted: " + reason, false});
    start_rollback(run, "interrupted", "interrupted");
    return;
  }
  const bool retry = !passed && run->attempt < step.retries;
  // Where a failure goes next, decided before journaling so the reason can say so.
  std::optional<std::size_t> jump;
  std::string journaled = reason;
  if (!passed && !retry && !run->rolling_back && step.on_failure == OnFailure::kGoto) {
    for (std::size_t i = 0; i < steps.size(); ++i) {
      if (steps[i].name == step.goto_step) {
        jump = i;
        break;
      }
    }
    if (jump && run->gotos < kMaxGotos) journaled += "; goto '" + step.goto_step + "'";
  }
  StepEndEvent end{pb.name, run->id, static_cast<int>(run->step), step.name, to_name(step.kind),
                   outcome, journaled, run->rolling_back};
  if (could_not_run) not_run_.push_back(end);
  journal_.append(scheduler_.now(), std::move(end));
  if (!retry && run->step < run->outcomes.size()) run->outcomes[run->step] = outcome;
  if (passed && step.kind == StepKind::kEnd && outcome == "ok" && !run->rolling_back) {
    end_step(run, step);
    return;
  }
  if (passed) {
    run->attempt = 0;
    ++run->step;
    run_step(run);
    return;
  }
  if (retry) {
    ++run->attempt;
    const std::uint64_t wait_op = ++run->op;
    scheduler_.after(step.retry_delay, [this, run, wait_op] {
      if (run->ended || run->op != wait_op) return;
      run_step(run);
    });
    return;
  }
  run->attempt = 0;
  if (run->rolling_back || step.on_failure == OnFailure::kContinue) {
    // A failing rollback step does not stop the rest of the rollback list.
    ++run->step;
    run_step(run);
    return;
  }
  const std::string why = "step '" + step.name + "' " + outcome + ": " + reason;
  if (step.on_failure == OnFailure::kGoto) {
    if (!jump) {
      start_rollback(run, "aborted", why + " (goto target '" + step.goto_step + "' not found)");
    } else if (run->gotos >= kMaxGotos) {
      start_rollback(run, "aborted", why + " (more than " + std::to_string(kMaxGotos) + " goto jumps)");
    } else {
      ++run->gotos;
      run->step = *jump;
      run_step(run);
    }
    return;
  }
  start_rollback(run, step.on_failure == OnFailure::kRollback ? "rolled_back" : "aborted", why);
}

void PlaybookRunner::start_rollback(const std::shared_ptr<Run>& run, const std::string& outcome,
                                    const std::string& reason) {
  run->outcome = outcome;
  run->reason = reason;
  run->rolling_back = true;
  run->step = 0;
  run->attempt = 0;
  run->outcomes.assign(playbooks_[run->playbook].rollback.size(), "");
  run_step(run);
}

void PlaybookRunner::interrupt(const std::string& reason) {
  interrupted_ = true;
  const auto runs = running_;  // end() edits running_
  for (const auto& run : runs) {
    if (run->ended || run->rolling_back) continue;  // a rollback under way keeps going
    if (run->in_step) {
      const Playbook& pb = playbooks_[run->playbook];
      const StepSpec& step = current_step(*run);
      ++run->op;  // whatever the step was waiting for is dropped
      run->in_step = false;
      if (run->work) run->work->abandon();  // a process still running is killed
      run->work.reset();
      journal_.append(scheduler_.now(),
                      StepEndEvent{pb.name, run->id, static_cast<int>(run->step), step.name,
                                   to_name(step.kind), "interrupted", reason, false});
    } else {
      ++run->op;  // a pending retry is dropped
    }
    start_rollback(run, "interrupted", reason);
  }
}

void PlaybookRunner::abandon(const std::string& reason) {
  interrupted_ = true;
  const auto runs = running_;  // end() edits running_
  for (const auto& run : runs) {
    if (run->ended) continue;
    const Playbook& pb = playbooks_[run->playbook];
    if (run->in_step) {
      const StepSpec& step = current_step(*run);
      journal_.append(scheduler_.now(),
                      StepEndEvent{pb.name, run->id, static_cast<int>(run->step), step.name,
                                   to_name(step.kind), "interrupted", reason, run->rolling_back});
    }
    ++run->op;  // whatever the step or a retry was waiting for is dropped
    run->in_step = false;
    if (run->work) run->work->abandon();
    run->work.reset();
    cut_short(run, reason);
  }
}

void PlaybookRunner::cut_short(const std::shared_ptr<Run>& run, const std::string& reason) {
  if (run->outcome == "completed") run->outcome = "interrupted";
  run->reason += (run->reason.empty() ? "" : "; ") + std::string("rollback cut short: ") + reason;
  end(run);
}

void PlaybookRunner::end(const std::shared_ptr<Run>& run) {
  if (run->ended) return;
  run->ended = true;
  journal_.append(scheduler_.now(), PlaybookEndEvent{playbooks_[run->playbook].name, run->id,
                                                     run->outcome, run->reason});
  running_.erase(std::remove(running_.begin(), running_.end(), run), running_.end());
  if (running_.empty() && on_idle_) on_idle_();
}


}  // namespace gameday
