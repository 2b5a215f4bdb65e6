// Per-minute series (score/series): buckets, percentiles, kinds, SLO compliance and burn rate.
#include <catch2/catch.hpp>

#include "score/journal_builder.hpp"
#include "score/series.hpp"

using namespace gameday;
using namespace gameday::test;

namespace {

AlertRuleRecord burn_rule(const std::string& name, const std::string& slo_kind, Duration window) {
  AlertRuleRecord r;
  r.name = name;
  r.slo_kind = slo_kind;
  r.window = window;
  return r;
}

}  // namespace

TEST_CASE("Minute series bucket user requests by completion minute and leave probes apart", "[score][series]") {
  JournalBuilder b(standard_run());
  b.request(10 * kSecond);
  b.request(59 * kSecond, RequestStatus::kFallback);
  b.request(60 * kSecond, RequestStatus::kOk, 3 * kSecond, true, "hallucination");
  b.request(61 * kSecond, RequestStatus::kTimeout, 30 * kSecond);
  b.probe(62 * kSecond);
  b.end(600 * kSecond);
  const Score s = score_journal(b.events());
  const MinuteSeries m = minute_series(b.events(), s);
  REQUIRE(m.minutes == 10);
  CHECK(m.requests[0] == 2);
  CHECK(m.requests[1] == 2);
  CHECK(m.requests[2] == 0);
  CHECK(m.ok[0] == 1);
  CHECK(m.failed[0] == 1);
  CHECK(m.probes[1] == 1);
  CHECK(m.unsafe[1] == 1);
  REQUIRE(m.failed_by_status.count("fallback") == 1);
  CHECK(m.failed_by_status.at("fallback")[0] == 1);
  CHECK(m.failed_by_status.at("timeout")[1] == 1);
  CHECK(m.unsafe_by_kind.at("hallucination")[1] == 1);
  // Nearest rank over the minute's latencies: {3 s, 30 s} -> p50 3 s, p95 30 s.
  CHECK(m.p50_s[1] == Approx(3.0));
  CHECK(m.p95_s[1] == Approx(30.0));
  CHECK_FALSE(m.p50_s[2].has_value());
  // SLOs: availability (ok) and latency (ok and <= 2 s).
  REQUIRE(m.slos.size() == 2);
  CHECK(m.slos[0].good[0] == 1);
  CHECK(m.slos[0].total[0] == 2);
  CHECK(m.slos[1].good[1] == 0);  // the ok answer took 3 s
  CHECK(m.burn.empty());          // standard_run has a threshold rule only
}

TEST_CASE("The burn rate is the bad share over the rule's window divided by the error budget",
          "[score][series]") {
  RunStartEvent run = standard_run();
  run.duration = 300 * kSecond;
  run.slos = {SloRecord{"avail", "availability", 0.99, 0}};
  run.alerts = {burn_rule("Burn", "availability", 2 * kMinute), burn_rule("NoSuchSlo", "latency", kMinute)};
  JournalBuilder b(run);
  // Minute 0: 10 good; minute 1: 8 good, 2 failed; minute 2: 10 good; nothing after.
  for (int i = 0; i < 10; ++i) b.request((i + 1) * 5 * kSecond);
  for (int i = 0; i < 10; ++i) b.request(60 * kSecond + (i + 1) * 5 * kSecond, i < 2 ? RequestStatus::kError : RequestStatus::kOk);
  for (int i = 0; i < 10; ++i) b.request(120 * kSecond + i * 5 * kSecond + kSecond);
  b.fire(100 * kSecond, "Burn");
  b.end(300 * kSecond);
  const Score s = score_journal(b.events());
  const MinuteSeries m = minute_series(b.events(), s);
  REQUIRE(m.burn.size() == 1);  // a rule whose SLO the run lacks has no series
  const BurnSeries& burn = m.burn[0];
  CHECK(burn.alert == "Burn");
  CHECK(burn.slo == "avail");
  REQUIRE(burn.rate.size() == 5);
  CHECK(*burn.rate[0] == Approx(0.0));
  CHECK(*burn.rate[1] == Approx((2.0 / 20.0) / 0.01));  // window [0, 120 s): 2 bad of 20
  CHECK(*burn.rate[2] == Approx((2.0 / 20.0) / 0.01));  // window [60 s, 180 s): 2 bad of 20
  CHECK(*burn.rate[3] == Approx(0.0));                   // [120 s, 240 s): 10 good
  CHECK_FALSE(burn.rate[4].has_value());                 // [180 s, 300 s): no request
}

