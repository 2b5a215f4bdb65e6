// The OpenAI wire format without a network: request parsing, error bodies, SSE chunk shapes.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "net/openai_wire.hpp"

using namespace gameday;
using namespace gameday::net;
using Json = nlohmann::json;

namespace {

openai::WireError parse_error(const std::string& body) {
  openai::ChatCall call;
  openai::WireError err;
  REQUIRE_FALSE(openai::parse_chat_request(body, call, err));
  return err;
}

// The JSON payloads of an SSE stream (without [DONE]).
std::vector<Json> payloads(const std::vector<openai::StreamEvent>& events) {
  std::vector<Json> out;
  for (const auto& e : events) {
    REQUIRE(e.data.rfind("data: ", 0) == 0);
    REQUIRE(e.data.size() >= 2);
    REQUIRE(e.data.substr(e.data.size() - 2) == "\n\n");
    const std::string p = e.data.substr(6, e.data.size() - 8);
    if (p == "[DONE]") continue;
    out.push_back(Json::parse(p));
  }
  return out;
}

ChatResponse sample_response() {
  ChatResponse r;
  r.id = "chatcmpl-abc";
  r.model = "nw-clinical-large";
  r.content = "Physical therapy needs prior authorization.";
  r.usage = ChatUsage{12, 9, 21};
  return r;
}

// The chat.completion body built as a JSON tree and dumped: the reference completion_json is
// held to (nlohmann's dump() writes the short escapes \n, \t and throws on malformed UTF-8).
std::string completion_tree(const ChatResponse& r, long long created) {
  nlohmann::ordered_json message;
  message["role"] = "assistant";
  message["content"] = r.content.empty() && !r.tool_calls.empty() ? nlohmann::ordered_json(nullptr)
                                                                  : nlohmann::ordered_json(r.content);
  for (const ToolCall& tc : r.tool_calls) {
    message["tool_calls"].push_back(
        {{"id", tc.id}, {"type", "function"}, {"function", {{"name", tc.name}, {"arguments", tc.arguments}}}});
  }
  nlohmann::ordered_json j;
  j["id"] = r.id;
  j["object"] = "chat.completion";
  j["created"] = created;
  j["model"] = r.model;
  j["system_fingerprint"] = openai::system_fingerprint(r.model);
  message["refusal"] = nullptr;
  j["choices"] = {{{"index", 0}, {"message", message}, {"logprobs", nullptr}, {"finish_reason", r.finish_reason}}};
  j["usage"] = {{"prompt_tokens", r.usage.prompt_tokens},
                {"completion_tokens", r.usage.completion_tokens},
                {"total_tokens", r.usage.total_tokens}};
  return j.dump();
}

bool has_control(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; });
}

}  // namespace

TEST_CASE("Chat request parsing reads model, messages, limits, stream options and metadata", "[net][openai]") {
  openai::ChatCall call;
  openai::WireError err;
  const std::string body = R"({"model":"nw-clinical-large",
    "messages":[{"role":"system","content":"Answer only from the context."},
                {"role":"user","content":[{"type":"text","text":"Question: "},{"type":"text","text":"PT?"}]}],
    "max_completion_tokens":64,"max_tokens":999,"temperature":0.2,"stream":true,
    "stream_options":{"include_usage":true},"metadata":{"task_type":"prior_auth"},
    "tools":[{"type":"function","function":{"name":"lookup","parameters":{"type":"object"}}}],
    "seed":7,"user":"u-1"})";
  REQUIRE(openai::parse_chat_request(body, call, err));
  REQUIRE(call.request.model == "nw-clinical-large");
  REQUIRE(call.request.messages.size() == 2);
  REQUIRE(call.request.messages[0].role == "system");
  REQUIRE(call.request.messages[1].content == "Question: PT?");
  REQUIRE(call.request.max_tokens == 64);
  REQUIRE(call.stream);
  REQUIRE(call.include_usage);
  REQUIRE(call.request.task_type == "prior_auth");
  REQUIRE(call.tool_count == 1);
  REQUIRE_FALSE(call.request.json_output);
}

