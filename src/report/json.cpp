// report.json: stable key order (nlohmann::ordered_json), nulls for what never happened.
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

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

Json timeline_json(const Timeline& tl) {
  Json timeline;
  timeline["t_f_s"] = opt_seconds(tl.t_f);
  timeline["t_i_s"] = opt_seconds(tl.t_i);
  timeline["t_d_s"] = opt_seconds(tl.t_d);
  timeline["t_a_s"] = opt_seconds(tl.t_a);
  timeline["t_m_s"] = opt_seconds(tl.t_m);
  timeline["t_r_s"] = opt_seconds(tl.t_r);
  return timeline;
}

Json error_budget_json(const std::vector<SloResult>& slos) {
  Json budget = Json::object();
  for (const auto& slo : slos) {
    Json b;
    b["sli"] = slo.sli;
    b["objective"] = slo.objective;
    b["good"] = slo.good;
    b["total"] = slo.total;
    b["compliance"] = finite(slo.compliance);
    b["budget_consumed"] = finite(slo.budget_consumed);
    budget[slo.name] = std::move(b);
  }
  return budget;
}

// Why unsafe answers were unsafe, most frequent first.
Json reasons_json(const Metrics& m) {
  Json out = Json::array();
  for (const UnsafeReason& r : unsafe_reasons(m)) {
    out.push_back(Json{{"kind", r.kind}, {"reason", r.reason}, {"count", r.count}});
  }
  return out;
}

Json counts_json(const std::map<std::string, long>& counts) {
  Json out = Json::object();
  for (const auto& [key, n] : counts) out[key] = n;
  return out;
}

Json per_patient_json(const std::vector<PatientExposure>& patients) {
  Json per_patient = Json::array();
  for (const auto& p : patients) {
    Json y;
    y["patient_ref"] = p.patient_ref;
    y["count"] = p.count;
    per_patient.push_back(std::move(y));
  }
  return per_patient;
}

// Every incident's unsafe answers, from the first incident's impact to the last harm.
Json exposure_json(const Exposure& ex) {
  Json exposure;
  if (ex.from) {
    exposure["window_s"] = Json::array({to_seconds(*ex.from), to_seconds(ex.to.value_or(*ex.from))});
  } else {
    exposure["window_s"] = nullptr;
  }
  exposure["until"] = !ex.from ? Json(nullptr) : Json(ex.mitigated ? "mitigation" : "run_end");
  exposure["total"] = ex.total;
  exposure["by_kind"] = counts_json(ex.by_kind);
  exposure["patients_affected"] = ex.patients_affected;
  exposure["per_patient"] = per_patient_json(ex.per_patient);
  return exposure;
}

Json reference_json(const ReferenceFigures& r) {
  if (!r.present) return nullptr;
  Json j;
  j["ttm_s"] = opt_number(r.ttm_s);
  j["ttr_s"] = opt_number(r.ttr_s);
  j["unsafe"] = r.unsafe;
  return j;
}

Json trainee_json(const TraineeScore& t) {
  Json j;
  j["name"] = t.name;
  j["points"] = t.points;
  j["suspected_cause"] = t.suspected.empty() ? Json(nullptr) : Json(t.suspected);
  j["true_causes"] = t.truth;
  j["cause_right"] = t.cause_right;
  j["helped"] = t.helped;
  j["no_effect"] = t.no_effect;
  j["harmed"] = t.harmed;
  j["refused"] = t.refused;
  j["hints"] = t.hints;
  j["unsafe_on_call"] = t.unsafe;
  Json incidents = Json::array();
  for (const auto& i : t.incidents) {
    Json x;
    x["id"] = i.id;
    x["true_cause"] = i.truth.empty() ? Json(nullptr) : Json(i.truth);
    x["tta_s"] = opt_number(i.tta_s);
    x["first_useful_action_s"] = opt_number(i.first_useful_s);
    x["ttm_s"] = opt_number(i.ttm_s);
    x["ttr_s"] = opt_number(i.ttr_s);
    x["declared_mitigated_s"] = opt_number(i.declared_mitigated_s);
    x["declared_resolved_s"] = opt_number(i.declared_resolved_s);
    x["unsafe"] = i.unsafe;
    x["failed"] = i.failed;
    x["reference_playbooks"] = reference_json(i.playbooks);
    x["reference_nobody"] = reference_json(i.nobody);
    incidents.push_back(std::move(x));
  }
  j["incidents"] = std::move(incidents);
  Json actions = Json::array();
  for (const auto& a : t.actions) {
    Json x;
    x["t_s"] = to_seconds(a.at);
    x["action"] = a.action;
    x["target"] = a.target;
    x["detail"] = a.detail;
    x["verdict"] = a.verdict.empty() ? Json(nullptr) : Json(a.verdict);
    x["why"] = a.why;
    actions.push_back(std::move(x));
  }
  j["actions"] = std::move(actions);
  return j;
}

