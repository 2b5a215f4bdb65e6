// Loading the new step kinds, conditions, goto and time triggers, and their errors
// (file:line:col and did-you-mean), with YAML inline.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "load/config_fixture.hpp"
#include "load/loader.hpp"

using namespace gameday;
using gameday::config_test::error_of;
using gameday::config_test::load_playbook_steps;
using gameday::config_test::playbook_steps_error;

TEST_CASE("Playbook loader reads the assistant control steps", "[playbook][loader]") {
  const Playbook pb = load_playbook_steps(R"(  - {kind: prompt.deploy, version: v3}
  - {kind: model.rollback}
  - {kind: mode.fallback}
  - {kind: mode.fallback, enabled: false}
  - {kind: traffic.shed, share: 0.3}
)");
  REQUIRE(pb.steps.size() == 5);
  CHECK(pb.steps[0].version == "v3");
  CHECK(pb.steps[1].kind == StepKind::kModelRollback);
  CHECK(pb.steps[2].enabled);
  CHECK_FALSE(pb.steps[3].enabled);
  CHECK(pb.steps[4].share == Approx(0.3));
}

TEST_CASE("Playbook loader reads wait_for, when and goto", "[playbook][loader]") {
  const Playbook pb = load_playbook_steps(R"(  - name: errors back down
    kind: wait_for
    condition: "error_ratio < 0.01 over 2m"
    timeout: 10m
  - kind: wait_for
    condition: {sli: latency_p95, below: 6s, window: 5m}
  - kind: wait_for
    condition: alert AssistantLatencyHigh resolved
  - kind: mode.fallback
    when: {alert_firing: AssistantErrors}
  - kind: traffic.shed
    share: 0.5
    when: error_ratio >= 0.2
    on_failure: {goto: verify}
  - kind: model.rollback
    on_failure: "goto: verify"
  - {name: verify, kind: wait, duration: 1m}
)");
  const ConditionSpec& c0 = pb.steps[0].condition;
  CHECK(c0.sli == Sli::kErrorRatio);
  CHECK(c0.op == CompareOp::kLess);
  CHECK(c0.value == Approx(0.01));
  CHECK(c0.window == 2 * kMinute);
  CHECK(c0.text == "error_ratio < 0.01 over 2m");
  CHECK(pb.steps[0].timeout == 10 * kMinute);
  const ConditionSpec& c1 = pb.steps[1].condition;
  CHECK(c1.sli == Sli::kLatencyP95);
  CHECK(c1.op == CompareOp::kLess);
  CHECK(c1.value == Approx(6.0));  // seconds
  CHECK(c1.window == 5 * kMinute);
  CHECK(c1.text == "latency_p95 < 6s over 5m");
  CHECK(pb.steps[2].condition.alert == "AssistantLatencyHigh");
  CHECK_FALSE(pb.steps[2].condition.firing);
  REQUIRE(pb.steps[3].when);
  CHECK(pb.steps[3].when->alert == "AssistantErrors");
  CHECK(pb.steps[3].when->firing);
  REQUIRE(pb.steps[4].when);
  CHECK(pb.steps[4].when->op == CompareOp::kGreaterEqual);
  CHECK(pb.steps[4].when->window == 2 * kMinute);  // the default window
  CHECK(pb.steps[4].on_failure == OnFailure::kGoto);
  CHECK(pb.steps[4].goto_step == "verify");
  CHECK(pb.steps[5].goto_step == "verify");
  CHECK_FALSE(pb.steps[6].when);
}

TEST_CASE("Playbook loader reads approve quorum and escalate", "[playbook][loader]") {
  const Playbook pb = load_playbook_steps(R"(  - {kind: approve, delay: 1m, approvers: [ana, ben, chloe], quorum: 2}
  - {kind: escalate, to: dba-oncall}
  - {kind: escalate, to: security, ack_delay: 5m, wait: false, message: injection suspected}
)");
  CHECK(pb.steps[0].quorum == 2);
  CHECK(pb.steps[1].to == "dba-oncall");
  CHECK(pb.steps[1].wait_for_ack);
  CHECK(pb.steps[1].ack_delay.kind == DistKind::kLognormal);
  CHECK(pb.steps[1].ack_delay.median == 2 * kMinute);
  CHECK_FALSE(pb.steps[2].wait_for_ack);
  CHECK(pb.steps[2].ack_delay.value == 5 * kMinute);
  CHECK(pb.steps[2].message == "injection suspected");
}

