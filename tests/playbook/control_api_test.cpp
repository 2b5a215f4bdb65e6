// The control API's routes, as a pure function over the assistant (no sockets).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "playbook/control_api.hpp"
#include "support/playbook_harness.hpp"

using namespace gameday;
using namespace gameday::testing;
using nlohmann::json;

namespace {

struct Api {
  Harness h;
  ControlResponse call(const std::string& method, const std::string& target, const std::string& body = "") {
    return handle_control_request(*h.assistant, ControlRequest{method, target, body}, "api");
  }
};

json body_of(const ControlResponse& r) { return json::parse(r.body); }

}  // namespace

TEST_CASE("Control API GET /v1/assistant shows flags, prompt version and route", "[playbook][control]") {
  Api api;
  const auto r = api.call("GET", "/v1/assistant");
  REQUIRE(r.status == 200);
  const json j = body_of(r);
  REQUIRE(j["flags"]["safe-mode"] == "off");
  REQUIRE(j["flags"]["citation-check"] == "on");
  REQUIRE(j["prompt_version"] == "v2");
  REQUIRE(j["route"] == "primary");
  REQUIRE(j["prompt_versions"] == json::array({"v1", "v2", "v3"}));
  REQUIRE(api.h.journal.events().empty());
}

TEST_CASE("Control API PUT a flag sets its variant and journals it by the caller", "[playbook][control]") {
  Api api;
  const auto r = api.call("PUT", "/v1/assistant/flags/safe-mode", R"({"variant":"on"})");
  REQUIRE(r.status == 200);
  REQUIRE(body_of(r) == json{{"flag", "safe-mode"}, {"variant", "on"}, {"from", "off"}});
  REQUIRE(api.h.assistant->flag_on("safe-mode"));
  const auto& c = std::get<ControlChangeEvent>(api.h.journal.events().back().body);
  REQUIRE(c.by == "api");
  REQUIRE(api.call("GET", "/v1/assistant/flags/safe-mode").body == R"({"flag":"safe-mode","variant":"on"})");
}

TEST_CASE("Control API answers bad input with 4xx naming the field", "[playbook][control]") {
  Api api;
  auto check = [&](const ControlResponse& r, int status, const std::string& field) {
    INFO(r.body);
    REQUIRE(r.status == status);
    REQUIRE(body_of(r)["field"] == field);
    REQUIRE(body_of(r)["error"].is_string());
  };
  check(api.call("PUT", "/v1/assistant/flags/no-such-flag", R"({"variant":"on"})"), 404, "flag");
  check(api.call("PUT", "/v1/assistant/flags/safe-mode", R"({"variant":"maybe"})"), 400, "variant");
  check(api.call("PUT", "/v1/assistant/flags/safe-mode", R"({"variant":true})"), 400, "variant");
  check(api.call("PUT", "/v1/assistant/flags/safe-mode", "not json"), 400, "body");
  check(api.call("PUT", "/v1/assistant/prompt", R"({"version":"v9"})"), 400, "version");
  check(api.call("PUT", "/v1/assistant/prompt", R"({})"), 400, "version");
  check(api.call("PUT", "/v1/assistant/route", R"({"vendor":"nowhere"})"), 400, "vendor");
  check(api.call("PUT", "/v1/assistant/shed", R"({"share":1.5})"), 400, "share");
  check(api.call("POST", "/v1/assistant/prompt/rollback"), 409, "prompt_version");
  REQUIRE(api.h.journal.events().empty());
}

TEST_CASE("Control API answers 404 for unknown routes and 405 for wrong methods", "[playbook][control]") {
  Api api;
  REQUIRE(api.call("GET", "/v1/nothing").status == 404);
  REQUIRE(api.call("GET", "/").status == 404);
  REQUIRE(api.call("DELETE", "/v1/assistant").status == 405);
  REQUIRE(api.call("GET", "/v1/assistant/prompt/rollback").status == 405);
}

TEST_CASE("Control API deploys and rolls back prompts and switches routes", "[playbook][control]") {
  Api api;
  auto r = api.call("PUT", "/v1/assistant/prompt", R"({"version":"v3"})");
  REQUIRE(r.status == 200);
  REQUIRE(body_of(r)["from"] == "v2");
  r = api.call("POST", "/v1/assistant/prompt/rollback");
  REQUIRE(r.status == 200);
  REQUIRE(body_of(r)["prompt_version"] == "v2");
  r = api.call("PUT", "/v1/assistant/route/", R"({"vendor":"secondary"})");  // trailing slash
  REQUIRE(r.status == 200);
  REQUIRE(api.h.assistant->route() == "secondary");
  r = api.call("PUT", "/v1/assistant/shed?x=1", R"({"share":0.5})");  // query ignored
  REQUIRE(r.status == 200);
  REQUIRE(api.h.assistant->shed_share() == 0.5);
  REQUIRE(api.h.journal.events().size() == 4);
}

TEST_CASE("The flags file round-trips and applies only real changes", "[playbook][control]") {
  Api api;
  const std::string doc = flags_to_flagd_json(*api.h.assistant);
  std::vector<std::string> changes;
  std::string error;
  REQUIRE(apply_flagd_json(*api.h.assistant, doc, "exec:x", &changes, &error));
  REQUIRE(changes.empty());
  json j = json::parse(doc);
  j["flags"]["auto-failover"]["defaultVariant"] = "on";
  REQUIRE(apply_flagd_json(*api.h.assistant, j.dump(), "exec:x", &changes, &error));
  REQUIRE(changes == std::vector<std::string>{"auto-failover off -> on"});
  REQUIRE(api.h.assistant->flag_on("auto-failover"));
  j["flags"]["safe-mode"]["defaultVariant"] = "sideways";
  REQUIRE_FALSE(apply_flagd_json(*api.h.assistant, j.dump(), "exec:x", &changes, &error));
  REQUIRE(error == "flag 'safe-mode' has no variant 'sideways'");
  REQUIRE_FALSE(apply_flagd_json(*api.h.assistant, "{", "exec:x", &changes, &error));
  REQUIRE(error == "flags file is not a JSON object");
}
