// The detector's output, feedback and probe signals, the detector-side SLO kinds, and burn-rate
// windows scaled to drill length.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/journal.hpp"
#include "sim/scheduler.hpp"
#include "slo/burn_windows.hpp"
#include "slo/detector.hpp"

#include "slo/detector_support.hpp"

using namespace gameday;
using gameday::test::alert_log;
using gameday::test::feed;
using gameday::test::request;
using gameday::test::threshold;

namespace {

AlertSpec burn_rule(const std::string& name, const std::string& slo, BurnPreset preset,
                    double scale, Duration for_duration = 0) {
  AlertSpec a;
  a.name = name;
  a.type = AlertType::kBurnRate;
  a.slo = slo;
  a.preset = preset;
  a.scale = scale;
  a.for_duration = for_duration;
  return a;
}

}  // namespace

TEST_CASE("A canary alert with above 0 pages on the first output that carries a canary", "[slo]") {
  Scenario sc;
  sc.evaluation_interval = 15 * kSecond;
  sc.alerts.push_back(threshold("CanaryInOutput", "canary_ratio", 5 * kMinute, 0));
  VirtualScheduler s;
  Journal j;
  Detector d(sc, s, j);
  // 10 requests a second; exactly one output, at 100.3 s, holds a canary token.
  feed(s, d, 0, 600 * kSecond, 100 * kMillisecond, [](SimTime, long i) {
    RequestEvent r = request(kSecond);
    r.canary_seen = i == 1003;
    return r;
  });
  d.start(600 * kSecond);
  s.run_until(600 * kSecond);
  const auto log = alert_log(j);
  REQUIRE(log.size() == 2);
  CHECK(log[0].kind == "fire");
  CHECK(log[0].t == 105 * kSecond);  // the first evaluation after the hit
  CHECK(log[0].value == Approx(1.0 / 1050));
  CHECK(log[0].summary.rfind("canary_ratio 0.09524% > 0% over 5m", 0) == 0);
  // Once the hit ages out of the 5 m window ([105 s, 405 s) holds no canary) the alert resolves.
  CHECK(log[1].kind == "resolve");
  CHECK(log[1].t == 405 * kSecond);
}

TEST_CASE("Schema-invalid, PHI-pattern and refusal ratios are shares of user requests", "[slo]") {
  Scenario sc;
  VirtualScheduler s;
  Journal j;
  Detector d(sc, s, j);
  for (int i = 0; i < 10; ++i) {
    RequestEvent r = request(kSecond);
    r.schema_valid = i >= 3;  // 3 of 10
    r.phi_detected = i == 4;  // 1 of 10
    r.refused = i >= 8;       // 2 of 10
    d.observe(i * kSecond, r);
  }
  RequestEvent probe = request(kSecond);
  probe.probe = true;
  probe.schema_valid = false;
  probe.refused = true;
  d.observe(5 * kSecond, probe);  // probes are not user traffic
  s.run_until(10 * kSecond);
  CHECK(*d.sli(Sli::kSchemaInvalidRatio, kMinute) == Approx(0.3));
  CHECK(*d.sli(Sli::kPhiOutputRatio, kMinute) == Approx(0.1));
  CHECK(*d.sli(Sli::kRefusalRatio, kMinute) == Approx(0.2));
  CHECK(*d.sli(Sli::kCanaryRatio, kMinute) == 0.0);
  // [5 s, 10 s): requests 5..9, two refused.
  CHECK(*d.sli(Sli::kRefusalRatio, 5 * kSecond) == Approx(0.4));
}

