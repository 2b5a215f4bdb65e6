// The control contract of a team's own service: its state, the request each built-in step and
// change fault makes, which of them a service cannot take (and the message refusing the drill),
// and the runner acting on the service through it, journaling only what the service answered.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "playbook/service_control.hpp"
#include "support/playbook_harness.hpp"

using namespace gameday;
using namespace gameday::testing;
using Json = nlohmann::json;

namespace {

constexpr const char* kRoot = "http://127.0.0.1:9/v1/control";

ServiceControlState state_with(std::vector<std::string> supports, std::string route = "primary") {
  ServiceControlState s;
  s.route = std::move(route);
  s.prompt_version = "v2";
  s.flags = {{"safe-mode", "off"}};
  s.supports = std::move(supports);
  return s;
}

// A runner whose built-in steps act on a service (answers scripted by the fixture's effects).
struct ServiceFixture {
  ServiceFixture(Playbook pb, std::optional<ServiceControlState> state)
      : f(std::move(pb)),
        service(ServiceControlSetup{state ? kRoot : "", std::move(state), "primary", {}}, f.h.scheduler,
                f.h.journal, &f.effects) {
    f.runner.set_service(&service);
  }
  PlaybookFixture f;
  ServiceControl service;
};

StepSpec failover_to(const std::string& to) {
  StepSpec s = make_step("model.failover", "fail over");
  s.to = to;
  return s;
}

std::string reason_of(const Journal& j, std::size_t i = 0) { return timed<StepEndEvent>(j).at(i).second.reason; }

}  // namespace

// ---------------------------------------------------------------- the contract's data

TEST_CASE("parse_control_state reads flags, route, prompt version, shed and supports", "[playbook][service]") {
  std::string error;
  const auto s = parse_control_state(
      R"({"flags": {"safe-mode": "on", "k": 3}, "route": "secondary", "prompt_version": "v1", "shed": 0.25,
          "supports": ["route", "flags", "later"], "extra": true})",
      &error);
  REQUIRE(s);
  CHECK(s->flags.at("safe-mode") == "on");
  CHECK(s->flags.at("k") == "3");
  CHECK(s->route == "secondary");
  CHECK(s->prompt_version == "v1");
  CHECK(s->shed == 0.25);
  CHECK(s->covers(ControlCapability::kRoute));
  CHECK(s->covers(ControlCapability::kFlags));
  CHECK_FALSE(s->covers(ControlCapability::kPrompt));
}

TEST_CASE("parse_control_state names what is wrong with a body that is not a control state", "[playbook][service]") {
  std::string error;
  CHECK_FALSE(parse_control_state("not json", &error));
  CHECK(error == "the body is not a JSON object");
  CHECK_FALSE(parse_control_state(R"({"route": 1})", &error));
  CHECK(error == "'route' is not a string");
  CHECK_FALSE(parse_control_state(R"({"supports": "route"})", &error));
  CHECK(error == "'supports' is not a list of strings");
  CHECK_FALSE(parse_control_state(R"({"flags": []})", &error));
  CHECK(error == "'flags' is not an object");
}

TEST_CASE("Only the steps that change the system under test need a control capability", "[playbook][service]") {
  CHECK(capability_of(StepKind::kModelFailover) == ControlCapability::kRoute);
  CHECK(capability_of(StepKind::kModelRollback) == ControlCapability::kRoute);
  CHECK(capability_of(StepKind::kFlagSet) == ControlCapability::kFlags);
  CHECK(capability_of(StepKind::kModeFallback) == ControlCapability::kFlags);
  CHECK(capability_of(StepKind::kPromptDeploy) == ControlCapability::kPrompt);
  CHECK(capability_of(StepKind::kPromptRollback) == ControlCapability::kPrompt);
  CHECK(capability_of(StepKind::kTrafficShed) == ControlCapability::kShed);
  for (StepKind k : {StepKind::kWait, StepKind::kGoldenCheck, StepKind::kExec, StepKind::kHttp, StepKind::kApprove}) {
    CHECK_FALSE(capability_of(k));
  }
  CHECK(capability_of(FaultKind::kPromptDeploy) == ControlCapability::kPrompt);
  CHECK(capability_of(FaultKind::kConfigChange) == ControlCapability::kFlags);
  CHECK_FALSE(capability_of(FaultKind::kLatency));
}

