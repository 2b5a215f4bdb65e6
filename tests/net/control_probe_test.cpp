// Discovery of a --sut service's control contract: GET {root} against a local server.
#include <catch2/catch.hpp>

#include "net/control_probe.hpp"
#include "net/http_server.hpp"

using namespace gameday;
using namespace gameday::net;

TEST_CASE("A service's GET /v1/control state is its control contract", "[net][service]") {
  HttpServer server([](ServerRequest req, ReplyFn reply) {
    if (req.method != "GET" || req.target != "/v1/control") return reply(ServerResponse{404, "application/json", "{}"});
    reply(ServerResponse{200, "application/json", R"({"route": "primary", "supports": ["route"]})"});
  });
  const ControlProbe p = probe_service_control(server.url() + "/v1/control", 5 * kSecond);
  REQUIRE(p.state);
  CHECK(p.state->route == "primary");
  CHECK(p.state->covers(ControlCapability::kRoute));
}

TEST_CASE("A 404 at the control root means the service has no control contract", "[net][service]") {
  HttpServer server([](ServerRequest, ReplyFn reply) { reply(ServerResponse{404, "application/json", "{}"}); });
  const ControlProbe p = probe_service_control(server.url() + "/v1/control", 5 * kSecond);
  CHECK_FALSE(p.state);
  CHECK_FALSE(p.malformed);
  CHECK(p.error == "answered HTTP 404");
}

TEST_CASE("A 200 that is not a control state is malformed and says why", "[net][service]") {
  HttpServer server([](ServerRequest, ReplyFn reply) {
    reply(ServerResponse{200, "application/json", R"({"route": 7})"});
  });
  const ControlProbe p = probe_service_control(server.url() + "/v1/control", 5 * kSecond);
  CHECK_FALSE(p.state);
  CHECK(p.malformed);
  CHECK(p.error == "answered HTTP 200, but not with a control state ('route' is not a string)");
}

TEST_CASE("A control root nobody listens on got no answer", "[net][service]") {
  std::string url;
  {
    HttpServer gone([](ServerRequest, ReplyFn reply) { reply(ServerResponse{}); });
    url = gone.url() + "/v1/control";
  }
  const ControlProbe p = probe_service_control(url, 5 * kSecond);
  CHECK_FALSE(p.state);
  CHECK(p.status == 0);
  CHECK(p.error.rfind("got no answer (", 0) == 0);
}
