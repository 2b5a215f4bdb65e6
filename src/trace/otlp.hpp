#pragma once
// Traces out: the journal's requests and playbook runs as OpenTelemetry spans, written as
// OTLP/JSON (the OTLP specification's JSON encoding of ExportTraceServiceRequest), one
// {"resourceSpans": [...]} object per line: the file format the OpenTelemetry Collector's
// otlpjsonfile receiver reads. docs/observability.md lists every span and attribute.
//
// Deterministic: timestamps are virtual time from a fixed epoch and ids are hashes of the seed
// and the request id (or playbook run), so a seed's file is byte-identical run after run. Spans
// carry only what production telemetry would see (no ground truth) and never PHI: the patient
// appears as its pseudonym, messages never.
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/journal.hpp"

namespace gameday {

/// The Unix time virtual time 0 maps to in traces: 2025-01-01T00:00:00Z, in nanoseconds.
inline constexpr std::uint64_t kTraceEpochUnixNano = 1735689600ULL * 1000000000ULL;

/// The file a run writes next to report.json.
inline constexpr std::string_view kTracesFileName = "traces.otlp.jsonl";

/// A 128-bit trace id (never all zero).
struct TraceId {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
  friend bool operator==(const TraceId&, const TraceId&) = default;
};

/// OpenTelemetry's `error.type` of a failed call: its error body's type, else its status code,
/// else "timeout" (no answer: the caller's timeout, a hang, a reset).
std::string call_error_type(const DependencyCall& call);

/// The trace of request `request_id` in the run with seed `seed`. Golden probes number their
/// requests apart from user traffic (both start at 1), so `probe` keeps their traces apart.
TraceId request_trace_id(std::uint64_t seed, std::uint64_t request_id, bool probe = false);
/// The trace of playbook run `run` in the run with seed `seed`.
TraceId playbook_trace_id(std::uint64_t seed, std::uint64_t run);
/// The id of span number `index` of `trace` (the root is 0); never 0.
std::uint64_t trace_span_id(const TraceId& trace, std::uint32_t index);

/// Whether request `request_id` falls in a sample of `ratio` (a pure function of the id: the
/// same requests are kept whatever the seed; ratio >= 1 keeps every request).
bool trace_sampled(std::uint64_t request_id, double ratio);

/// Whether a request was harmed (not answered ok, or answered unsafely): always traced.
bool trace_harmed(const RequestEvent& r);

/// Parses a --trace-sample value: a number in (0, 1]. nullopt with `error` set otherwise.
std::optional<double> parse_trace_sample(const std::string& text, std::string* error);

/// How traces are written.
struct TraceOptions {
  double sample = 1;  ///< share of requests traced, (0, 1]; harmed requests always are
  /// Vendor id -> the model a request that names none gets (the vendor's first model): the
  /// assistant's model calls' gen_ai.request.model. A vendor not listed shows the response's.
  std::map<std::string, std::string> vendor_models;
  std::size_t traces_per_line = 32;  ///< traces batched into one resourceSpans line
  /// The Unix time virtual time 0 maps to, in nanoseconds: kTraceEpochUnixNano for simulated
  /// runs (a deterministic file); a drill passes its start on the wall clock, so its spans line
  /// up with a service's own.
  std::uint64_t epoch_unix_nano = kTraceEpochUnixNano;
  /// Real nanoseconds per virtual microsecond: 1000, or 1000 / speed for a drill.
  double nanos_per_us = 1000;
  /// The seed trace ids hash; nullopt: the run's (from its run_start event). A drill salts it,
  /// so that two drills of one seed never share trace ids.
  std::optional<std::uint64_t> trace_seed;
  /// A drill of a team's own service (`--sut`): the root span is the workload's CLIENT call to
  /// it (service.name gameday-workload; the service's own SERVER span, when it exports one, is
  /// its child) rather than the built-in assistant's SERVER span.
  bool workload_root = false;
};

/// Appends the spans of one journaled request (an OTLP span object each, comma-separated, no
/// surrounding brackets): its root span `answer {task_type}` first, then its children in the
/// order they began. A comma comes first unless `out` is empty or ends with '[', so traces can be
/// appended one after another into one list. Returns the number of spans appended.
std::size_t append_request_spans(std::string& out, const RequestEvent& r, std::uint64_t seed,
                                 const TraceOptions& options);

/// Writes a run's traces as its journal is appended: subscribe observe() to the Journal, then
/// call finish() once the run ends. Requests become one trace each (when sampled), playbook runs
/// one trace each with their steps as children (written when the run ends).
class TraceWriter {
 public:
  /// Receives each export request (one line's JSON, without the newline) and its span count.
  using LineSink = std::function<void(std::string line, std::size_t spans)>;
  /// Writes to `out`, which must outlive the writer.
  TraceWriter(std::ostream& out, TraceOptions options);
  /// Hands each line to `sink` instead (a live exporter's batches).
  TraceWriter(LineSink sink, TraceOptions options);
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;
  /// Reads one journal event, in journal order (RunStartEvent first: it names the resource).
  void observe(const Event& e);
  /// Writes the playbook runs still open (outcome "unfinished") and the last batch, and
  /// flushes. Call once, after the run.
  void finish();
  /// Writes the traces batched so far now (a live exporter's batches go out at least this often).
  void flush() { write_line(); }
  /// Spans written so far (including buffered ones).
  std::size_t spans() const { return spans_; }
  /// Traces written so far (including buffered ones).
  std::size_t traces() const { return traces_; }

 private:
  // One playbook run being traced: its spans so far, written when it ends.
  struct OpenRun {
    std::string playbook;
    std::string trigger;
    SimTime start = 0;
    std::string steps;  // the step spans, comma-separated
    std::uint32_t next_index = 1;
    std::map<std::pair<int, bool>, SimTime> step_starts;  // (index, rollback) -> start
  };
  void on_run_start(const RunStartEvent& s);
  void on_step_end(SimTime t, const StepEndEvent& s);
  void end_run(SimTime t, std::uint64_t run, const std::string& outcome, const std::string& reason);
  // Adds one trace's spans to the batch (a line once traces_per_line are in).
  void add_trace(const std::string& spans, std::size_t count);
  // Counts one trace of `count` spans already in the batch (a line once traces_per_line are in).
  void count_trace(std::size_t count);
  void write_line();

  std::ostream* out_ = nullptr;  // or sink_
  LineSink sink_;
  TraceOptions options_;
  std::uint64_t seed_ = 0;
  std::string line_prefix_;  // {"resourceSpans":[{"resource":...,"scopeSpans":[{"scope":...,"spans":[
  std::string batch_;        // span objects of the current line
  std::size_t batch_traces_ = 0;
  std::size_t batch_spans_ = 0;
  std::string scratch_;
  std::map<std::uint64_t, OpenRun> runs_;
  SimTime last_t_ = 0;
  std::size_t spans_ = 0;
  std::size_t traces_ = 0;
  bool finished_ = false;
};

}  // namespace gameday
