// Control flow within and between runs: `if` on earlier outcomes, `end` steps, approvers with
// their own delays and an escalation order, and triggers that re-run (every, cooldown).
#include <catch2/catch.hpp>

#include "support/fixtures.hpp"
#include "support/playbook_harness.hpp"

using namespace gameday;
using namespace gameday::testing;

namespace {

// `if: steps.<name>.outcome == <outcome>` on step `index` of the list.
StepIfSpec outcome_is(const std::string& name, std::size_t index, const std::string& outcome,
                      bool equal = true) {
  StepIfSpec c;
  c.text = "steps." + name + ".outcome " + (equal ? "==" : "!=") + " " + outcome;
  c.any_of = {{OutcomeTest{name, index, equal, outcome}}};
  return c;
}

StepSpec approval(Duration delay, Duration timeout) {
  StepSpec a = make_step("approve", "approve");
  a.approvers = {"oncall-primary"};
  a.delay = fixed(delay);
  a.timeout = timeout;
  a.on_failure = OnFailure::kContinue;
  return a;
}

// Approve, then fail over on ok; page, and end escalated on timeout.
Playbook approval_playbook(Duration delay) {
  StepSpec failover = make_step("model.failover", "fail over");
  failover.to = "secondary";
  failover.if_ = outcome_is("approve", 0, "ok");
  StepSpec page_ic = make_step("escalate", "page the commander");
  page_ic.to = "incident-commander";
  page_ic.wait_for_ack = false;
  page_ic.ack_delay = fixed(kMinute);
  page_ic.if_ = outcome_is("approve", 0, "timeout");
  StepSpec stop = make_step("end", "give up");
  stop.end_outcome = "escalated";
  stop.message = "no approval within 5m";
  stop.if_ = outcome_is("approve", 0, "timeout");
  StepSpec after = make_step("wait", "after");
  after.duration = kMinute;
  StepSpec undo = make_step("model.failover", "back to primary");
  undo.to = "primary";
  return playbook({approval(delay, 5 * kMinute), failover, page_ic, stop, after}, {undo});
}

}  // namespace

TEST_CASE("An if that holds runs the step and one that does not skips it with the reason", "[playbook][if]") {
  PlaybookFixture f(approval_playbook(2 * kMinute));
  f.runner.on_alert(page("Slow"));
  f.h.scheduler.run_until(kHour);
  CHECK(outcomes(f.h.journal) == std::vector<std::string>{"approve:ok", "fail over:ok",
                                                          "page the commander:skipped",
                                                          "give up:skipped", "after:ok"});
  CHECK(timed<StepEndEvent>(f.h.journal)[2].second.reason ==
        "if 'steps.approve.outcome == timeout' does not hold ('approve' ok)");
  CHECK(f.h.assistant->route() == "secondary");
  CHECK(timed<AckEvent>(f.h.journal).empty());  // the success path does not escalate
  CHECK(timed<PlaybookEndEvent>(f.h.journal)[0].second.outcome == "completed");
}

TEST_CASE("An approval timeout routes to the escalation path and the end step stops the run", "[playbook][if][end]") {
  PlaybookFixture f(approval_playbook(20 * kMinute));
  f.runner.on_alert(page("Slow"));
  f.h.scheduler.run_until(kHour);
  CHECK(outcomes(f.h.journal) == std::vector<std::string>{"approve:timeout", "fail over:skipped",
                                                          "page the commander:ok", "give up:ok"});
  const auto end = timed<PlaybookEndEvent>(f.h.journal);
  REQUIRE(end.size() == 1);
  CHECK(end[0].first == 5 * kMinute);
  CHECK(end[0].second.outcome == "escalated");
  CHECK(end[0].second.reason == "no approval within 5m");
  CHECK(f.h.assistant->route() == "primary");
  // No rollback list for an end step without rollback: true.
  for (const auto& [t, e] : timed<StepStartEvent>(f.h.journal)) CHECK_FALSE(e.rollback);
  // The page still reaches the commander after the run has ended.
  REQUIRE(timed<AckEvent>(f.h.journal).size() == 1);
  CHECK(timed<AckEvent>(f.h.journal)[0].second.who == "incident-commander");
}

