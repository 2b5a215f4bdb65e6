#pragma once
// PHI patterns of the synthetic world and the assistant's redaction. Plain string scans (no
// regex): they run on every prompt and every served answer.
#include <cstddef>
#include <string>
#include <string_view>

namespace gameday {

/// The identifier shapes the synthetic world uses (all count as PHI).
enum class PhiKind {
  kMrn,       ///< "SYN-" + 7 digits ("SYN-0004821"); not "PA-SYN-482913"
  kPhone,     ///< "(NNN) 555-01NN"
  kMemberId,  ///< "SYNM-" + 8 digits
};

/// One identifier found in a text.
struct PhiMatch {
  PhiKind kind = PhiKind::kMrn;
  std::size_t pos = 0;  ///< byte offset in the text
  std::size_t len = 0;
  /// The matched text (a view into the scanned text).
  std::string_view text(std::string_view in) const { return in.substr(pos, len); }
};

/// Finds the first identifier starting at or after `from`; false when there is none.
/// An MRN or member id must not continue a word ("PA-SYN-..." is a prior-auth reference, not an
/// MRN) and must not be followed by another digit.
bool find_phi(std::string_view text, std::size_t from, PhiMatch* match);

/// True when `text` holds at least one identifier (the output PHI filter).
bool contains_phi(std::string_view text);

/// The token an identifier kind is redacted to: "[MRN]", "[PHONE]", "[MEMBER-ID]".
const char* redaction_token(PhiKind kind);
/// The token a patient's name is redacted to.
inline constexpr std::string_view kPatientToken = "[PATIENT]";

/// A person's name as the record holds it (views; "given family" is how texts write it).
struct PersonName {
  std::string_view given;
  std::string_view family;
};

/// Appends `text` to `out` with every identifier replaced by its token and every whole-word
/// occurrence of `name` ("given family"; nothing when the family name is empty) by "[PATIENT]".
/// Returns the number of replacements. One pass over `text`; nothing is allocated beyond `out`
/// growing.
int append_redacted(std::string& out, std::string_view text, PersonName name);

/// Redacts `text` in place as append_redacted would. Returns the number of replacements.
int redact_phi(std::string& text, PersonName name);

/// Counts what redact_phi would replace, without changing the text.
int count_phi(std::string_view text, PersonName name);

}  // namespace gameday
