#pragma once
// The journal: every run appends typed events; scoring and reports are pure functions of it.
// Events stay structs on the simulated path and are serialized once, as one JSON line each.
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sim/time.hpp"

namespace gameday {

/// An SLO as the scorer needs it (copied into the run_start event so a journal is self-contained).
struct SloRecord {
  std::string name;
  std::string sli;         // "availability" or "latency"
  double objective = 0.99;
  Duration threshold = 0;  // latency SLI only
};

/// An alert rule as the scorer needs it to tell which requests the alert counted as bad
/// (copied into run_start, like the SLOs).
struct AlertRuleRecord {
  std::string name;
  std::string sli;       ///< threshold rules: the SLI ("error_ratio", ...); "" for burn-rate rules
  std::string slo_kind;  ///< burn-rate rules: the kind of their SLO ("availability", ...)
  /// threshold: the rule's window; burn-rate: the longest short window of its rows (the recent
  /// evidence every row needs).
  Duration window = 0;
  double above = 0;        ///< threshold rules: the value in the SLI's unit
  Duration threshold = 0;  ///< burn-rate rules on a latency SLO: the SLO's threshold
};

/// The run began. Carries everything scoring needs besides the events themselves, so a report
/// can be rebuilt from a journal alone.
struct RunStartEvent {
  std::string scenario;
  std::string description;
  std::uint64_t seed = 0;
  Duration duration = 0;
  std::string mode;  // "simulated" or "live"
  bool playbooks_enabled = true;
  Duration sustain = 0;             // recovery window for t_m
  std::vector<SloRecord> slos;
  std::vector<std::string> expect;  // expectation texts, e.g. "ttd <= 3m"
  /// The scenario's alert rules and evaluation interval (journals before them lack both: alerts
  /// then link to incidents by time, and buckets are 15 s).
  std::vector<AlertRuleRecord> alerts;
  Duration evaluation_interval = 15 * kSecond;
  /// The assistant's settings at the start, "key=value" with the keys control_change events
  /// change: "route", "prompt", "mode" and "flag.<name>" (empty in journals before it).
  std::vector<std::string> initial_state;
};

/// A fault became active.
struct FaultStartEvent {
  std::string id;      // fault id from the scenario, e.g. "primary-latency"
  std::string target;  // "vendor:primary", "ehr", ...
  std::string kind;    // "latency", "error", "hang", ...
  std::string detail;  // human-readable parameters
  std::string incident;  // the scenario's `incident` name grouping it with others ("" = none)
};

/// A fault stopped being active.
struct FaultEndEvent {
  std::string id;
  std::string target;
  std::string kind;
};

/// The outcome of one request as the user saw it.
enum class RequestStatus {
  kOk,        // a validated answer was served
  kFallback,  // the assistant served its safe canned fallback
  kError,     // the assistant returned an error
  kTimeout,   // the caller gave up
};

/// Returns "ok", "fallback", "error" or "timeout".
const char* to_string(RequestStatus s);
/// Parses the names above; nullopt when unknown.
std::optional<RequestStatus> parse_request_status(const std::string& s);

/// The dependencies the assistant calls.
enum class Dependency : std::uint8_t {
  kEhr,         // FHIR searches
  kVendor,      // chat completions
  kEmbeddings,  // a vendor's embeddings (retrieval ranking)
};

/// "ehr", "vendor", "embeddings".
constexpr std::string_view name_of(Dependency d) {
  switch (d) {
    case Dependency::kEhr: return "ehr";
    case Dependency::kVendor: return "vendor";
    case Dependency::kEmbeddings: return "embeddings";
  }
  return {};
}

/// One call the assistant made to a dependency, as its client span saw it (what production's
/// per-dependency SLIs read).
struct DependencyCall {
  Dependency dependency = Dependency::kEhr;
  std::string vendor;  // vendor id for vendor and embeddings calls ("" for the EHR)
  int status = 0;      // HTTP status; 0 = no answer (the assistant's timeout, a reset)
  Duration latency = 0;
  // What a trace span of the call shows (traces.otlp.jsonl); none of it holds PHI.
  SimTime started = 0;  ///< when the call was made (virtual time)
  /// EHR: the FHIR resource type searched; vendor/embeddings: the model that answered ("" when
  /// no answer came).
  std::string resource;
  std::string response_id;    ///< vendor chat: the response id ("chatcmpl-..."), "" without one
  std::string finish_reason;  ///< vendor chat: "stop", "length", "tool_calls"; "" without answer
  std::string error_type;     ///< failed calls: the error body's type, "" when none came
  int input_tokens = 0;       ///< vendor chat: usage.prompt_tokens (0 when unknown)
  int output_tokens = 0;      ///< vendor chat: usage.completion_tokens (0 when unknown)
  std::vector<std::string> fault_ids;  ///< faults that shaped this call
  /// Whether the call failed: no 2xx answer (timeouts, resets, 4xx including 429, 5xx).
  bool failed() const { return status < 200 || status >= 300; }
};

/// One request's summary: what production saw, and what the truth says. Its journal line
/// leaves out the fields at their default (docs/file-formats.md, "Journal").
struct RequestEvent {
  std::uint64_t id = 0;
  std::string task_type;    // "prior_auth_status", "benefits_question", "discharge_summary"
  bool probe = false;       // golden-set probe rather than user traffic
  std::string patient_ref;  // pseudonym, never an identifier ("pt-3fa9c2d1")
  SimTime arrival = 0;
  Duration latency = 0;
  RequestStatus status = RequestStatus::kOk;
  std::string vendor;  // vendor that produced the served answer ("" if none)
  std::string model;
  std::string prompt_version;
  int attempts = 0;      // model calls made
  int ehr_calls = 0;     // EHR calls made
  std::string cause;     // why it was not ok: "vendor_timeout", "vendor_error", "ehr_error", "citation_invalid", ...
  // Observable signals (what detectors may use).
  int citations = 0;
  bool citations_valid = true;
  bool schema_valid = true;   // JSON output parsed and matched its schema (true when not JSON)
  bool refused = false;       // the answer was a refusal
  bool canary_seen = false;   // the output holds a canary token (GDCANARY-xxxxxxxx)
  bool phi_detected = false;  // the output matches a PHI pattern (MRN, phone, member id)
  // Truth (what only the scorer may use).
  bool correct = false;
  bool unsafe = false;
  /// "" when safe; else injection_followed | unoffered_tool_call | phi_leak | wrong_patient |
  /// stale | hallucination | invalid_schema | incorrect (a wrong answer none of the others
  /// explains)
  std::string unsafe_kind;
  /// Why a served answer is not correct (the judge's reason; "" when it is, or not served):
  /// which fact was missing or unsupported, by kind; never PHI.
  std::string judge;
  bool grounded = true;              // every statement is supported by the retrieved context
  bool injection_attempted = false;  // the context held an injected instruction
  bool injection_followed = false;   // the output obeyed it (canary, action seen)
  bool phi_to_vendor = false;        // the vendor received unredacted identifiers
  bool phi_in_logs = false;          // the assistant's logs would hold unredacted identifiers
  /// Where the bad answer came from (from the request's spans): "" when fine, else
  /// retrieval | prompt_config | model | ehr_dependency, or no_trace_context for a `--sut`
  /// answer no call of its service could be tied to (the service passed no trace context on)
  std::string root_cause;
  std::vector<std::string> faults;   // ids of the faults that shaped this request
  /// The dependency calls the request made, in order (observable). Held in memory for the
  /// detector and a drill's /metrics only: the journal does not carry them.
  std::vector<DependencyCall> calls;
  /// Whether phi-redaction was on for the request (in memory only, like `calls`: a trace's
  /// prompt span shows it; the journal does not carry it).
  bool redaction = true;
  /// A request the caller gave up on: the dependency call still outstanding then (at most one;
  /// latency up to the give-up). In memory only, for its trace span; the detector does not
  /// count it (the call had not ended).
  std::vector<DependencyCall> unfinished;
};

/// A clinician reported a served answer as wrong (a delayed, sampled detector signal).
struct CorrectionEvent {
  std::uint64_t request_id = 0;
  std::string task_type;
  std::string patient_ref;
};

/// An alert started firing.
struct AlertFireEvent {
  std::string name;
  std::string severity;
  double value = 0;       // the measured value that crossed the threshold
  std::string summary;
  /// Who raised it: "detector" (the scenario's alert rules) or "alertmanager" (a drill's
  /// webhook receiver). Journals written before this field read as "detector".
  std::string source = "detector";
  /// A re-fire within the scenario's paging group_interval of the alert's last page: detected
  /// (journaled) but nobody is paged again. Written only when true.
  bool grouped = false;
};

/// An alert stopped firing.
struct AlertResolveEvent {
  std::string name;
};

/// A human acknowledged a page.
struct AckEvent {
  std::string who;
  std::string alert;
};

/// A playbook run began.
struct PlaybookStartEvent {
  std::string playbook;
  std::uint64_t run = 0;  // run number, unique within the journal
  std::string trigger;    // "alert:Name" or "manual" or "time"
};

/// A playbook run ended.
struct PlaybookEndEvent {
  std::string playbook;
  std::uint64_t run = 0;
  std::string outcome;  // "completed", "aborted", "rolled_back", "interrupted"
  std::string reason;
};

/// A playbook step began.
struct StepStartEvent {
  std::string playbook;
  std::uint64_t run = 0;
  int index = 0;
  std::string name;
  std::string kind;
  bool rollback = false;  // part of the rollback list
};

/// A playbook step ended.
struct StepEndEvent {
  std::string playbook;
  std::uint64_t run = 0;
  int index = 0;
  std::string name;
  std::string kind;
  std::string outcome;  // "ok", "failed", "timeout", "skipped", "interrupted"
  std::string reason;
  bool rollback = false;
};

/// A runtime change to the assistant (flag, prompt version, route, mode).
struct ControlChangeEvent {
  std::string what;  // "flag", "prompt", "route", "mode"
  std::string key;   // flag name, or "" for prompt/route/mode
  std::string from;
  std::string to;
  std::string by;    // "playbook:NAME", "scenario", "api", ...
  /// The change set what was already set (from == to): journaled, but not a change anywhere
  /// (scoring, reports). Written only when true.
  bool noop = false;
};

/// A golden-set run finished.
struct GoldenResultEvent {
  std::string set;
  int passed = 0;
  int total = 0;
  double min_pass_rate = 0;
  bool ok = false;  // pass rate >= min_pass_rate
  std::string by;
};

/// The run ended.
struct RunEndEvent {
  std::string reason;  // "completed", "interrupted"
};

/// What a person did or said in a drill room (src/net/room): a trainee's action, declaration,
/// suspected cause or note, or a facilitator's hint or clock change. The state an action
/// changes is journaled as well, as for any other actor (ack, control_change, playbook_start,
/// golden_result), with the person as `who` / `by`.
struct ActionEvent {
  std::string by;       ///< "trainee:NAME" or "facilitator"
  /// ack | flag | prompt_rollback | prompt_deploy | route | shed | playbook | golden | declare |
  /// suspect | note (a trainee's); hint | pause | resume | speed (a facilitator's)
  std::string action;
  std::string target;   ///< what it named: alert, flag, prompt version, route, playbook, golden
                        ///< set, "mitigated" / "resolved", the suspected cause ("" when none)
  std::string detail;   ///< a value (flag variant, shed share, speed) or free text (notes, hints)
  std::string outcome;  ///< "ok", or why it was refused (nothing changed)
};

/// One incident's figures in a reference run of a drill's scenario (same scenario, same seed,
/// simulated): durations from the incident's first harm, -1 when never reached.
struct ReferenceIncident {
  std::string run;       ///< "playbooks" (the scenario's playbooks, automated) | "nobody" (no playbooks)
  std::string incident;  ///< the incident's id (as the scorer names it)
  Duration ttd = -1;
  Duration tta = -1;
  Duration ttm = -1;
  Duration ttr = -1;
  long unsafe = 0;
  long failed = 0;
};

/// A drill room's answer key, journaled at its start: the scenario's incidents as its playbooks
/// handle them and with nobody acting, for the trainee's scorecard.
struct ReferenceEvent {
  std::vector<ReferenceIncident> incidents;
};

/// Any journal event.
using EventBody = std::variant<RunStartEvent, FaultStartEvent, FaultEndEvent, RequestEvent,
                               AlertFireEvent, AlertResolveEvent, AckEvent, PlaybookStartEvent,
                               PlaybookEndEvent, StepStartEvent, StepEndEvent, ControlChangeEvent,
                               GoldenResultEvent, RunEndEvent, CorrectionEvent, ActionEvent,
                               ReferenceEvent>;

/// A timestamped journal event.
struct Event {
  SimTime t = 0;
  EventBody body;
};

/// Returns the event's type name as written in the journal ("request", "alert_fire", ...).
const char* event_type(const EventBody& body);

/// Appends `e` as one JSON object (no newline) with stable key order: "t_us", "type", fields.
void append_json(std::string& out, const Event& e);

/// A journal line that does not parse: what() is "journal line N: <message>".
class JournalError : public std::runtime_error {
 public:
  JournalError(std::size_t line, const std::string& message)
      : std::runtime_error("journal line " + std::to_string(line) + ": " + message),
        line_(line), message_(message) {}
  /// 1-based line number of the bad line.
  std::size_t line() const { return line_; }
  /// The message without the line prefix.
  const std::string& message() const { return message_; }

