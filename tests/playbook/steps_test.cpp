// The step catalogue beyond the basics: deploys, rollbacks, fallback mode, shedding, conditions,
// goto, interrupts, M-of-N approval, escalation, and the real-world steps (exec, http, notify)
// against a fake StepEffects.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>

#include "support/playbook_harness.hpp"

using namespace gameday;
using namespace gameday::testing;

namespace {

std::string journal_text(const Journal& j) {
  std::string out;
  for (const auto& e : j.events()) {
    append_json(out, e);
    out += '\n';
  }
  return out;
}

ConditionSpec sli_below(const std::string& sli, double value) {
  ConditionSpec c;
  c.sli = parse_name<Sli>(sli).value();
  c.op = CompareOp::kLess;
  c.value = value;
  c.window = 2 * kMinute;
  return c;
}

ConditionSpec alert_firing(const std::string& name) {
  ConditionSpec c;
  c.alert = name;
  return c;
}

}  // namespace

// ---------------------------------------------------------------- assistant control steps

TEST_CASE("prompt.deploy deploys the named prompt version", "[playbook][steps]") {
  StepSpec deploy = make_step("prompt.deploy", "deploy v3");
  deploy.version = "v3";
  PlaybookFixture f(playbook({deploy}));
  f.runner.on_alert(page("Slow"));
  REQUIRE(f.h.assistant->prompt_version() == "v3");
  const auto ends = timed<StepEndEvent>(f.h.journal);
  REQUIRE(ends[0].second.reason == "prompt v2 -> v3");
  const auto changes = timed<ControlChangeEvent>(f.h.journal);
  REQUIRE(changes.size() == 1);
  REQUIRE(changes[0].second.by == "playbook:respond");
}

TEST_CASE("model.rollback routes model calls back to the configured primary", "[playbook][steps]") {
  StepSpec out = make_step("model.failover", "out");
  out.to = "secondary";
  StepSpec back = make_step("model.rollback", "back");
  PlaybookFixture f(playbook({out, back, make_step("model.rollback", "again")}));
  f.runner.on_alert(page("Slow"));
  REQUIRE(f.h.assistant->route() == "primary");
  REQUIRE(outcomes(f.h.journal) == std::vector<std::string>{"out:ok", "back:ok", "again:ok"});
  REQUIRE(timed<StepEndEvent>(f.h.journal)[2].second.reason == "route already primary");
  REQUIRE(timed<ControlChangeEvent>(f.h.journal).size() == 2);  // no change when already there
}

TEST_CASE("mode.fallback serves the canned answer and journals the mode change", "[playbook][steps]") {
  StepSpec on = make_step("mode.fallback", "fallback");
  PlaybookFixture f(playbook({on}));
  f.runner.on_alert(page("Slow"));
  REQUIRE(f.h.assistant->flag_on("safe-mode"));
  const auto changes = timed<ControlChangeEvent>(f.h.journal);
  REQUIRE(changes.size() == 2);
  REQUIRE(changes[0].second.what == "flag");
  REQUIRE(changes[1].second.what == "mode");
  REQUIRE(changes[1].second.from == "normal");
  REQUIRE(changes[1].second.to == "fallback");
  Rng rng(3);
  const Answer a = f.h.ask(f.h.factory.random(TaskType::kBenefitsQuestion, rng));
  REQUIRE(a.status == RequestStatus::kFallback);
  REQUIRE(a.text == kFallbackText);
}

TEST_CASE("mode.fallback with enabled false returns to normal answers", "[playbook][steps]") {
  StepSpec on = make_step("mode.fallback", "on");
  StepSpec off = make_step("mode.fallback", "off");
  off.enabled = false;
  PlaybookFixture f(playbook({on, off}));
  f.runner.on_alert(page("Slow"));
  REQUIRE_FALSE(f.h.assistant->flag_on("safe-mode"));
  REQUIRE(timed<ControlChangeEvent>(f.h.journal).back().second.to == "normal");
}

TEST_CASE("traffic.shed rejects that share of user requests fast with status error", "[playbook][steps]") {
  StepSpec shed = make_step("traffic.shed", "shed a quarter");
  shed.share = 0.25;
  PlaybookFixture f(playbook({shed}));
  f.runner.on_alert(page("Slow"));
  REQUIRE(timed<StepEndEvent>(f.h.journal)[0].second.reason == "shedding 25% of user traffic");
  Rng rng(3);
  int shed_count = 0;
  for (int i = 0; i < 8; ++i) {
    const Answer a = f.h.ask(f.h.factory.random(TaskType::kBenefitsQuestion, rng));
    if (a.cause == "shed") {
      ++shed_count;
      REQUIRE(a.status == RequestStatus::kError);
      REQUIRE(a.latency == 0);
    }
  }
  REQUIRE(shed_count == 2);
  const auto changes = timed<ControlChangeEvent>(f.h.journal);
  REQUIRE(changes[0].second.what == "shed");
  REQUIRE(changes[0].second.to == "0.25");
}

TEST_CASE("traffic.shed never sheds golden-set probes", "[playbook][steps]") {
  StepSpec shed = make_step("traffic.shed", "shed all");
  shed.share = 1.0;
  PlaybookFixture f(playbook({shed}));
  f.runner.on_alert(page("Slow"));
  Rng rng(3);
  Task probe = f.h.factory.random(TaskType::kBenefitsQuestion, rng);
  probe.probe = true;
  REQUIRE(f.h.ask(probe).cause != "shed");
  REQUIRE(f.h.ask(f.h.factory.random(TaskType::kBenefitsQuestion, rng)).cause == "shed");
}

// ---------------------------------------------------------------- conditions

