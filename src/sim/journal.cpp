#include "sim/journal.hpp"

#include <array>
#include <atomic>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <exception>
#include <istream>
#include <limits>
#include <mutex>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>

#include <nlohmann/json.hpp>

#include "sim/json_text.hpp"

namespace gameday {

namespace {

// ---------------------------------------------------------------------------------------------
// Schema: one list of (name, member) per event struct, shared by the writer and the reader so the
// two directions cannot drift apart. Names are the C++ field names; time fields carry "_us".
// ---------------------------------------------------------------------------------------------

template <class T, class M>
struct Field {
  std::string_view name;
  M T::*member;
  bool optional = false;  // a line without it keeps the member's default (added later)
  bool sparse = false;    // written only when it differs from the member's default (lines
                          // without it read the default)
  // An integer's usual value, when it is not the member's default: a sparse field is then left
  // out when it has this value, and a line without it reads this value.
  std::optional<long long> usual;
};

template <class T, class M>
constexpr Field<T, M> field(std::string_view name, M T::*member) {
  return {name, member, false};
}

// A field added after journals were first written: always written, read when present.
template <class T, class M>
constexpr Field<T, M> optional_field(std::string_view name, M T::*member) {
  return {name, member, true};
}

// An integer field left out when it has its usual value (which is not the member's default),
// e.g. one model call per request. Never a record's first field.
template <class T>
constexpr Field<T, int> usual_field(std::string_view name, int T::*member, int usual) {
  return {name, member, true, true, usual};
}

// A field usually at its default (a flag that is false, a string or list that is empty, a
// validity that holds): written only when it is not, so a request's line carries what happened
// to it rather than every field. Never a record's first field.
template <class T, class M>
constexpr Field<T, M> sparse_field(std::string_view name, M T::*member) {
  return {name, member, true, true};
}

template <class T>
struct Schema;

template <>
struct Schema<SloRecord> {
  static constexpr auto kFields =
      std::tuple{field("name", &SloRecord::name), field("sli", &SloRecord::sli),
                 field("objective", &SloRecord::objective),
                 field("threshold_us", &SloRecord::threshold)};
};

template <>
struct Schema<AlertRuleRecord> {
  static constexpr auto kFields =
      std::tuple{field("name", &AlertRuleRecord::name), field("sli", &AlertRuleRecord::sli),
                 field("slo_kind", &AlertRuleRecord::slo_kind),
                 field("window_us", &AlertRuleRecord::window), field("above", &AlertRuleRecord::above),
                 field("threshold_us", &AlertRuleRecord::threshold)};
};

// Records nested in an event (lists of objects with their own schema).
template <class T>
concept Record = requires { Schema<T>::kFields; } && !requires { Schema<T>::kType; };

template <>
struct Schema<RunStartEvent> {
  static constexpr const char* kType = "run_start";
  static constexpr auto kFields = std::tuple{
      field("scenario", &RunStartEvent::scenario),
      field("description", &RunStartEvent::description),
      field("seed", &RunStartEvent::seed),
      field("duration_us", &RunStartEvent::duration),
      field("mode", &RunStartEvent::mode),
      field("playbooks_enabled", &RunStartEvent::playbooks_enabled),
      field("sustain_us", &RunStartEvent::sustain),
      field("slos", &RunStartEvent::slos),
      field("expect", &RunStartEvent::expect),
      optional_field("alerts", &RunStartEvent::alerts),
      optional_field("evaluation_interval_us", &RunStartEvent::evaluation_interval),
      optional_field("initial_state", &RunStartEvent::initial_state)};
};

template <>
struct Schema<FaultStartEvent> {
  static constexpr const char* kType = "fault_start";
  static constexpr auto kFields =
      std::tuple{field("id", &FaultStartEvent::id), field("target", &FaultStartEvent::target),
                 field("kind", &FaultStartEvent::kind), field("detail", &FaultStartEvent::detail),
                 optional_field("incident", &FaultStartEvent::incident)};
};

template <>
struct Schema<FaultEndEvent> {
  static constexpr const char* kType = "fault_end";
  static constexpr auto kFields =
      std::tuple{field("id", &FaultEndEvent::id), field("target", &FaultEndEvent::target),
                 field("kind", &FaultEndEvent::kind)};
};

template <>
struct Schema<RequestEvent> {
  static constexpr const char* kType = "request";
  // Most requests are fine: what a fine request has (no fault, no cause, valid, safe, one model
  // call, one EHR call, one citation) is left out. A line holds what happened to its request.
  static constexpr auto kFields = std::tuple{
      field("id", &RequestEvent::id),
      field("task_type", &RequestEvent::task_type),
      sparse_field("probe", &RequestEvent::probe),
      field("patient_ref", &RequestEvent::patient_ref),
      field("arrival_us", &RequestEvent::arrival),
      field("latency_us", &RequestEvent::latency),
      field("status", &RequestEvent::status),
      sparse_field("vendor", &RequestEvent::vendor),
      sparse_field("model", &RequestEvent::model),
      field("prompt_version", &RequestEvent::prompt_version),
      usual_field("attempts", &RequestEvent::attempts, 1),
      usual_field("ehr_calls", &RequestEvent::ehr_calls, 1),
      sparse_field("cause", &RequestEvent::cause),
      usual_field("citations", &RequestEvent::citations, 1),
      sparse_field("citations_valid", &RequestEvent::citations_valid),
      sparse_field("schema_valid", &RequestEvent::schema_valid),
      sparse_field("refused", &RequestEvent::refused),
      sparse_field("canary_seen", &RequestEvent::canary_seen),
      sparse_field("phi_detected", &RequestEvent::phi_detected),
      sparse_field("correct", &RequestEvent::correct),
      sparse_field("unsafe", &RequestEvent::unsafe),
      sparse_field("unsafe_kind", &RequestEvent::unsafe_kind),
      sparse_field("judge", &RequestEvent::judge),
      sparse_field("grounded", &RequestEvent::grounded),
      sparse_field("injection_attempted", &RequestEvent::injection_attempted),
      sparse_field("injection_followed", &RequestEvent::injection_followed),
      sparse_field("phi_to_vendor", &RequestEvent::phi_to_vendor),
      sparse_field("phi_in_logs", &RequestEvent::phi_in_logs),
      sparse_field("root_cause", &RequestEvent::root_cause),
      sparse_field("faults", &RequestEvent::faults)};
};

template <>
struct Schema<AlertFireEvent> {
  static constexpr const char* kType = "alert_fire";
  static constexpr auto kFields =
      std::tuple{field("name", &AlertFireEvent::name), field("severity", &AlertFireEvent::severity),
                 field("value", &AlertFireEvent::value), field("summary", &AlertFireEvent::summary),
                 optional_field("source", &AlertFireEvent::source),
                 sparse_field("grouped", &AlertFireEvent::grouped)};
};

template <>
struct Schema<AlertResolveEvent> {
  static constexpr const char* kType = "alert_resolve";
  static constexpr auto kFields = std::tuple{field("name", &AlertResolveEvent::name)};
};

template <>
struct Schema<AckEvent> {
  static constexpr const char* kType = "ack";
  static constexpr auto kFields =
      std::tuple{field("who", &AckEvent::who), field("alert", &AckEvent::alert)};
};

template <>
struct Schema<PlaybookStartEvent> {
  static constexpr const char* kType = "playbook_start";
  static constexpr auto kFields = std::tuple{field("playbook", &PlaybookStartEvent::playbook),
                                             field("run", &PlaybookStartEvent::run),
                                             field("trigger", &PlaybookStartEvent::trigger)};
};

template <>
struct Schema<PlaybookEndEvent> {
  static constexpr const char* kType = "playbook_end";
  static constexpr auto kFields = std::tuple{
      field("playbook", &PlaybookEndEvent::playbook), field("run", &PlaybookEndEvent::run),
      field("outcome", &PlaybookEndEvent::outcome), field("reason", &PlaybookEndEvent::reason)};
};

template <>
struct Schema<StepStartEvent> {
  static constexpr const char* kType = "step_start";
  static constexpr auto kFields = std::tuple{
      field("playbook", &StepStartEvent::playbook), field("run", &StepStartEvent::run),
      field("index", &StepStartEvent::index),       field("name", &StepStartEvent::name),
      field("kind", &StepStartEvent::kind),         field("rollback", &StepStartEvent::rollback)};
};

template <>
struct Schema<StepEndEvent> {
  static constexpr const char* kType = "step_end";
  static constexpr auto kFields = std::tuple{
      field("playbook", &StepEndEvent::playbook), field("run", &StepEndEvent::run),
      field("index", &StepEndEvent::index),       field("name", &StepEndEvent::name),
      field("kind", &StepEndEvent::kind),         field("outcome", &StepEndEvent::outcome),
      field("reason", &StepEndEvent::reason),     field("rollback", &StepEndEvent::rollback)};
};

template <>
struct Schema<ControlChangeEvent> {
  static constexpr const char* kType = "control_change";
  static constexpr auto kFields = std::tuple{
      field("what", &ControlChangeEvent::what), field("key", &ControlChangeEvent::key),
      field("from", &ControlChangeEvent::from), field("to", &ControlChangeEvent::to),
      field("by", &ControlChangeEvent::by), sparse_field("noop", &ControlChangeEvent::noop)};
};

template <>
struct Schema<GoldenResultEvent> {
  static constexpr const char* kType = "golden_result";
  static constexpr auto kFields = std::tuple{
      field("set", &GoldenResultEvent::set),
      field("passed", &GoldenResultEvent::passed),
      field("total", &GoldenResultEvent::total),
      field("min_pass_rate", &GoldenResultEvent::min_pass_rate),
      field("ok", &GoldenResultEvent::ok),
      field("by", &GoldenResultEvent::by)};
};

template <>
struct Schema<RunEndEvent> {
  static constexpr const char* kType = "run_end";
  static constexpr auto kFields = std::tuple{field("reason", &RunEndEvent::reason)};
};

template <>
struct Schema<CorrectionEvent> {
  static constexpr const char* kType = "correction";
  static constexpr auto kFields = std::tuple{field("request_id", &CorrectionEvent::request_id),
                                             field("task_type", &CorrectionEvent::task_type),
                                             field("patient_ref", &CorrectionEvent::patient_ref)};
};

template <>
struct Schema<ActionEvent> {
  static constexpr const char* kType = "action";
  static constexpr auto kFields = std::tuple{field("by", &ActionEvent::by), field("action", &ActionEvent::action),
                                             field("target", &ActionEvent::target),
                                             field("detail", &ActionEvent::detail),
                                             field("outcome", &ActionEvent::outcome)};
};

template <>
struct Schema<ReferenceIncident> {
  static constexpr auto kFields = std::tuple{
      field("run", &ReferenceIncident::run), field("incident", &ReferenceIncident::incident),
      field("ttd_us", &ReferenceIncident::ttd), field("tta_us", &ReferenceIncident::tta),
      field("ttm_us", &ReferenceIncident::ttm), field("ttr_us", &ReferenceIncident::ttr),
      field("unsafe", &ReferenceIncident::unsafe), field("failed", &ReferenceIncident::failed)};
};

template <>
struct Schema<ReferenceEvent> {
  static constexpr const char* kType = "reference";
  static constexpr auto kFields = std::tuple{field("incidents", &ReferenceEvent::incidents)};
};

// ---------------------------------------------------------------------------------------------
// Writer (hot path): each put() appends one value to `out`. Journal::record appends to one
// buffer that keeps its capacity from line to line, so appending rarely allocates; strings go
// through the shared escaper (sim/json_text.hpp), which copies plain runs in one append.
// ---------------------------------------------------------------------------------------------

void put(std::string& out, std::string_view s) { append_json_string(out, s); }


template <class I>
  requires std::is_integral_v<I> && (!std::is_same_v<I, bool>)
void put(std::string& out, I v) {
  char buf[24];  // "-9223372036854775808", "18446744073709551615"
  out.append(buf, static_cast<std::size_t>(std::to_chars(buf, buf + sizeof buf, v).ptr - buf));
}

void put(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out.append("null");  // JSON has no NaN/Infinity
  } else if (v == 0 && std::signbit(v)) {
    out.append("-0.0");  // to_chars gives "-0", which JSON readers take as the integer 0
  } else {
    // Shortest form that round-trips: exact, and the same bytes on every platform.
    char buf[32];
    out.append(buf, static_cast<std::size_t>(std::to_chars(buf, buf + sizeof buf, v).ptr - buf));
  }
}

void put(std::string& out, RequestStatus s) {
  out.push_back('"');
  out.append(to_string(s));
  out.push_back('"');
}

void put(std::string& out, const std::vector<std::string>& v) {
  out.push_back('[');
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out.push_back(',');
    put(out, std::string_view(v[i]));
  }
  out.push_back(']');
}