TEST_CASE("Chat request parsing turns json_object and json_schema formats into JSON output", "[net][openai]") {
  openai::ChatCall call;
  openai::WireError err;
  REQUIRE(openai::parse_chat_request(
      R"({"messages":[{"role":"user","content":"q"}],"response_format":{"type":"json_object"}})", call, err));
  REQUIRE(call.request.json_output);
  REQUIRE(openai::parse_chat_request(
      R"({"messages":[{"role":"user","content":"q"}],"response_format":{"type":"json_schema",
          "json_schema":{"name":"answer","schema":{"type":"object"},"strict":true}}})", call, err));
  REQUIRE(call.request.json_output);
  REQUIRE(openai::parse_chat_request(
      R"({"messages":[{"role":"user","content":"q"}],"response_format":{"type":"text"}})", call, err));
  REQUIRE_FALSE(call.request.json_output);
}

TEST_CASE("Chat request parsing names the field at fault", "[net][openai]") {
  SECTION("a body that is not JSON") {
    const auto e = parse_error("{\"messages\": [");
    REQUIRE(e.status == 400);
    REQUIRE(e.type == "invalid_request_error");
    REQUIRE(e.param.empty());
    REQUIRE(e.message.find("JSON") != std::string::npos);
  }
  SECTION("missing messages") {
    const auto e = parse_error(R"({"model":"m"})");
    REQUIRE(e.param == "messages");
    REQUIRE(e.code == "missing_required_parameter");
  }
  SECTION("an image part, which a text-only model refuses") {
    const auto e = parse_error(
        R"({"messages":[{"role":"user","content":[{"type":"text","text":"hi"},{"type":"image_url","image_url":{"url":"x"}}]}]})");
    REQUIRE(e.status == 400);
    REQUIRE(e.param == "messages[0].content[1].type");
    REQUIRE(e.code == "unsupported_value");
    REQUIRE(e.message.find("image_url is only supported by certain models") != std::string::npos);
  }
  SECTION("messages of the wrong type") {
    const auto e = parse_error(R"({"messages":"hello"})");
    REQUIRE(e.param == "messages");
    REQUIRE(e.code == "invalid_type");
  }
  SECTION("an unknown role") {
    REQUIRE(parse_error(R"({"messages":[{"role":"wizard","content":"x"}]})").param == "messages[0].role");
  }
  SECTION("content of the wrong type") {
    REQUIRE(parse_error(R"({"messages":[{"role":"user","content":"a"},{"role":"user","content":7}]})").param ==
            "messages[1].content");
  }
  SECTION("max_tokens out of range") {
    REQUIRE(parse_error(R"({"messages":[{"role":"user","content":"a"}],"max_tokens":0})").param == "max_tokens");
  }
  SECTION("stream not a boolean") {
    REQUIRE(parse_error(R"({"messages":[{"role":"user","content":"a"}],"stream":"yes"})").param == "stream");
  }
  SECTION("an unknown response format") {
    REQUIRE(parse_error(R"({"messages":[{"role":"user","content":"a"}],"response_format":{"type":"xml"}})")
                .param == "response_format.type");
  }
  SECTION("a json_schema format without its schema") {
    REQUIRE(parse_error(R"({"messages":[{"role":"user","content":"a"}],"response_format":{"type":"json_schema"}})")
                .param == "response_format.json_schema");
  }
  SECTION("a tool without a name") {
    REQUIRE(parse_error(R"({"messages":[{"role":"user","content":"a"}],"tools":[{"type":"function","function":{}}]})")
                .param == "tools[0].function.name");
  }
  SECTION("metadata values that are not strings") {
    REQUIRE(parse_error(R"({"messages":[{"role":"user","content":"a"}],"metadata":{"task_type":3}})").param ==
            "metadata.task_type");
  }
}

