// The Anthropic Messages wire format without a server: request parsing and its 4xx answers,
// forced tool use filled from the prompt, the message body, the stream's event sequence and
// the error shapes of vendor outcomes.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "net/anthropic_wire.hpp"

using namespace gameday;
using namespace gameday::net;
using Json = nlohmann::json;

namespace {

anthropic::MessagesCall parsed(const Json& body) {
  anthropic::MessagesCall call;
  anthropic::WireError err;
  INFO(err.message);
  REQUIRE(anthropic::parse_messages_request(body.dump(), call, err));
  return call;
}

std::string parse_error(const Json& body) {
  anthropic::MessagesCall call;
  anthropic::WireError err;
  REQUIRE_FALSE(anthropic::parse_messages_request(body.dump(), call, err));
  REQUIRE(err.status == 400);
  REQUIRE(err.type == "invalid_request_error");
  return err.message;
}

const Json kLookup = {{"name", "lookup_patient"},
                      {"input_schema",
                       {{"type", "object"},
                        {"properties",
                         {{"patient_id", {{"type", "string"}}},
                          {"date", {{"type", "string"}}},
                          {"kind", {{"type", "string"}, {"enum", {"visit", "claim"}}}}}},
                        {"required", {"patient_id", "date", "kind"}}}}};

}  // namespace

TEST_CASE("A Messages request needs model, max_tokens and messages", "[net][anthropic]") {
  const Json ok = {{"model", "m"}, {"max_tokens", 64}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}};
  Json j = ok;
  j.erase("max_tokens");
  REQUIRE(parse_error(j) == "max_tokens: Field required");
  j = ok;
  j.erase("model");
  REQUIRE(parse_error(j) == "model: Field required");
  j = ok;
  j["messages"] = Json::array();
  REQUIRE(parse_error(j).starts_with("messages:"));
  j = ok;
  j["messages"][0]["role"] = "tool";
  REQUIRE(parse_error(j).starts_with("messages.0.role"));
  REQUIRE(parse_error(Json("not an object")) == "The request body is not valid JSON");
}

TEST_CASE("The system prompt and text blocks reach the model as chat messages", "[net][anthropic]") {
  const auto call = parsed({{"model", "m"},
                            {"max_tokens", 64},
                            {"stream", true},
                            {"system", {{{"type", "text"}, {"text", "Cite sources."}}}},
                            {"messages", {{{"role", "user"}, {"content", {{{"type", "text"}, {"text", "Question: x"}}}}}}}});
  REQUIRE(call.stream);
  REQUIRE(call.request.route == kMessagesRoute);
  REQUIRE(call.request.messages.size() == 2);
  REQUIRE(call.request.messages[0].role == "system");
  REQUIRE(call.request.messages[0].content == "Cite sources.");
  REQUIRE(call.request.messages[1].content == "Question: x");
}

TEST_CASE("Messages requests need an API key and an anthropic-version header", "[net][anthropic]") {
  anthropic::WireError err;
  REQUIRE_FALSE(anthropic::check_headers({{"anthropic-version", "2023-06-01"}}, err));
  REQUIRE(err.status == 401);
  REQUIRE(err.type == "authentication_error");
  REQUIRE_FALSE(anthropic::check_headers({{"X-Api-Key", "k"}}, err));
  REQUIRE(err.status == 400);
  REQUIRE(err.message.find("anthropic-version") != std::string::npos);
  REQUIRE(anthropic::check_headers({{"X-Api-Key", "k"}, {"Anthropic-Version", "2023-06-01"}}, err));
  REQUIRE(anthropic::check_headers({{"authorization", "Bearer t"}, {"anthropic-version", "2023-06-01"}}, err));
}

TEST_CASE("A forced tool gets its input from the ids, dates and enums of the prompt", "[net][anthropic]") {
  const auto call = parsed(
      {{"model", "m"},
       {"max_tokens", 64},
       {"tools", {kLookup}},
       {"tool_choice", {{"type", "any"}}},
       {"messages", {{{"role", "user"}, {"content", "Question: visits of SYN-0012345 since 2026-03-01?"}}}}});
  const anthropic::ToolDef* tool = anthropic::forced_tool(call);
  REQUIRE(tool != nullptr);
  REQUIRE(tool->name == "lookup_patient");
  const Json input = Json::parse(anthropic::tool_input(*tool, call.prompt_text));
  REQUIRE(input == Json{{"patient_id", "SYN-0012345"}, {"date", "2026-03-01"}, {"kind", "visit"}});
  ChatResponse r;
  r.id = "chatcmpl-00ff";
  r.content = "text";
  anthropic::use_tool(*tool, call.prompt_text, r);
  const Json m = Json::parse(anthropic::message_json(r, ""));
  REQUIRE(m["stop_reason"] == "tool_use");
  REQUIRE(m["content"].size() == 1);
  REQUIRE(m["content"][0]["type"] == "tool_use");
  REQUIRE(m["content"][0]["id"] == "toolu_00ff");
  REQUIRE(m["content"][0]["input"]["patient_id"] == "SYN-0012345");
}

