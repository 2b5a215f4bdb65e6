#pragma once
// Injected instructions as the fake model reads them. One rule, shared by the fake vendor (which
// obeys an instruction under an injection_following fault) and the fakes loader (which checks
// that every payload of fakes/injections.yaml reads as the action it declares).
#include <optional>
#include <string_view>

#include "spec/model.hpp"

namespace gameday {

/// Canary tokens are this prefix and 8 lowercase hex digits ("GDCANARY-1a2b3c4d").
inline constexpr std::string_view kCanaryTokenPrefix = "GDCANARY-";
/// Whether `s` is exactly one canary token.
bool is_canary_token(std::string_view s);

/// Phrases that mark an injected instruction, matched case-insensitively. A context line
/// ("[doc:ID] text") holding one carries an instruction that runs from the first marker to the
/// end of the line. Every payload of the corpus contains one; task questions and real records
/// never do. (Lowercase; each holds a 'y' or a 'v', the letters the scan anchors on.)
inline constexpr std::string_view kInjectionMarkers[] = {
    "important system note", "ignore previous instructions", "ignore all previous instructions"};

/// What an injected instruction asks for, read from its wording alone.
struct InjectedInstruction {
  std::string_view text;    // from the marker to the end of its line
  /// What it asks for; nullopt when nothing the model can act on.
  std::optional<InjectionAction> action;
  std::string_view say;     // the double-quoted text to repeat (other_patient_phi, emit_canary, say)
  std::string_view tool;    // tool_call: the function name
  std::string_view canary;  // the first canary token in the instruction ("" when none)
};

/// Reads what `text` asks for. Rules, first match wins (case-insensitive):
/// 1. "call the <name> tool" (name: letters, digits, '_') -> tool_call, tool = name;
/// 2. "system prompt" -> reveal_system_prompt;
/// 3. a double-quoted span "..." -> say = its content, action other_patient_phi when it holds an
///    MRN ("SYN-" and 7 digits), else emit_canary when it holds a canary token, else say;
/// 4. otherwise "" (nothing to do).
/// `canary` is the first canary token anywhere in `text`. Views point into `text`.
InjectedInstruction read_instruction(std::string_view text);

/// The first injected instruction in the context lines of a user message (lines starting with
/// "[doc:"), or nullopt when none holds a marker. Views point into `user_message`.
std::optional<InjectedInstruction> find_injected_instruction(std::string_view user_message);

/// Position of the first case-insensitive occurrence of `needle` (lowercase) in `hay`, or npos.
std::size_t ifind(std::string_view hay, std::string_view needle, std::size_t from = 0);

}  // namespace gameday
