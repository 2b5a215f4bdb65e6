// The Anthropic Messages wire format without a server: request parsing and its 4xx answers,
// tool use through the shared tool-calling model, refused content, the message body, the stream's event sequence and
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
                      {"description", "Look up a patient's visits and claims."},
                      {"input_schema",
                       {{"type", "object"},
                        {"properties",
                         {{"patient_id", {{"type", "string"}}},
                          {"date", {{"type", "string"}}},
                          {"kind", {{"type", "string"}, {"enum", {"visit", "claim"}}}}}},
                        {"required", {"patient_id", "date", "kind"}}}}};
const Json kCoverage = {{"name", "check_coverage"},
                        {"description", "Check the coverage that applies to a plan benefit."},
                        {"input_schema", {{"type", "object"}, {"properties", {{"benefit", {{"type", "string"}}}}}}}};

ChatResponse reply(const std::string& content) {
  ChatResponse r;
  r.id = "chatcmpl-0042";
  r.content = content;
  return r;
}

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

TEST_CASE("tool_choice any gets a tool_use whose input comes from the ids, dates and enums of the prompt", "[net][anthropic][tools]") {
  const auto call = parsed(
      {{"model", "m"},
       {"max_tokens", 64},
       {"tools", {kLookup}},
       {"tool_choice", {{"type", "any"}}},
       {"messages", {{{"role", "user"}, {"content", "Question: visits of SYN-0012345 since 2026-03-01?"}}}}});
  REQUIRE(call.tool_turn.choice.mode == tools::ChoiceMode::kRequired);
  ChatResponse r;
  r.id = "chatcmpl-00ff";
  r.content = "text";
  anthropic::fit_answer(call, r);
  REQUIRE(r.tool_calls.size() == 1);
  REQUIRE(Json::parse(r.tool_calls[0].arguments) ==
          Json{{"patient_id", "SYN-0012345"}, {"date", "2026-03-01"}, {"kind", "visit"}});
  const Json m = Json::parse(anthropic::message_json(r, ""));
  REQUIRE(m["stop_reason"] == "tool_use");
  REQUIRE(m["content"].size() == 1);
  REQUIRE(m["content"][0]["type"] == "tool_use");
  REQUIRE(m["content"][0]["id"] == "toolu_00ff_0");
  REQUIRE(m["content"][0]["input"]["patient_id"] == "SYN-0012345");
}

TEST_CASE("tool_choice auto uses a tool when one applies and none never does", "[net][anthropic][tools]") {
  Json body = {{"model", "m"},
               {"max_tokens", 64},
               {"tools", {kLookup, kCoverage}},
               {"messages", {{{"role", "user"}, {"content", "Question: When was the last visit of patient SYN-0012345?"}}}}};
  ChatResponse r = reply("I cannot answer that from the provided records.");
  anthropic::fit_answer(parsed(body), r);
  REQUIRE(r.tool_calls.size() == 1);
  REQUIRE(r.tool_calls[0].name == "lookup_patient");
  REQUIRE(r.finish_reason == "tool_calls");
  body["tool_choice"] = {{"type", "none"}};
  ChatResponse none = reply("x");
  anthropic::fit_answer(parsed(body), none);
  REQUIRE(none.tool_calls.empty());
  SECTION("a question the context answers gets text") {
    body.erase("tool_choice");
    body["messages"][0]["content"] = "Question: When was the last visit?\n[doc:v-1] The last visit was on 2026-02-02.";
    ChatResponse grounded = reply("The last visit was on 2026-02-02.");
    anthropic::fit_answer(parsed(body), grounded);
    REQUIRE(grounded.tool_calls.empty());
  }
  SECTION("tool_choice tool calls the named tool") {
    body["tool_choice"] = {{"type", "tool"}, {"name", "check_coverage"}};
    ChatResponse named = reply("x");
    anthropic::fit_answer(parsed(body), named);
    REQUIRE(named.tool_calls.size() == 1);
    REQUIRE(named.tool_calls[0].name == "check_coverage");
  }
}

