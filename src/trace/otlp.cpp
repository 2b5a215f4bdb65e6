#include "trace/otlp.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ostream>
#include <span>
#include <utility>

#include "sim/json_text.hpp"
#include "sim/rng.hpp"

namespace gameday {
namespace {

// OTLP SpanKind and StatusCode values (opentelemetry/proto/trace/v1/trace.proto).
constexpr int kKindInternal = 1;
constexpr int kKindServer = 2;
constexpr int kKindClient = 3;
constexpr int kStatusError = 2;

// The service the spans describe, and the instrumentation scope that wrote them.
constexpr std::string_view kServiceName = "gameday-assistant";
constexpr std::string_view kWorkloadServiceName = "gameday-workload";
constexpr std::string_view kScopeName = "gameday";
constexpr std::string_view kScopeVersion = "0.1.0";
// The assistant's model client speaks OpenAI chat completions (the fake vendors' wire format).
constexpr std::string_view kGenAiProvider = "openai";

// Salts that keep request and playbook traces apart.
const std::uint64_t kRequestSalt = fnv1a64("trace:request");
const std::uint64_t kPlaybookSalt = fnv1a64("trace:playbook");
const std::uint64_t kProbeSalt = fnv1a64("trace:probe");
const std::uint64_t kSampleSalt = fnv1a64("trace:sample");

TraceId make_trace_id(std::uint64_t seed, std::uint64_t salt, std::uint64_t n) {
  const std::uint64_t base = mix64(mix64(seed ^ salt) + n);
  TraceId id{mix64(base), mix64(base + 0x9e3779b97f4a7c15ULL)};
  if (id.hi == 0 && id.lo == 0) id.lo = 1;  // all-zero is an invalid trace id
  return id;
}

void append_hex(std::string& out, std::uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  char buf[16];
  for (int i = 15; i >= 0; --i) {
    buf[i] = kDigits[v & 0xf];
    v >>= 4;
  }
  out.append(buf, 16);
}

void append_uint(std::string& out, std::uint64_t v) {
  char buf[24];  // "18446744073709551615"
  out.append(buf, static_cast<std::size_t>(std::to_chars(buf, buf + sizeof buf, v).ptr - buf));
}

void append_int(std::string& out, std::int64_t v) {
  char buf[24];  // "-9223372036854775808"
  out.append(buf, static_cast<std::size_t>(std::to_chars(buf, buf + sizeof buf, v).ptr - buf));
}

// How the spans being built map virtual time to Unix time: set by the entry points
// (append_request_spans, TraceWriter) for as long as they build spans.
thread_local const TraceOptions* time_map = nullptr;

// Sets time_map for one scope.
class TimeMapScope {
 public:
  explicit TimeMapScope(const TraceOptions& o) : saved_(time_map) { time_map = &o; }
  ~TimeMapScope() { time_map = saved_; }
  TimeMapScope(const TimeMapScope&) = delete;
  TimeMapScope& operator=(const TimeMapScope&) = delete;

