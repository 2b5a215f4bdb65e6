// The assistant's tool flow switch (`tool_use`, `tool_rounds`) and the tool-flow fault kinds
// (forbidden_tool, tool_wrong_arguments, tool_loop) in scenario files, with their errors.
#include <catch2/catch.hpp>

#include "load/loader.hpp"
#include "config_fixture.hpp"

using namespace gameday;
using gameday::config_test::error_of;
using gameday::config_test::scenario_body_error;
using gameday::config_test::scenario_files_with;

namespace {

std::vector<std::string> validate(const std::string& body) {
  const MemoryFiles files = scenario_files_with(body);
  return validate_files({"scenarios/s.yaml"}, files);
}

}  // namespace

TEST_CASE("Scenario loader reads the tool flow switch and the tool-flow fault kinds", "[config][scenario][tools]") {
  const MemoryFiles files = scenario_files_with(R"(assistant: {tool_use: true, tool_rounds: 2}
faults:
  - {id: ft, at: 1m, target: vendor:primary, kind: forbidden_tool, tool: delete_chart, probability: 0.2}
  - {id: wa, at: 1m, target: "vendor:*", kind: tool_wrong_arguments}
  - {id: tl, at: 1m, target: vendor:secondary, kind: tool_loop, task_types: [prior_auth_status]}
)");
  const Scenario s = load_scenario("scenarios/s.yaml", files);
  REQUIRE(s.assistant);
  CHECK(s.assistant->tool_use);
  CHECK(s.assistant->tool_rounds == 2);
  REQUIRE(s.faults.size() == 3);
  CHECK(s.faults[0].as<ForbiddenToolFault>()->tool == "delete_chart");
  CHECK(s.faults[0].probability == Approx(0.2));
  CHECK(s.faults[1].kind() == FaultKind::kToolWrongArguments);
  CHECK(s.faults[2].kind() == FaultKind::kToolLoop);
  CHECK(validate_files({"scenarios/s.yaml"}, files).empty());
}

TEST_CASE("The tool flow is off by default and forbidden_tool calls cancel_prior_auth by default",
          "[config][scenario][tools]") {
  const Scenario s = load_scenario(
      "scenarios/s.yaml", scenario_files_with("assistant: {model_timeout: 3s}\n"));
  REQUIRE(s.assistant);
  CHECK(!s.assistant->tool_use);
  CHECK(s.assistant->tool_rounds == 3);
  CHECK(ForbiddenToolFault{}.tool == "cancel_prior_auth");
}

TEST_CASE("A tool-flow fault without the tool flow is an error at its kind", "[config][scenario][tools][errors]") {
  // Checked against the fakes (their assistant.yaml may turn the flow on), as validate does.
  auto problems = validate("faults:\n  - {id: tl, at: 1m, target: vendor:primary, kind: tool_loop}\n");
  REQUIRE(problems.size() == 1);
  CHECK(problems[0] ==
        "scenarios/s.yaml:5:52: tool_loop faults act only in the assistant's tool flow: set "
        "'assistant: {tool_use: true}' in the scenario (or tool_use in the fakes' assistant.yaml)");
  problems = validate("assistant: {tool_use: false}\nfaults:\n"
                      "  - {at: 1m, target: vendor:primary, kind: tool_wrong_arguments}\n");
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].find("scenarios/s.yaml:6:44: tool_wrong_arguments faults act only in the assistant's tool flow") == 0);
}

TEST_CASE("forbidden_tool must name a tool the assistant does not offer", "[config][scenario][tools][errors]") {
  const auto problems = validate("assistant: {tool_use: true}\nfaults:\n"
                                 "  - {at: 1m, target: vendor:primary, kind: forbidden_tool, tool: search_prior_auths}\n");
  REQUIRE(problems.size() == 1);
  CHECK(problems[0] ==
        "scenarios/s.yaml:6:66: forbidden_tool needs a tool the assistant does not offer, got "
        "'search_prior_auths' (offered: search_prior_auths, search_discharge_notes, search_plan_benefits)");
}

TEST_CASE("Tool-flow faults target vendors only and keep their keys to themselves", "[config][scenario][tools][errors]") {
  CHECK(scenario_body_error("assistant: {tool_use: true}\nfaults:\n  - {at: 1m, target: ehr, kind: tool_loop}\n")
            .find("scenarios/s.yaml:6:33: unknown fault kind 'tool_loop' for 'ehr'") == 0);
  CHECK(scenario_body_error("assistant: {tool_use: true}\nfaults:\n"
                       "  - {at: 1m, target: vendor:primary, kind: tool_loop, tool: x}\n") ==
        "scenarios/s.yaml:6:55: key 'tool' applies only to forbidden_tool faults");
  CHECK(scenario_body_error("assistant: {tool_use: true}\nfaults:\n"
                       "  - {at: 1m, target: vendor:primary, kind: tool_loop, routes: [embeddings]}\n")
            .find("scenarios/s.yaml:6:63: tool_loop faults act on answers only") == 0);
}

TEST_CASE("Scenario loader checks the tool flow switch's type and range", "[config][scenario][tools][errors]") {
  CHECK(scenario_body_error("assistant: {tool_use: yes please}\n") ==
        "scenarios/s.yaml:4:23: expected a bool (true or false) for 'tool_use', got 'yes please'");
  CHECK(scenario_body_error("assistant: {tool_rounds: 0}\n") ==
        "scenarios/s.yaml:4:26: expected an integer between 1 and 10 for 'tool_rounds', got '0'");
  CHECK(scenario_body_error("assistant: {tool_rounds: 11}\n") ==
        "scenarios/s.yaml:4:26: expected an integer between 1 and 10 for 'tool_rounds', got '11'");
  CHECK(scenario_body_error("assistant: {tool_uses: true}\n") ==
        "scenarios/s.yaml:4:13: unknown key 'tool_uses' (did you mean 'tool_use'?)");
}
