#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/journal.hpp"
#include "trace/otlp.hpp"

using namespace gameday;
using nlohmann::json;

namespace {

DependencyCall ehr_call(SimTime at, int status, const char* resource) {
  DependencyCall c;
  c.dependency = Dependency::kEhr;
  c.status = status;
  c.started = at;
  c.latency = 40 * kMillisecond;
  c.resource = resource;
  return c;
}

DependencyCall chat_call(SimTime at, int status) {
  DependencyCall c;
  c.dependency = Dependency::kVendor;
  c.vendor = "primary";
  c.status = status;
  c.started = at;
  c.latency = 900 * kMillisecond;
  if (status == 200) {
    c.resource = "gpt-4o-mini-2024-07-18";
    c.response_id = "chatcmpl-abc123";
    c.finish_reason = "stop";
    c.input_tokens = 812;
    c.output_tokens = 64;
  } else if (status != 0) {
    c.error_type = "rate_limit_error";
  }
  return c;
}

// A request that searched the EHR twice, timed out once on the model and was answered on retry.
RequestEvent answered_request() {
  RequestEvent r;
  r.id = 42;
  r.task_type = "prior_auth_status";
  r.patient_ref = "pt-3fa9c2d1";
  r.arrival = 10 * kSecond;
  r.latency = 6 * kSecond;
  r.status = RequestStatus::kOk;
  r.vendor = "primary";
  r.model = "gpt-4o-mini-2024-07-18";
  r.prompt_version = "v3";
  r.attempts = 2;
  r.ehr_calls = 1;
  r.citations = 1;
  r.faults = {"primary-latency"};
  r.calls.push_back(ehr_call(r.arrival, 200, "ClaimResponse"));
  DependencyCall hang = chat_call(r.arrival + kSecond, 0);
  hang.fault_ids = {"primary-latency"};
  hang.latency = 4 * kSecond;
  r.calls.push_back(hang);
  r.calls.push_back(chat_call(r.arrival + 5 * kSecond, 200));
  return r;
}

TraceOptions options() {
  TraceOptions o;
  o.vendor_models["primary"] = "gpt-4o-mini";
  return o;
}

std::vector<json> spans_of(const RequestEvent& r, std::uint64_t seed = 7) {
  std::string out;
  append_request_spans(out, r, seed, options());
  return json::parse("[" + out + "]").get<std::vector<json>>();
}

std::map<std::string, json> attrs(const json& span) {
  std::map<std::string, json> m;
  for (const auto& kv : span["attributes"]) m[kv["key"].get<std::string>()] = kv["value"];
  return m;
}

std::vector<json> lines_of(const std::string& text) {
  std::vector<json> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  return lines;
}

std::string write_run(const std::vector<Event>& events, TraceOptions o) {
  std::ostringstream out;
  TraceWriter writer(out, std::move(o));
  for (const auto& e : events) writer.observe(e);
  writer.finish();
  return out.str();
}

RunStartEvent run_start() {
  RunStartEvent s;
  s.scenario = "vendor-latency-spike";
  s.seed = 7;
  s.mode = "simulated";
  return s;
}

}  // namespace

TEST_CASE("Trace and span ids are the same for the same seed and request, and differ otherwise", "[trace]") {
  REQUIRE(request_trace_id(7, 42) == request_trace_id(7, 42));
  REQUIRE_FALSE(request_trace_id(7, 42) == request_trace_id(8, 42));
  REQUIRE_FALSE(request_trace_id(7, 42) == request_trace_id(7, 43));
  REQUIRE_FALSE(request_trace_id(7, 1) == playbook_trace_id(7, 1));
  // Probes number their requests from 1 too: their traces are apart from user requests'.
  REQUIRE_FALSE(request_trace_id(7, 5, true) == request_trace_id(7, 5, false));
  const TraceId t = request_trace_id(7, 42);
  std::set<std::uint64_t> ids;
  for (std::uint32_t i = 0; i < 64; ++i) ids.insert(trace_span_id(t, i));
  REQUIRE(ids.size() == 64);
  REQUIRE(ids.count(0) == 0);
  REQUIRE(spans_of(answered_request()) == spans_of(answered_request()));
}