TEST_CASE("Correction alerts fire on clinician corrections and resolve once they age out", "[slo]") {
  Scenario sc;
  sc.evaluation_interval = 15 * kSecond;
  sc.alerts.push_back(threshold("CorrectionsCount", "correction_count", 10 * kMinute, 2));
  sc.alerts.push_back(threshold("CorrectionsRate", "correction_rate", 5 * kMinute, 0.5));
  VirtualScheduler s;
  Journal j;
  Detector d(sc, s, j);
  for (SimTime t : {100 * kSecond, 200 * kSecond, 300 * kSecond}) {
    s.at(t, [&d, t] { d.observe_correction(t); });
  }
  std::optional<double> rate_at_315;
  s.at(315 * kSecond, [&] { rate_at_315 = d.sli(Sli::kCorrectionRate, 10 * kMinute); });
  d.start(kHour);
  s.run_until(kHour);
  const auto log = alert_log(j);
  REQUIRE(log.size() == 4);
  // At 315 s both windows hold all three corrections: 3 > 2, and 3 per 5 min = 0.6/min > 0.5.
  CHECK(log[0].t == 315 * kSecond);
  CHECK(log[0].name == "CorrectionsCount");
  CHECK(log[0].summary == "correction_count 3 > 2 over 10m");
  CHECK(log[1].t == 315 * kSecond);
  CHECK(log[1].name == "CorrectionsRate");
  CHECK(log[1].summary == "correction_rate 0.6/min > 0.5/min over 5m");
  // [105 s, 405 s) holds two corrections (0.4/min); [105 s, 705 s) holds two.
  CHECK(log[2].kind == "resolve");
  CHECK(log[2].name == "CorrectionsRate");
  CHECK(log[2].t == 405 * kSecond);
  CHECK(log[3].kind == "resolve");
  CHECK(log[3].name == "CorrectionsCount");
  CHECK(log[3].t == 705 * kSecond);
  // The rate is over the whole window even early in the run: 3 per 10 min.
  CHECK(*rate_at_315 == Approx(0.3));
  CHECK(*d.sli(Sli::kCorrectionCount, kMinute) == 0.0);  // nothing recent: zero, not missing
}

TEST_CASE("A probe-failure alert fires on a failed golden probe and resolves when one passes", "[slo]") {
  Scenario sc;
  sc.evaluation_interval = 15 * kSecond;
  sc.alerts.push_back(threshold("GoldenProbeFailing", "probe_failure", 10 * kMinute, 0));
  VirtualScheduler s;
  Journal j;
  Detector d(sc, s, j);
  s.at(300 * kSecond, [&] { d.observe_probe(300 * kSecond, true, 10, 10); });
  s.at(600 * kSecond, [&] { d.observe_probe(600 * kSecond, false, 7, 10); });
  s.at(900 * kSecond, [&] { d.observe_probe(900 * kSecond, true, 10, 10); });
  std::optional<double> ratio_at_615, flag_at_1600;
  s.at(615 * kSecond, [&] { ratio_at_615 = d.sli(Sli::kProbeFailureRatio, 10 * kMinute); });
  s.at(1600 * kSecond, [&] { flag_at_1600 = d.sli(Sli::kProbeFailure, 10 * kMinute); });
  d.start(1800 * kSecond);
  s.run_until(1800 * kSecond);
  const auto log = alert_log(j);
  REQUIRE(log.size() == 2);
  // The probe result at 600 s is observed before the 600 s evaluation (it was scheduled first).
  CHECK(log[0].kind == "fire");
  CHECK(log[0].t == 600 * kSecond);
  CHECK(log[0].value == 1.0);
  CHECK(log[0].summary == "latest golden probe failed (7/10 passed) within 10m");
  CHECK(log[1].kind == "resolve");
  CHECK(log[1].t == 900 * kSecond);
  CHECK(*ratio_at_615 == Approx(3.0 / 20));  // cases of the 300 s and 600 s probes
  CHECK_FALSE(flag_at_1600.has_value());      // the latest probe is older than the window
}

