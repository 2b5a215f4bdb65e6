// The Responses API wire format: parsing requests (input as a string or items, instructions,
// text.format, tools and tool_choice, function_call_output items), function calls planned by
// the shared tool-calling model, Response objects and the streamed event sequence.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "net/responses_wire.hpp"

using namespace gameday;
using namespace gameday::net;
using Json = nlohmann::json;

namespace {

responses::ResponsesCall parsed(const std::string& body) {
  responses::ResponsesCall call;
  openai::WireError err;
  INFO(body);
  REQUIRE(responses::parse_request(body, call, err));
  return call;
}

openai::WireError refused(const std::string& body) {
  responses::ResponsesCall call;
  openai::WireError err;
  INFO(body);
  REQUIRE_FALSE(responses::parse_request(body, call, err));
  return err;
}

ChatResponse answer(const std::string& content, const std::string& finish = "stop") {
  ChatResponse r;
  r.id = "chatcmpl-00ab12";
  r.model = "nw-clinical-large";
  r.content = content;
  r.finish_reason = finish;
  r.usage = ChatUsage{10, 4, 14};
  return r;
}

// The event types of a stream, in order.
std::vector<std::string> types_of(const std::vector<openai::StreamEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    const auto data = e.data.find("\ndata: ");
    out.push_back(Json::parse(e.data.substr(data + 7))["type"].get<std::string>());
  }
  return out;
}

Json data_of(const openai::StreamEvent& e) { return Json::parse(e.data.substr(e.data.find("\ndata: ") + 7)); }

}  // namespace

TEST_CASE("A Responses request with a string input is one user message after the instructions", "[net][responses]") {
  const auto call = parsed(R"({"model":"m","instructions":"Cite sources.","input":"What is covered?"})");
  REQUIRE(call.request.model == "m");
  REQUIRE(call.request.messages.size() == 2);
  REQUIRE(call.request.messages[0].role == "system");
  REQUIRE(call.request.messages[0].content == "Cite sources.");
  REQUIRE(call.request.messages[1].role == "user");
  REQUIRE(call.request.messages[1].content == "What is covered?");
  REQUIRE_FALSE(call.stream);
  REQUIRE(call.store);
  const Json echo = Json::parse(call.echo);
  REQUIRE(echo["instructions"] == "Cite sources.");
  REQUIRE(echo["tool_choice"] == "auto");
  REQUIRE(echo["text"]["format"]["type"] == "text");
}

TEST_CASE("Responses input items become messages and function call outputs tool messages", "[net][responses]") {
  const auto call = parsed(R"({"model":"m","input":[
      {"role":"developer","content":"Be brief."},
      {"type":"message","role":"user","content":[{"type":"input_text","text":"Look up "},{"type":"refusal","refusal":"no"},{"type":"input_text","text":"SYN-0000042"}]},
      {"type":"function_call","call_id":"call_1","name":"lookup","arguments":"{}"},
      {"type":"function_call_output","call_id":"call_1","output":"{\"plan\":\"gold\"}"}],
      "max_output_tokens":64,"text":{"format":{"type":"json_schema","name":"a","schema":{"type":"object"}}},
      "metadata":{"task_type":"benefits"},"stream":true,"store":false})");
  REQUIRE(call.request.messages.size() == 4);
  REQUIRE(call.request.messages[0].role == "system");
  REQUIRE(call.request.messages[1].content == "Look up SYN-0000042");
  REQUIRE(call.request.messages[2].role == "assistant");
  REQUIRE(call.request.messages[3].role == "tool");
  REQUIRE(call.request.messages[3].content == R"({"plan":"gold"})");
  REQUIRE(call.request.max_tokens == 64);
  REQUIRE(call.request.json_output);
  REQUIRE(call.request.task_type == "benefits");
  REQUIRE(call.stream);
  REQUIRE_FALSE(call.store);
}

