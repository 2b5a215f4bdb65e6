// What the live fakes report of each call they serve (net/served_call.hpp): the caller's trace
// context, the model call's outcome as its GenAI span and metrics need it, the faults that
// shaped it, and the PHI and canaries it carried. Real HTTP on 127.0.0.1.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "net/ehr_server.hpp"
#include "net/http_client.hpp"
#include "support/call_recorder.hpp"
#include "support/fixtures.hpp"
#include "support/live_vendor.hpp"
#include "support/wait.hpp"
#include "trace/context.hpp"

using namespace gameday;
using namespace gameday::net;
using Json = nlohmann::json;

namespace {

const std::string kTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

HttpResult post_chat(const testing::LiveVendor& live, const std::string& user, bool stream,
                     const std::string& traceparent = kTraceparent, Duration timeout = test_support::kHangLimitUs) {
  Json body = {{"model", live.model()},
               {"messages", Json::array({{{"role", "user"}, {"content", user}}})}};
  if (stream) body["stream"] = true;
  HttpRequest r;
  r.method = "POST";
  r.url = live.server.base_url() + "/chat/completions";
  r.body = body.dump();
  r.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer sk-test"}};
  if (!traceparent.empty()) r.headers.emplace_back("TraceParent", traceparent);
  r.timeout = timeout;
  return http_request(r);
}

const char* kQuestion =
    "Question: How many physical therapy visits per year does the plan cover?\n"
    "[doc:policy-gold-pt-v2] Physical therapy is covered up to 20 visits per year.";

// Waits until `n` calls were reported and returns them.
std::vector<ServedCall> reported(const testing::CallRecorder& calls, std::size_t n) {
  REQUIRE(test_support::wait_until([&] { return calls.calls().size() >= n; }));
  return calls.calls();
}

}  // namespace

