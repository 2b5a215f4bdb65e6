#include "ci/record.hpp"

#include "ci/text.hpp"
#include "score/expect.hpp"

namespace gameday {

RunRecord make_run_record(const Score& score) {
  RunRecord r;
  r.scenario = score.run.scenario;
  r.seed = score.run.seed;
  r.pass = score.pass;
  for (const char* m : kCiMetrics) r.metrics[m] = metric_value(score.metrics, m);
  for (const auto& e : score.expectations) {
    if (e.pass) continue;
    const std::string actual = e.actual ? format_metric(e.metric, e.actual) : "n/a";
    r.failures.push_back(e.text + " (actual " + actual + ")");
  }
  for (const Incident& x : score.incidents) r.incidents.push_back(make_incident_record(x));
  return r;
}

IncidentRecord make_incident_record(const Incident& incident) {
  IncidentRecord r;
  r.id = incident.id;
  r.metrics["ttd"] = incident.ttd_s;
  r.metrics["tta"] = incident.tta_s;
  r.metrics["ttm"] = incident.ttm_s;
  r.metrics["ttr"] = incident.ttr_s;
  r.metrics["failed"] = static_cast<double>(incident.failed);
  r.metrics["unsafe"] = static_cast<double>(incident.unsafe);
  return r;
}

std::string describe_step_not_run(const StepEndEvent& step) {
  return "playbook '" + step.playbook + "', step '" + step.name + "' (" + step.kind +
         (step.rollback ? ", rollback" : "") + "): " + step.reason;
}

bool by_scenario_then_seed(const RunRecord& a, const RunRecord& b) {
  return a.scenario != b.scenario ? a.scenario < b.scenario : a.seed < b.seed;
}

}  // namespace gameday
