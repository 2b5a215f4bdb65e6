#pragma once
// The Responses API wire format of the fake vendor (POST /v1/responses, GET /v1/responses/{id}):
// request JSON -> the ChatRequest the fake model answers, the model's ChatResponse -> a Response
// object and its streamed events (response.created ... response.completed). Errors use the
// OpenAI shape of openai_wire.hpp. No I/O: vendor_server.cpp sends what these build.
#include <string>
#include <string_view>
#include <vector>

#include "fakes/vendor.hpp"
#include "net/openai_wire.hpp"

namespace gameday::net::responses {

/// A function tool offered to the model (`tools[]` of type "function").
struct FunctionTool {
  std::string name;
  std::string parameters;  ///< its JSON schema as JSON text ("{}" when not given)
};

/// How the caller lets the model use its tools (`tool_choice`).
enum class ToolChoice : std::uint8_t { kAuto, kNone, kRequired, kNamed };

/// A parsed POST /v1/responses request.
struct ResponsesCall {
  /// What the fake model answers: `instructions` as the system message, then the `input` items
  /// (a string is one user message; function_call_output items are "tool" messages, which the
  /// fake model does not read). json_output for text.format json_object / json_schema;
  /// max_tokens from max_output_tokens.
  ChatRequest request;
  bool stream = false;
  bool store = true;                 ///< `store: false`: not kept for GET /v1/responses/{id}
  std::string previous_response_id;  ///< "" = none
  std::vector<FunctionTool> tools;
  ToolChoice tool_choice = ToolChoice::kAuto;
  std::string tool_name;  ///< kNamed: the function the caller forces
  /// The request fields a Response object repeats (instructions, max_output_tokens,
  /// parallel_tool_calls, previous_response_id, store, temperature, text, tool_choice, tools,
  /// top_p, metadata), as a JSON object text.
  std::string echo = "{}";
};

/// Parses a Responses API request body. False with `error` naming the offending field (in
/// `param`, e.g. "input[1].content") when the body is not JSON, `model` or `input` is missing,
/// or a field has the wrong type or value. Tools other than "function" (web_search, file_search,
/// computer_use, mcp, ...) and `background: true` are refused with 400 (code
/// "unsupported_parameter" / "unsupported_value"): the fake vendor cannot act them out.
bool parse_request(std::string_view body, ResponsesCall& out, openai::WireError& error);

/// Puts the conversation of an earlier response (`previous_response_id`) before this call's
/// input, after its instructions.
void prepend_history(ResponsesCall& call, const std::vector<ChatMessage>& history);

/// Turns the fake model's answer into a function call when the call forces one (tool_choice
/// "required" with tools, or a named function that is offered): one call of that function
/// (required: the first tool), arguments from fill_arguments, empty content, finish_reason
/// "tool_calls". Otherwise leaves `r` as it is (`auto` never calls a tool here; the
/// injection_following fault may still make the model call one).
void force_tool_call(const ResponsesCall& call, ChatResponse& r);

/// JSON arguments for a function with JSON schema `parameters`, filled from `messages`: every
/// required property (and every property a value is found for) gets a value of its type: an
/// enum's first value; strings naming a patient / mrn get the first MRN (SYN-NNNNNNN) in the
/// messages, dates the first YYYY-MM-DD, others the question (the last user message's
/// "Question:" line or its first line); integers and numbers the first number in the
/// question (else 1); booleans false; arrays [] (or [value] for string items); objects filled
/// the same way. Deterministic; a schema that is not valid JSON gives "{}".
std::string fill_arguments(std::string_view parameters, const std::vector<ChatMessage>& messages);

/// The conversation a stored response hands to a later `previous_response_id`: the call's
/// messages without its system message, then the answer (as an assistant message).
std::vector<ChatMessage> conversation(const ResponsesCall& call, const ChatResponse& answer);

/// What a Response object shows.
struct ResponseData {
  std::string id;  ///< "resp_<hex>", from the answer's id
  long long created_at = 0;
  ChatResponse answer;  ///< content, tool_calls, finish_reason, usage, model
  std::string echo = "{}";  ///< ResponsesCall::echo
};

/// The data of a response to `call` answered with `answer` at `created_at`.
ResponseData make_data(const ResponsesCall& call, ChatResponse answer, long long created_at);

/// The Response object: {"id", "object": "response", "created_at", "status", "error": null,
/// "incomplete_details", "instructions", "max_output_tokens", "model", "output",
/// "parallel_tool_calls", "previous_response_id", "reasoning", "store", "temperature", "text",
/// "tool_choice", "tools", "top_p", "truncation", "usage", "user": null, "metadata"}. `done`
/// false: status "in_progress", output [] and usage null (the first stream events). Done:
/// status "completed", or "incomplete" with incomplete_details {"reason": "max_output_tokens"}
/// when the answer was cut (finish_reason "length"). output: a message item {"type":
/// "message", "id": "msg_...", "status", "role": "assistant", "content": [{"type":
/// "output_text", "text", "annotations": []}]} unless the answer is only tool calls, then one
/// {"type": "function_call", "id": "fc_...", "call_id", "name", "arguments", "status"} per call.
std::string response_json(const ResponseData& d, bool done = true);

/// The events of a streamed response, each "event: <type>\ndata: <json>\n\n" with a
/// `sequence_number` counting from 0: response.created, response.in_progress; per output item
/// response.output_item.added, then for a message response.content_part.added, one
/// response.output_text.delta per piece (a word with its leading whitespace; `token`),
/// response.output_text.done, response.content_part.done, and for a function call one
/// response.function_call_arguments.delta per piece of its arguments (`token`) and
/// response.function_call_arguments.done; response.output_item.done; finally
/// response.completed (response.incomplete when the answer was cut). No [DONE].
std::vector<openai::StreamEvent> stream_events(const ResponseData& d);

/// The 404 body of GET /v1/responses/{id} for an id the vendor does not hold.
openai::WireError not_found(const std::string& id);

}  // namespace gameday::net::responses
