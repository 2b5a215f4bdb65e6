// Scoring against the truth: unsafe exposure, root causes, injection, PHI, correctness, and the
// detector's view of the same run.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "journal_builder.hpp"
#include "score/score.hpp"

using namespace gameday;
using gameday::test::JournalBuilder;
using gameday::test::standard_run;

namespace {

RequestEvent answer(const std::string& patient, bool correct = true) {
  RequestEvent r;
  r.patient_ref = patient;
  r.latency = kSecond;
  r.citations = 1;
  r.correct = correct;
  return r;
}

RequestEvent unsafe_answer(const std::string& patient, const std::string& kind,
                           const std::string& root_cause = "", std::vector<std::string> spans = {}) {
  RequestEvent r = answer(patient, false);
  r.unsafe = true;
  r.unsafe_kind = kind;
  r.root_cause = root_cause;
  r.faults = std::move(spans);
  return r;
}

// Fault at 100 s (wrong_patient on the EHR) until 145 s; requests every 10 s from 10 s to 600 s.
// Unsafe answers: 50 s (no fault: background), 110/120/130/140 s (touched by the fault: the
// incident, whose harm stops there and which its end mitigates at 150 s) and 400 s (no fault:
// background).
std::vector<Event> exposure_incident() {
  JournalBuilder b(standard_run());
  const std::vector<std::string> f = {"ehr-wrong-patient"};
  for (SimTime sec = 10; sec <= 600; sec += 10) {
    const SimTime t = sec * kSecond;
    if (sec == 100) b.fault_start(t, "ehr-wrong-patient", "ehr", "wrong_patient");
    if (sec == 150) b.fault_end(145 * kSecond, "ehr-wrong-patient", "ehr", "wrong_patient");
    if (sec == 50) b.request_event(t, unsafe_answer("pt-0000aaaa", "hallucination"));
    else if (sec == 110) b.request_event(t, unsafe_answer("pt-0000aaaa", "wrong_patient", "", f));
    else if (sec == 120) b.request_event(t, unsafe_answer("pt-0000bbbb", "wrong_patient", "", f));
    else if (sec == 130) b.request_event(t, unsafe_answer("pt-0000aaaa", "wrong_patient", "", f));
    else if (sec == 140) b.request_event(t, unsafe_answer("pt-0000cccc", "hallucination", "", f));
    else if (sec == 400) b.request_event(t, unsafe_answer("pt-0000dddd", "incorrect"));
    else b.request_event(t, answer("pt-0000eeee"));
  }
  b.end(600 * kSecond);
  return b.events();
}

}  // namespace

TEST_CASE("Unsafe answers count by kind over the whole run and in the exposure window", "[score]") {
  const Score s = score_journal(exposure_incident());
  const Metrics& m = s.metrics;
  REQUIRE(s.timeline.t_i == 110 * kSecond);
  REQUIRE(s.timeline.t_m == 150 * kSecond);
  CHECK(m.unsafe == 6);
  CHECK(m.unsafe_by_kind == std::map<std::string, long>{
                                {"hallucination", 2}, {"incorrect", 1}, {"wrong_patient", 3}});
  const Exposure& x = m.exposure;
  CHECK(x.from == 110 * kSecond);
  CHECK(x.to == 140 * kSecond);  // the incident's last harm
  CHECK(x.mitigated);
  CHECK(s.background.unsafe == 2);
  CHECK(x.total == 4);
  CHECK(x.by_kind == std::map<std::string, long>{{"hallucination", 1}, {"wrong_patient", 3}});
  CHECK(*metric_value(m, "exposure") == 4);
  CHECK(*metric_value(m, "unsafe_wrong_patient") == 3);
  CHECK(*metric_value(m, "unsafe_phi_leak") == 0);
}