TEST_CASE("wait_for completes at the first poll where the SLI condition holds", "[playbook][wait_for]") {
  StepSpec w = make_step("wait_for", "errors back down");
  w.condition = sli_below("error_ratio", 0.01);
  w.timeout = 10 * kMinute;
  PlaybookFixture f(playbook({w}));
  f.signals.slis["error_ratio"] = [](SimTime t) { return t < 100 * kSecond ? 0.05 : 0.004; };
  f.runner.on_alert(page("Slow"));
  f.h.scheduler.run_until(kHour);
  const auto ends = timed<StepEndEvent>(f.h.journal);
  REQUIRE(ends.size() == 1);
  REQUIRE(ends[0].first == 105 * kSecond);  // polls every 15s: 90s still bad, 105s good
  REQUIRE(ends[0].second.outcome == "ok");
  REQUIRE(ends[0].second.reason == "'error_ratio < 0.01 over 2m' holds (error_ratio 0.004)");
  REQUIRE(f.signals.last_window == 2 * kMinute);
}

TEST_CASE("wait_for fails with timeout when the condition never holds", "[playbook][wait_for]") {
  StepSpec w = make_step("wait_for", "errors back down");
  w.condition = sli_below("error_ratio", 0.01);
  w.timeout = 100 * kSecond;
  StepSpec undo = make_step("model.rollback", "undo");
  PlaybookFixture f(playbook({w}, {undo}));
  f.signals.slis["error_ratio"] = [](SimTime) { return 0.2; };
  f.runner.on_alert(page("Slow"));
  f.h.scheduler.run_until(kHour);
  const auto ends = timed<StepEndEvent>(f.h.journal);
  REQUIRE(ends[0].first == 100 * kSecond);  // the last poll is at the deadline
  REQUIRE(ends[0].second.outcome == "timeout");
  REQUIRE(ends[0].second.reason == "'error_ratio < 0.01 over 2m' still false after 1m40s (error_ratio 0.2)");
  REQUIRE(ends[1].second.rollback);
  REQUIRE(timed<PlaybookEndEvent>(f.h.journal)[0].second.outcome == "aborted");
}

TEST_CASE("wait_for without data keeps waiting: no requests never satisfy a condition", "[playbook][wait_for]") {
  StepSpec w = make_step("wait_for", "quiet");
  w.condition = sli_below("latency_p95", 2.0);
  w.timeout = 30 * kSecond;
  PlaybookFixture f(playbook({w}));
  f.runner.on_alert(page("Slow"));
  f.h.scheduler.run_until(kHour);
  REQUIRE(timed<StepEndEvent>(f.h.journal)[0].second.reason.find("no requests in 2m") != std::string::npos);
}

TEST_CASE("wait_for on an alert waits until it resolves", "[playbook][wait_for]") {
  StepSpec w = make_step("wait_for", "resolved");
  w.condition = alert_firing("Slow");
  w.condition.firing = false;
  PlaybookFixture f(playbook({w}));
  f.signals.alerts = {"Slow"};
  f.runner.on_alert(page("Slow"));
  f.h.scheduler.run_until(40 * kSecond);
  REQUIRE(f.runner.any_running());
  f.signals.alerts.clear();
  f.h.scheduler.run_until(kHour);
  REQUIRE(timed<StepEndEvent>(f.h.journal)[0].first == 45 * kSecond);
  REQUIRE(timed<StepEndEvent>(f.h.journal)[0].second.outcome == "ok");
}

TEST_CASE("A step whose when condition does not hold is skipped and journaled", "[playbook][when]") {
  StepSpec fallback = make_step("mode.fallback", "fallback if paging");
  fallback.when = alert_firing("ErrorsHigh");
  StepSpec shed = make_step("traffic.shed", "shed if errors");
  shed.share = 0.5;
  shed.when = sli_below("error_ratio", 0.5);
  shed.when->op = CompareOp::kGreater;
  shed.when->value = 0.05;
  PlaybookFixture f(playbook({fallback, shed}));
  f.signals.slis["error_ratio"] = [](SimTime) { return 0.2; };
  f.runner.on_alert(page("Slow"));
  REQUIRE(outcomes(f.h.journal) == std::vector<std::string>{"fallback if paging:skipped", "shed if errors:ok"});
  REQUIRE(timed<StepStartEvent>(f.h.journal).size() == 2);
  REQUIRE(timed<StepEndEvent>(f.h.journal)[0].second.reason ==
          "when 'alert ErrorsHigh firing' does not hold (ErrorsHigh not firing)");
  REQUIRE_FALSE(f.h.assistant->flag_on("safe-mode"));
  REQUIRE(f.h.assistant->shed_share() == 0.5);
  REQUIRE(timed<PlaybookEndEvent>(f.h.journal)[0].second.outcome == "completed");
}

TEST_CASE("A step whose when condition holds runs", "[playbook][when]") {
  StepSpec fallback = make_step("mode.fallback", "fallback if paging");
  fallback.when = alert_firing("ErrorsHigh");
  PlaybookFixture f(playbook({fallback}));
  f.signals.alerts = {"ErrorsHigh"};
  f.runner.on_alert(page("Slow"));
  REQUIRE(outcomes(f.h.journal) == std::vector<std::string>{"fallback if paging:ok"});
}

// ---------------------------------------------------------------- on_failure goto

