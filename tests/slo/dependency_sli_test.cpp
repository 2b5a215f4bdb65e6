// Per-dependency SLIs: the detector's counts of the calls each request carries (EHR, vendor chat,
// embeddings), the vendor filter, burn rates on dependency SLOs, conditions reading them, and the
// Prometheus rules and series that mirror them.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "playbook/condition.hpp"
#include "sim/journal.hpp"
#include "sim/scheduler.hpp"
#include "slo/detector.hpp"
#include "slo/prom_rules.hpp"

#include "slo/detector_support.hpp"

using namespace gameday;
using gameday::test::alert_log;
using gameday::test::request;
using gameday::test::threshold;

namespace {

DependencyCall ehr(int status, Duration latency = 50 * kMillisecond) {
  return DependencyCall{Dependency::kEhr, "", status, latency};
}
DependencyCall chat(const std::string& vendor, int status) {
  return DependencyCall{Dependency::kVendor, vendor, status, kSecond};
}
DependencyCall embeddings(const std::string& vendor, int status) {
  return DependencyCall{Dependency::kEmbeddings, vendor, status, 100 * kMillisecond};
}

// A hand-built window: 10 requests at 1 s .. 10 s, each with the calls `calls_of(i)`.
void observe_window(Detector& d, const std::function<std::vector<DependencyCall>(int)>& calls_of) {
  for (int i = 0; i < 10; ++i) {
    RequestEvent r = request(2 * kSecond);
    r.calls = calls_of(i);
    d.observe((i + 1) * kSecond, r);
  }
}

}  // namespace

TEST_CASE("Dependency SLIs count the calls each request carries", "[slo][dependency]") {
  Scenario sc;
  VirtualScheduler s;
  Journal j;
  Detector d(sc, s, j);
  // 10 requests; each makes 2 EHR calls (request 0 and 1: one timed out, one 500), one chat call
  // (requests 0-2 answered 429, request 3 a 503; request 9 to the secondary) and one embeddings
  // call (requests 0-4 failed with 503).
  observe_window(d, [](int i) {
    std::vector<DependencyCall> calls = {ehr(i == 0 ? 0 : i == 1 ? 500 : 200, (i + 1) * 100 * kMillisecond),
                                         ehr(200, 20 * kMillisecond)};
    calls.push_back(embeddings("primary", i < 5 ? 503 : 200));
    calls.push_back(chat(i == 9 ? "secondary" : "primary", i < 3 ? 429 : i == 3 ? 503 : 200));
    return calls;
  });
  s.run_until(20 * kSecond);
  const Duration w = kMinute;
  CHECK(d.sli(Sli::kEhrErrorRatio, w).value() == Approx(2.0 / 20));
  CHECK(d.sli(Sli::kVendorErrorRatio, w).value() == Approx(4.0 / 10));
  CHECK(d.sli(Sli::kVendorThrottleRatio, w).value() == Approx(3.0 / 10));
  CHECK(d.sli(Sli::kEmbeddingErrorRatio, w).value() == Approx(5.0 / 10));
  // p95 of 20 EHR latencies: ten of 20 ms, then 100 ms .. 1 s; the 19th is 900 ms.
  CHECK(d.sli(Sli::kEhrLatency, w).value() == Approx(0.9).epsilon(0.1));
  // User-request SLIs are untouched by the calls.
  CHECK(d.sli(Sli::kErrorRatio, w).value() == 0);
}

TEST_CASE("Vendor SLIs narrow to one vendor and read nothing for a vendor without calls", "[slo][dependency]") {
  Scenario sc;
  VirtualScheduler s;
  Journal j;
  Detector d(sc, s, j);
  observe_window(d, [](int i) {
    return std::vector<DependencyCall>{chat(i % 2 ? "secondary" : "primary", i < 4 ? 429 : 200),
                                       embeddings(i % 2 ? "secondary" : "primary", i % 2 ? 200 : 503)};
  });
  s.run_until(20 * kSecond);
  // primary: requests 0, 2, 4, 6, 8 (0 and 2 throttled); secondary: 1, 3, 5, 7, 9 (1 and 3).
  CHECK(d.sli(Sli::kVendorThrottleRatio, kMinute, "primary").value() == Approx(2.0 / 5));
  CHECK(d.sli(Sli::kVendorErrorRatio, kMinute, "secondary").value() == Approx(2.0 / 5));
  CHECK(d.sli(Sli::kEmbeddingErrorRatio, kMinute, "primary").value() == Approx(1.0));
  CHECK(d.sli(Sli::kEmbeddingErrorRatio, kMinute, "secondary").value() == 0);
  CHECK_FALSE(d.sli(Sli::kVendorErrorRatio, kMinute, "tertiary"));
  // A window without calls has no value: no alert fires on it.
  CHECK_FALSE(d.sli(Sli::kEhrErrorRatio, kMinute));
  CHECK_FALSE(d.sli(Sli::kEhrLatency, kMinute));
}

