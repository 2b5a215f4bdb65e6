// The trainee's scorecard (score/trainee): verdicts from harm before and after each change,
// times per incident, the suspected cause against the truth, references and points.
#include <catch2/catch.hpp>

#include "score/trainee.hpp"

using namespace gameday;

namespace {

/// One request every second from `from` to `to` (seconds), harmed when `harmed`.
void traffic(TraineeInput& in, int from, int to, bool harmed) {
  for (int s = from; s < to; ++s) in.harm.emplace_back(s * kSecond, harmed);
}

ActionEvent action(const std::string& what, const std::string& target, const std::string& by = "trainee:kim") {
  return ActionEvent{by, what, target, "", "ok"};
}

Incident incident(SimTime t_i, SimTime t_d, std::optional<SimTime> t_m) {
  Incident i;
  i.id = "primary-latency";
  i.faults = {"primary-latency"};
  i.t_i = t_i;
  i.t_d = t_d;
  i.t_m = t_m;
  if (t_m) i.ttm_s = to_seconds(*t_m - t_i);
  i.unsafe = 3;
  return i;
}

}  // namespace

TEST_CASE("A change after which harm halves helped, one after which it grows did harm", "[score][trainee]") {
  TraineeInput in;
  traffic(in, 0, 600, false);
  traffic(in, 600, 900, true);    // the incident: every answer harmed
  traffic(in, 900, 1200, false);  // after the failover at 880 s (+30 s settling)
  traffic(in, 1200, 1500, true);  // after PHI redaction went off at 1190 s
  in.actions = {{700 * kSecond, action("ack", "AssistantLatencyHigh")},
                {880 * kSecond, action("route", "secondary")},
                {1000 * kSecond, action("suspect", "vendor")},
                {1190 * kSecond, ActionEvent{"trainee:kim", "flag", "phi-redaction", "off", "ok"}},
                {1195 * kSecond, ActionEvent{"facilitator", "hint", "", "check the flags", "ok"}},
                {1196 * kSecond, ActionEvent{"trainee:kim", "prompt_rollback", "", "", "nothing to roll back to"}}};
  in.faults["primary-latency"] = {"latency", "vendor:primary", "+12s"};
  in.reference = {ReferenceIncident{"playbooks", "primary-latency", 60 * kSecond, 30 * kSecond, 120 * kSecond, 300 * kSecond, 0, 5},
                  ReferenceIncident{"nobody", "primary-latency", 60 * kSecond, -1, 1800 * kSecond, -1, 0, 50}};
  const auto s = score_trainee(in, {incident(600 * kSecond, 660 * kSecond, 910 * kSecond)});
  REQUIRE(s);
  CHECK(s->name == "kim");
  REQUIRE(s->actions.size() == 5);
  CHECK(s->actions[0].verdict.empty());  // an acknowledgement changes nothing
  CHECK(s->actions[1].verdict == "helped");
  CHECK(s->actions[3].verdict == "harmed");
  CHECK(s->actions[4].verdict == "refused");
  CHECK(s->actions[4].why == "nothing to roll back to");
  CHECK(s->helped == 1);
  CHECK(s->harmed == 1);
  CHECK(s->refused == 1);
  CHECK(s->hints == 1);
  CHECK(s->suspected == "vendor");
  CHECK(s->truth == std::vector<std::string>{"vendor"});
  CHECK(s->cause_right);
  REQUIRE(s->incidents.size() == 1);
  const auto& i = s->incidents[0];
  CHECK(*i.tta_s == Approx(40));           // ack at 700 s, detection at 660 s
  CHECK(*i.first_useful_s == Approx(280)); // the failover, 280 s after first harm
  CHECK(*i.ttm_s == Approx(310));
  CHECK(*i.playbooks.ttm_s == Approx(120));
  CHECK(*i.nobody.ttm_s == Approx(1800));
  CHECK_FALSE(i.nobody.ttr_s.has_value());
  // 100 - 15 (harm) - 5 (hint) - 3 (TTM 310 s vs 120 s: 3 whole minutes beyond)
  CHECK(s->points == 77);
}

TEST_CASE("Without a trainee's action there is no scorecard, and a wrong cause costs points", "[score][trainee]") {
  TraineeInput in;
  traffic(in, 0, 100, false);
  in.actions = {{10 * kSecond, ActionEvent{"facilitator", "hint", "", "x", "ok"}}};
  CHECK_FALSE(score_trainee(in, {}).has_value());
  in.actions.push_back({20 * kSecond, action("suspect", "prompt")});
  in.faults["primary-latency"] = {"latency", "vendor:primary", ""};
  const auto s = score_trainee(in, {incident(5 * kSecond, 6 * kSecond, std::nullopt)});
  REQUIRE(s);
  CHECK_FALSE(s->cause_right);
  CHECK(s->points == 100 - 5 - 10 - 20);  // a hint, the wrong cause, never mitigated
}

TEST_CASE("Faults map to the causes a trainee names", "[score][trainee]") {
  CHECK(fault_cause("latency", "vendor:primary", "") == "vendor");
  CHECK(fault_cause("error", "ehr", "") == "ehr");
  CHECK(fault_cause("wrong_patient", "ehr", "") == "retrieval");
  CHECK(fault_cause("stale_docs", "ehr", "") == "retrieval");
  CHECK(fault_cause("prompt_deploy", "assistant", "") == "prompt");
  CHECK(fault_cause("config_change", "assistant", "flag phi-redaction off") == "phi_config");
  CHECK(fault_cause("drift", "vendor:primary", "") == "model_drift");
  CHECK(fault_cause("poisoned_note", "ehr", "") == "injection");
  CHECK(fault_cause("injection_following", "vendor:primary", "") == "injection");
}
