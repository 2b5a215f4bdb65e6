#include <catch2/catch.hpp>

#include "load/loader.hpp"
#include "config_fixture.hpp"

using namespace gameday;
using gameday::config_test::error_of;
using gameday::config_test::small_fakes;

namespace {

constexpr const char* kFullScenario = R"(name: vendor-latency-spike
description: |
  The primary vendor slows down.
seed: 7
duration: 60m
fakes: ../fakes
workload:
  rate: 5
  mix: {prior_auth_status: 2, benefits_question: 1, discharge_summary: 1}
  client_timeout: 20s
assistant:
  model_timeout: 8s
  prompt_version: v1
slos:
  - {name: availability, sli: availability, objective: 0.99}
  - {name: latency, sli: latency, threshold: 6s, objective: 0.95}
evaluation_interval: 10s
alerts:
  - name: AssistantLatencyHigh
    type: threshold
    sli: latency_p95
    window: 2m
    above: 6s
    for: 1m
  - name: AvailabilityBurnRate
    type: burn_rate
    slo: availability
    windows: [{long: 1h, short: 5m, factor: 14.4}]
    severity: ticket
responders:
  name: night-shift
  ack_delay: {dist: uniform, min: 1m, max: 3m}
faults:
  - id: primary-latency
    at: 10m
    for: 30m
    target: vendor:primary
    kind: latency
    probability: 0.7
    delay: {dist: lognormal, median: 9s, sigma: 0.3}
  - at: 20m
    target: ehr
    kind: error
    retry_after: 2s
    message: upstream overloaded
  - at: 30m
    target: vendor:*
    kind: latency
    delay: 2s
playbooks: [../playbooks/failover.yaml]
recovery: {sustain: 4m}
expect: ["ttd <= 3m", "unsafe <= 0"]
)";

MemoryFiles with_scenario(const std::string& text) {
  MemoryFiles files = small_fakes();
  files.add("scenarios/s.yaml", text);
  files.add("playbooks/failover.yaml", "name: p\ntrigger: {manual: true}\nsteps: [{kind: wait, duration: 1m}]\n");
  return files;
}

std::string scenario_error(const std::string& text) {
  const MemoryFiles files = with_scenario(text);
  return error_of([&] { load_scenario("scenarios/s.yaml", files); });
}

}  // namespace

TEST_CASE("Scenario loader reads every field of a complete scenario", "[config][scenario]") {
  const MemoryFiles files = with_scenario(kFullScenario);
  const Scenario s = load_scenario("scenarios/s.yaml", files);
  CHECK(s.name == "vendor-latency-spike");
  CHECK(s.description == "The primary vendor slows down.\n");
  CHECK(s.file == "scenarios/s.yaml");
  CHECK(s.seed == 7);
  CHECK(s.duration == 60 * kMinute);
  CHECK(s.fakes_dir == "fakes");
  CHECK(s.workload.rate_per_s == 5);
  CHECK(s.workload.mix.at("prior_auth_status") == Approx(0.5));
  CHECK(s.workload.mix.at("benefits_question") == Approx(0.25));
  CHECK(s.workload.client_timeout == 20 * kSecond);

  REQUIRE(s.assistant.has_value());
  CHECK(s.assistant->model_timeout == 8 * kSecond);  // from the scenario
  CHECK(s.assistant->prompt_version == "v1");
  CHECK(s.assistant->max_tokens == 300);             // from fakes/assistant/assistant.yaml
  CHECK(s.assistant->ehr_timeout == 3 * kSecond);    // built-in default

  REQUIRE(s.slos.size() == 2);
  CHECK(s.slos[1].sli == SloKind::kLatency);
  CHECK(s.slos[1].threshold == 6 * kSecond);
  CHECK(s.slos[1].objective == Approx(0.95));
  CHECK(s.evaluation_interval == 10 * kSecond);

  REQUIRE(s.alerts.size() == 2);
  CHECK(s.alerts[0].type == AlertType::kThreshold);
  CHECK(s.alerts[0].sli == Sli::kLatencyP95);
  CHECK(s.alerts[0].above == Approx(6.0));
  CHECK(s.alerts[0].for_duration == kMinute);
  CHECK(s.alerts[0].severity == "page");
  CHECK(s.alerts[0].loc.line == 19);
  CHECK(s.alerts[1].slo == "availability");
  REQUIRE(s.alerts[1].windows.size() == 1);
  CHECK(s.alerts[1].windows[0].long_window == kHour);
  CHECK(s.alerts[1].windows[0].short_window == 5 * kMinute);
  CHECK(s.alerts[1].windows[0].factor == Approx(14.4));
  CHECK(s.alerts[1].severity == "ticket");

  CHECK(s.responder == "night-shift");
  CHECK(s.ack_delay.kind == DistKind::kUniform);
  CHECK(s.ack_delay.max == 3 * kMinute);

  REQUIRE(s.faults.size() == 3);
  CHECK(s.faults[0].id == "primary-latency");
  CHECK(s.faults[0].at == 10 * kMinute);
  CHECK(s.faults[0].duration == 30 * kMinute);
  CHECK(s.faults[0].probability == Approx(0.7));
  CHECK(s.faults[0].as<LatencyFault>()->delay.kind == DistKind::kLognormal);
  CHECK(s.faults[0].as<LatencyFault>()->delay.median == 9 * kSecond);
  CHECK(s.faults[0].loc.line == 34);
  CHECK(s.faults[1].id == "fault-2");
  CHECK(s.faults[1].duration == 0);
  CHECK(s.faults[1].as<ErrorFault>()->status == 500);  // the EHR's default
  CHECK(s.faults[1].as<ErrorFault>()->retry_after == 2 * kSecond);
  CHECK(s.faults[1].as<ErrorFault>()->message == "upstream overloaded");
  CHECK(s.faults[2].as<LatencyFault>()->delay.kind == DistKind::kFixed);
  CHECK(s.faults[2].as<LatencyFault>()->delay.value == 2 * kSecond);

  CHECK(s.playbook_files == std::vector<std::string>{"playbooks/failover.yaml"});
  CHECK(s.sustain == 4 * kMinute);
  REQUIRE(s.expect.size() == 2);
  CHECK(s.expect[0].metric == "ttd");
  CHECK(s.expect[0].value == Approx(180));
  CHECK(s.expect[1].loc.line == 52);
}

