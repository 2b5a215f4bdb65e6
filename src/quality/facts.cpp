#include "quality/facts.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <string>
#include <unordered_map>

#include "assistant/phi.hpp"

namespace gameday {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || is_upper(c); }
bool is_alnum(char c) { return is_digit(c) || is_alpha(c); }
char lower(char c) { return is_upper(c) ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::size_t digits_at(std::string_view s, std::size_t i) {
  std::size_t j = i;
  while (j < s.size() && is_digit(s[j])) ++j;
  return j - i;
}

int number_at(std::string_view s, std::size_t i, std::size_t n) {
  int v = 0;
  for (std::size_t k = 0; k < n; ++k) v = v * 10 + (s[i + k] - '0');
  return v;
}

// The letters run at i.
std::string_view word_at(std::string_view s, std::size_t i) {
  std::size_t j = i;
  while (j < s.size() && is_alpha(s[j])) ++j;
  return s.substr(i, j - i);
}

// A fact may start at i: not inside a word, an identifier or a record id ("note-0007").
bool starts_token(std::string_view s, std::size_t i) {
  return i == 0 || !(is_alnum(s[i - 1]) || s[i - 1] == '-' || s[i - 1] == '_' || s[i - 1] == ':');
}
// A fact may end at j: the word does not go on ("72148" but not "72148a" or "72148-2").
bool ends_token(std::string_view s, std::size_t j) {
  if (j >= s.size()) return true;
  if (is_alnum(s[j]) || s[j] == '_') return false;
  return !(s[j] == '-' && j + 1 < s.size() && is_alnum(s[j + 1]));
}

constexpr std::array<std::string_view, 12> kMonths = {
    "january", "february", "march",     "april",   "may",      "june",
    "july",    "august",   "september", "october", "november", "december"};

// Words of numbers a sentence may spell out.
struct NumberWord {
  std::string_view word;
  int value;
};
constexpr std::array<NumberWord, 26> kNumberWords = {{
    {"zero", 0},      {"one", 1},        {"two", 2},        {"three", 3},     {"four", 4},
    {"five", 5},      {"six", 6},        {"seven", 7},      {"eight", 8},     {"nine", 9},
    {"ten", 10},      {"eleven", 11},    {"twelve", 12},    {"thirteen", 13}, {"fourteen", 14},
    {"fifteen", 15},  {"sixteen", 16},   {"seventeen", 17}, {"eighteen", 18}, {"nineteen", 19},
    {"twenty", 20},   {"thirty", 30},    {"forty", 40},     {"fifty", 50},    {"sixty", 60},
    {"ninety", 90},
}};

// Units a quantity may have, singular; a unit word is its singular or its plural ("+s").
constexpr std::array<std::string_view, 16> kUnits = {
    "visit", "day",  "week",  "month", "year", "hour",   "minute", "mg",
    "mcg",   "g",    "kg",    "ml",    "unit", "tablet", "session", "dose"};

// What a word means to the scanner (every field "none" for most words).
struct WordInfo {
  int month = 0;          // 1-12 for a month's name or its first three letters ("sept" too)
  int number = -1;        // a spelled number
  std::string_view unit;  // the singular unit
  std::string_view status;
};

// Looks up std::string keys by string_view (no allocation per word).
struct ViewHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using WordTable = std::unordered_map<std::string, WordInfo, ViewHash, std::equal_to<>>;

// Lower-case word -> meaning, built once: one lookup per word instead of scans of each list.
const WordTable& word_table() {
  static const WordTable table = [] {
    WordTable t;
    for (std::size_t m = 0; m < kMonths.size(); ++m) {
      t[std::string(kMonths[m])].month = static_cast<int>(m) + 1;
      t[std::string(kMonths[m].substr(0, 3))].month = static_cast<int>(m) + 1;
    }
    t["sept"].month = 9;
    for (const NumberWord& n : kNumberWords) t[std::string(n.word)].number = n.value;
    for (std::string_view u : kUnits) {
      t[std::string(u)].unit = u;
      if (u.size() > 1) t[std::string(u) + "s"].unit = u;
    }
    for (std::string_view st : {"approved", "denied", "pended"}) t[std::string(st)].status = st;
    t["pending"].status = "pended";
    return t;
  }();
  return table;
}

// The meaning of word `w` (any case); nullptr for most words.
const WordInfo* info_of(std::string_view w) {
  constexpr std::size_t kLongest = 9;  // "september"
  if (w.empty() || w.size() > kLongest) return nullptr;
  char key[kLongest];
  for (std::size_t i = 0; i < w.size(); ++i) key[i] = lower(w[i]);
  const auto& t = word_table();
  const auto it = t.find(std::string_view(key, w.size()));
  return it == t.end() ? nullptr : &it->second;
}

int month_of(std::string_view w) {
  const WordInfo* i = info_of(w);
  return i ? i->month : 0;
}

int number_word(std::string_view w) {
  const WordInfo* i = info_of(w);
  return i ? i->number : -1;
}

std::string_view unit_of(std::string_view w) {
  const WordInfo* i = info_of(w);
  return i ? i->unit : std::string_view();
}

std::string iso_date(int y, int m, int d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
  return buf;
}

bool valid_date(int m, int d) { return m >= 1 && m <= 12 && d >= 1 && d <= 31; }

// PHI spans of a text, so numbers inside identifiers are skipped.
struct Skips {
  std::vector<std::pair<std::size_t, std::size_t>> spans;  // [begin, end)
  explicit Skips(std::string_view s) {
    PhiMatch m;
    for (std::size_t from = 0; find_phi(s, from, &m); from = m.pos + m.len) {
      spans.emplace_back(m.pos, m.pos + m.len);
    }
  }
  // The end of the span holding i, or 0.
  std::size_t end_at(std::size_t i) const {
    for (const auto& [b, e] : spans) {
      if (i >= b && i < e) return e;
    }
    return 0;
  }
};

class Scanner {
 public:
  Scanner(std::string_view s, std::vector<Fact>& out) : s_(s), out_(out) {}

  void run() {
    const Skips skips(s_);
    std::size_t i = 0;
    while (i < s_.size()) {
      if (const std::size_t e = skips.end_at(i); e > 0) {
        i = e;
        continue;
      }
      if (!is_alnum(s_[i]) && s_[i] != '$') {
        ++i;
        continue;
      }
      std::size_t n = starts_token(s_, i) ? fact_at(i) : 0;
      if (n == 0) {
        // Not a fact: skip the rest of the word.
        n = 1;
        while (i + n < s_.size() && is_alnum(s_[i + n])) ++n;
      }
      i += n;
    }
  }

 private:
  void add(FactKind k, std::string v) { out_.push_back(Fact{k, std::move(v)}); }

  // The length of the fact at i (added to out_), or 0. Most words are none: a letter word is
  // looked up once, and only the readers its first character allows are tried.
  std::size_t fact_at(std::size_t i) {
    using Reader = std::size_t (Scanner::*)(std::size_t);
    auto first = [&](std::initializer_list<Reader> readers) -> std::size_t {
      for (Reader r : readers) {
        if (const std::size_t n = (this->*r)(i); n > 0) return n;
      }
      return 0;
    };
    const char c = s_[i];
    if (is_digit(c) || c == '$') {
      return first({&Scanner::iso, &Scanner::us_date, &Scanner::day_first, &Scanner::amount,
                    &Scanner::blood_pressure, &Scanner::code, &Scanner::number});
    }
    if ((c == 'P' || c == 'p') && i + 2 < s_.size() && s_[i + 2] == '-') return reference(i);
    if (is_upper(c) && i + 1 < s_.size() && is_digit(s_[i + 1])) return code(i);
    const WordInfo* info = info_of(word_at(s_, i));
    if (info == nullptr) return 0;
    if (info->month > 0) return month_first(i);
    if (info->number >= 0) return spelled_number(i);
    if (!info->status.empty()) return status(i);
    return 0;
  }

  std::size_t reference(std::size_t i) {
    constexpr std::string_view kRef = "PA-SYN-";
    if (s_.size() - i < kRef.size() + 1 || !iequals(s_.substr(i, kRef.size()), kRef)) return 0;
    const std::size_t d = digits_at(s_, i + kRef.size());
    if (d == 0 || !ends_token(s_, i + kRef.size() + d)) return 0;
    add(FactKind::kReference, "PA-SYN-" + std::string(s_.substr(i + kRef.size(), d)));
    return kRef.size() + d;
  }

  // 2026-10-03
  std::size_t iso(std::size_t i) {
    if (!(digits_at(s_, i) == 4 && i + 10 <= s_.size() && s_[i + 4] == '-' &&
          digits_at(s_, i + 5) == 2 && s_[i + 7] == '-' && digits_at(s_, i + 8) == 2 &&
          ends_token(s_, i + 10))) {
      return 0;
    }
    const int m = number_at(s_, i + 5, 2), d = number_at(s_, i + 8, 2);
    if (!valid_date(m, d)) return 0;
    add(FactKind::kDate, iso_date(number_at(s_, i, 4), m, d));
    return 10;
  }

  // 10/03/2026 or 10/3/2026 (month first)
  std::size_t us_date(std::size_t i) {
    const std::size_t a = digits_at(s_, i);
    if (a < 1 || a > 2 || i + a >= s_.size() || s_[i + a] != '/') return 0;
    const std::size_t j = i + a + 1;
    const std::size_t b = digits_at(s_, j);
    if (b < 1 || b > 2 || j + b >= s_.size() || s_[j + b] != '/') return 0;
    const std::size_t k = j + b + 1;
    if (digits_at(s_, k) != 4 || !ends_token(s_, k + 4)) return 0;
    const int m = number_at(s_, i, a), d = number_at(s_, j, b);
    if (!valid_date(m, d)) return 0;
    add(FactKind::kDate, iso_date(number_at(s_, k, 4), m, d));
    return k + 4 - i;
  }

  // After a day number at j: "st"/"nd"/"rd"/"th", then ",", blanks; returns the position after.
  std::size_t skip_day_suffix(std::size_t j) const {
    if (j + 2 <= s_.size() && is_alpha(s_[j]) && is_alpha(s_[j + 1]) &&
        (j + 2 == s_.size() || !is_alpha(s_[j + 2]))) {
      const std::string_view suf = s_.substr(j, 2);
      if (iequals(suf, "st") || iequals(suf, "nd") || iequals(suf, "rd") || iequals(suf, "th")) j += 2;
    }
    return j;
  }
  std::size_t skip_blanks(std::size_t j, bool comma) const {
    while (j < s_.size() && (s_[j] == ' ' || (comma && s_[j] == ','))) ++j;
    return j;
  }

  // October 3, 2026 / Oct. 3 2026
  std::size_t month_first(std::size_t i) {
    const std::string_view w = word_at(s_, i);
    const int m = month_of(w);
    if (m == 0) return 0;
    std::size_t j = i + w.size();
    if (j < s_.size() && s_[j] == '.') ++j;
    j = skip_blanks(j, false);
    const std::size_t a = digits_at(s_, j);
    if (a < 1 || a > 2) return 0;
    const int d = number_at(s_, j, a);
    j = skip_blanks(skip_day_suffix(j + a), true);
    if (digits_at(s_, j) != 4 || !ends_token(s_, j + 4) || !valid_date(m, d)) return 0;
    add(FactKind::kDate, iso_date(number_at(s_, j, 4), m, d));
    return j + 4 - i;
  }

  // 3 October 2026
  std::size_t day_first(std::size_t i) {
    const std::size_t a = digits_at(s_, i);
    if (a < 1 || a > 2) return 0;
    const int d = number_at(s_, i, a);
    std::size_t j = skip_blanks(skip_day_suffix(i + a), false);
    const std::string_view w = word_at(s_, j);
    const int m = month_of(w);
    if (m == 0) return 0;
    j += w.size();
    if (j < s_.size() && s_[j] == '.') ++j;
    j = skip_blanks(j, true);
    if (digits_at(s_, j) != 4 || !ends_token(s_, j + 4) || !valid_date(m, d)) return 0;
    add(FactKind::kDate, iso_date(number_at(s_, j, 4), m, d));
    return j + 4 - i;
  }

  // $30, $1,200, $12.50
  std::size_t amount(std::size_t i) {
    if (s_[i] != '$') return 0;
    std::size_t j = i + 1;
    std::string v = "$";
    const std::size_t lead = digits_at(s_, j);
    if (lead == 0) return 0;
    v.append(s_.substr(j, lead));
    j += lead;
    while (j + 4 <= s_.size() && s_[j] == ',' && digits_at(s_, j + 1) == 3) {
      v.append(s_.substr(j + 1, 3));
      j += 4;
    }
    if (j + 2 < s_.size() && s_[j] == '.' && digits_at(s_, j + 1) == 2) {
      if (s_.substr(j + 1, 2) != "00") v.append(s_.substr(j, 3));
      j += 3;
    }
    add(FactKind::kAmount, std::move(v));
    return j - i;
  }

  // 128/84 (not a date: no third part)
  std::size_t blood_pressure(std::size_t i) {
    const std::size_t a = digits_at(s_, i);
    if (a < 2 || a > 3 || i + a >= s_.size() || s_[i + a] != '/') return 0;
    const std::size_t b = digits_at(s_, i + a + 1);
    const std::size_t end = i + a + 1 + b;
    if (b < 2 || b > 3 || (end < s_.size() && s_[end] == '/') || !ends_token(s_, end)) return 0;
    add(FactKind::kBloodPressure, std::string(s_.substr(i, end - i)));
    return end - i;
  }

  // ICD-10 (J18.9, M54.50, I10), HCPCS (J1100) and CPT (72148) codes.
  std::size_t code(std::size_t i) {
    std::size_t n = 0;
    if (is_upper(s_[i]) && digits_at(s_, i + 1) >= 2) {
      const std::size_t d = digits_at(s_, i + 1);
      if (d == 4) {
        n = 5;  // HCPCS
      } else if (d == 2) {
        n = 3;
        // ICD-10 subcategory: ".9", ".50", ".909", ".A"
        if (i + 4 < s_.size() && s_[i + 3] == '.' && is_alnum(s_[i + 4])) {
          std::size_t k = i + 4;
          while (k < s_.size() && (is_digit(s_[k]) || is_upper(s_[k])) && k - i < 8) ++k;
          n = k - i;
        }
      }
    } else if (digits_at(s_, i) == 5) {
      n = 5;  // CPT
    }
    if (n == 0 || !ends_token(s_, i + n)) return 0;
    add(FactKind::kCode, std::string(s_.substr(i, n)));
    return n;
  }

  // A unit after a number ending at j: "<blanks><unit>" or "%"; adds the quantity.
  std::size_t quantity_after(std::size_t j, const std::string& value) {
    if (j < s_.size() && s_[j] == '%') {
      add(FactKind::kQuantity, value + " percent");
      return j + 1;
    }
    const std::size_t k = skip_blanks(j, false);  // "10 mg" or "10mg"
    const std::string_view w = word_at(s_, k);
    const std::string_view u = unit_of(w);
    if (u.empty() || !ends_token(s_, k + w.size())) return 0;
    add(FactKind::kQuantity, value + " " + std::string(u));
    return k + w.size();
  }

  // 13, 2.5, 1,200; with a unit a quantity
  std::size_t number(std::size_t i) {
    std::size_t j = i + digits_at(s_, i);
    if (j == i) return 0;
    std::string v(s_.substr(i, j - i));
    while (j + 4 <= s_.size() && s_[j] == ',' && digits_at(s_, j + 1) == 3 && ends_token(s_, j + 4)) {
      v.append(s_.substr(j + 1, 3));
      j += 4;
    }
    if (j + 1 < s_.size() && s_[j] == '.' && is_digit(s_[j + 1])) {
      const std::size_t f = digits_at(s_, j + 1);
      v.append(s_.substr(j, f + 1));
      j += f + 1;
    }
    j = skip_day_suffix(j);  // "2nd"
    if (!ends_token(s_, j) && !(j < s_.size() && (s_[j] == '%' || is_alpha(s_[j])))) return 0;
    if (const std::size_t q = quantity_after(j, v); q > 0) return q - i;
    if (!ends_token(s_, j)) return 0;
    add(FactKind::kNumber, std::move(v));
    return j - i;
  }

  // "twenty visits", "two weeks": a number word counts only with a unit.
  std::size_t spelled_number(std::size_t i) {
    const std::string_view w = word_at(s_, i);
    const int v = number_word(w);
    if (v < 0) return 0;
    const std::size_t q = quantity_after(i + w.size(), std::to_string(v));
    return q > 0 ? q - i : 0;
  }

  std::size_t status(std::size_t i) {
    const std::string_view w = word_at(s_, i);
    const WordInfo* info = info_of(w);
    if (info == nullptr || info->status.empty() || !ends_token(s_, i + w.size())) return 0;
    add(FactKind::kStatus, std::string(info->status));
    return w.size();
  }

  std::string_view s_;
  std::vector<Fact>& out_;
};

// Articles, prepositions, auxiliaries and light verbs a paraphrase drops or swaps ("see primary
// care in 7 days" / "follow up with primary care within 7 days" keep "primary care 7 day").
constexpr std::array<std::string_view, 30> kFunctionWords = {
    "a",    "an",     "the",  "of",   "in",    "on",   "at",   "to",   "for",  "with",
    "by",   "and",    "or",   "is",   "was",   "are",  "were", "be",   "been", "has",
    "have", "within", "will", "should", "please", "see", "get", "take", "from", "after"};

bool function_word(std::string_view w) {
  return std::find(kFunctionWords.begin(), kFunctionWords.end(), w) != kFunctionWords.end();
}

// Calls f(word) for each word of canonical text.
template <class F>
void for_each_word(std::string_view words, F&& f) {
  std::size_t from = 0;
  while (from < words.size()) {
    std::size_t sp = words.find(' ', from);
    if (sp == std::string_view::npos) sp = words.size();
    if (sp > from) f(words.substr(from, sp - from));
    from = sp + 1;
  }
}

}  // namespace