Json opt_string(const std::string& s) {
  if (s.empty()) return nullptr;
  return s;
}

Json incident_json(const Incident& x) {
  Json j;
  j["id"] = x.id;
  j["faults"] = x.faults;
  j["relapse_of"] = x.relapse_of ? Json(*x.relapse_of) : Json(nullptr);
  j["t_f_s"] = opt_seconds(x.t_f);
  j["t_i_s"] = to_seconds(x.t_i);
  j["t_d_s"] = opt_seconds(x.t_d);
  j["t_a_s"] = opt_seconds(x.t_a);
  j["t_m_s"] = opt_seconds(x.t_m);
  j["t_r_s"] = opt_seconds(x.t_r);
  j["ttd_s"] = opt_number(x.ttd_s);
  j["ttd_from_fault_s"] = opt_number(x.ttd_from_fault_s);
  j["tta_s"] = opt_number(x.tta_s);
  j["ttm_s"] = opt_number(x.ttm_s);
  j["ttr_s"] = opt_number(x.ttr_s);
  j["detected_by"] = opt_string(x.detected_by);
  j["mitigated_by"] = opt_string(x.mitigated_by);
  j["harm_until_s"] = opt_seconds(x.harm_until);
  j["harmed"] = x.harmed;
  j["failed"] = x.failed;
  j["slow"] = x.slow;
  j["unsafe"] = x.unsafe;
  j["unsafe_by_kind"] = counts_json(x.unsafe_by_kind);
  j["patients_affected"] = x.patients_affected;
  j["per_patient"] = per_patient_json(x.per_patient);
  j["phi_to_vendor"] = x.phi_to_vendor;
  j["phi_in_logs"] = x.phi_in_logs;
  return j;
}

Json background_json(const Background& b) {
  Json j;
  j["harmed"] = b.harmed;
  j["failed"] = b.failed;
  j["slow"] = b.slow;
  j["unsafe"] = b.unsafe;
  j["by_kind"] = counts_json(b.by_kind);
  return j;
}

Json false_alert_json(const FalseAlert& a) {
  Json j;
  j["name"] = a.name;
  j["sli"] = opt_string(a.sli);
  j["fired_at_s"] = to_seconds(a.fired_at);
  j["value"] = finite(a.value);
  j["summary"] = a.summary;
  return j;
}

Json root_cause_json(const Metrics& m) {
  Json causes = Json::object();
  for (const auto& c : m.root_cause) {
    Json y;
    y["count"] = c.count;
    y["share"] = c.share;
    causes[c.cause] = std::move(y);
  }
  return causes;
}

Json attack_json(const Metrics& m) {
  Json attack;
  attack["attempted"] = m.attack.attempted;
  attack["succeeded"] = m.attack.succeeded;
  attack["attack_success_rate"] = opt_number(m.attack.success_rate);
  attack["answered_correctly"] = m.attack.answered_correctly;
  attack["utility_under_attack"] = opt_number(m.attack.utility_under_attack);
  return attack;
}

Json phi_json(const Metrics& m) {
  Json phi;
  phi["to_vendor"] = m.phi.to_vendor;
  phi["in_logs"] = m.phi.in_logs;
  phi["leaked_to_users"] = m.phi.leaked_to_users;
  return phi;
}

Json correctness_json(const Metrics& m) {
  Json correctness;
  correctness["served"] = m.correctness.served;
  correctness["correct"] = m.correctness.correct;
  correctness["correct_ratio"] = opt_number(m.correctness.correct_ratio);
  return correctness;
}

// What the observable signals showed (the detector's view), whole run.
Json detectors_json(const DetectorView& dv) {
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
  return detectors;
}

Json metrics_json(const Score& s) {
  const Metrics& m = s.metrics;
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
  metrics["error_budget"] = error_budget_json(s.slos);
  // Truth over the whole run, by kind (unsafe_responses is its total).
  metrics["unsafe_by_kind"] = counts_json(m.unsafe_by_kind);
  metrics["unsafe_reasons"] = reasons_json(m);
  metrics["exposure"] = exposure_json(m.exposure);
  metrics["bad_requests"] = m.bad;
  metrics["root_cause"] = root_cause_json(m);
  metrics["attack"] = attack_json(m);
  metrics["phi"] = phi_json(m);
  metrics["correctness"] = correctness_json(m);
  metrics["citation_validity"] = opt_number(m.detectors.citation_validity);
  metrics["detectors"] = detectors_json(m.detectors);
  return metrics;
}

// A JSON array of `items`, each through `to_json`.
template <class T, class ToJson>
Json array_of(const std::vector<T>& items, ToJson to_json) {
  Json out = Json::array();
  for (const auto& item : items) out.push_back(to_json(item));
  return out;
}