TEST_CASE("Scenario loader fills documented defaults", "[config][scenario]") {
  const MemoryFiles files = with_scenario("name: s\nduration: 1h\nworkload: {rate: 2}\n");
  const Scenario s = load_scenario("scenarios/s.yaml", files);
  CHECK(s.seed == 1);
  CHECK(s.fakes_dir == "fakes");
  CHECK(s.workload.mix.at("discharge_summary") == Approx(1.0 / 3));
  CHECK(s.workload.client_timeout == 30 * kSecond);
  CHECK_FALSE(s.assistant.has_value());
  CHECK(s.evaluation_interval == 15 * kSecond);
  CHECK(s.responder == "on-call");
  CHECK(s.ack_delay.kind == DistKind::kLognormal);
  CHECK(s.ack_delay.median == 2 * kMinute);
  CHECK(s.sustain == 5 * kMinute);
  CHECK(s.faults.empty());
  CHECK(s.playbook_files.empty());
}

TEST_CASE("Scenario loader reports a missing file at 1:1", "[config][errors]") {
  const MemoryFiles files = small_fakes();
  CHECK(error_of([&] { load_scenario("scenarios/none.yaml", files); }) ==
        "scenarios/none.yaml:1:1: cannot read file");
}

TEST_CASE("Scenario loader suggests the closest key for an unknown key", "[config][errors]") {
  CHECK(scenario_error("name: s\nduraton: 60m\nworkload: {rate: 2}\n") ==
        "scenarios/s.yaml:2:1: unknown key 'duraton' (did you mean 'duration'?)");
  CHECK(scenario_error("name: s\nduration: 60m\nworkload: {rate: 2, cleint_timeout: 3s}\n") ==
        "scenarios/s.yaml:3:21: unknown key 'cleint_timeout' (did you mean 'client_timeout'?)");
}

TEST_CASE("Scenario loader lists the allowed keys when no key is close", "[config][errors]") {
  CHECK(scenario_error("name: s\nduration: 60m\nworkload: {rate: 2, burstiness: 3}\n") ==
        "scenarios/s.yaml:3:21: unknown key 'burstiness' (expected one of: rate, mix, "
        "client_timeout)");
}

TEST_CASE("Scenario loader names file:line:col for a missing key", "[config][errors]") {
  CHECK(scenario_error("duration: 60m\nworkload: {rate: 2}\n") ==
        "scenarios/s.yaml:1:1: missing required key 'name'");
  CHECK(scenario_error("name: s\nduration: 60m\nworkload:\n  client_timeout: 30s\n") ==
        "scenarios/s.yaml:4:3: missing required key 'rate'");
  CHECK(scenario_error("name: s\nduration:\nworkload: {rate: 2}\n") ==
        "scenarios/s.yaml:2:1: missing value for required key 'duration'");
}