TEST_CASE("A request's spans hang off its root answer span in the order they began", "[trace]") {
  const auto spans = spans_of(answered_request());
  REQUIRE(spans.size() == 6);
  const json& root = spans[0];
  REQUIRE(root["name"] == "answer prior_auth_status");
  REQUIRE(root["kind"] == 2);
  REQUIRE_FALSE(root.contains("parentSpanId"));
  REQUIRE(root["traceId"].get<std::string>().size() == 32);
  REQUIRE(root["spanId"].get<std::string>().size() == 16);
  // Virtual time 10 s after the fixed epoch, as a decimal string of nanoseconds.
  REQUIRE(root["startTimeUnixNano"] == std::to_string(kTraceEpochUnixNano + 10'000'000'000ULL));
  REQUIRE(root["endTimeUnixNano"] == std::to_string(kTraceEpochUnixNano + 16'000'000'000ULL));
  std::vector<std::string> names;
  for (const auto& s : spans) names.push_back(s["name"].get<std::string>());
  REQUIRE(names == std::vector<std::string>{"answer prior_auth_status", "GET /ClaimResponse", "assemble prompt",
                                            "chat gpt-4o-mini", "chat gpt-4o-mini", "validate answer"});
  for (std::size_t i = 1; i < spans.size(); ++i) {
    REQUIRE(spans[i]["traceId"] == root["traceId"]);
    REQUIRE(spans[i]["parentSpanId"] == root["spanId"]);
  }
  const auto ehr = attrs(spans[1]);
  REQUIRE(ehr.at("fhir.resource_type")["stringValue"] == "ClaimResponse");
  REQUIRE(ehr.at("http.response.status_code")["intValue"] == "200");
  const auto prompt = attrs(spans[2]);
  REQUIRE(prompt.at("gameday.prompt.version")["stringValue"] == "v3");
  REQUIRE(prompt.at("gameday.prompt.redaction")["boolValue"] == true);
}

TEST_CASE("A model call span carries the GenAI semantic convention attributes", "[trace]") {
  const auto spans = spans_of(answered_request());
  const json& ok = spans[4];
  REQUIRE(ok["kind"] == 3);
  REQUIRE_FALSE(ok.contains("status"));
  const auto a = attrs(ok);
  REQUIRE(a.at("gen_ai.operation.name")["stringValue"] == "chat");
  REQUIRE(a.at("gen_ai.provider.name")["stringValue"] == "openai");
  REQUIRE(a.at("gen_ai.request.model")["stringValue"] == "gpt-4o-mini");
  REQUIRE(a.at("gen_ai.response.model")["stringValue"] == "gpt-4o-mini-2024-07-18");
  REQUIRE(a.at("gen_ai.response.id")["stringValue"] == "chatcmpl-abc123");
  REQUIRE(a.at("gen_ai.response.finish_reasons")["arrayValue"]["values"][0]["stringValue"] == "stop");
  REQUIRE(a.at("gen_ai.usage.input_tokens")["intValue"] == "812");
  REQUIRE(a.at("gen_ai.usage.output_tokens")["intValue"] == "64");
  REQUIRE(a.at("server.address")["stringValue"] == "primary.vendor.gameday.invalid");
  REQUIRE(a.count("error.type") == 0);
}

TEST_CASE("A model call that got no answer is an error span with its faults as events", "[trace]") {
  const auto spans = spans_of(answered_request());
  const json& hung = spans[3];
  REQUIRE(hung["status"]["code"] == 2);
  const auto a = attrs(hung);
  REQUIRE(a.at("error.type")["stringValue"] == "timeout");
  REQUIRE(a.count("gen_ai.response.id") == 0);
  REQUIRE(a.count("gen_ai.usage.input_tokens") == 0);
  REQUIRE(hung["events"].size() == 1);
  REQUIRE(hung["events"][0]["name"] == "gameday.fault");
  REQUIRE(attrs(hung["events"][0]).at("gameday.fault.id")["stringValue"] == "primary-latency");
  RequestEvent r = answered_request();
  r.calls[1] = chat_call(r.calls[1].started, 429);
  REQUIRE(attrs(spans_of(r)[3]).at("error.type")["stringValue"] == "rate_limit_error");
}

TEST_CASE("A fallen-back request ends with a fallback span and an error root", "[trace]") {
  RequestEvent r;
  r.id = 5;
  r.task_type = "benefits_question";
  r.patient_ref = "pt-00aa11bb";
  r.arrival = kSecond;
  r.latency = 3 * kSecond;
  r.status = RequestStatus::kFallback;
  r.cause = "ehr_timeout";
  r.calls.push_back(ehr_call(kSecond, 0, "Coverage"));
  const auto spans = spans_of(r);
  REQUIRE(spans.size() == 3);
  REQUIRE(spans[0]["status"]["code"] == 2);
  REQUIRE(spans[0]["status"]["message"] == "ehr_timeout");
  REQUIRE(attrs(spans[1]).at("error.type")["stringValue"] == "timeout");
  REQUIRE(spans[2]["name"] == "fallback");
  REQUIRE(attrs(spans[2]).at("gameday.fallback.cause")["stringValue"] == "ehr_timeout");
}

TEST_CASE("Sampling keeps every harmed request and a stable share of the others", "[trace]") {
  std::vector<Event> events{{0, run_start()}};
  int harmed = 0;
  for (std::uint64_t id = 1; id <= 2000; ++id) {
    RequestEvent r;
    r.id = id;
    r.task_type = "prior_auth_status";
    r.patient_ref = "pt-00000001";
    r.status = id % 10 == 0 ? RequestStatus::kError : RequestStatus::kOk;
    r.unsafe = id % 15 == 0;
    harmed += trace_harmed(r) ? 1 : 0;
    events.push_back({static_cast<SimTime>(id), r});
  }
  TraceOptions o;
  o.sample = 0.1;
  const std::string text = write_run(events, o);
  REQUIRE(text == write_run(events, o));
  std::set<long> kept;
  for (const auto& line : lines_of(text)) {
    for (const auto& span : line["resourceSpans"][0]["scopeSpans"][0]["spans"]) {
      if (span.contains("parentSpanId")) continue;
      kept.insert(std::stol(attrs(span).at("gameday.request.id")["intValue"].get<std::string>()));
    }
  }
  for (long id = 1; id <= 2000; ++id) {
    if (id % 10 == 0 || id % 15 == 0) REQUIRE(kept.count(id) == 1);
  }
  const auto others = static_cast<double>(kept.size() - static_cast<std::size_t>(harmed));
  REQUIRE(others > 0.05 * (2000 - harmed));
  REQUIRE(others < 0.15 * (2000 - harmed));
}

TEST_CASE("Trace sample ratios outside zero to one are refused with a reason", "[trace]") {
  std::string error;
  REQUIRE(parse_trace_sample("0.25", &error) == 0.25);
  REQUIRE(parse_trace_sample("1", &error) == 1.0);
  for (const char* bad : {"0", "-0.5", "1.5", "abc", "", "nan", "0.5x"}) {
    INFO(bad);
    error.clear();
    REQUIRE_FALSE(parse_trace_sample(bad, &error));
    REQUIRE(error.find("--trace-sample") != std::string::npos);
  }
}

TEST_CASE("Each traces line is a resourceSpans object naming the service scenario and seed", "[trace]") {
  TraceOptions o;
  o.traces_per_line = 2;
  std::vector<Event> events{{0, run_start()}};
  for (std::uint64_t id = 1; id <= 5; ++id) {
    RequestEvent r = answered_request();
    r.id = id;
    events.push_back({static_cast<SimTime>(id), r});
  }
  const auto lines = lines_of(write_run(events, o));
  REQUIRE(lines.size() == 3);
  for (const auto& line : lines) {
    const json& rs = line["resourceSpans"][0];
    const auto res = attrs(rs["resource"]);
    REQUIRE(res.at("service.name")["stringValue"] == "gameday-assistant");
    REQUIRE(res.at("deployment.environment")["stringValue"] == "gameday");
    REQUIRE(res.at("gameday.scenario")["stringValue"] == "vendor-latency-spike");
    REQUIRE(res.at("gameday.seed")["intValue"] == "7");
    REQUIRE(rs["scopeSpans"][0]["scope"]["name"] == "gameday");
  }
}

TEST_CASE("A playbook run is its own trace with a child span per step", "[trace]") {
  std::vector<Event> events{{0, run_start()}};
  events.push_back({10 * kSecond, PlaybookStartEvent{"vendor-failover", 1, "alert:VendorLatencyHigh"}});
  events.push_back({10 * kSecond, StepStartEvent{"vendor-failover", 1, 0, "switch route", "route.set", false}});
  events.push_back({11 * kSecond, StepEndEvent{"vendor-failover", 1, 0, "switch route", "route.set", "ok", "", false}});
  events.push_back({11 * kSecond, StepStartEvent{"vendor-failover", 1, 1, "verify", "wait", false}});
  events.push_back({71 * kSecond, StepEndEvent{"vendor-failover", 1, 1, "verify", "wait", "failed", "still slow", false}});
  events.push_back({71 * kSecond, PlaybookEndEvent{"vendor-failover", 1, "aborted", "verify failed"}});
  const auto lines = lines_of(write_run(events, TraceOptions{}));
  REQUIRE(lines.size() == 1);
  const json& spans = lines[0]["resourceSpans"][0]["scopeSpans"][0]["spans"];
  REQUIRE(spans.size() == 3);
  REQUIRE(spans[0]["name"] == "playbook vendor-failover");
  REQUIRE(spans[0]["status"]["code"] == 2);
  REQUIRE(spans[1]["name"] == "step switch route");
  REQUIRE(spans[2]["name"] == "step verify");
  REQUIRE(spans[2]["status"]["message"] == "still slow");
  REQUIRE(spans[2]["startTimeUnixNano"] == std::to_string(kTraceEpochUnixNano + 11'000'000'000ULL));
  for (int i = 1; i < 3; ++i) REQUIRE(spans[i]["parentSpanId"] == spans[0]["spanId"]);
  std::string hex;
  const TraceId t = playbook_trace_id(7, 1);
  for (std::uint64_t v : {t.hi, t.lo}) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    hex += buf;
  }
  REQUIRE(spans[0]["traceId"] == hex);
}

TEST_CASE("A playbook run still open when the run ends is written as unfinished", "[trace]") {
  std::vector<Event> events{{0, run_start()}};
  events.push_back({10 * kSecond, PlaybookStartEvent{"vendor-failover", 3, "manual"}});
  events.push_back({20 * kSecond, RunEndEvent{"interrupted"}});
  const auto lines = lines_of(write_run(events, TraceOptions{}));
  REQUIRE(lines.size() == 1);
  const json& root = lines[0]["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
  REQUIRE(attrs(root).at("gameday.playbook.outcome")["stringValue"] == "unfinished");
}

TEST_CASE("No span attribute holds a patient identifier or message content", "[trace][phi]") {
  RequestEvent r = answered_request();
  // Fields a trace has no business reading hold identifiers here: none may come through.
  r.judge = "missing fact for SYN-1001";
  r.unsafe_kind = "phi_leak SYNM-2002";
  r.root_cause = "model PA-SYN-3003";
  const std::string out = [&] {
    std::string s;
    append_request_spans(s, r, 7, options());
    return s;
  }();
  // The journal's pseudonym is there; nothing else about the patient or the prompt can be:
  // the span builder reads no field that holds them.
  REQUIRE(out.find("pt-3fa9c2d1") != std::string::npos);
  for (const char* phi : {"SYN-", "SYNM-", "PA-SYN-", "555-01", "Question:", "Context:"}) {
    INFO(phi);
    REQUIRE(out.find(phi) == std::string::npos);
  }
}

TEST_CASE("A call still outstanding when the caller gave up is an unfinished error span", "[trace]") {
  RequestEvent r;
  r.id = 9;
  r.task_type = "prior_auth_status";
  r.patient_ref = "pt-00aa11bb";
  r.arrival = kSecond;
  r.latency = 20 * kSecond;
  r.status = RequestStatus::kTimeout;
  r.cause = "client_timeout";
  r.calls.push_back(ehr_call(kSecond, 200, "ClaimResponse"));
  DependencyCall hung;
  hung.dependency = Dependency::kVendor;
  hung.vendor = "primary";
  hung.started = 2 * kSecond;
  hung.latency = 19 * kSecond;
  hung.fault_ids = {"primary-latency"};
  r.unfinished.push_back(hung);
  const auto spans = spans_of(r);
  REQUIRE(spans.size() == 4);
  REQUIRE(spans[2]["name"] == "assemble prompt");
  const json& chat = spans[3];
  REQUIRE(chat["name"] == "chat gpt-4o-mini");
  REQUIRE(chat["endTimeUnixNano"] == spans[0]["endTimeUnixNano"]);
  REQUIRE(chat["status"]["code"] == 2);
  REQUIRE(chat["status"]["message"] == "unfinished: the caller gave up");
  const auto a = attrs(chat);
  REQUIRE(a.at("gameday.call.unfinished")["boolValue"] == true);
  REQUIRE(a.count("error.type") == 0);
  REQUIRE(chat["events"].size() == 1);
}

TEST_CASE("Span names and addresses made of a journal's text are escaped as JSON", "[trace]") {
  // A journal read back from a file can carry any text: quotes, backslashes, non-ASCII, and a
  // byte that is not UTF-8 at the very end of a name (where a fixed tail follows it).
  RequestEvent r = answered_request();
  r.task_type = "prior \"auth\" é";
  for (DependencyCall& c : r.calls) {
    if (c.dependency == Dependency::kVendor) c.vendor = "back\\slash\xC3";
    if (c.dependency == Dependency::kEhr) c.resource = "Claim\"Response";
  }
  std::string out;
  append_request_spans(out, r, 7, options());
  const std::size_t first = out.size();
  append_request_spans(out, answered_request(), 7, options());  // a second trace into the same list
  REQUIRE(out[first] == ',');
  const auto spans = json::parse("[" + out + "]");
  REQUIRE(spans[0]["name"] == "answer prior \"auth\" é");
  REQUIRE(spans[1]["name"] == "GET /Claim\"Response");
  // The vendor names no model in the options: a span is named after the model that answered.
  std::vector<std::string> chats;
  for (const json& s : spans) {
    const auto a = attrs(s);
    if (!a.count("gameday.vendor") || a.at("gameday.vendor")["stringValue"] != "back\\slash\xEF\xBF\xBD") continue;
    chats.push_back(s["name"].get<std::string>());
    REQUIRE(a.at("server.address")["stringValue"] == "back\\slash\xEF\xBF\xBD.vendor.gameday.invalid");
  }
  REQUIRE(chats == std::vector<std::string>{"chat", "chat gpt-4o-mini-2024-07-18"});

  std::vector<Event> events{{0, run_start()}};
  events.push_back({10 * kSecond, PlaybookStartEvent{"fail \"over\"", 1, "alert:X"}});
  events.push_back({10 * kSecond, StepStartEvent{"fail \"over\"", 1, 0, "undo \\ é", "route.set", true}});
  events.push_back({11 * kSecond, StepEndEvent{"fail \"over\"", 1, 0, "undo \\ é", "route.set", "ok", "", true}});
  events.push_back({11 * kSecond, PlaybookEndEvent{"fail \"over\"", 1, "completed", ""}});
  const auto lines = lines_of(write_run(events, TraceOptions{}));
  const json& run = lines.at(0)["resourceSpans"][0]["scopeSpans"][0]["spans"];
  REQUIRE(run[0]["name"] == "playbook fail \"over\"");
  REQUIRE(run[1]["name"] == "rollback undo \\ é");
}
