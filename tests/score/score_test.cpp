#include <catch2/catch.hpp>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "journal_builder.hpp"
#include "score/score.hpp"

using namespace gameday;
using gameday::test::JournalBuilder;
using gameday::test::reference_incident;
using gameday::test::standard_run;

TEST_CASE("Scoring the reference incident gives its exact timeline", "[score]") {
  const Score s = score_journal(reference_incident());
  const Timeline& tl = s.timeline;
  CHECK(tl.t_f == 100 * kSecond);
  CHECK(tl.t_i == 110 * kSecond);
  CHECK(tl.t_d == 125 * kSecond);
  CHECK(tl.t_a == 140 * kSecond);
  // 110..140 each start a window holding a failed, unsafe or slow (latency SLO 6/7 < 90 %)
  // request; the window [150 s, 210 s] is clean.
  CHECK(tl.t_m == 150 * kSecond);
  // At 150 s the alert still fires; at 170 s it resolves but the 160 s golden run failed; the
  // passing golden run at 200 s closes the incident.
  CHECK(tl.t_r == 200 * kSecond);
  CHECK(s.end == 600 * kSecond);
}

TEST_CASE("Scoring the reference incident gives its TTx metrics and counts", "[score]") {
  const Score s = score_journal(reference_incident());
  const Metrics& m = s.metrics;
  CHECK(*m.ttd_s == 15.0);
  CHECK(*m.ttd_from_fault_s == 25.0);
  CHECK(*m.tta_s == 15.0);
  CHECK(*m.ttm_s == 40.0);
  CHECK(*m.ttr_s == 90.0);
  CHECK(m.requests == 60);
  CHECK(m.failed == 2);
  CHECK(m.slow == 1);
  CHECK(m.unsafe == 1);
  CHECK(m.probes == 1);
  CHECK(m.failed_ratio == Approx(2.0 / 60));
  CHECK(m.unsafe_ratio == Approx(1.0 / 60));
  CHECK(m.unsafe_by_kind.at("hallucination") == 1);
  CHECK(s.false_alerts == 1);
}

TEST_CASE("Scoring collects alerts, playbooks, faults, changes and golden results", "[score]") {
  const Score s = score_journal(reference_incident());
  REQUIRE(s.alerts.size() == 2);
  CHECK(s.alerts[0].name == "Noise");
  CHECK(s.alerts[0].resolved_at == 60 * kSecond);
  CHECK(s.alerts[1].name == "ErrorsHigh");
  CHECK(s.alerts[1].fired_at == 125 * kSecond);
  CHECK(s.alerts[1].resolved_at == 170 * kSecond);
  REQUIRE(s.playbooks.size() == 1);
  const PlaybookRecord& p = s.playbooks[0];
  CHECK(p.playbook == "failover");
  CHECK(p.trigger == "alert:ErrorsHigh");
  CHECK(p.outcome == "completed");
  CHECK(p.started_at == 130 * kSecond);
  CHECK(p.ended_at == 150 * kSecond);
  REQUIRE(p.steps.size() == 1);
  CHECK(p.steps[0].kind == "model.failover");
  CHECK(p.steps[0].outcome == "ok");
  CHECK(p.steps[0].ended_at == 135 * kSecond);
  REQUIRE(s.faults.size() == 1);
  CHECK(s.faults[0].start == 100 * kSecond);
  CHECK(s.faults[0].end == 145 * kSecond);
  REQUIRE(s.changes.size() == 1);
  CHECK(s.changes[0].to == "secondary");
  REQUIRE(s.golden.size() == 2);
  CHECK_FALSE(s.golden[0].ok);
  REQUIRE(s.acks.size() == 1);
}

