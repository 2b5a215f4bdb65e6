// The live fault board: ramps move with the time since a fault was added (in scenario time, at
// the drill's speed), and the specs listed keep their ramps.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "load/loader.hpp"
#include "net/control_server.hpp"
#include "net/live_faults.hpp"
#include "support/playbook_harness.hpp"
#include "support/wait.hpp"

using namespace gameday;
using gameday::net::HoldRelease;
using gameday::net::LiveFaults;

namespace {

const char* const kRamp =
    R"({"id": "up", "target": "vendor:primary", "kind": "error", "probability": {"ramp": [0, 1], "over": "1m"}})";

double probability_now(LiveFaults& faults) {
  std::vector<FaultSpec> out;
  faults.select("vendor:primary", RequestInfo{}, out);
  REQUIRE(out.size() == 1);
  return out[0].probability;
}

}  // namespace

TEST_CASE("A live fault's ramp starts when it is added and moves at the drill's speed", "[net][faults][ramp]") {
  // At a speed of 1e-9 scenario seconds per second, a minute's ramp has not moved measurably
  // within any test's lifetime; at 1e12 it is over within the first microsecond.
  LiveFaults slow;
  slow.set_speed(1e-9);
  REQUIRE(slow.add(parse_fault(kRamp)));
  CHECK(probability_now(slow) == Approx(0).margin(1e-6));

  LiveFaults fast;
  fast.set_speed(1e12);
  REQUIRE(fast.add(parse_fault(kRamp)));
  CHECK(probability_now(fast) == Approx(1));
  // What GET /faults lists is the fault as written, ramp and all.
  const auto listed = fast.list();
  REQUIRE(listed.size() == 1);
  REQUIRE(listed[0].ramps.size() == 1);
  CHECK(listed[0].probability == 0);
}

TEST_CASE("Live faults combine as the scenario says", "[net][faults][combine]") {
  LiveFaults faults;
  faults.set_combine(FaultCombine::kMax);
  REQUIRE(faults.add(parse_fault(R"({"id": "a", "target": "ehr", "kind": "error", "probability": 0.3})")));
  REQUIRE(faults.add(parse_fault(R"({"id": "b", "target": "ehr", "kind": "error", "probability": 0.6})")));
  std::vector<FaultSpec> out;
  faults.select("ehr", RequestInfo{}, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].id == "b");
}

TEST_CASE("Serve's control API lists a ramp as written and refuses a repeat it has no timeline for", "[net][faults][ramp][repeat]") {
  const Fakes fakes = testing::small_fakes();
  const World world = World::generate(fakes.world);
  LiveFaults faults;
  net::LiveMetrics metrics;
  net::LiveContext ctx{fakes, world, faults, metrics, 1};
  auto post = [&](const std::string& body) {
    return net::handle_live_control(ctx, net::ServerRequest{"POST", "/faults", {}, body}, {});
  };
  const net::ServerResponse added = post(kRamp);
  REQUIRE(added.status == 201);
  const auto listed = nlohmann::ordered_json::parse(
      net::handle_live_control(ctx, net::ServerRequest{"GET", "/faults", {}, ""}, {}).body);
  CHECK(listed["faults"][0]["probability"].dump() == R"({"ramp":[0.0,1.0],"over":"1m"})");
  const net::ServerResponse refused =
      post(R"({"id": "flap", "target": "ehr", "kind": "error", "repeat": {"every": "4m", "for": "2m", "times": 3}})");
  CHECK(refused.status == 400);
  CHECK(nlohmann::json::parse(refused.body)["error"]["message"] == "repeat applies only in a drill or a run");
}

TEST_CASE("LiveFaults ends a fault whose for has passed and keeps the others", "[net][faults]") {
  LiveFaults faults;
  FaultSpec brief;
  brief.id = "brief";
  brief.target = "ehr";
  brief.params = default_params(FaultKind::kTimeout);
  brief.duration = 1;  // one microsecond: due at once
  FaultSpec lasting = brief;
  lasting.id = "lasting";
  lasting.duration = 0;
  std::vector<std::string> ended;
  faults.subscribe([&](const HoldRelease& r) { ended = r.faults; });
  REQUIRE(faults.add(brief));
  REQUIRE(faults.add(lasting));
  REQUIRE(test_support::wait_until([&] { return faults.expire_due() == 1; }));
  CHECK_FALSE(faults.get("brief").has_value());
  CHECK(faults.get("lasting").has_value());
  CHECK(ended == std::vector<std::string>{"brief"});
  CHECK(faults.expire_due() == 0);
}