TEST_CASE("Several tools that apply give several tool_use blocks unless parallel use is disabled", "[net][anthropic][tools]") {
  Json body = {{"model", "m"},
               {"max_tokens", 64},
               {"tools", {kLookup, kCoverage}},
               {"messages",
                {{{"role", "user"},
                  {"content", "Question: When was the last visit of patient SYN-0012345 and what coverage applies to the plan benefit?"}}}}};
  ChatResponse both = reply("x");
  anthropic::fit_answer(parsed(body), both);
  REQUIRE(both.tool_calls.size() == 2);
  const Json m = Json::parse(anthropic::message_json(both, ""));
  REQUIRE(m["content"].size() == 2);
  REQUIRE(m["content"][1]["name"] == "check_coverage");
  REQUIRE(m["content"][1]["id"] == "toolu_0042_1");
  body["tool_choice"] = {{"type", "auto"}, {"disable_parallel_tool_use", true}};
  ChatResponse one = reply("x");
  anthropic::fit_answer(parsed(body), one);
  REQUIRE(one.tool_calls.size() == 1);
}

TEST_CASE("A turn carrying tool results is answered from them, not with another call", "[net][anthropic][tools]") {
  const auto call = parsed(
      {{"model", "m"},
       {"max_tokens", 64},
       {"tools", {kLookup}},
       {"messages",
        {{{"role", "user"}, {"content", "How many visits are left for patient SYN-0012345?"}},
         {{"role", "assistant"},
          {"content", {{{"type", "tool_use"}, {"id", "toolu_1"}, {"name", "lookup_patient"}, {"input", Json::object()}}}}},
         {{"role", "user"},
          {"content", {{{"type", "tool_result"}, {"tool_use_id", "toolu_1"}, {"content", "12 visits are left."}}}}}}}});
  REQUIRE(call.tool_turn.results.size() == 1);
  REQUIRE(call.tool_turn.results[0].call_id == "toolu_1");
  REQUIRE(call.tool_turn.results[0].content == "12 visits are left.");
  REQUIRE(call.request.messages.back().role == "tool");
  ChatResponse r = reply("12 visits are left. [doc:toolu_1]");
  anthropic::fit_answer(call, r);
  REQUIRE(r.tool_calls.empty());
  const ChatRequest answered = tools::with_tool_results(call.request, call.tool_turn.results);
  REQUIRE(answered.messages[0].content.find("[doc:toolu_1] 12 visits are left.") != std::string::npos);
}

TEST_CASE("tool_use and tool_result blocks that do not pair up get Anthropic's 400", "[net][anthropic][tools]") {
  const Json use = {{"role", "assistant"},
                    {"content", {{{"type", "tool_use"}, {"id", "toolu_1"}, {"name", "lookup_patient"}, {"input", Json::object()}}}}};
  REQUIRE(parse_error({{"model", "m"},
                       {"max_tokens", 8},
                       {"messages", {{{"role", "user"}, {"content", "q"}}, use, {{"role", "user"}, {"content", "next"}}}}}) ==
          "messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_1. Each "
          "`tool_use` block must have a corresponding `tool_result` block in the next message.");
  REQUIRE(parse_error({{"model", "m"},
                       {"max_tokens", 8},
                       {"messages",
                        {{{"role", "user"},
                          {"content", {{{"type", "tool_result"}, {"tool_use_id", "toolu_9"}, {"content", "x"}}}}}}}}) ==
          "messages.0.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_9. Each "
          "`tool_result` block must have a corresponding `tool_use` block in the previous message.");
}

