#include <catch2/catch.hpp>

#include <algorithm>
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
  // The unsafe answer at 130 s was touched by an error fault, which cannot bend answers.
  CHECK(s.background.unsafe == 1);
  REQUIRE(s.incidents.size() == 1);
  CHECK(s.incidents[0].failed == 2);
  CHECK(s.incidents[0].slow == 1);
  CHECK(s.incidents[0].unsafe == 0);
  CHECK(s.incidents[0].detected_by == "ErrorsHigh");
  CHECK(s.incidents[0].mitigated_by == "route primary -> secondary by playbook:failover");
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
  CHECK(s.faults[0].end == 300 * kSecond);
  REQUIRE(s.changes.size() == 1);
  CHECK(s.changes[0].to == "secondary");
  REQUIRE(s.golden.size() == 2);
  CHECK_FALSE(s.golden[0].ok);
  REQUIRE(s.acks.size() == 1);
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
  CHECK(*s.expectations[2].actual == 1.0);  // the background unsafe answer counts in the run
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

TEST_CASE("Scoring stays linear on a long journal that never recovers", "[score]") {
  RunStartEvent run = standard_run();
  run.sustain = kHour;
  JournalBuilder b(run);
  b.fault_start(0, "f", "ehr", "wrong_patient");
  // 100 000 requests, one unsafe answer every 100: no clean hour-long window ever exists.
  for (int i = 0; i < 100000; ++i) {
    if (i % 100 == 0) {
      b.unsafe(i * 100 * kMillisecond, {"f"}, "wrong_patient");
    } else {
      b.request(i * 100 * kMillisecond, RequestStatus::kOk, 100 * kMillisecond);
    }
  }
  b.end(100000 * 100 * kMillisecond);
  const Score s = score_journal(b.events());
  REQUIRE(s.incidents.size() == 1);
  CHECK(s.timeline.t_i == 0);
  CHECK_FALSE(s.timeline.t_m);
  CHECK(s.metrics.unsafe == 1000);
  CHECK(s.incidents[0].unsafe == 1000);
}

TEST_CASE("A no-op control change is not a change and mitigates nothing", "[score][noop]") {
  std::vector<Event> events = reference_incident();
  // A failover to the route already in place at 112 s, before the real change at 135 s.
  const auto at = std::find_if(events.begin(), events.end(), [](const Event& e) { return e.t > 112 * kSecond; });
  events.insert(at, Event{112 * kSecond, ControlChangeEvent{"route", "", "primary", "primary", "playbook:failover", true}});
  const Score s = score_journal(events);
  REQUIRE(s.changes.size() == 1);
  CHECK(s.changes[0].to == "secondary");
  REQUIRE(s.incidents.size() == 1);
  CHECK(s.incidents[0].mitigated_by == "route primary -> secondary by playbook:failover");
  CHECK(s.timeline.t_m == 150 * kSecond);
}
