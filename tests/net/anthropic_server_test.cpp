// The fake vendor's Anthropic Messages route over real HTTP on 127.0.0.1: answers and streams,
// its 4xx answers, the formats a profile serves, and faults acted out in Anthropic's shapes
// (429 with retry headers, 529, faults limited to routes), tool use and refused content.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "load/loader.hpp"
#include "net/anthropic_wire.hpp"
#include "net/http_client.hpp"
#include "net/vendor_server.hpp"
#include "support/fixtures.hpp"
#include "support/live_vendor.hpp"
#include "support/raw_http.hpp"
#include "support/wait.hpp"

using namespace gameday;
using namespace gameday::net;
using Json = nlohmann::json;
using gameday::testing::Raw;
using gameday::testing::raw;
using test_support::kHangLimitUs;

namespace {

const char* kQuestion =
    "Question: How many physical therapy visits per year does the plan cover?\n"
    "[doc:policy-gold-pt-v2] Physical therapy is covered up to 20 visits per year. The copay for "
    "physical therapy is $30 per visit.";

// A vendor server for the first test profile, serving `formats`.
struct Live : testing::LiveVendor {
  explicit Live(std::vector<std::string> formats = {"openai", "anthropic"})
      : LiveVendor(5 * kMillisecond, 0, std::move(formats)) {}
};

std::string body(const Live& live, bool stream = false) {
  Json j = {{"model", live.model()},
            {"max_tokens", 256},
            {"system", "Answer only from the context."},
            {"messages", {{{"role", "user"}, {"content", kQuestion}}}}};
  if (stream) j["stream"] = true;
  return j.dump();
}

HttpResult post(const Live& live, const std::string& path, const std::string& b,
                HeaderList headers = {{"x-api-key", "k"}, {"anthropic-version", "2023-06-01"}}) {
  HttpRequest r;
  r.method = "POST";
  r.url = live.server.base_url() + path;
  r.body = b;
  r.headers = std::move(headers);
  r.headers.emplace_back("Content-Type", "application/json");
  r.timeout = kHangLimitUs;
  return http_request(r);
}

std::string http_post(const std::string& b) {
  return "POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
         "x-api-key: k\r\nanthropic-version: 2023-06-01\r\nContent-Length: " +
         std::to_string(b.size()) + "\r\nConnection: close\r\n\r\n" + b;
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("The vendor server answers a Messages request in Anthropic's shape", "[net][vendor][anthropic]") {
  Live live;
  const HttpResult r = post(live, "/messages", body(live));
  REQUIRE(r.status == 200);
  const Json j = Json::parse(r.body);
  REQUIRE(j["type"] == "message");
  REQUIRE(j["role"] == "assistant");
  REQUIRE(j["content"][0]["type"] == "text");
  REQUIRE(contains(j["content"][0]["text"].get<std::string>(), "20 visits"));
  REQUIRE(j["stop_reason"] == "end_turn");
  REQUIRE(j["usage"]["output_tokens"].get<int>() > 0);
  REQUIRE(contains(live.metrics.prometheus_text(), "route=\"/v1/messages\""));
}

TEST_CASE("The vendor server streams a message as Anthropic's events", "[net][vendor][anthropic]") {
  Live live;
  const Raw r = raw(live.server.port(), http_post(body(live, true)));
  REQUIRE(r.eof);
  REQUIRE(contains(r.data, "HTTP/1.1 200"));
  REQUIRE(contains(r.data, "event: message_start\n"));
  REQUIRE(contains(r.data, "\"type\":\"text_delta\""));
  REQUIRE(contains(r.data, "\"stop_reason\":\"end_turn\""));
  REQUIRE(contains(r.data, "event: message_stop\n"));
}

TEST_CASE("Messages requests without headers, with unknown models or to a vendor without the format get Anthropic errors", "[net][vendor][anthropic]") {
  Live live;
  HttpResult r = post(live, "/messages", body(live), {{"x-api-key", "k"}});
  REQUIRE(r.status == 400);
  REQUIRE(Json::parse(r.body)["error"]["type"] == "invalid_request_error");
  r = post(live, "/messages", body(live), {{"anthropic-version", "2023-06-01"}});
  REQUIRE(r.status == 401);
  Json unknown = Json::parse(body(live));
  unknown["model"] = "no-such-model";
  r = post(live, "/messages", unknown.dump());
  REQUIRE(r.status == 404);
  REQUIRE(Json::parse(r.body)["error"]["type"] == "not_found_error");

  Live openai_only({"openai"});
  r = post(openai_only, "/messages", body(openai_only));
  REQUIRE(r.status == 404);
  REQUIRE(Json::parse(r.body)["type"] == "error");
  Live anthropic_only({"anthropic"});
  r = post(anthropic_only, "/chat/completions", R"({"model":"m","messages":[{"role":"user","content":"hi"}]})");
  REQUIRE(r.status == 404);
  REQUIRE(Json::parse(r.body)["error"].contains("code"));
}

TEST_CASE("A 429 fault answers a rate_limit_error with retry-after and a 529 an overloaded_error", "[net][vendor][anthropic][faults]") {
  Live live;
  live.fault(R"({"id":"rl","target":"vendor:primary","kind":"error","status":429,"retry_after":"1500ms","first_n":1})");
  Raw r = raw(live.server.port(), http_post(body(live)));
  REQUIRE(contains(r.data, "HTTP/1.1 429"));
  REQUIRE(contains(r.data, "retry-after: 2\r\n"));
  Json j = Json::parse(r.data.substr(r.data.find("\r\n\r\n") + 4));
  REQUIRE(j["type"] == "error");
  REQUIRE(j["error"]["type"] == "rate_limit_error");
  live.fault(R"({"id":"ov","target":"vendor:primary","kind":"error","status":529,"first_n":1})");
  r = raw(live.server.port(), http_post(body(live)));
  REQUIRE(contains(r.data, "HTTP/1.1 529"));
  j = Json::parse(r.data.substr(r.data.find("\r\n\r\n") + 4));
  REQUIRE(j["error"]["type"] == "overloaded_error");
}

TEST_CASE("A fault limited to routes messages spares chat, and one limited to chat spares messages", "[net][vendor][anthropic][faults]") {
  Live live;
  live.fault(R"({"id":"m","target":"vendor:primary","kind":"error","status":500,"routes":["messages"]})");
  REQUIRE(post(live, "/messages", body(live)).status == 500);
  const std::string chat = Json{{"model", live.model()}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}}.dump();
  REQUIRE(post(live, "/chat/completions", chat).status == 200);
  Live other;
  other.fault(R"({"id":"c","target":"vendor:primary","kind":"error","status":500,"routes":["chat"]})");
  REQUIRE(post(other, "/messages", body(other)).status == 200);
  REQUIRE(post(other, "/chat/completions", chat).status == 500);
}

TEST_CASE("A stream_break fault cuts a streamed message before its message_delta", "[net][vendor][anthropic][faults]") {
  Live live;
  live.fault(R"({"id":"br","target":"vendor:primary","kind":"stream_break","after_tokens":2})");
  const Raw r = raw(live.server.port(), http_post(body(live, true)));
  REQUIRE(contains(r.data, "event: content_block_delta"));
  REQUIRE_FALSE(contains(r.data, "event: message_delta"));
  REQUIRE_FALSE(contains(r.data, "event: message_stop"));
}

TEST_CASE("The vendor server uses a tool on auto and answers the tool_result from it with a citation", "[net][vendor][anthropic][tools]") {
  Live live;
  const Json tool = {{"name", "get_prior_auth_status"},
                     {"description", "Look up the status of a prior authorization for a patient."},
                     {"input_schema", {{"type", "object"}, {"properties", {{"mrn", {{"type", "string"}}}}}, {"required", {"mrn"}}}}};
  const Json question = {{"role", "user"},
                         {"content", "Question: What is the prior authorization status for patient SYN-0012345?"}};
  Json req = {{"model", live.model()},
              {"max_tokens", 256},
              {"system", "Answer only from the context and cite [doc:ID]."},
              {"tools", {tool}},
              {"messages", {question}}};
  HttpResult r = post(live, "/messages", req.dump());
  REQUIRE(r.status == 200);
  const Json first = Json::parse(r.body);
  REQUIRE(first["stop_reason"] == "tool_use");
  const Json use = first["content"][0];
  REQUIRE(use["type"] == "tool_use");
  REQUIRE(use["input"] == Json{{"mrn", "SYN-0012345"}});
  req["messages"].push_back({{"role", "assistant"}, {"content", first["content"]}});
  req["messages"].push_back(
      {{"role", "user"},
       {"content", {{{"type", "tool_result"}, {"tool_use_id", use["id"]}, {"content", "[doc:pa-77] The prior authorization status is approved."}}}}});
  r = post(live, "/messages", req.dump());
  REQUIRE(r.status == 200);
  const Json answer = Json::parse(r.body);
  REQUIRE(answer["stop_reason"] == "end_turn");
  REQUIRE(answer["content"][0]["text"] == "The prior authorization status is approved. [doc:pa-77]");
}

TEST_CASE("An image block is refused with Anthropic's 400 naming the block", "[net][vendor][anthropic]") {
  Live live;
  const Json req = {{"model", live.model()},
                    {"max_tokens", 64},
                    {"messages",
                     {{{"role", "user"},
                       {"content",
                        {{{"type", "text"}, {"text", "What is in this scan?"}},
                         {{"type", "image"}, {"source", {{"type", "url"}, {"url", "https://example.org/x.png"}}}}}}}}}};
  const HttpResult r = post(live, "/messages", req.dump());
  REQUIRE(r.status == 400);
  const Json j = Json::parse(r.body);
  REQUIRE(j["type"] == "error");
  REQUIRE(j["error"]["type"] == "invalid_request_error");
  REQUIRE(j["error"]["message"] == "messages.0.content.1.type: image blocks are not supported by gameday's fake vendor");
}

namespace {

// A forced call of a coverage tool for patient SYN-0012345, in chat, Responses and Messages shapes.
const char* kCoverageSchema =
    R"({"type":"object","properties":{"patient_id":{"type":"string"}},"required":["patient_id"]})";
const char* kToolQuestion = "What is the PT visit limit for patient SYN-0012345?";

std::string chat_tool_request(const Live& live) {
  return Json{{"model", live.model()},
              {"tool_choice", "required"},
              {"tools", {{{"type", "function"},
                          {"function", {{"name", "get_coverage"}, {"parameters", Json::parse(kCoverageSchema)}}}}}},
              {"messages", {{{"role", "user"}, {"content", kToolQuestion}}}}}
      .dump();
}

std::string responses_tool_request(const Live& live) {
  return Json{{"model", live.model()},
              {"tool_choice", "required"},
              {"tools", {{{"type", "function"}, {"name", "get_coverage"}, {"parameters", Json::parse(kCoverageSchema)}}}},
              {"input", kToolQuestion}}
      .dump();
}

std::string messages_tool_request(const Live& live) {
  return Json{{"model", live.model()},
              {"max_tokens", 256},
              {"tool_choice", {{"type", "any"}}},
              {"tools", {{{"name", "get_coverage"}, {"input_schema", Json::parse(kCoverageSchema)}}}},
              {"messages", {{{"role", "user"}, {"content", kToolQuestion}}}}}
      .dump();
}

// The (name, patient_id) of the one tool call each format's answer holds.
std::vector<std::pair<std::string, std::string>> tool_calls_of_every_format(const Live& live) {
  std::vector<std::pair<std::string, std::string>> out;
  const Json chat = Json::parse(post(live, "/chat/completions", chat_tool_request(live)).body);
  const Json& call = chat["choices"][0]["message"]["tool_calls"][0]["function"];
  out.emplace_back(call["name"], Json::parse(call["arguments"].get<std::string>())["patient_id"]);
  const Json resp = Json::parse(post(live, "/responses", responses_tool_request(live)).body);
  const Json& item = resp["output"][0];
  out.emplace_back(item["name"], Json::parse(item["arguments"].get<std::string>())["patient_id"]);
  const Json msg = Json::parse(post(live, "/messages", messages_tool_request(live)).body);
  const Json& use = msg["content"][0];
  out.emplace_back(use["name"], use["input"]["patient_id"]);
  return out;
}

}  // namespace

TEST_CASE("Tool-flow faults shape the tool calls of chat, Responses and Messages alike", "[net][vendor][faults][tools]") {
  Live live;
  for (const auto& [name, patient] : tool_calls_of_every_format(live)) {
    CHECK(name == "get_coverage");
    CHECK(patient == "SYN-0012345");
  }
  live.fault(R"({"id":"args","target":"vendor:primary","kind":"tool_wrong_arguments"})");
  for (const auto& [name, patient] : tool_calls_of_every_format(live)) {
    CHECK(name == "get_coverage");
    CHECK(patient == "SYN-0012344");  // the neighbouring patient
  }
  REQUIRE(live.faults.remove("args"));
  live.fault(R"({"id":"write","target":"vendor:primary","kind":"forbidden_tool"})");
  for (const auto& [name, patient] : tool_calls_of_every_format(live)) {
    CHECK(name == "cancel_prior_auth");
    CHECK(patient == "SYN-0012345");
  }
}
