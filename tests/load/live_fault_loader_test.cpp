#include <catch2/catch.hpp>

#include "load/loader.hpp"
#include "config_fixture.hpp"

using namespace gameday;
using gameday::config_test::error_of;

TEST_CASE("A live fault body in JSON is read with the scenario fault syntax and needs no start time", "[config][faults][live]") {
  const FaultSpec f = parse_fault(
      R"({"id": "rl", "target": "vendor:primary", "kind": "error", "status": 429, "retry_after": "2s", "first_n": 3})");
  CHECK(f.id == "rl");
  CHECK(f.target == "vendor:primary");
  CHECK(f.kind() == FaultKind::kError);
  CHECK(f.as<ErrorFault>()->status == 429);
  CHECK(f.as<ErrorFault>()->retry_after == 2 * kSecond);
  CHECK(f.first_n == 3);
  CHECK(f.at == 0);
}

TEST_CASE("A bad live fault body is reported at its line and column in the request body", "[config][faults][live][errors]") {
  CHECK(error_of([] { parse_fault(R"({"id": "x", "target": "vendor:primary", "kind": "slowness"})"); }) ==
        "request body:1:49: unknown fault kind 'slowness' for 'vendor:primary' (expected one of: "
        "latency, error, hang, hallucination, injection_following, schema_break, refusal_storm, drift, reset, stream_stall, stream_break, "
        "forbidden_tool, tool_wrong_arguments, tool_loop)");
  CHECK_THAT(error_of([] { parse_fault(R"({"id": "x", "target": "ehr", "kind": "error", "status": 99})"); }),
             Catch::StartsWith("request body:1:57: "));
  CHECK_THAT(error_of([] { parse_fault(R"({"id": "x",)"); }), Catch::StartsWith("request body:1:"));
  CHECK_THAT(error_of([] { parse_fault("[1, 2]"); }), Catch::StartsWith("request body:1:1: expected a map"));
}

TEST_CASE("A live fault file lists faults under 'faults' and reports problems with file, line and column", "[config][faults][live][errors]") {
  MemoryFiles files;
  files.add("f.yaml", "faults:\n  - {id: slow, target: vendor:primary, kind: latency, delay: 2s}\n"
                      "  - {id: down, target: ehr, kind: error, status: 503}\n");
  const auto faults = load_fault_file("f.yaml", files);
  REQUIRE(faults.size() == 2);
  CHECK(faults[0].id == "slow");
  CHECK(faults[1].as<ErrorFault>()->status == 503);
  files.add("bad.yaml", "faults:\n  - {id: slow, target: vendor:primary, kind: latency}\n");
  CHECK(error_of([&] { load_fault_file("bad.yaml", files); }) ==
        "bad.yaml:2:5: missing required key 'delay'");
  files.add("dup.yaml", "faults:\n  - {id: a, target: ehr, kind: timeout}\n  - {id: a, target: ehr, kind: timeout}\n");
  CHECK_THAT(error_of([&] { load_fault_file("dup.yaml", files); }), Catch::Contains("duplicate fault id 'a'"));
  files.add("other.yaml", "fault:\n  - {id: a, target: ehr, kind: timeout}\n");
  CHECK_THAT(error_of([&] { load_fault_file("other.yaml", files); }), Catch::Contains("did you mean 'faults'"));
}
