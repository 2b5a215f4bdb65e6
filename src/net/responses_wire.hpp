#pragma once
// The Responses API wire format of the fake vendor (POST /v1/responses, GET /v1/responses/{id}):
// request JSON -> the ChatRequest the fake model answers, the model's ChatResponse -> a Response
// object and its streamed events (response.created ... response.completed). Errors use the
// OpenAI shape of openai_wire.hpp. No I/O: vendor_server.cpp sends what these build.
#include <string>
#include <string_view>
#include <vector>

#include "fakes/tool_calls.hpp"
#include "fakes/vendor.hpp"
#include "net/openai_wire.hpp"

namespace gameday::net::responses {

/// A parsed POST /v1/responses request.
struct ResponsesCall {
  /// What the fake model answers: `instructions` as the system message, then the `input` items
  /// (a string is one user message; a function_call item is an empty assistant message, a
  /// function_call_output item a "tool" message). json_output for text.format json_object /
  /// json_schema; max_tokens from max_output_tokens; route kResponsesRoute (fault `routes`
  /// filters).
  ChatRequest request;
  bool stream = false;
  bool store = true;                 ///< `store: false`: not kept for GET /v1/responses/{id}
  std::string previous_response_id;  ///< "" = none
  /// `tools` (function tools: name, description, parameters), `tool_choice` (auto, none,
  /// required, {"type": "function", "name"}), `parallel_tool_calls`, and the results: the
  /// function_call_output items after the last user message, each matched by call_id to its
  /// function_call (of the input, or of the previous response).
  tools::ToolTurn tool_turn;
  /// function_call_output items whose call_id matched no function_call of the input: they
  /// must answer calls of the previous response (prepend_history).
  std::vector<std::string> unmatched_outputs;
  /// The call_id of every function_call_output item of the input.
  std::vector<std::string> output_call_ids;
  /// The request fields a Response object repeats (instructions, max_output_tokens,
  /// parallel_tool_calls, previous_response_id, store, temperature, text, tool_choice, tools,
  /// top_p, metadata), as a JSON object text.
  std::string echo = "{}";
};

/// Parses a Responses API request body. False with `error` naming the offending field (in
/// `param`, e.g. "input[1].content") when the body is not JSON, `model` or `input` is missing,
/// or a field has the wrong type or value. Without `previous_response_id`, a
/// function_call_output whose call_id no function_call of the input made is refused as the
/// real API does (400 "No tool call found for function call output with call_id ...", param
/// "input"), and so is a function_call of the input left without its output ("No tool output
/// found for function call ..."). Tools other than
/// "function" (web_search, file_search, computer_use, mcp, ...) and `background: true` are
/// refused with 400 (code "unsupported_parameter" / "unsupported_value"): the fake vendor
/// cannot act them out.
bool parse_request(std::string_view body, ResponsesCall& out, openai::WireError& error);

/// Puts the conversation of an earlier response (`previous_response_id`) before this call's
/// input, after its instructions, and matches this call's function_call_output items to the
/// function calls that response made (`calls`): false with the real API's 400 (param "input")
/// when an output answers no call of either, or when a call of that response has no output.
bool prepend_history(ResponsesCall& call, const std::vector<ChatMessage>& history, const std::vector<ToolCall>& calls,
                     openai::WireError& error);

/// Fits the fake model's answer to the call's tools: unless the answer already holds tool
/// calls (the injection_following fault), the calls tools::plan_tool_calls plans for the call's
/// tool turn (auto, none, required, named; parallel_tool_calls; ids "call_" + the answer id's
/// hex + "_" + index) replace its content, finish_reason "tool_calls", completion tokens
/// counted from their names and arguments. With no call planned the answer stays as it is
/// (after function_call_output items it was answered from them: tools::with_tool_results).
void fit_answer(const ResponsesCall& call, ChatResponse& r);

/// The conversation a stored response hands to a later `previous_response_id`: the call's
/// messages without its system message, then the answer (as an assistant message; its function
/// calls are kept beside it in the store, see StoredResponse::calls).
std::vector<ChatMessage> conversation(const ResponsesCall& call, const ChatResponse& answer);

/// What a Response object shows.
struct ResponseData {
  std::string id;  ///< "resp_<hex>", from the answer's id
  long long created_at = 0;
  ChatResponse answer;  ///< content, tool_calls, finish_reason, usage, model
  std::string echo = "{}";  ///< ResponsesCall::echo
};

/// The data of a response to `call` answered with `answer` (already fitted: fit_answer) at
/// `created_at`.
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
