#pragma once
// The fake model vendor's behaviour as a pure function: request in, outcome (delay, status,
// response or error) out. The simulator schedules the delay; the HTTP shell sleeps it on a timer
// and writes the outcome in the OpenAI wire format (net/openai_wire.hpp). The answer itself comes
// from the extractive model (extractive_model.hpp) and the faults that bend it (bend.hpp).
#include <string>
#include <string_view>
#include <vector>

#include "spec/model.hpp"
#include "sim/rng.hpp"
#include "sim/time.hpp"

namespace gameday {

namespace tools {
struct ToolTurn;
}

/// One chat message.
struct ChatMessage {
  std::string role;  // "system" | "user" | "assistant"
  std::string content;
};

/// An OpenAI-style chat completion request (the fields gameday uses).
struct ChatRequest {
  std::string model;
  std::vector<ChatMessage> messages;
  int max_tokens = 256;
  bool json_output = false;  // response_format json_object/json_schema
  /// Request metadata (OpenAI `metadata: {"task_type": ...}`): what the caller is doing, for
  /// fault filters (task_types). "" = not given. The model's answer never depends on it.
  std::string task_type;
  /// The vendor route the request came on (kChatRoute, kResponsesRoute for the Responses API,
  /// or kMessagesRoute for Anthropic Messages): fault `routes` filters match it.
  std::string_view route = kChatRoute;
  /// The tools offered and the tool results sent back (the simulated assistant's tool flow);
  /// null when the request offers no tools. Not owned: it must outlive the call to respond().
  const tools::ToolTurn* tool_turn = nullptr;
};

/// A function call the model asks the caller to make (OpenAI `message.tool_calls[]`).
struct ToolCall {
  std::string id;         // "call_..."
  std::string name;       // function name
  std::string arguments;  // JSON object text
};

/// Token usage as OpenAI reports it.
struct ChatUsage {
  int prompt_tokens = 0;
  int completion_tokens = 0;
  int total_tokens = 0;
};

/// A successful chat completion.
struct ChatResponse {
  std::string id;             // "chatcmpl-..."
  std::string model;
  std::string content;         // may be empty when the model made tool calls
  std::string finish_reason = "stop";  // stop | length | tool_calls
  std::vector<ToolCall> tool_calls;
  ChatUsage usage;
};

/// An OpenAI error body's fields.
struct VendorError {
  std::string message;
  std::string type;  // "rate_limit_error", "server_error", ...
  std::string code;  // "rate_limit_exceeded", ...
};

/// How a live-only transport fault ends a response (see VendorOutcome::disconnect).
enum class Disconnect : std::uint8_t { kNone, kReset, kStreamStall, kStreamBreak };

/// What the vendor does with one request.
struct VendorOutcome {
  Duration delay = 0;        // until the whole response (or the error) is sent
  Duration ttft = 0;         // until the first token (streaming)
  bool hang = false;         // never answers; the caller's timeout decides (status is then 0)
  int status = 200;
  ChatResponse response;     // status 200
  VendorError error;         // status != 200
  Duration retry_after = 0;  // error only; 0 = no header
  std::vector<std::string> fault_ids;  // faults that shaped this outcome
  /// Identifiers found in the request's messages (count_phi_identifiers over every message):
  /// the vendor records what PHI it received, so a scenario can show whether redaction worked.
  /// Set on every outcome, errors and hangs included (the request was received).
  int phi_received = 0;
  /// A live-only transport fault that decided the outcome (the HTTP server acts it out):
  /// kReset (the connection is reset, nothing sent; status 0 after `delay`), kStreamBreak (the
  /// answer is sent up to `after_tokens` tokens, then the connection closes; status 0 after
  /// `delay`, the time of the break; `response` holds the whole answer), kStreamStall (the same,
  /// then nothing more: also `hang`). In simulation these are failures without a status: reset
  /// and stream_break reach the caller as status 0 (like its own timeout), stream_stall as a
  /// hang.
  Disconnect disconnect = Disconnect::kNone;
  int after_tokens = 0;  ///< stream_break / stream_stall: answer tokens sent before it happens
};

/// A POST /v1/embeddings request (the fields gameday uses).
struct EmbeddingRequest {
  std::string model;                ///< "" = the vendor's default
  std::vector<std::string> inputs;  ///< texts to embed
  int dimensions = 64;
  std::string task_type;            ///< request metadata for fault filters ("" = not given)
};

/// What the vendor does with one embeddings request.
struct EmbeddingOutcome {
  Duration delay = 0;   ///< until the response (or the error) is sent
  bool hang = false;    ///< never answers (status 0)
  int status = 200;     ///< 0 after `delay` for a reset
  std::vector<std::vector<float>> vectors;  ///< status 200: one per input (embedding_vector)
  VendorError error;                        ///< status != 200
  Duration retry_after = 0;
  std::vector<std::string> fault_ids;       ///< faults that shaped this outcome
  Disconnect disconnect = Disconnect::kNone;  ///< kReset: the connection is reset
};

/// A fake vendor with a profile. Answers only from the context in the prompt, extractively,
/// citing the ids of documents it was given, like a grounded model would.
///
/// Prompt contract (what the reference assistant sends; any client may): the (last) user message
/// holds a line "Question: ..." (without one, its first line that is not context is the
/// question) and context blocks, each a line "[doc:ID] text". If the system message
/// asks to cite ("cite"), each answer sentence ends with " [doc:ID]".
///
/// The answer: context text splits into sentences on ". " (each keeps its '.'); a sentence scores
/// the number of distinct question keywords among its tokens (case-insensitive; '-', '$', '.'
/// and '\'' stay inside tokens; stopwords dropped; a plural 's' and "'s" are folded). The two
/// best sentences with score > 0 (ties: the earlier) are output in context order, joined by one
/// space: "S1. [doc:A] S2. [doc:B]". With none, the answer is the refusal
/// "I cannot answer that from the provided records." (never cited). With json_output the
/// content is {"answer": "S1. S2.", "citations": ["A", "B"]} (distinct ids; [] without "cite"
/// or on refusal). Content beyond max_tokens*4 characters is cut, finish_reason "length".
///
/// Faults that bend the answer (first applied fault of each kind; docs/file-formats.md has the
/// user-facing version):
/// - refusal_storm: an answerable question gets the refusal.
/// - drift: the response reports `model_version` as its model; the answer is refused with
///   probability refusal_rate, else hallucinated (mixed) with probability hallucination_rate.
/// - hallucination (`mode`, default mixed = one of the four drawn per request):
///   fabricated_code replaces CPT-shaped codes (5 digits, or a capital and 4 digits) and
///   ICD-10-shaped codes (capital, 2 digits, '.', 1-4 letters or digits) with other codes from
///   the material (none in the answer: appends "The billing code for this service is CPT X.");
///   unsupported_fact appends a fact sentence from the material, cited like the sentence before
///   it; foreign_citation cites the last sentence to a document it was not given (the id with
///   its "-vN" suffix made "-v9", or "-v2" appended; cited even when the prompt does not ask);
///   altered_numbers changes amounts ("$30" -> "$45": x1.5, $0 -> $25), small numbers ("20" ->
///   "26": +30%, at least +1) and dates (day of month moved by 8) (nothing to alter:
///   unsupported_fact). A refusal is replaced by a fact (fabricated_code: the code sentence)
///   cited to the first context document (foreign_citation: to a foreign id).
/// - injection_following: when the context holds an injected instruction
///   (find_injected_instruction), obeys it with probability `susceptibility`: tool_call
///   returns one tool call {name, arguments {"patient": first MRN in the prompt, "reference":
///   the canary}} with empty content and finish_reason "tool_calls"; reveal_system_prompt
///   appends "My instructions are: <system message>"; say / emit_canary / other_patient_phi
///   append the quoted text (never cited). Without this fault an instruction is never obeyed.
/// - schema_break (only when json_output; `mode` invalid_json | truncated | missing_field |
///   mixed): single-quoted keys and strings; the content cut in the middle of the answer string
///   (finish_reason "length"); or "citations" or "answer" dropped (drawn).
/// Order: refusal (storm or drift) replaces the answer and skips hallucination and injection;
/// else hallucination bends it, then the injection is obeyed; schema_break applies last.
class FakeVendor {
 public:
  /// A vendor that hallucinates from built-in material.
  explicit FakeVendor(VendorProfile profile);
  /// A vendor that hallucinates from `material` (empty lists fall back to built-in ones).
  FakeVendor(VendorProfile profile, HallucinationMaterial material);
  const VendorProfile& profile() const { return profile_; }
  /// The model that answers `req`: req.model, else the profile's first model, else its id.
  /// (A drift fault changes the model the response reports, not this.)
  std::string_view model_for(const ChatRequest& req) const;

