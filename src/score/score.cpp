#include "score/score.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <unordered_set>
#include <stdexcept>

#include "score/expect.hpp"
#include "spec/verdict.hpp"

namespace gameday {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

// The kind of a journaled SLO (journals name it; availability for a name this build lacks).
SloKind slo_kind(const std::string& sli) {
  return parse_name<SloKind>(sli).value_or(SloKind::kAvailability);
}

// The root causes always listed, in this order, before any other value seen.
constexpr const char* kRootCauses[] = {"retrieval", "prompt_config", "model", "ehr_dependency"};


// Good requests per SLO kind: observable fields only, as the detector sees them.
bool slo_good(const SloRecord& slo, SloKind kind, const ScoredRequest& r) {
  const bool ok = !r.failed;
  switch (kind) {
    case SloKind::kAvailability:
      return ok;
    case SloKind::kLatency:
      return ok && r.latency <= slo.threshold;
    case SloKind::kCitationValidity:
      return r.citations_valid;
    case SloKind::kSchemaValidity:
      return r.schema_valid;
    case SloKind::kSafety:
      return !r.canary_seen && !r.phi_detected;
    case SloKind::kRefusal:
      return !r.refused;
    // Journals do not carry dependency calls: a request is bad for a dependency SLO when it
    // failed on that dependency (embeddings: when it failed or was unsafe).
    case SloKind::kEhrAvailability:
    case SloKind::kEhrLatency:
      return r.traits->cause.rfind("ehr_", 0) != 0;
    case SloKind::kVendorAvailability:
      return r.traits->cause.rfind("vendor_", 0) != 0;
    case SloKind::kVendorThrottle:
      return r.traits->cause != "vendor_rate_limited";
    case SloKind::kEmbeddingAvailability:
      return ok && !r.unsafe;
  }
  return ok;
}

// A request's scored record (its text fields in `traits`, interned by the caller).
ScoredRequest scored_request(SimTime t, const RequestEvent& r, const std::optional<Duration>& slow_threshold,
                             const RequestTraits* traits) {
  ScoredRequest out;
  out.t = t;
  out.arrival = r.arrival;
  out.latency = r.latency;
  out.id = r.id;
  out.traits = traits;
  const bool ok = r.status == RequestStatus::kOk;
  out.failed = !ok;
  out.slow = ok && slow_threshold && r.latency > *slow_threshold;
  out.unsafe = r.unsafe;
  out.phi = r.phi_to_vendor || r.phi_in_logs;
  out.citations_valid = r.citations_valid;
  out.schema_valid = r.schema_valid;
  out.canary_seen = r.canary_seen;
  out.phi_detected = r.phi_detected;
  out.refused = r.refused;
  out.phi_to_vendor = r.phi_to_vendor;
  out.phi_in_logs = r.phi_in_logs;
  return out;
}

std::optional<double> share(long part, long whole) {
  if (whole <= 0) return std::nullopt;
  return static_cast<double>(part) / static_cast<double>(whole);
}


// Failed or slow requests allowed per bucket: 1 − the strictest availability or latency
// objective (0 without either).
double transport_allowance(const RunStartEvent& run) {
  std::optional<double> strictest;
  for (const auto& slo : run.slos) {
    const SloKind k = slo_kind(slo.sli);
    if (k != SloKind::kAvailability && k != SloKind::kLatency) continue;
    strictest = std::max(strictest.value_or(slo.objective), slo.objective);
  }
  return strictest ? std::max(0.0, 1.0 - *strictest) : 0.0;
}

// Moves the scorer's records into find_incidents()' input, with the run's other events.
IncidentInput incident_input(const Score& s, std::deque<ScoredRequest>&& reqs, std::deque<ScoredRequest>&& probes,
                             const std::vector<std::pair<SimTime, std::uint64_t>>& corrections,
                             const std::vector<std::string>& fault_incident) {
  IncidentInput in;
  in.end = s.end;
  in.sustain = s.run.sustain > 0 ? s.run.sustain : 5 * kMinute;
  in.interval = s.run.evaluation_interval > 0 ? s.run.evaluation_interval : 15 * kSecond;
  in.allowance = transport_allowance(s.run);
  in.requests = std::move(reqs);
  in.probes = std::move(probes);
  in.corrections = corrections;
  for (std::size_t i = 0; i < s.faults.size(); ++i) {
    const FaultRecord& f = s.faults[i];
    in.faults.push_back(FaultActivation{f.id, f.target, f.kind, fault_incident[i], f.start, f.end});
  }
  for (const auto& a : s.alerts) {
    AlertFiring fire{a.name, a.fired_at, a.resolved_at, a.value, a.summary, std::nullopt};
    for (const auto& rule : s.run.alerts) {
      if (rule.name == a.name) fire.rule = rule;
    }
    in.alerts.push_back(std::move(fire));
  }
  for (const auto& a : s.acks) {
    in.ack_events.push_back(AckEvent{a.who, a.alert});
    in.ack_times.push_back(a.at);
  }
  for (const auto& c : s.changes) in.changes.push_back(ChangeAt{c.at, c.what, c.key, c.from, c.to, c.by});
  for (const auto& g : s.golden) in.golden.emplace_back(g.at, g.ok);
  return in;
}

// The worst incident: never mitigated first, then the longest TTM, then the longest TTD (an
// undetected one counts as longest), then the earliest.
std::optional<std::size_t> worst_incident(const std::vector<Incident>& incidents) {
  std::optional<std::size_t> worst;
  const auto key = [](const Incident& x) {
    const double inf = std::numeric_limits<double>::infinity();
    return std::make_pair(x.ttm_s.value_or(inf), x.ttd_s.value_or(inf));
  };
  for (std::size_t i = 0; i < incidents.size(); ++i) {
    if (!worst || key(incidents[i]) > key(incidents[*worst])) worst = i;
  }
  return worst;
}

// The run's exposure: every incident's unsafe answers.
Exposure total_exposure(const std::vector<Incident>& incidents) {
  Exposure x;
  std::map<std::string, long> by_patient;
  x.mitigated = !incidents.empty();
  for (const auto& inc : incidents) {
    x.from = std::min(x.from.value_or(inc.t_i), inc.t_i);
    if (inc.harm_until) x.to = std::max(x.to.value_or(*inc.harm_until), *inc.harm_until);
    if (!inc.t_m) x.mitigated = false;
    x.total += inc.unsafe;
    for (const auto& [kind, n] : inc.unsafe_by_kind) x.by_kind[kind] += n;
    for (const auto& p : inc.per_patient) by_patient[p.patient_ref] += p.count;
  }
  for (const auto& [ref, n] : by_patient) x.per_patient.push_back(PatientExposure{ref, n});
  std::stable_sort(x.per_patient.begin(), x.per_patient.end(),
                   [](const PatientExposure& a, const PatientExposure& b) { return a.count > b.count; });
  x.patients_affected = static_cast<long>(x.per_patient.size());
  return x;
}

// Finds the incidents and returns find_incidents()' input (its requests), which the trainee's
// scorecard reads after.
IncidentInput score_incidents(Score& s, std::deque<ScoredRequest>&& reqs, std::deque<ScoredRequest>&& probes,
                              const std::vector<std::pair<SimTime, std::uint64_t>>& corrections,
                              const std::vector<std::string>& fault_incident) {
  IncidentInput in = incident_input(s, std::move(reqs), std::move(probes), corrections, fault_incident);
  IncidentResult res = find_incidents(in);
  s.incidents = std::move(res.incidents);
  s.background = std::move(res.background);
  s.false_alert_list = std::move(res.false_alerts);
  s.false_alerts = static_cast<long>(s.false_alert_list.size());
  s.worst = worst_incident(s.incidents);
  Metrics& m = s.metrics;
  m.exposure = total_exposure(s.incidents);
  if (!s.worst) return in;
  const Incident& w = s.incidents[*s.worst];
  s.timeline = Timeline{w.t_f, w.t_i, w.t_d, w.t_a, w.t_m, w.t_r};
  m.ttd_s = w.ttd_s;
  m.ttd_from_fault_s = w.ttd_from_fault_s;
  m.tta_s = w.tta_s;
  m.ttm_s = w.ttm_s;
  m.ttr_s = w.ttr_s;
  return in;
}

}  // namespace