template <Record R>
void put(std::string& out, const std::vector<R>& v);

// The constant bytes of an object around its values, built once per type so the hot path
// appends each in one piece: `start` opens the object (`,"type":"<type>"` after an event's
// "t_us", '{' for a nested record); before[i] goes before field i's value (`,"name":`, without
// the ',' for a record's first field, and a string's opening quote); a bool field's whole text
// is constant too (if_true[i], if_false[i]).
struct Glue {
  std::string start;
  std::vector<std::string> before, if_true, if_false;
};

template <class T>
Glue make_glue() {
  Glue g;
  if constexpr (requires { Schema<T>::kType; }) {
    g.start = std::string(",\"type\":\"") + Schema<T>::kType + "\"";
  } else {
    g.start = "{";
  }
  const auto add = [&](std::string_view name, bool quoted, bool boolean, bool sparse) {
    const bool first = g.before.empty() && g.start == "{";
    if (first && sparse) throw std::logic_error("a record's first field cannot be sparse");
    std::string before = (first ? "\"" : ",\"") + std::string(name) + "\":" + (quoted ? "\"" : "");
    g.if_true.push_back(boolean ? before + "true" : "");
    g.if_false.push_back(boolean ? before + "false" : "");
    g.before.push_back(std::move(before));
  };
  std::apply(
      [&](const auto&... f) {
        (add(f.name, std::is_same_v<std::decay_t<decltype(f.member)>, std::string T::*>,
             std::is_same_v<std::decay_t<decltype(f.member)>, bool T::*>, f.sparse),
         ...);
      },
      Schema<T>::kFields);
  return g;
}

