// report.json: stable key order (nlohmann::ordered_json), nulls for what never happened.
#include <cmath>
#include <nlohmann/json.hpp>

#include "report/report.hpp"
#include "score/expect.hpp"

namespace gameday {
namespace {

using Json = nlohmann::ordered_json;

Json opt_seconds(const std::optional<SimTime>& t) {
  if (!t) return nullptr;
  return to_seconds(*t);
}

Json opt_number(const std::optional<double>& v) {
  if (!v) return nullptr;
  return *v;
}

// JSON has no infinities (a 100 % objective with errors): write null rather than a bogus value.
Json finite(double v) {
  if (!std::isfinite(v)) return nullptr;
  return v;
}

Json expectation_actual(const ExpectationResult& e) {
  if (!e.actual) return nullptr;
  if (metric_kind(e.metric) == MetricKind::kCount) {
    return static_cast<std::int64_t>(std::llround(*e.actual));
  }
  return finite(*e.actual);
}

}  // namespace

std::string report_json(const Score& s) {
  const Timeline& tl = s.timeline;
  const Metrics& m = s.metrics;
  Json j;
  j["scenario"] = s.run.scenario;
  j["description"] = s.run.description;
  j["seed"] = s.run.seed;
  j["mode"] = s.run.mode;
  j["playbooks_enabled"] = s.run.playbooks_enabled;
  j["verdict"] = s.pass ? "pass" : "fail";
  j["duration_s"] = to_seconds(s.end);

  Json timeline;
  timeline["t_f_s"] = opt_seconds(tl.t_f);
  timeline["t_i_s"] = opt_seconds(tl.t_i);
  timeline["t_d_s"] = opt_seconds(tl.t_d);
  timeline["t_a_s"] = opt_seconds(tl.t_a);
  timeline["t_m_s"] = opt_seconds(tl.t_m);
  timeline["t_r_s"] = opt_seconds(tl.t_r);
  j["timeline"] = std::move(timeline);

  Json metrics;
  metrics["ttd_s"] = opt_number(m.ttd_s);
  metrics["ttd_from_fault_s"] = opt_number(m.ttd_from_fault_s);
  metrics["tta_s"] = opt_number(m.tta_s);
  metrics["ttm_s"] = opt_number(m.ttm_s);
  metrics["ttr_s"] = opt_number(m.ttr_s);
  metrics["requests"] = m.requests;
  metrics["failed_requests"] = m.failed;
  metrics["slow_requests"] = m.slow;
  metrics["unsafe_responses"] = m.unsafe;
  metrics["probe_requests"] = m.probes;
  metrics["failed_ratio"] = m.failed_ratio;
  metrics["unsafe_ratio"] = m.unsafe_ratio;
  Json budget = Json::object();
  for (const auto& slo : s.slos) {
    Json b;
    b["sli"] = slo.sli;
    b["objective"] = slo.objective;
    b["good"] = slo.good;
    b["total"] = slo.total;
    b["compliance"] = finite(slo.compliance);
    b["budget_consumed"] = finite(slo.budget_consumed);
    budget[slo.name] = std::move(b);
  }
  metrics["error_budget"] = std::move(budget);

  // Truth over the whole run, by kind (unsafe_responses is its total).
  Json by_kind = Json::object();
  for (const auto& [kind, n] : m.unsafe_by_kind) by_kind[kind] = n;
  metrics["unsafe_by_kind"] = std::move(by_kind);

  // Truth inside the impact window [t_i, t_m] (to the run's end when never mitigated).
  const Exposure& ex = m.exposure;
  Json exposure;
  if (ex.from) {
    exposure["window_s"] = Json::array({to_seconds(*ex.from), to_seconds(*ex.to)});
  } else {
    exposure["window_s"] = nullptr;
  }
  exposure["until"] = !ex.from ? Json(nullptr) : Json(ex.mitigated ? "mitigation" : "run_end");
  exposure["total"] = ex.total;
  Json exposure_kinds = Json::object();
  for (const auto& [kind, n] : ex.by_kind) exposure_kinds[kind] = n;
  exposure["by_kind"] = std::move(exposure_kinds);
  exposure["patients_affected"] = ex.patients_affected;
  Json per_patient = Json::array();
  for (const auto& p : ex.per_patient) {
    Json y;
    y["patient_ref"] = p.patient_ref;
    y["count"] = p.count;
    per_patient.push_back(std::move(y));
  }
  exposure["per_patient"] = std::move(per_patient);
  metrics["exposure"] = std::move(exposure);

  metrics["bad_requests"] = m.bad;
  Json causes = Json::object();
  for (const auto& c : m.root_cause) {
    Json y;
    y["count"] = c.count;
    y["share"] = c.share;
    causes[c.cause] = std::move(y);
  }
  metrics["root_cause"] = std::move(causes);

  Json attack;
  attack["attempted"] = m.attack.attempted;
  attack["succeeded"] = m.attack.succeeded;
  attack["attack_success_rate"] = opt_number(m.attack.success_rate);
  attack["answered_correctly"] = m.attack.answered_correctly;
  attack["utility_under_attack"] = opt_number(m.attack.utility_under_attack);
  metrics["attack"] = std::move(attack);

  Json phi;
  phi["to_vendor"] = m.phi.to_vendor;
  phi["in_logs"] = m.phi.in_logs;
  phi["leaked_to_users"] = m.phi.leaked_to_users;
  metrics["phi"] = std::move(phi);

  Json correctness;
  correctness["served"] = m.correctness.served;
  correctness["correct"] = m.correctness.correct;
  correctness["correct_ratio"] = opt_number(m.correctness.correct_ratio);
  metrics["correctness"] = std::move(correctness);

  // What the observable signals showed (the detector's view), whole run.
  const DetectorView& dv = m.detectors;
  metrics["citation_validity"] = opt_number(dv.citation_validity);
  Json detectors;
  detectors["citation_invalid"] = dv.citation_invalid;
  detectors["schema_invalid"] = dv.schema_invalid;
  detectors["schema_validity"] = opt_number(dv.schema_validity);
  detectors["canary_outputs"] = dv.canary_outputs;
  detectors["phi_pattern_outputs"] = dv.phi_pattern_outputs;
  detectors["refusals"] = dv.refusals;
  detectors["refusal_ratio"] = opt_number(dv.refusal_ratio);
  detectors["unsafe_flagged"] = dv.unsafe_flagged;
  detectors["corrections"] = dv.corrections;
  detectors["first_correction_s"] = opt_seconds(dv.first_correction);
  detectors["probe_runs"] = dv.probe_runs;
  detectors["probe_failures"] = dv.probe_failures;
  detectors["first_probe_failure_s"] = opt_seconds(dv.first_probe_failure);
  metrics["detectors"] = std::move(detectors);
  j["metrics"] = std::move(metrics);

  Json expectations = Json::array();
  for (const auto& e : s.expectations) {
    Json x;
    x["text"] = e.text;
    x["metric"] = e.metric.empty() ? Json(nullptr) : Json(e.metric);
    x["actual"] = expectation_actual(e);
    x["pass"] = e.pass;
    expectations.push_back(std::move(x));
  }
  j["expectations"] = std::move(expectations);

  Json faults = Json::array();
  for (const auto& f : s.faults) {
    Json x;
    x["id"] = f.id;
    x["target"] = f.target;
    x["kind"] = f.kind;
    x["detail"] = f.detail;
    x["start_s"] = to_seconds(f.start);
    x["end_s"] = opt_seconds(f.end);
    faults.push_back(std::move(x));
  }
  j["faults"] = std::move(faults);

  Json alerts = Json::array();
  for (const auto& a : s.alerts) {
    Json x;
    x["name"] = a.name;
    x["severity"] = a.severity;
    x["fired_at_s"] = to_seconds(a.fired_at);
    x["resolved_at_s"] = opt_seconds(a.resolved_at);
    x["value"] = finite(a.value);
    x["summary"] = a.summary;
    alerts.push_back(std::move(x));
  }
  j["alerts"] = std::move(alerts);

  Json playbooks = Json::array();
  for (const auto& p : s.playbooks) {
    Json x;
    x["playbook"] = p.playbook;
    x["run"] = p.run;
    x["trigger"] = p.trigger;
    x["started_at_s"] = to_seconds(p.started_at);
    x["ended_at_s"] = opt_seconds(p.ended_at);
    x["outcome"] = p.ended_at ? Json(p.outcome) : Json(nullptr);
    x["reason"] = p.reason;
    Json steps = Json::array();
    for (const auto& st : p.steps) {
      Json y;
      y["index"] = st.index;
      y["name"] = st.name;
      y["kind"] = st.kind;
      y["rollback"] = st.rollback;
      y["started_at_s"] = to_seconds(st.started_at);
      y["ended_at_s"] = opt_seconds(st.ended_at);
      y["outcome"] = st.ended_at ? Json(st.outcome) : Json(nullptr);
      y["reason"] = st.reason;
      steps.push_back(std::move(y));
    }
    x["steps"] = std::move(steps);
    playbooks.push_back(std::move(x));
  }
  j["playbooks"] = std::move(playbooks);

  Json changes = Json::array();
  for (const auto& c : s.changes) {
    Json x;
    x["at_s"] = to_seconds(c.at);
    x["what"] = c.what;
    x["key"] = c.key;
    x["from"] = c.from;
    x["to"] = c.to;
    x["by"] = c.by;
    changes.push_back(std::move(x));
  }
  j["changes"] = std::move(changes);

  Json golden = Json::array();
  for (const auto& g : s.golden) {
    Json x;
    x["at_s"] = to_seconds(g.at);
    x["set"] = g.set;
    x["passed"] = g.passed;
    x["total"] = g.total;
    x["min_pass_rate"] = g.min_pass_rate;
    x["ok"] = g.ok;
    x["by"] = g.by;
    golden.push_back(std::move(x));
  }
  j["golden"] = std::move(golden);
  j["false_alerts"] = s.false_alerts;

  // Replace rather than throw on invalid UTF-8 (e.g. a fault detail from a hand-edited file).
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace gameday
