#pragma once
// Ties the calls the live fakes serve to the `--sut` answers they served. A drill's workload
// sends a W3C `traceparent` with every POST /v1/answers; a service that propagates trace context
// (OpenTelemetry's HTTP instrumentation does by default) passes that trace id on to its calls to
// the fake vendor and EHR, which report each call they served with it (ServedCall). Joined by
// trace id, those calls give a `--sut` answer the span facts the built-in assistant's answers
// carry: the calls made, the faults that touched each, PHI the vendor received, a poisoned note
// served, where it was when its caller gave up. An answer no call could be tied to is marked
// untraced: its root cause is unavailable, never guessed.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "assistant/assistant.hpp"
#include "net/served_call.hpp"
#include "sim/time.hpp"

namespace gameday::net {

/// Adds one served call, made at `started` (the drill's clock), to the span facts of `a`: its
/// calls (or, when the call is still held, the call in flight), the fault ids per dependency,
/// model and EHR call counts, the stage it reached, PHI the vendor received (which also says
/// redaction was off), and a canary in the prompt or in a served document (an attack attempt).
void add_served_call(Answer& a, const ServedCall& call, SimTime started);

/// Moves the span facts gathered for a request (`spans`, from add_served_call) onto the answer
/// its service returned at `now`: a call still in flight then was given up on (status 0, its
/// latency up to now).
void merge_span_facts(Answer& answer, const Answer& spans, SimTime now);

/// The join. served() may be called from any thread (it hands the call to `post`); everything
/// else runs on the drill's scheduler thread.
class TraceJoin final : public CallObserver {
 public:
  /// `post` runs a function on the scheduler thread; `now` reads the drill's clock there;
  /// `speed` converts a call's real latency to scenario time.
  TraceJoin(std::function<void(std::function<void()>)> post, std::function<SimTime()> now, double speed);

  void served(const ServedCall& call) override;

  /// Opens the trace of one request: calls carrying `trace_id` update `*spans` from now on (it
  /// starts untraced; the first call tied to it clears that).
  void expect(const std::string& trace_id, std::shared_ptr<Answer> spans);
  /// Closes it and returns its span facts (null when it was not open).
  std::shared_ptr<Answer> take(const std::string& trace_id);

  /// Calls the fakes served with no trace context, or with a trace id no open request has.
  std::uint64_t unmatched_calls() const { return unmatched_; }

 private:
  void add(const ServedCall& call);

  std::function<void(std::function<void()>)> post_;
  std::function<SimTime()> now_;
  double speed_;
  std::unordered_map<std::string, std::shared_ptr<Answer>> open_;
  std::uint64_t unmatched_ = 0;
};

}  // namespace gameday::net
