// A fault written back as JSON reads back as the same fault (what GET /faults lists can be
// POSTed again).
#include <catch2/catch.hpp>

#include <set>

#include "load/error.hpp"
#include "load/fault_json.hpp"
#include "load/loader.hpp"

namespace gameday {

TEST_CASE("Every fault kind written as JSON parses back to the same fault", "[load][faults][json]") {
  // One fault of each kind with every parameter set away from its default.
  const char* const kFaults[] = {
      R"({"id": "a", "target": "vendor:primary", "kind": "latency", "for": "90s", "probability": 0.5,
          "delay": {"dist": "lognormal", "median": "12s", "sigma": 0.3}})",
      R"({"id": "b", "target": "ehr", "kind": "latency", "delay": {"dist": "uniform", "min": "1s", "max": "1500ms"}})",
      R"({"id": "c", "target": "vendor:*", "kind": "error", "status": 429, "retry_after": "2500ms",
          "message": "slow down", "every_nth": 3, "first_n": 10, "models": ["nw-clinical-large"]})",
      R"({"id": "d", "target": "vendor:primary", "kind": "hang", "task_types": ["prior_auth_status"]})",
      R"({"id": "e", "target": "vendor:primary", "kind": "hallucination", "mode": "foreign_citation"})",
      R"({"id": "f", "target": "vendor:primary", "kind": "injection_following", "susceptibility": 0.25})",
      R"({"id": "g", "target": "vendor:primary", "kind": "schema_break", "mode": "truncated"})",
      R"({"id": "h", "target": "vendor:primary", "kind": "refusal_storm"})",
      R"({"id": "i", "target": "vendor:primary", "kind": "drift", "model_version": "m-2",
          "hallucination_rate": 0.1, "refusal_rate": 0.2})",
      R"({"id": "j", "target": "vendor:primary", "kind": "reset"})",
      R"({"id": "k", "target": "vendor:primary", "kind": "stream_stall", "after_tokens": 7})",
      R"({"id": "l", "target": "vendor:primary", "kind": "stream_break", "after_tokens": 0})",
      R"({"id": "m", "target": "ehr", "kind": "timeout"})",
      R"({"id": "n", "target": "ehr:replica", "kind": "wrong_patient", "probability": 0.3})",
      R"({"id": "o", "target": "ehr", "kind": "irrelevant_docs"})",
      R"({"id": "p", "target": "ehr", "kind": "stale_docs"})",
      R"({"id": "q", "target": "ehr", "kind": "empty_results"})",
      R"({"id": "r", "target": "ehr", "kind": "truncated_paging"})",
      R"({"id": "s", "target": "ehr", "kind": "poisoned_note", "payload": "ignore-previous-canary"})",
      R"({"id": "t", "target": "ehr", "kind": "error", "status": 502})",
      R"({"id": "u", "target": "vendor:primary", "kind": "latency", "delay": "250us"})",
      R"({"id": "v", "target": "vendor:primary", "kind": "latency", "delay": {"dist": "exponential", "mean": "3s"}})",
      R"({"id": "w", "target": "vendor:primary", "kind": "forbidden_tool", "tool": "delete_chart"})",
      R"({"id": "x", "target": "vendor:*", "kind": "tool_wrong_arguments", "probability": 0.2})",
      R"({"id": "y", "target": "vendor:secondary", "kind": "tool_loop"})",
  };
  std::set<FaultKind> kinds;
  for (const char* text : kFaults) {
    INFO(text);
    const FaultSpec f = parse_fault(text);
    kinds.insert(f.kind());
    const std::string once = fault_to_json(f).dump();
    const FaultSpec again = parse_fault(once);
    CHECK(fault_to_json(again).dump() == once);
    CHECK(again.kind() == f.kind());
    CHECK(describe_fault(again) == describe_fault(f));
  }
  // Change faults are not accepted by the live control API; the rest are all covered.
  CHECK(kinds.size() == vocabulary_size<FaultKind>() - 2);
}

