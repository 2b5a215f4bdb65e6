// The OpenAI wire format without a network: request parsing, error bodies, SSE chunk shapes.
#include <catch2/catch.hpp>

#include <cmath>
#include <nlohmann/json.hpp>

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
    "unknown_extension":{"kept":"ignored"}})";
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