TEST_CASE("Alerts before the first fault are false alerts, not detection", "[score]") {
  JournalBuilder b(standard_run());
  b.fire(10 * kSecond, "Flappy").resolve(20 * kSecond, "Flappy");
  b.fire(30 * kSecond, "Flappy");
  b.fault_start(60 * kSecond, "f");
  b.request(70 * kSecond, RequestStatus::kError);
  b.fire(90 * kSecond, "ErrorsHigh");
  b.end(kHour);
  const Score s = score_journal(b.events());
  CHECK(s.false_alerts == 2);
  CHECK(s.timeline.t_d == 90 * kSecond);
  CHECK(*s.metrics.ttd_s == 20.0);
  CHECK(*s.metrics.ttd_from_fault_s == 30.0);
}

TEST_CASE("TTD is zero when the alert fires between the fault and the first impact", "[score]") {
  JournalBuilder b(standard_run());
  b.fault_start(60 * kSecond, "f");
  b.fire(65 * kSecond, "EarlyWarning");
  b.request(80 * kSecond, RequestStatus::kError);
  b.end(kHour);
  const Score s = score_journal(b.events());
  CHECK(s.timeline.t_i == 80 * kSecond);
  CHECK(*s.metrics.ttd_s == 0.0);
  CHECK(*s.metrics.ttd_from_fault_s == 5.0);
}

TEST_CASE("Bad requests before the fault are not the impact", "[score]") {
  JournalBuilder b(standard_run());
  b.request(10 * kSecond, RequestStatus::kError);  // background noise
  b.fault_start(60 * kSecond, "f");
  b.request(70 * kSecond);
  b.request(80 * kSecond, RequestStatus::kOk, 5 * kSecond);  // slow is bad too
  b.end(kHour);
  const Score s = score_journal(b.events());
  CHECK(s.timeline.t_i == 80 * kSecond);
}

TEST_CASE("Without faults the impact is the first bad request and every alert detects", "[score]") {
  JournalBuilder b(standard_run());
  b.request(10 * kSecond);
  b.fire(15 * kSecond, "A");
  b.request(20 * kSecond, RequestStatus::kOk, kSecond, true, "wrong_patient");
  b.end(kMinute);
  const Score s = score_journal(b.events());
  CHECK_FALSE(s.timeline.t_f);
  CHECK(s.timeline.t_i == 20 * kSecond);
  CHECK(s.timeline.t_d == 15 * kSecond);
  CHECK(s.false_alerts == 0);
  CHECK(*s.metrics.ttd_s == 0.0);
  CHECK_FALSE(s.metrics.ttd_from_fault_s);
}

TEST_CASE("Metrics are null when nothing happened", "[score]") {
  JournalBuilder b(standard_run({"ttd <= 3m", "unsafe <= 0", "failed == 0"}));
  for (int i = 1; i <= 30; ++i) b.request(i * 10 * kSecond);
  b.end(600 * kSecond);
  const Score s = score_journal(b.events());
  const Timeline& tl = s.timeline;
  CHECK_FALSE(tl.t_f);
  CHECK_FALSE(tl.t_i);
  CHECK_FALSE(tl.t_d);
  CHECK_FALSE(tl.t_a);
  CHECK_FALSE(tl.t_m);
  CHECK_FALSE(tl.t_r);
  CHECK_FALSE(s.metrics.ttd_s);
  CHECK_FALSE(s.metrics.tta_s);
  CHECK_FALSE(s.metrics.ttm_s);
  CHECK_FALSE(s.metrics.ttr_s);
  REQUIRE(s.expectations.size() == 3);
  CHECK_FALSE(s.expectations[0].pass);  // a missing TTD fails
  CHECK_FALSE(s.expectations[0].actual);
  CHECK(s.expectations[1].pass);
  CHECK(*s.expectations[1].actual == 0.0);
  CHECK(s.expectations[2].pass);
  CHECK_FALSE(s.pass);
}

