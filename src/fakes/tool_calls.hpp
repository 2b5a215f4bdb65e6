#pragma once
// Tool calling as the fake model does it, independent of any wire format: which of the offered
// tools a request calls (tool_choice auto / none / required / a named tool), the call's
// arguments filled from the tool's JSON schema and the prompt (ids, names, dates and numbers
// found in the messages), and the request the model answers once tool results came back (their
// text read as context, so the answer cites them). Pure functions of their inputs: no
// randomness, no clock.
#include <string>
#include <string_view>
#include <vector>

#include "fakes/vendor.hpp"

namespace gameday::tools {

/// One tool the caller offers (OpenAI `tools[].function`, Anthropic `tools[]`).
struct ToolSpec {
  std::string name;
  std::string description;
  std::string parameters = "{}";  ///< the JSON schema of the arguments, as JSON text
};

/// How the caller lets the model use its tools.
enum class ChoiceMode : std::uint8_t { kAuto, kNone, kRequired, kNamed };

/// OpenAI `tool_choice` (Anthropic `tool_choice` maps onto it: any = required, tool = named).
struct ToolChoice {
  ChoiceMode mode = ChoiceMode::kAuto;
  std::string name;  ///< kNamed: the tool that must be called
};

/// The result of a tool call the caller sends back (OpenAI `role: "tool"` message).
struct ToolResult {
  std::string call_id;  ///< the tool call it answers (`tool_call_id`)
  std::string name;     ///< the called tool's name ("" when unknown)
  std::string content;  ///< the result as the caller sent it
};

/// A request's tool-calling part.
struct ToolTurn {
  std::vector<ToolSpec> tools;
  ToolChoice choice;
  bool parallel = true;  ///< `parallel_tool_calls` (default true)
  /// Tool results sent after the last user message: the model has called tools for the current
  /// question and now answers from their results.
  std::vector<ToolResult> results;
};

/// How well `tool` fits `question`: the number of distinct question words (lowercase,
/// alphanumeric runs of 3+ characters, stopwords dropped, a plural 's' folded) found among the
/// words of the tool's name (split at '_', '-', '.' and lower-to-upper case changes) and its
/// description.
int relevance(const ToolSpec& tool, std::string_view question);

/// The tools `req` calls, in the order offered, each with arguments filled by fill_arguments.
/// none: no call. Named: that tool (which must be offered). required: the tools that apply (see
/// below), else the most relevant one (the first on ties). auto: the tools that apply, but only
/// when no tool result came back for the current question (`turn.results` empty) and the
/// context in the last user message does not already answer it (the extractive model finds no
/// sentence for it). A tool applies when its relevance is at least 2, or is the best relevance
/// and at least 1. Without `parallel` at most one call (the most relevant). Call ids are
/// "call_" + `id_stem` + "_" + the call's index.
std::vector<ToolCall> plan_tool_calls(const ChatRequest& req, const ToolTurn& turn, std::string_view id_stem);

/// Arguments for a tool with the JSON schema `parameters`, as compact JSON text valid for it:
/// every required property (and every property a strict schema lists), plus optional ones whose
/// value the prompt holds. Values by type and by the property's name / description / format:
/// enums take the value the prompt mentions (else the first); dates the first YYYY-MM-DD date
/// in the messages; identifiers (name or description mentioning id, mrn, patient, member,
/// record, reference) the first MRN / member id / [doc:ID] / letter-digit code; names a run of
/// two capitalised words; query-like strings the question; numbers the first free-standing
/// number of the question, clamped to minimum / maximum; booleans false; arrays one filled
/// item (none when optional); objects recursively. `messages` are searched last user message
/// first, then the others from the newest. A schema that is not a JSON object gives "{}".
std::string fill_arguments(std::string_view parameters, const std::vector<ChatMessage>& messages);

/// The request the model answers after tool results came back: `req` with the results appended
/// to its last user message as context blocks, so the extractive model answers from them and
/// cites them. A result holding "[doc:ID] ..." lines adds those lines; a JSON result adds one
/// block per object (the object's "id" as its id, else the tool call id) written as
/// "key: value." sentences; any other text adds one block "[doc:CALL_ID] text" (newlines made
/// spaces).
ChatRequest with_tool_results(const ChatRequest& req, const std::vector<ToolResult>& results);

/// Attaches `turn` to `req` (ChatRequest::tool_turn) when it offers tools or carries results, so
/// FakeVendor::respond takes its tool step and answers from the results; a request without
/// either is left as it is. Returns `req`; `turn` must outlive its use.
inline const ChatRequest& attach(ChatRequest& req, const ToolTurn& turn) {
  if (!turn.tools.empty() || !turn.results.empty()) req.tool_turn = &turn;
  return req;
}

}  // namespace gameday::tools
