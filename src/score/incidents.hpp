#pragma once
// Incidents from causes: which faults harmed which requests, grouped into incidents, each with
// its own detection, acknowledgement, mitigation, recovery and exposure. A pure function of
// what the scorer reads from the journal. The rules are documented on find_incidents().
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/journal.hpp"
#include "sim/time.hpp"

namespace gameday {

/// One patient's share of the unsafe exposure, by pseudonym only.
struct PatientExposure {
  std::string patient_ref;  ///< pseudonym ("pt-3fa9c2d1"), never an identifier
  long count = 0;           ///< unsafe answers this patient's requests received
};

/// What a request's journal line says in text (its faults and causes), interned by the scorer:
/// the requests that say the same share one record, so a long run costs a few bytes per request.
struct RequestTraits {
  std::vector<std::string> faults;  ///< ids of the faults that shaped it
  std::string cause;                ///< why it was not ok ("" when it was)
  std::string root_cause;           ///< where a bad answer came from ("" when fine)
  std::string unsafe_kind;          ///< "" when safe
  std::string patient_ref;          ///< the pseudonym, kept for unsafe answers only ("" otherwise)
  bool operator==(const RequestTraits&) const = default;
};

/// A user or probe request as scoring sees it: the journal line's fields the scorer reads.
struct ScoredRequest {
  SimTime t = 0;        ///< completion time
  SimTime arrival = 0;
  Duration latency = 0;
  std::uint64_t id = 0;
  const RequestTraits* traits = nullptr;  ///< never null once scored (owned by the scorer)
  bool failed = false;  ///< status != ok
  bool slow = false;    ///< ok but slower than the strictest latency SLO threshold
  bool unsafe = false;  ///< the truth marks the answer unsafe
  bool phi = false;     ///< identifiers went to the vendor or into logs
  // Observable signals and PHI facts, as journaled.
  bool citations_valid = true;
  bool schema_valid = true;
  bool canary_seen = false;
  bool phi_detected = false;
  bool refused = false;
  bool phi_to_vendor = false;
  bool phi_in_logs = false;
  /// Harmed: failed, slow, unsafe or exposing PHI.
  bool harmful() const { return failed || slow || unsafe || phi; }
};

/// A fault as the journal shows it: every activation of one id.
struct FaultActivation {
  std::string id;
  std::string target;
  std::string kind;      ///< kind name as journaled
  std::string incident;  ///< explicit incident name ("" when none)
  SimTime start = 0;
  std::optional<SimTime> end;  ///< nullopt while active at the end (change faults never end)
};

/// An alert firing interval with the rule that raised it (when the journal names the rule).
struct AlertFiring {
  std::string name;
  SimTime fired_at = 0;
  std::optional<SimTime> resolved_at;
  double value = 0;
  std::string summary;
  std::optional<AlertRuleRecord> rule;  ///< nullopt: an alert from outside (Alertmanager)
};

/// A runtime change to the assistant as scoring needs it.
struct ChangeAt {
  SimTime at = 0;
  std::string what;  ///< flag | prompt | route | mode
  std::string key;
  std::string from;
  std::string to;
  std::string by;    ///< "deploy:<fault id>" for change faults, else who acted
};

/// What find_incidents() reads.
struct IncidentInput {
  SimTime end = 0;                 ///< the run's end
  Duration sustain = 5 * kMinute;  ///< mitigation and recovery window
  Duration interval = 15 * kSecond;  ///< evaluation bucket width
  /// Failed or slow requests allowed per bucket, as a share of its requests: 1 − the strictest
  /// objective of the availability and latency SLOs (0 without such an SLO).
  double allowance = 0;
  /// User requests in completion order (a deque: a long run's list grows without copies).
  std::deque<ScoredRequest> requests;
  std::deque<ScoredRequest> probes;  ///< golden-probe requests in completion order
  std::vector<std::pair<SimTime, std::uint64_t>> corrections;  ///< (time, request id)
  std::vector<FaultActivation> faults;  ///< in start order
  std::vector<AlertFiring> alerts;      ///< in firing order
  std::vector<AckEvent> ack_events;     ///< with their times in ack_times
  std::vector<SimTime> ack_times;
  std::vector<ChangeAt> changes;        ///< in time order
  std::vector<std::pair<SimTime, bool>> golden;  ///< (time, ok) of every golden result
};

/// One incident: the faults behind it and its own timeline, detection and exposure.
struct Incident {
  std::string id;                   ///< explicit incident name, else its first fault's id; "#2"... for relapses
  std::vector<std::string> faults;  ///< ids of the faults whose harm it holds, in start order
  std::optional<std::string> relapse_of;  ///< the incident whose harm came back
  std::optional<SimTime> t_f;  ///< start of its (latest) fault that harmed, at or before t_i
  SimTime t_i = 0;             ///< first attributed harm
  std::optional<SimTime> t_d;  ///< first alert whose SLI counted its requests as bad
  std::optional<SimTime> t_a;  ///< acknowledgement of the detecting alert
  std::optional<SimTime> t_m;  ///< start of the first sustained window with harm in budget
  std::optional<SimTime> t_r;  ///< alerts resolved, harm-free for `sustain`, golden green
  std::optional<double> ttd_s, ttd_from_fault_s, tta_s, ttm_s, ttr_s;
  std::string detected_by;   ///< alert name, "" when undetected
  /// The change that mitigated it ("route primary -> secondary by playbook:x"), "fault_end"
  /// (its faults ended with nobody acting), "automatic" (contained while its faults were still
  /// active, with no change), "" when never mitigated.
  std::string mitigated_by;
  std::optional<SimTime> harm_until;  ///< its last attributed harm
  long harmed = 0;
  long failed = 0;
  long slow = 0;
  long unsafe = 0;
  std::map<std::string, long> unsafe_by_kind;
  std::vector<PatientExposure> per_patient;  ///< count descending, then pseudonym
  long patients_affected = 0;
  long phi_to_vendor = 0;
  long phi_in_logs = 0;
};

/// Harm with no fault behind it: reported, never an incident.
struct Background {
  long harmed = 0;
  long failed = 0;
  long slow = 0;
  long unsafe = 0;
  std::map<std::string, long> by_kind;
};

/// An alert that detected no incident.
struct FalseAlert {
  std::string name;
  std::string sli;  ///< what the rule measured ("" for an alert from outside)
  SimTime fired_at = 0;
  double value = 0;
  std::string summary;
};

/// What find_incidents() concludes.
struct IncidentResult {
  std::vector<Incident> incidents;  ///< by t_i
  Background background;
  std::vector<FalseAlert> false_alerts;  ///< in firing order
};

/// Finds the incidents of a run. Rules (docs/file-formats.md, "Incidents"):
/// - Attribution. A harmed request is attributed to the faults in its spans that can cause
///   its harm: a failure with an error status to error, reset and stream_break faults; a
///   timeout or a slow answer to any fault that delays or fails; an unsafe answer, or a
///   fallback because validation rejected the answer, to faults that bend answers and to
///   change faults; PHI sent to the vendor or logs, shedding and fallback mode to change
///   faults. Harm with no such fault is background.
/// - Grouping. Faults that harm the same requests, faults on one target whose active windows
///   touch or overlap, and faults that name the same `incident` are one group; a group whose
///   faults harmed nothing opens no incident.
/// - Mitigation t_m: the first T ≥ t_i (t_i or a bucket boundary) such that T + sustain ≤ end,
///   [T, T + sustain) holds requests, and every evaluation bucket of it holds no attributed
///   unsafe answer or PHI exposure and at most `allowance` of its requests failed or slow by
///   attribution. Of the
///   changes (not by change faults) and the group's fault ends at or before T + interval,
///   the latest says why: a change (t_m is then never before it), fault_end, or, with
///   neither, automatic. A change explains nothing when harm of the group that arrived more
///   than one bucket after it still broke the budget before T (the harm outlived it).
/// - Relapse: after t_m + sustain, the first bucket that breaks the budget again starts a new
///   incident, relapse_of this one, at its first harmed request.
/// - Detection: an alert firing interval detects an incident when its rule counted as bad a
///   request touched by the incident's faults (user requests for request SLIs, probe requests
///   for probe SLIs, corrected requests for correction SLIs), unless the harm its rule counts
///   (failures for error SLIs, failures and slowness for latency, failures and unsafe answers
///   for probes and content SLIs) is attributed in that request only to other incidents'
///   faults, in its window at the firing, or
///   during the interval (t_d is then that request's time). An alert without a known rule
///   detects the incidents with harm in the `sustain` before it fired or while it fires.
/// - Recovery t_r: the first T ≥ t_m by which the detecting alert resolved, with no attributed
///   harm in (T, T + sustain] (T + sustain ≤ end), and, when a golden result came after the
///   incident's last change, a passing one at or before T.
IncidentResult find_incidents(const IncidentInput& in);

}  // namespace gameday