template <class T>
const Glue& glue_of() {
  static const Glue g = make_glue<T>();
  return g;
}

// Appends field i's value with the constant bytes before it.
void put_value(std::string& out, const Glue& g, std::size_t i, const std::string& v) {
  out.append(g.before[i]);
  append_json_chars(out, v);
  out.push_back('"');
}
void put_value(std::string& out, const Glue& g, std::size_t i, bool v) {
  out.append(v ? g.if_true[i] : g.if_false[i]);
}
template <class V>
void put_value(std::string& out, const Glue& g, std::size_t i, const V& v) {
  out.append(g.before[i]);
  put(out, v);
}

// Appends field i unless it is sparse and at its default.
template <class F, class V>
void put_field(std::string& out, const Glue& g, std::size_t i, const F& f, const V& v, const V& fallback) {
  if constexpr (std::is_integral_v<V> && !std::is_same_v<V, bool>) {
    if (f.sparse && static_cast<long long>(v) == f.usual.value_or(static_cast<long long>(fallback))) return;
  } else if constexpr (std::is_same_v<V, bool> || std::is_same_v<V, std::string> ||
                       std::is_same_v<V, std::vector<std::string>>) {
    if (f.sparse && v == fallback) return;
  }
  put_value(out, g, i, v);
}

// Appends `obj` as an object's fields and its end (see Glue for how it starts).
template <class T>
void put_object(std::string& out, const T& obj) {
  const Glue& g = glue_of<T>();
  static const T defaults{};
  out.append(g.start);
  std::size_t i = 0;
  std::apply([&](const auto&... f) { (put_field(out, g, i++, f, obj.*(f.member), defaults.*(f.member)), ...); },
             Schema<T>::kFields);
  out.push_back('}');
}