TEST_CASE("Playbook loader reads notify, http and exec", "[playbook][loader]") {
  const Playbook pb = load_playbook_steps(R"(  - kind: notify
    url: https://hooks.slack.example/T0/B0
    text: "{playbook} started"
    headers: {X-Team: sre}
  - kind: http
    method: POST
    url: ${GAMEDAY_CONTROL_URL}/v1/assistant/prompt/rollback
    body: {reason: drill, dry_run: false, count: 2, note: "2"}
    expect: {status: [200, 201], json: {status: ok, data.count: 2, quoted: "2"}}
  - kind: http
    url: http://127.0.0.1:8080/health
  - kind: exec
    argv: [./scripts/rollback.sh, --to, v2]
    env: {TEAM: sre}
    timeout: 20s
  - kind: exec
    argv: [/usr/bin/true]
    cwd: ../tools
)");
  const StepSpec& n = pb.steps[0];
  CHECK(n.url == "https://hooks.slack.example/T0/B0");
  CHECK(n.text == "{playbook} started");
  CHECK(n.headers == std::vector<std::pair<std::string, std::string>>{{"X-Team", "sre"}});
  const StepSpec& h = pb.steps[1];
  CHECK(h.method == "POST");
  CHECK(nlohmann::json::parse(h.body) ==
        nlohmann::json{{"reason", "drill"}, {"dry_run", false}, {"count", 2}, {"note", "2"}});
  CHECK(h.expect.status == std::vector<int>{200, 201});
  REQUIRE(h.expect.json.size() == 3);
  CHECK(h.expect.json[0] == std::pair<std::string, std::string>{"status", "\"ok\""});
  CHECK(h.expect.json[1] == std::pair<std::string, std::string>{"data.count", "2"});
  CHECK(h.expect.json[2] == std::pair<std::string, std::string>{"quoted", "\"2\""});
  CHECK(pb.steps[2].method == "GET");
  CHECK(pb.steps[2].expect.status.empty());
  const StepSpec& e = pb.steps[3];
  CHECK(e.argv == std::vector<std::string>{"./scripts/rollback.sh", "--to", "v2"});
  CHECK(e.env.at("TEAM") == "sre");
  CHECK(e.timeout == 20 * kSecond);
  CHECK(e.cwd == "playbooks");  // paths are relative to the playbook
  CHECK(pb.steps[4].cwd == "tools");
}

TEST_CASE("Playbook loader reads a time trigger", "[playbook][loader]") {
  const Playbook pb = load_playbook_steps("  - {kind: model.rollback}\n", "{at: 15m}");
  REQUIRE(pb.trigger.at);
  CHECK(*pb.trigger.at == 15 * kMinute);
  CHECK_FALSE(pb.trigger.manual);
  CHECK(playbook_steps_error("  - {kind: model.rollback}\n", "{labels: {a: b}}") ==
        "playbooks/p.yaml:2:10: expected 'alert: <name>', 'at: <time>' or 'manual: true' in 'trigger'");
  CHECK(playbook_steps_error("  - {kind: model.rollback}\n", "{at: soon}") ==
        "playbooks/p.yaml:2:15: expected a duration like 250ms, 30s, 5m or 1h for 'at', got 'soon'");
}

TEST_CASE("Playbook loader suggests the closest new step kind", "[playbook][loader][errors]") {
  CHECK(playbook_steps_error("  - {kind: wait-for, condition: error_ratio < 0.1}\n") ==
        "playbooks/p.yaml:4:12: unknown step kind 'wait-for' (did you mean 'wait_for'? expected one "
        "of: approve, end, escalate, exec, flag.set, golden.check, http, mode.fallback, model.failover, "
        "model.rollback, notify, prompt.deploy, prompt.rollback, traffic.shed, wait, wait_for)");
  CHECK(playbook_steps_error("  - {kind: exec, argv: [x], urll: http://a}\n") ==
        "playbooks/p.yaml:4:29: unknown key 'urll' (did you mean 'url'?)");
  CHECK(playbook_steps_error("  - {kind: exec, argv: [x], url: http://a}\n") ==
        "playbooks/p.yaml:4:29: key 'url' applies only to http and notify steps");
}

