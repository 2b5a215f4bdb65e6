#include "net/otlp_spans.hpp"

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>

#include "sim/rng.hpp"
#include "trace/context.hpp"

namespace gameday::net {
namespace {

using Json = nlohmann::ordered_json;

constexpr int kKindServer = 2;
constexpr int kStatusError = 2;

Json text_attr(std::string_view key, std::string_view value) {
  return Json{{"key", key}, {"value", {{"stringValue", value}}}};
}

Json int_attr(std::string_view key, std::int64_t value) {
  return Json{{"key", key}, {"value", {{"intValue", std::to_string(value)}}}};
}

Json resource(std::string_view service_name) {
  return Json{{"attributes", Json::array({text_attr("service.name", service_name)})}};
}

Json export_request(Json resource_spans) { return Json{{"resourceSpans", std::move(resource_spans)}}; }

// A served call's attributes.
Json served_attributes(const ServedCall& c) {
  Json a = Json::array();
  const DependencyCall& d = c.call;
  if (d.dependency == Dependency::kEhr) {
    a.push_back(text_attr("http.request.method", "GET"));
    a.push_back(text_attr("fhir.resource_type", d.resource));
  } else {
    a.push_back(text_attr("gen_ai.operation.name", c.operation));
    a.push_back(text_attr("gen_ai.provider.name", c.provider));
    if (!c.request_model.empty()) a.push_back(text_attr("gen_ai.request.model", c.request_model));
    if (!d.resource.empty()) a.push_back(text_attr("gen_ai.response.model", d.resource));
    if (!d.response_id.empty()) a.push_back(text_attr("gen_ai.response.id", d.response_id));
    if (!d.finish_reason.empty()) {
      a.push_back(Json{{"key", "gen_ai.response.finish_reasons"},
                       {"value", {{"arrayValue", {{"values", Json::array({{{"stringValue", d.finish_reason}}})}}}}}});
    }
    if (!d.failed() && d.dependency == Dependency::kVendor) {
      a.push_back(int_attr("gen_ai.usage.input_tokens", d.input_tokens));
      a.push_back(int_attr("gen_ai.usage.output_tokens", d.output_tokens));
    }
    a.push_back(text_attr("gameday.vendor", d.vendor));
  }
  if (d.status != 0) a.push_back(int_attr("http.response.status_code", d.status));
  if (d.failed()) {
    a.push_back(text_attr("error.type", call_error_type(d)));
  }
  if (c.unfinished) a.push_back(Json{{"key", "gameday.call.unfinished"}, {"value", {{"boolValue", true}}}});
  return a;
}

Json served_span(const ServedCall& c, std::uint64_t salt, std::uint64_t index) {
  const std::uint64_t base = mix64(salt + index);
  const std::string trace = !c.trace_id.empty() ? c.trace_id : trace_id_hex(TraceId{mix64(base), mix64(base ^ 1) | 1});
  std::string name = c.call.dependency == Dependency::kEhr ? "GET /" + c.call.resource : c.operation;
  if (c.call.dependency != Dependency::kEhr && !c.request_model.empty()) name += " " + c.request_model;
  const std::uint64_t end = c.start_unix_nano + static_cast<std::uint64_t>(c.call.latency < 0 ? 0 : c.call.latency) * 1000;
  Json span{{"traceId", trace}, {"spanId", span_id_hex(mix64(base ^ 2) | 1)}};
  if (!c.parent_span_id.empty()) span["parentSpanId"] = c.parent_span_id;
  span["name"] = name;
  span["kind"] = kKindServer;
  span["startTimeUnixNano"] = std::to_string(c.start_unix_nano);
  span["endTimeUnixNano"] = std::to_string(end);
  span["attributes"] = served_attributes(c);
  if (!c.call.fault_ids.empty()) {
    Json events = Json::array();
    for (const auto& id : c.call.fault_ids) {
      events.push_back(Json{{"timeUnixNano", std::to_string(c.start_unix_nano)},
                            {"name", "gameday.fault"},
                            {"attributes", Json::array({text_attr("gameday.fault.id", id)})}});
    }
    span["events"] = std::move(events);
  }
  if (c.call.failed()) span["status"] = Json{{"code", kStatusError}};
  return span;
}

}  // namespace

std::uint64_t unix_nanos_now() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

std::string intake_export_json(const std::vector<IntakeSpan>& spans) {
  std::map<std::string, Json> by_service;  // service.name -> its spans
  for (const IntakeSpan& s : spans) {
    Json span{{"traceId", s.trace_id}, {"spanId", s.span_id}};
    if (!s.parent_span_id.empty()) span["parentSpanId"] = s.parent_span_id;
    span["name"] = s.name;
    span["kind"] = s.kind;
    span["startTimeUnixNano"] = std::to_string(s.start_unix_nano);
    span["endTimeUnixNano"] = std::to_string(s.end_unix_nano);
    Json attributes = Json::array();
    for (const IntakeAttribute& a : s.attributes) attributes.push_back(text_attr(a.key, a.value));
    span["attributes"] = std::move(attributes);
    if (s.status_code != 0) {
      span["status"] = Json{{"code", s.status_code}};
      if (!s.status_message.empty()) span["status"]["message"] = s.status_message;
    }
    Json& list = by_service[s.service_name];
    if (list.is_null()) list = Json::array();
    list.push_back(std::move(span));
  }
  Json resource_spans = Json::array();
  for (auto& [service, list] : by_service) {
    resource_spans.push_back(Json{{"resource", resource(service.empty() ? "unknown_service" : service)},
                                  {"scopeSpans", Json::array({{{"scope", {{"name", "gameday.intake"}}},
                                                               {"spans", std::move(list)}}})}});
  }
  return export_request(std::move(resource_spans)).dump();
}

std::string served_export_json(const std::vector<ServedCall>& calls, std::string_view service_name,
                               std::uint64_t salt) {
  Json spans = Json::array();
  std::uint64_t index = 0;
  for (const ServedCall& c : calls) spans.push_back(served_span(c, salt, index++));
  Json rs{{"resource", resource(service_name)},
          {"scopeSpans", Json::array({{{"scope", {{"name", "gameday"}}}, {"spans", std::move(spans)}}})}};
  return export_request(Json::array({std::move(rs)})).dump();
}

}  // namespace gameday::net