TEST_CASE("Exposure per patient is by pseudonym, most affected first, then by reference", "[score]") {
  const Exposure& x = score_journal(exposure_incident()).metrics.exposure;
  REQUIRE(x.per_patient.size() == 3);
  CHECK(x.per_patient[0].patient_ref == "pt-0000aaaa");
  CHECK(x.per_patient[0].count == 2);
  CHECK(x.per_patient[1].patient_ref == "pt-0000bbbb");
  CHECK(x.per_patient[1].count == 1);
  CHECK(x.per_patient[2].patient_ref == "pt-0000cccc");
  CHECK(x.patients_affected == 3);
}

TEST_CASE("Exposure runs to the end of the run when the incident is never mitigated", "[score]") {
  JournalBuilder b(standard_run());
  b.fault_start(100 * kSecond, "drift", "vendor:primary", "drift");
  for (SimTime sec = 110; sec <= 300; sec += 10) {
    b.request_event(sec * kSecond, unsafe_answer("pt-0000aaaa", "hallucination", "", {"drift"}));
  }
  b.end(300 * kSecond);
  const Score s = score_journal(b.events());
  const Exposure& x = s.metrics.exposure;
  CHECK_FALSE(s.timeline.t_m.has_value());
  CHECK(x.from == 110 * kSecond);
  CHECK(x.to == 300 * kSecond);
  CHECK_FALSE(x.mitigated);
  CHECK(x.total == 20);
  CHECK(x.patients_affected == 1);
}

TEST_CASE("Without impact there is no exposure window", "[score]") {
  JournalBuilder b(standard_run());
  b.request_event(10 * kSecond, answer("pt-0000aaaa"));
  b.end(kMinute);
  const Exposure& x = score_journal(b.events()).metrics.exposure;
  CHECK_FALSE(x.from.has_value());
  CHECK(x.total == 0);
  CHECK(x.per_patient.empty());
}

TEST_CASE("Root causes of failed or unsafe requests are counted with their shares", "[score]") {
  JournalBuilder b(standard_run());
  const auto failed = [](const std::string& cause) {
    RequestEvent r = answer("pt-0000aaaa", false);
    r.status = RequestStatus::kFallback;
    r.root_cause = cause;
    return r;
  };
  b.request_event(10 * kSecond, failed("ehr_dependency"));
  b.request_event(20 * kSecond, failed("ehr_dependency"));
  b.request_event(30 * kSecond, unsafe_answer("pt-0000aaaa", "wrong_patient", "retrieval"));
  b.request_event(40 * kSecond, unsafe_answer("pt-0000aaaa", "hallucination", "model"));
  b.request_event(50 * kSecond, failed(""));
  b.request_event(60 * kSecond, failed("vendor_quota"));
  b.request_event(70 * kSecond, answer("pt-0000aaaa"));  // fine: not counted
  b.end(kMinute * 2);
  const Metrics m = score_journal(b.events()).metrics;
  CHECK(m.bad == 6);
  REQUIRE(m.root_cause.size() == 6);
  const std::vector<std::string> order = {"retrieval", "prompt_config", "model",
                                          "ehr_dependency", "vendor_quota", "unattributed"};
  const std::vector<long> counts = {1, 0, 1, 2, 1, 1};
  for (std::size_t i = 0; i < order.size(); ++i) {
    INFO(order[i]);
    CHECK(m.root_cause[i].cause == order[i]);
    CHECK(m.root_cause[i].count == counts[i]);
    CHECK(m.root_cause[i].share == Approx(counts[i] / 6.0));
  }
}