TEST_CASE("An end step with rollback true runs the rollback list and keeps its outcome", "[playbook][end]") {
  StepSpec failover = make_step("model.failover", "fail over");
  failover.to = "secondary";
  StepSpec stop = make_step("end", "give up");
  stop.end_outcome = "escalated";
  stop.end_rollback = true;
  StepSpec undo = make_step("model.failover", "back to primary");
  undo.to = "primary";
  PlaybookFixture f(playbook({failover, stop}, {undo}));
  f.runner.on_alert(page("Slow"));
  f.h.scheduler.run_until(kHour);
  CHECK(outcomes(f.h.journal) == std::vector<std::string>{"fail over:ok", "give up:ok", "back to primary:ok"});
  const auto end = timed<PlaybookEndEvent>(f.h.journal);
  REQUIRE(end.size() == 1);
  CHECK(end[0].second.outcome == "escalated");
  CHECK(end[0].second.reason == "ended by step 'give up'");
  CHECK(f.h.assistant->route() == "primary");
}

TEST_CASE("An if joins tests with and and or and reads a step never run as skipped", "[playbook][if]") {
  StepSpec bad = make_step("model.failover", "fail over");
  bad.to = "nowhere";
  bad.on_failure = OnFailure::kGoto;
  bad.goto_step = "check";
  StepSpec jumped = make_step("wait", "jumped over");
  jumped.duration = kMinute;
  StepSpec check = make_step("mode.fallback", "check");
  // (fail over == ok) or (fail over == failed and jumped over == skipped)
  StepIfSpec c;
  c.text = "steps.fail over.outcome == ok or steps.fail over.outcome == failed and steps.jumped over.outcome == skipped";
  c.any_of = {{OutcomeTest{"fail over", 0, true, "ok"}},
              {OutcomeTest{"fail over", 0, true, "failed"}, OutcomeTest{"jumped over", 1, true, "skipped"}}};
  check.if_ = c;
  PlaybookFixture f(playbook({bad, jumped, check}));
  f.runner.on_alert(page("Slow"));
  f.h.scheduler.run_until(kHour);
  CHECK(outcomes(f.h.journal) == std::vector<std::string>{"fail over:failed", "check:ok"});
  CHECK(f.h.assistant->flag_on("safe-mode"));
}

TEST_CASE("Approvers with their own delays approve at the fastest answer and are named", "[playbook][approve]") {
  StepSpec a = make_step("approve", "approve");
  a.approvers = {"slow-lead", "quick-lead"};
  a.approver_delays = {fixed(9 * kMinute), fixed(2 * kMinute)};
  a.delay = fixed(kMinute);  // not used: each approver has their own
  PlaybookFixture f(playbook({a}));
  f.runner.on_alert(page("Slow"));
  f.h.scheduler.run_until(kHour);
  const auto ends = timed<StepEndEvent>(f.h.journal);
  REQUIRE(ends.size() == 1);
  CHECK(ends[0].first == 2 * kMinute);
  CHECK(ends[0].second.reason == "approved by quick-lead (1 of 2) after 2m00s");
}

TEST_CASE("Escalation order asks the next approver after escalate_after without an answer", "[playbook][approve]") {
  StepSpec a = make_step("approve", "approve");
  a.approvers = {"oncall-primary", "oncall-secondary", "oncall-manager"};
  a.approver_delays = {fixed(30 * kMinute), fixed(4 * kMinute), fixed(kMinute)};
  a.order = ApproverOrder::kEscalation;
  a.escalate_after = 3 * kMinute;
  PlaybookFixture f(playbook({a}));
  f.runner.on_alert(page("Slow"));
  f.h.scheduler.run_until(kHour);
  // primary at 0 + 30m, secondary at 3m + 4m = 7m, manager at 6m + 1m = 7m: the earlier asked wins a tie.
  const auto ends = timed<StepEndEvent>(f.h.journal);
  REQUIRE(ends.size() == 1);
  CHECK(ends[0].first == 7 * kMinute);
  CHECK(ends[0].second.outcome == "ok");
  CHECK(ends[0].second.reason ==
        "approved by oncall-secondary after 7m00s (asked after 3m00s: oncall-primary had not answered)");
}