TEST_CASE("on_failure goto jumps to the named step and the playbook completes", "[playbook][goto]") {
  StepSpec bad = make_step("model.failover", "fail over");
  bad.to = "nowhere";
  bad.on_failure = OnFailure::kGoto;
  bad.goto_step = "verify";
  StepSpec skipped = make_step("mode.fallback", "never reached");
  StepSpec verify = make_step("wait", "verify");
  verify.duration = kMinute;
  PlaybookFixture f(playbook({bad, skipped, verify}));
  f.runner.on_alert(page("Slow"));
  f.h.scheduler.run_until(kHour);
  REQUIRE(outcomes(f.h.journal) == std::vector<std::string>{"fail over:failed", "verify:ok"});
  REQUIRE(timed<StepEndEvent>(f.h.journal)[0].second.reason ==
          "unknown vendor route 'nowhere'; goto 'verify'");
  REQUIRE(timed<PlaybookEndEvent>(f.h.journal)[0].second.outcome == "completed");
  REQUIRE_FALSE(f.h.assistant->flag_on("safe-mode"));
}

TEST_CASE("A goto loop aborts after the maximum number of jumps and rolls back", "[playbook][goto]") {
  StepSpec bad = make_step("model.failover", "fail over");
  bad.to = "nowhere";
  bad.on_failure = OnFailure::kGoto;
  bad.goto_step = "fail over";
  PlaybookFixture f(playbook({bad}, {make_step("model.rollback", "undo")}));
  f.runner.on_alert(page("Slow"));
  const auto ends = timed<StepEndEvent>(f.h.journal);
  REQUIRE(ends.size() == static_cast<std::size_t>(kMaxGotos) + 2);  // first try, jumps, rollback
  REQUIRE(ends.back().second.rollback);
  const auto end = timed<PlaybookEndEvent>(f.h.journal)[0].second;
  REQUIRE(end.outcome == "aborted");
  REQUIRE(end.reason.find("more than 20 goto jumps") != std::string::npos);
}

// ---------------------------------------------------------------- interrupts

TEST_CASE("interrupt ends the step in flight and runs the rollback list", "[playbook][interrupt]") {
  StepSpec approve = make_step("approve", "lead approves");
  approve.delay = fixed(10 * kMinute);
  StepSpec out = make_step("model.failover", "out");
  out.to = "secondary";
  StepSpec undo = make_step("model.rollback", "undo");
  PlaybookFixture f(playbook({out, approve}, {undo}));
  f.runner.on_alert(page("Slow"));
  f.h.scheduler.run_until(30 * kSecond);
  REQUIRE(f.h.assistant->route() == "secondary");
  f.runner.interrupt("drill stopped");
  REQUIRE_FALSE(f.runner.any_running());
  REQUIRE(f.h.assistant->route() == "primary");
  const auto ends = timed<StepEndEvent>(f.h.journal);
  REQUIRE(ends.size() == 3);
  REQUIRE(ends[1].first == 30 * kSecond);
  REQUIRE(ends[1].second.outcome == "interrupted");
  REQUIRE(ends[2].second.rollback);
  const auto pend = timed<PlaybookEndEvent>(f.h.journal);
  REQUIRE(pend[0].second.outcome == "interrupted");
  REQUIRE(pend[0].second.reason == "drill stopped");
  // The approval that would have come at 10m is dropped, and nothing starts any more.
  f.h.scheduler.run_until(kHour);
  REQUIRE(timed<StepEndEvent>(f.h.journal).size() == 3);
  f.runner.on_alert(page("Slow"));
  REQUIRE_FALSE(f.runner.start("respond", "manual"));
  REQUIRE(timed<PlaybookStartEvent>(f.h.journal).size() == 1);
}

TEST_CASE("finish_interrupted runs virtual time on until a slow rollback list is done", "[playbook][interrupt]") {
  StepSpec approve = make_step("approve", "lead approves");
  approve.delay = fixed(10 * kMinute);
  StepSpec settle = make_step("wait", "settle");
  settle.duration = 2 * kMinute;
  PlaybookFixture f(playbook({approve}, {make_step("model.rollback", "undo"), settle}));
  f.runner.on_alert(page("Slow"));
  f.h.scheduler.run_until(kMinute);
  REQUIRE(finish_interrupted(f.runner, f.h.scheduler, "run ended", kHour));
  const auto pend = timed<PlaybookEndEvent>(f.h.journal);
  REQUIRE(pend.size() == 1);
  REQUIRE(pend[0].first == 3 * kMinute);
  REQUIRE(pend[0].second.outcome == "interrupted");
  REQUIRE(f.h.scheduler.now() == 3 * kMinute);  // stopped when the rollback ended
}

TEST_CASE("interrupt leaves a rollback already under way to finish", "[playbook][interrupt]") {
  StepSpec bad = make_step("model.failover", "bad");
  bad.to = "nowhere";
  StepSpec settle = make_step("wait", "settle");
  settle.duration = 2 * kMinute;
  PlaybookFixture f(playbook({bad}, {settle}));
  f.runner.on_alert(page("Slow"));
  f.h.scheduler.run_until(kMinute);
  f.runner.interrupt("stop");
  REQUIRE(f.runner.any_running());
  f.h.scheduler.run_until(kHour);
  const auto pend = timed<PlaybookEndEvent>(f.h.journal);
  REQUIRE(pend[0].first == 2 * kMinute);
  REQUIRE(pend[0].second.outcome == "aborted");
}

// ---------------------------------------------------------------- triggers

TEST_CASE("A time trigger starts its playbook at that time", "[playbook][trigger]") {
  Playbook pb = playbook({make_step("model.rollback", "noop")});
  pb.trigger.alert.clear();
  pb.trigger.at = 15 * kMinute;
  PlaybookFixture f(pb);
  f.h.scheduler.run_until(kHour);
  const auto starts = timed<PlaybookStartEvent>(f.h.journal);
  REQUIRE(starts.size() == 1);
  REQUIRE(starts[0].first == 15 * kMinute);
  REQUIRE(starts[0].second.trigger == "time");
}

