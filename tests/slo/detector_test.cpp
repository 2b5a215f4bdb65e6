#include <catch2/catch.hpp>

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/journal.hpp"
#include "sim/scheduler.hpp"
#include "slo/detector.hpp"
#include "slo/histogram.hpp"
#include "slo/ring.hpp"

#include "slo/detector_support.hpp"

using namespace gameday;
using gameday::test::alert_log;
using gameday::test::feed;
using gameday::test::request;
using gameday::test::threshold;

TEST_CASE("Threshold alert fires after its for duration and resolves when latency recovers", "[slo]") {
  Scenario sc;
  sc.evaluation_interval = 15 * kSecond;
  sc.alerts.push_back(threshold("LatencyHigh", "latency_p95", kMinute, 2.0, 30 * kSecond));
  VirtualScheduler s;
  Journal j;
  Detector d(sc, s, j);
  // 10 requests a second; 5 s answers between 121 s and 300 s, 500 ms otherwise.
  feed(s, d, 0, 600 * kSecond, 100 * kMillisecond, [](SimTime t, long) {
    return request(t >= 121 * kSecond && t < 300 * kSecond ? 5 * kSecond : 500 * kMillisecond);
  });
  std::vector<std::string> fired;
  d.on_fire([&](const AlertSpec& a) { fired.push_back(a.name); });
  d.start(600 * kSecond);
  s.run_until(600 * kSecond);

  const auto log = alert_log(j);
  REQUIRE(log.size() == 2);
  // The condition first holds at the 135 s evaluation ([75 s, 135 s) holds 140 slow answers of
  // 600); for 30 s makes it fire at 165 s.
  CHECK(log[0].kind == "fire");
  CHECK(log[0].t == 165 * kSecond);
  CHECK(log[0].value == Approx(5.0).epsilon(0.05));
  CHECK(log[0].summary.find("latency_p95") == 0);
  CHECK(log[0].summary.find("> 2s over 1m") != std::string::npos);
  // At 345 s [285 s, 345 s) still holds 150 slow answers; [300 s, 360 s) holds none.
  CHECK(log[1].kind == "resolve");
  CHECK(log[1].t == 360 * kSecond);
  CHECK(fired == std::vector<std::string>{"LatencyHigh"});
  CHECK(d.firing().empty());
}

TEST_CASE("Threshold alert that stops holding while pending never fires", "[slo]") {
  Scenario sc;
  sc.evaluation_interval = 15 * kSecond;
  sc.alerts.push_back(threshold("Errors", "error_ratio", kMinute, 0.2, 2 * kMinute));
  VirtualScheduler s;
  Journal j;
  Detector d(sc, s, j);
  // 50 % errors for 60 s: holds for at most 75 s of evaluations, less than the 2 m `for`.
  feed(s, d, 0, 400 * kSecond, 100 * kMillisecond, [](SimTime t, long i) {
    const bool burst = t >= 100 * kSecond && t < 160 * kSecond;
    return request(100 * kMillisecond, burst && i % 2 == 0 ? RequestStatus::kError : RequestStatus::kOk);
  });
  d.start(400 * kSecond);
  s.run_until(400 * kSecond);
  CHECK(alert_log(j).empty());
}

TEST_CASE("Threshold alert with no for duration fires at the first true evaluation", "[slo]") {
  Scenario sc;
  sc.evaluation_interval = 10 * kSecond;
  sc.alerts.push_back(threshold("Errors", "error_ratio", 30 * kSecond, 0.1));
  VirtualScheduler s;
  Journal j;
  Detector d(sc, s, j);
  feed(s, d, 42 * kSecond, 43 * kSecond, 100 * kMillisecond,
       [](SimTime, long) { return request(kSecond, RequestStatus::kTimeout); });
  d.start(kMinute);
  s.run_until(kMinute);
  const auto log = alert_log(j);
  REQUIRE(log.size() == 1);
  CHECK(log[0].t == 50 * kSecond);
  CHECK(log[0].value == Approx(1.0));
  CHECK(log[0].summary == "error_ratio 100% > 10% over 30s");
  CHECK(d.firing() == std::vector<std::string>{"Errors"});
}

TEST_CASE("An empty window never satisfies a threshold, even one below zero", "[slo]") {
  Scenario sc;
  sc.evaluation_interval = 10 * kSecond;
  sc.alerts.push_back(threshold("AnyLatency", "latency_p99", 30 * kSecond, -1));
  VirtualScheduler s;
  Journal j;
  Detector d(sc, s, j);
  d.start(kMinute);
  s.run_until(kMinute);
  CHECK(alert_log(j).empty());
  CHECK_FALSE(d.sli(Sli::kLatencyP99, kMinute).has_value());
  CHECK_FALSE(d.sli(Sli::kErrorRatio, kMinute).has_value());
  CHECK(*d.sli(Sli::kRequestRate, kMinute) == 0.0);
}