TEST_CASE("A threshold alert on one vendor's error ratio ignores the other vendor", "[slo][dependency]") {
  Scenario sc;
  sc.evaluation_interval = 15 * kSecond;
  AlertSpec secondary = threshold("SecondaryErrors", "vendor_error_ratio", kMinute, 0.2);
  secondary.vendor = "secondary";
  sc.alerts = {threshold("AnyVendorErrors", "vendor_error_ratio", kMinute, 0.2), secondary};
  VirtualScheduler s;
  Journal j;
  Detector d(sc, s, j);
  // Every primary call fails, every secondary call succeeds; four primary calls to one secondary.
  test::feed(s, d, 0, 120 * kSecond, 200 * kMillisecond, [](SimTime, long i) {
    RequestEvent r = request(kSecond);
    r.calls = {i % 5 == 0 ? chat("secondary", 200) : chat("primary", 500)};
    return r;
  });
  d.start(120 * kSecond);
  s.run_until(120 * kSecond);
  const auto log = alert_log(j);
  REQUIRE(log.size() == 1);
  CHECK(log[0].name == "AnyVendorErrors");
  CHECK(log[0].summary.find("vendor_error_ratio 80% > 20% over 1m") == 0);
}

TEST_CASE("A burn-rate alert on an ehr_availability SLO counts EHR calls, not requests", "[slo][dependency]") {
  Scenario sc;
  sc.evaluation_interval = 15 * kSecond;
  sc.slos = {SloSpec{"ehr", SloKind::kEhrAvailability, 0.99, 0, 30 * 24 * kHour}};
  AlertSpec burn;
  burn.name = "EhrBurn";
  burn.type = AlertType::kBurnRate;
  burn.slo = "ehr";
  burn.windows = {BurnWindow{5 * kMinute, kMinute, 10}};
  sc.alerts = {burn};
  VirtualScheduler s;
  Journal j;
  Detector d(sc, s, j);
  // Every request is ok for the user (a retry succeeded) but one of its two EHR calls failed:
  // half the EHR calls are bad, a burn of 50x.
  test::feed(s, d, 0, 120 * kSecond, 500 * kMillisecond, [](SimTime, long) {
    RequestEvent r = request(kSecond);
    r.calls = {ehr(503), ehr(200)};
    return r;
  });
  d.start(120 * kSecond);
  s.run_until(120 * kSecond);
  const auto log = alert_log(j);
  REQUIRE_FALSE(log.empty());
  CHECK(log[0].name == "EhrBurn");
  CHECK(log[0].value == Approx(50));
}

TEST_CASE("Conditions read dependency SLIs, narrowed to a vendor when they name one", "[slo][dependency][playbook]") {
  Scenario sc;
  VirtualScheduler s;
  Journal j;
  Detector d(sc, s, j);
  observe_window(d, [](int i) {
    return std::vector<DependencyCall>{embeddings(i < 5 ? "primary" : "secondary", i < 5 ? 503 : 200)};
  });
  s.run_until(20 * kSecond);
  const DetectorSignals signals(d);
  ConditionSpec c;
  c.sli = Sli::kEmbeddingErrorRatio;
  c.op = CompareOp::kGreater;
  c.value = 0.9;
  c.window = kMinute;
  // Half the calls failed overall; all of the primary's did.
  CHECK_FALSE(evaluate_condition(c, &signals).holds);
  c.vendor = "primary";
  const ConditionReading r = evaluate_condition(c, &signals);
  CHECK(r.holds);
  CHECK(r.observed == "embedding_error_ratio(primary) 1");
  CHECK(describe_condition(c) == "embedding_error_ratio(primary) > 0.9 over 1m");
}