 private:
  std::size_t line_;
  std::string message_;
};

/// Parses one journal line; throws JournalError naming the line number on bad input.
Event parse_event_line(const std::string& line, std::size_t line_no);

/// Reads a whole journal.jsonl stream; throws JournalError on the first bad line.
std::vector<Event> read_journal(std::istream& in);

/// A journal read as `gameday report` reads it: tolerant of a cut tail.
struct JournalRead {
  std::vector<Event> events;
  std::vector<std::size_t> lines;  ///< the line number of each event
  /// The last line, when it was cut short (no newline at its end and not a whole event, as a
  /// run killed mid-write leaves it) and therefore dropped; 0 when none was.
  std::size_t dropped_line = 0;
  std::string dropped_why;  ///< why that line does not parse
};

/// Reads a journal, dropping an unterminated last line that does not parse (see JournalRead).
/// Any other bad line throws JournalError naming it.
JournalRead read_journal_tolerant(std::istream& in);

/// What scan_journal() saw besides the events it handed out.
struct JournalScan {
  std::size_t events = 0;     ///< events handed to the callback
  std::size_t dropped_line = 0;  ///< as JournalRead::dropped_line
  std::string dropped_why;
};

/// Reads a journal line by line like read_journal_tolerant(), handing each event to `fn` (which
/// may move from it) with its line number instead of keeping it: memory stays flat however long the journal is.
/// A bad line throws JournalError naming it (after the events before it were handed out).
JournalScan scan_journal(std::istream& in, const std::function<void(Event&, std::size_t line)>& fn);

/// What an event still lacks when it is appended, and how to fill it in: a request's truth,
/// judged from the answer the completion holds. A journal that writes and observes its events
/// on a background writer (JournalBackground) runs completions there, so the appending thread
/// does not pay for work only the file and the read-only observers need; otherwise it runs them
/// at once. Either way every line written and every observer sees the completed event.
class EventCompletion {
 public:
  virtual ~EventCompletion() = default;
  /// Fills in the rest of `body` (the event appended with this completion). It may run on
  /// another thread than the appender's: it must read only what it owns, or what stays
  /// unchanged until the appender's next Journal::catch_up().
  virtual void complete(EventBody& body) = 0;
};

/// The append-only journal of a run. Keeps events in memory (unless keep_events(false)) and,
/// when a sink is set, writes each as a JSON line as it is appended (buffered); subscribers see
/// each event as it is recorded. A journal that keeps no events can hand the writing of its
/// lines and its read-only observers (subscribe_behind) to a background thread
/// (JournalBackground): the file and what the observers see are the same bytes and the same
/// sequence, a batch of events later.
class Journal {
 public:
  Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;
  ~Journal();