TEST_CASE("A chat completion has the OpenAI shape", "[net][openai]") {
  ChatResponse r = sample_response();
  r.content = "Follow-up plan: see \"primary care\" in 7 days.";
  const Json j = Json::parse(openai::completion_json(r, 1700000000));
  REQUIRE(j["id"] == r.id);
  REQUIRE(j["object"] == "chat.completion");
  REQUIRE(j["created"] == 1700000000);
  REQUIRE(j["model"] == r.model);
  REQUIRE(j["choices"].size() == 1);
  REQUIRE(j["choices"][0]["index"] == 0);
  REQUIRE(j["choices"][0]["message"]["role"] == "assistant");
  REQUIRE(j["choices"][0]["message"]["content"] == r.content);
  REQUIRE_FALSE(j["choices"][0]["message"].contains("tool_calls"));
  REQUIRE(j["choices"][0]["finish_reason"] == "stop");
  REQUIRE(j["usage"] == Json{{"prompt_tokens", 12}, {"completion_tokens", 9}, {"total_tokens", 21}});
}

TEST_CASE("A chat completion of tool calls has null content and the calls as functions", "[net][openai]") {
  ChatResponse r = sample_response();
  r.content.clear();
  r.finish_reason = "tool_calls";
  r.tool_calls = {ToolCall{"call_1", "export_records", R"({"patient": "SYN-0000001"})"},
                  ToolCall{"call_2", "lookup", "{}"}};
  const Json j = Json::parse(openai::completion_json(r, 1));
  const Json& msg = j["choices"][0]["message"];
  REQUIRE(msg["content"].is_null());
  REQUIRE(msg["tool_calls"].size() == 2);
  REQUIRE(msg["tool_calls"][0] == Json{{"id", "call_1"}, {"type", "function"},
                                      {"function", {{"name", "export_records"},
                                                    {"arguments", R"({"patient": "SYN-0000001"})"}}}});
  REQUIRE(msg["tool_calls"][1]["function"]["name"] == "lookup");
  REQUIRE(j["choices"][0]["finish_reason"] == "tool_calls");
}

TEST_CASE("A chat completion reads back as the JSON tree of the response for any text", "[net][openai]") {
  ChatResponse r = sample_response();
  const std::vector<std::string> texts = {
      "",
      "Plain answer. [doc:policy-gold-pt-v2]",
      "Quotes \"and\" back\\slashes / slash, tabs\tnewlines\ncr\r bs\b ff\f",
      "controls \x01\x1f and DEL \x7f",
      "UTF-8: caf\xc3\xa9, \xe2\x82\xac 20, \xf0\x9f\x98\x80, \xed\x9f\xbf, \xf4\x8f\xbf\xbf",
  };
  for (const auto& text : texts) {
    INFO(text);
    r.content = text;
    r.tool_calls.clear();
    r.finish_reason = "stop";
    const std::string plain = openai::completion_json(r, 1700000000);
    CHECK(Json::parse(plain) == Json::parse(completion_tree(r, 1700000000)));
    // Without control characters the bytes are the tree's compact dump, key order included.
    if (!has_control(text)) CHECK(plain == completion_tree(r, 1700000000));
    r.tool_calls.push_back(ToolCall{"call_1", "lookup_patient", "{\"mrn\":\"SYN-0000001\"}"});
    r.tool_calls.push_back(ToolCall{"call_2", "search\n", text});
    r.finish_reason = "tool_calls";
    CHECK(Json::parse(openai::completion_json(r, 1700000000)) == Json::parse(completion_tree(r, 1700000000)));
    r.content.clear();
    CHECK(Json::parse(openai::completion_json(r, -1)) == Json::parse(completion_tree(r, -1)));
  }
}

