#include <catch2/catch.hpp>

#include "load/loader.hpp"
#include "config_fixture.hpp"

using namespace gameday;
using gameday::config_test::error_of;

namespace {

constexpr const char* kGolden = R"(name: core
min_pass_rate: 0.8
cases:
  - id: pa-status-1
    task: prior_auth_status
    patient: pat-0007
    expect: {must_contain: [approved], max_latency: 8s}
  - id: refuse-1
    task: benefits_question
    patient: pat-0012
    expect: {must_refuse: true, must_not_contain: ["$"]}
)";

MemoryFiles with_playbook(const std::string& text) {
  MemoryFiles files;
  files.add("scenarios/golden/core.yaml", kGolden);
  files.add("playbooks/p.yaml", text);
  return files;
}

std::string playbook_error(const std::string& text) {
  const MemoryFiles files = with_playbook(text);
  return error_of([&] { load_playbook("playbooks/p.yaml", files); });
}

std::string golden_error(const std::string& text) {
  MemoryFiles files;
  files.add("g.yaml", text);
  return error_of([&] { load_golden_set("g.yaml", files); });
}

}  // namespace

TEST_CASE("Playbook loader reads triggers, steps and rollback", "[config][playbook]") {
  const MemoryFiles files = with_playbook(R"(name: vendor-failover
description: Fail over when answers get slow.
trigger: {alert: AssistantLatencyHigh, labels: {severity: page}}
steps:
  - name: lead approves
    kind: approve
    delay: {dist: lognormal, median: 60s, sigma: 0.4}
    approvers: [oncall-lead]
    timeout: 15m
  - kind: model.failover
    to: secondary
    retries: 2
    retry_delay: 30s
    on_failure: rollback
  - kind: wait
    duration: 2m
  - kind: golden.check
    set: ../scenarios/golden/core.yaml
  - kind: golden.check
    set: ../scenarios/golden/core.yaml
    min_pass_rate: 0.95
  - kind: flag.set
    flag: auto-failover
    variant: on
  - kind: prompt.rollback
rollback:
  - kind: model.failover
    to: primary
    on_failure: continue
)");
  const Playbook pb = load_playbook("playbooks/p.yaml", files);
  CHECK(pb.name == "vendor-failover");
  CHECK(pb.file == "playbooks/p.yaml");
  CHECK(pb.trigger.alert == "AssistantLatencyHigh");
  CHECK(pb.trigger.labels.at("severity") == "page");
  CHECK_FALSE(pb.trigger.manual);
  REQUIRE(pb.steps.size() == 7);
  CHECK(pb.steps[0].name == "lead approves");
  CHECK(pb.steps[0].delay.median == 60 * kSecond);
  CHECK(pb.steps[0].approvers == std::vector<std::string>{"oncall-lead"});
  CHECK(pb.steps[0].timeout == 15 * kMinute);
  CHECK(pb.steps[0].loc.line == 5);
  CHECK(pb.steps[1].name == "model.failover #2");
  CHECK(pb.steps[1].to == "secondary");
  CHECK(pb.steps[1].retries == 2);
  CHECK(pb.steps[1].retry_delay == 30 * kSecond);
  CHECK(pb.steps[1].on_failure == OnFailure::kRollback);
  CHECK(pb.steps[2].duration == 2 * kMinute);
  CHECK(pb.steps[2].on_failure == OnFailure::kAbort);
  CHECK(pb.steps[3].golden_set == "scenarios/golden/core.yaml");
  CHECK(pb.steps[3].min_pass_rate == Approx(0.8));  // the set's own
  CHECK(pb.steps[4].min_pass_rate == Approx(0.95));
  CHECK(pb.steps[5].flag == "auto-failover");
  CHECK(pb.steps[5].variant == "on");  // unquoted on stays the variant name
  CHECK(pb.steps[6].version.empty());  // last known good
  REQUIRE(pb.rollback.size() == 1);
  CHECK(pb.rollback[0].to == "primary");
  CHECK(pb.rollback[0].on_failure == OnFailure::kContinue);
}

TEST_CASE("Playbook loader accepts a manual trigger", "[config][playbook]") {
  const MemoryFiles files = with_playbook("name: p\ntrigger: {manual: true}\nsteps: [{kind: wait, duration: 1m}]\n");
  const Playbook pb = load_playbook("playbooks/p.yaml", files);
  CHECK(pb.trigger.manual);
  CHECK(pb.trigger.alert.empty());
  CHECK(pb.steps[0].name == "wait #1");
}