template <Record R>
void put(std::string& out, const std::vector<R>& v) {
  out.push_back('[');
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out.push_back(',');
    put_object(out, v[i]);
  }
  out.push_back(']');
}

// ---------------------------------------------------------------------------------------------
// Reader (not hot): nlohmann DOM, strict types, errors that name the line and the field.
// ---------------------------------------------------------------------------------------------

using nlohmann::json;

struct LineContext {
  std::size_t line_no;

  [[noreturn]] void fail(const std::string& what) const {
    throw JournalError(line_no, what);
  }
};

struct FieldContext {
  const LineContext& line;
  std::string_view type;  // event type, for the message
  std::string path;       // "latency_us", "slos[1].threshold_us"

  [[noreturn]] void mistyped(const char* expected, const json& j) const {
    line.fail(std::string(type) + ": field \"" + path + "\" must be " + expected + ", got " +
              j.type_name());
  }
};

void read_value(const json& j, std::string& out, const FieldContext& ctx) {
  if (!j.is_string()) ctx.mistyped("a string", j);
  out = j.get_ref<const std::string&>();
}

void read_value(const json& j, bool& out, const FieldContext& ctx) {
  if (!j.is_boolean()) ctx.mistyped("a boolean", j);
  out = j.get<bool>();
}

template <class I>
  requires std::is_integral_v<I> && (!std::is_same_v<I, bool>)