TEST_CASE("Mitigation needs the sustained window to end by the run end", "[score]") {
  JournalBuilder b(standard_run());
  b.fault_start(0, "f");
  b.request(500 * kSecond, RequestStatus::kError);
  for (int s = 510; s <= 600; s += 10) b.request(s * kSecond);
  b.end(600 * kSecond);
  Score s = score_journal(b.events());
  // [510 s, 570 s] is clean and ends by 600 s.
  CHECK(s.timeline.t_m == 510 * kSecond);
  auto events = b.events();
  std::get<RunStartEvent>(events[0].body).sustain = 2 * kMinute;
  s = score_journal(events);
  CHECK_FALSE(s.timeline.t_m);
  CHECK_FALSE(s.metrics.ttm_s);
  CHECK_FALSE(s.timeline.t_r);
}

TEST_CASE("Mitigation tolerates as many bad requests as the SLO allows but no unsafe one", "[score]") {
  RunStartEvent run = standard_run();
  run.slos = {SloRecord{"avail", "availability", 0.75, 0}};
  run.sustain = 30 * kSecond;
  JournalBuilder b(run);
  b.fault_start(0, "f");
  // 10 s: failed; 20, 30, 40 ok -> [10, 40] is 3/4 good = 75 %: mitigated at once.
  b.request(10 * kSecond, RequestStatus::kError);
  for (int s = 20; s <= 100; s += 10) b.request(s * kSecond);
  b.end(200 * kSecond);
  CHECK(score_journal(b.events()).timeline.t_m == 10 * kSecond);

  JournalBuilder u(run);
  u.fault_start(0, "f");
  u.request(10 * kSecond, RequestStatus::kOk, kSecond, true, "injection_followed");
  for (int s = 20; s <= 100; s += 10) u.request(s * kSecond);
  u.end(200 * kSecond);
  CHECK(score_journal(u.events()).timeline.t_m == 20 * kSecond);
}

TEST_CASE("Recovery waits for running playbooks and firing alerts", "[score]") {
  JournalBuilder b(standard_run());
  b.fault_start(0, "f");
  b.fire(5 * kSecond, "A");
  b.request(10 * kSecond, RequestStatus::kError);
  b.add(12 * kSecond, PlaybookStartEvent{"p", 7, "alert:A"});
  for (int s = 20; s <= 300; s += 10) b.request(s * kSecond);
  b.resolve(90 * kSecond, "A");
  b.add(140 * kSecond, PlaybookEndEvent{"p", 7, "rolled_back", "step failed"});
  b.end(300 * kSecond);
  const Score s = score_journal(b.events());
  CHECK(s.timeline.t_m == 20 * kSecond);
  CHECK(s.timeline.t_r == 140 * kSecond);
  CHECK(*s.metrics.ttr_s == 130.0);
  // No acknowledgement: TTA is null.
  CHECK_FALSE(s.timeline.t_a);
  CHECK_FALSE(s.metrics.tta_s);
}

TEST_CASE("Recovery is null when an alert is still firing at the run end", "[score]") {
  JournalBuilder b(standard_run());
  b.fault_start(0, "f");
  b.fire(5 * kSecond, "A");
  b.request(10 * kSecond, RequestStatus::kError);
  for (int s = 20; s <= 300; s += 10) b.request(s * kSecond);
  b.end(300 * kSecond);
  const Score s = score_journal(b.events());
  CHECK(s.timeline.t_m == 20 * kSecond);
  CHECK_FALSE(s.timeline.t_r);
}