TEST_CASE("Playbook loader lists the step kinds for an unknown step kind", "[config][errors]") {
  CHECK(playbook_error("name: p\ntrigger: {manual: true}\nsteps:\n  - kind: page\n") ==
        "playbooks/p.yaml:4:11: unknown step kind 'page' (expected one of: approve, end, "
        "escalate, exec, flag.set, golden.check, http, mode.fallback, model.failover, model.rollback, notify, "
        "prompt.deploy, prompt.rollback, traffic.shed, wait, wait_for)");
  CHECK(playbook_error("name: p\ntrigger: {manual: true}\nsteps:\n  - {kind: model.failvoer, to: b}\n") ==
        "playbooks/p.yaml:4:12: unknown step kind 'model.failvoer' (did you mean 'model.failover'? "
        "expected one of: approve, end, escalate, exec, flag.set, golden.check, http, mode.fallback, "
        "model.failover, model.rollback, notify, prompt.deploy, prompt.rollback, traffic.shed, wait, "
        "wait_for)");
}

TEST_CASE("Playbook loader reports a misspelt step kind key as a typo only", "[config][errors]") {
  MemoryFiles files;
  files.add("p.yaml", "name: p\ntrigger: {manual: true}\nsteps:\n  - {knd: wait, duration: 1m}\n");
  CHECK(validate_files({"p.yaml"}, files) ==
        std::vector<std::string>{"p.yaml:4:6: unknown key 'knd' (did you mean 'kind'?)"});
}

TEST_CASE("Playbook loader names the required key of each step kind", "[config][errors]") {
  CHECK(playbook_error("name: p\ntrigger: {manual: true}\nsteps:\n  - kind: model.failover\n") ==
        "playbooks/p.yaml:4:5: missing required key 'to'");
  CHECK(playbook_error("name: p\ntrigger: {manual: true}\nsteps:\n  - {kind: approve}\n") ==
        "playbooks/p.yaml:4:5: missing required key 'delay'");
  CHECK(playbook_error("name: p\ntrigger: {manual: true}\nsteps:\n  - {kind: wait, duration: 5 minutes}\n") ==
        "playbooks/p.yaml:4:28: expected a duration like 250ms, 30s, 5m or 1h for 'duration', got "
        "'5 minutes'");
  CHECK(playbook_error("name: p\ntrigger: {manual: true}\nsteps:\n  - {kind: wait, duration: 1m, to: b}\n") ==
        "playbooks/p.yaml:4:32: key 'to' applies only to escalate and model.failover steps");
  CHECK(playbook_error("name: p\ntrigger: {manual: true}\nsteps: []\n") ==
        "playbooks/p.yaml:3:8: expected at least one step in 'steps'");
}

TEST_CASE("Playbook loader checks common step keys", "[config][errors]") {
  CHECK(playbook_error("name: p\ntrigger: {manual: true}\nsteps:\n  - {kind: wait, duration: 1m, retries: -1}\n") ==
        "playbooks/p.yaml:4:41: expected an integer between 0 and 100 for 'retries', got '-1'");
  CHECK(playbook_error("name: p\ntrigger: {manual: true}\nsteps:\n  - {kind: wait, duration: 1m, on_failure: retry}\n") ==
        "playbooks/p.yaml:4:44: unknown on_failure value 'retry' (expected one of: abort, "
        "continue, rollback, goto:<step>)");
  CHECK(playbook_error("name: p\ntrigger: {manual: true}\nsteps: [{kind: wait, duration: 1m}]\n"
                       "rollback:\n  - {kind: wait, duration: 1m, on_failure: rollback}\n") ==
        "playbooks/p.yaml:5:44: on_failure: rollback is not allowed in a rollback step (use abort "
        "or continue)");
}

TEST_CASE("Playbook loader needs an alert or manual trigger", "[config][errors]") {
  CHECK(playbook_error("name: p\ntrigger: {labels: {severity: page}}\nsteps: [{kind: wait, duration: 1m}]\n") ==
        "playbooks/p.yaml:2:10: expected 'alert: <name>', 'at: <time>' or 'manual: true' in 'trigger'");
  CHECK(playbook_error("name: p\ntrigger: {manual: maybe}\nsteps: [{kind: wait, duration: 1m}]\n") ==
        "playbooks/p.yaml:2:19: expected a bool (true or false) for 'manual', got 'maybe'");
}

