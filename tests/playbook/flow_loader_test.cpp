// Loading control flow: `if` on earlier outcomes, `end` steps, approvers with their own delays
// and an order, and triggers that re-run (rerun, cooldown), with their errors (file:line:col).
#include <catch2/catch.hpp>

#include "load/config_fixture.hpp"
#include "load/loader.hpp"

using namespace gameday;
using gameday::config_test::error_of;
using gameday::config_test::load_playbook_steps;
using gameday::config_test::playbook_steps_error;

TEST_CASE("Playbook loader reads if tests on earlier steps joined by and and or", "[playbook][loader][if]") {
  const Playbook pb = load_playbook_steps(R"(  - {name: approve it, kind: approve, delay: 2m, timeout: 5m}
  - {name: check, kind: wait, duration: 1m}
  - kind: end
    outcome: escalated
    reason: nobody approved
    if: steps.approve it.outcome == timeout or steps.approve it.outcome != ok and steps.check.outcome == skipped
)");
  REQUIRE(pb.steps.size() == 3);
  REQUIRE(pb.steps[2].if_);
  const StepIfSpec& c = *pb.steps[2].if_;
  REQUIRE(c.any_of.size() == 2);
  REQUIRE(c.any_of[0].size() == 1);
  CHECK(c.any_of[0][0].step == "approve it");
  CHECK(c.any_of[0][0].index == 0);
  CHECK(c.any_of[0][0].outcome == "timeout");
  REQUIRE(c.any_of[1].size() == 2);
  CHECK_FALSE(c.any_of[1][0].equal);
  CHECK(c.any_of[1][1].index == 1);
  CHECK(pb.steps[2].kind == StepKind::kEnd);
  CHECK(pb.steps[2].end_outcome == "escalated");
  CHECK(pb.steps[2].message == "nobody approved");
  CHECK_FALSE(pb.steps[2].end_rollback);
}

TEST_CASE("Playbook loader rejects an if naming an unknown or a later step at its position", "[playbook][loader][if][errors]") {
  CHECK(playbook_steps_error("  - {name: approve, kind: approve, delay: 2m}\n"
              "  - {kind: wait, duration: 1m, if: steps.aprove.outcome == ok}\n") ==
        "playbooks/p.yaml:5:42: 'if' names step 'aprove', which is not a step of 'steps' (did you mean 'approve'?)");
  CHECK(playbook_steps_error("  - {kind: wait, duration: 1m, if: steps.later.outcome == ok}\n"
              "  - {name: later, kind: wait, duration: 1m}\n") ==
        "playbooks/p.yaml:4:42: 'if' names step 'later', which comes later: an 'if' reads the outcomes of earlier steps");
  CHECK(playbook_steps_error("  - {name: me, kind: wait, duration: 1m, if: steps.me.outcome == ok}\n") ==
        "playbooks/p.yaml:4:52: 'if' names step 'me', which is this step: an 'if' reads the outcomes of earlier steps");
}

TEST_CASE("Playbook loader points at the bad word of an if", "[playbook][loader][if][errors]") {
  CHECK(playbook_steps_error("  - {name: a, kind: wait, duration: 1m}\n"
              "  - {kind: wait, duration: 1m, if: steps.a.outcome == done}\n") ==
        "playbooks/p.yaml:5:55: unknown outcome 'done' (expected one of: ok, failed, timeout, skipped, "
        "interrupted) in 'if'");
  CHECK(playbook_steps_error("  - {name: a, kind: wait, duration: 1m}\n"
              "  - {kind: wait, duration: 1m, if: steps.a.outcome = ok}\n") ==
        "playbooks/p.yaml:5:52: expected == or != after '.outcome' in 'if'");
  CHECK(playbook_steps_error("  - {name: a, kind: wait, duration: 1m}\n"
              "  - {kind: wait, duration: 1m, if: steps.a.outcome == ok nor x}\n") ==
        "playbooks/p.yaml:5:58: expected 'and', 'or' or the end of the condition, got 'nor x' in 'if'");
  CHECK(playbook_steps_error("  - {name: a, kind: wait, duration: 1m}\n"
              "  - {kind: wait, duration: 1m, if: a == ok}\n") ==
        "playbooks/p.yaml:5:36: expected 'steps.<step name>.outcome == <outcome>', got 'a == ok' in 'if'");
}