TEST_CASE("Burn-rate alert needs both the long and the short window above the factor", "[slo]") {
  Scenario sc;
  sc.evaluation_interval = 15 * kSecond;
  sc.slos.push_back(SloSpec{"availability", SloKind::kAvailability, 0.99, 0, 30 * 24 * kHour});
  AlertSpec a;
  a.name = "BudgetBurn";
  a.type = AlertType::kBurnRate;
  a.slo = "availability";
  a.windows.push_back(BurnWindow{10 * kMinute, kMinute, 10});
  sc.alerts.push_back(a);
  VirtualScheduler s;
  Journal j;
  Detector d(sc, s, j);
  // 10 requests a second. A 30 s burst of 50 % errors at 300 s (burns the short window only),
  // then 30 % errors from 1000 s to 1600 s.
  feed(s, d, 0, 1800 * kSecond, 100 * kMillisecond, [](SimTime t, long i) {
    bool error = false;
    if (t >= 300 * kSecond && t < 330 * kSecond) error = i % 2 == 0;
    if (t >= 1000 * kSecond && t < 1600 * kSecond) error = i % 10 < 3;
    return request(200 * kMillisecond, error ? RequestStatus::kError : RequestStatus::kOk);
  });
  d.start(1800 * kSecond);
  s.run_until(1800 * kSecond);

  const auto log = alert_log(j);
  REQUIRE(log.size() == 2);
  // At 1200 s the 10 m window [600 s, 1200 s) holds 200 s of 30 % errors: burn exactly 10, not
  // above it. At 1215 s it holds 215 s: burn 10.75; the short window burns at 30.
  CHECK(log[0].kind == "fire");
  CHECK(log[0].t == 1215 * kSecond);
  CHECK(log[0].value == Approx(10.75));  // min(long, short) of the pair that holds
  CHECK(log[0].summary == "availability 99% burn 10.75x over 10m and 30x over 1m > 10x");
  // After the errors stop the short window clears first: at 1650 s it holds 10 s of errors
  // (5 %, burn 5) while the long window still burns above 10.
  CHECK(log[1].kind == "resolve");
  CHECK(log[1].t == 1650 * kSecond);
}

TEST_CASE("Burn-rate alert on a latency SLO counts slow answers as errors", "[slo]") {
  Scenario sc;
  sc.evaluation_interval = 15 * kSecond;
  sc.slos.push_back(SloSpec{"fast", SloKind::kLatency, 0.9, 2 * kSecond, 30 * 24 * kHour});
  AlertSpec a;
  a.name = "SlowBurn";
  a.type = AlertType::kBurnRate;
  a.slo = "fast";
  a.windows.push_back(BurnWindow{5 * kMinute, kMinute, 2});
  sc.alerts.push_back(a);
  VirtualScheduler s;
  Journal j;
  Detector d(sc, s, j);
  // Every request succeeds, but half are 3 s from 60 s on: 50 % "errors" = burn 5 on a 90 % SLO.
  feed(s, d, 0, 400 * kSecond, 100 * kMillisecond, [](SimTime t, long i) {
    return request(t >= 60 * kSecond && i % 2 == 0 ? 3 * kSecond : kSecond);
  });
  d.start(400 * kSecond);
  s.run_until(400 * kSecond);
  const auto log = alert_log(j);
  REQUIRE_FALSE(log.empty());
  CHECK(log[0].kind == "fire");
  CHECK(log[0].name == "SlowBurn");
  CHECK(d.firing() == std::vector<std::string>{"SlowBurn"});
  CHECK(*d.sli(Sli::kErrorRatio, kMinute) == 0.0);
}

TEST_CASE("Probe requests are ignored by the detector", "[slo]") {
  Scenario sc;
  sc.evaluation_interval = 10 * kSecond;
  sc.alerts.push_back(threshold("Errors", "error_ratio", kMinute, 0.01));
  VirtualScheduler s;
  Journal j;
  Detector d(sc, s, j);
  feed(s, d, 0, kMinute, 100 * kMillisecond, [](SimTime, long) {
    RequestEvent r = request(20 * kSecond, RequestStatus::kError);
    r.probe = true;
    return r;
  });
  d.start(kMinute);
  s.run_until(kMinute);
  CHECK(alert_log(j).empty());
  CHECK_FALSE(d.sli(Sli::kErrorRatio, kMinute).has_value());
  CHECK_FALSE(d.sli(Sli::kLatencyP95, kMinute).has_value());
}