TEST_CASE("Image, file and audio input parts are refused, as a text-only model refuses them", "[net][responses][errors]") {
  for (const char* part : {R"({"type":"input_image","image_url":"https://x/a.png"})", R"({"type":"input_file","file_id":"f"})",
                           R"({"type":"input_audio","input_audio":{"data":"", "format":"wav"}})"}) {
    const auto e = refused(std::string(R"({"model":"m","input":[{"role":"user","content":[{"type":"input_text","text":"hi"},)") +
                           part + "]}]}");
    CHECK(e.status == 400);
    CHECK(e.param == "input[0].content[1].type");
    CHECK(e.code == "unsupported_value");
    CHECK(e.message.find("text only") != std::string::npos);
  }
}

TEST_CASE("Bad Responses requests name the field at fault", "[net][responses][errors]") {
  CHECK(refused("[1]").code == "invalid_type");
  CHECK(refused(R"({"input":"hi"})").param == "model");
  CHECK(refused(R"({"model":"m"})").param == "input");
  CHECK(refused(R"({"model":"m","input":[]})").param == "input");
  CHECK(refused(R"({"model":"m","input":[{"role":"robot","content":"x"}]})").param == "input[0].role");
  CHECK(refused(R"({"model":"m","input":[{"role":"user","content":5}]})").param == "input[0].content");
  CHECK(refused(R"({"model":"m","input":"x","max_output_tokens":3})").param == "max_output_tokens");
  CHECK(refused(R"({"model":"m","input":"x","text":{"format":{"type":"yaml"}}})").param == "text.format.type");
  CHECK(refused(R"({"model":"m","input":"x","text":{"format":{"type":"json_schema","name":"a"}}})").param ==
        "text.format.schema");
  CHECK(refused(R"({"model":"m","input":"x","tool_choice":"required"})").param == "tool_choice");
  CHECK(refused(R"({"model":"m","input":"x","tools":[{"type":"function","name":"f"}],"tool_choice":{"type":"function","name":"g"}})")
            .param == "tool_choice.name");
  const auto web = refused(R"({"model":"m","input":"x","tools":[{"type":"web_search_preview"}]})");
  CHECK(web.param == "tools[0].type");
  CHECK(web.code == "unsupported_value");
  CHECK(refused(R"({"model":"m","input":"x","background":true})").code == "unsupported_parameter");
}

// Function tools for a question that needs both: prior authorization and copay coverage.
const std::string kTools = R"("tools":[
    {"type":"function","name":"get_weather","description":"Current weather in a city."},
    {"type":"function","name":"get_prior_auth_status","description":"Look up the status of a prior authorization for a patient.",
     "parameters":{"type":"object","properties":{"mrn":{"type":"string","description":"The patient's MRN"}},"required":["mrn"]}},
    {"type":"function","name":"get_copay_coverage","description":"Look up the copay coverage of a plan benefit.",
     "parameters":{"type":"object","properties":{"benefit":{"type":"string"}},"required":["benefit"]}}])";
const std::string kAsk = R"({"model":"m","input":"Question: What is the prior authorization status for patient SYN-0012345?",)";
const std::string kAskBoth =
    R"({"model":"m","input":"Question: What is the prior authorization status and the copay coverage for patient SYN-0012345?",)";

ChatResponse fitted(const std::string& body, const std::string& content = "I cannot answer that from the provided records.") {
  ChatResponse r = answer(content);
  responses::fit_answer(parsed(body), r);
  return r;
}

TEST_CASE("tool_choice auto calls the tool a question needs with arguments from the prompt", "[net][responses][tools]") {
  const ChatResponse r = fitted(kAsk + kTools + "}");
  REQUIRE(r.tool_calls.size() == 1);
  CHECK(r.tool_calls[0].id == "call_00ab12_0");
  CHECK(r.tool_calls[0].name == "get_prior_auth_status");
  CHECK(Json::parse(r.tool_calls[0].arguments) == Json{{"mrn", "SYN-0012345"}});
  CHECK(r.content.empty());
  CHECK(r.finish_reason == "tool_calls");
  SECTION("but not when the context in the input already answers it") {
    const ChatResponse grounded = fitted(
        R"({"model":"m","input":"Question: What is the prior authorization status?\n[doc:pa-1] The prior authorization status is approved.",)" +
            kTools + "}",
        "The prior authorization status is approved.");
    CHECK(grounded.tool_calls.empty());
    CHECK(grounded.content == "The prior authorization status is approved.");
  }
  SECTION("and a question no tool fits gets the answer") {
    CHECK(fitted(R"({"model":"m","input":"Question: Who won the match?",)" + kTools + "}", "x").tool_calls.empty());
  }
}