void read_value(const json& j, I& out, const FieldContext& ctx) {
  if (!j.is_number_integer()) ctx.mistyped("an integer", j);
  if (j.is_number_unsigned()) {
    const auto v = j.get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(std::numeric_limits<I>::max())) {
      ctx.line.fail(std::string(ctx.type) + ": field \"" + ctx.path + "\" is out of range");
    }
    out = static_cast<I>(v);
  } else {
    const auto v = j.get<std::int64_t>();
    if (!std::in_range<I>(v)) {
      ctx.line.fail(std::string(ctx.type) + ": field \"" + ctx.path + "\" is out of range");
    }
    out = static_cast<I>(v);
  }
}

void read_value(const json& j, double& out, const FieldContext& ctx) {
  if (j.is_null()) {
    out = std::numeric_limits<double>::quiet_NaN();  // written for non-finite values
    return;
  }
  if (!j.is_number()) ctx.mistyped("a number", j);
  out = j.get<double>();
}

void read_value(const json& j, RequestStatus& out, const FieldContext& ctx) {
  if (!j.is_string()) ctx.mistyped("a string", j);
  const auto status = parse_request_status(j.get_ref<const std::string&>());
  if (!status) {
    ctx.line.fail(std::string(ctx.type) + ": field \"" + ctx.path + "\" has unknown status \"" +
                  j.get_ref<const std::string&>() + "\"");
  }
  out = *status;
}

void read_value(const json& j, std::vector<std::string>& out, const FieldContext& ctx) {
  if (!j.is_array()) ctx.mistyped("an array", j);
  out.clear();
  out.reserve(j.size());
  for (std::size_t i = 0; i < j.size(); ++i) {
    out.emplace_back();
    read_value(j[i], out.back(), FieldContext{ctx.line, ctx.type, ctx.path + "[" + std::to_string(i) + "]"});
  }
}

template <Record R>
void read_value(const json& j, std::vector<R>& out, const FieldContext& ctx);

template <class T>
void read_fields(const json& obj, T& out, const LineContext& line, std::string_view type,
                 const std::string& prefix) {
  std::apply(
      [&](const auto&... f) {
        (
            [&] {
              const FieldContext ctx{line, type, prefix + std::string(f.name)};
              const auto it = obj.find(std::string(f.name));
              if (it == obj.end()) {
                if constexpr (std::is_integral_v<std::decay_t<decltype(out.*(f.member))>>) {
                  if (f.usual) out.*(f.member) = static_cast<std::decay_t<decltype(out.*(f.member))>>(*f.usual);
                }
                if (f.optional) return;
                line.fail(std::string(type) + ": missing field \"" + ctx.path + "\"");
              }
              read_value(*it, out.*(f.member), ctx);
            }(),
            ...);
      },
      Schema<T>::kFields);
}

template <Record R>
void read_value(const json& j, std::vector<R>& out, const FieldContext& ctx) {
  if (!j.is_array()) ctx.mistyped("an array", j);
  out.clear();
  out.reserve(j.size());
  for (std::size_t i = 0; i < j.size(); ++i) {
    const FieldContext item{ctx.line, ctx.type, ctx.path + "[" + std::to_string(i) + "]"};
    if (!j[i].is_object()) item.mistyped("an object", j[i]);
    out.emplace_back();
    read_fields(j[i], out.back(), ctx.line, ctx.type, item.path + ".");
  }
}

