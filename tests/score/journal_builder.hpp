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
  /// A user request completing at `t`.
  JournalBuilder& request(SimTime t, RequestStatus status = RequestStatus::kOk,
                          Duration latency = kSecond, bool unsafe = false,
                          const std::string& unsafe_kind = "") {
    RequestEvent r;
    r.id = ++next_id_;
    r.task_type = "benefits_question";
    r.patient_ref = "pt-3fa9c2d1";
    r.arrival = t - latency;
    r.latency = latency;
    r.status = status;
    r.unsafe = unsafe;
    r.unsafe_kind = unsafe_kind;
    return add(t, r);
  }
  /// A user request completing at `t` with every field as given (id and arrival filled in when
  /// left at 0).
  JournalBuilder& request_event(SimTime t, RequestEvent r) {
    if (r.id == 0) r.id = ++next_id_;
    if (r.task_type.empty()) r.task_type = "benefits_question";
    if (r.arrival == 0) r.arrival = t - r.latency;
    return add(t, std::move(r));
  }
  JournalBuilder& probe(SimTime t, RequestStatus status = RequestStatus::kOk) {
    RequestEvent r;
    r.id = ++next_id_;
    r.probe = true;
    r.status = status;
    return add(t, r);
  }
  JournalBuilder& fault_start(SimTime t, const std::string& id) {
    return add(t, FaultStartEvent{id, "vendor:primary", "error", "status=503 p=0.5"});
  }
  JournalBuilder& fault_end(SimTime t, const std::string& id) {
    return add(t, FaultEndEvent{id, "vendor:primary", "error"});
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
  JournalBuilder& end(SimTime t) { return add(t, RunEndEvent{"completed"}); }

  const std::vector<Event>& events() const { return events_; }

 private:
  std::vector<Event> events_;
  std::uint64_t next_id_ = 0;
};

/// A run with a 90 % availability SLO, a 90 % latency SLO at 2 s and a 60 s sustain window.
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
  return run;
}

/// The reference incident used by several tests (times in seconds):
/// requests every 10 s from 10 to 600; a false alert at 50 (resolved 60); fault at 100 (ends
/// 145); errors at 110 and 120, an unsafe answer at 130, a 3 s answer at 140; alert at 125
/// (resolved 170); ack at 140; playbook run 1 from 130 to 150 with one step (130..135);
/// a flag change at 135; golden results failing at 160 and passing at 200; run end at 600.
/// Expected: t_f 100, t_i 110, t_d 125, t_a 140, t_m 150, t_r 200.
inline std::vector<Event> reference_incident(std::vector<std::string> expect = {}) {
  JournalBuilder b(standard_run(std::move(expect)));
  for (SimTime s = 10; s <= 600; s += 10) {
    const SimTime t = s * kSecond;
    if (s == 50) b.fire(t, "Noise");
    if (s == 60) b.resolve(t, "Noise");
    if (s == 100) b.fault_start(t, "primary-errors");
    if (s == 110 || s == 120) {
      b.request(t, RequestStatus::kError);
    } else if (s == 130) {
      b.request(t, RequestStatus::kOk, kSecond, true, "hallucination");
      b.add(t, PlaybookStartEvent{"failover", 1, "alert:ErrorsHigh"});
      b.add(t, StepStartEvent{"failover", 1, 0, "switch route", "model.failover", false});
    } else if (s == 140) {
      b.request(t, RequestStatus::kOk, 3 * kSecond);
      b.ack(t, "ErrorsHigh");
    } else {
      b.request(t);
    }
    if (s == 120) b.fire(125 * kSecond, "ErrorsHigh");
    if (s == 130) {
      b.add(135 * kSecond, StepEndEvent{"failover", 1, 0, "switch route", "model.failover", "ok", "", false});
      b.add(135 * kSecond, ControlChangeEvent{"route", "", "primary", "secondary", "playbook:failover"});
    }
    if (s == 140) b.fault_end(145 * kSecond, "primary-errors");
    if (s == 150) b.add(t, PlaybookEndEvent{"failover", 1, "completed", ""});
    if (s == 160) b.golden(t, false);
    if (s == 170) b.resolve(t, "ErrorsHigh");
    if (s == 200) b.golden(t, true);
  }
  b.probe(300 * kSecond, RequestStatus::kError);
  b.end(600 * kSecond);
  return b.events();
}

}  // namespace gameday::test