TEST_CASE("A manual playbook starts only by hand, once at a time", "[playbook][trigger]") {
  StepSpec wait = make_step("wait", "hold");
  wait.duration = kMinute;
  Playbook pb = playbook({wait});
  pb.trigger.alert.clear();
  pb.trigger.manual = true;
  PlaybookFixture f(pb);
  f.runner.on_alert(page("Slow"));
  REQUIRE_FALSE(f.runner.any_running());
  REQUIRE(f.runner.start("respond", "manual"));
  REQUIRE_FALSE(f.runner.start("respond", "manual"));
  REQUIRE_FALSE(f.runner.start("unknown", "manual"));
  REQUIRE(timed<PlaybookStartEvent>(f.h.journal)[0].second.trigger == "manual");
}

// ---------------------------------------------------------------- humans

TEST_CASE("approve with a quorum completes when the M-th fastest approver answers", "[playbook][approve]") {
  StepSpec approve = make_step("approve", "two of three");
  DurationDist d;
  d.kind = DistKind::kUniform;
  d.min = 10 * kSecond;
  d.max = 10 * kMinute;
  approve.delay = d;
  approve.approvers = {"ana", "ben", "chloe"};
  approve.quorum = 2;
  PlaybookFixture f(playbook({approve}));
  // The runner's stream is Rng(5): one draw per approver, in order.
  Rng rng(5);
  std::vector<std::pair<Duration, std::string>> draws;
  for (const auto& who : approve.approvers) draws.emplace_back(sample(d, rng), who);
  auto sorted = draws;
  std::stable_sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return a.first < b.first; });
  f.runner.on_alert(page("Slow"));
  f.h.scheduler.run_until(kHour);
  const auto ends = timed<StepEndEvent>(f.h.journal);
  REQUIRE(ends[0].first == sorted[1].first);
  REQUIRE(ends[0].first != sorted[0].first);
  REQUIRE(ends[0].second.reason == "approved by " + sorted[0].second + ", " + sorted[1].second +
                                       " (2 of 3) after " + format_duration(sorted[1].first));
}

TEST_CASE("escalate journals the responder's acknowledgement after the modelled delay", "[playbook][escalate]") {
  StepSpec esc = make_step("escalate", "page the DBA");
  esc.to = "dba-oncall";
  esc.ack_delay = fixed(3 * kMinute);
  PlaybookFixture f(playbook({esc}));
  f.runner.on_alert(page("Slow"));
  f.h.scheduler.run_until(kHour);
  const auto acks = timed<AckEvent>(f.h.journal);
  REQUIRE(acks.size() == 1);
  REQUIRE(acks[0].first == 3 * kMinute);
  REQUIRE(acks[0].second.who == "dba-oncall");
  REQUIRE(acks[0].second.alert == "Slow");
  const auto ends = timed<StepEndEvent>(f.h.journal);
  REQUIRE(ends[0].first == 3 * kMinute);
  REQUIRE(ends[0].second.reason == "acknowledged by dba-oncall after 3m00s");
}

TEST_CASE("escalate without waiting moves on and the acknowledgement comes later", "[playbook][escalate]") {
  StepSpec esc = make_step("escalate", "tell security");
  esc.to = "security";
  esc.ack_delay = fixed(5 * kMinute);
  esc.wait_for_ack = false;
  esc.message = "possible prompt injection";
  PlaybookFixture f(playbook({esc, make_step("model.rollback", "next")}));
  f.runner.on_alert(page("Slow"));
  REQUIRE(timed<PlaybookEndEvent>(f.h.journal).size() == 1);
  REQUIRE(timed<StepEndEvent>(f.h.journal)[0].second.reason ==
          "escalated to security (possible prompt injection)");
  f.h.scheduler.run_until(kHour);
  REQUIRE(timed<AckEvent>(f.h.journal)[0].first == 5 * kMinute);
}

// ---------------------------------------------------------------- exec, http, notify

TEST_CASE("exec passes argv, environment, working directory and the flags to the effects", "[playbook][exec]") {
  StepSpec ex = make_step("exec", "flip safe mode");
  ex.argv = {"./scripts/flip.sh", "--flag", "safe-mode"};
  ex.env = {{"TEAM", "sre"}};
  ex.cwd = "playbooks";
  ex.timeout = 5 * kSecond;
  PlaybookFixture f(playbook({ex}));
  f.h.scheduler.run_until(90 * kSecond);
  f.runner.on_alert(page("Slow"));
  REQUIRE(f.effects.execs.size() == 1);
  const ExecRequest& req = f.effects.execs[0];
  REQUIRE(req.argv == ex.argv);
  REQUIRE(req.cwd == "playbooks");
  REQUIRE(req.timeout == 5 * kSecond);
  REQUIRE(req.env.at("TEAM") == "sre");
  REQUIRE(req.env.at("GAMEDAY_PLAYBOOK") == "respond");
  REQUIRE(req.env.at("GAMEDAY_STEP") == "flip safe mode");
  REQUIRE(req.env.at("GAMEDAY_TIME_S") == "90");
  const auto flags = nlohmann::json::parse(req.flags_json);
  REQUIRE(flags["flags"]["safe-mode"]["defaultVariant"] == "off");
  REQUIRE(flags["flags"]["safe-mode"]["variants"]["on"] == true);
}