TEST_CASE("Conditions read the canary, PHI-in-output and refusal SLIs", "[slo][playbook]") {
  Scenario sc;
  VirtualScheduler s;
  Journal j;
  Detector d(sc, s, j);
  for (int i = 0; i < 10; ++i) {
    RequestEvent r = request(kSecond);
    r.canary_seen = i == 0;
    r.phi_detected = i < 2;
    r.refused = i < 3;
    d.observe((i + 1) * kSecond, r);
  }
  s.run_until(20 * kSecond);
  const DetectorSignals signals(d);
  for (const auto& [sli, share] : {std::pair{Sli::kCanaryRatio, 0.1}, std::pair{Sli::kPhiOutputRatio, 0.2},
                                   std::pair{Sli::kRefusalRatio, 0.3}}) {
    ConditionSpec c;
    c.sli = sli;
    c.op = CompareOp::kGreater;
    c.value = share - 0.05;
    c.window = kMinute;
    CHECK(evaluate_condition(c, &signals).holds);
    c.value = share + 0.05;
    CHECK_FALSE(evaluate_condition(c, &signals).holds);
  }
}

TEST_CASE("Prometheus rules for dependency SLIs read the dependency call counters", "[slo][prom][dependency]") {
  Scenario sc;
  sc.name = "deps";
  AlertSpec embed = threshold("EmbeddingsFailing", "embedding_error_ratio", 2 * kMinute, 0.2);
  embed.vendor = "primary";
  AlertSpec throttled = threshold("Throttled", "vendor_throttle_ratio", 5 * kMinute, 0.1);
  sc.alerts = {embed, throttled, threshold("EhrErrors", "ehr_error_ratio", kMinute, 0.05),
               threshold("EhrSlow", "ehr_latency", 2 * kMinute, 2.5)};
  CHECK(prometheus_alert_expr(sc.alerts[0], sc) ==
        "(sum(rate(gameday_dependency_calls_total{dependency=\"embeddings\",vendor=\"primary\",outcome!=\"ok\"}[2m]))"
        " / sum(rate(gameday_dependency_calls_total{dependency=\"embeddings\",vendor=\"primary\"}[2m]))) > 0.2");
  CHECK(prometheus_alert_expr(sc.alerts[1], sc) ==
        "(sum(rate(gameday_dependency_calls_total{dependency=\"vendor\",outcome=\"throttled\"}[5m]))"
        " / sum(rate(gameday_dependency_calls_total{dependency=\"vendor\"}[5m]))) > 0.1");
  CHECK(prometheus_alert_expr(sc.alerts[2], sc) ==
        "(sum(rate(gameday_dependency_calls_total{dependency=\"ehr\",outcome!=\"ok\"}[1m]))"
        " / sum(rate(gameday_dependency_calls_total{dependency=\"ehr\"}[1m]))) > 0.05");
  CHECK(prometheus_alert_expr(sc.alerts[3], sc) ==
        "histogram_quantile(0.95, sum by (le) (rate(gameday_dependency_call_duration_seconds_bucket"
        "{dependency=\"ehr\"}[2m]))) > 2.5");
  const std::string yaml = prometheus_rules_yaml(sc);
  CHECK(yaml.find("summary: 'embedding_error_ratio (vendor primary) > 0.2 over 2m'") != std::string::npos);
}

TEST_CASE("Dependency SLOs count calls in the SLO events the burn-rate rules read", "[slo][prom][dependency]") {
  const SloSpec embed{"embeddings", SloKind::kEmbeddingAvailability, 0.99, 0, 30 * 24 * kHour, "primary"};
  const SloSpec ehr_slow{"ehr-latency", SloKind::kEhrLatency, 0.95, kSecond, 30 * 24 * kHour};
  CHECK(slo_call_good(embed, embeddings("primary", 503)) == false);
  CHECK(slo_call_good(embed, embeddings("primary", 200)) == true);
  CHECK_FALSE(slo_call_good(embed, embeddings("secondary", 503)));
  CHECK_FALSE(slo_call_good(embed, chat("primary", 503)));
  CHECK(slo_call_good(ehr_slow, ehr(200, 2 * kSecond)) == false);
  CHECK(slo_call_good(ehr_slow, ehr(200, 500 * kMillisecond)) == true);
  CHECK(call_outcome(chat("primary", 429)) == "throttled");
  CHECK(call_outcome(ehr(0)) == "error");
  CHECK(call_outcome(ehr(200)) == "ok");
}
