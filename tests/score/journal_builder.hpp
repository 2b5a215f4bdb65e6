#pragma once
// Hand-built journals for scoring and report tests: each helper appends one event.
#include <string>
#include <vector>

#include "sim/journal.hpp"

namespace gameday::test {

/// Builds a journal event by event, in time order.
class JournalBuilder {
 public:
  /// Starts with a run_start event at 0.
  explicit JournalBuilder(RunStartEvent run) { add(0, std::move(run)); }

  JournalBuilder& add(SimTime t, EventBody body) {
    events_.push_back(Event{t, std::move(body)});
    return *this;
  }
  /// A user request completing at `t`, touched by the faults `spans`.
  JournalBuilder& request(SimTime t, RequestStatus status = RequestStatus::kOk,
                          Duration latency = kSecond, bool unsafe = false,
                          const std::string& unsafe_kind = "", std::vector<std::string> spans = {}) {
    RequestEvent r;
    r.id = ++next_id_;
    r.task_type = "benefits_question";
    r.patient_ref = "pt-3fa9c2d1";
    r.arrival = t - latency;
    r.latency = latency;
    r.status = status;
    r.unsafe = unsafe;
    r.unsafe_kind = unsafe_kind;
    r.faults = std::move(spans);
    if (status == RequestStatus::kError) r.cause = "vendor_error";
    if (status == RequestStatus::kTimeout) r.cause = "client_timeout";
    return add(t, r);
  }
  /// A request that failed with `cause` ("vendor_error", "client_timeout", "citation_invalid",
  /// ...) while touched by `spans`.
  JournalBuilder& failed(SimTime t, std::vector<std::string> spans, const std::string& cause = "vendor_error") {
    RequestEvent r;
    r.latency = kSecond;
    r.status = cause == "client_timeout" ? RequestStatus::kTimeout
               : cause == "citation_invalid" || cause == "invalid_schema" || cause == "safe_mode"
                   ? RequestStatus::kFallback
                   : RequestStatus::kError;
    r.cause = cause;
    r.faults = std::move(spans);
    return request_event(t, std::move(r));
  }
  /// An unsafe answer of `kind` touched by `spans`, for patient `patient`.
  JournalBuilder& unsafe(SimTime t, std::vector<std::string> spans, const std::string& kind = "hallucination",
                         const std::string& patient = "pt-3fa9c2d1") {
    RequestEvent r;
    r.latency = kSecond;
    r.unsafe = true;
    r.unsafe_kind = kind;
    r.patient_ref = patient;
    r.faults = std::move(spans);
    return request_event(t, std::move(r));
  }
  /// An answer that took `latency`, touched by `spans`.
  JournalBuilder& slow(SimTime t, std::vector<std::string> spans, Duration latency = 5 * kSecond) {
    RequestEvent r;
    r.latency = latency;
    r.faults = std::move(spans);
    return request_event(t, std::move(r));
  }
  /// A user request completing at `t` with every field as given (id and arrival filled in when
  /// left at 0).
  JournalBuilder& request_event(SimTime t, RequestEvent r) {
    if (r.id == 0) r.id = ++next_id_;
    if (r.task_type.empty()) r.task_type = "benefits_question";
    if (r.patient_ref.empty()) r.patient_ref = "pt-3fa9c2d1";
    if (r.arrival == 0) r.arrival = t - r.latency;
    return add(t, std::move(r));
  }
  /// A golden probe request; bad ones are failed (or `unsafe`), touched by `spans`.
  JournalBuilder& probe(SimTime t, RequestStatus status = RequestStatus::kOk, std::vector<std::string> spans = {},
                        bool unsafe = false) {
    RequestEvent r;
    r.id = ++next_id_;
    r.probe = true;
    r.arrival = t;
    r.status = status;
    r.unsafe = unsafe;
    r.unsafe_kind = unsafe ? "wrong_patient" : "";
    r.faults = std::move(spans);
    return add(t, r);
  }
  JournalBuilder& fault_start(SimTime t, const std::string& id, const std::string& target = "vendor:primary",
                              const std::string& kind = "error", const std::string& incident = "") {
    return add(t, FaultStartEvent{id, target, kind, kind, incident});
  }
  JournalBuilder& fault_end(SimTime t, const std::string& id, const std::string& target = "vendor:primary",
                            const std::string& kind = "error") {
    return add(t, FaultEndEvent{id, target, kind});
  }
  JournalBuilder& fire(SimTime t, const std::string& name) {
    return add(t, AlertFireEvent{name, "page", 0.25, "error_ratio 25% > 10% over 1m"});
  }
  JournalBuilder& resolve(SimTime t, const std::string& name) {
    return add(t, AlertResolveEvent{name});
  }
  JournalBuilder& ack(SimTime t, const std::string& alert) {
    return add(t, AckEvent{"on-call", alert});
  }
  JournalBuilder& golden(SimTime t, bool ok) {
    return add(t, GoldenResultEvent{"core", ok ? 10 : 7, 10, 0.9, ok, "playbook:failover"});
  }
  JournalBuilder& change(SimTime t, const std::string& to, const std::string& by = "playbook:failover") {
    return add(t, ControlChangeEvent{"route", "", "primary", to, by});
  }
  JournalBuilder& correction(SimTime t, std::uint64_t request_id) {
    return add(t, CorrectionEvent{request_id, "benefits_question", "pt-3fa9c2d1"});
  }
  JournalBuilder& end(SimTime t) { return add(t, RunEndEvent{"completed"}); }