// Finds the variant alternative whose type name is `type` and reads it.
template <std::size_t I = 0>
EventBody read_body(const json& obj, const std::string& type, const LineContext& line) {
  if constexpr (I == std::variant_size_v<EventBody>) {
    line.fail("unknown event type \"" + type + "\"");
  } else {
    using T = std::variant_alternative_t<I, EventBody>;
    if (type == Schema<T>::kType) {
      EventBody body{std::in_place_index<I>};
      read_fields(obj, std::get<I>(body), line, type, "");
      return body;
    }
    return read_body<I + 1>(obj, type, line);
  }
}

// Above this many buffered bytes, append() hands the buffer to the sink.
constexpr std::size_t kFlushThreshold = 64 * 1024;

}  // namespace

const char* to_string(RequestStatus s) {
  switch (s) {
    case RequestStatus::kOk:
      return "ok";
    case RequestStatus::kFallback:
      return "fallback";
    case RequestStatus::kError:
      return "error";
    case RequestStatus::kTimeout:
      return "timeout";
  }
  return "unknown";
}

std::optional<RequestStatus> parse_request_status(const std::string& s) {
  if (s == "ok") return RequestStatus::kOk;
  if (s == "fallback") return RequestStatus::kFallback;
  if (s == "error") return RequestStatus::kError;
  if (s == "timeout") return RequestStatus::kTimeout;
  return std::nullopt;
}

const char* event_type(const EventBody& body) {
  return std::visit([](const auto& b) { return Schema<std::decay_t<decltype(b)>>::kType; }, body);
}

void append_json(std::string& out, const Event& e) {
  out.append("{\"t_us\":");
  put(out, e.t);
  std::visit([&](const auto& body) { put_object(out, body); }, e.body);
}

Event parse_event_line(const std::string& line, std::size_t line_no) {
  const LineContext ctx{line_no};
  json j;
  try {
    j = json::parse(line);
  } catch (const json::parse_error& err) {
    ctx.fail(std::string("invalid JSON: ") + err.what());
  } catch (const json::out_of_range&) {
    // nlohmann's out_of_range 406: a number no JSON number type holds (e.g. 682e9841).
    ctx.fail("invalid JSON: a number out of range");
  }
  if (!j.is_object()) ctx.fail(std::string("expected a JSON object, got ") + j.type_name());

  Event e;
  const auto t = j.find("t_us");
  if (t == j.end()) ctx.fail("missing field \"t_us\"");
  read_value(*t, e.t, FieldContext{ctx, "event", "t_us"});

  const auto type = j.find("type");
  if (type == j.end()) ctx.fail("missing field \"type\"");
  if (!type->is_string()) ctx.fail(std::string("field \"type\" must be a string, got ") + type->type_name());
  e.body = read_body(j, type->get_ref<const std::string&>(), ctx);
  return e;
}

std::vector<Event> read_journal(std::istream& in) {
  std::vector<Event> events;
  std::string line;
  std::size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    events.push_back(parse_event_line(line, line_no));
  }
  return events;
}

JournalScan scan_journal(std::istream& in, const std::function<void(Event&, std::size_t line)>& fn) {
  JournalScan scan;
  std::string line;
  std::size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    // getline sets eof only when the line had no newline after it: the file's unfinished tail.
    const bool unterminated = in.eof();
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::optional<Event> event;
    try {
      event = parse_event_line(line, line_no);
    } catch (const JournalError& e) {
      if (!unterminated) throw;
      scan.dropped_line = line_no;
      scan.dropped_why = e.message();
      continue;
    }
    ++scan.events;
    fn(*event, line_no);
  }
  return scan;
}

JournalRead read_journal_tolerant(std::istream& in) {
  JournalRead r;
  const JournalScan scan = scan_journal(in, [&r](Event& e, std::size_t line) {
    r.events.push_back(std::move(e));
    r.lines.push_back(line);
  });
  r.dropped_line = scan.dropped_line;
  r.dropped_why = scan.dropped_why;
  return r;
}