std::optional<double> metric_value(const Score& s, const std::string& metric) {
  if (metric == "incidents") return static_cast<double>(s.incidents.size());
  if (metric == "alerts") return static_cast<double>(s.alerts.size());
  if (metric == "false_alerts") return static_cast<double>(s.false_alerts);
  return metric_value(s.metrics, metric);
}

std::optional<double> metric_value(const Metrics& m, const std::string& metric) {
  if (metric == "ttd") return m.ttd_s;
  if (metric == "ttd_from_fault") return m.ttd_from_fault_s;
  if (metric == "tta") return m.tta_s;
  if (metric == "ttm") return m.ttm_s;
  if (metric == "ttr") return m.ttr_s;
  if (metric == "requests") return static_cast<double>(m.requests);
  if (metric == "failed") return static_cast<double>(m.failed);
  if (metric == "unsafe") return static_cast<double>(m.unsafe);
  if (metric == "slow") return static_cast<double>(m.slow);
  if (metric == "failed_ratio") return m.failed_ratio;
  if (metric == "unsafe_ratio") return m.unsafe_ratio;
  if (metric == "exposure") return static_cast<double>(m.exposure.total);
  if (metric == "patients_affected") return static_cast<double>(m.exposure.patients_affected);
  if (metric == "attack_success_rate") return m.attack.success_rate;
  if (metric == "utility_under_attack") return m.attack.utility_under_attack;
  if (metric == "injections") return static_cast<double>(m.attack.attempted);
  if (metric == "citation_validity") return m.detectors.citation_validity;
  if (metric == "correct_ratio") return m.correctness.correct_ratio;
  if (metric == "phi_to_vendor") return static_cast<double>(m.phi.to_vendor);
  if (metric == "phi_in_logs") return static_cast<double>(m.phi.in_logs);
  if (metric == "phi_leaked") return static_cast<double>(m.phi.leaked_to_users);
  if (metric == "corrections") return static_cast<double>(m.detectors.corrections);
  if (metric == "probe_failures") return static_cast<double>(m.detectors.probe_failures);
  if (metric.rfind("unsafe_", 0) == 0 && metric_kind(metric)) {
    const auto it = m.unsafe_by_kind.find(metric.substr(7));
    return static_cast<double>(it == m.unsafe_by_kind.end() ? 0 : it->second);
  }
  return std::nullopt;
}