TEST_CASE("exec applies edits of the flags file at the virtual time of the step", "[playbook][exec]") {
  StepSpec ex = make_step("exec", "flip");
  ex.argv = {"flip"};
  PlaybookFixture f(playbook({ex}));
  f.effects.edit_flags = [](const std::string& in) {
    auto j = nlohmann::json::parse(in);
    j["flags"]["safe-mode"]["defaultVariant"] = "on";
    return j.dump();
  };
  f.h.scheduler.run_until(2 * kMinute);
  f.runner.on_alert(page("Slow"));
  REQUIRE(f.h.assistant->flag_on("safe-mode"));
  const auto changes = timed<ControlChangeEvent>(f.h.journal);
  REQUIRE(changes.size() == 1);
  REQUIRE(changes[0].first == 2 * kMinute);
  REQUIRE(changes[0].second.by == "exec:flip");
  REQUIRE(timed<StepEndEvent>(f.h.journal)[0].second.reason == "exit 0; flags file: safe-mode off -> on");
}

TEST_CASE("exec rejects a flags file naming an unknown flag and changes nothing", "[playbook][exec]") {
  StepSpec ex = make_step("exec", "flip");
  ex.argv = {"flip"};
  PlaybookFixture f(playbook({ex}));
  f.effects.edit_flags = [](const std::string& in) {
    auto j = nlohmann::json::parse(in);
    j["flags"]["safe-mode"]["defaultVariant"] = "on";
    j["flags"]["no-such-flag"] = {{"state", "ENABLED"}, {"defaultVariant", "on"}};
    return j.dump();
  };
  f.runner.on_alert(page("Slow"));
  REQUIRE_FALSE(f.h.assistant->flag_on("safe-mode"));
  const auto end = timed<StepEndEvent>(f.h.journal)[0].second;
  REQUIRE(end.outcome == "failed");
  REQUIRE(end.reason == "exit 0; flags file rejected: flags file names unknown flag 'no-such-flag'");
}

TEST_CASE("exec control API calls land at the virtual time of the step, by the step", "[playbook][exec]") {
  StepSpec ex = make_step("exec", "roll back prompt");
  ex.argv = {"rollback.sh"};
  PlaybookFixture f(playbook({ex}));
  REQUIRE(f.h.assistant->set_prompt("v3", "deploy:bad", nullptr));
  f.effects.during_exec = [](ControlHandler& control) {
    const ControlResponse r = control.handle(ControlRequest{"POST", "/v1/assistant/prompt/rollback", ""});
    REQUIRE(r.status == 200);
  };
  f.h.scheduler.run_until(7 * kMinute);
  f.runner.on_alert(page("Slow"));
  REQUIRE(f.h.assistant->prompt_version() == "v2");
  const auto changes = timed<ControlChangeEvent>(f.h.journal);
  REQUIRE(changes.back().first == 7 * kMinute);
  REQUIRE(changes.back().second.by == "exec:roll back prompt");
  REQUIRE(timed<StepEndEvent>(f.h.journal)[0].second.reason == "exit 0; 1 control API call");
}

TEST_CASE("exec output never reaches the journal, and a failing exec rolls back", "[playbook][exec]") {
  StepSpec out = make_step("model.failover", "out");
  out.to = "secondary";
  StepSpec ex = make_step("exec", "check");
  ex.argv = {"check.sh"};
  PlaybookFixture f(playbook({out, ex}, {make_step("model.rollback", "route back")}));
  f.effects.exec_result.exit_code = 1;
  f.effects.exec_result.out = "patient Alma Testwell MRN 12345678";
  f.effects.exec_result.err = "error for Alma Testwell";
  f.runner.on_alert(page("Slow"));
  const auto ends = timed<StepEndEvent>(f.h.journal);
  REQUIRE(ends[1].second.outcome == "failed");
  REQUIRE(ends[1].second.reason == "exit 1");
  REQUIRE(ends[2].second.rollback);
  REQUIRE(ends[2].second.outcome == "ok");
  REQUIRE(f.h.assistant->route() == "primary");
  REQUIRE(timed<PlaybookEndEvent>(f.h.journal)[0].second.outcome == "aborted");
  REQUIRE(journal_text(f.h.journal).find("Testwell") == std::string::npos);
}

TEST_CASE("An exec step killed by Ctrl-C ends interrupted and its playbook rolls back as interrupted", "[playbook][exec][interrupt]") {
  StepSpec out = make_step("model.failover", "out");
  out.to = "secondary";
  StepSpec ex = make_step("exec", "slow script");
  ex.argv = {"slow.sh"};
  ex.retries = 2;  // an interrupt is not retried
  PlaybookFixture f(playbook({out, ex}, {make_step("model.rollback", "route back")}));
  std::atomic<bool> stop{false};
  f.runner.set_stop(&stop);
  // The effects see the interrupt while the process runs and kill it, as src/net does.
  f.effects.during_exec = [&stop](ControlHandler&) { stop.store(true); };
  f.effects.exec_result.status = ExecResult::Status::kSignaled;
  f.effects.exec_result.signal = 15;
  f.runner.on_alert(page("Slow"));
  const auto ends = timed<StepEndEvent>(f.h.journal);
  REQUIRE(ends.size() == 3);
  REQUIRE(ends[1].second.outcome == "interrupted");
  REQUIRE(ends[1].second.reason == "interrupted: killed by signal 15");
  REQUIRE(ends[2].second.rollback);
  REQUIRE(ends[2].second.outcome == "ok");
  REQUIRE(f.effects.execs.size() == 1);
  const auto pend = timed<PlaybookEndEvent>(f.h.journal);
  REQUIRE(pend.size() == 1);
  REQUIRE(pend[0].second.outcome == "interrupted");
  REQUIRE_FALSE(f.runner.start("respond", "manual"));
}