TEST_CASE("The fake vendor reports a model call with the caller's trace context, the answering model and its usage", "[net][vendor][trace]") {
  testing::LiveVendor live;
  REQUIRE(post_chat(live, kQuestion, false).status == 200);
  const auto calls = reported(live.calls, 1);
  REQUIRE(calls.size() == 1);
  const ServedCall& c = calls[0];
  CHECK(c.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(c.parent_span_id == "00f067aa0ba902b7");
  CHECK(c.sampled);
  CHECK(c.call.dependency == Dependency::kVendor);
  CHECK(c.call.vendor == "primary");
  CHECK(c.call.status == 200);
  CHECK(c.call.resource == live.model());
  CHECK(c.call.response_id.rfind("chatcmpl-", 0) == 0);
  CHECK(c.call.finish_reason == "stop");
  CHECK(c.call.input_tokens > 0);
  CHECK(c.call.output_tokens > 0);
  CHECK(c.operation == "chat");
  CHECK(c.provider == "openai");
  CHECK(c.request_model == live.model());
  CHECK(c.first_chunk == -1);
  CHECK_FALSE(c.unfinished);
  CHECK(c.phi_in_prompt == 0);
  CHECK_FALSE(c.canary);
  // The GenAI client metrics counted it.
  const std::string text = live.metrics.prometheus_text();
  CHECK(text.find("gen_ai_client_operation_duration_seconds_count{gen_ai_operation_name=\"chat\","
                  "gen_ai_provider_name=\"openai\",gen_ai_request_model=\"" + live.model() +
                  "\",gen_ai_response_model=\"" + live.model() + "\"} 1") != std::string::npos);
  CHECK(text.find("gen_ai_token_type=\"input\"") != std::string::npos);
  CHECK(text.find("gen_ai_token_type=\"output\"") != std::string::npos);
}

TEST_CASE("The fake vendor reports a streamed answer's time to its first chunk", "[net][vendor][trace]") {
  testing::LiveVendor live(5 * kMillisecond, 2000);
  REQUIRE(post_chat(live, kQuestion, true).status == 200);
  const ServedCall c = reported(live.calls, 1).at(0);
  CHECK(c.call.status == 200);
  CHECK(c.first_chunk >= 0);
  CHECK(c.first_chunk <= c.call.latency);
  CHECK(live.metrics.prometheus_text().find("gen_ai_client_operation_time_to_first_chunk_seconds_count") !=
        std::string::npos);
}

TEST_CASE("The fake vendor reports a fault's error with its type and the fault, and a hang when it begins", "[net][vendor][trace]") {
  testing::LiveVendor live;
  live.fault(R"({"id":"rl","target":"vendor:primary","kind":"error","status":429,"first_n":1})");
  REQUIRE(post_chat(live, kQuestion, false).status == 429);
  const ServedCall failed = reported(live.calls, 1).at(0);
  CHECK(failed.call.status == 429);
  CHECK(failed.call.error_type == "rate_limit_error");
  CHECK(failed.call.fault_ids == std::vector<std::string>{"rl"});
  CHECK(failed.call.resource.empty());  // no answer, no answering model
  CHECK(failed.call.input_tokens == 0);
  CHECK(live.metrics.prometheus_text().find("error_type=\"rate_limit_error\"") != std::string::npos);

  live.fault(R"({"id":"h","target":"vendor:primary","kind":"hang","first_n":1})");
  REQUIRE(post_chat(live, kQuestion, false, kTraceparent, 300 * kMillisecond).status == 0);
  const ServedCall held = reported(live.calls, 2).at(1);
  CHECK(held.unfinished);
  CHECK(held.call.status == 0);
  CHECK(held.call.fault_ids == std::vector<std::string>{"h"});
}

TEST_CASE("The fake vendor reports identifiers and canary tokens it received in a prompt", "[net][vendor][trace][phi]") {
  testing::LiveVendor live;
  REQUIRE(post_chat(live, std::string(kQuestion) + "\nPatient MRN SYN-0004821. GDCANARY-1a2b3c4d", false).status == 200);
  const ServedCall c = reported(live.calls, 1).at(0);
  CHECK(c.phi_in_prompt == 1);
  CHECK(c.canary);
}

TEST_CASE("A call with a malformed traceparent, or none, is reported without trace context", "[net][vendor][trace]") {
  testing::LiveVendor live;
  REQUIRE(post_chat(live, kQuestion, false, "00-not-a-trace-01").status == 200);
  REQUIRE(post_chat(live, kQuestion, false, "").status == 200);
  REQUIRE(post_chat(live, kQuestion, false, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00").status == 200);
  const auto calls = reported(live.calls, 3);
  CHECK_FALSE(calls[2].sampled);  // the caller does not record this trace
  CHECK(calls[2].trace_id == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(calls[0].trace_id.empty());
  CHECK(calls[0].parent_span_id.empty());
  CHECK(calls[1].trace_id.empty());
}

TEST_CASE("The fake EHR reports each search with the caller's trace context, its resource type and faults", "[net][ehr][trace]") {
  const Fakes fakes = testing::small_fakes();
  const World world = World::generate(fakes.world);
  LiveFaults faults;
  LiveMetrics metrics;
  testing::CallRecorder calls;
  EhrServer server(LiveContext{fakes, world, faults, metrics, 7, &calls}, ServerOptions{});
  const std::string patient = world.patients().front().id;
  auto get = [&](const std::string& path) {
    HttpRequest r;
    r.url = server.base_url() + path;
    r.headers = {{"traceparent", kTraceparent}};
    r.timeout = test_support::kHangLimitUs;
    return http_request(r);
  };
  REQUIRE(get("/DocumentReference?patient=" + patient).status == 200);
  FaultSpec f;
  f.id = "ehr-503";
  f.target = "ehr";
  f.params = default_params(FaultKind::kError);
  REQUIRE(faults.add(f));
  REQUIRE(get("/Coverage?patient=" + patient).status >= 500);
  REQUIRE(get("/metadata").status == 200);  // the capability statement is not a call the join needs
  const auto seen = reported(calls, 2);
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].trace_id == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(seen[0].call.dependency == Dependency::kEhr);
  CHECK(seen[0].call.resource == "DocumentReference");
  CHECK(seen[0].call.status == 200);
  CHECK(seen[0].call.fault_ids.empty());
  CHECK(seen[1].call.resource == "Coverage");
  CHECK(seen[1].call.failed());
  CHECK(seen[1].call.fault_ids == std::vector<std::string>{"ehr-503"});
}