TEST_CASE("tool_choice none never calls and required or named always calls", "[net][responses][tools]") {
  CHECK(fitted(kAsk + kTools + R"(,"tool_choice":"none"})").tool_calls.empty());
  const ChatResponse required = fitted(R"({"model":"m","input":"Question: Who won the match?",)" + kTools +
                                       R"(,"tool_choice":"required"})");
  REQUIRE(required.tool_calls.size() == 1);
  CHECK(required.tool_calls[0].name == "get_weather");  // no tool fits: the first one
  const ChatResponse named = fitted(kAsk + kTools + R"(,"tool_choice":{"type":"function","name":"get_copay_coverage"}})");
  REQUIRE(named.tool_calls.size() == 1);
  CHECK(named.tool_calls[0].name == "get_copay_coverage");
  CHECK(Json::parse(named.tool_calls[0].arguments).contains("benefit"));
}

TEST_CASE("Several tools that apply are called in parallel unless parallel_tool_calls is false", "[net][responses][tools]") {
  const ChatResponse both = fitted(kAskBoth + kTools + "}");
  REQUIRE(both.tool_calls.size() == 2);
  CHECK(both.tool_calls[0].name == "get_prior_auth_status");
  CHECK(both.tool_calls[1].name == "get_copay_coverage");
  CHECK(both.tool_calls[1].id == "call_00ab12_1");
  const ChatResponse one = fitted(kAskBoth + kTools + R"(,"parallel_tool_calls":false})");
  REQUIRE(one.tool_calls.size() == 1);
  CHECK(one.tool_calls[0].name == "get_prior_auth_status");
}

TEST_CASE("A function_call_output is matched to its function_call by call_id and becomes a tool result", "[net][responses][tools]") {
  const auto call = parsed(kAsk.substr(0, kAsk.find("\"input\"")) + R"("input":[
      {"role":"user","content":"Question: What is the prior authorization status for patient SYN-0012345?"},
      {"type":"function_call","call_id":"call_1","name":"get_prior_auth_status","arguments":"{\"mrn\":\"SYN-0012345\"}"},
      {"type":"function_call_output","call_id":"call_1","output":"{\"id\":\"pa-77\",\"status\":\"approved\"}"}],)" +
                           kTools + "}");
  REQUIRE(call.tool_turn.results.size() == 1);
  CHECK(call.tool_turn.results[0].call_id == "call_1");
  CHECK(call.tool_turn.results[0].name == "get_prior_auth_status");
  CHECK(call.request.messages.back().role == "tool");
  // After the result came back, auto answers instead of calling again.
  ChatResponse r = answer("The status is approved. [doc:pa-77]");
  responses::fit_answer(call, r);
  CHECK(r.tool_calls.empty());
}