TEST_CASE("The detector ignores the truth fields of a request", "[slo]") {
  Scenario sc;
  sc.evaluation_interval = 10 * kSecond;
  sc.alerts.push_back(threshold("Errors", "error_ratio", kMinute, 0.0));
  sc.alerts.push_back(threshold("Citations", "citation_invalid_ratio", kMinute, 0.0));
  for (const char* sli : {"schema_invalid_ratio", "canary_ratio", "phi_output_ratio", "refusal_ratio"}) {
    sc.alerts.push_back(threshold(sli, sli, kMinute, 0.0));
  }
  sc.slos.push_back(SloSpec{"safe", SloKind::kSafety, 0.99, 0, 30 * 24 * kHour});
  AlertSpec burn;
  burn.name = "SafetyBurn";
  burn.type = AlertType::kBurnRate;
  burn.slo = "safe";
  burn.preset = BurnPreset::kStandard;
  burn.scale = 1.0 / 60;
  sc.alerts.push_back(burn);
  VirtualScheduler s;
  Journal j;
  Detector d(sc, s, j);
  // Unsafe, incorrect answers that look fine from outside: nothing a detector can see.
  feed(s, d, 0, kMinute, kSecond, [](SimTime, long) {
    RequestEvent r = request(kSecond);
    r.unsafe = true;
    r.correct = false;
    r.unsafe_kind = "injection_followed";
    r.cause = "citation_invalid";
    r.grounded = false;
    r.injection_attempted = true;
    r.injection_followed = true;
    r.phi_to_vendor = true;
    r.phi_in_logs = true;
    r.root_cause = "retrieval";
    r.faults = {"poisoned-note"};
    return r;
  });
  d.start(kMinute);
  s.run_until(kMinute);
  CHECK(alert_log(j).empty());
}

TEST_CASE("Citation-invalid ratio is the share of requests with invalid citations", "[slo]") {
  Scenario sc;
  VirtualScheduler s;
  Journal j;
  Detector d(sc, s, j);
  for (int i = 0; i < 8; ++i) {
    RequestEvent r = request(kSecond);
    r.citations_valid = i % 4 != 0;
    d.observe(i * kSecond, r);
  }
  s.run_until(8 * kSecond);
  CHECK(*d.sli(Sli::kCitationInvalidRatio, kMinute) == Approx(0.25));
  // [4 s, 8 s) holds the requests at 4, 5, 6 and 7 s.
  CHECK(*d.sli(Sli::kRequestRate, 4 * kSecond) == Approx(4.0 / 4.0));
}

TEST_CASE("Latency percentiles are accurate within the histogram resolution", "[slo]") {
  Scenario sc;
  VirtualScheduler s;
  Journal j;
  Detector d(sc, s, j);
  // 1..2000 ms, evenly spread; true p95 = 1900 ms, p99 = 1980 ms.
  for (int ms = 1; ms <= 2000; ++ms) d.observe(ms * 10 * kMillisecond, request(ms * kMillisecond));
  s.run_until(20 * kSecond);
  CHECK(*d.sli(Sli::kLatencyP95, kMinute) == Approx(1.9).epsilon(0.045));
  CHECK(*d.sli(Sli::kLatencyP99, kMinute) == Approx(1.98).epsilon(0.045));
  // A 5 s window at 20 s is [15 s, 20 s): the requests of 1500..1999 ms, p95 = 1974 ms.
  CHECK(*d.sli(Sli::kLatencyP95, 5 * kSecond) == Approx(1.974).epsilon(0.045));
}

TEST_CASE("Latency bins cover 1 ms to about 17 minutes with about 9 percent resolution", "[slo]") {
  CHECK(LatencyBins::bin_of(0) == 0);
  CHECK(LatencyBins::bin_of(999) == 0);
  CHECK(LatencyBins::bin_of(kMillisecond) == 1);
  CHECK(LatencyBins::bin_of(kHour) == LatencyBins::kCount - 1);
  for (Duration v : {Duration{1500}, 250 * kMillisecond, 7800 * kMillisecond, 9 * kMinute}) {
    const int b = LatencyBins::bin_of(v);
    CHECK(LatencyBins::lower(b) <= v);
    CHECK(v < LatencyBins::upper(b));
    CHECK(static_cast<double>(LatencyBins::representative(b)) == Approx(static_cast<double>(v)).epsilon(0.045));
  }
  LatencyCounts empty{};
  CHECK(latency_quantile(empty, 0.95) == -1);
}