TEST_CASE("A turn carrying tool results is answered from them, not with another call", "[net][anthropic]") {
  const auto call = parsed(
      {{"model", "m"},
       {"max_tokens", 64},
       {"tools", {kLookup}},
       {"tool_choice", {{"type", "tool"}, {"name", "lookup_patient"}}},
       {"messages",
        {{{"role", "user"}, {"content", "How many visits are left?"}},
         {{"role", "assistant"},
          {"content", {{{"type", "tool_use"}, {"id", "toolu_1"}, {"name", "lookup_patient"}, {"input", Json::object()}}}}},
         {{"role", "user"},
          {"content", {{{"type", "tool_result"}, {"tool_use_id", "toolu_1"}, {"content", "12 visits are left."}}}}}}}});
  REQUIRE(anthropic::forced_tool(call) == nullptr);
  REQUIRE(call.request.messages.back().content ==
          "Question: How many visits are left?\n[doc:toolu_1] 12 visits are left.\n");
}

TEST_CASE("A named tool that was not offered is a 400", "[net][anthropic]") {
  REQUIRE(parse_error({{"model", "m"},
                       {"max_tokens", 8},
                       {"tools", {kLookup}},
                       {"tool_choice", {{"type", "tool"}, {"name", "other"}}},
                       {"messages", {{{"role", "user"}, {"content", "hi"}}}}})
              .starts_with("tool_choice.name"));
}

TEST_CASE("A stop sequence cuts the answer and is reported", "[net][anthropic]") {
  ChatResponse r;
  r.id = "chatcmpl-1";
  r.content = "Twenty visits. END more";
  const std::string stop = anthropic::apply_stop_sequences({"zzz", " END"}, r);
  REQUIRE(stop == " END");
  REQUIRE(r.content == "Twenty visits.");
  const Json m = Json::parse(anthropic::message_json(r, stop));
  REQUIRE(m["stop_reason"] == "stop_sequence");
  REQUIRE(m["stop_sequence"] == " END");
}

TEST_CASE("A streamed message follows Anthropic's event sequence", "[net][anthropic]") {
  ChatResponse r;
  r.id = "chatcmpl-ab";
  r.model = "m";
  r.content = "Two words";
  r.usage.completion_tokens = 2;
  std::vector<std::string> names;
  int tokens = 0;
  for (const auto& e : anthropic::stream_events(r, "")) {
    REQUIRE(e.data.starts_with("event: "));
    REQUIRE(e.data.ends_with("\n\n"));
    names.push_back(e.data.substr(7, e.data.find('\n') - 7));
    tokens += e.token ? 1 : 0;
  }
  REQUIRE(names == std::vector<std::string>{"message_start", "content_block_start", "ping", "content_block_delta",
                                            "content_block_delta", "content_block_stop", "message_delta",
                                            "message_stop"});
  REQUIRE(tokens == 2);
}

TEST_CASE("Vendor errors take Anthropic's types and retry headers", "[net][anthropic]") {
  VendorOutcome o;
  o.status = 529;
  REQUIRE(anthropic::outcome_error(o).type == "overloaded_error");
  o.status = 500;
  REQUIRE(anthropic::outcome_error(o).type == "api_error");
  o.status = 429;
  const auto e = anthropic::outcome_error(o);
  REQUIRE(e.type == "rate_limit_error");
  const ServerResponse resp = anthropic::error_response(e, 2 * kSecond);
  REQUIRE(resp.status == 429);
  const Json body = Json::parse(resp.body);
  REQUIRE(body["type"] == "error");
  REQUIRE(body["error"]["type"] == "rate_limit_error");
  bool retry_after = false;
  for (const auto& [k, v] : resp.headers) retry_after = retry_after || (k == "retry-after" && v == "2");
  REQUIRE(retry_after);
}