TEST_CASE("Presets expand to the SRE-workbook rows and scale multiplies every window", "[slo]") {
  AlertSpec a = burn_rule("Burn", "availability", BurnPreset::kStandard, 1.0 / 60);
  a.windows.push_back(BurnWindow{10 * kMinute, kMinute, 3});
  const auto rows = effective_burn_windows(a);
  REQUIRE(rows.size() == 4);
  CHECK(rows[0].long_window == kMinute);
  CHECK(rows[0].short_window == 5 * kSecond);
  CHECK(rows[0].factor == 14.4);
  CHECK(rows[1].long_window == 6 * kMinute);
  CHECK(rows[1].short_window == 30 * kSecond);
  CHECK(rows[1].factor == 6);
  CHECK(rows[2].long_window == 72 * kMinute);
  CHECK(rows[2].short_window == 6 * kMinute);
  CHECK(rows[2].factor == 1);
  CHECK(rows[3].long_window == 10 * kSecond);  // explicit windows scale too
  CHECK(rows[3].short_window == kSecond);
  CHECK(burn_window_preset(BurnPreset::kStandardPage).size() == 2);
  CHECK(burn_window_preset(BurnPreset::kStandardTicket).at(0).long_window == 72 * kHour);
  CHECK(burn_window_preset(BurnPreset::kNone).empty());

  AlertSpec unscaled = burn_rule("Burn", "availability", BurnPreset::kStandard, 1);
  CHECK(effective_burn_windows(unscaled)[0].long_window == kHour);
  AlertSpec zero = burn_rule("Burn", "availability", BurnPreset::kStandard, 0);
  CHECK_THROWS_AS(effective_burn_windows(zero), std::invalid_argument);
  AlertSpec nan = burn_rule("Burn", "availability", BurnPreset::kStandard, std::nan(""));
  CHECK_THROWS_AS(effective_burn_windows(nan), std::invalid_argument);
}

TEST_CASE("A burn-window scale is a positive decimal or fraction", "[slo]") {
  CHECK(*parse_burn_scale("1/60") == Approx(1.0 / 60));
  CHECK(*parse_burn_scale("0.5") == 0.5);
  CHECK(*parse_burn_scale(" 2 ") == 2.0);
  CHECK(*parse_burn_scale("1 / 4") == 0.25);
  for (const char* bad : {"", "0", "-1", "1/0", "1/", "/60", "abc", "1/60/2", "inf", "nan"}) {
    INFO(bad);
    CHECK_FALSE(parse_burn_scale(bad).has_value());
  }
}

TEST_CASE("Standard burn-rate windows scaled by 1/60 fire and resolve at drill speed", "[slo]") {
  Scenario sc;
  sc.evaluation_interval = 5 * kSecond;
  sc.slos.push_back(SloSpec{"availability", SloKind::kAvailability, 0.99, 0, 30 * 24 * kHour});
  // Page rows 1m/5s x14.4 and 6m/30s x6; ticket row 72m/6m x1 (longer than 4096 s: it is read
  // from the coarse ring while the page rows stay exact at 1 s).
  sc.alerts.push_back(burn_rule("BudgetPage", "availability", BurnPreset::kStandardPage, 1.0 / 60));
  sc.alerts.push_back(burn_rule("BudgetPageFor", "availability", BurnPreset::kStandardPage, 1.0 / 60, 20 * kSecond));
  AlertSpec ticket = burn_rule("BudgetTicket", "availability", BurnPreset::kStandardTicket, 1.0 / 60, 30 * kSecond);
  ticket.severity = "ticket";
  sc.alerts.push_back(ticket);
  VirtualScheduler s;
  Journal j;
  Detector d(sc, s, j);
  CHECK(d.history() >= 72 * kMinute);
  // 10 requests a second; half of them fail between 600 s and 660 s (300 errors).
  feed(s, d, 0, 1200 * kSecond, 100 * kMillisecond, [](SimTime t, long i) {
    const bool error = t >= 600 * kSecond && t < 660 * kSecond && i % 2 == 0;
    return request(200 * kMillisecond, error ? RequestStatus::kError : RequestStatus::kOk);
  });
  d.start(1200 * kSecond);
  s.run_until(1200 * kSecond);

  std::vector<std::string> seen;
  for (const auto& e : alert_log(j)) {
    seen.push_back(e.kind + " " + e.name + " " + std::to_string(e.t / kSecond));
  }
  // BudgetPage: at 615 s the 1 m window holds 75 errors of 600 (burn 12.5); at 620 s 100 (16.7)
  // and the 5 s window burns 50. After 660 s the 5 s window is clean but the 6m/30s row holds
  // (burn 8.3 over both) until the 30 s window is clean at 690 s.
  // BudgetPageFor: the same condition held for 20 s. BudgetTicket: burn > 1 over 72 m and 6 m from
  // 615 s, for 30 s; it resolves when the 6 m window holds fewer than 36 errors (1015 s).
  CHECK(seen == std::vector<std::string>{"fire BudgetPage 620", "fire BudgetPageFor 640",
                                         "fire BudgetTicket 645", "resolve BudgetPage 690",
                                         "resolve BudgetPageFor 690", "resolve BudgetTicket 1015"});
  const auto log = alert_log(j);
  CHECK(log[0].value == Approx(100.0 / 6));
  CHECK(log[0].summary == "availability 99% burn 16.67x over 1m and 50x over 5s > 14.4x");
}

