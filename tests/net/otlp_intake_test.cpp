// The OTLP/JSON trace intake: ids in both JSON forms, errors that name where, partial success,
// the attribute allow-list, the PHI rule and the limits.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>

#include "assistant/phi.hpp"
#include "net/otlp_intake.hpp"

using namespace gameday;
using nlohmann::json;

namespace {

constexpr const char* kTrace = "5b8efff798038103d269b633813fc60c";
constexpr const char* kSpan = "eee19b7ec3c1b174";

json attr(const std::string& key, json value) { return {{"key", key}, {"value", std::move(value)}}; }
json str(const std::string& s) { return {{"stringValue", s}}; }

// One element in braces, `{x}`, is x itself under clang and a one-element array under GCC:
// lists built that way are wrapped here, so both compilers build the same request.
json as_array(json j) { return j.is_array() ? j : json::array({std::move(j)}); }

json span(json fields = json::object()) {
  json s = {{"traceId", kTrace}, {"spanId", kSpan}, {"name", "work"}, {"kind", 2},
            {"startTimeUnixNano", "1735689600000000000"}, {"endTimeUnixNano", "1735689600500000000"}};
  for (auto& [k, v] : fields.items()) s[k] = k == "attributes" ? as_array(v) : v;
  return s;
}

// Built step by step (see as_array).
json request(json spans, json resource_attributes = json::array()) {
  json scope = json::object();
  scope["scope"] = json::object({{"name", "svc"}});
  scope["spans"] = as_array(std::move(spans));
  json resource_spans = json::object();
  resource_spans["resource"] = json::object();
  resource_spans["resource"]["attributes"] = as_array(std::move(resource_attributes));
  resource_spans["scopeSpans"] = json::array({std::move(scope)});
  json out = json::object();
  out["resourceSpans"] = json::array({std::move(resource_spans)});
  return out;
}

IntakeBatch parse_ok(const json& body) {
  IntakeBatch batch;
  std::string error;
  const bool parsed = parse_otlp_traces(body.dump(), batch, error);
  INFO(error);
  REQUIRE(parsed);
  return batch;
}

std::string error_of(std::string_view body) {
  IntakeBatch batch;
  std::string error;
  REQUIRE_FALSE(parse_otlp_traces(body, batch, error));
  CHECK(batch.spans.empty());
  return error;
}

const IntakeAttribute* find(const IntakeSpan& s, const std::string& key) {
  for (const auto& a : s.attributes) {
    if (a.key == key) return &a;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("The OTLP intake reads a span with hex ids and its times, kind and status", "[net][otlp]") {
  const auto batch = parse_ok(request(
      {span({{"parentSpanId", "00f067aa0ba902b7"}, {"status", {{"code", 2}, {"message", "upstream timeout"}}}})},
      {attr("service.name", str("team-svc"))}));
  REQUIRE(batch.spans.size() == 1);
  REQUIRE(batch.rejected == 0);
  const auto& s = batch.spans[0];
  CHECK(s.trace_id == kTrace);
  CHECK(s.span_id == kSpan);
  CHECK(s.parent_span_id == "00f067aa0ba902b7");
  CHECK(s.name == "work");
  CHECK(s.kind == 2);
  CHECK(s.start_unix_nano == 1735689600000000000ULL);
  CHECK(s.end_unix_nano == 1735689600500000000ULL);
  CHECK(s.status_code == 2);
  CHECK(s.status_message == "upstream timeout");
  CHECK(s.service_name == "team-svc");
  CHECK(otlp_intake_response(batch) == "{}");
}

TEST_CASE("The OTLP intake reads base64 ids, uppercase hex, numeric times and enum names", "[net][otlp]") {
  const auto batch = parse_ok(request({span({{"traceId", "W47/95gDgQPSabYzgT/GDA=="},
                                             {"spanId", "7uGbfsPBsXQ="},
                                             {"parentSpanId", "APBnqgupArc"},
                                             {"kind", "SPAN_KIND_CLIENT"},
                                             {"startTimeUnixNano", 1000},
                                             {"status", {{"code", "STATUS_CODE_OK"}}}}),
                                       span({{"traceId", "5B8EFFF798038103D269B633813FC60C"}, {"parentSpanId", ""}})}));
  REQUIRE(batch.spans.size() == 2);
  CHECK(batch.spans[0].trace_id == kTrace);
  CHECK(batch.spans[0].span_id == kSpan);
  CHECK(batch.spans[0].parent_span_id == "00f067aa0ba902b7");
  CHECK(batch.spans[0].kind == 3);
  CHECK(batch.spans[0].start_unix_nano == 1000);
  CHECK(batch.spans[0].status_code == 1);
  CHECK(batch.spans[1].trace_id == kTrace);
  CHECK(batch.spans[1].parent_span_id.empty());
}

TEST_CASE("The OTLP intake refuses a body that is not JSON and names the position", "[net][otlp]") {
  CHECK(error_of("{\"resourceSpans\": [\n  {oops}]}") == "not JSON: syntax error at line 2, column 4");
  CHECK(error_of("") .rfind("not JSON: syntax error at line 1", 0) == 0);
}

TEST_CASE("The OTLP intake refuses a body that is not an export request and names the field", "[net][otlp]") {
  CHECK(error_of("[1]") == "expected an ExportTraceServiceRequest object");
  CHECK(error_of(R"({"resourceSpans":{}})") == "resourceSpans: expected an array");
  CHECK(error_of(R"({"resourceSpans":[{"scopeSpans":[{"spans":[]},{"spans":7}]}]})") ==
        "resourceSpans[0].scopeSpans[1].spans: expected an array");
  CHECK(error_of(R"({"resourceSpans":[{"resource":{"attributes":[{"value":{}}]}}]})") ==
        "resourceSpans[0].resource.attributes[0]: expected an object with a string key");
}

TEST_CASE("The OTLP intake accepts an empty export request", "[net][otlp]") {
  CHECK(parse_ok(json::object()).spans.empty());
  CHECK(parse_ok(json{{"resourceSpans", json::array()}}).spans.empty());
}

TEST_CASE("The OTLP intake skips a bad span among good ones and answers a partial success", "[net][otlp]") {
  const auto batch = parse_ok(request({span(), span({{"traceId", "abc"}}), span({{"spanId", "0000000000000000"}}),
                                       span({{"endTimeUnixNano", "-5"}}), span({{"kind", 9}}), 7, span()}));
  CHECK(batch.spans.size() == 2);
  CHECK(batch.rejected == 5);
  CHECK(batch.rejected_reason ==
        "resourceSpans[0].scopeSpans[0].spans[1].traceId: expected 32 hex digits or base64 of 16 bytes, not all zero");
  const json response = json::parse(otlp_intake_response(batch));
  CHECK(response["partialSuccess"]["rejectedSpans"] == 5);
  CHECK(response["partialSuccess"]["errorMessage"] == batch.rejected_reason);
}

TEST_CASE("The OTLP intake keeps only allow-listed attributes, rendered as text", "[net][otlp]") {
  const auto batch = parse_ok(request(
      {span({{"attributes",
              {attr("http.request.method", str("POST")), attr("http.response.status_code", {{"intValue", "200"}}),
               attr("server.port", {{"intValue", 8080}}), attr("url.full", str("http://ehr/fhir/Patient/pat-1")),
               attr("gen_ai.prompt", str("the question")), attr("user.id", str("u-17")),
               attr("gen_ai.response.finish_reasons", {{"arrayValue", {{"values", {str("stop")}}}}}),
               attr("gen_ai.usage.input_tokens", {{"intValue", "-3"}}), attr("error.type", {{"boolValue", true}}),
               attr("gen_ai.request.model", {{"doubleValue", 1.5}}), attr("db.system", {{"bytesValue", "AAE="}})}}})},
      {attr("service.name", str("svc")), attr("service.version", str("1.2")), attr("host.name", str("box-7"))}));
  REQUIRE(batch.spans.size() == 1);
  const auto& s = batch.spans[0];
  std::vector<std::string> keys;
  for (const auto& a : s.attributes) keys.push_back(a.key);
  CHECK(keys == std::vector<std::string>{"service.name", "service.version", "http.request.method",
                                         "http.response.status_code", "server.port", "gen_ai.response.finish_reasons",
                                         "gen_ai.usage.input_tokens", "error.type", "gen_ai.request.model"});
  CHECK(find(s, "http.response.status_code")->value == "200");
  CHECK(find(s, "server.port")->value == "8080");
  CHECK(find(s, "gen_ai.response.finish_reasons")->value == R"(["stop"])");
  CHECK(find(s, "gen_ai.usage.input_tokens")->value == "-3");
  CHECK(find(s, "error.type")->value == "true");
  CHECK(find(s, "gen_ai.request.model")->value == "1.5");
  for (const char* key : {"url.full", "gen_ai.prompt", "user.id", "host.name", "gen_ai.input.messages"}) {
    CHECK_FALSE(intake_attribute_allowed(key));
  }
}

TEST_CASE("The OTLP intake drops a name, status message or attribute value that holds PHI", "[net][otlp]") {
  const auto batch = parse_ok(request(
      {span({{"name", "triage SYN-0004821"},
             {"status", {{"code", 2}, {"message", "no coverage for SYNM-12345678"}}},
             {"attributes", {attr("error.type", str("call (555) 555-0142")), attr("http.route", str("/fhir/{type}")),
                             attr("gen_ai.response.finish_reasons",
                                  {{"arrayValue", {{"values", {str("stop"), str("SYN-0004821")}}}}})}}})},
      {attr("service.name", str("svc SYN-0004821"))}));
  REQUIRE(batch.spans.size() == 1);
  const auto& s = batch.spans[0];
  CHECK(s.name == "redacted");
  CHECK(s.status_message.empty());
  CHECK(s.status_code == 2);
  CHECK(s.service_name.empty());
  REQUIRE(s.attributes.size() == 1);
  CHECK(s.attributes[0].key == "http.route");
}

TEST_CASE("The OTLP intake cuts a path out of a span name and appends the route", "[net][otlp]") {
  const json route = json::array({attr("http.route", str("/fhir/{type}/{id}"))});
  const auto batch = parse_ok(request({span({{"name", "GET /fhir/Patient/pat-0001"}, {"attributes", route}}),
                                       span({{"name", "GET /fhir/Patient/SYN-0004821"}}),
                                       span({{"name", "POST /v1/answers?patient=pat-0001"}}),
                                       span({{"name", "search?q=x"}}), span({{"name", "GET"}, {"attributes", route}})}));
  REQUIRE(batch.spans.size() == 5);
  CHECK(batch.spans[0].name == "GET /fhir/{type}/{id}");
  CHECK(batch.spans[1].name == "GET");
  CHECK(batch.spans[2].name == "POST");
  CHECK(batch.spans[3].name == "search");
  CHECK(batch.spans[4].name == "GET");
}

TEST_CASE("The OTLP intake cuts long values at 256 bytes on a character boundary", "[net][otlp]") {
  const std::string long_id(300, 'x');
  const std::string accents = std::string(255, 'a') + "\xC3\xA9" + "zz";  // a two-byte character across byte 256
  const auto batch = parse_ok(request({span({{"name", std::string(400, 'n')},
                                             {"attributes", {attr("gen_ai.response.id", str(long_id)),
                                                             attr("rpc.method", str(accents))}}})}));
  REQUIRE(batch.spans.size() == 1);
  CHECK(batch.spans[0].name.size() == kIntakeMaxValueBytes);
  CHECK(find(batch.spans[0], "gen_ai.response.id")->value == std::string(256, 'x'));
  CHECK(find(batch.spans[0], "rpc.method")->value == std::string(255, 'a'));
}

TEST_CASE("The OTLP intake drops a value whose cut would complete an identifier", "[net][otlp]") {
  const std::string value = std::string(244, 'a') + " SYN-00048219";  // 8 digits: no MRN until cut
  REQUIRE_FALSE(contains_phi(value));
  const auto batch = parse_ok(request({span({{"attributes", {attr("rpc.method", str(value))}}})}));
  REQUIRE(batch.spans.size() == 1);
  CHECK(find(batch.spans[0], "rpc.method") == nullptr);
}

TEST_CASE("The OTLP intake keeps at most 10000 spans of one request and rejects the rest", "[net][otlp]") {
  json spans = json::array();
  for (int i = 0; i < 10003; ++i) spans.push_back(span());
  const json body = {{"resourceSpans", {{{"scopeSpans", {{{"spans", spans}}, {{"spans", {span(), span()}}}}}}}}};
  const auto batch = parse_ok(body);
  CHECK(batch.spans.size() == kIntakeMaxSpans);
  CHECK(batch.rejected == 5);
  CHECK(batch.rejected_reason == "more than 10000 spans in one request");
}

TEST_CASE("The OTLP intake lets a span attribute replace the resource's", "[net][otlp]") {
  const auto batch = parse_ok(request({span({{"attributes", {attr("service.version", str("2"))}}})},
                                      {attr("service.version", str("1"))}));
  REQUIRE(batch.spans.size() == 1);
  REQUIRE(batch.spans[0].attributes.size() == 1);
  CHECK(batch.spans[0].attributes[0].value == "2");
}

TEST_CASE("The OTLP intake refuses a number too large for JSON with a 400, not a crash", "[net][otlp]") {
  // Found by fuzzing: a number that overflows every JSON number type.
  const std::string error = error_of(R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":8e888888888}]}]}]})");
  CHECK(error == "not JSON: a number out of range");
}