TEST_CASE("A chat completion of malformed UTF-8 is valid JSON with U+FFFD for each bad byte", "[net][openai]") {
  // A lone continuation byte, an overlong, a surrogate, a cut sequence.
  ChatResponse r = sample_response();
  const std::string fffd = "\xef\xbf\xbd";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"\x80", fffd}, {"\xc0\xaf", fffd + fffd}, {"\xed\xa0\x80", fffd + fffd + fffd},
      {"ab\xe2\x82", "ab" + fffd + fffd}};
  for (const auto& [bad, read_back] : cases) {
    r.content = bad;
    r.tool_calls = {ToolCall{"call_1", "f", bad}};
    const std::string body = openai::completion_json(r, 1);
    REQUIRE(body.find("\\ufffd") != std::string::npos);
    const Json j = Json::parse(body);
    CHECK(j["choices"][0]["message"]["content"] == read_back);
    CHECK(j["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] == read_back);
  }
}

TEST_CASE("Error bodies have message, type, param and code, null when empty", "[net][openai]") {
  openai::WireError e;
  e.message = "Rate limit reached";
  e.type = "rate_limit_error";
  e.code = "rate_limit_exceeded";
  const Json j = Json::parse(openai::error_json(e));
  REQUIRE(j["error"]["message"] == "Rate limit reached");
  REQUIRE(j["error"]["type"] == "rate_limit_error");
  REQUIRE(j["error"]["param"].is_null());
  REQUIRE(j["error"]["code"] == "rate_limit_exceeded");
  // A vendor outcome's error, as the vendor server sends it.
  VendorOutcome o;
  o.status = 503;
  o.error = VendorError{"upstream overloaded", "server_error", ""};
  const Json j2 = Json::parse(openai::error_json(openai::outcome_error(o)));
  REQUIRE(j2 == Json{{"error", {{"message", "upstream overloaded"}, {"type", "server_error"},
                                {"param", nullptr}, {"code", nullptr}}}});
  REQUIRE(openai::outcome_error(o).status == 503);
}

TEST_CASE("Error headers carry retry-after in seconds and milliseconds", "[net][openai]") {
  const HeaderList h = openai::error_headers(429, 1500 * kMillisecond);
  REQUIRE(h == HeaderList{{"retry-after", "2"}, {"retry-after-ms", "1500"}, {"x-should-retry", "true"}});
  REQUIRE(openai::error_headers(400, 0).empty());
}

TEST_CASE("A streamed answer is a role chunk, content pieces, a finish chunk, usage and DONE", "[net][openai]") {
  const ChatResponse r = sample_response();
  const auto events = openai::stream_events(r, 1700000000, true);
  REQUIRE(events.back().data == "data: [DONE]\n\n");
  const auto chunks = payloads(events);
  std::string content;
  for (const auto& c : chunks) {
    REQUIRE(c["id"] == "chatcmpl-abc");
    REQUIRE(c["object"] == "chat.completion.chunk");
    REQUIRE(c["created"] == 1700000000);
    REQUIRE(c["model"] == "nw-clinical-large");
    REQUIRE(c.contains("usage"));
    if (!c["choices"].empty() && c["choices"][0]["delta"].contains("content")) {
      content += c["choices"][0]["delta"]["content"].get<std::string>();
    }
  }
  REQUIRE(content == r.content);
  REQUIRE(chunks.front()["choices"][0]["delta"]["role"] == "assistant");
  const Json& finish = chunks[chunks.size() - 2];
  REQUIRE(finish["choices"][0]["finish_reason"] == "stop");
  REQUIRE(finish["usage"].is_null());
  const Json& usage = chunks.back();
  REQUIRE(usage["choices"].empty());
  REQUIRE(usage["usage"]["total_tokens"] == 21);
  int tokens = 0;
  for (const auto& e : events) tokens += e.token ? 1 : 0;
  REQUIRE(tokens == 5);  // five words
}

TEST_CASE("A streamed tool call comes as tool_calls deltas with an index", "[net][openai]") {
  ChatResponse r = sample_response();
  r.content.clear();
  r.finish_reason = "tool_calls";
  r.tool_calls.push_back(ToolCall{"call_1", "export_records", R"({"patient": "current patient"})"});
  const auto chunks = payloads(openai::stream_events(r, 1, false));
  REQUIRE_FALSE(chunks[0].contains("usage"));
  const Json& head = chunks[1]["choices"][0]["delta"]["tool_calls"][0];
  REQUIRE(head["index"] == 0);
  REQUIRE(head["id"] == "call_1");
  REQUIRE(head["type"] == "function");
  REQUIRE(head["function"]["name"] == "export_records");
  std::string args;
  for (std::size_t i = 2; i + 1 < chunks.size(); ++i) {
    const Json& frag = chunks[i]["choices"][0]["delta"]["tool_calls"][0];
    REQUIRE(frag["index"] == 0);
    args += frag["function"]["arguments"].get<std::string>();
  }
  REQUIRE(args == r.tool_calls[0].arguments);
  REQUIRE(chunks.back()["choices"][0]["finish_reason"] == "tool_calls");
}

TEST_CASE("Stream pieces are words with their leading whitespace and give back the text", "[net][openai]") {
  const auto pieces = openai::split_pieces("  Hello  big\nworld.");
  REQUIRE(pieces == std::vector<std::string>{"  Hello", "  big", "\nworld."});
  REQUIRE(openai::split_pieces("").empty());
}

TEST_CASE("Embedding requests take a string or an array and honour dimensions", "[net][openai]") {
  openai::EmbeddingCall call;
  openai::WireError err;
  REQUIRE(openai::parse_embedding_request(R"({"model":"e","input":"prior auth","dimensions":8})", call, err));
  REQUIRE(call.inputs == std::vector<std::string>{"prior auth"});
  REQUIRE(call.dimensions == 8);
  REQUIRE(openai::parse_embedding_request(R"({"input":["a","b"],"encoding_format":"base64"})", call, err));
  REQUIRE(call.inputs.size() == 2);
  REQUIRE(call.base64);
  REQUIRE_FALSE(openai::parse_embedding_request(R"({"model":"e"})", call, err));
  REQUIRE(err.param == "input");
  REQUIRE_FALSE(openai::parse_embedding_request(R"({"input":"x","dimensions":0})", call, err));
  REQUIRE(err.param == "dimensions");
  REQUIRE_FALSE(openai::parse_embedding_request(R"({"input":["x",{}]})", call, err));
  REQUIRE(err.param == "input[1]");
}

TEST_CASE("Embedding requests over the input and size limits are refused naming the field", "[net][openai]") {
  openai::EmbeddingCall call;
  openai::WireError err;
  std::string body = R"({"input":[)";
  for (std::size_t k = 0; k <= openai::kMaxEmbeddingInputs; ++k) body += k ? ",\"x\"" : "\"x\"";
  body += "]}";
  REQUIRE_FALSE(openai::parse_embedding_request(body, call, err));
  CHECK(err.param == "input");
  CHECK(err.message == "Invalid value for 'input': array too long. Expected an array with maximum length 2048, "
                       "but got an array with length 2049 instead.");
  // A token array of any length is one input.
  std::string tokens = R"({"input":[)";
  for (int k = 0; k < 5000; ++k) tokens += k ? ",7" : "7";
  REQUIRE(openai::parse_embedding_request(tokens + "]}", call, err));
  CHECK(call.inputs.size() == 1);
  REQUIRE(openai::parse_embedding_request(R"({"input":["a","b"],"dimensions":8192})", call, err));
  std::string wide = R"({"dimensions":4096,"input":[)";
  for (int k = 0; k < 1000; ++k) wide += k ? ",\"x\"" : "\"x\"";
  REQUIRE_FALSE(openai::parse_embedding_request(wide + "]}", call, err));
  CHECK(err.param == "dimensions");
  CHECK(err.code == "invalid_value");
}

TEST_CASE("Embedding vectors are deterministic unit vectors that differ by input", "[net][openai]") {
  const auto a = openai::embedding_vector("physical therapy visits", 64);
  const auto b = openai::embedding_vector("physical therapy visits", 64);
  const auto c = openai::embedding_vector("dental cleaning", 64);
  REQUIRE(a.size() == 64);
  REQUIRE(a == b);
  REQUIRE(a != c);
  double norm = 0;
  for (float x : a) norm += double(x) * x;
  REQUIRE(std::abs(norm - 1.0) < 1e-4);
  const Json j = Json::parse(openai::embeddings_json(openai::EmbeddingCall{"e", {"x", "y"}, 4, false}));
  REQUIRE(j["object"] == "list");
  REQUIRE(j["data"].size() == 2);
  REQUIRE(j["data"][1]["index"] == 1);
  REQUIRE(j["data"][0]["embedding"].size() == 4);
  const Json b64 = Json::parse(openai::embeddings_json(openai::EmbeddingCall{"e", {"x"}, 3, true}));
  REQUIRE(b64["data"][0]["embedding"].get<std::string>().size() == 16);  // 12 bytes
}

TEST_CASE("The models list names the profile's models", "[net][openai]") {
  VendorProfile p;
  p.id = "primary";
  p.models = {"nw-clinical-large"};
  const Json j = Json::parse(openai::models_json(p));
  REQUIRE(j["object"] == "list");
  REQUIRE(j["data"][0]["id"] == "nw-clinical-large");
  REQUIRE(j["data"][0]["object"] == "model");
}

namespace {

const char* kToolsBody = R"("tools":[
  {"type":"function","function":{"name":"get_prior_auth_status",
    "description":"Look up the status of a prior authorization request for a patient.",
    "parameters":{"type":"object","properties":{"mrn":{"type":"string"}},"required":["mrn"]}}},
  {"type":"function","function":{"name":"get_weather","description":"Current weather in a city."}}])";

