#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "journal_builder.hpp"
#include "score/expect.hpp"
#include "score/score.hpp"

using namespace gameday;
using gameday::test::JournalBuilder;
using gameday::test::standard_run;

TEST_CASE("Expectations name the truth and detector metrics", "[expect]") {
  for (const char* text :
       {"exposure <= 0", "patients_affected <= 3", "injections >= 1", "attack_success_rate <= 0.1",
        "utility_under_attack >= 0.8", "correct_ratio >= 0.9", "citation_validity >= 0.95",
        "phi_to_vendor <= 0", "phi_in_logs <= 0", "phi_leaked <= 0", "corrections >= 1",
        "probe_failures <= 0", "unsafe_hallucination <= 0", "unsafe_wrong_patient <= 0",
        "unsafe_injection_followed <= 0", "unsafe_phi_leak <= 0", "unsafe_invalid_schema <= 0",
        "unsafe_incorrect <= 0"}) {
    INFO(text);
    std::string error;
    const auto e = parse_expectation(text, &error);
    CHECK(e.has_value());
    CHECK(error.empty());
  }
  CHECK(metric_kind("attack_success_rate") == MetricKind::kRatio);
  CHECK(metric_kind("exposure") == MetricKind::kCount);
  CHECK(metric_kind("unsafe_wrong_patient") == MetricKind::kCount);
  CHECK_FALSE(metric_kind("unsafe_made_up").has_value());
}

TEST_CASE("Ratio expectations on the new metrics must lie between 0 and 1", "[expect]") {
  std::string error;
  CHECK_FALSE(parse_expectation("correct_ratio >= 90", &error).has_value());
  CHECK(error == "expected a ratio between 0 and 1 for 'correct_ratio', got '90'");
}

TEST_CASE("An unknown metric lists the truth and detector metrics too", "[expect]") {
  std::string error;
  CHECK_FALSE(parse_expectation("exposed <= 0", &error).has_value());
  CHECK(error.find("unknown metric 'exposed'") == 0);
  for (const char* name : {"exposure", "attack_success_rate", "unsafe_wrong_patient", "citation_validity"}) {
    CHECK(error.find(name) != std::string::npos);
  }
}

TEST_CASE("Expectations on exposure and attacks are judged from the journal", "[expect][score]") {
  JournalBuilder b(standard_run({"exposure <= 0", "unsafe_wrong_patient <= 0",
                                 "attack_success_rate <= 0.1", "correct_ratio >= 0.5"}));
  b.fault_start(5 * kSecond, "wrong-patient", "ehr", "wrong_patient");
  RequestEvent bad;
  bad.faults = {"wrong-patient"};
  bad.patient_ref = "pt-0000aaaa";
  bad.unsafe = true;
  bad.unsafe_kind = "wrong_patient";
  b.request_event(10 * kSecond, bad);
  RequestEvent good;
  good.patient_ref = "pt-0000bbbb";
  good.correct = true;
  b.request_event(20 * kSecond, good);
  b.end(kMinute);
  const Score s = score_journal(b.events());
  REQUIRE(s.expectations.size() == 4);
  CHECK_FALSE(s.expectations[0].pass);
  CHECK(*s.expectations[0].actual == 1);
  CHECK_FALSE(s.expectations[1].pass);
  // No attack happened: the rate is missing, so the expectation cannot hold.
  CHECK_FALSE(s.expectations[2].actual.has_value());
  CHECK_FALSE(s.expectations[2].pass);
  CHECK(s.expectations[3].pass);
  CHECK(*s.expectations[3].actual == Approx(0.5));
}

TEST_CASE("Expectations name incidents, alerts, playbooks, the final state and the background", "[expect]") {
  std::string error;
  auto e = parse_expectation("incident(bad-deploy#2).ttm <= 5m", &error);
  REQUIRE(e);
  CHECK(e->scope == ExpectScope::kIncident);
  CHECK(e->arg == "bad-deploy#2");
  CHECK(e->metric == "ttm");
  CHECK(e->value == 300);
  e = parse_expectation("alert(CanaryInOutput).fired", &error);
  REQUIRE(e);
  CHECK(e->scope == ExpectScope::kAlert);
  CHECK(e->metric == "fired");
  e = parse_expectation("playbook(vendor-failover).outcome == rolled_back", &error);
  REQUIRE(e);
  CHECK(e->word == "rolled_back");
  e = parse_expectation("final.flag(safe-mode) != on", &error);
  REQUIRE(e);
  CHECK(e->scope == ExpectScope::kFinal);
  CHECK(e->arg == "safe-mode");
  CHECK(e->op == CompareOp::kNotEqual);
  e = parse_expectation("ttd == none", &error);
  REQUIRE(e);
  CHECK(e->none);
  CHECK(parse_expectation("background.unsafe <= 3", &error));
  CHECK(parse_expectation("false_alerts == 0", &error));
}

