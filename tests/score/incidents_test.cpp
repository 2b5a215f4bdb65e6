// The incident model on hand-written journals: attribution by cause, grouping, detection by
// what an alert counted, mitigation never before the change that did it, relapses, recovery.
// Every expected number is worked out in the comment above it.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "journal_builder.hpp"
#include "score/score.hpp"

using namespace gameday;
using gameday::test::JournalBuilder;
using gameday::test::standard_run;
using gameday::test::threshold_rule;

namespace {

constexpr SimTime S = kSecond;

// Healthy requests every 10 s over [from, to], untouched by any fault.
void healthy(JournalBuilder& b, int from, int to) {
  for (int s = from; s <= to; s += 10) b.request(s * S);
}

const Incident* find(const Score& s, const std::string& id) {
  for (const auto& x : s.incidents) {
    if (x.id == id) return &x;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("Harm is attributed only to the faults in its spans that can cause it", "[score][incidents]") {
  JournalBuilder b(standard_run());
  b.fault_start(100 * S, "slow", "vendor:primary", "latency");
  b.fault_start(100 * S, "503", "vendor:secondary", "error");
  b.fault_start(100 * S, "drift", "vendor:backup", "hallucination");
  // A 500 while only a latency fault touched it: latency cannot answer 500 (background).
  b.failed(110 * S, {"slow"}, "vendor_error");
  // A client timeout under the latency fault: attributed.
  b.failed(120 * S, {"slow"}, "client_timeout");
  // An unsafe answer touched by the error fault only: background; by the hallucination: its.
  b.unsafe(130 * S, {"503"});
  b.unsafe(140 * S, {"drift"});
  // An error from the error fault.
  b.failed(150 * S, {"503"});
  b.end(600 * S);
  const Score s = score_journal(b.events());
  REQUIRE(s.incidents.size() == 3);
  CHECK(find(s, "slow")->failed == 1);
  CHECK(find(s, "slow")->t_i == 120 * S);
  CHECK(find(s, "drift")->unsafe == 1);
  CHECK(find(s, "503")->failed == 1);
  CHECK(find(s, "503")->unsafe == 0);
  CHECK(s.background.failed == 1);
  CHECK(s.background.unsafe == 1);
  // Incidents and background add up to the run's counts.
  CHECK(s.metrics.failed == 3);
  CHECK(s.metrics.unsafe == 2);
}

TEST_CASE("Harm with no fault behind it is background and opens no incident", "[score][incidents]") {
  JournalBuilder b(standard_run({"ttd == none", "incidents == 0", "background.failed == 2"}));
  b.request(10 * S, RequestStatus::kError);
  b.request(20 * S, RequestStatus::kOk, 5 * S);
  b.request(30 * S, RequestStatus::kError);
  b.fire(35 * S, "ErrorsHigh");
  b.end(600 * S);
  const Score s = score_journal(b.events());
  CHECK(s.incidents.empty());
  CHECK(s.background.harmed == 3);
  CHECK(s.background.failed == 2);
  CHECK(s.background.slow == 1);
  CHECK_FALSE(s.timeline.t_i);
  CHECK_FALSE(s.metrics.ttd_s);
  // Its alert measured background noise: a false alert.
  REQUIRE(s.false_alert_list.size() == 1);
  CHECK(s.false_alert_list[0].sli == "error_ratio");
  CHECK(s.pass);
}

TEST_CASE("A latent fault that harms nothing opens no incident and sets no time", "[score][incidents]") {
  JournalBuilder b(standard_run());
  b.fault_start(50 * S, "idle-ehr", "ehr", "timeout");
  healthy(b, 10, 90);
  b.fault_start(100 * S, "errors");
  b.failed(110 * S, {"errors"});
  healthy(b, 120, 600);
  b.end(600 * S);
  const Score s = score_journal(b.events());
  REQUIRE(s.incidents.size() == 1);
  CHECK(s.incidents[0].id == "errors");
  CHECK(s.incidents[0].faults == std::vector<std::string>{"errors"});
  CHECK(s.incidents[0].t_f == 100 * S);
}

TEST_CASE("Two incidents one after the other get their own times and exposure", "[score][incidents]") {
  RunStartEvent run = standard_run();
  run.alerts.push_back(threshold_rule("Canary", "canary_ratio", kMinute, 0));
  JournalBuilder b(run);
  healthy(b, 10, 90);
  // Incident 1: vendor errors 100..150, detected by ErrorsHigh at 125, failover at 140.
  b.fault_start(100 * S, "errors");
  b.failed(110 * S, {"errors"});
  b.failed(120 * S, {"errors"});
  b.fire(125 * S, "ErrorsHigh");
  b.change(140 * S, "secondary");
  healthy(b, 150, 290);
  b.fault_end(250 * S, "errors");
  b.resolve(170 * S, "ErrorsHigh");
  // Incident 2: a poisoned note that the model obeys, 300..; canary answers at 310 and 320.
  b.fault_start(300 * S, "note", "ehr", "poisoned_note");
  b.fault_start(300 * S, "obey", "vendor:secondary", "injection_following");
  RequestEvent canary;
  canary.unsafe = true;
  canary.unsafe_kind = "injection_followed";
  canary.canary_seen = true;
  canary.faults = {"note", "obey"};
  canary.latency = S;
  b.request_event(310 * S, canary);
  b.fire(315 * S, "Canary");
  b.request_event(320 * S, canary);
  healthy(b, 330, 600);
  b.end(600 * S);
  const Score s = score_journal(b.events());
  REQUIRE(s.incidents.size() == 2);
  const Incident& a = s.incidents[0];
  const Incident& c = s.incidents[1];
  CHECK(a.id == "errors");
  CHECK(a.t_i == 110 * S);
  CHECK(a.t_d == 125 * S);
  CHECK(a.detected_by == "ErrorsHigh");
  // [120, 135) holds the failure at 120; from 135 every bucket is clean: the change at 140 is
  // the latest at or before 135 + 15 s, so t_m = max(135, 140) = 140.
  CHECK(a.t_m == 140 * S);
  CHECK(a.mitigated_by == "route primary -> secondary by playbook:failover");
  CHECK(a.failed == 2);
  CHECK(a.unsafe == 0);
  // The note and the model that obeyed it harmed the same answers: one incident.
  CHECK(c.id == "note");
  CHECK(c.faults == std::vector<std::string>{"note", "obey"});
  CHECK(c.t_f == 300 * S);
  CHECK(c.t_d == 315 * S);
  CHECK(c.detected_by == "Canary");
  CHECK(c.unsafe == 2);
  CHECK(c.unsafe_by_kind.at("injection_followed") == 2);
  // Its faults never end and nobody acts: contained afterwards with no change (automatic).
  CHECK(c.t_m == 330 * S);
  CHECK(c.mitigated_by == "automatic");
  // The run's exposure is the sum; both alerts detected something.
  CHECK(s.metrics.exposure.total == 2);
  CHECK(s.false_alerts == 0);
}

TEST_CASE("Overlapping faults behind different harms of one answer stay two incidents", "[score][incidents]") {
  RunStartEvent run = standard_run();
  run.alerts.push_back(threshold_rule("LatencyHigh", "latency_p95", kMinute, 2.0));
  JournalBuilder b(run);
  b.fault_start(100 * S, "vendor-slow", "vendor:primary", "latency");
  b.fault_start(100 * S, "wrong-pt", "ehr", "wrong_patient");
  // Answers that are slow (vendor) and about another patient (EHR).
  for (int s = 110; s <= 200; s += 10) {
    RequestEvent r;
    r.latency = 4 * S;
    r.unsafe = true;
    r.unsafe_kind = "wrong_patient";
    r.faults = {"wrong-pt", "vendor-slow"};
    b.request_event(s * S, r);
  }
  b.fire(130 * S, "LatencyHigh");
  b.end(600 * S);
  const Score s = score_journal(b.events());
  REQUIRE(s.incidents.size() == 2);
  const Incident* slow = find(s, "vendor-slow");
  const Incident* wrong = find(s, "wrong-pt");
  REQUIRE(slow);
  REQUIRE(wrong);
  CHECK(slow->slow == 10);
  CHECK(slow->unsafe == 0);
  CHECK(wrong->unsafe == 10);
  // The latency alert counted slow answers; they were touched by both faults, but their
  // slowness is the vendor fault's: it detected the slow incident only.
  CHECK(slow->detected_by == "LatencyHigh");
  CHECK(wrong->detected_by.empty());
}

TEST_CASE("Faults on one target back to back, or naming one incident, are one incident", "[score][incidents]") {
  JournalBuilder b(standard_run());
  // An error rate written as steps on one target.
  b.fault_start(100 * S, "step-1");
  b.failed(110 * S, {"step-1"});
  b.fault_end(150 * S, "step-1");
  b.fault_start(150 * S, "step-2");
  b.failed(160 * S, {"step-2"});
  b.fault_end(200 * S, "step-2");
  // Two targets, one named incident.
  b.fault_start(300 * S, "ehr-down", "ehr", "error", "outage");
  b.fault_start(300 * S, "vendor-down", "vendor:secondary", "error", "outage");
  b.failed(310 * S, {"ehr-down"}, "ehr_error");
  b.failed(320 * S, {"vendor-down"});
  b.end(600 * S);
  const Score s = score_journal(b.events());
  REQUIRE(s.incidents.size() == 2);
  CHECK(s.incidents[0].id == "step-1");
  CHECK(s.incidents[0].faults == std::vector<std::string>{"step-1", "step-2"});
  CHECK(s.incidents[0].failed == 2);
  CHECK(s.incidents[1].id == "outage");
  CHECK(s.incidents[1].faults == std::vector<std::string>{"ehr-down", "vendor-down"});
}

TEST_CASE("An alert detects only the incident whose requests its SLI counted as bad", "[score][incidents]") {
  RunStartEvent run = standard_run();
  run.alerts.push_back(threshold_rule("Corrections", "correction_count", 5 * kMinute, 0));
  JournalBuilder b(run);
  b.fault_start(100 * S, "errors");
  b.fault_start(100 * S, "wrong-pt", "ehr", "wrong_patient");
  b.failed(110 * S, {"errors"});
  const std::uint64_t wrong_id = b.next_id();
  b.unsafe(115 * S, {"wrong-pt"}, "wrong_patient");
  b.failed(120 * S, {"errors"});
  // ErrorsHigh counts failures: the error incident's, not the wrong-patient one's.
  b.fire(125 * S, "ErrorsHigh");
  // A clinician reports the wrong-patient answer at 200; the corrections alert fires at 210.
  b.correction(200 * S, wrong_id);
  b.fire(210 * S, "Corrections");
  b.end(600 * S);
  const Score s = score_journal(b.events());
  REQUIRE(s.incidents.size() == 2);
  CHECK(find(s, "errors")->detected_by == "ErrorsHigh");
  CHECK(find(s, "errors")->t_d == 125 * S);
  CHECK(find(s, "wrong-pt")->detected_by == "Corrections");
  CHECK(find(s, "wrong-pt")->t_d == 210 * S);
  CHECK(*find(s, "wrong-pt")->ttd_s == Approx(95.0));
  CHECK(s.false_alerts == 0);
}

TEST_CASE("A probe failing on background noise is not detection", "[score][incidents]") {
  RunStartEvent run = standard_run();
  run.alerts.push_back(threshold_rule("ProbeFailing", "probe_failure", 10 * kMinute, 0));
  JournalBuilder b(run);
  b.fault_start(100 * S, "errors");
  b.failed(110 * S, {"errors"});
  b.probe(120 * S, RequestStatus::kError);  // no fault in its spans
  b.fire(125 * S, "ProbeFailing");
  b.end(600 * S);
  const Score s = score_journal(b.events());
  REQUIRE(s.incidents.size() == 1);
  CHECK_FALSE(s.incidents[0].t_d);
  REQUIRE(s.false_alert_list.size() == 1);
  CHECK(s.false_alert_list[0].name == "ProbeFailing");
  CHECK(s.false_alert_list[0].sli == "probe_failure");
}

TEST_CASE("A probe that catches a fault before any user is harmed detects it at once", "[score][incidents]") {
  RunStartEvent run = standard_run();
  run.alerts.push_back(threshold_rule("ProbeFailing", "probe_failure", 10 * kMinute, 0));
  JournalBuilder b(run);
  b.fault_start(100 * S, "wrong-pt", "ehr", "wrong_patient");
  b.probe(101 * S, RequestStatus::kOk, {"wrong-pt"}, true);
  b.fire(105 * S, "ProbeFailing");
  b.unsafe(110 * S, {"wrong-pt"}, "wrong_patient");
  b.end(600 * S);
  const Score s = score_journal(b.events());
  REQUIRE(s.incidents.size() == 1);
  CHECK(s.incidents[0].t_d == 105 * S);
  CHECK(s.incidents[0].t_i == 110 * S);
  CHECK(*s.incidents[0].ttd_s == 0.0);
  CHECK(*s.incidents[0].ttd_from_fault_s == 5.0);
}

TEST_CASE("An alert already firing detects a new incident when it counts its harm", "[score][incidents]") {
  JournalBuilder b(standard_run());
  b.fault_start(100 * S, "a");
  b.failed(110 * S, {"a"});
  b.fire(115 * S, "ErrorsHigh");
  b.fault_end(120 * S, "a");
  // Still firing when a second, unrelated fault starts failing requests at 200.
  b.fault_start(190 * S, "b", "ehr", "error");
  b.failed(200 * S, {"b"}, "ehr_error");
  b.resolve(400 * S, "ErrorsHigh");
  b.end(600 * S);
  const Score s = score_journal(b.events());
  REQUIRE(s.incidents.size() == 2);
  CHECK(find(s, "b")->t_d == 200 * S);
  CHECK(*find(s, "b")->ttd_s == 0.0);
}

TEST_CASE("Mitigation is never before the change that mitigated it, under a flapping fault", "[score][incidents]") {
  JournalBuilder b(standard_run());
  b.fault_start(100 * S, "flap");
  // Bad 100..130, good 130..160, bad 160..190, good 190..220: no 60 s window is clean until
  // the failover at 225.
  for (int s = 100; s <= 400; s += 5) {
    const bool bad = s < 225 && ((s - 100) / 30) % 2 == 0;
    if (bad) {
      b.failed(s * S, {"flap"});
    } else {
      b.request(s * S, RequestStatus::kOk, S, false, "", s < 225 ? std::vector<std::string>{"flap"}
                                                                  : std::vector<std::string>{});
    }
  }
  b.fire(110 * S, "ErrorsHigh");
  b.change(225 * S, "secondary");
  b.end(600 * S);
  const Score s = score_journal(b.events());
  REQUIRE(s.incidents.size() == 1);
  const Incident& x = s.incidents[0];
  // Failures at 100..125, 160..185 and 220: the good phases are shorter than the 60 s window,
  // so the first window in budget starts at the bucket after 220, 225, with the change: t_m is
  // the change, never earlier.
  CHECK(x.t_m == 225 * S);
  CHECK(x.mitigated_by == "route primary -> secondary by playbook:failover");
  CHECK(*x.ttm_s >= *x.ttd_s);
}

TEST_CASE("A change that the harm outlived does not explain an incident's mitigation", "[score][incidents]") {
  JournalBuilder b(standard_run());
  healthy(b, 10, 590);
  b.fault_start(100 * S, "errors");
  b.fault_start(100 * S, "stale", "ehr", "stale_docs");
  // The vendor errors stop with the failover at 130; the stale index goes on serving old
  // policies (answers 1 s long) until 180 and then stops by itself, its fault still active.
  b.failed(110 * S, {"errors"});
  b.failed(120 * S, {"errors"});
  b.change(130 * S, "secondary");
  for (int s : {115, 140, 160, 180}) b.unsafe(s * S, {"stale"}, "incorrect");
  b.end(600 * S);
  const Score s = score_journal(b.events());
  REQUIRE(s.incidents.size() == 2);
  // errors: [120, 135) holds the failure at 120; [135, 195) is clean; the failover at 130 is
  // the latest change and no harm of it came after: mitigated by the change at 135.
  const Incident* errors = find(s, "errors");
  REQUIRE(errors);
  CHECK(errors->t_m == 135 * S);
  CHECK(errors->mitigated_by == "route primary -> secondary by playbook:failover");
  // stale: [180, 195) holds the last unsafe answer, so t_m is 195. The answers at 160 and 180
  // arrived at 159 and 179, more than a bucket after the failover at 130, and still broke the
  // budget: the failover did not end this harm. Its fault never ended: automatic.
  const Incident* stale = find(s, "stale");
  REQUIRE(stale);
  CHECK(stale->t_m == 195 * S);
  CHECK(stale->mitigated_by == "automatic");
}

TEST_CASE("An alert does not detect an incident through harm attributed to another one's fault", "[score][incidents]") {
  JournalBuilder b(standard_run());
  healthy(b, 10, 590);
  b.fault_start(100 * S, "errors");
  b.fault_start(100 * S, "stale", "ehr", "stale_docs");
  // Benefits questions touched by both faults fail with vendor errors: the failures are the
  // error fault's (a stale index cannot fail a request with an error status).
  b.failed(110 * S, {"errors", "stale"});
  b.failed(120 * S, {"errors", "stale"});
  b.fire(125 * S, "ErrorsHigh");
  // The stale index's own harm: a well-cited, outdated answer nobody's SLI counts.
  b.unsafe(200 * S, {"stale"}, "incorrect");
  b.end(600 * S);
  const Score s = score_journal(b.events());
  REQUIRE(s.incidents.size() == 2);
  CHECK(find(s, "errors")->detected_by == "ErrorsHigh");
  CHECK(find(s, "errors")->t_d == 125 * S);
  // ErrorsHigh counted the failures at 110 and 120, touched by "stale" but not its harm.
  CHECK(find(s, "stale")->detected_by.empty());
  CHECK_FALSE(find(s, "stale")->t_d);
  CHECK(s.false_alerts == 0);
}

TEST_CASE("A failed request counts as failed and not slow in the run as in its incident", "[score][incidents]") {
  JournalBuilder b(standard_run());
  b.fault_start(100 * S, "slow-vendor", "vendor:primary", "latency");
  // A client timeout after 30 s (failed), and a 3 s answer (slow: the latency SLO is 2 s).
  RequestEvent timeout;
  timeout.latency = 30 * S;
  timeout.status = RequestStatus::kTimeout;
  timeout.cause = "client_timeout";
  timeout.faults = {"slow-vendor"};
  b.request_event(140 * S, timeout);
  b.slow(150 * S, {"slow-vendor"}, 3 * S);
  // A 3 s answer with no fault behind it: background.
  b.slow(400 * S, {}, 3 * S);
  b.end(600 * S);
  const Score s = score_journal(b.events());
  REQUIRE(s.incidents.size() == 1);
  CHECK(s.incidents[0].failed == 1);
  CHECK(s.incidents[0].slow == 1);
  CHECK(s.background.slow == 1);
  // Incidents and background add up to the run's counts: the timeout is not also slow.
  CHECK(s.metrics.failed == 1);
  CHECK(s.metrics.slow == 2);
}

TEST_CASE("A fault that ends with nobody acting is mitigated by its end", "[score][incidents]") {
  JournalBuilder b(standard_run());
  b.fault_start(100 * S, "blip");
  b.failed(110 * S, {"blip"});
  b.failed(120 * S, {"blip"});
  b.fault_end(125 * S, "blip");
  healthy(b, 130, 600);
  b.fire(200 * S, "ErrorsHigh");  // too late: it counted nothing of the blip
  b.end(600 * S);
  const Score s = score_journal(b.events());
  REQUIRE(s.incidents.size() == 1);
  const Incident& x = s.incidents[0];
  // [120, 135) holds the failure at 120; [135, 195) is clean; the fault ended at 125.
  CHECK(x.t_m == 135 * S);
  CHECK(x.mitigated_by == "fault_end");
  CHECK_FALSE(x.t_d);
  CHECK(s.false_alerts == 1);
}

TEST_CASE("The system's own fallback contains an incident automatically", "[score][incidents]") {
  JournalBuilder b(standard_run());
  b.fault_start(100 * S, "primary-down");
  b.failed(110 * S, {"primary-down"});
  // The assistant's auto-failover answers from the secondary from then on: the fault stays
  // active, nobody acts, requests are fine.
  healthy(b, 120, 600);
  b.end(600 * S);
  const Score s = score_journal(b.events());
  REQUIRE(s.incidents.size() == 1);
  CHECK(s.incidents[0].t_m == 120 * S);
  CHECK(s.incidents[0].mitigated_by == "automatic");
}

TEST_CASE("Harm that breaks the budget again after mitigation is a relapse", "[score][incidents]") {
  RunStartEvent run = standard_run();
  run.alerts.push_back(threshold_rule("CitationsMissing", "citation_invalid_ratio", kMinute, 0.05));
  JournalBuilder b(run);
  RequestEvent bad;
  bad.unsafe = true;
  bad.unsafe_kind = "hallucination";
  bad.citations_valid = false;
  bad.latency = S;
  // A bad prompt deployed at 100 (a change fault: it never ends), rolled back at 150.
  b.fault_start(100 * S, "deploy-v3", "assistant", "prompt_deploy");
  bad.faults = {"deploy-v3"};
  b.request_event(110 * S, bad);
  b.fire(115 * S, "CitationsMissing");
  b.request_event(120 * S, bad);
  b.add(150 * S, ControlChangeEvent{"prompt", "", "v3", "v2", "playbook:prompt-rollback"});
  healthy(b, 160, 290);
  b.resolve(200 * S, "CitationsMissing");
  // Redeployed by a second change fault at 300: the same answers again.
  b.fault_start(300 * S, "redeploy-v3", "assistant", "prompt_deploy");
  bad.faults = {"redeploy-v3"};
  b.request_event(310 * S, bad);
  b.fire(315 * S, "CitationsMissing");
  b.request_event(320 * S, bad);
  healthy(b, 330, 600);
  b.end(600 * S);
  const Score s = score_journal(b.events());
  // One target (assistant), windows that overlap: one group, split by the relapse.
  REQUIRE(s.incidents.size() == 2);
  const Incident& first = s.incidents[0];
  const Incident& again = s.incidents[1];
  CHECK(first.id == "deploy-v3");
  CHECK(first.t_m == 150 * S);
  CHECK(first.unsafe == 2);
  CHECK(again.id == "deploy-v3#2");
  CHECK(again.relapse_of == "deploy-v3");
  CHECK(again.t_i == 310 * S);
  CHECK(again.t_f == 300 * S);
  CHECK(again.t_d == 315 * S);
  CHECK(again.unsafe == 2);
  // Nobody acted on the relapse and the change fault still holds: contained at 330 with no change.
  CHECK(again.t_m == 330 * S);
  CHECK(again.mitigated_by == "automatic");
  CHECK(s.metrics.exposure.total == 4);
  // Each lists the fault whose harm it holds, and a fault's id names the incident it harmed in.
  CHECK(first.faults == std::vector<std::string>{"deploy-v3"});
  CHECK(again.faults == std::vector<std::string>{"redeploy-v3"});
  // TTM: 150 − 110 for the first, 330 − 310 for the relapse.
  const ExpectationResult redeploy = evaluate_expectation("incident(redeploy-v3).ttm <= 30s", s);
  CHECK(redeploy.pass);
  CHECK(*redeploy.actual == 20.0);
  CHECK(*evaluate_expectation("incident(deploy-v3).ttm <= 1m", s).actual == 40.0);
  CHECK(evaluate_expectation("incident(deploy-v3#2).unsafe == 2", s).pass);
}

TEST_CASE("Recovery needs the detecting alert resolved and a green golden check after the last change", "[score][incidents]") {
  JournalBuilder b(standard_run());
  b.fault_start(100 * S, "errors");
  b.failed(110 * S, {"errors"});
  b.fire(115 * S, "ErrorsHigh");
  b.change(130 * S, "secondary");
  healthy(b, 140, 600);
  b.golden(150 * S, false);  // the gate on the secondary failed...
  b.change(160 * S, "primary", "playbook:failover-rollback");  // ...and was rolled back
  b.resolve(170 * S, "ErrorsHigh");
  // A post-mitigation wait: the playbook runs on until 500; recovery does not wait for it.
  b.add(120 * S, PlaybookStartEvent{"failover", 1, "alert:ErrorsHigh"});
  b.add(500 * S, PlaybookEndEvent{"failover", 1, "rolled_back", "golden gate failed"});
  b.end(600 * S);
  const Score s = score_journal(b.events());
  REQUIRE(s.incidents.size() == 1);
  const Incident& x = s.incidents[0];
  CHECK(x.t_m == 130 * S);
  // The failed gate came before the last change (the rollback at 160), so it does not block;
  // the alert resolved at 170.
  CHECK(x.t_r == 170 * S);
}

TEST_CASE("Recovery waits for a passing golden check after the last change", "[score][incidents]") {
  JournalBuilder b(standard_run());
  b.fault_start(100 * S, "errors");
  b.failed(110 * S, {"errors"});
  b.change(130 * S, "secondary");
  healthy(b, 140, 600);
  b.golden(150 * S, false);
  b.golden(250 * S, true);
  b.end(600 * S);
  const Score s = score_journal(b.events());
  REQUIRE(s.incidents.size() == 1);
  CHECK(s.incidents[0].t_r == 250 * S);
}

TEST_CASE("No recovery while the detecting alert still fires or harm returns within the window", "[score][incidents]") {
  JournalBuilder b(standard_run());
  b.fault_start(100 * S, "errors");
  b.failed(110 * S, {"errors"});
  b.fire(115 * S, "ErrorsHigh");
  healthy(b, 120, 600);
  b.end(600 * S);
  const Score s = score_journal(b.events());
  REQUIRE(s.incidents.size() == 1);
  CHECK(s.incidents[0].t_m);
  CHECK_FALSE(s.incidents[0].t_r);
}

TEST_CASE("The run's durations are the worst incident's", "[score][incidents]") {
  JournalBuilder b(standard_run());
  b.fault_start(100 * S, "quick");
  b.failed(110 * S, {"quick"});
  b.fault_end(115 * S, "quick");
  healthy(b, 120, 190);
  b.fault_start(200 * S, "never-fixed", "ehr", "wrong_patient");
  for (int s = 210; s <= 600; s += 10) b.unsafe(s * S, {"never-fixed"}, "wrong_patient");
  b.end(600 * S);
  const Score s = score_journal(b.events());
  REQUIRE(s.incidents.size() == 2);
  REQUIRE(s.worst);
  CHECK(s.incidents[*s.worst].id == "never-fixed");
  CHECK(s.timeline.t_i == 210 * S);
  CHECK_FALSE(s.metrics.ttm_s);
  CHECK(s.metrics.exposure.total == 40);
  CHECK_FALSE(s.metrics.exposure.mitigated);
}

TEST_CASE("Exposure per incident lists patients by pseudonym, most affected first", "[score][incidents]") {
  JournalBuilder b(standard_run());
  b.fault_start(100 * S, "wrong-pt", "ehr", "wrong_patient");
  b.unsafe(110 * S, {"wrong-pt"}, "wrong_patient", "pt-bbbbbbbb");
  b.unsafe(120 * S, {"wrong-pt"}, "wrong_patient", "pt-aaaaaaaa");
  b.unsafe(130 * S, {"wrong-pt"}, "wrong_patient", "pt-bbbbbbbb");
  b.unsafe(140 * S, {"wrong-pt"}, "wrong_patient", "pt-cccccccc");
  b.end(600 * S);
  const Score s = score_journal(b.events());
  REQUIRE(s.incidents.size() == 1);
  const auto& pp = s.incidents[0].per_patient;
  REQUIRE(pp.size() == 3);
  CHECK(pp[0].patient_ref == "pt-bbbbbbbb");
  CHECK(pp[0].count == 2);
  CHECK(pp[1].patient_ref == "pt-aaaaaaaa");
  CHECK(pp[2].patient_ref == "pt-cccccccc");
  CHECK(s.incidents[0].patients_affected == 3);
}

TEST_CASE("An alert from outside without a rule detects the incident with harm before it fires", "[score][incidents]") {
  JournalBuilder b(standard_run());
  b.fault_start(100 * S, "errors");
  b.failed(110 * S, {"errors"});
  b.add(130 * S, AlertFireEvent{"TeamPager", "critical", 1, "from Alertmanager", "alertmanager"});
  b.end(600 * S);
  const Score s = score_journal(b.events());
  REQUIRE(s.incidents.size() == 1);
  CHECK(s.incidents[0].detected_by == "TeamPager");
  CHECK(s.false_alerts == 0);
}

TEST_CASE("A repeated fault is one incident while its calm spells are shorter than the sustain window, else it relapses", "[score][incidents][repeat]") {
  JournalBuilder b(standard_run());  // sustain 60 s
  // One fault id, three windows: 100..130 and 160..190 (30 s apart, under the 60 s sustain
  // window), then 400..430 (210 s after the second). Requests every 5 s, failing in windows.
  const std::vector<std::pair<int, int>> windows = {{100, 130}, {160, 190}, {400, 430}};
  for (const auto& [from, to] : windows) {
    b.fault_start(from * S, "flap");
    b.fault_end(to * S, "flap");
  }
  for (int s = 10; s <= 595; s += 5) {
    bool bad = false;
    for (const auto& [from, to] : windows) bad = bad || (s >= from && s < to);
    if (bad) {
      b.failed(s * S, {"flap"});
    } else {
      b.request(s * S);
    }
  }
  b.end(600 * S);
  const Score s = score_journal(b.events());
  REQUIRE(s.incidents.size() == 2);
  const Incident& first = s.incidents[0];
  const Incident& again = s.incidents[1];
  // The first two windows: one incident of 12 failures, ended by the fault's end.
  CHECK(first.id == "flap");
  CHECK(first.t_i == 100 * S);
  CHECK(first.failed == 12);
  CHECK(first.mitigated_by == "fault_end");
  // The third window comes after a calm longer than the sustain window: a relapse of it.
  CHECK(again.id == "flap#2");
  CHECK(again.relapse_of == "flap");
  CHECK(again.t_i == 400 * S);
  CHECK(again.t_f == 400 * S);
  CHECK(again.failed == 6);
}