TEST_CASE("Playbook loader points into a condition it cannot read", "[playbook][loader][errors]") {
  // Columns are 1-based: the value of `condition:` starts at column 20.
  CHECK(playbook_steps_error("  - {kind: wait_for, condition: error_rate < 0.01 over 2m}\n") ==
        "playbooks/p.yaml:4:33: unknown SLI 'error_rate' (did you mean 'error_ratio'? expected one of: "
        "latency_p95, latency_p99, error_ratio, citation_invalid_ratio, schema_invalid_ratio, canary_ratio, "
        "phi_output_ratio, refusal_ratio, request_rate, correction_rate, correction_count, probe_failure, "
        "probe_failure_ratio, phi_log_ratio, ehr_error_ratio, ehr_latency, vendor_error_ratio, "
        "vendor_throttle_ratio, embedding_error_ratio, alert) "
        "(expected a condition like 'error_ratio < 0.01 over 2m' or 'alert NAME firing') in 'condition'");
  CHECK(playbook_steps_error("  - {kind: wait_for, condition: \"error_ratio =< 0.01\"}\n") ==
        "playbooks/p.yaml:4:46: expected one of <, <=, >, >= after 'error_ratio', got '=<' in 'condition'");
  CHECK(playbook_steps_error("  - {kind: wait_for, condition: error_ratio < 5 over 2m}\n") ==
        "playbooks/p.yaml:4:47: expected a ratio between 0 and 1 for error_ratio, got '5' in 'condition'");
  CHECK(playbook_steps_error("  - {kind: wait_for, condition: latency_p95 > 6 over 2m}\n") ==
        "playbooks/p.yaml:4:47: expected a duration like 6s or 800ms for the latency_p95 threshold, "
        "got '6' in 'condition'");
  CHECK(playbook_steps_error("  - {kind: wait_for, condition: error_ratio < 0.1 during 2m}\n") ==
        "playbooks/p.yaml:4:51: expected 'over <window>' after the threshold, got 'during' in 'condition'");
  CHECK(playbook_steps_error("  - {kind: wait_for, condition: error_ratio < 0.1 over two}\n") ==
        "playbooks/p.yaml:4:56: expected a window like 2m or 30s after 'over', got 'two' in 'condition'");
  CHECK(playbook_steps_error("  - {kind: wait_for, condition: alert Slow burning}\n") ==
        "playbooks/p.yaml:4:44: expected 'firing' or 'resolved' after the alert name, got 'burning' in "
        "'condition'");
  CHECK(playbook_steps_error("  - {kind: wait_for}\n") == "playbooks/p.yaml:4:5: missing required key 'condition'");
  CHECK(playbook_steps_error("  - {kind: mode.fallback, when: {alert_firing: A, sli: error_ratio}}\n") ==
        "playbooks/p.yaml:4:33: expected exactly one of 'alert_firing', 'alert_resolved' or 'sli' in 'when'");
  CHECK(playbook_steps_error("  - {kind: mode.fallback, when: {sli: eror_ratio, above: 0.1}}\n") ==
        "playbooks/p.yaml:4:39: unknown SLI 'eror_ratio' (did you mean 'error_ratio'? expected one of: "
        "latency_p95, latency_p99, error_ratio, citation_invalid_ratio, schema_invalid_ratio, canary_ratio, "
        "phi_output_ratio, refusal_ratio, request_rate, correction_rate, correction_count, probe_failure, "
        "probe_failure_ratio, phi_log_ratio, ehr_error_ratio, ehr_latency, vendor_error_ratio, "
        "vendor_throttle_ratio, embedding_error_ratio)");
  CHECK(playbook_steps_error("  - {kind: mode.fallback, when: {sli: error_ratio, beneath: 0.1}}\n") ==
        "playbooks/p.yaml:4:52: unknown key 'beneath' (expected one of: alert_firing, alert_resolved, "
        "sli, vendor, below, above, window)");
}

