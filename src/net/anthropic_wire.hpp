#pragma once
// The Anthropic Messages wire format of the fake vendor (POST /v1/messages): request JSON and
// headers -> ChatRequest, ChatResponse -> a message JSON and its server-sent events, Anthropic
// error bodies. Tool use goes through the shared tool-calling model (fakes/tool_calls.hpp):
// tool_choice auto / any / tool / none, parallel tool_use blocks, inputs filled from the prompt,
// and tool_result blocks answered from their content. Content the fake model cannot read
// (images, PDF documents, extended thinking, citations) is refused with Anthropic's 400; text
// documents are read as context. No I/O: vendor_server.cpp sends what these build.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fakes/tool_calls.hpp"
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

/// A parsed POST /v1/messages request.
struct MessagesCall {
  ChatRequest request;  ///< system + messages flattened for the fake model, route "messages"
  bool stream = false;  ///< `stream: true`: answer as server-sent events
  /// `tools` (name, description, input_schema), `tool_choice` (auto, the default; any =
  /// required; tool = named; none), `disable_parallel_tool_use` (parallel false), and the
  /// tool_result blocks of the last user turn (matched to their tool_use blocks by id).
  tools::ToolTurn tool_turn;
  std::vector<std::string> stop_sequences;
};

/// Checks the request headers the Messages API requires: an API key (`x-api-key`, or
/// `authorization: Bearer ...`; else 401 authentication_error) and `anthropic-version` (else
/// 400 invalid_request_error). Header names are matched case-insensitively.
bool check_headers(const std::vector<std::pair<std::string, std::string>>& headers, WireError& error);

/// Parses a Messages request body. Required: `model` (a non-empty string), `max_tokens` (a
/// positive integer), `messages` (a non-empty array of {role: user|assistant, content: string
/// or blocks}). `system` may be a string or text blocks (and `role: "system"` messages are
/// accepted). Blocks: text (kept); tool_use (an assistant turn's call: every one needs a
/// tool_result block in the next message); tool_result (in a user turn, answering a tool_use
/// of the message before by tool_use_id: such a turn becomes a "tool" message and its results
/// the tool turn's results); document with a text source ({type: "text", data}) read as a
/// context block "[doc:TITLE] data" of its turn (TITLE: the title with characters other than
/// letters, digits, '-', '_' and '.' made '-', else "document-N", N counting documents from 1).
/// `temperature` (0..1), `top_p` (0..1) and `top_k` (an integer >= 0) are range-checked and
/// otherwise have no effect (the model is deterministic); top_p and top_k -1 mean "not set".
/// Refused with 400 invalid_request_error naming the field path: image blocks (also inside
/// tool_result content), documents with another source (base64, url, file, content),
/// `citations` on a document, thinking blocks, other block types, `thinking` enabled, server
/// tools (a `type` other than "custom"), and tool_use / tool_result blocks that do not pair up
/// (Anthropic's wording). False with `error` then.
bool parse_messages_request(std::string_view body, MessagesCall& out, WireError& error);

/// Fits the fake model's answer to the call's tools: calls the answer already holds (the
/// model's tool step, the injection_following fault) take Anthropic's "toolu_" id prefix;
/// otherwise the calls tools::plan_tool_calls plans for the tool turn (ids "toolu_" + the
/// answer id's hex + "_" + index) replace its content, finish_reason "tool_calls", output
/// tokens counted from their names and inputs. After tool_result blocks
/// (auto) no call is planned: the answer was made from them (tools::with_tool_results).
void fit_answer(const MessagesCall& call, ChatResponse& r);

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