openai::ChatCall parsed(const std::string& body) {
  openai::ChatCall call;
  openai::WireError err;
  INFO(body);
  REQUIRE(openai::parse_chat_request(body, call, err));
  return call;
}

}  // namespace

TEST_CASE("Chat request parsing reads tools, tool_choice, parallel_tool_calls, n and stop", "[net][openai][tools]") {
  const openai::ChatCall call = parsed(
      std::string(R"({"model":"m","messages":[{"role":"user","content":"q"}],)") + kToolsBody +
      R"(,"tool_choice":{"type":"function","function":{"name":"get_weather"}},"parallel_tool_calls":false,
          "n":3,"stop":["\n\n","END"],"logprobs":false})");
  REQUIRE(call.tool_turn.tools.size() == 2);
  REQUIRE(call.tool_turn.tools[0].name == "get_prior_auth_status");
  REQUIRE(call.tool_turn.tools[0].description.find("prior authorization") != std::string::npos);
  REQUIRE(Json::parse(call.tool_turn.tools[0].parameters)["required"][0] == "mrn");
  REQUIRE(call.tool_turn.tools[1].parameters == "{}");
  REQUIRE(call.tool_turn.choice.mode == tools::ChoiceMode::kNamed);
  REQUIRE(call.tool_turn.choice.name == "get_weather");
  REQUIRE_FALSE(call.tool_turn.parallel);
  REQUIRE(call.n == 3);
  REQUIRE(call.stop == std::vector<std::string>{"\n\n", "END"});
  REQUIRE(parsed(R"({"messages":[{"role":"user","content":"q"}],"stop":"END"})").stop ==
          std::vector<std::string>{"END"});
  REQUIRE(parsed(std::string(R"({"messages":[{"role":"user","content":"q"}],)") + kToolsBody +
                 R"(,"tool_choice":"required"})").tool_turn.choice.mode == tools::ChoiceMode::kRequired);
  REQUIRE(parsed(std::string(R"({"messages":[{"role":"user","content":"q"}],)") + kToolsBody +
                 R"(,"tool_choice":"none"})").tool_turn.choice.mode == tools::ChoiceMode::kNone);
}