TEST_CASE("Scenario loader names the expected type and the value it got", "[config][errors]") {
  CHECK(scenario_error("name: s\nduration: 60m\nworkload: {rate: fast}\n") ==
        "scenarios/s.yaml:3:18: expected a number for 'rate', got 'fast'");
  CHECK(scenario_error("name: s\nduration: 60m\nworkload: 5\n") ==
        "scenarios/s.yaml:3:11: expected a mapping for 'workload', got '5'");
  CHECK(scenario_error("name: s\nduration: 60m\nworkload: {rate: 1}\nfaults: {at: 1m}\n") ==
        "scenarios/s.yaml:4:9: expected a list for 'faults', got a mapping");
  CHECK(scenario_error("name: [s]\nduration: 60m\nworkload: {rate: 1}\n") ==
        "scenarios/s.yaml:1:7: expected a string for 'name', got a list");
  CHECK(scenario_error("name: s\nduration: 60m\nworkload: {rate: 1}\nseed: -4\n") ==
        "scenarios/s.yaml:4:7: expected an integer >= 0 for 'seed', got '-4'");
}

TEST_CASE("Scenario loader rejects a duration written in words", "[config][errors]") {
  CHECK(scenario_error(R"(name: s
duration: 60m
workload: {rate: 1}
faults:
  - target: ehr
    kind: timeout
    at: 5m
    for: 5 minutes
)") == "scenarios/s.yaml:8:10: expected a duration like 250ms, 30s, 5m or 1h for 'for', got "
       "'5 minutes'");
}