TEST_CASE("A rollback step that fails after Ctrl-C still ends failed", "[playbook][exec][interrupt]") {
  StepSpec ex = make_step("exec", "undo script");
  ex.argv = {"undo.sh"};
  StepSpec bad = make_step("model.failover", "bad");
  bad.to = "nowhere";
  PlaybookFixture f(playbook({bad}, {ex}));
  std::atomic<bool> stop{true};
  f.runner.set_stop(&stop);
  f.effects.exec_result.exit_code = 1;
  f.runner.on_alert(page("Slow"));
  const auto ends = timed<StepEndEvent>(f.h.journal);
  REQUIRE(ends.back().second.rollback);
  REQUIRE(ends.back().second.outcome == "failed");
}

TEST_CASE("exec outcomes: timeout, signal and failure to start", "[playbook][exec]") {
  StepSpec ex = make_step("exec", "run");
  ex.argv = {"missing-tool"};
  ex.on_failure = OnFailure::kContinue;
  ex.timeout = 2 * kSecond;
  PlaybookFixture f(playbook({ex}));
  SECTION("timeout") {
    f.effects.exec_result.status = ExecResult::Status::kTimedOut;
    f.runner.on_alert(page("Slow"));
    const auto end = timed<StepEndEvent>(f.h.journal)[0].second;
    REQUIRE(end.outcome == "timeout");
    REQUIRE(end.reason == "no exit within 2s (real time); killed");
  }
  SECTION("signal") {
    f.effects.exec_result.status = ExecResult::Status::kSignaled;
    f.effects.exec_result.signal = 9;
    f.runner.on_alert(page("Slow"));
    REQUIRE(timed<StepEndEvent>(f.h.journal)[0].second.reason == "killed by signal 9");
  }
  SECTION("failure to start") {
    f.effects.exec_result.status = ExecResult::Status::kFailedToStart;
    f.effects.exec_result.error = "not found in PATH";
    f.runner.on_alert(page("Slow"));
    REQUIRE(timed<StepEndEvent>(f.h.journal)[0].second.reason == "cannot run 'missing-tool': not found in PATH");
  }
}

TEST_CASE("exec, http and notify fail without step effects", "[playbook][exec]") {
  Harness h;
  GoldenRunner golden(h.factory, *h.assistant, h.scheduler, h.journal, Rng(4));
  StepSpec ex = make_step("exec", "run");
  ex.argv = {"true"};
  PlaybookRunner runner({playbook({ex})}, {}, h.scheduler, h.journal, *h.assistant, golden, Rng(5));
  runner.on_alert(page("Slow"));
  const auto end = timed<StepEndEvent>(h.journal)[0].second;
  REQUIRE(end.outcome == "failed");
  REQUIRE(end.reason == "no step effects configured: exec steps cannot run here");
}

TEST_CASE("http checks the status and JSON fields without echoing the response", "[playbook][http]") {
  StepSpec h = make_step("http", "health");
  h.method = "GET";
  h.url = "https://status.example.test/health?token=secret";
  h.expect.status = {200};
  h.expect.json = {{"status", "\"ok\""}, {"checks.0.up", "true"}};
  h.on_failure = OnFailure::kContinue;
  PlaybookFixture f(playbook({h}));
  SECTION("as expected") {
    f.effects.http_result = HttpResult{200, R"({"status":"ok","checks":[{"up":true}]})", ""};
    f.runner.on_alert(page("Slow"));
    const auto end = timed<StepEndEvent>(f.h.journal)[0].second;
    REQUIRE(end.outcome == "ok");
    REQUIRE(end.reason == "HTTP 200; 2 JSON fields as expected");
    REQUIRE(f.effects.https[0].method == "GET");
    REQUIRE(f.effects.https[0].timeout == kDefaultHttpTimeout);
  }
  SECTION("a field differs") {
    f.effects.http_result = HttpResult{200, R"({"status":"degraded for Alma","checks":[{"up":true}]})", ""};
    f.runner.on_alert(page("Slow"));
    const auto end = timed<StepEndEvent>(f.h.journal)[0].second;
    REQUIRE(end.outcome == "failed");
    REQUIRE(end.reason == "HTTP 200, but JSON field 'status' is not \"ok\" (got a string)");
    REQUIRE(journal_text(f.h.journal).find("secret") == std::string::npos);
  }
  SECTION("a field is missing") {
    f.effects.http_result = HttpResult{200, R"({"status":"ok"})", ""};
    f.runner.on_alert(page("Slow"));
    REQUIRE(timed<StepEndEvent>(f.h.journal)[0].second.reason == "HTTP 200, but JSON field 'checks.0.up' is missing");
  }
  SECTION("another status") {
    f.effects.http_result = HttpResult{503, "{}", ""};
    f.runner.on_alert(page("Slow"));
    REQUIRE(timed<StepEndEvent>(f.h.journal)[0].second.reason == "HTTP 503, expected 200");
  }
  SECTION("no response") {
    f.effects.http_result = HttpResult{0, "", "Couldn't connect to server"};
    f.runner.on_alert(page("Slow"));
    REQUIRE(timed<StepEndEvent>(f.h.journal)[0].second.reason == "GET failed: Couldn't connect to server");
  }
}

TEST_CASE("http reports an array index too long for any array as a missing field", "[playbook][http]") {
  StepSpec h = make_step("http", "health");
  h.method = "GET";
  h.url = "https://status.example.test/health";
  h.expect.status = {200};
  h.expect.json = {{"checks.99999999999999999999999.up", "true"}};  // beyond 64 bits
  h.on_failure = OnFailure::kContinue;
  PlaybookFixture f(playbook({h}));
  f.effects.http_result = HttpResult{200, R"({"checks":[{"up":true}]})", ""};
  f.runner.on_alert(page("Slow"));
  const auto end = timed<StepEndEvent>(f.h.journal)[0].second;
  REQUIRE(end.outcome == "failed");
  REQUIRE(end.reason == "HTTP 200, but JSON field 'checks.99999999999999999999999.up' is missing");
}