TEST_CASE("Calls and outputs that do not pair up are refused as the real API does", "[net][responses][tools]") {
  const auto orphan = refused(R"({"model":"m","input":[{"role":"user","content":"q"},
      {"type":"function_call_output","call_id":"call_9","output":"x"}]})");
  CHECK(orphan.status == 400);
  CHECK(orphan.param == "input");
  CHECK(orphan.message == "No tool call found for function call output with call_id call_9.");
  const auto unanswered = refused(R"({"model":"m","input":[{"role":"user","content":"q"},
      {"type":"function_call","call_id":"call_2","name":"f","arguments":"{}"}]})");
  CHECK(unanswered.message == "No tool output found for function call call_2.");
  SECTION("with previous_response_id an output answers that response's call") {
    auto follow = parsed(R"({"model":"m","previous_response_id":"resp_1",
        "input":[{"type":"function_call_output","call_id":"call_7","output":"12 visits are left."}]})");
    const std::vector<ChatMessage> history = {{"user", "Question: How many visits are left?"}, {"assistant", ""}};
    openai::WireError err;
    REQUIRE(responses::prepend_history(follow, history, {ToolCall{"call_7", "count_visits", "{}"}}, err));
    REQUIRE(follow.tool_turn.results.size() == 1);
    CHECK(follow.tool_turn.results[0].name == "count_visits");
    CHECK(follow.request.messages.front().content == "Question: How many visits are left?");
    auto wrong = parsed(R"({"model":"m","previous_response_id":"resp_1",
        "input":[{"type":"function_call_output","call_id":"call_8","output":"x"}]})");
    CHECK_FALSE(responses::prepend_history(wrong, history, {ToolCall{"call_7", "count_visits", "{}"}}, err));
    CHECK(err.message == "No tool call found for function call output with call_id call_8.");
    // Clients that also resend the call itself are fine.
    auto resent = parsed(R"({"model":"m","previous_response_id":"resp_1","input":[
        {"type":"function_call","call_id":"call_7","name":"count_visits","arguments":"{}"},
        {"type":"function_call_output","call_id":"call_7","output":"12 visits are left."}]})");
    CHECK(responses::prepend_history(resent, history, {ToolCall{"call_7", "count_visits", "{}"}}, err));
    auto ignored = parsed(R"({"model":"m","previous_response_id":"resp_1","input":"And the copay?"})");
    CHECK_FALSE(responses::prepend_history(ignored, history, {ToolCall{"call_7", "count_visits", "{}"}}, err));
    CHECK(err.message == "No tool output found for function call call_7.");
  }
}

TEST_CASE("A Responses request carries the responses route for fault filters", "[net][responses]") {
  CHECK(parsed(R"({"model":"m","input":"q"})").request.route == kResponsesRoute);
}

TEST_CASE("A Response object holds a message with output_text and the usage", "[net][responses]") {
  const auto call = parsed(R"({"model":"m","input":"q","temperature":0.2})");
  const auto data = responses::make_data(call, answer("Covered up to 20 visits. [doc:a]"), 1700000000);
  REQUIRE(data.id == "resp_00ab12");
  const Json j = Json::parse(responses::response_json(data));
  REQUIRE(j["object"] == "response");
  REQUIRE(j["status"] == "completed");
  REQUIRE(j["created_at"] == 1700000000);
  REQUIRE(j["model"] == "nw-clinical-large");
  REQUIRE(j["temperature"] == 0.2);
  REQUIRE(j["output"].size() == 1);
  REQUIRE(j["output"][0]["type"] == "message");
  REQUIRE(j["output"][0]["id"] == "msg_00ab12");
  REQUIRE(j["output"][0]["content"][0]["type"] == "output_text");
  REQUIRE(j["output"][0]["content"][0]["text"] == "Covered up to 20 visits. [doc:a]");
  REQUIRE(j["usage"]["input_tokens"] == 10);
  REQUIRE(j["usage"]["output_tokens"] == 4);
  REQUIRE(j["usage"]["total_tokens"] == 14);
  const Json cut = Json::parse(responses::response_json(responses::make_data(call, answer("Cov", "length"), 1)));
  REQUIRE(cut["status"] == "incomplete");
  REQUIRE(cut["incomplete_details"]["reason"] == "max_output_tokens");
}

TEST_CASE("A function call answer is a function_call output item", "[net][responses][tools]") {
  const auto call = parsed(R"({"model":"m","input":"q","tools":[{"type":"function","name":"f"}],"tool_choice":"required"})");
  ChatResponse r = answer("text");
  responses::fit_answer(call, r);
  const Json j = Json::parse(responses::response_json(responses::make_data(call, r, 1)));
  REQUIRE(j["output"].size() == 1);
  REQUIRE(j["output"][0]["type"] == "function_call");
  REQUIRE(j["output"][0]["name"] == "f");
  REQUIRE(j["output"][0]["call_id"] == "call_00ab12_0");
  REQUIRE(j["output"][0]["arguments"] == "{}");
  REQUIRE(j["output"][0]["status"] == "completed");
}

