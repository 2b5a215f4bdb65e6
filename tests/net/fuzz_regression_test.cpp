// Inputs the fuzz targets (fuzz/) found, fed through the same entry points: each must end in a
// clean error answer. The same bytes are kept in fuzz/corpus/<target>/crash-<sha1>.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>

#include "load/loader.hpp"
#include "net/control_server.hpp"
#include "net/fhir_wire.hpp"
#include "playbook/control_api.hpp"
#include "support/playbook_harness.hpp"

using namespace gameday;
using nlohmann::json;

namespace {

// A request line "METHOD TARGET" as the control fuzz targets read it (no body).
std::pair<std::string, std::string> request_line(const std::string& line) {
  const auto space = line.find(' ');
  return {line.substr(0, space), line.substr(space + 1)};
}

}  // namespace

TEST_CASE("Control API answers a path that is not UTF-8 with a JSON error", "[net][fuzz]") {
  // fuzz/corpus/assistant_control/crash-3535e3287d1ce81685f0e4bd2e23759aa5abd5de
  const auto [method, target] = request_line(
      "GET /v1/assistant/flags" + std::string(27, '\x93') + "/safe%2Dmode?x=1");
  testing::Harness h;
  const ControlResponse r = handle_control_request(*h.assistant, ControlRequest{method, target, ""}, "api");
  REQUIRE(r.status == 404);
  REQUIRE(json::parse(r.body)["error"].is_string());
}

TEST_CASE("Live control API answers a method and path that are not UTF-8 with a JSON error", "[net][fuzz]") {
  // fuzz/corpus/live_control/crash-464f4bccb7e75c9c2be5f4061e19eaaea7e8fd48
  const std::string bytes("POS Vr" + std::string(22, 'd') + std::string("\0\0\x7f\xfe\xf4\xda\xe7\x80", 8) +
                          std::string(28, 'd') + "e/PfOS");
  const auto [method, target] = request_line(bytes);
  const Fakes fakes = testing::small_fakes();
  const World world = World::generate(fakes.world);
  net::LiveFaults faults;
  net::LiveMetrics metrics;
  net::LiveContext ctx{fakes, world, faults, metrics, 1};
  const net::ServerResponse r = net::handle_live_control(ctx, net::ServerRequest{method, target, {}, ""}, {});
  REQUIRE(r.status >= 400);
  REQUIRE(r.status < 500);
  REQUIRE(json::parse(r.body)["error"]["message"].is_string());
}

TEST_CASE("A FHIR target that is not UTF-8 gets an OperationOutcome", "[net][fuzz]") {
  // fuzz/corpus/fhir_target/crash-5e337308e885a637909a67f9742b0dcafbfcaa56
  const net::FhirTarget t = net::parse_fhir_target("/fhir/DocumentRean=GO\x84" "D-PPO");
  REQUIRE_FALSE(t.ok());
  const json outcome = json::parse(net::fhir_error_json(t.status, t.diagnostics));
  REQUIRE(outcome["resourceType"] == "OperationOutcome");
  REQUIRE(outcome["issue"][0]["diagnostics"].is_string());
}

TEST_CASE("A live fault whose id is not UTF-8 is shown as JSON", "[net][fuzz]") {
  // fuzz/corpus/fault/crash-a979a8b34f5874d476e67a7ae5d8729247035beb
  const FaultSpec f = parse_fault(
      "{\"id\": \"r\xec\", \"target\": \"vendor:primary\", \"kind\": \"error\", \"status\": 429, "
      "\"retry_after\": \"3s\", \"first_n\": 3}");
  const json shown = json::parse(net::fault_json(f));
  REQUIRE(shown["id"] == "r\xef\xbf\xbd");
  REQUIRE(shown["status"] == 429);
}

TEST_CASE("Adding a live fault whose id is not UTF-8 answers with JSON", "[net][fuzz]") {
  // fuzz/corpus/live_control/crash-42e001854ee60277a93810747381579d5fede304
  const std::string body =
      "{\"id\": \"\xa9hr-down\", \"target\": \"ehr\", \"kind\": \"error\", \"status\": 503, \"for\": \"1m\"}";
  const Fakes fakes = testing::small_fakes();
  const World world = World::generate(fakes.world);
  net::LiveFaults faults;
  net::LiveMetrics metrics;
  net::LiveContext ctx{fakes, world, faults, metrics, 1};
  const net::ServerResponse r = net::handle_live_control(ctx, net::ServerRequest{"POST", "/faults", {}, body}, {});
  REQUIRE(r.status == 201);
  REQUIRE(json::parse(r.body)["id"] == "\xef\xbf\xbdhr-down");
}
