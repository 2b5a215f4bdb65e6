#pragma once
// The fake model vendor's behaviour as a pure function: request in, outcome (delay, status,
// OpenAI-shaped body) out. The simulator schedules the delay; the HTTP shell sleeps it on a timer.
#include <string>
#include <vector>

#include "config/model.hpp"
#include "sim/rng.hpp"
#include "sim/time.hpp"

namespace gameday {

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
  std::string content;
  std::string finish_reason = "stop";
  ChatUsage usage;
};

/// An OpenAI error body's fields.
struct VendorError {
  std::string message;
  std::string type;  // "rate_limit_error", "server_error", ...
  std::string code;  // "rate_limit_exceeded", ...
};

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
class FakeVendor {
 public:
  explicit FakeVendor(VendorProfile profile);
  const VendorProfile& profile() const { return profile_; }

  /// Computes the outcome of `req` at time `now`. `faults` are the active faults targeting
  /// this vendor; each applies with its probability. Pure: all randomness comes from `rng`,
  /// drawn in a fixed order (ttft, response id, baseline error, then per fault in order).
  /// Precedence: hang > first applied error fault > baseline error (500) > answer. Latency
  /// faults add to ttft and delay in every case. delay = ttft + completion_tokens /
  /// tokens_per_second on success, ttft on errors. fault_ids: applied latency faults plus the
  /// hang or error fault that decided the outcome.
  VendorOutcome respond(const ChatRequest& req, SimTime now, Rng& rng,
                        const std::vector<const FaultSpec*>& faults) const;

 private:
  VendorProfile profile_;
};

/// Renders a successful response as an OpenAI chat.completion JSON object.
std::string to_openai_json(const ChatResponse& r, long long created);
/// Renders an error as an OpenAI error JSON object.
std::string to_openai_error_json(const VendorError& e);

/// Rough token count (about 4 characters a token), as vendors bill.
int estimate_tokens(const std::string& text);

}  // namespace gameday