TEST_CASE("A streamed response follows the documented event sequence", "[net][responses][stream]") {
  const auto call = parsed(R"({"model":"m","input":"q","stream":true})");
  const auto events = responses::stream_events(responses::make_data(call, answer("Twenty visits."), 1));
  const std::vector<std::string> want = {
      "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
      "response.output_text.delta", "response.output_text.delta", "response.output_text.done",
      "response.content_part.done", "response.output_item.done", "response.completed"};
  REQUIRE(types_of(events) == want);
  for (std::size_t k = 0; k < events.size(); ++k) {
    REQUIRE(events[k].data.rfind("event: " + want[k] + "\ndata: {", 0) == 0);
    REQUIRE(data_of(events[k])["sequence_number"] == k);
    REQUIRE(events[k].token == (want[k] == "response.output_text.delta"));
  }
  REQUIRE(data_of(events[0])["response"]["status"] == "in_progress");
  REQUIRE(data_of(events[0])["response"]["output"].empty());
  REQUIRE(data_of(events[4])["delta"] == "Twenty");
  REQUIRE(data_of(events[5])["delta"] == " visits.");
  REQUIRE(data_of(events[6])["text"] == "Twenty visits.");
  REQUIRE(data_of(events[9])["response"]["output"][0]["content"][0]["text"] == "Twenty visits.");
}

TEST_CASE("A streamed function call sends its arguments in deltas", "[net][responses][stream][tools]") {
  const auto call = parsed(R"({"model":"m","input":"Question: copay?","stream":true,"tool_choice":"required",
      "tools":[{"type":"function","name":"f","parameters":{"type":"object","properties":{"q":{"type":"string"}},"required":["q"]}}]})");
  ChatResponse r = answer("x");
  responses::fit_answer(call, r);
  const auto events = responses::stream_events(responses::make_data(call, r, 1));
  const std::vector<std::string> want = {"response.created", "response.in_progress", "response.output_item.added",
                                         "response.function_call_arguments.delta",
                                         "response.function_call_arguments.done", "response.output_item.done",
                                         "response.completed"};
  REQUIRE(types_of(events) == want);
  REQUIRE(data_of(events[4])["arguments"] == R"({"q":"copay?"})");
  REQUIRE(data_of(events[5])["item"]["call_id"] == "call_00ab12_0");
}

TEST_CASE("Parallel streamed function calls each get their item events at their own output_index", "[net][responses][stream][tools]") {
  const auto call = parsed(kAskBoth + R"("stream":true,)" + kTools + "}");
  ChatResponse r = answer("x");
  responses::fit_answer(call, r);
  REQUIRE(r.tool_calls.size() == 2);
  const auto events = responses::stream_events(responses::make_data(call, r, 1));
  std::vector<std::pair<std::string, int>> items;  // type, output_index of the item events
  for (const auto& e : events) {
    const Json d = data_of(e);
    if (d.contains("output_index")) items.emplace_back(d["type"].get<std::string>(), d["output_index"].get<int>());
  }
  REQUIRE(items.front() == std::make_pair(std::string("response.output_item.added"), 0));
  REQUIRE(items.back() == std::make_pair(std::string("response.output_item.done"), 1));
  int dones = 0;
  for (const auto& [type, index] : items) {
    if (type == "response.function_call_arguments.done") CHECK(index == dones++);
  }
  REQUIRE(dones == 2);
  const Json done = data_of(events.back())["response"];
  REQUIRE(done["output"].size() == 2);
  REQUIRE(done["output"][1]["name"] == "get_copay_coverage");
  REQUIRE(done["output"][0]["id"] != done["output"][1]["id"]);
}

TEST_CASE("A follow-up continues the stored conversation after its own instructions", "[net][responses]") {
  auto first = parsed(R"({"model":"m","instructions":"old","input":"one"})");
  const auto history = responses::conversation(first, answer("two"));
  REQUIRE(history.size() == 2);
  REQUIRE(history[1].role == "assistant");
  auto next = parsed(R"({"model":"m","instructions":"new","input":"three","previous_response_id":"resp_1"})");
  REQUIRE(next.previous_response_id == "resp_1");
  openai::WireError err;
  REQUIRE(responses::prepend_history(next, history, {}, err));
  REQUIRE(next.request.messages.size() == 4);
  REQUIRE(next.request.messages[0].content == "new");
  REQUIRE(next.request.messages[1].content == "one");
  REQUIRE(next.request.messages[2].content == "two");
  REQUIRE(next.request.messages[3].content == "three");
  REQUIRE(responses::not_found("resp_x").status == 404);
}
