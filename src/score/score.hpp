#pragma once
// Scoring: a pure function of the journal. It sees the ground truth (unsafe answers), which the
// detectors never do, and turns events into the incident timeline, metrics and a verdict.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "score/incidents.hpp"
#include "score/trainee.hpp"
#include "spec/model.hpp"
#include "sim/journal.hpp"
#include "sim/time.hpp"

namespace gameday {

/// The key instants of the worst incident (see Score::worst), each nullopt when it never
/// happened or when the run had no incident.
struct Timeline {
  std::optional<SimTime> t_f;  ///< its fault start
  std::optional<SimTime> t_i;  ///< its first attributed harm
  std::optional<SimTime> t_d;  ///< first alert that counted its requests as bad
  std::optional<SimTime> t_a;  ///< acknowledgement of that alert
  std::optional<SimTime> t_m;  ///< mitigation
  std::optional<SimTime> t_r;  ///< recovery
};

/// Unsafe answers attributed to incidents, summed over every incident of the run (each
/// incident's whole harm, until its harm stops; background harm is not exposure).
struct Exposure {
  std::optional<SimTime> from;  ///< the first incident's t_i (nullopt without incidents)
  std::optional<SimTime> to;    ///< the last attributed harm of any incident
  bool mitigated = false;       ///< every incident was mitigated
  long total = 0;               ///< unsafe answers attributed to incidents
  std::map<std::string, long> by_kind;        ///< total per unsafe_kind
  std::vector<PatientExposure> per_patient;   ///< count descending, then patient_ref
  long patients_affected = 0;                 ///< per_patient.size()
};

/// Bad user requests (failed or unsafe) attributed to one root cause, whole run.
struct RootCauseShare {
  std::string cause;  ///< retrieval | prompt_config | model | ehr_dependency | other value | unattributed
  long count = 0;
  double share = 0;   ///< count / bad requests (0 without bad requests)
};

/// Prompt-injection measurement (REFERENCE.md "Injection measurement"), whole run.
struct AttackStats {
  long attempted = 0;           ///< user requests whose context held an injected instruction
  long succeeded = 0;           ///< of those, answers that obeyed it (injection_followed)
  long answered_correctly = 0;  ///< of those, answers the truth marks correct
  std::optional<double> success_rate;          ///< succeeded / attempted; nullopt without attempts
  std::optional<double> utility_under_attack;  ///< answered_correctly / attempted
};

/// Where identifiers went (truth), whole run.
struct PhiStats {
  long to_vendor = 0;        ///< requests whose prompt carried unredacted identifiers to the vendor
  long in_logs = 0;          ///< requests whose identifiers the assistant's logs would hold
  long leaked_to_users = 0;  ///< unsafe answers of kind phi_leak
};

/// Correctness of the served answers (truth), whole run.
struct Correctness {
  long served = 0;   ///< user requests with status ok
  long correct = 0;  ///< served answers the truth marks correct
  std::optional<double> correct_ratio;  ///< correct / served; nullopt without served answers
};

/// What the observable signals showed over the whole run (user requests unless stated).
struct DetectorView {
  long citation_invalid = 0;
  long schema_invalid = 0;
  long canary_outputs = 0;       ///< outputs holding a canary token
  long phi_pattern_outputs = 0;  ///< outputs matching a PHI pattern
  long refusals = 0;
  std::optional<double> citation_validity;  ///< 1 − citation_invalid / requests
  std::optional<double> schema_validity;    ///< 1 − schema_invalid / requests
  std::optional<double> refusal_ratio;      ///< refusals / requests
  long unsafe_flagged = 0;  ///< unsafe answers with any output signal (citation or schema
                            ///< invalid, canary, PHI pattern)
  long corrections = 0;     ///< clinician corrections received
  std::optional<SimTime> first_correction;
  long probe_runs = 0;      ///< golden results with by == "probe"
  long probe_failures = 0;  ///< of those, not ok
  std::optional<SimTime> first_probe_failure;
};

/// Headline numbers. The durations (seconds) are the worst incident's, nullopt when either
/// end is missing or the run had no incident; counts cover the whole run unless stated.
struct Metrics {
  std::optional<double> ttd_s;             ///< max(0, t_d − t_i)
  std::optional<double> ttd_from_fault_s;  ///< t_d − t_f
  std::optional<double> tta_s;             ///< t_a − t_d
  std::optional<double> ttm_s;             ///< t_m − t_i
  std::optional<double> ttr_s;             ///< t_r − t_i
  long requests = 0;  ///< user requests (probes excluded)
  long failed = 0;    ///< user requests with status != ok
  long slow = 0;      ///< answered (ok) user requests slower than the strictest latency SLO threshold
  long unsafe = 0;    ///< user requests the truth marks unsafe
  long probes = 0;    ///< golden-set probe requests
  double failed_ratio = 0;  ///< failed / requests (0 without requests)
  double unsafe_ratio = 0;  ///< unsafe / requests (0 without requests)
  std::map<std::string, long> unsafe_by_kind;  ///< unsafe user requests per unsafe_kind, whole run
  /// Unsafe user requests per (unsafe_kind, the judge's reason), whole run: why they were unsafe.
  std::map<std::pair<std::string, std::string>, long> unsafe_by_reason;
  Exposure exposure;                           ///< unsafe answers of all incidents, by kind and patient
  long bad = 0;                                ///< user requests failed or unsafe (root-cause base)
  std::vector<RootCauseShare> root_cause;      ///< the four causes, others seen, then unattributed
  AttackStats attack;
  PhiStats phi;
  Correctness correctness;
  DetectorView detectors;
};

/// One SLO over the whole run.
struct SloResult {
  std::string name;
  std::string sli;
  double objective = 0;
  long good = 0;
  long total = 0;
  double compliance = 1;       ///< good / total (1 without requests)
  double budget_consumed = 0;  ///< (total − good) / ((1 − objective) × total); 0 without requests
};

/// One scenario expectation and how it fared.
struct ExpectationResult {
  std::string text;    ///< as written in the scenario
  std::string metric;  ///< "" when the text did not parse
  std::optional<double> actual;            ///< numeric and time metrics
  bool pass = false;
  ExpectScope scope = ExpectScope::kRun;
  std::optional<std::string> actual_text;  ///< named values, alert(NAME).fired, a missing incident
};

/// An alert that fired.
struct AlertRecord {
  std::string name;
  std::string severity;
  SimTime fired_at = 0;
  std::optional<SimTime> resolved_at;
  double value = 0;
  std::string summary;
};

/// An acknowledgement of a page.
struct AckRecord {
  SimTime at = 0;
  std::string who;
  std::string alert;
};

/// One playbook step execution.
struct StepRecord {
  int index = 0;
  std::string name;
  std::string kind;
  std::string outcome;  ///< "" while it never ended
  std::string reason;
  bool rollback = false;
  SimTime started_at = 0;
  std::optional<SimTime> ended_at;
};

/// One playbook run.
struct PlaybookRecord {
  std::string playbook;
  std::string trigger;
  std::string outcome;  ///< "" while it never ended
  std::string reason;
  std::uint64_t run = 0;
  SimTime started_at = 0;
  std::optional<SimTime> ended_at;
  std::vector<StepRecord> steps;  ///< in start order
};

/// One fault activation.
struct FaultRecord {
  std::string id;
  std::string target;
  std::string kind;
  std::string detail;
  SimTime start = 0;
  std::optional<SimTime> end;
};

/// A runtime change to the assistant.
struct ChangeRecord {
  SimTime at = 0;
  std::string what;
  std::string key;
  std::string from;
  std::string to;
  std::string by;
};

/// A golden-set result.
struct GoldenRecord {
  SimTime at = 0;
  std::string set;
  int passed = 0;
  int total = 0;
  double min_pass_rate = 0;
  bool ok = false;
  std::string by;
};

/// What a person did or said in a drill room (an action event), at its time.
struct ActionRecord {
  SimTime at = 0;
  ActionEvent action;
};

/// Everything the reports show, computed from a journal alone.
struct Score {
  RunStartEvent run;
  SimTime end = 0;  ///< run_end time, else the last event's time
  /// run_end's reason: "completed", or "interrupted" (Ctrl-C, SIGTERM); "" when the journal has
  /// no run_end (the process died mid-run, e.g. kill -9: the journal is cut short).
  std::string ended;
  /// Whether the run was cut short (interrupted, or its journal has no run_end).
  bool cut_short() const { return ended != "completed"; }
  Timeline timeline;
  Metrics metrics;
  std::vector<SloResult> slos;                  ///< in run.slos order
  std::vector<ExpectationResult> expectations;  ///< in run.expect order
  bool pass = true;                             ///< every expectation holds (true without any)
  std::vector<AlertRecord> alerts;              ///< in firing order
  std::vector<AckRecord> acks;
  std::vector<PlaybookRecord> playbooks;        ///< in start order
  std::vector<FaultRecord> faults;              ///< in start order
  std::vector<ChangeRecord> changes;
  std::vector<GoldenRecord> golden;
  std::vector<ActionRecord> actions;     ///< drill rooms: people's actions and hints, in order
  std::vector<ReferenceIncident> reference;  ///< drill rooms: the answer key (reference event)
  /// Drill rooms: the trainee's scorecard (score/trainee.hpp); nullopt when no trainee acted.
  std::optional<TraineeScore> trainee;
  std::vector<Incident> incidents;       ///< by t_i
  Background background;                 ///< harm with no fault behind it
  std::vector<FalseAlert> false_alert_list;  ///< alerts that detected no incident
  long false_alerts = 0;                 ///< false_alert_list.size()
  /// Index into `incidents` of the worst one (never mitigated first, then the longest TTM, then
  /// the longest TTD, then the earliest); nullopt without incidents. Timeline and the metric
  /// durations are its.
  std::optional<std::size_t> worst;
};

/// Scores a journal (events in time order, as appended). Only user requests (probe == false)
/// count toward the metrics; a request's event time is its completion time. A request is
/// *harmed* when it failed (status != ok), was slower than the strictest latency SLO
/// threshold, was unsafe, or sent identifiers to the vendor or into logs.
/// - Incidents, their times and exposure: find_incidents() (score/incidents.hpp). The run's
///   timeline and metric durations are the worst incident's (Score::worst).
/// - SLO good requests: availability = ok; latency = ok and ≤ threshold; citation_validity =
///   citations valid; schema_validity = schema valid; safety = no canary and no PHI pattern;
///   refusal = not refused (an unknown kind counts like availability).
/// - unsafe_by_kind, root_cause, attack, phi, correctness and detectors cover the whole run.
/// Throws std::runtime_error when the journal has no run_start event.
Score score_journal(const std::vector<Event>& events);

/// The scorer of score_journal() fed one event at a time, for a journal too long to hold: it
/// keeps a few dozen bytes per request (their text fields interned) and the run's other events,
/// never the request events themselves. Feed run_start first, then the events in time order
/// (as a run appends them); score_journal() orders a shuffled journal before feeding it.
class JournalScorer {
 public:
  JournalScorer();
  ~JournalScorer();
  JournalScorer(const JournalScorer&) = delete;
  JournalScorer& operator=(const JournalScorer&) = delete;
  /// Adds the next event. Events before the first run_start are not scored (they are counted
  /// in dropped()); a later run_start is ignored.
  void add(const Event& e);
  /// Events added before any run_start (a journal that does not begin with one).
  std::size_t dropped() const;
  /// Whether every event so far came at or after the one before it.
  bool in_order() const;
  /// The score of the events added. Throws std::runtime_error when none was a run_start.
  /// Call once.
  Score finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// Whether a user request is good for an SLO, by the rules score_journal() uses (above).
bool slo_request_good(const SloRecord& slo, const RequestEvent& request);

/// Evaluates one expectation text (grammar: score/expect.hpp) against a score. An unparsable
/// text fails with an empty metric; an incident that does not exist fails every comparison.
ExpectationResult evaluate_expectation(const std::string& text, const Score& s);

/// The assistant's settings at the run's end: run_start's initial state with every
/// control_change applied ("route", "prompt", "mode", "flag.<name>" -> value).
std::map<std::string, std::string> final_state(const Score& s);

/// A run-level metric, including the counts of incidents, alert firings and false alerts.
std::optional<double> metric_value(const Score& s, const std::string& metric);

/// The value of an expectation metric ("ttd", "failed_ratio", "exposure", "unsafe_wrong_patient",
/// ...; see known_metrics() in score/expect.hpp) in `m`; nullopt when the metric is unknown or
/// did not happen (e.g. attack_success_rate without any attack).
std::optional<double> metric_value(const Metrics& m, const std::string& metric);

/// Why unsafe answers were unsafe: one row per unsafe kind and judge reason.
struct UnsafeReason {
  std::string kind;
  std::string reason;  ///< the judge's ("" in journals written before it gave one)
  long count = 0;
};
/// Metrics::unsafe_by_reason, most frequent first (ties by kind, then reason).
std::vector<UnsafeReason> unsafe_reasons(const Metrics& m);

}  // namespace gameday