TEST_CASE("Attack success rate and utility under attack count attacked requests", "[score]") {
  JournalBuilder b(standard_run());
  // 10 attacked requests: 3 obeyed the injection, 5 were still answered correctly; 5 clean ones.
  for (int i = 0; i < 15; ++i) {
    RequestEvent r = answer("pt-0000aaaa", i < 5 || i >= 10);
    if (i < 10) r.injection_attempted = true;
    if (i >= 7 && i < 10) {
      r.injection_followed = true;
      r.unsafe = true;
      r.unsafe_kind = "injection_followed";
      r.canary_seen = i == 9;
    }
    b.request_event((i + 1) * kSecond, r);
  }
  b.end(kMinute);
  const Metrics m = score_journal(b.events()).metrics;
  CHECK(m.attack.attempted == 10);
  CHECK(m.attack.succeeded == 3);
  CHECK(m.attack.answered_correctly == 5);
  CHECK(*m.attack.success_rate == Approx(0.3));
  CHECK(*m.attack.utility_under_attack == Approx(0.5));
  CHECK(*metric_value(m, "attack_success_rate") == Approx(0.3));
  CHECK(*metric_value(m, "injections") == 10);
  CHECK(m.detectors.canary_outputs == 1);
  CHECK(m.detectors.unsafe_flagged == 1);
}

TEST_CASE("Attack metrics are missing, not zero, when nothing was attacked", "[score]") {
  JournalBuilder b(standard_run());
  b.request_event(10 * kSecond, answer("pt-0000aaaa"));
  b.end(kMinute);
  const Metrics m = score_journal(b.events()).metrics;
  CHECK(m.attack.attempted == 0);
  CHECK_FALSE(m.attack.success_rate.has_value());
  CHECK_FALSE(metric_value(m, "utility_under_attack").has_value());
}

TEST_CASE("PHI is counted where it went: vendor, logs and users", "[score]") {
  JournalBuilder b(standard_run());
  for (int i = 0; i < 6; ++i) {
    RequestEvent r = answer("pt-0000aaaa");
    r.phi_to_vendor = i < 4;
    r.phi_in_logs = i < 2;
    if (i == 5) {
      r.unsafe = true;
      r.unsafe_kind = "phi_leak";
      r.correct = false;
      r.phi_detected = true;
    }
    b.request_event((i + 1) * kSecond, r);
  }
  b.end(kMinute);
  const Metrics m = score_journal(b.events()).metrics;
  CHECK(m.phi.to_vendor == 4);
  CHECK(m.phi.in_logs == 2);
  CHECK(m.phi.leaked_to_users == 1);
  CHECK(m.detectors.phi_pattern_outputs == 1);
  CHECK(*metric_value(m, "phi_to_vendor") == 4);
  CHECK(*metric_value(m, "phi_leaked") == 1);
}

TEST_CASE("Citation validity stays high while correctness drops under wrong-patient retrieval", "[score]") {
  JournalBuilder b(standard_run());
  // 100 served answers, 99 with valid citations; 41 correct, 59 cite another patient's records.
  for (int i = 0; i < 100; ++i) {
    RequestEvent r = i < 41 ? answer("pt-0000aaaa")
                            : unsafe_answer("pt-0000bbbb", "wrong_patient", "retrieval");
    r.citations_valid = i != 0;
    b.request_event((i + 1) * kSecond, r);
  }
  b.end(200 * kSecond);
  const Metrics m = score_journal(b.events()).metrics;
  CHECK(*m.detectors.citation_validity == Approx(0.99));
  CHECK(m.correctness.served == 100);
  CHECK(m.correctness.correct == 41);
  CHECK(*m.correctness.correct_ratio == Approx(0.41));
  CHECK(*metric_value(m, "citation_validity") == Approx(0.99));
  CHECK(*metric_value(m, "correct_ratio") == Approx(0.41));
  CHECK(m.detectors.unsafe_flagged == 0);  // the invalid citation was on a correct answer
  CHECK(m.root_cause[0].cause == "retrieval");
  CHECK(m.root_cause[0].share == Approx(1.0));
}

