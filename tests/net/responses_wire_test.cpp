// The Responses API wire format: parsing requests (input as a string or items, instructions,
// text.format, tools and tool_choice), forced function calls with arguments from the prompt,
// Response objects and the streamed event sequence.
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
      {"type":"message","role":"user","content":[{"type":"input_text","text":"Look up "},{"type":"input_image","image_url":"x"},{"type":"input_text","text":"SYN-0000042"}]},
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

TEST_CASE("A forced function call gets arguments of the schema's types from the prompt", "[net][responses][tools]") {
  const std::string params = R"({"type":"object","properties":{
      "patient_id":{"type":"string"},"visit_date":{"type":"string"},"query":{"type":"string"},
      "limit":{"type":"integer"},"urgent":{"type":"boolean"},"kind":{"type":"string","enum":["lab","note"]},
      "tags":{"type":"array","items":{"type":"string"}},"note":{"type":"string"}},
      "required":["patient_id","visit_date","query","limit","urgent","kind","tags"]})";
  const std::vector<ChatMessage> messages = {
      {"system", "You look up records."},
      {"user", "Question: What did labs show for 3 tests?\nPatient SYN-0012345 seen on 2024-03-07."}};
  const Json args = Json::parse(responses::fill_arguments(params, messages));
  CHECK(args["patient_id"] == "SYN-0012345");
  CHECK(args["visit_date"] == "2024-03-07");
  CHECK(args["query"] == "What did labs show for 3 tests?");
  CHECK(args["limit"] == 3);
  CHECK(args["urgent"] == false);
  CHECK(args["kind"] == "lab");
  CHECK(args["tags"].is_array());
  CHECK_FALSE(args.contains("note"));
  CHECK(responses::fill_arguments("not json", messages) == "{}");
  // The same prompt always gives the same arguments.
  CHECK(responses::fill_arguments(params, messages) == responses::fill_arguments(params, messages));
}

TEST_CASE("tool_choice required or named turns the answer into one function call and auto does not", "[net][responses][tools]") {
  const std::string tools = R"("tools":[{"type":"function","name":"first","parameters":{"type":"object","properties":{"q":{"type":"string"}},"required":["q"]}},{"type":"function","name":"second"}])";
  const std::string head = R"({"model":"m","input":"Question: copay?",)";
  ChatResponse r = answer("The copay is $30.");
  responses::force_tool_call(parsed(head + tools + R"(,"tool_choice":"required"})"), r);
  REQUIRE(r.tool_calls.size() == 1);
  CHECK(r.tool_calls[0].name == "first");
  CHECK(r.tool_calls[0].arguments == R"({"q":"copay?"})");
  CHECK(r.content.empty());
  CHECK(r.finish_reason == "tool_calls");
  ChatResponse named = answer("x");
  responses::force_tool_call(parsed(head + tools + R"(,"tool_choice":{"type":"function","name":"second"}})"), named);
  REQUIRE(named.tool_calls.size() == 1);
  CHECK(named.tool_calls[0].name == "second");
  CHECK(named.tool_calls[0].arguments == "{}");
  ChatResponse free = answer("x");
  responses::force_tool_call(parsed(head + tools + "}"), free);
  CHECK(free.tool_calls.empty());
  CHECK(free.content == "x");
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
  const Json j = Json::parse(responses::response_json(responses::make_data(call, answer("text"), 1)));
  REQUIRE(j["output"].size() == 1);
  REQUIRE(j["output"][0]["type"] == "function_call");
  REQUIRE(j["output"][0]["name"] == "f");
  REQUIRE(j["output"][0]["call_id"] == "call_00ab12");
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
  const auto events = responses::stream_events(responses::make_data(call, answer("x"), 1));
  const std::vector<std::string> want = {"response.created", "response.in_progress", "response.output_item.added",
                                         "response.function_call_arguments.delta",
                                         "response.function_call_arguments.done", "response.output_item.done",
                                         "response.completed"};
  REQUIRE(types_of(events) == want);
  REQUIRE(data_of(events[4])["arguments"] == R"({"q":"copay?"})");
  REQUIRE(data_of(events[5])["item"]["call_id"] == "call_00ab12");
}

TEST_CASE("A follow-up continues the stored conversation after its own instructions", "[net][responses]") {
  auto first = parsed(R"({"model":"m","instructions":"old","input":"one"})");
  const auto history = responses::conversation(first, answer("two"));
  REQUIRE(history.size() == 2);
  REQUIRE(history[1].role == "assistant");
  auto next = parsed(R"({"model":"m","instructions":"new","input":"three","previous_response_id":"resp_1"})");
  REQUIRE(next.previous_response_id == "resp_1");
  responses::prepend_history(next, history);
  REQUIRE(next.request.messages.size() == 4);
  REQUIRE(next.request.messages[0].content == "new");
  REQUIRE(next.request.messages[1].content == "one");
  REQUIRE(next.request.messages[2].content == "two");
  REQUIRE(next.request.messages[3].content == "three");
  REQUIRE(responses::not_found("resp_x").status == 404);
}