  /// The id the next request gets.
  std::uint64_t next_id() const { return next_id_ + 1; }
  const std::vector<Event>& events() const { return events_; }

 private:
  std::vector<Event> events_;
  std::uint64_t next_id_ = 0;
};

/// A threshold rule as run_start journals it.
inline AlertRuleRecord threshold_rule(const std::string& name, const std::string& sli, Duration window,
                                      double above) {
  AlertRuleRecord r;
  r.name = name;
  r.sli = sli;
  r.window = window;
  r.above = above;
  return r;
}

/// A run with a 90 % availability SLO, a 90 % latency SLO at 2 s, a 60 s sustain window, 15 s
/// evaluation buckets, and the rule ErrorsHigh (error_ratio > 10 % over 1 m).
inline RunStartEvent standard_run(std::vector<std::string> expect = {}) {
  RunStartEvent run;
  run.scenario = "vendor-errors";
  run.description = "The primary vendor returns 503s for a while.";
  run.seed = 42;
  run.duration = 600 * kSecond;
  run.mode = "simulated";
  run.sustain = 60 * kSecond;
  run.slos.push_back(SloRecord{"answers-available", "availability", 0.9, 0});
  run.slos.push_back(SloRecord{"answers-fast", "latency", 0.9, 2 * kSecond});
  run.expect = std::move(expect);
  run.alerts.push_back(threshold_rule("ErrorsHigh", "error_ratio", kMinute, 0.1));
  run.evaluation_interval = 15 * kSecond;
  return run;
}

/// The reference incident used by several tests (times in seconds): requests every 10 s from
/// 10 to 600; a false alert "Noise" at 50 (resolved 60); the fault primary-errors (error on
/// vendor:primary) from 100 to 300; failed requests touched by it at 110 and 120, an unsafe
/// answer at 130 touched by it too (an error fault cannot bend answers: background), a 3 s
/// answer at 140 touched by it (retries); ErrorsHigh at 125 (resolved 170); ack at 140; playbook
/// run 1 from 130 to 150 with one step (130..135) that moves the route at 135; from 150 on
/// requests go to the secondary and are untouched; golden results failing at 160 and passing at
/// 200; a failed probe at 300 with no fault; run end at 600.
/// Expected: one incident, t_f 100, t_i 110, t_d 125, t_a 140, t_m 150 (the route change at 135,
/// the buckets [135, 150) still holding the slow answer), t_r 200.
inline std::vector<Event> reference_incident(std::vector<std::string> expect = {}) {
  JournalBuilder b(standard_run(std::move(expect)));
  const std::vector<std::string> f = {"primary-errors"};
  for (SimTime s = 10; s <= 600; s += 10) {
    const SimTime t = s * kSecond;
    if (s == 50) b.fire(t, "Noise");
    if (s == 60) b.resolve(t, "Noise");
    if (s == 100) b.fault_start(t, "primary-errors");
    if (s == 110 || s == 120) {
      b.failed(t, f);
    } else if (s == 130) {
      b.request(t, RequestStatus::kOk, kSecond, true, "hallucination", f);
      b.add(t, PlaybookStartEvent{"failover", 1, "alert:ErrorsHigh"});
      b.add(t, StepStartEvent{"failover", 1, 0, "switch route", "model.failover", false});
    } else if (s == 140) {
      b.slow(t, f, 3 * kSecond);
      b.ack(t, "ErrorsHigh");
    } else {
      b.request(t, RequestStatus::kOk, kSecond, false, "", s > 100 && s < 135 ? f : std::vector<std::string>{});
    }
    if (s == 120) b.fire(125 * kSecond, "ErrorsHigh");
    if (s == 130) {
      b.add(135 * kSecond, StepEndEvent{"failover", 1, 0, "switch route", "model.failover", "ok", "", false});
      b.change(135 * kSecond, "secondary");
    }
    if (s == 150) b.add(t, PlaybookEndEvent{"failover", 1, "completed", ""});
    if (s == 160) b.golden(t, false);
    if (s == 170) b.resolve(t, "ErrorsHigh");
    if (s == 200) b.golden(t, true);
    if (s == 300) {
      b.fault_end(t, "primary-errors");
      b.probe(t, RequestStatus::kError);
    }
  }
  b.end(600 * kSecond);
  return b.events();
}

}  // namespace gameday::test
