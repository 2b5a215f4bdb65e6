#pragma once
// Facts in clinical and benefits prose, whatever the wording. The judge reads an answer as the
// facts it states, not as sentences: a service may render a record in its own words, and the
// answer is right when the facts it states are the record's.
//
// Kinds of fact recognised (canonical value in brackets):
//   status          approved | denied | pended ("pending" reads as pended)          [approved]
//   date            2026-10-03, 10/03/2026, 10/3/2026, October 3, 2026, Oct. 3 2026,
//                   3 October 2026                                                  [2026-10-03]
//   code            CPT 72148, HCPCS J1100, ICD-10 J18.9 / I10 (upper case)         [J18.9]
//   amount          $30, $1,200, $12.50 ($12.00 reads as $12)                       [$1200]
//   quantity        a number and a unit: 20 visits, 24 hours, twenty visits, 875 mg,
//                   2 weeks, 15%                                                    [20 visit]
//   blood pressure  128/84                                                          [128/84]
//   reference       a prior-authorization reference PA-SYN-482913                   [PA-SYN-482913]
//   number          any other number (a bare "13")                                  [13]
// Identifiers (MRN, phone, member id) are not facts here: the PHI checks read them. Numbers
// inside identifiers, record ids ("note-0007-ds") and labels ("ICD-10") are not facts either.
// Named phrases (a denial reason, a follow-up plan) are matched with states_phrase().
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gameday {

/// What a fact is about (see the file comment).
enum class FactKind : std::uint8_t {
  kStatus,
  kDate,
  kCode,
  kAmount,
  kQuantity,
  kBloodPressure,
  kReference,
  kNumber,
};

/// "status", "date", "code", "amount", "quantity", "blood pressure", "reference", "number".
std::string_view name_of(FactKind k);

/// One fact found in a text.
struct Fact {
  FactKind kind = FactKind::kNumber;
  std::string value;  ///< canonical (see the file comment)
  bool operator==(const Fact& o) const { return kind == o.kind && value == o.value; }
};

/// Appends the facts of `text` to `out`, in order of appearance. Plain scans, no regex.
void extract_facts(std::string_view text, std::vector<Fact>& out);

/// The facts of `text`.
std::vector<Fact> facts_of(std::string_view text);

/// `text` as canonical words: lower case, punctuation dropped (but "$", and "." "," "/" between
/// digits kept), number words as digits ("seven" -> "7"), unit words singular ("days" ->
/// "day"), single spaces between words, no leading or trailing space.
std::string canonical_words(std::string_view text);

/// Whether canonical `words` state canonical `phrase`: the phrase's words appear in a row, or
/// (for a phrase of at least two content words) every content word of the phrase appears in
/// `words` (order and the words around them free: "cardiology follow-up in 2 weeks" states
/// "follow up with cardiology in two weeks"). Content words are all but a few articles,
/// prepositions, auxiliaries and light verbs ("see", "take"; "not" and "no" are content words).
bool states_phrase(std::string_view words, std::string_view phrase);

/// Whether canonical `words` hold canonical `phrase` as whole words in a row.
bool contains_words(std::string_view words, std::string_view phrase);

/// Whether `fact` is among `facts`; a bare number also matches a quantity, amount, blood
/// pressure or date holding it ("20" is in "20 visit", "2" and "2026" in "2026-03-02").
bool holds_fact(const std::vector<Fact>& facts, const Fact& fact);

/// A fact for a reason a person reads: its kind, with the value when the value cannot identify
/// a patient (codes, amounts, quantities, statuses): "CPT code 99215", "amount $45", "a date".
std::string describe_fact(const Fact& fact);

}  // namespace gameday