// The background writer: batches of events in journal order, written and observed on its
// thread. The appending thread fills a batch and hands it over at its next append() once it
// holds kBatchEvents (so last() stays valid until then); at most kMaxQueued batches wait,
// which bounds the memory a slow writer can make the run hold.
struct Journal::Behind {
  static constexpr std::size_t kBatchEvents = 256;
  static constexpr std::size_t kMaxQueued = 4;
  // From this many batches waiting, the appender completes events itself (completes_behind()).
  static constexpr std::size_t kBehindAt = 2;

  // Events in journal order, and each one's completion (null when it has none).
  struct Batch {
    std::vector<Event> events;
    std::vector<std::unique_ptr<EventCompletion>> completions;
  };

  std::mutex mutex;
  std::condition_variable work;  // a batch is queued, or closing
  std::condition_variable done;  // a batch is finished
  std::deque<Batch> queue;
  std::vector<Batch> spare;  // finished batches' vectors, for their capacity
  bool busy = false;                      // the thread is working on a batch
  bool closing = false;
  // Batches waiting for the thread (queue.size(), kept where the appender can read it without
  // the lock): how far behind the writer is.
  std::atomic<std::size_t> backlog{0};
  std::exception_ptr error;  // the first exception of the sink or an observer
  std::thread thread;
};

Journal::Journal() = default;

Journal::~Journal() {
  try {
    stop_background();
    flush();
  } catch (...) {
    // A destructor must not throw; a sink that throws has already lost the run's tail.
  }
}

void Journal::append(SimTime t, EventBody body) {
  if (dispatching_) {
    // Called from a subscriber: recording now could reallocate events_ under the reference the
    // outer loop is handing out, and later subscribers would see this event before the current
    // one. Queue it; the outer call records and delivers it next.
    pending_.push_back(Event{t, std::move(body)});
    return;
  }
  if (behind_ && batch_.size() >= Behind::kBatchEvents) hand_off();
  record(t, std::move(body));
  const bool behind_here = !behind_ && !behind_subscribers_.empty();
  if (subscribers_.empty() && !behind_here) return;

  dispatching_ = true;
  std::size_t next = 0;  // index into pending_ of the next queued event
  try {
    for (;;) {
      const Event& e = last();
      for (const auto& fn : subscribers_) fn(e);
      if (behind_here) {
        for (const auto& fn : behind_subscribers_) fn(e);
      }
      if (next == pending_.size()) break;
      Event& queued = pending_[next++];
      record(queued.t, std::move(queued.body));
    }
  } catch (...) {
    // Keep the journal complete even when an observer fails: queued events are still recorded.
    for (; next < pending_.size(); ++next) record(pending_[next].t, std::move(pending_[next].body));
    pending_.clear();
    dispatching_ = false;
    throw;
  }
  pending_.clear();
  dispatching_ = false;
}

bool Journal::completes_behind() const {
  // Not while the writer is behind (its own work, such as a traces file, keeps it busier than
  // the appender): the appender then completes events itself, and the two threads share the
  // work whichever has more of it.
  return behind_ && !dispatching_ && subscribers_.empty() &&
         behind_->backlog.load(std::memory_order_relaxed) < Behind::kBehindAt;
}

void Journal::append(SimTime t, EventBody body, std::unique_ptr<EventCompletion> completion) {
  // Completed at once unless the background writer can do it unseen: every subscribe()
  // observer, and one appended from inside an observer, sees the completed event.
  if (completion != nullptr && !completes_behind()) {
    completion->complete(body);
    completion.reset();
  }
  if (completion == nullptr) {
    append(t, std::move(body));
    return;
  }
  // With a background writer and no subscribe() observers, append() only records.
  next_in_batch(t) = std::move(body);
  batch_completions_.back() = std::move(completion);
}

EventBody& Journal::next_in_batch(SimTime t) {
  if (batch_.size() >= Behind::kBatchEvents) hand_off();
  ++recorded_;
  return batch_push(t).body;
}

Event& Journal::batch_push(SimTime t) {
  Event& e = batch_.emplace_back();  // in place: no temporary Event to move
  e.t = t;
  batch_completions_.emplace_back();
  return e;
}

void Journal::record(SimTime t, EventBody&& body) {
  ++recorded_;
  if (keep_) {
    events_.push_back(Event{t, std::move(body)});
  } else if (behind_) {
    batch_push(t).body = std::move(body);
    return;  // the background writer writes its line
  } else {
    last_.t = t;
    last_.body = std::move(body);
  }
  if (sink_ != nullptr) write_line(last());
}