TEST_CASE("An escalation approval that nobody gives in time times out naming who was asked", "[playbook][approve]") {
  StepSpec a = make_step("approve", "approve");
  a.approvers = {"oncall-primary", "oncall-secondary", "oncall-manager"};
  a.delay = fixed(20 * kMinute);
  a.order = ApproverOrder::kEscalation;
  a.escalate_after = 3 * kMinute;
  a.timeout = 5 * kMinute;
  PlaybookFixture f(playbook({a}));
  f.runner.on_alert(page("Slow"));
  f.h.scheduler.run_until(kHour);
  const auto ends = timed<StepEndEvent>(f.h.journal);
  REQUIRE(ends.size() == 1);
  CHECK(ends[0].first == 5 * kMinute);
  CHECK(ends[0].second.outcome == "timeout");
  CHECK(ends[0].second.reason == "no approval within 5m00s (asked: oncall-primary, oncall-secondary)");
}

TEST_CASE("A single approver without own delays keeps the one draw of the step's delay", "[playbook][approve]") {
  StepSpec a = make_step("approve", "approve");
  DurationDist d;
  d.kind = DistKind::kUniform;
  d.min = 10 * kSecond;
  d.max = 10 * kMinute;
  a.delay = d;
  a.approvers = {"lead", "deputy"};
  PlaybookFixture f(playbook({a}));
  Rng rng(5);  // the runner's stream
  const Duration expected = sample(d, rng);
  f.runner.on_alert(page("Slow"));
  f.h.scheduler.run_until(kHour);
  const auto ends = timed<StepEndEvent>(f.h.journal);
  REQUIRE(ends.size() == 1);
  CHECK(ends[0].first == expected);
  CHECK(ends[0].second.reason == "approved by lead after " + format_duration(expected));
}

TEST_CASE("A rerun trigger starts again while its alert still fires and stops when it resolves", "[playbook][trigger][rerun]") {
  StepSpec wait = make_step("wait", "settle");
  wait.duration = 2 * kMinute;
  Playbook pb = playbook({wait});
  pb.trigger.rerun_every = 5 * kMinute;
  PlaybookFixture f(pb);
  f.signals.alerts = {"Slow"};
  f.runner.on_alert(page("Slow"));
  f.h.scheduler.run_until(12 * kMinute);
  f.signals.alerts.clear();  // resolved before the look at 15m
  f.h.scheduler.run_until(kHour);
  const auto starts = timed<PlaybookStartEvent>(f.h.journal);
  REQUIRE(starts.size() == 3);
  CHECK(starts[0].first == 0);
  CHECK(starts[0].second.trigger == "alert:Slow");
  CHECK(starts[1].first == 5 * kMinute);
  CHECK(starts[1].second.trigger == "alert:Slow (rerun)");
  CHECK(starts[2].first == 10 * kMinute);
  CHECK(starts[2].second.trigger == "alert:Slow (rerun)");
}

TEST_CASE("A rerun that finds its playbook still running looks again later", "[playbook][trigger][rerun]") {
  StepSpec wait = make_step("wait", "long");
  wait.duration = 7 * kMinute;
  Playbook pb = playbook({wait});
  pb.trigger.rerun_every = 5 * kMinute;
  PlaybookFixture f(pb);
  f.signals.alerts = {"Slow"};
  f.runner.on_alert(page("Slow"));
  f.h.scheduler.run_until(12 * kMinute);
  f.signals.alerts.clear();
  f.h.scheduler.run_until(kHour);
  const auto starts = timed<PlaybookStartEvent>(f.h.journal);
  REQUIRE(starts.size() == 2);
  CHECK(starts[1].first == 10 * kMinute);  // 5m: still running; 10m: free
}

TEST_CASE("Without rerun a playbook starts only on the alert's edge", "[playbook][trigger][rerun]") {
  StepSpec wait = make_step("wait", "settle");
  wait.duration = kMinute;
  PlaybookFixture f(playbook({wait}));
  f.signals.alerts = {"Slow"};
  f.runner.on_alert(page("Slow"));
  f.h.scheduler.run_until(kHour);
  CHECK(timed<PlaybookStartEvent>(f.h.journal).size() == 1);
}