TEST_CASE("http sends a JSON body with a JSON content type", "[playbook][http]") {
  StepSpec h = make_step("http", "open incident");
  h.method = "POST";
  h.url = "https://incidents.example.test/api";
  h.body = R"({"severity":"sev2"})";
  PlaybookFixture f(playbook({h}));
  f.effects.http_result = HttpResult{201, "{}", ""};
  f.runner.on_alert(page("Slow"));
  REQUIRE(timed<StepEndEvent>(f.h.journal)[0].second.outcome == "ok");
  const HttpRequest& req = f.effects.https[0];
  REQUIRE(req.body == R"({"severity":"sev2"})");
  REQUIRE(req.headers == std::vector<std::pair<std::string, std::string>>{{"Content-Type", "application/json"}});
}

TEST_CASE("notify posts a Slack-compatible text body", "[playbook][notify]") {
  StepSpec n = make_step("notify", "tell the channel");
  n.url = "https://hooks.example.test/T000/B000";
  n.text = "{playbook} started by {trigger} at {time}";
  n.headers = {{"X-Team", "sre"}};
  PlaybookFixture f(playbook({n}));
  f.h.scheduler.run_until(65 * kSecond);
  f.runner.on_alert(page("Slow"));
  REQUIRE(f.effects.https.size() == 1);
  const HttpRequest& req = f.effects.https[0];
  REQUIRE(req.method == "POST");
  REQUIRE(req.url == n.url);
  REQUIRE(nlohmann::json::parse(req.body) == nlohmann::json{{"text", "respond started by alert:Slow at T+01:05"}});
  REQUIRE(req.headers.size() == 2);
  REQUIRE(req.headers[1] == std::pair<std::string, std::string>{"Content-Type", "application/json"});
  REQUIRE(timed<StepEndEvent>(f.h.journal)[0].second.reason == "notified (HTTP 200)");
}

TEST_CASE("notify fails when the webhook answers an error", "[playbook][notify]") {
  StepSpec n = make_step("notify", "tell");
  n.url = "https://hooks.example.test/x";
  n.text = "hi";
  PlaybookFixture f(playbook({n}));
  f.effects.http_result = HttpResult{500, "", ""};
  f.runner.on_alert(page("Slow"));
  REQUIRE(timed<StepEndEvent>(f.h.journal)[0].second.reason == "webhook answered HTTP 500");
}

TEST_CASE("Steps that could not run are listed and steps that ran and failed are not", "[playbook][exec]") {
  StepSpec ex = make_step("exec", "mitigate");
  ex.argv = {"./mitigate.sh"};
  ex.on_failure = OnFailure::kContinue;
  StepSpec h = make_step("http", "check");
  h.url = "http://127.0.0.1:9/health";
  h.on_failure = OnFailure::kContinue;
  StepSpec n = make_step("notify", "tell");
  n.url = "https://hooks.example.test/x";
  n.text = "hi";
  n.on_failure = OnFailure::kContinue;
  StepSpec back = make_step("exec", "undo");
  back.argv = {"./undo.sh"};
  PlaybookFixture f(playbook({ex, h, n}, {back}));
  SECTION("a process that cannot start and requests without a response") {
    f.effects.exec_result.status = ExecResult::Status::kFailedToStart;
    f.effects.exec_result.error = "No such file or directory";
    f.effects.http_result = HttpResult{0, "", "Couldn't connect to server"};
    f.runner.on_alert(page("Slow"));
    const auto& not_run = f.runner.steps_not_run();
    REQUIRE(not_run.size() == 3);
    REQUIRE(not_run[0].name == "mitigate");
    REQUIRE(not_run[0].playbook == "respond");
    REQUIRE(not_run[0].kind == "exec");
    REQUIRE(not_run[0].reason == "cannot run './mitigate.sh': No such file or directory");
    REQUIRE(not_run[1].reason == "GET failed: Couldn't connect to server");
    REQUIRE(not_run[2].reason == "webhook unreachable: Couldn't connect to server");
    // The journal has them as ordinary failed steps.
    REQUIRE(outcomes(f.h.journal) == std::vector<std::string>{"mitigate:failed", "check:failed", "tell:failed"});
  }
  SECTION("a process that exits non-zero and an error status ran") {
    f.effects.exec_result.exit_code = 1;
    f.effects.http_result = HttpResult{503, "{}", ""};
    f.runner.on_alert(page("Slow"));
    REQUIRE(outcomes(f.h.journal).size() == 3);
    REQUIRE(f.runner.steps_not_run().empty());
  }
  SECTION("a rollback step that cannot start is listed as one") {
    f.effects.exec_result.status = ExecResult::Status::kFailedToStart;
    f.effects.exec_result.error = "not found in PATH";
    ex.on_failure = OnFailure::kAbort;
    PlaybookFixture g(playbook({ex}, {back}));
    g.effects.exec_result = f.effects.exec_result;
    g.runner.on_alert(page("Slow"));
    const auto& not_run = g.runner.steps_not_run();
    REQUIRE(not_run.size() == 2);
    REQUIRE_FALSE(not_run[0].rollback);
    REQUIRE(not_run[1].name == "undo");
    REQUIRE(not_run[1].rollback);
  }
}