TEST_CASE("Minute series cover the planned duration even when the journal ends early", "[score][series]") {
  JournalBuilder b(standard_run());
  b.request(10 * kSecond);
  const Score s = score_journal(b.events());  // no run_end: cut short at 10 s
  const MinuteSeries m = minute_series(b.events(), s);
  CHECK(m.minutes == 10);  // 600 s planned
  CHECK(m.requests[0] == 1);
}

TEST_CASE("Threshold rules get their SLI over the rule's window, except dependency SLIs", "[score][series]") {
  RunStartEvent run = standard_run();
  run.duration = 180 * kSecond;
  run.alerts = {threshold_rule("Errors", "error_ratio", 2 * kMinute, 0.1),
                threshold_rule("Citations", "citation_invalid_ratio", kMinute, 0.05),
                threshold_rule("Rate", "request_rate", kMinute, 100),
                threshold_rule("Corrections", "correction_rate", 2 * kMinute, 1),
                threshold_rule("Probe", "probe_failure", kMinute, 0.5),
                threshold_rule("Slow", "latency_p95", 2 * kMinute, 2),
                threshold_rule("Vendor", "vendor_error_ratio", kMinute, 0.1)};
  JournalBuilder b(run);
  // Minute 0: 6 requests, 3 failed; minute 1: 6 ok requests, 2 with invalid citations.
  for (int i = 0; i < 6; ++i) b.request((i + 1) * 5 * kSecond, i < 3 ? RequestStatus::kError : RequestStatus::kOk);
  for (int i = 0; i < 6; ++i) {
    RequestEvent r;
    r.latency = kSecond;
    r.citations_valid = i >= 2;
    b.request_event(60 * kSecond + (i + 1) * 5 * kSecond, r);
  }
  b.correction(70 * kSecond, 1);
  b.add(90 * kSecond, GoldenResultEvent{"core", 2, 5, 0.9, false, "probe"});
  b.end(180 * kSecond);
  const Score s = score_journal(b.events());
  const MinuteSeries m = minute_series(b.events(), s);
  REQUIRE(m.rules.size() == 6);  // vendor_error_ratio needs the calls, which the journal lacks
  const auto& errors = m.rules[0];
  CHECK(errors.alert == "Errors");
  CHECK_FALSE(errors.per_minute);
  CHECK(*errors.value[0] == Approx(0.5));        // [0, 60 s): 3 of 6
  CHECK(*errors.value[1] == Approx(0.25));       // [0, 120 s): 3 of 12
  CHECK(*errors.value[2] == Approx(0.0));        // [60 s, 180 s): 0 of 6
  const auto& citations = m.rules[1];
  CHECK(*citations.value[1] == Approx(2.0 / 6.0));
  CHECK_FALSE(citations.value[2].has_value());   // no request in [120 s, 180 s)
  CHECK(*m.rules[2].value[0] == Approx(6.0 / 60.0));  // requests per second over 1 m
  CHECK(*m.rules[3].value[1] == Approx(0.5));    // one correction in 2 m
  CHECK_FALSE(m.rules[4].value[0].has_value());  // no probe yet
  CHECK(*m.rules[4].value[1] == Approx(1.0));    // the probe at 90 s failed
  CHECK_FALSE(m.rules[4].value[2].has_value());  // 90 s is more than 1 m before 180 s
  CHECK(m.rules[5].per_minute);
  CHECK(*m.rules[5].value[0] == Approx(1.0));
}

TEST_CASE("Minute series fed event by event fold requests past the run's end into its last minute", "[score][series]") {
  JournalBuilder b(standard_run());  // 600 s planned
  b.request(10 * kSecond).end(30 * kSecond);
  // After run_end (a drill's clock ran on while it stopped): charted in the last minute.
  b.request(15 * kMinute, RequestStatus::kError);
  const Score s = score_journal(b.events());
  MinuteSeriesBuilder fed(s.run);
  for (const Event& e : b.events()) fed.add(e);
  const MinuteSeries m = fed.finish(s);
  CHECK(m.minutes == 10);
  CHECK(m.requests[0] == 1);
  CHECK(m.requests[9] == 1);
  CHECK(m.failed[9] == 1);
  CHECK(m.failed_by_status.at("error")[9] == 1);
  const MinuteSeries whole = minute_series(b.events(), s);
  CHECK(whole.requests == m.requests);
  CHECK(whole.p95_s == m.p95_s);
}