TEST_CASE("Playbook loader checks goto targets", "[playbook][loader][errors]") {
  CHECK(playbook_steps_error("  - {kind: model.rollback, on_failure: goto:verfy}\n  - {name: verify, kind: wait, duration: 1m}\n") ==
        "playbooks/p.yaml:4:40: goto target 'verfy' is not a step of 'steps' (did you mean 'verify'?)");
  CHECK(playbook_steps_error("  - {kind: model.rollback, on_failure: {goto: x}}\n  - {name: x, kind: wait, duration: 1m}\n"
              "  - {name: x, kind: wait, duration: 2m}\n") ==
        "playbooks/p.yaml:4:40: goto target 'x' names 2 steps; give the target a unique name");
  CHECK(playbook_steps_error("  - {kind: model.rollback, on_failure: jump}\n") ==
        "playbooks/p.yaml:4:40: unknown on_failure value 'jump' (expected one of: abort, continue, "
        "rollback, goto:<step>)");
  CHECK(playbook_steps_error("  - {kind: model.rollback, on_failure: \"goto:\"}\n") ==
        "playbooks/p.yaml:4:40: expected a step name after 'goto:' in 'on_failure'");
  CHECK(playbook_steps_error("  - {name: a, kind: model.rollback}\nrollback:\n  - {kind: model.rollback, on_failure: goto:a}\n") ==
        "playbooks/p.yaml:6:40: on_failure: goto is not allowed in a rollback step (use abort or continue)");
}

TEST_CASE("Playbook loader checks exec, http and notify keys", "[playbook][loader][errors]") {
  CHECK(playbook_steps_error("  - {kind: exec, argv: []}\n") ==
        "playbooks/p.yaml:4:24: expected at least one item in 'argv' (the program to run)");
  CHECK(playbook_steps_error("  - {kind: exec, argv: ./run.sh --now}\n") ==
        "playbooks/p.yaml:4:24: expected a list for 'argv', got './run.sh --now'");
  CHECK(playbook_steps_error("  - {kind: exec, argv: [x, [y]]}\n") ==
        "playbooks/p.yaml:4:28: expected a string for each item of 'argv', got a list");
  CHECK(playbook_steps_error("  - {kind: exec}\n") == "playbooks/p.yaml:4:5: missing required key 'argv'");
  CHECK(playbook_steps_error("  - {kind: exec, argv: [x], env: {GAMEDAY_CONTROL_URL: y}}\n") ==
        "playbooks/p.yaml:4:34: 'GAMEDAY_CONTROL_URL': GAMEDAY_* variables are set by gameday");
  CHECK(playbook_steps_error("  - {kind: notify, url: hooks.slack.com/x, text: hi}\n") ==
        "playbooks/p.yaml:4:25: expected a URL starting with http:// or https:// (or "
        "${GAMEDAY_CONTROL_URL}) for 'url', got 'hooks.slack.com/x'");
  CHECK(playbook_steps_error("  - {kind: notify, url: http://x}\n") == "playbooks/p.yaml:4:5: missing required key 'text'");
  CHECK(playbook_steps_error("  - {kind: http, method: FETCH, url: http://x}\n") ==
        "playbooks/p.yaml:4:26: unknown HTTP method 'FETCH' (expected one of: GET, POST, PUT, PATCH, "
        "DELETE, HEAD)");
  CHECK(playbook_steps_error("  - {kind: http, url: http://x, body: {a: 1}}\n") ==
        "playbooks/p.yaml:4:39: a GET request has no body (use POST, PUT, PATCH or DELETE)");
  CHECK(playbook_steps_error("  - {kind: http, url: http://x, expect: {status: 700}}\n") ==
        "playbooks/p.yaml:4:50: expected an HTTP status (100..599) or a list of them for 'status', got '700'");
  CHECK(playbook_steps_error("  - {kind: http, url: http://x, expect: {json: [a]}}\n") ==
        "playbooks/p.yaml:4:48: expected a mapping of JSON fields to expected values for 'json', got a list");
}

TEST_CASE("Playbook loader checks approve quorum, shedding and escalation", "[playbook][loader][errors]") {
  CHECK(playbook_steps_error("  - {kind: approve, delay: 1m, approvers: [a], quorum: 2}\n") ==
        "playbooks/p.yaml:4:56: quorum 2 needs at least 2 approvers (got 1)");
  CHECK(playbook_steps_error("  - {kind: traffic.shed, share: 1.5}\n") ==
        "playbooks/p.yaml:4:33: expected a number between 0 and 1 for 'share', got '1.5'");
  CHECK(playbook_steps_error("  - {kind: escalate}\n") == "playbooks/p.yaml:4:5: missing required key 'to'");
  CHECK(playbook_steps_error("  - {kind: prompt.deploy}\n") == "playbooks/p.yaml:4:5: missing required key 'version'");
}