std::string_view name_of(FactKind k) {
  switch (k) {
    case FactKind::kStatus: return "status";
    case FactKind::kDate: return "date";
    case FactKind::kCode: return "code";
    case FactKind::kAmount: return "amount";
    case FactKind::kQuantity: return "quantity";
    case FactKind::kBloodPressure: return "blood pressure";
    case FactKind::kReference: return "reference";
    case FactKind::kNumber: return "number";
  }
  return {};
}

void extract_facts(std::string_view text, std::vector<Fact>& out) { Scanner(text, out).run(); }

std::vector<Fact> facts_of(std::string_view text) {
  std::vector<Fact> out;
  extract_facts(text, out);
  return out;
}

std::string canonical_words(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  auto flush = [&out](std::string& w) {
    if (w.empty()) return;
    if (const WordInfo* info = info_of(w)) {
      if (info->number >= 0) {
        w = std::to_string(info->number);
      } else if (!info->unit.empty()) {
        w = std::string(info->unit);
      }
    }
    if (!out.empty()) out += ' ';
    out += w;
    w.clear();
  };
  std::string w;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool between_digits = i > 0 && i + 1 < text.size() && is_digit(text[i - 1]) && is_digit(text[i + 1]);
    if (is_alnum(c) || c == '$') {
      w += lower(c);
    } else if (between_digits && (c == '.' || c == ',' || c == '/')) {
      if (c != ',') w += c;  // "1,200" reads as "1200"
    } else {
      flush(w);
    }
  }
  flush(w);
  return out;
}