TEST_CASE("Chat request parsing keeps the tool results sent after the last user message", "[net][openai][tools]") {
  const openai::ChatCall call = parsed(std::string(R"({"messages":[
      {"role":"user","content":"Question: prior auth status for SYN-0000001?"},
      {"role":"assistant","content":null,"tool_calls":[
        {"id":"call_a","type":"function","function":{"name":"get_prior_auth_status","arguments":"{}"}}]},
      {"role":"tool","tool_call_id":"call_a","content":"{\"id\":\"pa-1\",\"status\":\"approved\"}"}],)") +
      kToolsBody + "}");
  REQUIRE(call.tool_turn.results.size() == 1);
  REQUIRE(call.tool_turn.results[0].call_id == "call_a");
  REQUIRE(call.tool_turn.results[0].name == "get_prior_auth_status");
  REQUIRE(call.tool_turn.results[0].content.find("approved") != std::string::npos);
  REQUIRE(call.request.messages.size() == 3);
}

TEST_CASE("Chat request parsing refuses tool messages that answer no call and calls left unanswered", "[net][openai][tools]") {
  const auto orphan = parse_error(R"({"messages":[{"role":"user","content":"q"},
      {"role":"tool","tool_call_id":"call_x","content":"r"}]})");
  REQUIRE(orphan.param == "messages.[1].role");
  REQUIRE(orphan.message.find("must be a response to a preceeding message with 'tool_calls'") != std::string::npos);
  const auto unanswered = parse_error(R"({"messages":[{"role":"user","content":"q"},
      {"role":"assistant","tool_calls":[{"id":"call_a","type":"function","function":{"name":"f","arguments":"{}"}}]},
      {"role":"user","content":"again"}]})");
  REQUIRE(unanswered.param == "messages.[1].role");
  REQUIRE(unanswered.message.find("call_a") != std::string::npos);
  REQUIRE(parse_error(R"({"messages":[{"role":"user","content":"q"},
      {"role":"assistant","tool_calls":[{"id":"call_a","type":"function","function":{"name":"f","arguments":"{}"}}]},
      {"role":"tool","content":"r"}]})").param == "messages[2].tool_call_id");
}

