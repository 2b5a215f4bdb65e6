#pragma once
// The Anthropic Messages wire format of the fake vendor (POST /v1/messages): request JSON and
// headers -> ChatRequest, ChatResponse -> a message JSON and its server-sent events, Anthropic
// error bodies. Tool use is kept simple and deterministic: a forced tool (tool_choice "any" or
// "tool") yields one tool_use block whose input is filled from the prompt; a turn carrying
// tool_result blocks is answered from those results. No I/O: vendor_server.cpp sends what
// these build.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fakes/vendor.hpp"
#include "net/http_server.hpp"
#include "net/openai_wire.hpp"

namespace gameday::net::anthropic {

/// An error as Anthropic reports it: {"type": "error", "error": {"type", "message"}} with an
/// HTTP status ("invalid_request_error" 400, "authentication_error" 401, "not_found_error" 404,
/// "rate_limit_error" 429, "api_error" 500, "overloaded_error" 529, ...).
struct WireError {
  int status = 400;
  std::string type = "invalid_request_error";
  std::string message;
};

/// A tool the caller offered (`tools[]`).
struct ToolDef {
  std::string name;
  std::string schema;  ///< its `input_schema`, as JSON text ("{}" when absent)
};

/// A parsed POST /v1/messages request.
struct MessagesCall {
  ChatRequest request;  ///< system + messages flattened for the fake model, route "messages"
  bool stream = false;  ///< `stream: true`: answer as server-sent events
  std::vector<ToolDef> tools;
  std::string tool_choice = "auto";  ///< "auto" | "any" | "tool" | "none"
  std::string tool_name;             ///< tool_choice "tool": the tool to call
  std::vector<std::string> stop_sequences;
  bool tool_results = false;  ///< the last turn hands tool results back
  /// The text the forced tool's input is filled from: every user and system text of the request.
  std::string prompt_text;
};

/// Checks the request headers the Messages API requires: an API key (`x-api-key`, or
/// `authorization: Bearer ...`; else 401 authentication_error) and `anthropic-version` (else
/// 400 invalid_request_error). Header names are matched case-insensitively.
bool check_headers(const std::vector<std::pair<std::string, std::string>>& headers, WireError& error);

/// Parses a Messages request body. Required: `model` (a non-empty string), `max_tokens` (a
/// positive integer), `messages` (a non-empty array of {role: user|assistant, content: string
/// or blocks}). `system` may be a string or text blocks (and `role: "system"` messages are
/// accepted). Blocks: text (kept), tool_use (its input as text), tool_result (its content becomes
/// a context line "[doc:TOOL_USE_ID] TEXT" of that turn, with the last question asked before
/// it as "Question: ..."), image/document (ignored). False with `error` naming the field when
/// the body is invalid.
bool parse_messages_request(std::string_view body, MessagesCall& out, WireError& error);

/// The tool a call forces ("any": the first tool offered; "tool": the named one), or nullptr
/// (auto, none, no tools, or a turn that carries tool results: it is answered from them).
const ToolDef* forced_tool(const MessagesCall& call);

/// The input of a forced tool_use as JSON object text, filled from `prompt` by the tool's
/// input_schema: each required property (every property when none is required) gets an MRN
/// ("SYN-" and 7 digits) when its name speaks of a patient, an MRN or an id, the first
/// YYYY-MM-DD date when it speaks of a date, its first enum value, the first number for
/// number/integer, true for booleans, [] / {} for arrays / objects, else the question.
std::string tool_input(const ToolDef& tool, std::string_view prompt);

/// Turns a successful answer into the forced tool's call: one tool call ("toolu_" and the
/// answer id's hex) with tool_input, empty content, finish_reason "tool_calls".
void use_tool(const ToolDef& tool, std::string_view prompt, ChatResponse& r);

/// Cuts the content at the first of `stops` it holds; returns that stop sequence ("" = none).
std::string apply_stop_sequences(const std::vector<std::string>& stops, ChatResponse& r);

/// The message body of a successful response: {"id": "msg_...", "type": "message", "role":
/// "assistant", "model", "content": [text block if any, then tool_use blocks {"type":
/// "tool_use", "id", "name", "input"}], "stop_reason" (end_turn | max_tokens | stop_sequence |
/// tool_use), "stop_sequence", "usage": {"input_tokens", "output_tokens", ...}}.
std::string message_json(const ChatResponse& r, const std::string& stop_sequence);

/// The events of a streamed message, each "event: NAME\ndata: JSON\n\n": message_start (empty
/// content, stop_reason null), ping, then per block content_block_start, its deltas (text_delta
/// per word, or input_json_delta pieces of a tool's input; the `token` events) and
/// content_block_stop, then message_delta (stop_reason, output usage) and message_stop.
std::vector<openai::StreamEvent> stream_events(const ChatResponse& r, const std::string& stop_sequence);

/// An Anthropic error body.
std::string error_json(const WireError& e);
/// The error a vendor outcome with a non-200 status carries: 429 rate_limit_error, 529
/// overloaded_error, 5xx api_error, 401/403/404/413 their types, other 4xx invalid_request_error.
WireError outcome_error(const VendorOutcome& o);
/// The error as a whole response: its body, `request-id`, and for 429 and 5xx the retry headers
/// (openai::error_headers: retry-after, retry-after-ms, x-should-retry).
ServerResponse error_response(const WireError& e, Duration retry_after = 0);

}  // namespace gameday::net::anthropic