Json expectation_json(const ExpectationResult& e) {
  Json x;
  x["text"] = e.text;
  x["metric"] = e.metric.empty() ? Json(nullptr) : Json(e.metric);
  x["actual"] = expectation_actual(e);
  x["pass"] = e.pass;
  return x;
}

Json fault_json(const FaultRecord& f) {
  Json x;
  x["id"] = f.id;
  x["target"] = f.target;
  x["kind"] = f.kind;
  x["detail"] = f.detail;
  x["start_s"] = to_seconds(f.start);
  x["end_s"] = opt_seconds(f.end);
  return x;
}

Json alert_json(const AlertRecord& a) {
  Json x;
  x["name"] = a.name;
  x["severity"] = a.severity;
  x["fired_at_s"] = to_seconds(a.fired_at);
  x["resolved_at_s"] = opt_seconds(a.resolved_at);
  x["value"] = finite(a.value);
  x["summary"] = a.summary;
  return x;
}

Json step_json(const StepRecord& st) {
  Json y;
  y["index"] = st.index;
  y["name"] = st.name;
  y["kind"] = st.kind;
  y["rollback"] = st.rollback;
  y["started_at_s"] = to_seconds(st.started_at);
  y["ended_at_s"] = opt_seconds(st.ended_at);
  y["outcome"] = st.ended_at ? Json(st.outcome) : Json(nullptr);
  y["reason"] = st.reason;
  return y;
}

Json playbook_json(const PlaybookRecord& p) {
  Json x;
  x["playbook"] = p.playbook;
  x["run"] = p.run;
  x["trigger"] = p.trigger;
  x["started_at_s"] = to_seconds(p.started_at);
  x["ended_at_s"] = opt_seconds(p.ended_at);
  x["outcome"] = p.ended_at ? Json(p.outcome) : Json(nullptr);
  x["reason"] = p.reason;
  x["steps"] = array_of(p.steps, step_json);
  return x;
}

Json change_json(const ChangeRecord& c) {
  Json x;
  x["at_s"] = to_seconds(c.at);
  x["what"] = c.what;
  x["key"] = c.key;
  x["from"] = c.from;
  x["to"] = c.to;
  x["by"] = c.by;
  return x;
}

Json golden_json(const GoldenRecord& g) {
  Json x;
  x["at_s"] = to_seconds(g.at);
  x["set"] = g.set;
  x["passed"] = g.passed;
  x["total"] = g.total;
  x["min_pass_rate"] = g.min_pass_rate;
  x["ok"] = g.ok;
  x["by"] = g.by;
  return x;
}

}  // namespace

std::string report_json(const Score& s) {
  Json j;
  j["scenario"] = s.run.scenario;
  j["description"] = s.run.description;
  j["seed"] = s.run.seed;
  j["mode"] = s.run.mode;
  j["playbooks_enabled"] = s.run.playbooks_enabled;
  j["verdict"] = s.pass ? "pass" : "fail";
  j["interrupted"] = s.cut_short();
  j["ended"] = s.ended.empty() ? Json(nullptr) : Json(s.ended);
  j["duration_s"] = to_seconds(s.end);
  j["timeline"] = timeline_json(s.timeline);
  j["metrics"] = metrics_json(s);
  j["expectations"] = array_of(s.expectations, expectation_json);
  j["faults"] = array_of(s.faults, fault_json);
  j["alerts"] = array_of(s.alerts, alert_json);
  j["playbooks"] = array_of(s.playbooks, playbook_json);
  j["changes"] = array_of(s.changes, change_json);
  j["golden"] = array_of(s.golden, golden_json);
  j["incidents"] = array_of(s.incidents, incident_json);
  j["background"] = background_json(s.background);
  j["false_alerts"] = array_of(s.false_alert_list, false_alert_json);
  // Only a drill room's journal has a trainee: every other report keeps its keys.
  if (s.trainee) j["trainee"] = trainee_json(*s.trainee);

  // Replace rather than throw on invalid UTF-8 (e.g. a fault detail from a hand-edited file).
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string report_summary_json(const Score& s) {
  Json j;
  j["scenario"] = s.run.scenario;
  j["seed"] = s.run.seed;
  j["mode"] = s.run.mode;
  j["verdict"] = s.pass ? "pass" : "fail";
  j["interrupted"] = s.cut_short();
  j["ended"] = s.ended.empty() ? Json(nullptr) : Json(s.ended);
  j["duration_s"] = to_seconds(s.end);
  j["timeline"] = timeline_json(s.timeline);
  j["incidents"] = array_of(s.incidents, incident_json);
  j["metrics"] = metrics_json(s);
  j["expectations"] = array_of(s.expectations, expectation_json);
  return j.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace gameday