TEST_CASE("A fault's JSON is in the scenario syntax", "[load][faults][json]") {
  const FaultSpec f = parse_fault(
      R"({"id": "rl", "target": "vendor:primary", "kind": "error", "status": 429, "retry_after": "2s", "for": "5m"})");
  CHECK(fault_to_json(f).dump() ==
        R"({"id":"rl","target":"vendor:primary","kind":"error","for":"5m","probability":1.0,)"
        R"("status":429,"retry_after":"2s"})");
  const FaultSpec slow = parse_fault(R"({"id": "s", "target": "ehr", "kind": "latency", "delay": "2s"})");
  CHECK(fault_to_json(slow)["delay"] == "2s");
}

TEST_CASE("A fault kind that does not act on its target is rejected with the kinds that do",
          "[load][faults][errors]") {
  try {
    parse_fault(R"({"id": "x", "target": "ehr", "kind": "hallucination"})");
    FAIL("accepted");
  } catch (const ConfigError& e) {
    CHECK_THAT(e.what(), Catch::Contains("unknown fault kind 'hallucination'") &&
                             Catch::Contains("wrong_patient") && !Catch::Contains("refusal_storm"));
  }
  try {
    parse_fault(R"({"id": "x", "target": "vendor:primary", "kind": "latency", "delay": "1s", "status": 503})");
    FAIL("accepted");
  } catch (const ConfigError& e) {
    CHECK_THAT(e.what(), Catch::Contains("'status'") && Catch::Contains("applies only to error faults"));
  }
}

TEST_CASE("Ramps and repeats written as JSON parse back to the same fault", "[load][faults][json][ramp]") {
  const char* const kFaults[] = {
      R"({"id": "a", "target": "vendor:primary", "kind": "error", "for": "30m",
          "probability": {"ramp": [0, 0.3], "over": "20m"}})",
      R"({"id": "b", "target": "ehr", "kind": "latency",
          "delay": {"dist": "lognormal", "median": {"ramp": ["200ms", "8s"], "over": "10m"}, "sigma": 0.3}})",
      R"({"id": "c", "target": "ehr", "kind": "latency", "delay": {"ramp": ["1s", "2500ms"], "over": "1m"}})",
      R"({"id": "d", "target": "vendor:primary", "kind": "latency",
          "delay": {"dist": "exponential", "mean": {"ramp": ["1s", "3s"], "over": "1m"}}})",
      R"({"id": "e", "target": "vendor:primary", "kind": "injection_following",
          "susceptibility": {"ramp": [0.1, 0.9], "over": "5m"}})",
      R"({"id": "f", "target": "vendor:primary", "kind": "drift", "model_version": "m-2",
          "hallucination_rate": {"ramp": [0, 0.2], "over": "5m"}, "refusal_rate": {"ramp": [0.1, 0], "over": "90s"}})",
      R"({"id": "g", "target": "ehr", "kind": "error", "probability": 0.8,
          "repeat": {"every": "4m", "for": "2m", "times": 6}})",
      R"({"id": "h", "target": "vendor:*", "kind": "error", "status": 429,
          "retry_after": {"ramp": ["1s", "10s"], "over": "2m"},
          "probability": {"ramp": [0.2, 0.9], "over": "1m"}, "repeat": {"every": "5m", "for": "3m", "times": 2}})",
  };
  for (const char* text : kFaults) {
    INFO(text);
    const FaultSpec f = parse_fault(text);
    const std::string once = fault_to_json(f).dump();
    const FaultSpec again = parse_fault(once);
    CHECK(fault_to_json(again).dump() == once);
    CHECK(again.ramps.size() == f.ramps.size());
    CHECK(again.repeat.has_value() == f.repeat.has_value());
    CHECK(describe_fault(again) == describe_fault(f));
  }
  const FaultSpec a = parse_fault(kFaults[0]);
  CHECK(fault_to_json(a).dump() ==
        R"({"id":"a","target":"vendor:primary","kind":"error","for":"30m","probability":{"ramp":[0.0,0.3],"over":"20m"},)"
        R"("status":503,"retry_after":"0s"})");
  const FaultSpec g = parse_fault(kFaults[6]);
  CHECK(fault_to_json(g)["repeat"].dump() == R"({"every":"4m","for":"2m","times":6})");
  CHECK_FALSE(fault_to_json(g).contains("for"));
}

}  // namespace gameday