TEST_CASE("A days-long burn window keeps short windows exact to the second", "[slo]") {
  Scenario sc;
  sc.slos.push_back(SloSpec{"availability", SloKind::kAvailability, 0.99, 0, 30 * 24 * kHour});
  sc.alerts.push_back(burn_rule("Budget", "availability", BurnPreset::kStandard, 1));
  VirtualScheduler s;
  Journal j;
  Detector d(sc, s, j);
  CHECK(d.history() >= 72 * kHour);
  for (int i = 0; i < 20; ++i) {
    d.observe(i * kSecond, request(kSecond, i >= 17 ? RequestStatus::kError : RequestStatus::kOk));
  }
  s.run_until(20 * kSecond);
  // [15 s, 20 s): 5 requests, 3 errors; a 64 s coarse bucket would have mixed in 15 more.
  CHECK(*d.sli(Sli::kRequestRate, 5 * kSecond) == Approx(1.0));
  CHECK(*d.sli(Sli::kErrorRatio, 5 * kSecond) == Approx(0.6));
  CHECK(*d.sli(Sli::kErrorRatio, 24 * kHour) == Approx(0.15));
}

TEST_CASE("Burn-rate alerts work on the detector-side SLO kinds", "[slo]") {
  Scenario sc;
  sc.evaluation_interval = 15 * kSecond;
  sc.slos.push_back(SloSpec{"safe-outputs", SloKind::kSafety, 0.99, 0, 30 * 24 * kHour});
  sc.slos.push_back(SloSpec{"answers", SloKind::kRefusal, 0.9, 0, 30 * 24 * kHour});
  sc.slos.push_back(SloSpec{"citations", SloKind::kCitationValidity, 0.99, 0, 30 * 24 * kHour});
  sc.slos.push_back(SloSpec{"schema", SloKind::kSchemaValidity, 0.99, 0, 30 * 24 * kHour});
  for (const char* slo : {"safe-outputs", "answers", "citations", "schema"}) {
    AlertSpec a = burn_rule(std::string(slo) + "-burn", slo, BurnPreset::kNone, 1);
    a.windows.push_back(BurnWindow{5 * kMinute, kMinute, 5});
    sc.alerts.push_back(a);
  }
  VirtualScheduler s;
  Journal j;
  Detector d(sc, s, j);
  // From 100 s on: every 10th output has a PHI pattern (burn 10 on 99 %); refusals stay at 5 %
  // (burn 0.5 on 90 %); citations and schemas stay valid.
  feed(s, d, 0, 600 * kSecond, 100 * kMillisecond, [](SimTime t, long i) {
    RequestEvent r = request(kSecond);
    r.phi_detected = t >= 100 * kSecond && i % 10 == 0;
    r.refused = i % 20 == 0;
    return r;
  });
  d.start(600 * kSecond);
  s.run_until(600 * kSecond);
  const auto log = alert_log(j);
  REQUIRE(log.size() == 1);
  CHECK(log[0].name == "safe-outputs-burn");
  CHECK(log[0].summary.rfind("safe-outputs 99% burn ", 0) == 0);
}

