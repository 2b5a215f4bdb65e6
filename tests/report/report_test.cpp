#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../score/journal_builder.hpp"
#include "report/report.hpp"
#include "score/score.hpp"
#include "sim/json_text.hpp"

using namespace gameday;
using gameday::test::JournalBuilder;
using gameday::test::reference_incident;
using gameday::test::standard_run;

namespace {

std::vector<std::string> keys(const nlohmann::ordered_json& j) {
  std::vector<std::string> out;
  for (auto it = j.begin(); it != j.end(); ++it) out.push_back(it.key());
  return out;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

Score quiet_run() {
  JournalBuilder b(standard_run({"ttd <= 3m"}));
  b.request(10 * kSecond);
  b.end(kMinute);
  return score_journal(b.events());
}

}  // namespace

TEST_CASE("report.json keys come in the documented order", "[report]") {
  const auto j = nlohmann::ordered_json::parse(
      report_json(score_journal(reference_incident({"ttd <= 1m", "unsafe <= 0"}))));
  CHECK(keys(j) == std::vector<std::string>{"scenario", "description", "seed", "mode",
                                            "playbooks_enabled", "verdict", "interrupted", "ended",
                                            "duration_s",
                                            "timeline", "metrics", "expectations", "faults",
                                            "alerts", "playbooks", "changes", "golden",
                                            "incidents", "background", "false_alerts"});
  CHECK(keys(j["incidents"][0]) ==
        std::vector<std::string>{"id", "faults", "relapse_of", "t_f_s", "t_i_s", "t_d_s", "t_a_s",
                                 "t_m_s", "t_r_s", "ttd_s", "ttd_from_fault_s", "tta_s", "ttm_s",
                                 "ttr_s", "detected_by", "mitigated_by", "harm_until_s", "harmed",
                                 "failed", "slow", "unsafe", "unsafe_by_kind", "patients_affected",
                                 "per_patient", "phi_to_vendor", "phi_in_logs"});
  CHECK(keys(j["background"]) == std::vector<std::string>{"harmed", "failed", "slow", "unsafe", "by_kind"});
  CHECK(keys(j["false_alerts"][0]) == std::vector<std::string>{"name", "sli", "fired_at_s", "value", "summary"});
  CHECK(keys(j["timeline"]) ==
        std::vector<std::string>{"t_f_s", "t_i_s", "t_d_s", "t_a_s", "t_m_s", "t_r_s"});
  CHECK(keys(j["metrics"]) ==
        std::vector<std::string>{"ttd_s", "ttd_from_fault_s", "tta_s", "ttm_s", "ttr_s",
                                 "requests", "failed_requests", "slow_requests",
                                 "unsafe_responses", "probe_requests", "failed_ratio",
                                 "unsafe_ratio", "error_budget", "unsafe_by_kind", "unsafe_reasons", "exposure",
                                 "bad_requests", "root_cause", "attack", "phi", "correctness",
                                 "citation_validity", "detectors"});
  CHECK(keys(j["metrics"]["exposure"]) ==
        std::vector<std::string>{"window_s", "until", "total", "by_kind", "patients_affected",
                                 "per_patient"});
  {
    JournalBuilder b(standard_run());
    b.fault_start(10 * kSecond, "wrong-pt", "ehr", "wrong_patient");
    b.unsafe(20 * kSecond, {"wrong-pt"}, "wrong_patient");
    b.end(kMinute);
    const auto x = nlohmann::ordered_json::parse(report_json(score_journal(b.events())));
    CHECK(keys(x["metrics"]["exposure"]["per_patient"][0]) == std::vector<std::string>{"patient_ref", "count"});
  }
  CHECK(keys(j["metrics"]["root_cause"]) ==
        std::vector<std::string>{"retrieval", "prompt_config", "model", "ehr_dependency",
                                 "unattributed"});
  CHECK(keys(j["metrics"]["root_cause"]["retrieval"]) == std::vector<std::string>{"count", "share"});
  CHECK(keys(j["metrics"]["attack"]) ==
        std::vector<std::string>{"attempted", "succeeded", "attack_success_rate",
                                 "answered_correctly", "utility_under_attack"});
  CHECK(keys(j["metrics"]["phi"]) ==
        std::vector<std::string>{"to_vendor", "in_logs", "leaked_to_users"});
  CHECK(keys(j["metrics"]["correctness"]) ==
        std::vector<std::string>{"served", "correct", "correct_ratio"});
  CHECK(keys(j["metrics"]["detectors"]) ==
        std::vector<std::string>{"citation_invalid", "schema_invalid", "schema_validity",
                                 "canary_outputs", "phi_pattern_outputs", "refusals",
                                 "refusal_ratio", "unsafe_flagged", "corrections",
                                 "first_correction_s", "probe_runs", "probe_failures",
                                 "first_probe_failure_s"});
  CHECK(keys(j["metrics"]["error_budget"]["answers-available"]) ==
        std::vector<std::string>{"sli", "objective", "good", "total", "compliance", "budget_consumed"});
  CHECK(keys(j["expectations"][0]) == std::vector<std::string>{"text", "metric", "actual", "pass"});
  CHECK(keys(j["playbooks"][0]) ==
        std::vector<std::string>{"playbook", "run", "trigger", "started_at_s", "ended_at_s",
                                 "outcome", "reason", "steps"});
  CHECK(keys(j["playbooks"][0]["steps"][0]) ==
        std::vector<std::string>{"index", "name", "kind", "rollback", "started_at_s", "ended_at_s",
                                 "outcome", "reason"});
}

TEST_CASE("report.json carries the scored values", "[report]") {
  const auto j = nlohmann::json::parse(
      report_json(score_journal(reference_incident({"ttd <= 1m", "unsafe <= 0"}))));
  CHECK(j["verdict"] == "fail");
  CHECK(j["seed"] == 42);
  CHECK(j["duration_s"] == 600.0);
  CHECK(j["timeline"]["t_i_s"] == 110.0);
  CHECK(j["timeline"]["t_r_s"] == 200.0);
  CHECK(j["metrics"]["ttd_s"] == 15.0);
  CHECK(j["metrics"]["requests"] == 60);
  CHECK(j["metrics"]["unsafe_responses"] == 1);
  CHECK(j["metrics"]["error_budget"]["answers-available"]["good"] == 58);
  CHECK(j["expectations"][1]["actual"].is_number_integer());
  CHECK(j["expectations"][1]["pass"] == false);
  CHECK(j["alerts"][1]["resolved_at_s"] == 170.0);
  REQUIRE(j["false_alerts"].size() == 1);
  CHECK(j["false_alerts"][0]["name"] == "Noise");
  CHECK(j["incidents"][0]["mitigated_by"] == "route primary -> secondary by playbook:failover");
}

TEST_CASE("report.json is byte-identical for identical input", "[report]") {
  const auto events = reference_incident({"ttd <= 1m"});
  const std::string a = report_json(score_journal(events));
  const std::string b = report_json(score_journal(events));
  CHECK(a == b);
  CHECK(a.back() == '\n');
  CHECK(report_markdown(score_journal(events)) == report_markdown(score_journal(events)));
}

TEST_CASE("report.json renders what never happened as null", "[report]") {
  const auto j = nlohmann::json::parse(report_json(quiet_run()));
  for (const char* k : {"t_f_s", "t_i_s", "t_d_s", "t_a_s", "t_m_s", "t_r_s"}) {
    CHECK(j["timeline"][k].is_null());
  }
  for (const char* k : {"ttd_s", "ttd_from_fault_s", "tta_s", "ttm_s", "ttr_s"}) {
    CHECK(j["metrics"][k].is_null());
  }
  CHECK(j["expectations"][0]["actual"].is_null());
  CHECK(j["faults"].is_array());
  CHECK(j["faults"].empty());
  CHECK(j["verdict"] == "fail");
}

TEST_CASE("The markdown report shows the timeline, metrics, budget and expectations", "[report]") {
  const std::string md =
      report_markdown(score_journal(reference_incident({"ttd <= 1m", "unsafe <= 0"})));
  CHECK(contains(md, "# Game day report: vendor-errors"));
  CHECK(contains(md, "**Verdict: FAIL.**"));
  CHECK(contains(md, "| T+01:40 | Fault `primary-errors` started"));
  CHECK(contains(md, "| T+01:50 | **Impact**"));
  CHECK(contains(md, "| T+02:05 | Alert **ErrorsHigh** (page) fired"));
  CHECK(contains(md, "| T+02:30 | **Mitigated**"));
  CHECK(contains(md, "| T+03:20 | **Recovered**"));
  CHECK(contains(md, "| TTD (impact → detecting alert) | 15s |"));
  CHECK(contains(md, "| TTM (impact → mitigated) | 40s |"));
  CHECK(contains(md, "| TTR (impact → recovered) | 1m30s |"));
  CHECK(contains(md, "| Unsafe answers | 1 "));
  CHECK(contains(md, "| answers-available | availability | 90% | 58 / 60 |"));
  CHECK(contains(md, "- ✅ `ttd <= 1m`: actual 15s"));
  CHECK(contains(md, "- ❌ `unsafe <= 0`: actual 1"));
  CHECK(contains(md, "## What happened"));
  CHECK(contains(md, "The first alert, ErrorsHigh, fired at T+02:05, 15s after impact."));
  CHECK(contains(md, "(hallucination: 1)"));
}

TEST_CASE("The markdown report says plainly when nothing happened", "[report]") {
  const std::string md = report_markdown(quiet_run());
  CHECK(contains(md, "No fault was injected."));
  CHECK(contains(md, "No user request was affected."));
  CHECK(contains(md, "| TTD (impact → detecting alert) | - |"));
}

TEST_CASE("The terminal summary is a few plain lines", "[report]") {
  const std::string t =
      terminal_summary(score_journal(reference_incident({"ttd <= 1m", "unsafe <= 0"})));
  CHECK(t.rfind("gameday: vendor-errors (seed 42, simulated): FAIL\n", 0) == 0);
  CHECK(contains(t, "primary-errors (error on vendor:primary) at T+01:40"));
  CHECK(contains(t, "ErrorsHigh (page) at T+02:05; 1 false alert"));
  CHECK(contains(t, "1 run, 1 step: failover completed"));
  CHECK(contains(t, "TTD 15s  TTA 15s  TTM 40s  TTR 1m30s"));
  CHECK(contains(t, "60 user, 2 failed (3.333%), 1 unsafe"));
  CHECK(contains(t, "failing:   unsafe <= 0 (actual 1)"));
  long lines = 0;
  for (char c : t) {
    lines += c == '\n' ? 1 : 0;
    CHECK(static_cast<unsigned char>(c) < 0x80);  // ASCII, no colour codes
    CHECK(c != '\x1b');
  }
  CHECK(lines == 7);
}

TEST_CASE("Reports name patients by pseudonym only in the exposure lists", "[report]") {
  JournalBuilder b(standard_run({"ttd <= 1m"}));
  b.fault_start(100 * kSecond, "wrong-pt", "ehr", "wrong_patient");
  b.unsafe(130 * kSecond, {"wrong-pt"}, "wrong_patient");
  for (int sec = 140; sec <= 300; sec += 10) b.request(sec * kSecond);
  b.end(600 * kSecond);
  const Score s = score_journal(b.events());
  // The unsafe answer at 130 s is the wrong-patient incident's.
  auto j = nlohmann::ordered_json::parse(report_json(s));
  CHECK(j["metrics"]["exposure"]["per_patient"][0]["patient_ref"] == "pt-3fa9c2d1");
  CHECK(j["incidents"][0]["per_patient"][0]["patient_ref"] == "pt-3fa9c2d1");
  j["metrics"]["exposure"]["per_patient"] = nlohmann::ordered_json::array();
  j["incidents"][0]["per_patient"] = nlohmann::ordered_json::array();
  CHECK_FALSE(contains(j.dump(), "pt-3fa9c2d1"));

  // In report.md: once in the incident's table, once in the run's exposure table, nowhere else.
  const std::string md = report_markdown(s);
  const std::string header = "| Patient (pseudonym) | Unsafe answers |";
  std::size_t count = 0;
  for (std::size_t at = md.find("pt-3fa9c2d1"); at != std::string::npos; at = md.find("pt-3fa9c2d1", at + 1)) {
    ++count;
    const auto table = md.rfind(header, at);
    REQUIRE(table != std::string::npos);
    CHECK(md.find('\n', md.find('\n', table) + 1) < at);  // inside a table, after its header rows
  }
  CHECK(count == 2);
  CHECK_FALSE(contains(terminal_summary(s), "pt-3fa9c2d1"));
}

TEST_CASE("The terminal summary gives each of several incidents its own line", "[report]") {
  JournalBuilder b(standard_run());
  b.fault_start(100 * kSecond, "errors");
  b.failed(110 * kSecond, {"errors"});
  b.fault_end(130 * kSecond, "errors");
  b.fault_start(300 * kSecond, "codes", "vendor:secondary", "hallucination");
  b.unsafe(310 * kSecond, {"codes"});
  b.fault_end(330 * kSecond, "codes");
  for (int s = 340; s <= 900; s += 10) b.request(s * kSecond);
  b.end(900 * kSecond);
  const std::string t = terminal_summary(score_journal(b.events()));
  CHECK(contains(t, "  incidents: 2 (times above: the worst, "));
  CHECK(contains(t, "    errors: TTD -  TTM "));
  CHECK(contains(t, "1 failed, 0 unsafe; undetected\n"));
  CHECK(contains(t, "    codes: TTD -  TTM "));
  CHECK(contains(t, "0 failed, 1 unsafe; undetected\n"));
}

TEST_CASE("Reports of an interrupted run say it was cut short and when", "[report][interrupt]") {
  JournalBuilder b(standard_run({"ttd <= 3m"}));
  b.request(10 * kSecond);
  b.add(3 * kMinute, RunEndEvent{"interrupted"});
  const Score s = score_journal(b.events());
  const auto j = nlohmann::json::parse(report_json(s));
  CHECK(j["interrupted"] == true);
  CHECK(j["ended"] == "interrupted");
  CHECK(contains(report_markdown(s), "**Cut short.** The run was interrupted at T+03:00"));
  CHECK(contains(terminal_summary(s), "cut short: The run was interrupted at T+03:00"));
  const auto summary = nlohmann::json::parse(report_summary_json(s));
  CHECK(summary["interrupted"] == true);
}

TEST_CASE("Reports of a journal without run_end say the run did not finish", "[report][interrupt]") {
  JournalBuilder b(standard_run());
  b.request(10 * kSecond);
  b.request(95 * kSecond);
  const Score s = score_journal(b.events());
  const auto j = nlohmann::json::parse(report_json(s));
  CHECK(j["interrupted"] == true);
  CHECK(j["ended"].is_null());
  CHECK(contains(report_markdown(s), "The journal ends at T+01:35"));
  CHECK(contains(report_markdown(s), "the run did not finish"));
}

TEST_CASE("A completed run's reports do not mention being cut short", "[report][interrupt]") {
  const Score s = quiet_run();
  CHECK(nlohmann::json::parse(report_json(s))["interrupted"] == false);
  CHECK_FALSE(contains(report_markdown(s), "Cut short"));
  CHECK_FALSE(contains(terminal_summary(s), "cut short"));
}

TEST_CASE("report.md replaces bytes that are not UTF-8 with U+FFFD", "[report][utf8]") {
  JournalBuilder b(standard_run());
  b.add(kMinute, FaultStartEvent{"bad\xff\xc3id", "vendor:primary", "error", "detail \xe2\x82", ""});
  b.request(2 * kMinute);
  b.end(3 * kMinute);
  const std::string md = report_markdown(score_journal(b.events()));
  CHECK(is_valid_utf8(md));
  CHECK(contains(md, "bad\xef\xbf\xbd\xef\xbf\xbdid"));
  CHECK_FALSE(contains(md, "\xff"));
}