TEST_CASE("Playbook loader checks end steps", "[playbook][loader][end][errors]") {
  CHECK(load_playbook_steps("  - {kind: end, outcome: escalated, rollback: true}\n").steps[0].end_rollback);
  CHECK(playbook_steps_error("  - {kind: end}\n") == "playbooks/p.yaml:4:5: missing required key 'outcome'");
  CHECK(playbook_steps_error("  - {kind: end, outcome: Escalated!}\n") ==
        "playbooks/p.yaml:4:26: expected an outcome like escalated (lower case letters and '_'), got 'Escalated!'");
  CHECK(playbook_steps_error("  - {kind: end, outcome: interrupted}\n") ==
        "playbooks/p.yaml:4:26: outcome 'interrupted' is reserved for runs cut short by an interrupt");
  const MemoryFiles files = [] {
    MemoryFiles f;
    f.add("playbooks/p.yaml", "name: p\ntrigger: {manual: true}\nsteps: [{kind: wait, duration: 1m}]\n"
                              "rollback:\n  - {kind: end, outcome: stopped}\n");
    return f;
  }();
  CHECK(error_of([&] { load_playbook("playbooks/p.yaml", files); }) ==
        "playbooks/p.yaml:5:12: an end step cannot be part of the rollback list");
}

TEST_CASE("Playbook loader reads approvers with their own delays and an escalation order", "[playbook][loader][approve]") {
  const Playbook pb = load_playbook_steps(R"(  - kind: approve
    approvers:
      - {name: oncall-primary, delay: {dist: lognormal, median: 2m, sigma: 0.5}}
      - {name: oncall-secondary, delay: 4m}
    order: escalation
    escalate_after: 3m
    timeout: 10m
  - {kind: approve, approvers: [a, b], delay: 1m}
  - kind: approve
    delay: 1m
    approvers: [a, {name: b, delay: 5m}]
)");
  const StepSpec& a = pb.steps[0];
  CHECK(a.approvers == std::vector<std::string>{"oncall-primary", "oncall-secondary"});
  REQUIRE(a.approver_delays.size() == 2);
  CHECK(a.approver_delays[0].kind == DistKind::kLognormal);
  CHECK(a.approver_delays[0].median == 2 * kMinute);
  CHECK(a.approver_delays[1].value == 4 * kMinute);
  CHECK(a.order == ApproverOrder::kEscalation);
  CHECK(a.escalate_after == 3 * kMinute);
  CHECK(pb.steps[1].approver_delays.empty());  // plain names: the step's delay, one draw
  CHECK_FALSE(pb.steps[1].order);
  REQUIRE(pb.steps[2].approver_delays.size() == 2);
  CHECK(pb.steps[2].approver_delays[0].value == kMinute);
  CHECK(pb.steps[2].approver_delays[1].value == 5 * kMinute);
}

TEST_CASE("Playbook loader checks approver order and escalate_after", "[playbook][loader][approve][errors]") {
  CHECK(playbook_steps_error("  - {kind: approve, approvers: [a, b], delay: 1m, order: escalation}\n") ==
        "playbooks/p.yaml:4:58: order: escalation needs 'escalate_after' (how long each approver has before "
        "the next is asked)");
  CHECK(playbook_steps_error("  - {kind: approve, approvers: [a, b], delay: 1m, escalate_after: 2m}\n") ==
        "playbooks/p.yaml:4:67: 'escalate_after' applies only to order: escalation");
  CHECK(playbook_steps_error("  - {kind: approve, approvers: [a, b], delay: 1m, order: sequential}\n") ==
        "playbooks/p.yaml:4:58: unknown approver order 'sequential' (expected one of: parallel, escalation)");
  CHECK(playbook_steps_error("  - {kind: approve, approvers: [{name: a}]}\n") == "playbooks/p.yaml:4:5: missing required key 'delay'");
}

TEST_CASE("Playbook loader reads rerun and cooldown on an alert trigger", "[playbook][loader][trigger]") {
  const Playbook pb = load_playbook_steps("  - {kind: wait, duration: 1m}\n", "{alerts: [A, B], rerun: {every: 10m}, cooldown: 5m}");
  CHECK(pb.trigger.alerts == std::vector<std::string>{"A", "B"});
  CHECK(pb.trigger.alert == "A");
  CHECK(pb.trigger.rerun_every == 10 * kMinute);
  CHECK(pb.trigger.cooldown == 5 * kMinute);
  CHECK(playbook_steps_error("  - {kind: wait, duration: 1m}\n", "{at: 5m, rerun: {every: 10m}}") ==
        "playbooks/p.yaml:2:26: 'rerun' needs an 'alert' trigger");
  CHECK(playbook_steps_error("  - {kind: wait, duration: 1m}\n", "{alert: A, rerun: {evry: 10m}}") ==
        "playbooks/p.yaml:2:29: unknown key 'evry' (did you mean 'every'?)");
}
