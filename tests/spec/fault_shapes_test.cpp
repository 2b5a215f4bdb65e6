// Fault shapes: a ramp's value over time, a fault as it acts at a moment of its ramp, the
// windows of a repeated fault, and how both are described.
#include <catch2/catch.hpp>

#include "spec/fault.hpp"

namespace gameday {
namespace {

FaultSpec error_ramp() {
  FaultSpec f;
  f.id = "degrading";
  f.target = "vendor:primary";
  f.params = ErrorFault{};
  f.probability = 0;
  f.ramps.push_back(ParamRamp{"probability", Ramp{0, 0.3, 20 * kMinute}, false});
  return f;
}

}  // namespace

TEST_CASE("A ramp starts at from, moves in a straight line and holds to after over", "[spec][faults][ramp]") {
  const Ramp r{0.1, 0.5, 20 * kMinute};
  CHECK(r.value_at(-kSecond) == Approx(0.1));
  CHECK(r.value_at(0) == Approx(0.1));
  CHECK(r.value_at(5 * kMinute) == Approx(0.2));
  CHECK(r.value_at(10 * kMinute) == Approx(0.3));
  CHECK(r.value_at(20 * kMinute) == Approx(0.5));
  CHECK(r.value_at(3 * kHour) == Approx(0.5));
  // Downward ramps too.
  const Ramp down{1.0, 0.0, kMinute};
  CHECK(down.value_at(15 * kSecond) == Approx(0.75));
}

TEST_CASE("A fault acts with each ramped parameter at its value for the time since its start", "[spec][faults][ramp]") {
  const FaultSpec f = error_ramp();
  CHECK(at_elapsed(f, 0).probability == Approx(0));
  CHECK(at_elapsed(f, 10 * kMinute).probability == Approx(0.15));
  CHECK(at_elapsed(f, 20 * kMinute).probability == Approx(0.3));
  CHECK(at_elapsed(f, 40 * kMinute).probability == Approx(0.3));

  FaultSpec slow;
  slow.target = "ehr";
  slow.params = LatencyFault{DurationDist{DistKind::kLognormal, 0, 0, 0, 0, 200 * kMillisecond, 0.3}};
  slow.ramps.push_back(ParamRamp{"delay", Ramp{2e5, 8e6, 10 * kMinute}, true});
  const DurationDist mid = at_elapsed(slow, 5 * kMinute).as<LatencyFault>()->delay;
  CHECK(mid.median == 4'100'000);
  CHECK(mid.sigma == Approx(0.3));
  CHECK(at_elapsed(slow, kHour).as<LatencyFault>()->delay.median == 8 * kSecond);

  FaultSpec drift;
  drift.target = "vendor:primary";
  drift.params = DriftFault{"m-2", 0, 0.1};
  drift.ramps.push_back(ParamRamp{"hallucination_rate", Ramp{0, 0.4, kMinute}, false});
  const FaultSpec half = at_elapsed(drift, 30 * kSecond);
  CHECK(half.as<DriftFault>()->hallucination_rate == Approx(0.2));
  CHECK(half.as<DriftFault>()->refusal_rate == Approx(0.1));
}

TEST_CASE("A repeated fault's windows start every period from at", "[spec][faults][repeat]") {
  FaultSpec f = error_ramp();
  f.at = 10 * kMinute;
  f.duration = 2 * kMinute;
  CHECK(window_starts(f) == std::vector<SimTime>{10 * kMinute});
  f.repeat = FaultRepeat{4 * kMinute, 6};
  const std::vector<SimTime> starts = window_starts(f);
  REQUIRE(starts.size() == 6);
  CHECK(starts.front() == 10 * kMinute);
  CHECK(starts[2] == 18 * kMinute);
  CHECK(starts.back() == 30 * kMinute);
  // The last window ends at 32m: nothing after it.
  CHECK(starts.back() + f.duration == 32 * kMinute);
}

TEST_CASE("A fault's description shows its ramps and its repeat", "[spec][faults][ramp]") {
  FaultSpec f = error_ramp();
  CHECK(describe_fault(f) == "status 503, probability ramps 0% -> 30% over 20m");
  f.repeat = FaultRepeat{4 * kMinute, 6};
  f.duration = 2 * kMinute;
  f.ramps.clear();
  f.probability = 0.8;
  CHECK(describe_fault(f) == "status 503 on 80% of requests, repeats every 4m for 2m, 6 times");
  FaultSpec slow;
  slow.params = LatencyFault{DurationDist{DistKind::kFixed, 200 * kMillisecond, 0, 0, 0, 0, 0}};
  slow.ramps.push_back(ParamRamp{"delay", Ramp{2e5, 8e6, 20 * kMinute}, true});
  CHECK(describe_fault(slow) == "+200ms, delay ramps 200ms -> 8s over 20m");
}

}  // namespace gameday