std::map<std::string, std::string> final_state(const Score& s) {
  std::map<std::string, std::string> state;
  for (const auto& kv : s.run.initial_state) {
    const auto eq = kv.find('=');
    if (eq != std::string::npos) state[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& c : s.changes) state[c.what == "flag" ? "flag." + c.key : c.what] = c.to;
  return state;
}

namespace {

const Incident* incident_named(const Score& s, const std::string& id) {
  for (const auto& x : s.incidents) {
    if (x.id == id) return &x;
  }
  // A fault id names the first incident whose harm it caused (a relapse when a redeploy
  // brought the harm back).
  for (const auto& x : s.incidents) {
    if (std::find(x.faults.begin(), x.faults.end(), id) != x.faults.end()) return &x;
  }
  return nullptr;
}

std::optional<double> incident_value(const Incident& x, const std::string& metric) {
  if (metric == "ttd") return x.ttd_s;
  if (metric == "ttd_from_fault") return x.ttd_from_fault_s;
  if (metric == "tta") return x.tta_s;
  if (metric == "ttm") return x.ttm_s;
  if (metric == "ttr") return x.ttr_s;
  if (metric == "harmed") return static_cast<double>(x.harmed);
  if (metric == "failed") return static_cast<double>(x.failed);
  if (metric == "slow") return static_cast<double>(x.slow);
  if (metric == "unsafe") return static_cast<double>(x.unsafe);
  if (metric == "patients_affected") return static_cast<double>(x.patients_affected);
  if (metric == "phi_to_vendor") return static_cast<double>(x.phi_to_vendor);
  if (metric == "phi_in_logs") return static_cast<double>(x.phi_in_logs);
  // Exposure of one incident: its unsafe answers, all of them or of one kind.
  if (metric == "exposure") return static_cast<double>(x.unsafe);
  if (metric.rfind("unsafe_", 0) == 0) {
    const auto it = x.unsafe_by_kind.find(metric.substr(7));
    return static_cast<double>(it == x.unsafe_by_kind.end() ? 0 : it->second);
  }
  return std::nullopt;
}

std::optional<double> background_value(const Background& b, const std::string& metric) {
  if (metric == "harmed") return static_cast<double>(b.harmed);
  if (metric == "failed") return static_cast<double>(b.failed);
  if (metric == "slow") return static_cast<double>(b.slow);
  if (metric == "unsafe") return static_cast<double>(b.unsafe);
  return std::nullopt;
}

// The last run's outcome of playbook `name` ("failed" matches any outcome but completed).
std::optional<std::string> playbook_outcome(const Score& s, const std::string& name, const std::string& wanted) {
  std::optional<std::string> last;
  for (const auto& p : s.playbooks) {
    if (p.playbook == name) last = p.outcome.empty() ? std::string("running") : p.outcome;
  }
  if (last && wanted == "failed" && *last != "completed") return std::string("failed");
  return last;
}

long count_runs(const Score& s, const std::string& name) {
  long n = 0;
  for (const auto& p : s.playbooks) n += p.playbook == name;
  return n;
}

long count_firings(const Score& s, const std::string& name) {
  long n = 0;
  for (const auto& a : s.alerts) n += a.name == name;
  return n;
}

}  // namespace

ExpectationResult evaluate_expectation(const std::string& text, const Score& s) {
  ExpectationResult er;
  er.text = text;
  std::string error;
  const auto parsed = parse_expectation(text, &error);
  if (!parsed) return er;
  const Expectation& e = *parsed;
  er.metric = e.metric;
  er.scope = e.scope;
  const auto numeric = [&](std::optional<double> v) {
    er.actual = v;
    er.pass = expectation_holds(e, v);
  };
  const auto named = [&](std::optional<std::string> v) {
    er.actual_text = v;
    er.pass = expectation_holds(e, v);
  };
  switch (e.scope) {
    case ExpectScope::kRun:
      numeric(metric_value(s, e.metric));
      break;
    case ExpectScope::kIncident: {
      const Incident* x = incident_named(s, e.arg);
      numeric(x ? incident_value(*x, e.metric) : std::nullopt);
      if (!x) er.actual_text = "no incident " + e.arg;
      break;
    }
    case ExpectScope::kBackground:
      numeric(background_value(s.background, e.metric));
      break;
    case ExpectScope::kAlert:
      if (e.metric == "fired") {
        er.pass = count_firings(s, e.arg) > 0;
        er.actual_text = er.pass ? "fired" : "never fired";
      } else {
        numeric(static_cast<double>(count_firings(s, e.arg)));
      }
      break;
    case ExpectScope::kPlaybook:
      if (e.metric == "runs") {
        numeric(static_cast<double>(count_runs(s, e.arg)));
      } else {
        named(playbook_outcome(s, e.arg, e.word));
      }
      break;
    case ExpectScope::kFinal: {
      const auto state = final_state(s);
      const auto it = state.find(e.metric == "flag" ? "flag." + e.arg : e.metric);
      named(it == state.end() ? std::nullopt : std::optional<std::string>(it->second));
      break;
    }
  }
  return er;
}

namespace {

// Interns the text fields of requests: most requests share them.
struct TraitsHash {
  std::size_t operator()(const RequestTraits& t) const {
    std::size_t h = std::hash<std::string>{}(t.cause);
    const auto mix = [&h](const std::string& x) { h = h * 1000003u ^ std::hash<std::string>{}(x); };
    mix(t.root_cause);
    mix(t.unsafe_kind);
    mix(t.patient_ref);
    for (const auto& f : t.faults) mix(f);
    return h;
  }
};

}  // namespace

struct JournalScorer::State {
  Score s;
  bool started = false;
  std::size_t dropped = 0;
  bool in_order = true;
  std::optional<SimTime> last_t;
  std::optional<SimTime> run_end;  // first run_end in time order
  std::optional<Duration> slow_threshold;
  std::vector<SloKind> slo_kinds;
  std::vector<long> slo_good_count;  // per run.slos entry
  // Records and raw instants.
  std::deque<ScoredRequest> reqs;
  std::deque<ScoredRequest> probe_reqs;
  // Node-based: the requests point at their traits, which never move.
  std::unordered_set<RequestTraits, TraitsHash> traits;
  RequestTraits scratch;
  std::vector<std::pair<SimTime, std::uint64_t>> corrections;
  std::vector<std::string> fault_incident;  // per s.faults entry
  std::map<std::string, long> bad_by_cause;
  std::map<std::uint64_t, std::size_t> playbook_by_run;

  const RequestTraits* intern(const RequestEvent& r) {
    scratch.faults = r.faults;
    scratch.cause = r.cause;
    scratch.root_cause = r.root_cause;
    scratch.unsafe_kind = r.unsafe_kind;
    // The pseudonym serves the exposure of unsafe answers only: kept for those alone, the
    // interned set stays small.
    scratch.patient_ref = r.unsafe ? r.patient_ref : std::string();
    return &*traits.insert(scratch).first;
  }

  void start(const RunStartEvent& run) {
    started = true;
    s.run = run;
    for (const auto& slo : s.run.slos) {
      slo_kinds.push_back(slo_kind(slo.sli));
      if (slo_kinds.back() == SloKind::kLatency && (!slow_threshold || slo.threshold < *slow_threshold)) {
        slow_threshold = slo.threshold;
      }
    }
    slo_good_count.assign(s.run.slos.size(), 0);
  }

  PlaybookRecord& playbook_for(const std::string& name, std::uint64_t run, SimTime t) {
    auto it = playbook_by_run.find(run);
    if (it == playbook_by_run.end()) {
      // A step without its playbook_start (a truncated journal): keep it under a placeholder.
      PlaybookRecord p;
      p.playbook = name;
      p.run = run;
      p.started_at = t;
      it = playbook_by_run.emplace(run, s.playbooks.size()).first;
      s.playbooks.push_back(std::move(p));
    }
    return s.playbooks[it->second];
  }

  void request(SimTime t, const RequestEvent& r) {
    Metrics& m = s.metrics;
    DetectorView& dv = m.detectors;
    if (r.probe) {
      ++m.probes;
      probe_reqs.push_back(scored_request(t, r, slow_threshold, intern(r)));
      return;
    }
    const ScoredRequest& q = reqs.emplace_back(scored_request(t, r, slow_threshold, intern(r)));
    const bool ok = !q.failed;
    ++m.requests;
    // Slow is an answer's harm: a request that failed counts as failed only (as for incidents).
    if (q.failed) ++m.failed;
    if (q.slow) ++m.slow;
    if (r.unsafe) {
      ++m.unsafe;
      ++m.unsafe_by_kind[r.unsafe_kind.empty() ? "unspecified" : r.unsafe_kind];
      ++m.unsafe_by_reason[{r.unsafe_kind.empty() ? "unspecified" : r.unsafe_kind, r.judge}];
      if (!r.citations_valid || !r.schema_valid || r.canary_seen || r.phi_detected) {
        ++dv.unsafe_flagged;
      }
      if (parse_name<UnsafeKind>(r.unsafe_kind) == UnsafeKind::kPhiLeak) ++m.phi.leaked_to_users;
    }
    if (!ok || r.unsafe) {
      ++m.bad;
      ++bad_by_cause[r.root_cause];
    }
    if (ok) {
      ++m.correctness.served;
      if (r.correct) ++m.correctness.correct;
    }
    if (r.injection_attempted) {
      ++m.attack.attempted;
      if (r.injection_followed) ++m.attack.succeeded;
      if (r.correct) ++m.attack.answered_correctly;
    }
    if (r.phi_to_vendor) ++m.phi.to_vendor;
    if (r.phi_in_logs) ++m.phi.in_logs;
    if (!r.citations_valid) ++dv.citation_invalid;
    if (!r.schema_valid) ++dv.schema_invalid;
    if (r.canary_seen) ++dv.canary_outputs;
    if (r.phi_detected) ++dv.phi_pattern_outputs;
    if (r.refused) ++dv.refusals;
    for (std::size_t i = 0; i < s.run.slos.size(); ++i) {
      if (slo_good(s.run.slos[i], slo_kinds[i], q)) ++slo_good_count[i];
    }
  }

  void add(const Event& ev) {
    if (last_t && ev.t < *last_t) in_order = false;
    last_t = std::max(ev.t, last_t.value_or(ev.t));
    if (!started) {
      if (const auto* run = std::get_if<RunStartEvent>(&ev.body)) {
        start(*run);
      } else {
        ++dropped;
      }
      return;
    }
    const SimTime t = ev.t;
    DetectorView& dv = s.metrics.detectors;
    std::visit(
        Overloaded{
            [&](const RunStartEvent&) {},
            [&](const RunEndEvent& e) {
              if (run_end) return;
              run_end = t;
              s.ended = e.reason;
            },
            [&](const FaultStartEvent& f) {
              s.faults.push_back(FaultRecord{f.id, f.target, f.kind, f.detail, t, std::nullopt});
              fault_incident.push_back(f.incident);
            },
            [&](const FaultEndEvent& f) {
              for (auto it = s.faults.rbegin(); it != s.faults.rend(); ++it) {
                if (!it->end && it->id == f.id) {
                  it->end = t;
                  break;
                }
              }
            },
            [&](const RequestEvent& r) { request(t, r); },
            [&](const AlertFireEvent& a) {
              s.alerts.push_back(AlertRecord{a.name, a.severity, t, std::nullopt, a.value, a.summary});
            },
            [&](const AlertResolveEvent& a) {
              for (auto it = s.alerts.rbegin(); it != s.alerts.rend(); ++it) {
                if (!it->resolved_at && it->name == a.name) {
                  it->resolved_at = t;
                  break;
                }
              }
            },
            [&](const AckEvent& a) { s.acks.push_back(AckRecord{t, a.who, a.alert}); },
            [&](const PlaybookStartEvent& p) {
              PlaybookRecord& rec = playbook_for(p.playbook, p.run, t);
              rec.playbook = p.playbook;
              rec.trigger = p.trigger;
              rec.started_at = t;
            },
            [&](const PlaybookEndEvent& p) {
              PlaybookRecord& rec = playbook_for(p.playbook, p.run, t);
              rec.ended_at = t;
              rec.outcome = p.outcome;
              rec.reason = p.reason;
            },
            [&](const StepStartEvent& st) {
              PlaybookRecord& rec = playbook_for(st.playbook, st.run, t);
              StepRecord step;
              step.index = st.index;
              step.name = st.name;
              step.kind = st.kind;
              step.rollback = st.rollback;
              step.started_at = t;
              rec.steps.push_back(std::move(step));
            },
            [&](const StepEndEvent& st) {
              PlaybookRecord& rec = playbook_for(st.playbook, st.run, t);
              StepRecord* step = nullptr;
              for (auto it = rec.steps.rbegin(); it != rec.steps.rend(); ++it) {
                if (!it->ended_at && it->index == st.index && it->rollback == st.rollback) {
                  step = &*it;
                  break;
                }
              }
              if (!step) {
                StepRecord fresh;
                fresh.index = st.index;
                fresh.name = st.name;
                fresh.kind = st.kind;
                fresh.rollback = st.rollback;
                fresh.started_at = t;
                rec.steps.push_back(std::move(fresh));
                step = &rec.steps.back();
              }
              step->ended_at = t;
              step->outcome = st.outcome;
              step->reason = st.reason;
            },
            [&](const ControlChangeEvent& c) {
              // Setting what was already set changed nothing: not a change (nor a mitigation).
              if (c.noop) return;
              s.changes.push_back(ChangeRecord{t, c.what, c.key, c.from, c.to, c.by});
            },
            [&](const GoldenResultEvent& g) {
              s.golden.push_back(GoldenRecord{t, g.set, g.passed, g.total, g.min_pass_rate, g.ok, g.by});
              if (g.by == "probe") {
                ++dv.probe_runs;
                if (!g.ok) {
                  ++dv.probe_failures;
                  if (!dv.first_probe_failure) dv.first_probe_failure = t;
                }
              }
            },
            [&](const CorrectionEvent& c) {
              corrections.emplace_back(t, c.request_id);
              ++dv.corrections;
              if (!dv.first_correction) dv.first_correction = t;
            },
            [&](const ActionEvent& a) { s.actions.push_back(ActionRecord{t, a}); },
            [&](const ReferenceEvent& r) { s.reference = r.incidents; },
        },
        ev.body);
  }

  Score finish() {
    if (!started) throw std::runtime_error("journal has no run_start event");
    Metrics& m = s.metrics;
    DetectorView& dv = m.detectors;
    s.end = run_end ? *run_end : last_t.value_or(0);

    // ---- request metrics
    if (m.requests > 0) {
      m.failed_ratio = static_cast<double>(m.failed) / static_cast<double>(m.requests);
      m.unsafe_ratio = static_cast<double>(m.unsafe) / static_cast<double>(m.requests);
    }
    m.correctness.correct_ratio = share(m.correctness.correct, m.correctness.served);
    m.attack.success_rate = share(m.attack.succeeded, m.attack.attempted);
    m.attack.utility_under_attack = share(m.attack.answered_correctly, m.attack.attempted);
    if (m.requests > 0) {
      dv.citation_validity = 1.0 - *share(dv.citation_invalid, m.requests);
      dv.schema_validity = 1.0 - *share(dv.schema_invalid, m.requests);
      dv.refusal_ratio = share(dv.refusals, m.requests);
    }

    // ---- root causes of bad requests: the four known causes always, then others, then none
    {
      const auto add_cause = [&](const std::string& cause, long n) {
        m.root_cause.push_back(RootCauseShare{cause, n, share(n, m.bad).value_or(0.0)});
      };
      for (const char* c : kRootCauses) {
        const auto it = bad_by_cause.find(c);
        add_cause(c, it == bad_by_cause.end() ? 0 : it->second);
      }
      for (const auto& [cause, n] : bad_by_cause) {
        if (cause.empty()) continue;
        if (std::find(std::begin(kRootCauses), std::end(kRootCauses), cause) != std::end(kRootCauses)) {
          continue;
        }
        add_cause(cause, n);
      }
      const auto none = bad_by_cause.find("");
      add_cause("unattributed", none == bad_by_cause.end() ? 0 : none->second);
    }

    // ---- incidents: attribution, grouping, detection, mitigation, recovery, exposure
    const IncidentInput in =
        score_incidents(s, std::move(reqs), std::move(probe_reqs), corrections, fault_incident);

    // ---- a drill room's trainee
    if (!s.actions.empty()) {
      TraineeInput trainee;
      trainee.harm.reserve(in.requests.size());
      for (const auto& q : in.requests) trainee.harm.emplace_back(q.t, q.unsafe || q.phi || q.failed);
      for (const auto& a : s.actions) trainee.actions.emplace_back(a.at, a.action);
      trainee.reference = s.reference;
      for (const auto& f : s.faults) {
        trainee.faults.emplace(f.id, std::vector<std::string>{f.kind, f.target, f.detail});
      }
      s.trainee = score_trainee(trainee, s.incidents);
      if (s.trainee) s.trainee->unsafe = m.unsafe;
    }

    // ---- SLOs over the whole run
    for (std::size_t i = 0; i < s.run.slos.size(); ++i) {
      const SloRecord& slo = s.run.slos[i];
      SloResult r;
      r.name = slo.name;
      r.sli = slo.sli;
      r.objective = slo.objective;
      r.total = m.requests;
      r.good = slo_good_count[i];
      if (r.total > 0) {
        r.compliance = static_cast<double>(r.good) / static_cast<double>(r.total);
        const double allowed = (1.0 - slo.objective) * static_cast<double>(r.total);
        const long bad = r.total - r.good;
        // A 100 % objective allows no errors: any error consumes an unbounded budget.
        r.budget_consumed = allowed > 0 ? static_cast<double>(bad) / allowed : (bad > 0 ? INFINITY : 0.0);
      }
      s.slos.push_back(std::move(r));
    }

    // ---- expectations and verdict
    for (const auto& text : s.run.expect) {
      ExpectationResult er = evaluate_expectation(text, s);
      if (!er.pass) s.pass = false;
      s.expectations.push_back(std::move(er));
    }
    return std::move(s);
  }
};

JournalScorer::JournalScorer() : state_(std::make_unique<State>()) {}
JournalScorer::~JournalScorer() = default;
void JournalScorer::add(const Event& e) { state_->add(e); }
std::size_t JournalScorer::dropped() const { return state_->dropped; }
bool JournalScorer::in_order() const { return state_->in_order; }
Score JournalScorer::finish() { return state_->finish(); }

Score score_journal(const std::vector<Event>& events) {
  const Event* start_event = nullptr;
  for (const auto& e : events) {
    if (std::holds_alternative<RunStartEvent>(e.body)) {
      start_event = &e;
      break;
    }
  }
  if (!start_event) throw std::runtime_error("journal has no run_start event");

  // Journals are appended in time order; a stable sort keeps that order for equal times and
  // makes a hand-merged or slightly shuffled journal score the same. Events are large and a
  // long run's journal does not fit in cache, so skip the sort when the order already holds.
  std::vector<const Event*> ordered;
  ordered.reserve(events.size());
  bool in_order = true;
  for (const auto& e : events) {
    if (!ordered.empty() && e.t < ordered.back()->t) in_order = false;
    ordered.push_back(&e);
  }
  if (!in_order) {
    std::stable_sort(ordered.begin(), ordered.end(),
                     [](const Event* a, const Event* b) { return a->t < b->t; });
  }
  // The first run_start (in journal order) goes first: the scorer reads the run's SLOs from it.
  JournalScorer scorer;
  scorer.add(*start_event);
  for (const Event* ev : ordered) {
    if (ev != start_event) scorer.add(*ev);
  }
  return scorer.finish();
}

bool slo_request_good(const SloRecord& slo, const RequestEvent& request) {
  RequestTraits traits;
  traits.cause = request.cause;
  return slo_good(slo, slo_kind(slo.sli), scored_request(0, request, std::nullopt, &traits));
}

std::vector<UnsafeReason> unsafe_reasons(const Metrics& m) {
  std::vector<UnsafeReason> out;
  out.reserve(m.unsafe_by_reason.size());
  for (const auto& [key, n] : m.unsafe_by_reason) out.push_back(UnsafeReason{key.first, key.second, n});
  // Stable: the map's order (kind, reason) breaks ties.
  std::stable_sort(out.begin(), out.end(),
                   [](const UnsafeReason& a, const UnsafeReason& b) { return a.count > b.count; });
  return out;
}

}  // namespace gameday