TEST_CASE("Image blocks, PDF documents, citations, thinking, server tools and tools without a schema are refused naming the field", "[net][anthropic]") {
  const Json image = {{"type", "image"}, {"source", {{"type", "base64"}, {"media_type", "image/png"}, {"data", "iVBOR"}}}};
  auto with_block = [](const Json& block) {
    return Json{{"model", "m"},
                {"max_tokens", 8},
                {"messages", {{{"role", "user"}, {"content", {{{"type", "text"}, {"text", "Question: q"}}, block}}}}}};
  };
  REQUIRE(parse_error(with_block(image)) ==
          "messages.0.content.1.type: image blocks are not supported by gameday's fake vendor");
  const Json pdf = {{"type", "document"}, {"source", {{"type", "base64"}, {"media_type", "application/pdf"}, {"data", "JVBER"}}}};
  REQUIRE(parse_error(with_block(pdf)).starts_with("messages.0.content.1.source.type: document blocks with a 'base64' source"));
  const Json url = {{"type", "document"}, {"source", {{"type", "url"}, {"url", "https://example.org/a.pdf"}}}};
  REQUIRE(parse_error(with_block(url)).starts_with("messages.0.content.1.source.type:"));
  const Json cited = {{"type", "document"},
                      {"source", {{"type", "text"}, {"media_type", "text/plain"}, {"data", "x"}}},
                      {"citations", {{"enabled", true}}}};
  REQUIRE(parse_error(with_block(cited)) == "messages.0.content.1.citations: citations are not supported by gameday's fake vendor");
  REQUIRE(parse_error(with_block({{"type", "thinking"}, {"thinking", "hm"}, {"signature", "s"}}))
              .starts_with("messages.0.content.1.type: thinking blocks"));
  Json thinking = with_block({{"type", "text"}, {"text", "more"}});
  thinking["thinking"] = {{"type", "enabled"}, {"budget_tokens", 1024}};
  REQUIRE(parse_error(thinking) == "thinking: extended thinking is not supported by gameday's fake vendor");
  thinking["thinking"] = {{"type", "disabled"}};
  parsed(thinking);
  Json server_tool = with_block({{"type", "text"}, {"text", "more"}});
  server_tool["tools"] = {{{"type", "web_search_20250305"}, {"name", "web_search"}}};
  REQUIRE(parse_error(server_tool).starts_with("tools.0.type: server tools ('web_search_20250305')"));
  Json schemaless = with_block({{"type", "text"}, {"text", "more"}});
  schemaless["tools"] = {{{"name", "lookup"}}};
  REQUIRE(parse_error(schemaless) == "tools.0.input_schema: Field required");
  schemaless["tools"] = {{{"name", "lookup"}, {"input_schema", "object"}}};
  REQUIRE(parse_error(schemaless) == "tools.0.input_schema: Input should be a valid dictionary");
}

TEST_CASE("A text document is read as a context block the answer can cite", "[net][anthropic]") {
  const auto call = parsed(
      {{"model", "m"},
       {"max_tokens", 64},
       {"messages",
        {{{"role", "user"},
          {"content",
           {{{"type", "document"},
             {"title", "Gold plan PT"},
             {"source", {{"type", "text"}, {"media_type", "text/plain"}, {"data", "Physical therapy is covered up to 20 visits.\nCopay $30."}}}},
            {{"type", "document"}, {"source", {{"type", "text"}, {"media_type", "text/plain"}, {"data", "Untitled."}}}},
            {{"type", "text"}, {"text", "Question: How many visits are covered?"}}}}}}}});
  REQUIRE(call.request.messages[0].content ==
          "Question: How many visits are covered?\n[doc:Gold-plan-PT] Physical therapy is covered up to 20 visits. Copay "
          "$30.\n[doc:document-2] Untitled.");
}

TEST_CASE("temperature, top_p and top_k are range-checked and otherwise accepted", "[net][anthropic]") {
  Json body = {{"model", "m"}, {"max_tokens", 8}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}};
  body["temperature"] = 0.7;
  body["top_p"] = 0.9;
  body["top_k"] = 40;
  parsed(body);
  body["temperature"] = 1.5;
  REQUIRE(parse_error(body) == "temperature: Input should be less than or equal to 1");
  body["temperature"] = "hot";
  REQUIRE(parse_error(body) == "temperature: Input should be a valid number");
  body["temperature"] = 0;
  body["top_p"] = -0.1;
  REQUIRE(parse_error(body) == "top_p: Input should be greater than or equal to 0");
  body["top_p"] = 1;
  body["top_k"] = 2.5;
  REQUIRE(parse_error(body) == "top_k: Input should be a valid integer");
  body["top_k"] = -2;
  REQUIRE(parse_error(body) == "top_k: Input should be greater than or equal to 0");
  // -1 is "not set", as LangChain sends it.
  body["top_k"] = -1;
  body["top_p"] = -1;
  parsed(body);
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
