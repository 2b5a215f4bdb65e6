#pragma once
// The OpenAI wire format of the fake vendor (REFERENCE.md): request JSON -> ChatRequest and the
// embedding request, ChatResponse -> chat.completion JSON and chat.completion.chunk SSE events,
// OpenAI error bodies and their retry headers. No I/O: the server (vendor_server.cpp) sends
// what these build.
#include <string>
#include <string_view>
#include <vector>

#include "spec/model.hpp"
#include "fakes/tool_calls.hpp"
#include "fakes/vendor.hpp"
#include "net/http_server.hpp"

namespace gameday::net::openai {

/// An error as OpenAI reports it: {"error": {"message", "type", "param", "code"}} with an HTTP
/// status. Empty `param` / `code` are rendered as null.
struct WireError {
  int status = 400;
  std::string message;
  std::string type = "invalid_request_error";
  std::string param;  ///< the request field at fault ("messages[0].content"), "" = none
  std::string code;   ///< "missing_required_parameter", "invalid_type", ... "" = none
};

/// Most `stop` sequences one request may carry (as the OpenAI API: 4).
inline constexpr std::size_t kMaxStopSequences = 4;

/// A parsed POST /v1/chat/completions request.
struct ChatCall {
  ChatRequest request;         ///< model, messages, max_tokens, json_output, task_type
  bool stream = false;         ///< `stream: true`: answer as server-sent events
  bool include_usage = false;  ///< `stream_options.include_usage`: a final usage chunk
  int tool_count = 0;          ///< how many `tools` the caller offered
  /// `tools`, `tool_choice`, `parallel_tool_calls`, and the `role: "tool"` results sent after
  /// the last user message (with the names of the calls they answer).
  tools::ToolTurn tool_turn;
  int n = 1;                       ///< `n`: how many choices (1..128)
  std::vector<std::string> stop;   ///< `stop`: up to kMaxStopSequences non-empty strings
};

/// Parses a chat completion request body. Returns false with `error` naming the offending field
/// (in `param`) when the body is not JSON, a field has the wrong type or value, a field is not
/// a chat completions field ("Unrecognized request argument supplied: X"), or a field asks for
/// what the fake vendor does not model (code "unsupported_parameter": `logprobs: true`,
/// `top_logprobs`, `audio`, `modalities` with "audio", `prediction`, `web_search_options`, the
/// legacy `functions` / `function_call`). Accepted without effect (the fake model is
/// deterministic): temperature, top_p, seed, presence/frequency penalties, logit_bias, user,
/// store, service_tier, reasoning_effort, verbosity, prompt_cache_key, safety_identifier.
/// Message content may be a string, null, or an array of text parts (joined). A `tool` message
/// needs `tool_call_id` and must answer a call of the assistant message before it; an assistant
/// message's tool calls must each be answered before the next non-tool message.
/// `response_format` json_object or json_schema sets json_output; `metadata.task_type` sets
/// task_type; `max_completion_tokens` wins over `max_tokens`. `tool_choice` and
/// `parallel_tool_calls` need `tools`; a named tool_choice must name an offered function.
bool parse_chat_request(std::string_view body, ChatCall& out, WireError& error);

/// The answer a chat call gets, fitted to the call: tool calls planned from its tool turn
/// (tools::plan_tool_calls, ids stemmed on the response id) replace the content unless the
/// answer already holds tool calls (finish_reason "tool_calls"); else the content is cut before
/// the first `stop` sequence it holds (finish_reason "stop"). Usage is recounted when either
/// changed it.
void fit_answer(const ChatCall& call, ChatResponse& r);

/// `system_fingerprint` for a model: "fp_" and 10 hex digits of a hash of its name (the same
/// model always reports the same fingerprint).
std::string system_fingerprint(std::string_view model);

/// A parsed POST /v1/embeddings request.
struct EmbeddingCall {
  std::string model;
  std::vector<std::string> inputs;  ///< token-array inputs are kept as their decimal text
  int dimensions = 1536;
  bool base64 = false;  ///< `encoding_format: "base64"` (little-endian float32, base64)
};

/// Most inputs one embeddings request may carry (as the OpenAI API: 2048).
inline constexpr std::size_t kMaxEmbeddingInputs = 2048;
/// Most numbers one embeddings response may hold (inputs x dimensions): 2048 inputs at the
/// default 1536 dimensions. Bounds the response's memory whatever the body asks.
inline constexpr std::size_t kMaxEmbeddingValues = 2048 * 1536;

/// Parses an embeddings request body (input: a string, an array of strings, an array of token
/// ids or an array of such arrays; `dimensions` 1..8192). False with `error` when invalid,
/// including more than kMaxEmbeddingInputs inputs (param "input") and more than
/// kMaxEmbeddingValues inputs x dimensions (param "dimensions").
bool parse_embedding_request(std::string_view body, EmbeddingCall& out, WireError& error);

/// A deterministic unit vector for `input`: its lowercase words hashed into `dimensions` signed
/// buckets (so texts sharing words point the same way), or, for text without words, hashed
/// noise. The same input and dimensions always give the same vector.
std::vector<float> embedding_vector(std::string_view input, int dimensions);

/// The embeddings response: {"object": "list", "data": [{"object": "embedding", "index",
/// "embedding"}], "model", "usage": {"prompt_tokens", "total_tokens"}}.
std::string embeddings_json(const EmbeddingCall& call);

/// GET /v1/models: {"object": "list", "data": [{"id", "object": "model", "created": 0,
/// "owned_by"}]} with the profile's models (its id when it lists none).
std::string models_json(const VendorProfile& profile);
/// GET /v1/models/{id}: one model object.
std::string model_json(const VendorProfile& profile, const std::string& model);

/// The chat.completion body of a successful response, compact, keys in this order: {"id",
/// "object": "chat.completion", "created", "model", "system_fingerprint", "choices": [{"index",
/// "message": {"role": "assistant", "content", "tool_calls"}, "logprobs": null,
/// "finish_reason"}], "usage": {"prompt_tokens", "completion_tokens", "total_tokens"}}. `n`
/// choices (indices 0..n-1) carry the same answer (the fake model is deterministic) and usage
/// counts n times the completion tokens. content is null when it is empty and there are tool
/// calls; tool_calls ([{"id", "type": "function", "function": {"name", "arguments"}}]) only
/// when there are some. Strings are written by append_json_string (sim/json_text.hpp), so any
/// bytes give valid JSON (malformed UTF-8 becomes U+FFFD).
std::string completion_json(const ChatResponse& r, long long created, int n = 1);

/// An OpenAI error body.
std::string error_json(const WireError& e);
/// The error a vendor outcome with a non-200 status carries, as a WireError.
WireError outcome_error(const VendorOutcome& o);

/// The headers of an error answer: `retry-after` (whole seconds, rounded up) and
/// `retry-after-ms` when `retry_after` > 0, and `x-should-retry: true` for 429 and 5xx.
HeaderList error_headers(int status, Duration retry_after);

/// One server-sent event: "data: <payload>\n\n".
std::string sse_event(std::string_view payload);
/// The stream's terminator: "data: [DONE]\n\n".
std::string sse_done();

/// One event of a streamed chat completion.
struct StreamEvent {
  std::string data;    ///< a whole SSE event ("data: {...}\n\n")
  bool token = false;  ///< carries a piece of the answer (content or tool-call arguments): the
                       ///< events a stream_stall / stream_break counts and paces
};

/// The events of a streamed chat completion, in order, for each choice index 0..n-1 in turn: a
/// role chunk (delta role "assistant", content "", or null before tool calls), one chunk per
/// piece of content (a word with its leading whitespace), or per tool call a chunk with its
/// index, id, type, name and empty arguments followed by chunks of argument pieces; a chunk
/// with an empty delta and the finish_reason; then with `include_usage` a chunk with
/// `choices: []` and the usage (and `usage: null` on every earlier chunk); then [DONE]. Every
/// chunk has the response's id, object "chat.completion.chunk", `created`, model and
/// system_fingerprint.
std::vector<StreamEvent> stream_events(const ChatResponse& r, long long created, bool include_usage,
                                       int n = 1);

/// Splits text into stream pieces: each word with the whitespace before it (concatenated, the
/// pieces give back the text).
std::vector<std::string> split_pieces(std::string_view text);

}  // namespace gameday::net::openai