void Journal::write_line(const Event& e) {
  append_json(buffer_, e);
  buffer_.push_back('\n');
  if (buffer_.size() > kFlushThreshold) {
    sink_->write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    buffer_.clear();
  }
}

void Journal::start_background() {
  if (keep_ || behind_) return;
  behind_ = std::make_unique<Behind>();
  batch_.reserve(Behind::kBatchEvents);
  batch_completions_.reserve(Behind::kBatchEvents);
  Behind& b = *behind_;
  b.thread = std::thread([this, &b] {
    std::unique_lock<std::mutex> lock(b.mutex);
    for (;;) {
      b.work.wait(lock, [&] { return b.closing || !b.queue.empty(); });
      if (b.queue.empty()) return;
      Behind::Batch batch = std::move(b.queue.front());
      b.queue.pop_front();
      b.backlog.store(b.queue.size(), std::memory_order_relaxed);
      b.busy = true;
      const bool failed = b.error != nullptr;
      lock.unlock();
      std::exception_ptr error;
      if (!failed) {
        try {
          for (std::size_t i = 0; i < batch.events.size(); ++i) {
            Event& e = batch.events[i];
            if (EventCompletion* c = batch.completions[i].get()) c->complete(e.body);
            if (sink_ != nullptr) write_line(e);
            for (const auto& fn : behind_subscribers_) fn(e);
          }
        } catch (...) {
          error = std::current_exception();
        }
      }
      // The events and what their completions held are freed here, off the appending thread.
      batch.events.clear();
      batch.completions.clear();
      lock.lock();
      if (error && !b.error) b.error = error;
      b.spare.push_back(std::move(batch));
      b.busy = false;
      b.done.notify_all();
    }
  });
}

void Journal::hand_off() {
  Behind& b = *behind_;
  std::unique_lock<std::mutex> lock(b.mutex);
  b.done.wait(lock, [&] { return b.queue.size() < Behind::kMaxQueued; });
  b.queue.push_back(Behind::Batch{std::move(batch_), std::move(batch_completions_)});
  b.backlog.store(b.queue.size(), std::memory_order_relaxed);
  batch_.clear();  // a moved-from vector is valid but unspecified
  batch_completions_.clear();
  if (!b.spare.empty()) {
    batch_ = std::move(b.spare.back().events);
    batch_completions_ = std::move(b.spare.back().completions);
    b.spare.pop_back();
  }
  b.work.notify_one();
  std::exception_ptr error = b.error;
  lock.unlock();
  if (batch_.capacity() < Behind::kBatchEvents) batch_.reserve(Behind::kBatchEvents);
  if (batch_completions_.capacity() < Behind::kBatchEvents) batch_completions_.reserve(Behind::kBatchEvents);
  if (error) std::rethrow_exception(error);
}

void Journal::drain() {
  if (!behind_) return;
  if (!batch_.empty()) hand_off();
  Behind& b = *behind_;
  std::unique_lock<std::mutex> lock(b.mutex);
  b.done.wait(lock, [&] { return b.queue.empty() && !b.busy; });
  if (b.error) std::rethrow_exception(b.error);
}

void Journal::stop_background() {
  if (!behind_) return;
  std::exception_ptr error;
  try {
    drain();
  } catch (...) {
    error = std::current_exception();
  }
  {
    const std::lock_guard<std::mutex> lock(behind_->mutex);
    behind_->closing = true;
  }
  behind_->work.notify_one();
  behind_->thread.join();
  behind_.reset();
  batch_.clear();
  batch_completions_.clear();
  if (error) std::rethrow_exception(error);
}

void Journal::flush() {
  drain();
  if (sink_ == nullptr) return;
  if (!buffer_.empty()) {
    sink_->write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    buffer_.clear();
  }
  sink_->flush();
}

JournalBackground::JournalBackground(Journal& journal) : journal_(journal) { journal_.start_background(); }

JournalBackground::~JournalBackground() {
  try {
    journal_.stop_background();
  } catch (...) {
    // Dropped: the run's own flush() has reported it, or the run is already unwinding.
  }
}

}  // namespace gameday