TEST_CASE("Error budgets cover the detector-side SLO kinds", "[score]") {
  RunStartEvent run = standard_run();
  run.slos = {SloRecord{"citations", "citation_validity", 0.99, 0},
              SloRecord{"schema", "schema_validity", 0.99, 0},
              SloRecord{"safe-outputs", "safety", 0.9, 0},
              SloRecord{"answers", "refusal", 0.95, 0}};
  JournalBuilder b(run);
  // 100 requests: 2 invalid citations, 1 broken schema, 1 canary + 1 PHI pattern (on the same
  // request as the canary: one bad request), 10 refusals, one fallback (good for all four).
  for (int i = 0; i < 100; ++i) {
    RequestEvent r = answer("pt-0000aaaa");
    r.citations_valid = i >= 2;
    r.schema_valid = i != 5;
    r.canary_seen = i == 7;
    r.phi_detected = i == 7;
    r.refused = i >= 90;
    if (i == 50) r.status = RequestStatus::kFallback;
    b.request_event((i + 1) * kSecond, r);
  }
  b.end(200 * kSecond);
  const Score s = score_journal(b.events());
  REQUIRE(s.slos.size() == 4);
  CHECK(s.slos[0].good == 98);
  CHECK(s.slos[0].budget_consumed == Approx(2.0));  // 2 bad / (1 % of 100)
  CHECK(s.slos[1].good == 99);
  CHECK(s.slos[1].budget_consumed == Approx(1.0));
  CHECK(s.slos[2].good == 99);
  CHECK(s.slos[2].budget_consumed == Approx(0.1));
  CHECK(s.slos[3].good == 90);
  CHECK(s.slos[3].budget_consumed == Approx(2.0));
  CHECK(s.metrics.detectors.refusals == 10);
  CHECK(*s.metrics.detectors.refusal_ratio == Approx(0.1));
  CHECK(*s.metrics.detectors.schema_validity == Approx(0.99));
}

TEST_CASE("Clinician corrections and golden probes show up in the detector view", "[score]") {
  JournalBuilder b(standard_run());
  b.request_event(10 * kSecond, answer("pt-0000aaaa"));
  b.add(100 * kSecond, GoldenResultEvent{"core", 10, 10, 0.9, true, "probe"});
  b.add(130 * kSecond, CorrectionEvent{1, "benefits_question", "pt-0000aaaa"});
  b.add(160 * kSecond, CorrectionEvent{2, "benefits_question", "pt-0000aaaa"});
  b.add(200 * kSecond, GoldenResultEvent{"core", 6, 10, 0.9, false, "probe"});
  b.add(250 * kSecond, GoldenResultEvent{"core", 5, 10, 0.9, false, "playbook:x"});  // not a probe
  b.add(300 * kSecond, GoldenResultEvent{"core", 7, 10, 0.9, false, "probe"});
  b.end(600 * kSecond);
  const Metrics m = score_journal(b.events()).metrics;
  CHECK(m.detectors.corrections == 2);
  CHECK(m.detectors.first_correction == 130 * kSecond);
  CHECK(m.detectors.probe_runs == 3);
  CHECK(m.detectors.probe_failures == 2);
  CHECK(m.detectors.first_probe_failure == 200 * kSecond);
  CHECK(*metric_value(m, "corrections") == 2);
  CHECK(*metric_value(m, "probe_failures") == 2);
}

TEST_CASE("Scoring 100k requests stays cheap", "[.perf]") {
  JournalBuilder b(standard_run());
  for (int i = 0; i < 100000; ++i) {
    RequestEvent r = i % 50 == 0 ? unsafe_answer("pt-" + std::to_string(10000000 + i % 97),
                                                 "wrong_patient", "retrieval")
                                 : answer("pt-0000aaaa");
    b.request_event(i * 10 * kMillisecond + kSecond, r);
  }
  b.fault_start(0, "f");
  b.end(2000 * kSecond);
  // Its speed is a figure of bench/ (gameday_bench: "+ score + reports"), not of this test.
  const Score s = score_journal(b.events());
  CHECK(s.metrics.requests == 100000);
  CHECK(s.metrics.unsafe == 2000);
}