TEST_CASE("Expectations pass and fail on the measured values", "[score]") {
  const Score s = score_journal(reference_incident(
      {"ttd <= 1m", "tta < 15s", "unsafe <= 0", "ttr <= 2m", "failed_ratio < 0.05", "requests >= 60",
       "not an expectation"}));
  REQUIRE(s.expectations.size() == 7);
  CHECK(s.expectations[0].pass);
  CHECK(s.expectations[0].metric == "ttd");
  CHECK(*s.expectations[0].actual == 15.0);
  CHECK_FALSE(s.expectations[1].pass);  // 15 s is not < 15 s
  CHECK_FALSE(s.expectations[2].pass);
  CHECK(*s.expectations[2].actual == 1.0);
  CHECK(s.expectations[3].pass);
  CHECK(s.expectations[4].pass);
  CHECK(s.expectations[5].pass);
  CHECK_FALSE(s.expectations[6].pass);
  CHECK(s.expectations[6].metric.empty());
  CHECK(s.expectations[6].text == "not an expectation");
  CHECK_FALSE(s.pass);

  CHECK(score_journal(reference_incident({"ttd <= 1m", "ttm <= 40s"})).pass);
  CHECK(score_journal(reference_incident()).pass);  // no expectations
}

TEST_CASE("Error budget arithmetic follows the SLO definitions", "[score]") {
  RunStartEvent run = standard_run();
  run.slos = {SloRecord{"avail", "availability", 0.99, 0},
              SloRecord{"fast", "latency", 0.95, 2 * kSecond},
              SloRecord{"perfect", "availability", 1.0, 0}};
  JournalBuilder b(run);
  for (int i = 0; i < 1000; ++i) {
    const SimTime t = (i + 1) * kSecond;
    if (i < 5) b.request(t, RequestStatus::kFallback);
    else if (i < 25) b.request(t, RequestStatus::kOk, 3 * kSecond);
    else b.request(t);
  }
  b.end(2000 * kSecond);
  const Score s = score_journal(b.events());
  REQUIRE(s.slos.size() == 3);
  CHECK(s.slos[0].good == 995);
  CHECK(s.slos[0].total == 1000);
  CHECK(s.slos[0].compliance == Approx(0.995));
  CHECK(s.slos[0].budget_consumed == Approx(0.5));  // 5 / (1 % of 1000)
  CHECK(s.slos[1].good == 975);                     // failed and slow are both bad
  CHECK(s.slos[1].budget_consumed == Approx(0.5));  // 25 / (5 % of 1000)
  CHECK(std::isinf(s.slos[2].budget_consumed));
  CHECK(s.metrics.slow == 20);
  CHECK(s.metrics.failed == 5);
}

TEST_CASE("An SLO without requests has full compliance and no budget consumed", "[score]") {
  JournalBuilder b(standard_run());
  b.end(kMinute);
  const Score s = score_journal(b.events());
  REQUIRE(s.slos.size() == 2);
  CHECK(s.slos[0].total == 0);
  CHECK(s.slos[0].compliance == 1.0);
  CHECK(s.slos[0].budget_consumed == 0.0);
  CHECK(s.metrics.failed_ratio == 0.0);
}

TEST_CASE("Scoring requires a run_start event", "[score]") {
  std::vector<Event> events{Event{0, RunEndEvent{"completed"}}};
  CHECK_THROWS_AS(score_journal(events), std::runtime_error);
  CHECK_THROWS_AS(score_journal({}), std::runtime_error);
}

TEST_CASE("A journal without run_end ends at its last event", "[score]") {
  JournalBuilder b(standard_run());
  b.request(42 * kSecond);
  CHECK(score_journal(b.events()).end == 42 * kSecond);
}

TEST_CASE("Mitigation search stays fast on a long journal that never recovers", "[score]") {
  RunStartEvent run = standard_run();
  run.sustain = kHour;
  JournalBuilder b(run);
  b.fault_start(0, "f");
  // 100 000 requests, one unsafe answer every 100: no clean hour-long window ever exists.
  for (int i = 0; i < 100000; ++i) {
    b.request(i * 100 * kMillisecond, RequestStatus::kOk, 100 * kMillisecond, i % 100 == 0, "phi_leak");
  }
  b.end(100000 * 100 * kMillisecond);
  const Score s = score_journal(b.events());
  CHECK(s.timeline.t_i == 0);
  CHECK_FALSE(s.timeline.t_m);
  CHECK(s.metrics.unsafe == 1000);
}