TEST_CASE("observe_event routes requests, corrections and probe results", "[slo]") {
  Scenario sc;
  VirtualScheduler s;
  Journal j;
  Detector d(sc, s, j);
  d.observe_event(Event{kSecond, request(kSecond, RequestStatus::kError)});
  d.observe_event(Event{2 * kSecond, CorrectionEvent{1, "benefits_question", "pt-0000aaaa"}});
  d.observe_event(Event{3 * kSecond, GoldenResultEvent{"core", 4, 10, 0.9, false, "playbook:x"}});
  d.observe_event(Event{4 * kSecond, GoldenResultEvent{"core", 9, 10, 0.9, true, "probe"}});
  d.observe_event(Event{5 * kSecond, AlertResolveEvent{"X"}});  // ignored
  s.run_until(10 * kSecond);
  CHECK(*d.sli(Sli::kErrorRatio, kMinute) == 1.0);
  CHECK(*d.sli(Sli::kCorrectionCount, kMinute) == 1.0);
  CHECK(*d.sli(Sli::kProbeFailure, kMinute) == 0.0);  // the playbook's failed run is not a probe
  CHECK(*d.sli(Sli::kProbeFailureRatio, kMinute) == Approx(0.1));
}

TEST_CASE("The detector rejects bad scales and burn rules without windows", "[slo]") {
  VirtualScheduler s;
  Journal j;
  Scenario bad_scale;
  bad_scale.slos.push_back(SloSpec{"a", SloKind::kAvailability, 0.99, 0, kHour});
  bad_scale.alerts.push_back(burn_rule("B", "a", BurnPreset::kStandard, -1));
  CHECK_THROWS_AS(Detector(bad_scale, s, j), std::invalid_argument);

  Scenario no_rows;
  no_rows.slos.push_back(SloSpec{"a", SloKind::kAvailability, 0.99, 0, kHour});
  no_rows.alerts.push_back(burn_rule("B", "a", BurnPreset::kNone, 1));
  CHECK_THROWS_WITH(Detector(no_rows, s, j), Catch::Contains("no windows"));
}

TEST_CASE("SLI units say which thresholds are ratios, durations, rates and counts", "[slo][spec]") {
  CHECK(vocabulary_size<Sli>() == 19);
  CHECK(unit_of(Sli::kEhrLatency) == SliUnit::kSeconds);
  CHECK(unit_of(Sli::kVendorThrottleRatio) == SliUnit::kRatio);
  CHECK(is_vendor_sli(Sli::kEmbeddingErrorRatio));
  CHECK_FALSE(is_vendor_sli(Sli::kEhrErrorRatio));
  CHECK(unit_of(Sli::kCanaryRatio) == SliUnit::kRatio);
  CHECK(unit_of(Sli::kProbeFailureRatio) == SliUnit::kRatio);
  CHECK(unit_of(Sli::kCorrectionRate) == SliUnit::kPerMinute);
  CHECK(unit_of(Sli::kProbeFailure) == SliUnit::kFlag);
  CHECK(is_latency(Sli::kLatencyP99));
  CHECK(names_of<SloKind>() == std::vector<std::string>{"availability", "latency", "citation_validity",
                                                        "schema_validity", "safety", "refusal",
                                                        "ehr_availability", "ehr_latency", "vendor_availability",
                                                        "vendor_throttle", "embedding_availability"});
  CHECK(parse_name<SloKind>("safety") == SloKind::kSafety);
  CHECK_FALSE(parse_name<SloKind>("happiness").has_value());
}