TEST_CASE("Scenario loader checks numbers are in range", "[config][errors]") {
  CHECK(scenario_error("name: s\nduration: 60m\nworkload: {rate: 0}\n") ==
        "scenarios/s.yaml:3:18: expected a number > 0 for 'rate', got '0'");
  CHECK(scenario_error(R"(name: s
duration: 60m
workload: {rate: 1}
faults:
  - {target: ehr, kind: timeout, at: 5m, probability: 1.5}
)") == "scenarios/s.yaml:5:55: expected a number between 0 and 1 for 'probability', got '1.5'");
  CHECK(scenario_error(R"(name: s
duration: 60m
workload: {rate: 1}
slos: [{name: a, sli: availability, objective: 1}]
)") == "scenarios/s.yaml:4:48: expected an objective between 0 and 1 (exclusive) for 'objective', "
       "got '1'");
  CHECK(scenario_error(R"(name: s
duration: 60m
workload: {rate: 1}
faults:
  - {target: ehr, kind: error, at: 5m, status: 200}
)") == "scenarios/s.yaml:5:48: expected an integer between 400 and 599 for 'status', got '200'");
  CHECK(scenario_error(R"(name: s
duration: 60m
workload: {rate: 1}
faults:
  - {target: ehr, kind: timeout, at: 70m}
)") == "scenarios/s.yaml:5:38: fault 'fault-1' starts at 1h10m00s, after the scenario ends "
       "(duration 1h00m00s)");
}

TEST_CASE("Scenario loader lists the fault kinds of the fault's target", "[config][errors]") {
  const std::string head = "name: s\nduration: 60m\nworkload: {rate: 1}\nfaults:\n";
  CHECK(scenario_error(head + "  - {target: vendor:primary, kind: explode, at: 1m}\n") ==
        "scenarios/s.yaml:5:36: unknown fault kind 'explode' for 'vendor:primary' (expected one "
        "of: latency, error, hang, hallucination, injection_following, schema_break, "
        "refusal_storm, drift, reset, stream_stall, stream_break, forbidden_tool, "
        "tool_wrong_arguments, tool_loop)");
  CHECK(scenario_error(head + "  - {target: ehr, kind: latncy, at: 1m, delay: 1s}\n") ==
        "scenarios/s.yaml:5:25: unknown fault kind 'latncy' for 'ehr' (did you mean 'latency'? "
        "expected one of: latency, error, timeout, wrong_patient, irrelevant_docs, stale_docs, "
        "empty_results, truncated_paging, poisoned_note)");
  CHECK(scenario_error(head + "  - {target: vendor:primary, kind: timeout, at: 1m}\n") ==
        "scenarios/s.yaml:5:36: unknown fault kind 'timeout' for 'vendor:primary' (expected one "
        "of: latency, error, hang, hallucination, injection_following, schema_break, "
        "refusal_storm, drift, reset, stream_stall, stream_break, forbidden_tool, "
        "tool_wrong_arguments, tool_loop)");
}

TEST_CASE("Scenario loader rejects unknown fault targets and misplaced fault keys", "[config][errors]") {
  const std::string head = "name: s\nduration: 60m\nworkload: {rate: 1}\nfaults:\n";
  CHECK(scenario_error(head + "  - {target: database, kind: error, at: 1m}\n") ==
        "scenarios/s.yaml:5:14: unknown fault target 'database' (expected vendor:<id>, vendor:*, "
        "ehr, ehr:replica or assistant)");
  CHECK(scenario_error(head + "  - {target: ehr, kind: latency, at: 1m, delay: 1s, status: 502}\n") ==
        "scenarios/s.yaml:5:53: key 'status' applies only to error faults");
  CHECK(scenario_error(head + "  - {target: ehr, kind: latency, at: 1m}\n") ==
        "scenarios/s.yaml:5:5: missing required key 'delay'");
}

TEST_CASE("Scenario loader validates distributions", "[config][errors]") {
  const std::string head = "name: s\nduration: 60m\nworkload: {rate: 1}\nresponders:\n  ack_delay: ";
  CHECK(scenario_error(head + "{dist: gamma, mean: 1m}\n") ==
        "scenarios/s.yaml:5:21: unknown distribution 'gamma' (expected one of: fixed, uniform, "
        "exponential, lognormal)");
  CHECK(scenario_error(head + "{dist: uniform, min: 3m, max: 1m}\n") ==
        "scenarios/s.yaml:5:44: 'max' (1m00s) is less than 'min' (3m00s)");
  CHECK(scenario_error(head + "{dist: lognormal, median: 2m, sigma: 0.5, mean: 1m}\n") ==
        "scenarios/s.yaml:5:56: key 'mean' applies only to exponential distributions");
  CHECK(scenario_error(head + "soon\n") ==
        "scenarios/s.yaml:5:14: expected a duration like 250ms, 30s, 5m or 1h or a distribution "
        "like {dist: lognormal, median: 2m, sigma: 0.5} for 'ack_delay', got 'soon'");
}

TEST_CASE("Scenario loader checks alerts against the scenario's SLOs", "[config][errors]") {
  CHECK(scenario_error(R"(name: s
duration: 60m
workload: {rate: 1}
slos: [{name: availability, sli: availability, objective: 0.99}]
alerts:
  - name: Burn
    type: burn_rate
    slo: availabilty
    windows: [{long: 1h, short: 5m, factor: 14.4}]
)") == "scenarios/s.yaml:8:10: unknown SLO 'availabilty' (did you mean 'availability'? expected "
       "one of: availability)");
  CHECK(scenario_error(R"(name: s
duration: 60m
workload: {rate: 1}
alerts:
  - {name: Slow, type: threshold, sli: latency_p95, above: 6s, windows: []}
)") == "scenarios/s.yaml:5:64: key 'windows' applies only to burn_rate alerts");
  CHECK(scenario_error(R"(name: s
duration: 60m
workload: {rate: 1}
alerts:
  - {name: Errors, type: threshold, sli: error_ratio, above: 5}
)") == "scenarios/s.yaml:5:62: expected a number between 0 and 1 for 'above', got '5'");
  CHECK(scenario_error(R"(name: s
duration: 60m
workload: {rate: 1}
alerts:
  - {name: Slow, type: treshold}
)") == "scenarios/s.yaml:5:24: unknown alert type 'treshold' (did you mean 'threshold'? expected "
       "one of: threshold, burn_rate)");
}

TEST_CASE("Scenario loader reports a missing playbook file at the list item", "[config][errors]") {
  CHECK(scenario_error(R"(name: s
duration: 60m
workload: {rate: 1}
playbooks:
  - ../playbooks/failover.yaml
  - ../playbooks/missing.yaml
)") == "scenarios/s.yaml:6:5: playbook file '../playbooks/missing.yaml' not found (looked for "
       "playbooks/missing.yaml)");
}

TEST_CASE("Scenario loader reports a missing fakes directory at the fakes key", "[config][errors]") {
  CHECK(scenario_error("name: s\nduration: 60m\nfakes: ../elsewhere\nworkload: {rate: 1}\n") ==
        "scenarios/s.yaml:3:8: fakes directory '../elsewhere' (elsewhere) not found: no "
        "elsewhere/vendors.yaml");
  // A directory that lacks some of the files.
  MemoryFiles files;
  files.add("fakes/vendors.yaml", "vendors: []\n");
  files.add("fakes/world.yaml", "patients: 1\n");
  files.add("s.yaml", "name: s\nduration: 60m\nfakes: fakes\nworkload: {rate: 1}\n");
  CHECK(error_of([&] { load_scenario("s.yaml", files); }) ==
        "s.yaml:3:8: fakes directory 'fakes' is missing policies.yaml, assistant/prompts.yaml, "
        "assistant/flags.json, assistant/assistant.yaml");
}

TEST_CASE("Scenario loader turns a YAML syntax error into file:line:col", "[config][errors]") {
  CHECK(scenario_error("name: s\nduration: 60m\nworkload: {rate: 1\n") ==
        "scenarios/s.yaml:4:1: invalid YAML: end of map flow not found");
  CHECK(scenario_error("name: s\n  duration: 60m\n") ==
        "scenarios/s.yaml:2:11: invalid YAML: illegal map value");
}

TEST_CASE("Scenario loader reports a bad expectation at its list item", "[config][errors]") {
  CHECK(scenario_error("name: s\nduration: 60m\nworkload: {rate: 1}\nexpect:\n  - ttd <= 3m\n  - ttd <= soon\n") ==
        "scenarios/s.yaml:6:5: expected a duration like 90s, 3m or 1h (or none) for 'ttd', got 'soon'");
  CHECK_THAT(scenario_error("name: s\nduration: 60m\nworkload: {rate: 1}\nexpect: [\"tdd <= 3m\"]\n"),
             Catch::StartsWith("scenarios/s.yaml:4:10: unknown metric 'tdd' (known: ttd, ttd_from_fault, tta, ttm, ttr, "
                               "requests, failed, unsafe, slow, failed_ratio, unsafe_ratio, incidents, alerts, false_alerts, exposure,"));
}

TEST_CASE("Scenario loader rejects duplicate keys", "[config][errors]") {
  CHECK(scenario_error("name: s\nduration: 60m\nworkload: {rate: 1}\nname: t\n") ==
        "scenarios/s.yaml:4:1: duplicate key 'name'");
}

TEST_CASE("Scenario loader rejects assistant overrides it does not know", "[config][errors]") {
  CHECK(scenario_error("name: s\nduration: 60m\nworkload: {rate: 1}\nassistant: {model_timeot: 3s}\n") ==
        "scenarios/s.yaml:4:13: unknown key 'model_timeot' (did you mean 'model_timeout'?)");
}

TEST_CASE("Scenario loader reports bad probes, corrections, burn-rate presets and scales, and CI tolerances at their position", "[config][errors]") {
  const std::string head = "name: s\nduration: 60m\nworkload: {rate: 1}\n";
  const std::string slo = "slos: [{name: avail, sli: availability, objective: 0.99}]\n";
  CHECK(scenario_error(head + "probes: {set: golden/none.yaml}\n") == "scenarios/s.yaml:4:15: golden set 'golden/none.yaml' not found (looked for scenarios/golden/none.yaml)");
  CHECK(scenario_error(head + "probes: {set: ../playbooks/failover.yaml, min_pass_rate: 2}\n") == "scenarios/s.yaml:4:58: expected a number between 0 and 1 for 'min_pass_rate', got '2'");
  CHECK(scenario_error(head + "corrections: {delay: 5m}\n") == "scenarios/s.yaml:4:14: missing required key 'share'");
  CHECK(scenario_error(head + slo + "alerts: [{name: b, type: burn_rate, slo: avail, preset: standart}]\n") == "scenarios/s.yaml:5:57: unknown burn-rate preset 'standart' (did you mean 'standard'? "
        "expected one of: standard, standard_page, standard_ticket)");
  CHECK(scenario_error(head + slo + "alerts: [{name: b, type: burn_rate, slo: avail, preset: standard, scale: 0/60}]\n") == "scenarios/s.yaml:5:74: expected a positive number or fraction like 1/60 for 'scale', got '0/60'");
  CHECK(scenario_error(head + "ci: {tolerance: {tmm: 30s}}\n") == "scenarios/s.yaml:4:18: unknown key 'tmm' (did you mean 'ttm'?)");
}