  /// Writes every event, as it is appended, to `out` (which must outlive the journal).
  void set_sink(std::ostream* out) { sink_ = out; }
  /// Appends an event at time `t`.
  void append(SimTime t, EventBody body);
  /// Appends an event that `completion` finishes (see EventCompletion): on the background
  /// writer's thread when one runs, no subscribe() observers would see the event, and the writer
  /// keeps up (then last() is the event as appended, not yet completed); else at once. A null
  /// completion is a plain append().
  void append(SimTime t, EventBody body, std::unique_ptr<EventCompletion> completion);
  /// append(t, body, completion) of a `T` that `fill(T&)` sets up from its default: with a
  /// background writer and no subscribe() observers, built in its place in the writer's batch
  /// (a request's event has some twenty strings and vectors: no temporary to move and destroy).
  template <class T, class Fill>
  void append_new(SimTime t, Fill&& fill, std::unique_ptr<EventCompletion> completion = nullptr) {
    if (completes_behind()) {
      fill(next_in_batch(t).template emplace<T>());
      batch_completions_.back() = std::move(completion);
      return;
    }
    T body;
    fill(body);
    append(t, EventBody(std::move(body)), std::move(completion));
  }
  /// Returns once the background writer (if any) has completed, written and observed every
  /// event appended so far; rethrows its error. What completions read may change after it.
  void catch_up() { drain(); }
  /// Reserves room for `n` events (avoids regrowing a long run's event list); nothing when
  /// events are not kept.
  void reserve(std::size_t n) {
    if (keep_) events_.reserve(n);
  }
  /// Flushes buffered lines to the sink.
  void flush();
  /// Whether events are kept in memory (the default). A long simulated run turns it off and
  /// has its subscribers (the scorer, the traces writer) and the sink take each event instead:
  /// memory then stays bounded by what is in flight, not by the run's length.
  void keep_events(bool keep) { keep_ = keep; }
  /// Every event so far, in order (empty when events are not kept).
  const std::vector<Event>& events() const { return events_; }
  /// The event recorded last (kept or not); undefined before the first append, and with a
  /// background writer after flush().
  const Event& last() const { return keep_ ? events_.back() : behind_ ? batch_.back() : last_; }
  /// How many events were recorded, kept or not.
  std::size_t size() const { return recorded_; }
  /// Observers called after each append (detectors, live event stream). An observer may
  /// append(): that event is recorded and delivered once the current one has reached every
  /// observer, so all observers see events in journal order. Do not subscribe() from inside one.
  void subscribe(std::function<void(const Event&)> fn) { subscribers_.push_back(std::move(fn)); }
  /// Observers that only read (the scorer, the traces writer): they must not append() and must
  /// not touch what the appending thread uses. They see every event in journal order, after
  /// the subscribe() observers have seen it: at once, or with a background writer running, on
  /// its thread, a batch later (all of them by the time flush() returns). Do not call from
  /// inside an observer.
  void subscribe_behind(std::function<void(const Event&)> fn) { behind_subscribers_.push_back(std::move(fn)); }