TEST_CASE("Playbook loader reports a missing golden set at the set key", "[config][errors]") {
  CHECK(playbook_error("name: p\ntrigger: {manual: true}\nsteps:\n  - kind: golden.check\n    set: ../golden/none.yaml\n") ==
        "playbooks/p.yaml:5:10: golden set file '../golden/none.yaml' not found (looked for "
        "golden/none.yaml)");
}

TEST_CASE("Playbook loader reports problems of the golden set it loads", "[config][errors]") {
  MemoryFiles files;
  files.add("playbooks/p.yaml", "name: p\ntrigger: {manual: true}\nsteps:\n  - {kind: golden.check, set: g.yaml}\n");
  files.add("playbooks/g.yaml", "name: g\ncases: [{id: a, task: refill, patient: pat-0001}]\n");
  CHECK(error_of([&] { load_playbook("playbooks/p.yaml", files); }) ==
        "playbooks/g.yaml:2:23: unknown task type 'refill' (expected one of: prior_auth_status, "
        "benefits_question, discharge_summary, message_triage)");
}

TEST_CASE("Golden set loader reads cases and their expectations", "[config][golden]") {
  MemoryFiles files;
  files.add("g.yaml", kGolden);
  const GoldenSet gs = load_golden_set("g.yaml", files);
  CHECK(gs.name == "core");
  CHECK(gs.file == "g.yaml");
  CHECK(gs.min_pass_rate == Approx(0.8));
  REQUIRE(gs.cases.size() == 2);
  CHECK(gs.cases[0].id == "pa-status-1");
  CHECK(gs.cases[0].task_type == "prior_auth_status");
  CHECK(gs.cases[0].patient == "pat-0007");
  CHECK(gs.cases[0].loc.line == 4);
  CHECK(gs.cases[0].expect.correct);
  CHECK(gs.cases[0].expect.must_cite);
  CHECK(gs.cases[0].expect.must_contain == std::vector<std::string>{"approved"});
  CHECK(gs.cases[0].expect.max_latency == 8 * kSecond);
  CHECK(gs.cases[1].expect.must_refuse);
  CHECK_FALSE(gs.cases[1].expect.must_cite);  // a refusal cites nothing
  CHECK(gs.cases[1].expect.must_not_contain == std::vector<std::string>{"$"});
}

TEST_CASE("Golden set loader validates cases", "[config][errors]") {
  CHECK(golden_error("name: g\ncases:\n  - {id: a, task: prior_auth_status, patient: patient-7}\n") ==
        "g.yaml:3:47: expected a patient id like pat-0007, got 'patient-7'");
  CHECK(golden_error("name: g\ncases:\n  - {id: a, task: prior_auth_status, patient: pat-0001, "
                     "expect: {must_cite: true, must_refuse: true}}\n") ==
        "g.yaml:3:77: a case that must refuse cannot also require citations");
  CHECK(golden_error("name: g\nmin_pass_rate: 90\ncases: [{id: a, task: prior_auth_status, patient: pat-0001}]\n") ==
        "g.yaml:2:16: expected a number between 0 and 1 for 'min_pass_rate', got '90'");
  CHECK(golden_error("name: g\ncases:\n  - {id: a, task: prior_auth_status, patient: pat-0001}\n"
                     "  - {id: a, task: prior_auth_status, patient: pat-0002}\n") ==
        "g.yaml:4:10: duplicate case id 'a'");
  CHECK(golden_error("name: g\ncases:\n  - {id: a, tsk: prior_auth_status, patient: pat-0001}\n") ==
        "g.yaml:3:13: unknown key 'tsk' (did you mean 'task'?)");
}

TEST_CASE("A playbook trigger may name several alerts, any of which starts it", "[config]") {
  const MemoryFiles files =
      with_playbook("name: p\ntrigger: {alert: [ProbeFailing, Corrections]}\nsteps:\n  - {kind: wait, duration: 1s}\n");
  const Playbook pb = load_playbook("playbooks/p.yaml", files);
  CHECK(pb.trigger.alert == "ProbeFailing");
  CHECK(pb.trigger.alerts == std::vector<std::string>{"ProbeFailing", "Corrections"});
  CHECK(pb.trigger.fires_on("Corrections"));
  CHECK_FALSE(pb.trigger.fires_on("Other"));
}

TEST_CASE("A playbook trigger's alert list must not be empty", "[config][errors]") {
  CHECK(playbook_error("name: p\ntrigger: {alert: []}\nsteps:\n  - {kind: wait, duration: 1s}\n") ==
        "playbooks/p.yaml:2:18: expected at least one alert name in 'alert'");
}