TEST_CASE("Chat request parsing refuses tool options without tools and a tool_choice naming no offered tool", "[net][openai][tools]") {
  REQUIRE(parse_error(R"({"messages":[{"role":"user","content":"q"}],"tool_choice":"required"})").param == "tool_choice");
  REQUIRE(parse_error(R"({"messages":[{"role":"user","content":"q"}],"parallel_tool_calls":true})").param ==
          "parallel_tool_calls");
  const auto named = parse_error(std::string(R"({"messages":[{"role":"user","content":"q"}],)") + kToolsBody +
                                 R"(,"tool_choice":{"type":"function","function":{"name":"nope"}}})");
  REQUIRE(named.param == "tool_choice");
  REQUIRE(named.message.find("nope") != std::string::npos);
  REQUIRE(parse_error(std::string(R"({"messages":[{"role":"user","content":"q"}],)") + kToolsBody +
                      R"(,"tool_choice":"sometimes"})").param == "tool_choice");
  REQUIRE(parse_error(R"({"messages":[{"role":"user","content":"q"}],
      "tools":[{"type":"function","function":{"name":"has space"}}]})").param == "tools[0].function.name");
}

TEST_CASE("Chat request parsing refuses what the fake vendor does not model, naming the parameter", "[net][openai]") {
  const std::string head = R"({"messages":[{"role":"user","content":"q"}],)";
  for (const std::string field : {R"("logprobs":true)", R"("top_logprobs":2)", R"("audio":{"voice":"alloy"})",
                                   R"("modalities":["text","audio"])", R"("prediction":{"type":"content"})",
                                   R"("functions":[])", R"("function_call":"auto")", R"("web_search_options":{})"}) {
    INFO(field);
    const auto e = parse_error(head + field + "}");
    REQUIRE(e.status == 400);
    REQUIRE(e.code == "unsupported_parameter");
    REQUIRE(e.param == field.substr(1, field.find('"', 1) - 1));
  }
  const auto unknown = parse_error(head + R"("temperatur":0.2})");
  REQUIRE(unknown.message == "Unrecognized request argument supplied: temperatur");
  REQUIRE(unknown.param.empty());
  REQUIRE(parse_error(head + R"("stop":["a","b","c","d","e"]})").param == "stop");
  REQUIRE(parse_error(head + R"("stop":7})").param == "stop");
  REQUIRE(parse_error(head + R"("n":0})").param == "n");
  REQUIRE(parse_error(R"({"messages":[{"role":"function","name":"f","content":"x"}]})").code == "unsupported_parameter");
}