TEST_CASE("Bucket ring forgets buckets older than its span and drops late events", "[slo]") {
  BucketRing ring(kSecond, 3, 1);
  for (SimTime t : {0 * kSecond, 1 * kSecond, 2 * kSecond, 3 * kSecond}) ++ring.at(t)[0];
  std::uint64_t sum = 0;
  CHECK(ring.sum(4 * kSecond, kHour, &sum) == 3 * kSecond);  // clamped to the span: 1..3 s
  CHECK(sum == 3);
  CHECK(ring.at(0) == nullptr);  // its slot now holds the 3 s bucket
  sum = 0;
  ring.sum(4 * kSecond, kSecond, &sum);
  CHECK(sum == 1);
  sum = 0;
  ring.sum(3 * kSecond, 2 * kSecond, &sum);  // [1 s, 3 s): the bucket at 3 s is not yet due
  CHECK(sum == 2);
  CHECK(bucket_width_for(6 * kHour, 4096) == 6 * kSecond);
  CHECK(bucket_width_for(kMinute, 4096) == kSecond);
}

TEST_CASE("Alert callbacks run after the journal event is appended", "[slo]") {
  Scenario sc;
  sc.evaluation_interval = 10 * kSecond;
  sc.alerts.push_back(threshold("Errors", "error_ratio", 10 * kSecond, 0.5));
  VirtualScheduler s;
  Journal j;
  Detector d(sc, s, j);
  std::vector<std::string> seen;
  d.on_fire([&](const AlertSpec& a) {
    REQUIRE(std::holds_alternative<AlertFireEvent>(j.events().back().body));
    seen.push_back("fire " + a.name + " " + d.firing().front());
  });
  d.on_resolve([&](const AlertSpec& a) {
    REQUIRE(std::holds_alternative<AlertResolveEvent>(j.events().back().body));
    seen.push_back("resolve " + a.name);
  });
  s.at(5 * kSecond, [&] { d.observe(5 * kSecond, request(kSecond, RequestStatus::kError)); });
  s.at(25 * kSecond, [&] { d.observe(25 * kSecond, request(kSecond)); });
  d.start(kMinute);
  s.run_until(kMinute);
  CHECK(seen == std::vector<std::string>{"fire Errors Errors", "resolve Errors"});
}

TEST_CASE("The detector rejects alert rules it cannot evaluate", "[slo]") {
  VirtualScheduler s;
  Journal j;
  Scenario unknown_slo;
  AlertSpec a;
  a.name = "Burn";
  a.type = AlertType::kBurnRate;
  a.slo = "missing";
  a.windows.push_back(BurnWindow{});
  unknown_slo.alerts.push_back(a);
  CHECK_THROWS_AS(Detector(unknown_slo, s, j), std::invalid_argument);

  Scenario no_interval;
  no_interval.evaluation_interval = 0;
  CHECK_THROWS_AS(Detector(no_interval, s, j), std::invalid_argument);
}

TEST_CASE("Evaluations run at multiples of the interval until the end, exclusive", "[slo]") {
  Scenario sc;
  sc.evaluation_interval = 15 * kSecond;
  VirtualScheduler s;
  Journal j;
  Detector d(sc, s, j);
  d.start(kMinute);
  s.run_until(2 * kMinute);
  CHECK(s.executed() == 4);  // 0, 15, 30, 45 s
}

namespace {

// A clock that moves while the engine works, as real time does: each now() is 1 µs later.
class TickingScheduler final : public Scheduler {
 public:
  SimTime now() const override { return inner.now() + ++ticks; }
  void at(SimTime t, EventFn fn) override { inner.at(t, std::move(fn)); }
  std::uint64_t reserve_place() override { return inner.reserve_place(); }
  void at_place(SimTime t, std::uint64_t place, EventFn fn) override { inner.at_place(t, place, std::move(fn)); }
  VirtualScheduler inner;
  mutable SimTime ticks = 0;
};

}  // namespace

TEST_CASE("Alerts that fire at one evaluation are journaled after what the first one started", "[slo]") {
  Scenario sc;
  sc.evaluation_interval = 15 * kSecond;
  sc.alerts.push_back(threshold("SlowA", "latency_p95", kMinute, 2.0));
  sc.alerts.push_back(threshold("SlowB", "latency_p95", kMinute, 2.0));
  TickingScheduler s;
  Journal j;
  Detector d(sc, s, j);
  feed(s.inner, d, 0, 60 * kSecond, 100 * kMillisecond, [](SimTime, long) { return request(5 * kSecond); });
  // What a playbook started by the first alert journals, at the clock's time.
  d.on_fire([&](const AlertSpec& a) { j.append(s.now(), AckEvent{"on-call", a.name}); });
  d.start(60 * kSecond);
  s.inner.run_until(60 * kSecond);
  REQUIRE(alert_log(j).size() == 2);
  for (std::size_t i = 1; i < j.events().size(); ++i) CHECK(j.events()[i - 1].t <= j.events()[i].t);
}