 private:
  const TraceOptions* saved_;
};

// A timestamp as OTLP/JSON writes fixed64: a decimal string of Unix nanoseconds.
void append_time(std::string& out, SimTime t) {
  const std::uint64_t us = static_cast<std::uint64_t>(t < 0 ? 0 : t);
  const std::uint64_t epoch = time_map != nullptr ? time_map->epoch_unix_nano : kTraceEpochUnixNano;
  const double scale = time_map != nullptr ? time_map->nanos_per_us : 1000;
  // Whole nanoseconds per microsecond (simulated runs, drills at speed 1) stay integer maths.
  const std::uint64_t nanos =
      epoch + (scale == 1000 ? us * 1000ULL : static_cast<std::uint64_t>(static_cast<double>(us) * scale));
  out += '"';
  append_uint(out, nanos);
  out += '"';
}

// Attributes: each appends one KeyValue to the list whose '[' is already written. Keys are this
// file's own constants, plain ASCII that JSON needs no escape for, so they are copied as they are.
void attr_key(std::string& out, std::string_view key) {
  if (out.back() != '[') out += ',';
  out.append("{\"key\":\"", 8);
  out.append(key);
  out.append("\",\"value\":{", 11);
}

// A string value, written in two parts (value + tail) where it has two, so that no temporary
// joins them.
void attr(std::string& out, std::string_view key, std::string_view value, std::string_view tail = {}) {
  attr_key(out, key);
  out += "\"stringValue\":\"";
  append_json_chars(out, value);
  append_json_chars(out, tail);
  out += "\"}}";
}

// int64 values are decimal strings in OTLP/JSON.
void attr_int(std::string& out, std::string_view key, std::int64_t value) {
  attr_key(out, key);
  out.append("\"intValue\":\"", 12);
  append_int(out, value);
  out.append("\"}}", 3);
}

void attr_bool(std::string& out, std::string_view key, bool value) {
  attr_key(out, key);
  out += value ? "\"boolValue\":true}}" : "\"boolValue\":false}}";
}

// An array of strings (a span, so one string is passed without building a vector).
void attr_strings(std::string& out, std::string_view key, std::span<const std::string> values) {
  attr_key(out, key);
  out += "\"arrayValue\":{\"values\":[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += "{\"stringValue\":";
    append_json_string(out, values[i]);
    out += '}';
  }
  out += "]}}}";
}

// A span's fixed fields; attributes follow (the list is left open).
struct SpanHead {
  const TraceId& trace;
  std::uint32_t index;   // span number in its trace (0 = root)
  std::uint32_t parent;  // parent's number; ignored for the root
  std::string_view name;       // the name is `name` followed by `name_tail`
  std::string_view name_tail;
  int kind;
  SimTime start;
  SimTime end;
};

void open_span(std::string& out, const SpanHead& h) {
  if (!out.empty() && out.back() != '[') out += ',';
  out += "{\"traceId\":\"";
  append_hex(out, h.trace.hi);
  append_hex(out, h.trace.lo);
  out += "\",\"spanId\":\"";
  append_hex(out, trace_span_id(h.trace, h.index));
  out += '"';
  if (h.index != 0) {
    out += ",\"parentSpanId\":\"";
    append_hex(out, trace_span_id(h.trace, h.parent));
    out += '"';
  }
  out += ",\"name\":\"";
  append_json_chars(out, h.name);
  append_json_chars(out, h.name_tail);
  out += "\",\"kind\":";
  out += static_cast<char>('0' + h.kind);  // 1..3
  out += ",\"startTimeUnixNano\":";
  append_time(out, h.start);
  out += ",\"endTimeUnixNano\":";
  append_time(out, h.end > h.start ? h.end : h.start);
  out += ",\"attributes\":[";
}

// Closes the attribute list; adds one "gameday.fault" event per fault id at `t`.
void fault_events(std::string& out, SimTime t, const std::vector<std::string>& fault_ids) {
  out += ']';
  if (fault_ids.empty()) return;
  out += ",\"events\":[";
  for (std::size_t i = 0; i < fault_ids.size(); ++i) {
    if (i > 0) out += ',';
    out += "{\"timeUnixNano\":";
    append_time(out, t);
    out += ",\"name\":\"gameday.fault\",\"attributes\":[";
    attr(out, "gameday.fault.id", fault_ids[i]);
    out += "]}";
  }
  out += ']';
}

// Ends the span: an error status with `message`, or none (UNSET).
void close_span(std::string& out, bool error, std::string_view message) {
  if (error) {
    static_assert(kStatusError >= 0 && kStatusError <= 9);
    out += ",\"status\":{\"code\":";
    out += static_cast<char>('0' + kStatusError);
    if (!message.empty()) {
      out += ",\"message\":";
      append_json_string(out, message);
    }
    out += '}';
  }
  out += '}';
}

// server.address of the EHR; a vendor's is its id followed by kVendorAddressTail.
constexpr std::string_view kEhrAddress = "ehr.gameday.invalid";
constexpr std::string_view kVendorAddressTail = ".vendor.gameday.invalid";

// A call still outstanding when the caller gave up: no outcome, an error status saying so.
void close_call(std::string& out, const DependencyCall& c, bool unfinished) {
  if (unfinished) {
    attr_bool(out, "gameday.call.unfinished", true);
    fault_events(out, c.started, c.fault_ids);
    close_span(out, true, "unfinished: the caller gave up");
    return;
  }
  if (c.failed()) attr(out, "error.type", call_error_type(c));
  fault_events(out, c.started, c.fault_ids);
  close_span(out, c.failed(), c.failed() ? call_error_type(c) : std::string());
}

void ehr_span(std::string& out, const DependencyCall& c, const TraceId& trace, std::uint32_t index,
              bool unfinished) {
  const std::string_view resource = c.resource.empty() ? std::string_view("FHIR") : std::string_view(c.resource);
  open_span(out, {trace, index, 0, "GET /", resource, kKindClient, c.started, c.started + c.latency});
  attr(out, "http.request.method", "GET");
  attr(out, "server.address", kEhrAddress);
  attr(out, "fhir.resource_type", resource);
  if (c.status != 0) attr_int(out, "http.response.status_code", c.status);
  close_call(out, c, unfinished);
}

void model_span(std::string& out, const DependencyCall& c, const TraceId& trace, std::uint32_t index,
                const TraceOptions& options, bool unfinished) {
  const bool chat = c.dependency == Dependency::kVendor;
  const std::string_view operation = chat ? "chat" : "embeddings";
  std::string_view request_model;
  if (chat) {
    auto it = options.vendor_models.find(c.vendor);
    request_model = it != options.vendor_models.end() ? std::string_view(it->second) : std::string_view(c.resource);
  }
  // "chat MODEL", or the operation alone (embeddings, and a chat call that names no model).
  const std::string_view name = request_model.empty() ? operation : std::string_view("chat ");
  open_span(out, {trace, index, 0, name, request_model, kKindClient, c.started, c.started + c.latency});
  attr(out, "gen_ai.operation.name", operation);
  attr(out, "gen_ai.provider.name", kGenAiProvider);
  if (!request_model.empty()) attr(out, "gen_ai.request.model", request_model);
  if (!c.resource.empty()) attr(out, "gen_ai.response.model", c.resource);
  if (!c.response_id.empty()) attr(out, "gen_ai.response.id", c.response_id);
  if (!c.finish_reason.empty()) attr_strings(out, "gen_ai.response.finish_reasons", {&c.finish_reason, 1});
  if (chat && c.status == 200) {
    attr_int(out, "gen_ai.usage.input_tokens", c.input_tokens);
    attr_int(out, "gen_ai.usage.output_tokens", c.output_tokens);
  }
  attr(out, "server.address", c.vendor, kVendorAddressTail);
  if (c.status != 0) attr_int(out, "http.response.status_code", c.status);
  attr(out, "gameday.vendor", c.vendor);
  close_call(out, c, unfinished);
}

// The root span: the request as the assistant's server saw it (or, for a service of the team's
// own, as the workload that asked it saw it).
void root_span(std::string& out, const RequestEvent& r, const TraceId& trace, const TraceOptions& options) {
  const int kind = options.workload_root ? kKindClient : kKindServer;
  open_span(out, {trace, 0, 0, "answer ", r.task_type, kind, r.arrival, r.arrival + r.latency});
  attr_int(out, "gameday.request.id", static_cast<std::int64_t>(r.id));
  attr(out, "gameday.task_type", r.task_type);
  if (r.probe) attr_bool(out, "gameday.probe", true);
  attr(out, "gameday.patient_ref", r.patient_ref);
  attr(out, "gameday.request.status", to_string(r.status));
  if (!r.cause.empty()) attr(out, "gameday.request.cause", r.cause);
  attr(out, "gameday.prompt.version", r.prompt_version);
  if (!r.vendor.empty()) attr(out, "gameday.vendor", r.vendor);
  if (!r.model.empty()) attr(out, "gen_ai.response.model", r.model);
  attr_int(out, "gameday.attempts", r.attempts);
  attr_int(out, "gameday.ehr_calls", r.ehr_calls);
  if (!r.faults.empty()) attr_strings(out, "gameday.faults", r.faults);
  out += ']';
  close_span(out, r.status != RequestStatus::kOk, r.cause);
}

// Whether the validators read a model answer (some chat call answered 200).
bool validated(const RequestEvent& r, SimTime* at) {
  for (auto it = r.calls.rbegin(); it != r.calls.rend(); ++it) {
    if (it->dependency == Dependency::kVendor && it->status == 200) {
      *at = it->started + it->latency;
      return true;
    }
  }
  return false;
}

}  // namespace

std::string call_error_type(const DependencyCall& c) {
  if (!c.error_type.empty()) return c.error_type;
  return c.status == 0 ? "timeout" : std::to_string(c.status);
}

TraceId request_trace_id(std::uint64_t seed, std::uint64_t request_id, bool probe) {
  return make_trace_id(seed, probe ? kProbeSalt : kRequestSalt, request_id);
}

TraceId playbook_trace_id(std::uint64_t seed, std::uint64_t run) { return make_trace_id(seed, kPlaybookSalt, run); }

std::uint64_t trace_span_id(const TraceId& trace, std::uint32_t index) {
  const std::uint64_t id = mix64(trace.lo ^ mix64(trace.hi + index));
  return id == 0 ? 1 : id;
}

bool trace_sampled(std::uint64_t request_id, double ratio) {
  if (ratio >= 1) return true;
  // The top 53 bits of the hash as a fraction in [0, 1).
  const double u = static_cast<double>(mix64(request_id ^ kSampleSalt) >> 11) * 0x1.0p-53;
  return u < ratio;
}

bool trace_harmed(const RequestEvent& r) { return r.status != RequestStatus::kOk || r.unsafe; }

std::optional<double> parse_trace_sample(const std::string& text, std::string* error) {
  const char* begin = text.c_str();
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(begin, &end);
  if (text.empty() || end != begin + text.size() || errno != 0 || !std::isfinite(v)) {
    if (error) *error = "--trace-sample: '" + text + "' is not a number (want a ratio in (0, 1], e.g. 0.1)";
    return std::nullopt;
  }
  if (!(v > 0 && v <= 1)) {
    if (error) *error = "--trace-sample: " + text + " is outside (0, 1] (1 traces every request)";
    return std::nullopt;
  }
  return v;
}

std::size_t append_request_spans(std::string& out, const RequestEvent& r, std::uint64_t seed,
                                 const TraceOptions& options) {
  const TimeMapScope times(options);
  const TraceId trace = request_trace_id(seed, r.id, r.probe);
  root_span(out, r, trace, options);
  std::uint32_t index = 1;
  bool prompt_done = false;
  auto call_span = [&](const DependencyCall& c, bool unfinished) {
    if (c.dependency == Dependency::kEhr) {
      ehr_span(out, c, trace, index++, unfinished);
      return;
    }
    // Prompt assembly takes no virtual time: it sits where the first model call begins. A
    // service of the team's own assembles, validates and falls back in its own spans.
    if (c.dependency == Dependency::kVendor && !prompt_done && !options.workload_root) {
      prompt_done = true;
      open_span(out, {trace, index++, 0, "assemble prompt", {}, kKindInternal, c.started, c.started});
      attr(out, "gameday.prompt.version", r.prompt_version);
      attr_bool(out, "gameday.prompt.redaction", r.redaction);
      out += ']';
      close_span(out, false, {});
    }
    model_span(out, c, trace, index++, options, unfinished);
  };
  for (const DependencyCall& c : r.calls) call_span(c, false);
  for (const DependencyCall& c : r.unfinished) call_span(c, true);
  if (options.workload_root) return index;
  SimTime at = 0;
  if (validated(r, &at)) {
    const bool rejected = r.cause == "citation_invalid" || r.cause == "invalid_schema";
    open_span(out, {trace, index++, 0, "validate answer", {}, kKindInternal, at, at});
    attr_int(out, "gameday.validation.citations", r.citations);
    attr_bool(out, "gameday.validation.citations_valid", r.citations_valid);
    attr_bool(out, "gameday.validation.schema_valid", r.schema_valid);
    attr_bool(out, "gameday.validation.refused", r.refused);
    attr_bool(out, "gameday.output.canary_seen", r.canary_seen);
    attr_bool(out, "gameday.output.phi_detected", r.phi_detected);
    out += ']';
    close_span(out, rejected, rejected ? r.cause : std::string());
  }
  if (r.status == RequestStatus::kFallback) {
    const SimTime end = r.arrival + r.latency;
    open_span(out, {trace, index++, 0, "fallback", {}, kKindInternal, end, end});
    attr(out, "gameday.fallback.cause", r.cause);
    out += ']';
    close_span(out, false, {});
  }
  return index;
}

// ---- TraceWriter

TraceWriter::TraceWriter(std::ostream& out, TraceOptions options) : out_(&out), options_(std::move(options)) {
  if (options_.traces_per_line == 0) options_.traces_per_line = 1;
}

TraceWriter::TraceWriter(LineSink sink, TraceOptions options) : sink_(std::move(sink)), options_(std::move(options)) {
  if (options_.traces_per_line == 0) options_.traces_per_line = 1;
}

void TraceWriter::on_run_start(const RunStartEvent& s) {
  seed_ = options_.trace_seed.value_or(s.seed);
  std::string& p = line_prefix_;
  p = "{\"resourceSpans\":[{\"resource\":{\"attributes\":[";
  attr(p, "service.name", options_.workload_root ? kWorkloadServiceName : kServiceName);
  attr(p, "deployment.environment", "gameday");
  attr(p, "deployment.environment.name", "gameday");
  attr(p, "gameday.scenario", s.scenario);
  // OTLP ints are int64: a seed above that range is written as text.
  if (s.seed <= static_cast<std::uint64_t>(INT64_MAX)) {
    attr_int(p, "gameday.seed", static_cast<std::int64_t>(s.seed));
  } else {
    attr(p, "gameday.seed", std::to_string(s.seed));
  }
  attr(p, "gameday.mode", s.mode);
  p += "]},\"scopeSpans\":[{\"scope\":{\"name\":";
  append_json_string(p, kScopeName);
  p += ",\"version\":";
  append_json_string(p, kScopeVersion);
  p += "},\"spans\":[";
}

void TraceWriter::observe(const Event& e) {
  const TimeMapScope times(options_);
  last_t_ = e.t;
  if (const auto* r = std::get_if<RequestEvent>(&e.body)) {
    if (!trace_sampled(r->id, options_.sample) && !trace_harmed(*r)) return;
    // Straight into the batch: append_request_spans puts the comma after the trace before.
    const std::size_t n = append_request_spans(batch_, *r, seed_, options_);
    count_trace(n);
  } else if (const auto* s = std::get_if<RunStartEvent>(&e.body)) {
    on_run_start(*s);
  } else if (const auto* p = std::get_if<PlaybookStartEvent>(&e.body)) {
    OpenRun& run = runs_[p->run];
    run.playbook = p->playbook;
    run.trigger = p->trigger;
    run.start = e.t;
  } else if (const auto* ss = std::get_if<StepStartEvent>(&e.body)) {
    auto it = runs_.find(ss->run);
    if (it != runs_.end()) it->second.step_starts[{ss->index, ss->rollback}] = e.t;
  } else if (const auto* se = std::get_if<StepEndEvent>(&e.body)) {
    on_step_end(e.t, *se);
  } else if (const auto* pe = std::get_if<PlaybookEndEvent>(&e.body)) {
    end_run(e.t, pe->run, pe->outcome, pe->reason);
  }
}

void TraceWriter::on_step_end(SimTime t, const StepEndEvent& s) {
  auto it = runs_.find(s.run);
  if (it == runs_.end()) return;
  OpenRun& run = it->second;
  const auto started = run.step_starts.find({s.index, s.rollback});
  const SimTime start = started != run.step_starts.end() ? started->second : t;
  const TraceId trace = playbook_trace_id(seed_, s.run);
  open_span(run.steps, {trace, run.next_index++, 0, s.rollback ? "rollback " : "step ", s.name, kKindInternal, start, t});
  attr_int(run.steps, "gameday.step.index", s.index);
  attr(run.steps, "gameday.step.name", s.name);
  attr(run.steps, "gameday.step.kind", s.kind);
  attr(run.steps, "gameday.step.outcome", s.outcome);
  if (!s.reason.empty()) attr(run.steps, "gameday.step.reason", s.reason);
  attr_bool(run.steps, "gameday.step.rollback", s.rollback);
  run.steps += ']';
  const bool bad = s.outcome == "failed" || s.outcome == "timeout";
  close_span(run.steps, bad, bad ? s.reason : std::string());
}

void TraceWriter::end_run(SimTime t, std::uint64_t number, const std::string& outcome, const std::string& reason) {
  auto it = runs_.find(number);
  if (it == runs_.end()) return;
  OpenRun& run = it->second;
  const TraceId trace = playbook_trace_id(seed_, number);
  scratch_.clear();
  open_span(scratch_, {trace, 0, 0, "playbook ", run.playbook, kKindInternal, run.start, t});
  attr(scratch_, "gameday.playbook.name", run.playbook);
  attr_int(scratch_, "gameday.playbook.run", static_cast<std::int64_t>(number));
  attr(scratch_, "gameday.playbook.trigger", run.trigger);
  attr(scratch_, "gameday.playbook.outcome", outcome);
  if (!reason.empty()) attr(scratch_, "gameday.playbook.reason", reason);
  scratch_ += ']';
  close_span(scratch_, outcome != "completed", outcome != "completed" ? reason : std::string());
  if (!run.steps.empty()) {
    scratch_ += ',';
    scratch_ += run.steps;
  }
  add_trace(scratch_, run.next_index);
  runs_.erase(it);
}

void TraceWriter::add_trace(const std::string& spans, std::size_t count) {
  if (!batch_.empty()) batch_ += ',';
  batch_ += spans;
  count_trace(count);
}

void TraceWriter::count_trace(std::size_t count) {
  spans_ += count;
  batch_spans_ += count;
  ++traces_;
  if (++batch_traces_ >= options_.traces_per_line) write_line();
}

void TraceWriter::write_line() {
  if (batch_traces_ == 0) return;
  if (out_ != nullptr) {
    *out_ << line_prefix_ << batch_ << "]}]}]}\n";
  } else {
    sink_(line_prefix_ + batch_ + "]}]}]}", batch_spans_);
  }
  batch_.clear();
  batch_traces_ = 0;
  batch_spans_ = 0;
}

void TraceWriter::finish() {
  if (finished_) return;
  finished_ = true;
  const TimeMapScope times(options_);
  while (!runs_.empty()) end_run(last_t_, runs_.begin()->first, "unfinished", "the run ended first");
  write_line();
  if (out_ != nullptr) out_->flush();
}

}  // namespace gameday