TEST_CASE("Each built-in step makes the contract's request for its change", "[playbook][service]") {
  const ControlCall failover = control_call_for(failover_to("secondary"), "primary");
  CHECK(failover.endpoint() == "PUT /v1/control/route");
  CHECK(Json::parse(failover.body) == Json{{"vendor", "secondary"}});
  const ControlCall back = control_call_for(make_step("model.rollback", "back"), "primary");
  CHECK(Json::parse(back.body) == Json{{"vendor", "primary"}});
  StepSpec flag = make_step("flag.set", "flag");
  flag.flag = "citation-check";
  flag.variant = "on";
  const ControlCall f = control_call_for(flag, "primary");
  CHECK(f.endpoint() == "PUT /v1/control/flags/citation-check");
  CHECK(Json::parse(f.body) == Json{{"variant", "on"}});
  const ControlCall fallback = control_call_for(make_step("mode.fallback", "safe"), "primary");
  CHECK(fallback.path == "/flags/safe-mode");
  const ControlCall rollback = control_call_for(make_step("prompt.rollback", "undo"), "primary");
  CHECK(rollback.endpoint() == "POST /v1/control/prompt/rollback");
  CHECK(rollback.body.empty());
  StepSpec deploy = make_step("prompt.deploy", "deploy");
  deploy.version = "v1";
  CHECK(Json::parse(control_call_for(deploy, "primary").body) == Json{{"version", "v1"}});
  StepSpec shed = make_step("traffic.shed", "shed");
  shed.share = 0.5;
  CHECK(Json::parse(control_call_for(shed, "primary").body) == Json{{"share", 0.5}});
}

// ---------------------------------------------------------------- refusal

TEST_CASE("Without a control contract every built-in step and change fault is unreachable", "[playbook][service]") {
  Playbook pb = playbook({make_step("wait", "pause"), failover_to("secondary")}, {failover_to("primary")});
  FaultSpec deploy;
  deploy.id = "bad-deploy";
  deploy.target = "assistant";
  deploy.params = PromptDeployFault{"v3"};
  const auto u = unreachable_changes({pb}, {deploy}, std::nullopt);
  REQUIRE(u.size() == 3);
  CHECK(u[0].list == "steps");
  CHECK(u[0].index == 1);
  CHECK(u[1].list == "rollback");
  CHECK(u[2].name == "bad-deploy");
  CHECK(u[2].call.endpoint() == "PUT /v1/control/prompt");
}

TEST_CASE("A service's supports list decides which built-in steps reach it", "[playbook][service]") {
  StepSpec shed = make_step("traffic.shed", "shed half");
  shed.share = 0.5;
  Playbook pb = playbook({failover_to("secondary"), shed});
  const auto u = unreachable_changes({pb}, {}, state_with({"route", "flags"}));
  REQUIRE(u.size() == 1);
  CHECK(u[0].name == "shed half");
  CHECK(unreachable_changes({pb}, {}, state_with({"route", "shed"})).empty());
}

TEST_CASE("The refusal names the place, the playbook, the step and the fixes", "[playbook][service]") {
  StepSpec step = failover_to("secondary");
  step.loc = SourceLoc{"playbooks/p.yaml", 9, 5};
  const auto u = unreachable_changes({playbook({step})}, {}, std::nullopt);
  REQUIRE(u.size() == 1);
  const std::string text = describe_unreachable(u[0], "it has no control contract (GET http://x/v1/control answered HTTP 404)");
  CHECK(text.rfind("playbooks/p.yaml:9:5: playbook 'respond' steps[0] 'fail over' (model.failover)", 0) == 0);
  CHECK(text.find("answered HTTP 404") != std::string::npos);
  CHECK(text.find("implement PUT /v1/control/route") != std::string::npos);
  CHECK(text.find("--sut-control URL") != std::string::npos);
  CHECK(text.find("--allow-unreachable-steps") != std::string::npos);
  const auto lacking = unreachable_changes({playbook({step})}, {}, state_with({"flags"}));
  CHECK(describe_unreachable(lacking.at(0), "").find("does not list 'route' in \"supports\"") != std::string::npos);
}

// ---------------------------------------------------------------- the runner on a service

TEST_CASE("model.failover on a service sends its route change and journals the route the service answered", "[playbook][service]") {
  ServiceFixture s(playbook({failover_to("secondary")}), state_with({"route"}));
  s.f.effects.http_result = HttpResult{200, R"({"route": "secondary", "flags": {}})", ""};
  s.f.runner.on_alert(page("Slow"));
  REQUIRE(s.f.effects.https.size() == 1);
  CHECK(s.f.effects.https[0].method == "PUT");
  CHECK(s.f.effects.https[0].url == std::string(kRoot) + "/route");
  CHECK(Json::parse(s.f.effects.https[0].body) == Json{{"vendor", "secondary"}});
  CHECK(outcomes(s.f.h.journal) == std::vector<std::string>{"fail over:ok"});
  CHECK(reason_of(s.f.h.journal) == "service: route primary -> secondary (HTTP 200)");
  const auto changes = timed<ControlChangeEvent>(s.f.h.journal);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].second.what == "route");
  CHECK(changes[0].second.from == "primary");
  CHECK(changes[0].second.to == "secondary");
  CHECK(changes[0].second.by == "playbook:respond");
  // The built-in assistant is not the system under test: it stays as it was.
  CHECK(s.f.h.assistant->route() == "primary");
  CHECK(s.service.state()->route == "secondary");
  CHECK(s.service.state()->covers(ControlCapability::kRoute));
}