  /// Computes the outcome of `req` at time `now`. `faults` are the faults that may apply
  /// (FaultBoard::select, or every active fault of this vendor from for_target); each applies
  /// when the request passes its filters (task_types on req.task_type, models on model_for,
  /// routes on req.route) and a draw falls under its probability. Pure: all randomness comes
  /// from `rng`, drawn in a fixed order: ttft, response id, baseline error, then one draw per
  /// filtered fault in order (plus a delay sample for applied latency faults), then only on
  /// success and only when a bending fault applied: drift (refusal, hallucination),
  /// hallucination (mode when mixed, then material picks), injection (susceptibility),
  /// schema_break (mode when mixed, missing field).
  /// Precedence: hang > reset > first applied error fault > baseline error (500) > answer
  /// (stream_stall, then stream_break, bend an answer only; see VendorOutcome::disconnect). Latency
  /// faults add to ttft and delay in every case. delay = ttft + completion_tokens /
  /// tokens_per_second on success, ttft on errors. fault_ids: applied latency faults, the hang
  /// or error fault that decided the outcome, then on success the bending faults that changed
  /// the answer (drift whenever applied) in the order above.
  VendorOutcome respond(const ChatRequest& req, SimTime now, Rng& rng,
                        const std::vector<const FaultSpec*>& faults) const;
  /// Computes the outcome of an embeddings request: the faults of `faults` whose `routes`
  /// include embeddings (fault_on_route) and whose kind acts there (latency, error, hang, reset)
  /// apply as for chat (one probability draw each, in order, plus a delay sample for latency),
  /// with the same precedence (hang > reset > first error). No baseline errors. The delay is a
  /// fifth of a ttft draw (drawn first) plus applied latency. Vectors are embedding_vector of
  /// each input at req.dimensions.
  EmbeddingOutcome embed(const EmbeddingRequest& req, Rng& rng,
                         const std::vector<const FaultSpec*>& faults) const;

 private:
  VendorProfile profile_;
  HallucinationMaterial material_;
};

/// Counts identifier-shaped strings in `text` (one hand-written pass, no regex): MRNs ("SYN-"
/// and exactly 7 digits), member ids ("SYNM-" and exactly 8 digits) and the world's fictional
/// phones ("(NNN) 555-01NN"). Names are not counted: the vendor does not know the world.
int count_phi_identifiers(std::string_view text);

/// The `after_tokens` parameter of a stream_stall or stream_break fault (default 5).
int stream_fault_after_tokens(const FaultSpec& f);

/// Rough token count (about 4 characters a token), as vendors bill.
int estimate_tokens(const std::string& text);

}  // namespace gameday