bool contains_words(std::string_view words, std::string_view phrase) {
  if (phrase.empty()) return false;
  for (std::size_t p = words.find(phrase); p != std::string_view::npos; p = words.find(phrase, p + 1)) {
    const bool left = p == 0 || words[p - 1] == ' ';
    const bool right = p + phrase.size() == words.size() || words[p + phrase.size()] == ' ';
    if (left && right) return true;
  }
  return false;
}

bool states_phrase(std::string_view words, std::string_view phrase) {
  if (phrase.empty()) return false;
  if (contains_words(words, phrase)) return true;
  int content = 0;
  bool all = true;
  for_each_word(phrase, [&](std::string_view w) {
    if (function_word(w)) return;
    ++content;
    if (all && !contains_words(words, w)) all = false;
  });
  return content >= 2 && all;
}

bool holds_fact(const std::vector<Fact>& facts, const Fact& fact) {
  for (const Fact& f : facts) {
    if (f == fact) return true;
    if (fact.kind != FactKind::kNumber) continue;
    // A bare number is held by a quantity ("20 visit"), an amount ("$20") or a reading
    // ("128/84") that holds it.
    const std::string& v = f.value;
    switch (f.kind) {
      case FactKind::kQuantity:
        if (v.size() > fact.value.size() && v.compare(0, fact.value.size(), fact.value) == 0 &&
            v[fact.value.size()] == ' ') {
          return true;
        }
        break;
      case FactKind::kAmount:
        if (v.compare(1, std::string::npos, fact.value) == 0) return true;
        break;
      case FactKind::kBloodPressure: {
        const std::size_t slash = v.find('/');
        if (v.compare(0, slash, fact.value) == 0 || v.compare(slash + 1, std::string::npos, fact.value) == 0) {
          return true;
        }
        break;
      }
      case FactKind::kDate: {
        // "March 2nd" without its year reads as the number 2: a part of the date.
        auto same = [&](std::string_view part) {
          while (part.size() > 1 && part.front() == '0') part.remove_prefix(1);
          return part == fact.value;
        };
        const std::string_view d(v);
        if (d.size() == 10 && (same(d.substr(0, 4)) || same(d.substr(5, 2)) || same(d.substr(8, 2)))) return true;
        break;
      }
      case FactKind::kStatus:
      case FactKind::kCode:
      case FactKind::kReference:
      case FactKind::kNumber:
        break;
    }
  }
  return false;
}

std::string describe_fact(const Fact& f) {
  switch (f.kind) {
    case FactKind::kStatus: return "status '" + f.value + "'";
    case FactKind::kCode: {
      const bool icd = is_upper(f.value[0]) && (f.value.size() == 3 || f.value.find('.') != std::string::npos);
      return (icd ? "ICD-10 code " : "procedure code ") + f.value;
    }
    case FactKind::kAmount: return "amount " + f.value;
    case FactKind::kQuantity: return "quantity '" + f.value + "'";
    case FactKind::kDate: return "a date";
    case FactKind::kBloodPressure: return "a blood pressure reading";
    case FactKind::kReference: return "a prior-authorization reference";
    case FactKind::kNumber: return "a number";
  }
  return "a fact";
}

}  // namespace gameday