TEST_CASE("A cooldown holds a re-fire back until it has passed", "[playbook][trigger][cooldown]") {
  StepSpec wait = make_step("wait", "settle");
  wait.duration = kMinute;
  Playbook pb = playbook({wait});
  pb.trigger.cooldown = 5 * kMinute;
  PlaybookFixture f(pb);
  f.runner.on_alert(page("Slow"));
  f.h.scheduler.run_until(2 * kMinute);
  f.signals.alerts = {"Slow"};
  f.runner.on_alert(page("Slow"));  // re-fires at 2m: too soon
  f.h.scheduler.run_until(4 * kMinute);
  CHECK(timed<PlaybookStartEvent>(f.h.journal).size() == 1);
  f.h.scheduler.run_until(10 * kMinute);
  f.signals.alerts.clear();
  f.h.scheduler.run_until(12 * kMinute);
  f.runner.on_alert(page("Slow"));  // 7m after the last start: past the cooldown
  f.h.scheduler.run_until(kHour);
  const auto starts = timed<PlaybookStartEvent>(f.h.journal);
  REQUIRE(starts.size() == 3);
  CHECK(starts[1].first == 5 * kMinute);
  CHECK(starts[1].second.trigger == "alert:Slow (after cooldown)");
  CHECK(starts[2].first == 12 * kMinute);
  CHECK(starts[2].second.trigger == "alert:Slow");
}

TEST_CASE("A re-fire within the cooldown that has resolved by then starts nothing", "[playbook][trigger][cooldown]") {
  StepSpec wait = make_step("wait", "settle");
  wait.duration = kMinute;
  Playbook pb = playbook({wait});
  pb.trigger.cooldown = 5 * kMinute;
  PlaybookFixture f(pb);
  f.runner.on_alert(page("Slow"));
  f.h.scheduler.run_until(2 * kMinute);
  f.runner.on_alert(page("Slow"));  // not firing any more when the cooldown has passed
  f.h.scheduler.run_until(kHour);
  CHECK(timed<PlaybookStartEvent>(f.h.journal).size() == 1);
}

TEST_CASE("A rerun redeploy that finds the version in place is a no-op change", "[playbook][rerun][noop]") {
  StepSpec pin = make_step("prompt.deploy", "pin v2");
  pin.version = "v2";
  Playbook pb = playbook({pin});
  pb.trigger.rerun_every = 5 * kMinute;
  PlaybookFixture f(pb);
  f.h.assistant->set_prompt("v3", "deploy:bad", nullptr);
  f.signals.alerts = {"Slow"};
  f.runner.on_alert(page("Slow"));
  f.h.scheduler.run_until(6 * kMinute);
  f.signals.alerts.clear();
  f.h.scheduler.run_until(kHour);
  const auto changes = timed<ControlChangeEvent>(f.h.journal);
  REQUIRE(changes.size() == 3);
  CHECK_FALSE(changes[1].second.noop);
  CHECK(changes[1].second.to == "v2");
  CHECK(changes[2].second.noop);
  CHECK(changes[2].second.from == "v2");
  CHECK(changes[2].second.to == "v2");
}

TEST_CASE("Setting what is already set is journaled as a no-op and changes nothing", "[assistant][noop]") {
  Harness h;
  Assistant& a = *h.assistant;
  a.set_flag("citation-check", "off", "deploy:cfg", nullptr);
  REQUIRE(a.set_flag("citation-check", "off", "playbook:p", nullptr));  // already off
  REQUIRE(a.set_route(a.route(), "playbook:p", nullptr));
  REQUIRE(a.set_prompt(a.prompt_version(), "playbook:p", nullptr));
  REQUIRE(a.set_shed(0, "playbook:p", nullptr));
  const auto changes = timed<ControlChangeEvent>(h.journal);
  REQUIRE(changes.size() == 5);
  CHECK_FALSE(changes[0].second.noop);
  for (std::size_t i = 1; i < changes.size(); ++i) {
    CHECK(changes[i].second.noop);
    CHECK(changes[i].second.from == changes[i].second.to);
  }
  CHECK_FALSE(a.flag_on("citation-check"));
}