TEST_CASE("A service that refuses a change fails the step with its answer and journals no change", "[playbook][service]") {
  ServiceFixture s(playbook({failover_to("secondary")}), state_with({"route"}));
  s.f.effects.http_result = HttpResult{409, R"({"error": {"message": "route is pinned"}})", ""};
  s.f.runner.on_alert(page("Slow"));
  CHECK(outcomes(s.f.h.journal) == std::vector<std::string>{"fail over:failed"});
  CHECK(reason_of(s.f.h.journal) == "the service answered PUT /v1/control/route with HTTP 409: route is pinned");
  CHECK(timed<ControlChangeEvent>(s.f.h.journal).empty());
  CHECK(timed<PlaybookEndEvent>(s.f.h.journal).at(0).second.outcome == "aborted");
}

TEST_CASE("A 200 whose state does not show the change fails the step", "[playbook][service]") {
  ServiceFixture s(playbook({failover_to("secondary")}), state_with({"route"}));
  s.f.effects.http_result = HttpResult{200, R"({"route": "primary"})", ""};
  s.f.runner.on_alert(page("Slow"));
  CHECK(outcomes(s.f.h.journal) == std::vector<std::string>{"fail over:failed"});
  CHECK(reason_of(s.f.h.journal).find("but its route is still primary") != std::string::npos);
  CHECK(timed<ControlChangeEvent>(s.f.h.journal).empty());
}

TEST_CASE("A service that does not answer fails the step as one that could not run", "[playbook][service]") {
  ServiceFixture s(playbook({failover_to("secondary")}), state_with({"route"}));
  s.f.effects.http_result = HttpResult{0, "", "Connection refused"};
  s.f.runner.on_alert(page("Slow"));
  CHECK(outcomes(s.f.h.journal) == std::vector<std::string>{"fail over:failed"});
  CHECK(reason_of(s.f.h.journal) == "PUT /v1/control/route got no answer from the service: Connection refused");
  CHECK(s.f.runner.steps_not_run().size() == 1);
}

TEST_CASE("A step the service cannot take fails as unreachable without a request", "[playbook][service]") {
  StepSpec shed = make_step("traffic.shed", "shed");
  shed.share = 0.5;
  shed.on_failure = OnFailure::kContinue;
  ServiceFixture s(playbook({shed, failover_to("secondary")}), std::nullopt);
  s.f.runner.on_alert(page("Slow"));
  CHECK(s.f.effects.https.empty());
  CHECK(outcomes(s.f.h.journal) == std::vector<std::string>{"shed:failed", "fail over:failed"});
  CHECK(reason_of(s.f.h.journal) == "unreachable: the service has no control endpoint for PUT /v1/control/shed");
  CHECK(timed<ControlChangeEvent>(s.f.h.journal).empty());
  CHECK(s.f.h.assistant->shed_share() == 0);
}

TEST_CASE("A drill's step on a service ends when the service answers", "[playbook][service]") {
  StepSpec fallback = make_step("mode.fallback", "safe");
  ServiceFixture s(playbook({fallback}), state_with({"flags"}));
  s.f.effects.deferred = true;
  s.f.effects.http_result = HttpResult{200, R"({"flags": {"safe-mode": "on"}})", ""};
  s.f.runner.on_alert(page("Slow"));
  CHECK(timed<StepEndEvent>(s.f.h.journal).empty());
  s.f.effects.finish_deferred();
  CHECK(outcomes(s.f.h.journal) == std::vector<std::string>{"safe:ok"});
  const auto changes = timed<ControlChangeEvent>(s.f.h.journal);
  REQUIRE(changes.size() == 2);
  CHECK(changes[0].second.what == "flag");
  CHECK(changes[0].second.to == "on");
  CHECK(changes[1].second.what == "mode");
  CHECK(changes[1].second.to == "fallback");
  CHECK_FALSE(s.f.h.assistant->flag_on("safe-mode"));
}

TEST_CASE("A prompt rollback on a service counts only when the version changed", "[playbook][service]") {
  ServiceFixture s(playbook({make_step("prompt.rollback", "undo")}), state_with({"prompt"}));
  s.f.effects.http_result = HttpResult{200, R"({"prompt_version": "v1"})", ""};
  s.f.runner.on_alert(page("Slow"));
  CHECK(s.f.effects.https.at(0).url == std::string(kRoot) + "/prompt/rollback");
  CHECK(outcomes(s.f.h.journal) == std::vector<std::string>{"undo:ok"});
  CHECK(timed<ControlChangeEvent>(s.f.h.journal).at(0).second.from == "v2");
}

TEST_CASE("With a service the step control API refuses the built-in assistant's routes", "[playbook][service]") {
  StepSpec call = make_step("http", "call");
  call.url = "${GAMEDAY_CONTROL_URL}/v1/assistant/route";
  call.method = "PUT";
  ServiceFixture s(playbook({call}), state_with({"route"}));
  ControlResponse seen;
  s.f.effects.during_http = [&](ControlHandler& h) {
    seen = h.handle(ControlRequest{"PUT", "/v1/assistant/route", R"({"vendor": "secondary"})"});
  };
  s.f.runner.on_alert(page("Slow"));
  CHECK(seen.status == 409);
  CHECK(s.f.h.assistant->route() == "primary");
}