TEST_CASE("Steps without step effects are listed as steps that could not run", "[playbook][exec]") {
  Harness h;
  GoldenRunner golden(h.factory, *h.assistant, h.scheduler, h.journal, Rng(4));
  StepSpec ex = make_step("exec", "run");
  ex.argv = {"true"};
  PlaybookRunner runner({playbook({ex})}, {}, h.scheduler, h.journal, *h.assistant, golden, Rng(5));
  runner.on_alert(page("Slow"));
  REQUIRE(runner.steps_not_run().size() == 1);
  REQUIRE(runner.steps_not_run()[0].reason == "no step effects configured: exec steps cannot run here");
}

TEST_CASE("An exec step running in the background lets time go on and ends when its result arrives", "[playbook][exec][background]") {
  StepSpec ex = make_step("exec", "slow script");
  ex.argv = {"slow.sh"};
  StepSpec after = make_step("model.failover", "out");
  after.to = "secondary";
  PlaybookFixture f(playbook({ex, after}));
  f.effects.deferred = true;
  f.h.scheduler.run_until(kMinute);
  f.runner.on_alert(page("Slow"));
  REQUIRE(f.effects.execs.size() == 1);
  REQUIRE(timed<StepEndEvent>(f.h.journal).empty());
  f.h.scheduler.run_until(3 * kMinute);  // the engine goes on while the process runs
  REQUIRE(f.runner.any_running());
  f.effects.during_exec = [](ControlHandler& control) {
    REQUIRE(control.handle(ControlRequest{"PUT", "/v1/assistant/flags/safe-mode", R"({"variant":"on"})"}).status == 200);
  };
  f.effects.finish_deferred();
  const auto ends = timed<StepEndEvent>(f.h.journal);
  REQUIRE(ends.size() == 2);
  REQUIRE(ends[0].first == 3 * kMinute);
  REQUIRE(ends[0].second.reason == "exit 0; 1 control API call");
  REQUIRE(timed<ControlChangeEvent>(f.h.journal).front().second.by == "exec:slow script");
  REQUIRE(f.h.assistant->route() == "secondary");
  REQUIRE_FALSE(f.runner.any_running());
}

TEST_CASE("Interrupting a playbook abandons its step's work in flight and ignores the late result", "[playbook][exec][background]") {
  StepSpec ex = make_step("http", "call runbook");
  ex.url = "http://127.0.0.1:9/runbook";
  PlaybookFixture f(playbook({ex}, {make_step("model.rollback", "route back")}));
  f.effects.deferred = true;
  f.runner.on_alert(page("Slow"));
  REQUIRE(f.effects.controls.size() == 1);
  REQUIRE_FALSE(f.effects.controls[0]->abandoned());
  f.runner.interrupt("run ended");
  REQUIRE(f.effects.controls[0]->abandoned());
  f.effects.http_result = HttpResult{500, "{}", ""};
  f.effects.finish_deferred();  // the late answer changes nothing
  const auto ends = timed<StepEndEvent>(f.h.journal);
  REQUIRE(ends.size() == 2);
  REQUIRE(ends[0].second.outcome == "interrupted");
  REQUIRE(ends[1].second.rollback);
  REQUIRE(timed<PlaybookEndEvent>(f.h.journal)[0].second.outcome == "interrupted");
}

TEST_CASE("A rollback still running at the rollback limit is cut short and its playbook ends saying so", "[playbook][interrupt]") {
  StepSpec wait = make_step("wait", "hold");
  wait.duration = 10 * kMinute;
  StepSpec undo = make_step("exec", "undo script");
  undo.argv = {"undo.sh"};
  PlaybookFixture f(playbook({wait}, {undo, make_step("model.rollback", "route back")}));
  f.effects.deferred = true;  // the undo script never ends
  f.runner.on_alert(page("Slow"));
  f.h.scheduler.run_until(kMinute);
  REQUIRE_FALSE(finish_interrupted(f.runner, f.h.scheduler, "run ended", kHour));
  REQUIRE_FALSE(f.runner.any_running());
  REQUIRE(f.effects.controls.size() == 1);
  REQUIRE(f.effects.controls[0]->abandoned());
  const auto ends = timed<StepEndEvent>(f.h.journal);
  REQUIRE(ends.size() == 2);
  REQUIRE(ends[1].second.name == "undo script");
  REQUIRE(ends[1].second.rollback);
  REQUIRE(ends[1].second.outcome == "interrupted");
  REQUIRE(ends[1].second.reason == "not done within 1h00m00s");
  const auto pend = timed<PlaybookEndEvent>(f.h.journal);
  REQUIRE(pend.size() == 1);
  REQUIRE(pend[0].second.outcome == "interrupted");
  REQUIRE(pend[0].second.reason == "run ended; rollback cut short: not done within 1h00m00s");
  f.effects.finish_deferred();  // a late end changes nothing
  REQUIRE(timed<StepEndEvent>(f.h.journal).size() == 2);
}

TEST_CASE("A second interrupt ends the rollbacks at once", "[playbook][interrupt]") {
  StepSpec wait = make_step("wait", "hold");
  wait.duration = 10 * kMinute;
  StepSpec slow = make_step("wait", "slow undo");
  slow.duration = 30 * kMinute;
  PlaybookFixture f(playbook({wait}, {slow}));
  f.runner.on_alert(page("Slow"));
  f.h.scheduler.run_until(kMinute);
  std::atomic<bool> cut{true};
  REQUIRE_FALSE(finish_interrupted(f.runner, f.h.scheduler, "interrupted", kHour, &cut));
  REQUIRE(f.h.scheduler.now() == kMinute);  // no time went by
  const auto pend = timed<PlaybookEndEvent>(f.h.journal);
  REQUIRE(pend.size() == 1);
  REQUIRE(pend[0].second.reason == "interrupted; rollback cut short: second interrupt");
}