TEST_CASE("A chat completion with n choices repeats the answer at each index and bills each", "[net][openai]") {
  const ChatResponse r = sample_response();
  const Json j = Json::parse(openai::completion_json(r, 1, 3));
  REQUIRE(j["choices"].size() == 3);
  for (int i = 0; i < 3; ++i) {
    REQUIRE(j["choices"][i]["index"] == i);
    REQUIRE(j["choices"][i]["message"]["content"] == r.content);
    REQUIRE(j["choices"][i]["logprobs"].is_null());
  }
  REQUIRE(j["usage"] == Json{{"prompt_tokens", 12}, {"completion_tokens", 27}, {"total_tokens", 39}});
  REQUIRE(Json::parse(openai::completion_json(r, 1, 3)) == j);  // the same every time
}

TEST_CASE("A chat completion reports a system fingerprint fixed for its model", "[net][openai]") {
  const ChatResponse r = sample_response();
  const Json j = Json::parse(openai::completion_json(r, 1));
  const std::string fp = j["system_fingerprint"];
  REQUIRE(fp.rfind("fp_", 0) == 0);
  REQUIRE(fp.size() == 13);
  REQUIRE(fp == openai::system_fingerprint("nw-clinical-large"));
  REQUIRE(fp != openai::system_fingerprint("bb-med-pro"));
  for (const Json& c : payloads(openai::stream_events(r, 1, true))) REQUIRE(c["system_fingerprint"] == fp);
}

TEST_CASE("A streamed answer with n choices streams each index to its own finish", "[net][openai]") {
  const ChatResponse r = sample_response();
  const auto chunks = payloads(openai::stream_events(r, 1, true, 2));
  std::string text[2];
  int finishes[2] = {0, 0};
  for (const Json& c : chunks) {
    for (const Json& ch : c["choices"]) {
      const int i = ch["index"];
      if (ch["delta"].contains("content")) text[i] += ch["delta"]["content"].get<std::string>();
      if (!ch["finish_reason"].is_null()) ++finishes[i];
    }
  }
  REQUIRE(text[0] == r.content);
  REQUIRE(text[1] == r.content);
  REQUIRE(finishes[0] == 1);
  REQUIRE(finishes[1] == 1);
  REQUIRE(chunks.back()["usage"]["completion_tokens"] == 18);
}

TEST_CASE("Fitting an answer cuts it before the first stop sequence with finish_reason stop", "[net][openai]") {
  openai::ChatCall call = parsed(R"({"messages":[{"role":"user","content":"q"}],"stop":["prior","therapy"]})");
  ChatResponse r = sample_response();
  r.finish_reason = "length";
  openai::fit_answer(call, r);
  REQUIRE(r.content == "Physical ");
  REQUIRE(r.finish_reason == "stop");
  REQUIRE(r.usage.completion_tokens == 3);
  REQUIRE(r.usage.total_tokens == 15);
  ChatResponse untouched = sample_response();
  call.stop = {"absent"};
  openai::fit_answer(call, untouched);
  REQUIRE(untouched.content == sample_response().content);
  REQUIRE(untouched.usage.completion_tokens == 9);
}

TEST_CASE("Fitting an answer to a forced tool replaces the content with its call", "[net][openai][tools]") {
  const openai::ChatCall call = parsed(
      std::string(R"({"messages":[{"role":"user","content":"Question: What is the prior authorization status for SYN-0001234?"}],)") +
      kToolsBody + R"(,"tool_choice":"required"})");
  ChatResponse r = sample_response();
  r.id = "chatcmpl-0123456789abcdef";
  openai::fit_answer(call, r);
  REQUIRE(r.content.empty());
  REQUIRE(r.finish_reason == "tool_calls");
  REQUIRE(r.tool_calls.size() == 1);
  REQUIRE(r.tool_calls[0].id == "call_0123456789ab_0");
  REQUIRE(r.tool_calls[0].name == "get_prior_auth_status");
  REQUIRE(Json::parse(r.tool_calls[0].arguments) == Json{{"mrn", "SYN-0001234"}});
  const Json j = Json::parse(openai::completion_json(r, 1));
  REQUIRE(j["choices"][0]["message"]["content"].is_null());
  REQUIRE(j["choices"][0]["finish_reason"] == "tool_calls");
}
