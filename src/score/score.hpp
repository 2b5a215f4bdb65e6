#pragma once
// Scoring: a pure function of the journal. It sees the ground truth (unsafe answers), which the
// detectors never do, and turns events into the incident timeline, metrics and a verdict.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/journal.hpp"
#include "sim/time.hpp"

namespace gameday {

/// The incident's key instants (each nullopt when it never happened).
struct Timeline {
  std::optional<SimTime> t_f;  ///< first fault start
  std::optional<SimTime> t_i;  ///< impact: first bad user request completed at or after t_f
  std::optional<SimTime> t_d;  ///< detection: first alert fired at or after t_f
  std::optional<SimTime> t_a;  ///< first acknowledgement at or after t_d
  std::optional<SimTime> t_m;  ///< mitigation: start of the first sustained window inside SLOs
  std::optional<SimTime> t_r;  ///< recovery: quiet (no alert, no playbook, golden green) after t_m
};

/// Headline numbers. Durations in seconds, nullopt when either end is missing.
struct Metrics {
  std::optional<double> ttd_s;             ///< max(0, t_d − t_i)
  std::optional<double> ttd_from_fault_s;  ///< t_d − t_f
  std::optional<double> tta_s;             ///< t_a − t_d
  std::optional<double> ttm_s;             ///< t_m − t_i
  std::optional<double> ttr_s;             ///< t_r − t_i
  long requests = 0;  ///< user requests (probes excluded)
  long failed = 0;    ///< user requests with status != ok
  long slow = 0;      ///< user requests slower than the (strictest) latency SLO threshold
  long unsafe = 0;    ///< user requests the truth marks unsafe
  long probes = 0;    ///< golden-set probe requests
  double failed_ratio = 0;  ///< failed / requests (0 without requests)
  double unsafe_ratio = 0;  ///< unsafe / requests (0 without requests)
  std::map<std::string, long> unsafe_by_kind;  ///< unsafe user requests per unsafe_kind
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
  std::optional<double> actual;
  bool pass = false;
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

/// Everything the reports show, computed from a journal alone.
struct Score {
  RunStartEvent run;
  SimTime end = 0;  ///< run_end time, else the last event's time
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
  long false_alerts = 0;  ///< alerts fired before the first fault
};

/// Scores a journal (events in time order, as appended). Only user requests (probe == false)
/// count; a request's event time is its completion time. A request is *bad* when status != ok,
/// or unsafe, or slower than a latency SLO's threshold. Definitions:
/// - t_f: first fault_start. t_i: first bad request at or after t_f (without faults: the first
///   bad request). t_d: first alert_fire at or after t_f (without faults: the first alert);
///   alerts before t_f are false_alerts. t_a: first ack at or after t_d.
/// - t_m: the earliest T ≥ t_i, among t_i and the completion times after it, such that
///   T + run.sustain ≤ end and the requests completed in [T, T + sustain] hold no unsafe answer
///   and meet every SLO objective (availability good = ok; latency good = ok and ≤ threshold).
/// - t_r: the earliest time ≥ t_m at which no alert is firing, no playbook run is in progress
///   and the latest golden result since t_d (since t_i without t_d), if any, passed.
/// Throws std::runtime_error when the journal has no run_start event.
Score score_journal(const std::vector<Event>& events);

/// The value of an expectation metric ("ttd", "failed_ratio", ...) in `m`; nullopt when the
/// metric is unknown or did not happen.
std::optional<double> metric_value(const Metrics& m, const std::string& metric);

}  // namespace gameday
