// The export requests the live shell writes of spans that are not the journal's: a service's
// spans from the intake, and the calls the fakes served (net/otlp_spans.hpp). Read back with
// the intake's own parser, as a collector would.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "net/otlp_intake.hpp"
#include "net/otlp_spans.hpp"

using namespace gameday;
using namespace gameday::net;

namespace {

ServedCall chat_call() {
  ServedCall c;
  c.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  c.parent_span_id = "00f067aa0ba902b7";
  c.call.dependency = Dependency::kVendor;
  c.call.vendor = "primary";
  c.call.status = 200;
  c.call.latency = 250 * kMillisecond;
  c.call.resource = "nw-clinical-large";
  c.call.response_id = "chatcmpl-1";
  c.call.finish_reason = "stop";
  c.call.input_tokens = 120;
  c.call.output_tokens = 30;
  c.call.fault_ids = {"slow"};
  c.operation = "chat";
  c.provider = "openai";
  c.request_model = "nw-clinical-large";
  c.start_unix_nano = 1700000000000000000ULL;
  return c;
}

std::string value_of(const IntakeSpan& s, const std::string& key) {
  for (const auto& a : s.attributes) {
    if (a.key == key) return a.value;
  }
  return "<absent>";
}

}  // namespace

TEST_CASE("A served model call becomes a server span in its caller's trace with its GenAI attributes", "[net][otlp][spans]") {
  ServedCall ehr;
  ehr.call.dependency = Dependency::kEhr;
  ehr.call.resource = "Coverage";
  ehr.call.status = 503;
  ehr.start_unix_nano = 1700000000000000000ULL;
  const std::string line = served_export_json({chat_call(), ehr}, "gameday-fakes", 7);
  // The fault is an event the intake does not keep: look for it in the line itself.
  const auto j = nlohmann::json::parse(line);
  CHECK(j["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["events"][0]["attributes"][0]["value"]["stringValue"] ==
        "slow");
  IntakeBatch batch;
  std::string error;
  REQUIRE(parse_otlp_traces(line, batch, error));
  REQUIRE(batch.spans.size() == 2);
  const IntakeSpan& chat = batch.spans[0];
  CHECK(chat.service_name == "gameday-fakes");
  CHECK(chat.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(chat.parent_span_id == "00f067aa0ba902b7");
  CHECK(chat.name == "chat nw-clinical-large");
  CHECK(chat.kind == 2);
  CHECK(chat.end_unix_nano - chat.start_unix_nano == 250'000'000ULL);
  CHECK(chat.status_code == 0);
  CHECK(value_of(chat, "gen_ai.response.model") == "nw-clinical-large");
  CHECK(value_of(chat, "gen_ai.usage.output_tokens") == "30");
  CHECK(value_of(chat, "http.response.status_code") == "200");
  const IntakeSpan& failed = batch.spans[1];
  CHECK(failed.parent_span_id.empty());  // no trace context: a trace of its own
  CHECK(failed.trace_id.size() == 32);
  CHECK(failed.status_code == 2);
  CHECK(value_of(failed, "error.type") == "503");
  CHECK(value_of(failed, "fhir.resource_type") == "Coverage");
}

TEST_CASE("A service's kept spans are written under their own resources and read back the same", "[net][otlp][spans]") {
  IntakeSpan a;
  a.trace_id = "5b8efff798038103d269b633813fc60c";
  a.span_id = "eee19b7ec3c1b174";
  a.name = "POST /v1/answers";
  a.kind = 2;
  a.start_unix_nano = 10;
  a.end_unix_nano = 20;
  a.status_code = 2;
  a.status_message = "upstream failed";
  a.service_name = "team-answers";
  a.attributes = {{"http.route", "/v1/answers"}};
  IntakeSpan b = a;
  b.span_id = "eee19b7ec3c1b175";
  b.parent_span_id = a.span_id;
  b.service_name = "team-retriever";
  b.name = "GET";
  IntakeBatch batch;
  std::string error;
  REQUIRE(parse_otlp_traces(intake_export_json({a, b}), batch, error));
  REQUIRE(batch.spans.size() == 2);
  CHECK(batch.spans[0].service_name == "team-answers");
  CHECK(batch.spans[0].name == "POST /v1/answers");
  CHECK(batch.spans[0].status_message == "upstream failed");
  CHECK(batch.spans[1].service_name == "team-retriever");
  CHECK(batch.spans[1].parent_span_id == "eee19b7ec3c1b174");
  CHECK(value_of(batch.spans[1], "http.route") == "/v1/answers");
}