TEST_CASE("validate checks prompt.deploy versions and condition alerts against the scenario", "[playbook][loader][validate]") {
  MemoryFiles files = config_test::small_fakes();
  files.add("scenarios/s.yaml", R"(name: s
duration: 30m
fakes: ../fakes
workload: {rate: 1}
alerts:
  - {name: ErrorsHigh, type: threshold, sli: error_ratio, above: 0.1}
playbooks: [../playbooks/p.yaml]
)");
  files.add("playbooks/p.yaml", R"(name: p
trigger: {at: 5m}
steps:
  - {kind: prompt.deploy, version: v7}
  - {kind: wait_for, condition: alert ErorsHigh resolved}
  - {kind: mode.fallback, when: {alert_firing: ErrorsHigh}}
)");
  const auto problems = validate_files({"scenarios/s.yaml"}, files);
  REQUIRE(problems.size() == 3);
  CHECK(problems[0] == "playbooks/p.yaml:4:36: unknown prompt version 'v7' (did you mean 'v1'? expected one of: v1, v2, v3)");
  CHECK(problems[1] == "playbooks/p.yaml:5:33: alert 'ErorsHigh' is not defined by scenario "
                       "'scenarios/s.yaml' (did you mean 'ErrorsHigh'?)");
  CHECK(problems[2] == "playbooks/p.yaml:6:12: mode.fallback needs the assistant's 'safe-mode' flag, "
                       "which the fakes do not define");
  files.add("playbooks/p.yaml", "name: p\ntrigger: {at: 45m}\nsteps: [{kind: model.rollback}]\n");
  CHECK(validate_files({"scenarios/s.yaml"}, files) ==
        std::vector<std::string>{"playbooks/p.yaml:2:15: trigger at 45m00s never comes: scenario "
                                 "'scenarios/s.yaml' lasts 30m00s"});
}

TEST_CASE("Conditions read every SLI, and a vendor after a vendor SLI", "[playbook][loader][dependency]") {
  const Playbook pb = load_playbook_steps(R"(  - {kind: wait_for, condition: "canary_ratio <= 0 over 5m"}
  - {kind: wait_for, condition: "embedding_error_ratio(secondary) < 0.05 over 2m"}
  - {kind: wait_for, condition: {sli: vendor_throttle_ratio, vendor: primary, below: 0.1}}
  - {kind: wait_for, condition: "ehr_latency < 800ms"}
  - {kind: wait_for, condition: {sli: refusal_ratio, below: 0.2, window: 5m}}
  - {kind: wait_for, condition: "phi_output_ratio <= 0"}
)");
  REQUIRE(pb.steps.size() == 6);
  CHECK(pb.steps[0].condition.sli == Sli::kCanaryRatio);
  CHECK(pb.steps[1].condition.sli == Sli::kEmbeddingErrorRatio);
  CHECK(pb.steps[1].condition.vendor == "secondary");
  CHECK(pb.steps[2].condition.vendor == "primary");
  CHECK(pb.steps[2].condition.text == "vendor_throttle_ratio(primary) < 0.1 over 2m");
  CHECK(pb.steps[3].condition.value == Approx(0.8));
  CHECK(pb.steps[4].condition.sli == Sli::kRefusalRatio);
  CHECK(pb.steps[5].condition.sli == Sli::kPhiOutputRatio);
}

TEST_CASE("A vendor on a condition is an error after an SLI that is not a vendor's", "[playbook][loader][dependency][errors]") {
  CHECK(playbook_steps_error("  - {kind: wait_for, condition: \"error_ratio(primary) < 0.1\"}\n") ==
        "playbooks/p.yaml:4:45: only vendor_error_ratio, vendor_throttle_ratio and embedding_error_ratio take a "
        "vendor, not error_ratio in 'condition'");
  CHECK(playbook_steps_error("  - {kind: wait_for, condition: {sli: ehr_error_ratio, vendor: primary, below: 0.1}}\n") ==
        "playbooks/p.yaml:4:64: key 'vendor' applies only to vendor_error_ratio, vendor_throttle_ratio and "
        "embedding_error_ratio");
}
