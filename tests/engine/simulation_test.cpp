#include <catch2/catch.hpp>

#include "engine/simulation.hpp"
#include "support/fixtures.hpp"

using namespace gameday;
using namespace gameday::testing;

namespace {

ScenarioBundle latency_bundle() {
  ScenarioBundle b;
  b.fakes = small_fakes();
  Scenario& s = b.scenario;
  s.name = "unit-latency";
  s.duration = 40 * kMinute;
  s.workload.rate_per_s = 2;
  s.slos = {SloSpec{"availability", "availability", 0.99, 0, 30 * 24 * kHour}};
  AlertSpec a;
  a.name = "Slow";
  a.type = "threshold";
  a.sli = "latency_p95";
  a.window = 2 * kMinute;
  a.above = 5;
  a.for_duration = kMinute;
  s.alerts = {a};
  s.ack_delay = fixed(90 * kSecond);
  FaultSpec f;
  f.id = "slow-primary";
  f.at = 5 * kMinute;
  f.duration = 20 * kMinute;
  f.target = "vendor:primary";
  f.kind = "latency";
  f.delay = fixed(12 * kSecond);
  s.faults = {f};
  s.sustain = 2 * kMinute;
  Playbook pb;
  pb.name = "failover";
  pb.trigger.alert = "Slow";
  StepSpec st;
  st.kind = "model.failover";
  st.name = "failover";
  st.to = "secondary";
  pb.steps = {st};
  b.playbooks = {pb};
  return b;
}

std::string dump(const Journal& j) {
  std::string out;
  for (const auto& e : j.events()) {
    append_json(out, e);
    out += '\n';
  }
  return out;
}

template <typename T>
std::vector<SimTime> times_of(const Journal& j) {
  std::vector<SimTime> out;
  for (const auto& e : j.events()) {
    if (std::holds_alternative<T>(e.body)) out.push_back(e.t);
  }
  return out;
}

}  // namespace

TEST_CASE("A simulation is reproducible from its seed and differs across seeds", "[engine]") {
  const ScenarioBundle b = latency_bundle();
  Journal j1, j2, j3;
  run_simulation(b, SimOptions{3, true}, j1);
  run_simulation(b, SimOptions{3, true}, j2);
  run_simulation(b, SimOptions{4, true}, j3);
  REQUIRE(dump(j1) == dump(j2));
  REQUIRE(dump(j1) != dump(j3));
}

TEST_CASE("A latency fault is detected, acknowledged and failed over by the playbook", "[engine]") {
  const ScenarioBundle b = latency_bundle();
  Journal j;
  const SimStats stats = run_simulation(b, SimOptions{1, true}, j);
  REQUIRE(stats.requests == Approx(2 * 40 * 60).epsilon(0.1));
  REQUIRE(times_of<FaultStartEvent>(j) == std::vector<SimTime>{5 * kMinute});
  const auto fires = times_of<AlertFireEvent>(j);
  REQUIRE_FALSE(fires.empty());
  REQUIRE(fires[0] > 5 * kMinute);
  REQUIRE(fires[0] < 9 * kMinute);
  REQUIRE(times_of<AckEvent>(j).at(0) == fires[0] + 90 * kSecond);
  REQUIRE(times_of<ControlChangeEvent>(j) == std::vector<SimTime>{fires[0]});
  // After the failover every user request is served by the secondary vendor.
  bool after_ok = true;
  for (const auto& e : j.events()) {
    const auto* r = std::get_if<RequestEvent>(&e.body);
    if (r && r->arrival > fires[0] + kSecond && r->status == RequestStatus::kOk) {
      after_ok = after_ok && r->vendor == "secondary";
    }
  }
  REQUIRE(after_ok);
  REQUIRE(std::holds_alternative<RunEndEvent>(j.events().back().body));
  REQUIRE(std::holds_alternative<RunStartEvent>(j.events().front().body));
}

TEST_CASE("With playbooks disabled the fault runs its course", "[engine]") {
  const ScenarioBundle b = latency_bundle();
  Journal j;
  run_simulation(b, SimOptions{1, false}, j);
  REQUIRE(times_of<PlaybookStartEvent>(j).empty());
  REQUIRE(times_of<ControlChangeEvent>(j).empty());
  REQUIRE(times_of<FaultEndEvent>(j) == std::vector<SimTime>{25 * kMinute});
  REQUIRE_FALSE(std::get<RunStartEvent>(j.events().front().body).playbooks_enabled);
}