TEST_CASE("Malformed expectations say what was expected", "[expect][errors]") {
  std::string error;
  CHECK_FALSE(parse_expectation("incident.ttd <= 3m", &error));
  CHECK(error == "incident needs a name: incident(NAME).ttd");
  CHECK_FALSE(parse_expectation("incident(x).requests <= 3", &error));
  CHECK(error.find("unknown metric 'requests' of incident (known: ttd,") == 0);
  CHECK_FALSE(parse_expectation("ttd < none", &error));
  CHECK(error == "compare with none using == or !=");
  CHECK_FALSE(parse_expectation("final.route >= secondary", &error));
  CHECK(error == "compare 'route' using == or !=");
  CHECK_FALSE(parse_expectation("playbook(p).outcome >= done", &error));
  CHECK(error == "compare 'outcome' using == or !=");
  CHECK_FALSE(parse_expectation("alert(A).fired == 1", &error));
  CHECK(error.find("'fired' takes no comparison") == 0);
  CHECK_FALSE(parse_expectation("weather(x).rain > 0", &error));
  CHECK(error.find("unknown subject 'weather'") == 0);
  CHECK_FALSE(parse_expectation("final.flag <= 1", &error));
  CHECK(error == "final.flag needs a flag name: final.flag(NAME)");
}

TEST_CASE("Scoped expectations are judged on the incidents, alerts and final state", "[expect][score]") {
  RunStartEvent run = standard_run({"incidents == 1", "incident(errors).ttd <= 20s", "incident(errors).failed == 2",
                                    "alert(ErrorsHigh).fired", "alert(ErrorsHigh).count == 1",
                                    "alerts == 1", "false_alerts == 0", "final.route == secondary",
                                    "final.flag(safe-mode) == off", "playbook(failover).outcome == completed",
                                    "playbook(failover).runs == 1", "incident(nope).ttd <= 1h",
                                    "background.failed == 0", "ttr == none"});
  run.initial_state = {"route=primary", "prompt=v2", "mode=normal", "flag.safe-mode=off"};
  JournalBuilder b(run);
  b.fault_start(100 * kSecond, "errors");
  b.failed(110 * kSecond, {"errors"});
  b.failed(120 * kSecond, {"errors"});
  b.fire(125 * kSecond, "ErrorsHigh");
  b.add(126 * kSecond, PlaybookStartEvent{"failover", 1, "alert:ErrorsHigh"});
  b.change(130 * kSecond, "secondary");
  b.add(131 * kSecond, PlaybookEndEvent{"failover", 1, "completed", ""});
  for (int s = 140; s <= 600; s += 10) b.request(s * kSecond);
  b.end(600 * kSecond);
  const Score s = score_journal(b.events());
  REQUIRE(s.expectations.size() == 14);
  for (std::size_t i = 0; i < s.expectations.size(); ++i) {
    INFO(s.expectations[i].text);
    // Only the incident that does not exist fails.
    CHECK(s.expectations[i].pass == (i != 11));
  }
  CHECK(s.expectations[11].actual_text == "no incident nope");
  CHECK(*s.expectations[1].actual == 15.0);
}

TEST_CASE("An incident's exposure is its unsafe answers, in all and by kind", "[expect][score]") {
  JournalBuilder b(standard_run({"incident(codes).exposure == 2", "incident(codes).unsafe_hallucination == 2",
                                 "incident(codes).unsafe_wrong_patient == 0", "exposure == 2"}));
  b.fault_start(100 * kSecond, "codes", "vendor:primary", "hallucination");
  b.unsafe(110 * kSecond, {"codes"});
  b.unsafe(120 * kSecond, {"codes"}, "hallucination", "pt-5b092dbd");
  for (int s = 130; s <= 600; s += 10) b.request(s * kSecond);
  b.end(600 * kSecond);
  const Score s = score_journal(b.events());
  REQUIRE(s.incidents.size() == 1);
  for (const auto& e : s.expectations) {
    INFO(e.text);
    CHECK(e.pass);
  }
}
