#pragma once
// Playbook runner tests: the simulated world (Harness), a golden runner, scripted signals for
// `when`/`wait_for`, and a fake StepEffects that records what exec/http/notify steps asked for
// and answers from a script, so tests never start processes or open sockets.
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "playbook/effects.hpp"
#include "playbook/runner.hpp"
#include "support/world_harness.hpp"

namespace gameday::testing {

/// ConditionSignals scripted per SLI as a function of virtual time.
class ScriptedSignals final : public ConditionSignals {
 public:
  explicit ScriptedSignals(const Clock& clock) : clock_(clock) {}
  std::optional<double> sli(Sli sli, Duration window) const override {
    last_window = window;
    auto it = slis.find(to_name(sli));
    if (it == slis.end()) return std::nullopt;
    return it->second(clock_.now());
  }
  bool firing(const std::string& name) const override { return alerts.count(name) > 0; }

  std::map<std::string, std::function<std::optional<double>(SimTime)>> slis;
  std::set<std::string> alerts;
  mutable Duration last_window = 0;

 private:
  const Clock& clock_;
};

/// StepEffects that records requests and answers with scripted results. `during_exec` and
/// `during_http` run while the "process" or "request" is in flight (to call the control API).
/// Blocking, as a simulation's are; with `deferred` set, the work is left in flight instead
/// (as a drill's background steps are) and finish_deferred() completes it later.
class FakeEffects final : public StepEffects {
 public:
  void exec(const ExecRequest& request, std::shared_ptr<ControlHandler> control,
            ExecDone done) override {
    execs.push_back(request);
    controls.push_back(control);
    auto finish = [this, request, control, done = std::move(done)] {
      if (during_exec) during_exec(*control);
      ExecResult r = exec_result;
      if (edit_flags) {
        r.flags_file_read = true;
        r.flags_json_after = edit_flags(request.flags_json);
      }
      done(r);
    };
    if (deferred) return pending.push_back(std::move(finish));
    finish();
  }
  void http(const HttpRequest& request, std::shared_ptr<ControlHandler> control,
            HttpDone done) override {
    https.push_back(request);
    controls.push_back(control);
    auto finish = [this, control, done = std::move(done)] {
      if (during_http) during_http(*control);
      done(http_result);
    };
    if (deferred) return pending.push_back(std::move(finish));
    finish();
  }
  void close() override { ++closes; }
  /// Completes the deferred work, oldest first.
  void finish_deferred() {
    auto work = std::move(pending);
    pending.clear();
    for (auto& w : work) w();
  }

  bool deferred = false;
  std::vector<std::function<void()>> pending;
  std::vector<std::shared_ptr<ControlHandler>> controls;  // every step's, in order
  int closes = 0;

  std::vector<ExecRequest> execs;
  std::vector<HttpRequest> https;
  ExecResult exec_result = [] {
    ExecResult r;
    r.status = ExecResult::Status::kExited;
    r.exit_code = 0;
    return r;
  }();
  HttpResult http_result = HttpResult{200, "{}", ""};
  std::function<std::string(const std::string&)> edit_flags;  // flags file in -> out
  std::function<void(ControlHandler&)> during_exec;
  std::function<void(ControlHandler&)> during_http;
};

/// A world, a golden runner and a playbook runner over it (signals and effects attached).
struct PlaybookFixture {
  explicit PlaybookFixture(std::vector<Playbook> pbs, std::map<std::string, GoldenSet> sets = {})
      : golden(h.factory, *h.assistant, h.scheduler, h.journal, Rng(4)),
        signals(h.scheduler),
        runner(std::move(pbs), std::move(sets), h.scheduler, h.journal, *h.assistant, golden, Rng(5)) {
    runner.set_signals(&signals, 15 * kSecond);
    runner.set_effects(&effects);
  }
  explicit PlaybookFixture(Playbook pb) : PlaybookFixture(std::vector<Playbook>{std::move(pb)}) {}

  Harness h;
  GoldenRunner golden;
  ScriptedSignals signals;
  FakeEffects effects;
  PlaybookRunner runner;
};

inline StepSpec make_step(const std::string& kind, const std::string& name) {
  StepSpec s;
  s.kind = parse_name<StepKind>(kind).value();
  s.name = name;
  return s;
}

inline AlertSpec page(const std::string& name) {
  AlertSpec a;
  a.name = name;
  a.severity = "page";
  return a;
}

/// Playbook "respond", started by alert "Slow", with these steps and rollback list.
inline Playbook playbook(std::vector<StepSpec> steps, std::vector<StepSpec> rollback = {}) {
  Playbook pb;
  pb.name = "respond";
  pb.trigger.alert = "Slow";
  pb.steps = std::move(steps);
  pb.rollback = std::move(rollback);
  return pb;
}

/// Every event of type T in the journal, with its time.
template <typename T>
std::vector<std::pair<SimTime, T>> timed(const Journal& j) {
  std::vector<std::pair<SimTime, T>> out;
  for (const auto& e : j.events()) {
    if (auto p = std::get_if<T>(&e.body)) out.emplace_back(e.t, *p);
  }
  return out;
}

/// "step name:outcome" of every step_end in the journal, in order.
inline std::vector<std::string> outcomes(const Journal& j) {
  std::vector<std::string> out;
  for (const auto& [t, e] : timed<StepEndEvent>(j)) out.push_back(e.name + ":" + e.outcome);
  return out;
}

}  // namespace gameday::testing