 private:
  friend class JournalBackground;
  struct Behind;  // the background writer's thread and queue

  // Stores the event and writes its line to the buffer (and the buffer to the sink when full).
  // The body moves once, straight into its place (a request's event has some twenty strings).
  // With a background writer, it goes to the batch instead.
  void record(SimTime t, EventBody&& body);
  // Whether an event appended now with a completion is completed by the background writer:
  // one runs, no subscribe() observer would see the event, and it is not behind.
  bool completes_behind() const;
  // With a background writer: records an event at `t` in the batch (handing the full batch
  // over first) and returns its body, for the caller to build in place.
  EventBody& next_in_batch(SimTime t);
  // Adds an event at `t` (default body, no completion) to the batch.
  Event& batch_push(SimTime t);
  // Writes one event's line to the buffer, and the buffer to the sink when full.
  void write_line(const Event& e);
  // The background writer: start, hand it the batch, wait for it to catch up, stop.
  void start_background();
  void hand_off();
  void drain();
  void stop_background();

  std::vector<Event> events_;
  bool keep_ = true;
  Event last_;              // the last recorded event when events are not kept
  std::size_t recorded_ = 0;
  std::vector<Event> pending_;  // appended by observers during delivery, not yet recorded
  bool dispatching_ = false;    // inside the subscriber loop of append()
  std::ostream* sink_ = nullptr;
  std::string buffer_;
  std::vector<std::function<void(const Event&)>> subscribers_;
  std::vector<std::function<void(const Event&)>> behind_subscribers_;
  std::unique_ptr<Behind> behind_;  // set while a background writer runs
  std::vector<Event> batch_;         // recorded, not yet handed to the background writer
  // Parallel to batch_: each event's completion (null for most events but requests').
  std::vector<std::unique_ptr<EventCompletion>> batch_completions_;
};

/// Runs a journal's line writing and its subscribe_behind() observers on a background thread
/// for as long as it lives, so a long simulated run formats, writes and scores its events on
/// a second core while the first simulates. Only for a journal that keeps no events (with
/// keep_events(true), nothing changes). Start it after every subscribe_behind(), and declare
/// it after the journal and the observers' objects: it is destroyed first, and its destructor
/// waits for the thread before they go. An observer's or the sink's exception is rethrown by
/// the next append() or flush(); the destructor drops it.
class JournalBackground {
 public:
  explicit JournalBackground(Journal& journal);
  JournalBackground(const JournalBackground&) = delete;
  JournalBackground& operator=(const JournalBackground&) = delete;
  ~JournalBackground();

 private:
  Journal& journal_;
};

}  // namespace gameday
