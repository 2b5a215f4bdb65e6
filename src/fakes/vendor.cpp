#include "fakes/vendor.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string_view>
#include <tuple>
#include <utility>

#include "fakes/faults.hpp"
#include "fakes/injection.hpp"
#include "sim/distribution.hpp"

// Context scanning classifies 64 characters at a time with SSE2 where available; define
// GAMEDAY_NO_SIMD to build (and test) the portable path, which gives identical answers.
#if defined(__SSE2__) && !defined(GAMEDAY_NO_SIMD)
#include <emmintrin.h>
#endif

namespace gameday {
namespace {

constexpr std::string_view kRefusal = "I cannot answer that from the provided records.";
constexpr std::string_view kQuestionPrefix = "Question:";
constexpr std::string_view kDocPrefix = "[doc:";
constexpr std::size_t kMaxKeywords = 64;  // one bit each in a sentence's match mask

// Lowercase. Compared against raw (trimmed, lowercased) question tokens.
constexpr std::array<std::string_view, 33> kStopwords = {
    "the",  "a",    "an",   "is",   "are",  "was",     "what",      "how",      "many",
    "does", "do",   "and",  "of",   "for",  "to",      "in",        "on",       "per",
    "this", "that", "with", "from", "it",   "its",     "be",        "by",       "or",
    "at",   "as",   "patient", "patient's", "patients", "please"};

// Character classes by table: tokenization is the vendor's hot loop.
constexpr unsigned char kAlnum = 1;
constexpr unsigned char kTokenChar = 2;  // alnum, '-', '$', '.', '\''
struct CharTable {
  unsigned char cls[256] = {};
  char low[256] = {};
};
constexpr CharTable make_char_table() {
  CharTable t;
  for (int c = 0; c < 256; ++c) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    // '-', '$', '.' and '\'' stay inside tokens ("follow-up", "$30", "J18.9", "patient's").
    const bool token = alnum || c == '-' || c == '$' || c == '.' || c == '\'';
    t.cls[c] = static_cast<unsigned char>((alnum ? kAlnum : 0) | (token ? kTokenChar : 0));
    t.low[c] = static_cast<char>((c >= 'A' && c <= 'Z') ? c + 32 : c);
  }
  return t;
}
constexpr CharTable kChars = make_char_table();

inline unsigned char cls(char c) { return kChars.cls[static_cast<unsigned char>(c)]; }
inline char lower(char c) { return kChars.low[static_cast<unsigned char>(c)]; }

// Advances `p` past the next token in [p, end) and returns it trimmed (it starts with an
// alphanumeric or '$' and ends with an alphanumeric); empty at the end of the input.
std::string_view next_token(const char*& p, const char* end) {
  while (p < end) {
    while (p < end && !(cls(*p) & kTokenChar)) ++p;
    const char* s = p;
    while (p < end && (cls(*p) & kTokenChar)) ++p;
    const char* e = p;
    while (s < e && !(cls(*s) & kAlnum) && *s != '$') ++s;
    while (e > s && !(cls(e[-1]) & kAlnum)) --e;
    if (e > s) return {s, static_cast<std::size_t>(e - s)};
  }
  return {};
}

// Length of the token's match form: "'s" dropped and a plural 's' folded ("visits" matches
// "visit", "covers" matches "cover"); both sides fold alike. Matching is case-insensitive.
std::size_t match_len(std::string_view t) {
  const std::size_t n = t.size();
  if (n > 2 && t[n - 2] == '\'' && lower(t[n - 1]) == 's') return n - 2;
  if (n > 3 && lower(t[n - 1]) == 's' && lower(t[n - 2]) != 's') return n - 1;
  return n;
}

bool iequal(const char* a, const char* b, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// The stopwords as an open-addressing hash set (built at compile time) on the FNV-1a hash of
// the lowercase word: one probe or two per question token.
constexpr std::uint64_t lower_hash(std::string_view t) {
  std::uint64_t h = 1469598103934665603ULL;
  for (char c : t) {
    h ^= static_cast<unsigned char>((c >= 'A' && c <= 'Z') ? c + 32 : c);
    h *= 1099511628211ULL;
  }
  return h;
}
constexpr std::size_t kStopSlots = 128;  // power of two, well above 2x the word count
constexpr std::array<std::string_view, kStopSlots> kStopTable = [] {
  std::array<std::string_view, kStopSlots> table{};
  for (std::string_view w : kStopwords) {
    std::size_t i = lower_hash(w) & (kStopSlots - 1);
    while (!table[i].empty()) i = (i + 1) & (kStopSlots - 1);
    table[i] = w;
  }
  return table;
}();

bool is_stopword(std::string_view t) {
  if (t.size() > 9) return false;  // longer than every stopword
  for (std::size_t i = lower_hash(t) & (kStopSlots - 1);; i = (i + 1) & (kStopSlots - 1)) {
    const std::string_view w = kStopTable[i];
    if (w.empty()) return false;
    if (w.size() == t.size() && iequal(w.data(), t.data(), w.size())) return true;
  }
}

bool icontains(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    if (iequal(hay.data() + i, needle.data(), needle.size())) return true;
  }
  return false;
}

std::string_view trim_left(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}
std::string_view trim_right(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Calls f(line) for each line of `text`, trimmed on both sides, until f returns false.
template <class F>
void for_each_line(std::string_view text, F&& f) {
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    if (!f(trim_right(trim_left(text.substr(pos, nl - pos))))) return;
    pos = nl + 1;
  }
}

// The question's distinct keywords in match form, pointing into the question text.
struct Keywords {
  struct Word {
    const char* p;
    std::uint32_t len;
    char first;  // lowercase
  };
  std::array<Word, kMaxKeywords> word;  // [0, n) are set; not zeroed: this is per request
  std::size_t n = 0;
  std::uint64_t len_mask = 0;  // bit L set when some keyword has match length L (< 64)
  std::uint64_t first_set[4] = {};  // bit c set when some keyword starts with (lowercase) c
  // The distinct first characters, for the vectorized prefilter (kMaxFirsts at most; with more,
  // every token is a candidate).
  static constexpr int kMaxFirsts = 12;
  std::array<char, kMaxFirsts> firsts{};
  int n_firsts = 0;
  bool many_firsts = false;

  bool may_start(char c) const {
    const unsigned char u = static_cast<unsigned char>(lower(c));
    return (first_set[u >> 6] >> (u & 63)) & 1;
  }
};

Keywords keywords_of(std::string_view question) {
  Keywords k;
  const char* p = question.data();
  const char* end = p + question.size();
  for (std::string_view t = next_token(p, end); !t.empty(); t = next_token(p, end)) {
    if (is_stopword(t)) continue;
    const std::size_t len = match_len(t);
    if (len >= 64) continue;  // no real keyword is this long
    bool seen = false;
    for (std::size_t i = 0; i < k.n && !seen; ++i) {
      seen = k.word[i].len == len && iequal(k.word[i].p, t.data(), len);
    }
    if (seen) continue;
    k.word[k.n++] = {t.data(), static_cast<std::uint32_t>(len), lower(t[0])};
    k.len_mask |= std::uint64_t{1} << len;
    const unsigned char u = static_cast<unsigned char>(lower(t[0]));
    if (!((k.first_set[u >> 6] >> (u & 63)) & 1)) {
      if (k.n_firsts < Keywords::kMaxFirsts) {
        k.firsts[static_cast<std::size_t>(k.n_firsts++)] = lower(t[0]);
      } else {
        k.many_firsts = true;
      }
    }
    k.first_set[u >> 6] |= std::uint64_t{1} << (u & 63);
    if (k.n == kMaxKeywords) break;
  }
  return k;
}

struct Pick {
  int score = 0;
  std::size_t order = 0;
  std::string_view sentence;
  std::string_view doc_id;
};

// The question of a prompt: the "Question:" line, else the first plain (non-context) line.
std::string_view find_question(std::string_view user) {
  std::string_view question, fallback;
  for_each_line(user, [&](std::string_view line) {
    if (line.substr(0, kQuestionPrefix.size()) == kQuestionPrefix) {
      question = trim_left(line.substr(kQuestionPrefix.size()));
      return false;
    }
    if (fallback.empty() && !line.empty() && line.substr(0, kDocPrefix.size()) != kDocPrefix) {
      fallback = line;
    }
    return true;
  });
  return question.empty() ? fallback : question;
}

// Keeps the two best picks seen so far; a tie keeps the earlier one.
void offer(const Pick& pick, Pick& best, Pick& second) {
  if (pick.score > best.score) {
    second = best;
    best = pick;
  } else if (pick.score > second.score) {
    second = pick;
  }
}

// Per-character bitmaps of a 64-character chunk (bit i describes chunk[i]).
struct ChunkBits {
  std::uint64_t token = 0;      // token character: ASCII alphanumeric, '-', '$', '.', '\''
  std::uint64_t candidate = 0;  // could start a keyword: a keyword's first character (any
                                // case), or '-', '.', '\'' (trimmed off a token's start)
  std::uint64_t dot = 0;
  std::uint64_t space = 0;
};

// Classifies 64 characters at once (SSE2 where the target has it): scanning the context is
// the vendor's hot loop, and most tokens can be rejected by their first character alone.
ChunkBits classify64(const char* src, const Keywords& k) {
  ChunkBits b;
#if defined(__SSE2__) && !defined(GAMEDAY_NO_SIMD)
  const __m128i lower_bit = _mm_set1_epi8(0x20);
  const __m128i a = _mm_set1_epi8('a'), z_span = _mm_set1_epi8('z' - 'a');
  const __m128i zero = _mm_set1_epi8('0'), nine_span = _mm_set1_epi8(9);
  const __m128i dash = _mm_set1_epi8('-'), dollar = _mm_set1_epi8('$');
  const __m128i dot = _mm_set1_epi8('.'), quote = _mm_set1_epi8('\'');
  const __m128i space = _mm_set1_epi8(' ');
  __m128i firsts[Keywords::kMaxFirsts];
  for (int f = 0; f < k.n_firsts; ++f) firsts[f] = _mm_set1_epi8(k.firsts[f]);
  for (int q = 0; q < 4; ++q) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 16 * q));
    const __m128i lv = _mm_or_si128(v, lower_bit);
    // Unsigned range test: x - lo <= span  <=>  min(x - lo, span) == x - lo.
    const __m128i alpha_off = _mm_sub_epi8(lv, a);
    const __m128i alpha = _mm_cmpeq_epi8(_mm_min_epu8(alpha_off, z_span), alpha_off);
    const __m128i digit_off = _mm_sub_epi8(v, zero);
    const __m128i digit = _mm_cmpeq_epi8(_mm_min_epu8(digit_off, nine_span), digit_off);
    const __m128i is_dot = _mm_cmpeq_epi8(v, dot);
    const __m128i trimmed = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, dash), is_dot),
                                         _mm_cmpeq_epi8(v, quote));
    const __m128i token = _mm_or_si128(_mm_or_si128(alpha, digit),
                                       _mm_or_si128(trimmed, _mm_cmpeq_epi8(v, dollar)));
    __m128i cand = trimmed;
    // Only token characters count, so v | 0x20 aliasing control characters onto digits or
    // '$' is harmless.
    for (int f = 0; f < k.n_firsts; ++f) cand = _mm_or_si128(cand, _mm_cmpeq_epi8(lv, firsts[f]));
    const auto to64 = [](__m128i m) {
      return static_cast<std::uint64_t>(static_cast<std::uint16_t>(_mm_movemask_epi8(m)));
    };
    const int shift = 16 * q;
    b.token |= to64(token) << shift;
    b.candidate |= to64(cand) << shift;
    b.dot |= to64(is_dot) << shift;
    b.space |= to64(_mm_cmpeq_epi8(v, space)) << shift;
  }
#else
  for (int i = 0; i < 64; ++i) {
    const char c = src[i];
    const std::uint64_t bit = std::uint64_t{1} << i;
    if (cls(c) & kTokenChar) b.token |= bit;
    if (c == '-' || c == '.' || c == '\'' || k.may_start(c)) b.candidate |= bit;
    if (c == '.') b.dot |= bit;
    if (c == ' ') b.space |= bit;
  }
#endif
  if (k.many_firsts) b.candidate = ~std::uint64_t{0};
  return b;
}

// Scores every sentence of one context block: sentences end at ". " (keeping the '.') or at
// the end of the text, and score the number of distinct keywords among their tokens. Works on
// 64-character chunks: only tokens whose first character could start a keyword are looked
// at one by one.
void scan_block(std::string_view text, std::string_view id, const Keywords& k,
                std::size_t& order, Pick& best, Pick& second) {
  const char* const t = text.data();
  const std::size_t n = text.size();
  std::size_t from = 0;  // where the current sentence starts, before leading blanks
  std::uint64_t mask = 0;
  int score = 0;
  auto close = [&](std::size_t stop) {
    while (from < stop && (t[from] == ' ' || t[from] == '\t')) ++from;
    if (from < stop) offer(Pick{score, order++, {t + from, stop - from}, id}, best, second);
    mask = 0;
    score = 0;
  };
  // The token starting at `pos`; `run` has its bits from there on within the chunk (bit 0 = pos).
  auto token_at = [&](std::size_t pos, std::uint64_t run) {
    const char* s = t + pos;
    const char* e;
    if (~run != 0) {
      e = s + std::countr_zero(~run);
    } else {  // the token runs past the chunk
      e = s;
      while (e < t + n && (cls(*e) & kTokenChar)) ++e;
    }
    // Trim to the token proper: starts with an alphanumeric or '$', ends with an alphanumeric.
    while (s < e && !(cls(*s) & kAlnum) && *s != '$') ++s;
    if (s == e || !k.may_start(*s)) return;
    while (e > s && !(cls(e[-1]) & kAlnum)) --e;
    const std::size_t len = match_len({s, static_cast<std::size_t>(e - s)});
    if (e == s || len >= 64 || !((k.len_mask >> len) & 1)) return;
    const char first = lower(*s);
    for (std::size_t w_ix = 0; w_ix < k.n; ++w_ix) {
      const Keywords::Word& w = k.word[w_ix];
      if (w.len == len && w.first == first && iequal(w.p, s, len)) {
        if (!((mask >> w_ix) & 1)) {
          mask |= std::uint64_t{1} << w_ix;
          ++score;
        }
        return;
      }
    }
  };
  bool prev_token = false;  // whether the character before the chunk is a token character
  bool prev_dot = false;    // whether it is a '.'
  for (std::size_t base = 0; base < n; base += 64) {
    ChunkBits b;
    if (n - base >= 64) {
      b = classify64(t + base, k);
    } else {
      // Never read past the text: copy the tail; NUL is no character class.
      char tail[64] = {};
      std::memcpy(tail, t + base, n - base);
      b = classify64(tail, k);
    }
    const std::uint64_t starts = b.token & ~((b.token << 1) | (prev_token ? 1u : 0u));
    // A sentence ends at a space right after a '.'.
    const std::uint64_t ends = b.space & ((b.dot << 1) | (prev_dot ? 1u : 0u));
    std::uint64_t events = (starts & b.candidate) | ends;
    while (events != 0) {
      const int i = std::countr_zero(events);
      events &= events - 1;
      const std::size_t pos = base + static_cast<std::size_t>(i);
      if ((ends >> i) & 1) {
        close(pos);
        from = pos;
      } else {
        // Bits past the chunk's end read as 0 from the shift; ~0 marks "runs past the chunk".
        std::uint64_t run = b.token >> i;
        if (i > 0) run |= ~std::uint64_t{0} << (64 - i);
        token_at(pos, run);
      }
    }
    prev_token = (b.token >> 63) & 1;
    prev_dot = (b.dot >> 63) & 1;
  }
  close(n);
}

// The two best-scoring context sentences (score > 0; ties go to the earlier), in context order.
std::pair<Pick, Pick> best_two(std::string_view user, const Keywords& k) {
  Pick best, second;
  std::size_t order = 0;
  for_each_line(user, [&](std::string_view line) {
    if (line.substr(0, kDocPrefix.size()) != kDocPrefix) return true;
    const std::size_t close = line.find(']');
    if (close == std::string_view::npos) return true;
    const std::string_view id = line.substr(kDocPrefix.size(), close - kDocPrefix.size());
    scan_block(line.substr(close + 1), id, k, order, best, second);
    return true;
  });
  if (second.score > 0 && second.order < best.order) std::swap(best, second);
  return {best, second};
}

// Length of the valid UTF-8 sequence starting at s[i] (RFC 3629: no overlongs, no surrogates,
// at most U+10FFFF, as nlohmann's dump() checks), or 0 when it is not one.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = at(i);
  const auto cont = [&](std::size_t k, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return k < s.size() && at(k) >= lo && at(k) <= hi;
  };
  if (c >= 0xC2 && c <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (c == 0xE0) return cont(i + 1, 0xA0) && cont(i + 2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(i + 1) && cont(i + 2) ? 3 : 0;
  if (c == 0xED) return cont(i + 1, 0x80, 0x9F) && cont(i + 2) ? 3 : 0;
  if (c == 0xF0) return cont(i + 1, 0x90) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (c == 0xF4) return cont(i + 1, 0x80, 0x8F) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  return 0;
}

// Appends `s` as a JSON string byte for byte as nlohmann's dump() writes it (UTF-8 kept as is,
// the short escapes, other control characters as \u00xx). False when `s` is not valid UTF-8
// (its invalid bytes are copied as they are; nlohmann's dump() would throw).
bool append_dump_string(std::string& out, std::string_view s) {
  bool valid = true;
  out += '"';
  std::size_t run = 0;  // start of the bytes not yet copied
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      const std::size_t n = utf8_sequence(s, i);
      valid = valid && n > 0;
      i += n > 0 ? n : 1;
      continue;
    }
    out.append(s.data() + run, i - run);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
        out += buf;
      }
    }
    run = ++i;
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
  return valid;
}

// Appends `s` as a JSON string (for the JSON the fake model writes inside its answers).
void append_json_string(std::string& out, std::string_view s) { append_dump_string(out, s); }

// The extractive answer to the prompt (see FakeVendor's prompt contract).
std::string answer(const ChatRequest& req) {
  std::string_view user;
  bool cite = false;
  for (const ChatMessage& m : req.messages) {
    if (m.role == "user") user = m.content;
    if (m.role == "system" && !cite) cite = icontains(m.content, "cite");
  }
  const Keywords k = keywords_of(find_question(user));
  Pick picks[2];
  if (k.n > 0) std::tie(picks[0], picks[1]) = best_two(user, k);
  const int n = picks[0].score > 0 ? (picks[1].score > 0 ? 2 : 1) : 0;

  std::string out;
  if (req.json_output) {
    out.reserve(64 + picks[0].sentence.size() + picks[1].sentence.size());
    out += "{\"answer\": ";
    if (n == 0) {
      append_json_string(out, kRefusal);
    } else {
      std::string text(picks[0].sentence);
      if (n == 2) (text += ' ') += picks[1].sentence;
      append_json_string(out, text);
    }
    out += ", \"citations\": [";
    if (cite) {
      for (int i = 0; i < n; ++i) {
        if (i == 1 && picks[1].doc_id == picks[0].doc_id) break;
        if (i == 1) out += ", ";
        append_json_string(out, picks[i].doc_id);
      }
    }
    out += "]}";
    return out;
  }
  if (n == 0) return std::string(kRefusal);
  out.reserve(16 + picks[0].sentence.size() + picks[1].sentence.size() +
              2 * picks[0].doc_id.size() + 2 * picks[1].doc_id.size());
  for (int i = 0; i < n; ++i) {
    if (i > 0) out += ' ';
    out += picks[i].sentence;
    if (cite) ((out += " [doc:") += picks[i].doc_id) += ']';
  }
  return out;
}

int tokens_for_chars(std::size_t chars) {
  return std::max(1, static_cast<int>((chars + 3) / 4));
}

std::string hex16(std::uint64_t v) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) s[static_cast<std::size_t>(i)] = kHex[v & 0xf];
  return s;
}

VendorError error_for_status(int status, const std::string& message) {
  VendorError e;
  if (status == 429) {
    e.type = "rate_limit_error";
    e.code = "rate_limit_exceeded";
    e.message = "Rate limit reached for requests. Please try again later.";
  } else if (status >= 500) {
    e.type = "server_error";
    e.message = status == 503 ? "The engine is currently overloaded, please try again later."
                              : "The server had an error while processing your request. Sorry "
                                "about that!";
  } else {
    e.type = "invalid_request_error";
    e.message = "The request was rejected.";
  }
  if (!message.empty()) e.message = message;
  return e;
}


// ---------------------------------------------------------------- bending faults
// Only under a fault: this path may allocate freely.

constexpr std::string_view kInstructionsPrefix = "My instructions are: ";

const HallucinationMaterial& builtin_material() {
  static const HallucinationMaterial m{
      {"99215", "97163", "72158", "20610", "93000", "J1100"},
      {"M54.50", "R07.9", "J45.909", "E78.5", "K21.9", "G47.33"},
      {"The plan also covers acupuncture with no copay.",
       "A second opinion was documented by the consulting cardiologist.",
       "Coverage for this service resets every 90 days."}};
  return m;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_alnum(char c) { return (cls(c) & kAlnum) != 0; }

// One sentence of an answer and the document it cites.
struct Part {
  std::string text;
  std::string doc;          // "" = uncited
  bool force_cite = false;  // cited even when the prompt does not ask (a foreign citation)
};

// An answer before rendering, so faults can bend it sentence by sentence.
struct Draft {
  std::vector<Part> parts;
  bool refusal = false;
  bool cite = false;
};

struct PromptView {
  std::string_view system;
  std::string_view user;
  bool cite = false;
};

PromptView view_of(const ChatRequest& req) {
  PromptView v;
  for (const ChatMessage& m : req.messages) {
    if (m.role == "user") v.user = m.content;
    if (m.role == "system" && v.system.empty()) v.system = m.content;
    if (m.role == "system" && !v.cite) v.cite = icontains(m.content, "cite");
  }
  return v;
}

// Whether the system prompt restricts the model to its context ("answer only from ...").
bool grounded_prompt(const ChatRequest& req) {
  for (const ChatMessage& m : req.messages) {
    if (m.role == "system") return icontains(m.content, "only");
  }
  return false;
}

// The same answer as answer(), as a draft.
Draft draft_of(const PromptView& pv) {
  Draft d;
  d.cite = pv.cite;
  const Keywords k = keywords_of(find_question(pv.user));
  Pick picks[2];
  if (k.n > 0) std::tie(picks[0], picks[1]) = best_two(pv.user, k);
  const int n = picks[0].score > 0 ? (picks[1].score > 0 ? 2 : 1) : 0;
  d.refusal = n == 0;
  for (int i = 0; i < n; ++i) {
    d.parts.push_back(Part{std::string(picks[i].sentence), std::string(picks[i].doc_id)});
  }
  return d;
}

bool cited(const Draft& d, const Part& p) { return (d.cite || p.force_cite) && !p.doc.empty(); }

std::string joined(const Draft& d) {
  if (d.refusal) return std::string(kRefusal);
  std::string s;
  for (const Part& p : d.parts) {
    if (!s.empty()) s += ' ';
    s += p.text;
  }
  return s;
}

std::vector<std::string_view> citations_of(const Draft& d) {
  std::vector<std::string_view> ids;
  if (d.refusal) return ids;
  for (const Part& p : d.parts) {
    if (cited(d, p) && std::find(ids.begin(), ids.end(), p.doc) == ids.end()) ids.push_back(p.doc);
  }
  return ids;
}

// Renders like answer(): the same bytes for an unbent draft.
std::string render(const Draft& d, bool json) {
  std::string out;
  if (json) {
    out += "{\"answer\": ";
    append_json_string(out, joined(d));
    out += ", \"citations\": [";
    bool first = true;
    for (std::string_view id : citations_of(d)) {
      if (!first) out += ", ";
      first = false;
      append_json_string(out, id);
    }
    out += "]}";
    return out;
  }
  if (d.refusal) return std::string(kRefusal);
  for (const Part& p : d.parts) {
    if (!out.empty()) out += ' ';
    out += p.text;
    if (cited(d, p)) ((out += " [doc:") += p.doc) += ']';
  }
  return out;
}

// The ids of the prompt's context blocks, in order.
std::vector<std::string_view> context_ids(std::string_view user) {
  std::vector<std::string_view> ids;
  for_each_line(user, [&](std::string_view line) {
    if (line.substr(0, kDocPrefix.size()) != kDocPrefix) return true;
    const std::size_t close = line.find(']');
    if (close != std::string_view::npos) ids.push_back(line.substr(kDocPrefix.size(), close - kDocPrefix.size()));
    return true;
  });
  return ids;
}

const std::string& pick_from(const std::vector<std::string>& list, Rng& rng,
                             std::string_view avoid = {}) {
  std::size_t i = static_cast<std::size_t>(rng.below(list.size()));
  if (list[i] == avoid && list.size() > 1) i = (i + 1) % list.size();
  return list[i];
}

// A plausible id of a document the model was not given: a later version ("-v9"), or "-v2".
std::string foreign_id(std::string_view id, const std::vector<std::string_view>& given) {
  std::string out;
  const std::size_t v = id.rfind("-v");
  bool versioned = v != std::string_view::npos && v + 2 < id.size();
  for (std::size_t i = v + 2; versioned && i < id.size(); ++i) versioned = is_digit(id[i]);
  if (versioned) {
    out = std::string(id.substr(0, v)) + (id.substr(v) == "-v9" ? "-v8" : "-v9");
  } else {
    out = std::string(id.empty() ? std::string_view("policy-general") : id) + "-v2";
  }
  while (std::find(given.begin(), given.end(), out) != given.end()) out += "-a";
  return out;
}

// Code shapes, at [i, end) of `s`: the length of a code starting at i, or 0.
bool code_start_ok(std::string_view s, std::size_t i) {
  return i == 0 || !(is_alnum(s[i - 1]) || s[i - 1] == '-' || s[i - 1] == '.');
}
bool code_end_ok(std::string_view s, std::size_t j) {
  if (j >= s.size()) return true;
  if (is_alnum(s[j]) || s[j] == '-') return false;
  return !(s[j] == '.' && j + 1 < s.size() && is_alnum(s[j + 1]));
}
std::size_t icd_len(std::string_view s, std::size_t i) {
  if (i + 5 > s.size() || !is_upper(s[i]) || !is_digit(s[i + 1]) || !is_digit(s[i + 2]) ||
      s[i + 3] != '.') {
    return 0;
  }
  std::size_t j = i + 4;
  while (j < s.size() && j < i + 8 && (is_digit(s[j]) || is_upper(s[j]))) ++j;
  return j > i + 4 && code_end_ok(s, j) ? j - i : 0;
}
std::size_t cpt_len(std::string_view s, std::size_t i) {
  if (i + 5 > s.size() || !(is_digit(s[i]) || is_upper(s[i]))) return 0;
  for (std::size_t k = 1; k < 5; ++k) {
    if (!is_digit(s[i + k])) return 0;
  }
  return code_end_ok(s, i + 5) ? 5 : 0;
}

// Replaces every CPT- and ICD-shaped code in `text` with another code of the same kind.
bool replace_codes(std::string& text, const HallucinationMaterial& m, Rng& rng) {
  std::string out;
  bool changed = false;
  std::size_t i = 0;
  while (i < text.size()) {
    if (code_start_ok(text, i)) {
      if (const std::size_t n = icd_len(text, i); n > 0) {
        out += pick_from(m.icd_codes, rng, std::string_view(text).substr(i, n));
        i += n;
        changed = true;
        continue;
      }
      if (const std::size_t n = cpt_len(text, i); n > 0) {
        out += pick_from(m.cpt_codes, rng, std::string_view(text).substr(i, n));
        i += n;
        changed = true;
        continue;
      }
    }
    out += text[i++];
  }
  if (changed) text = std::move(out);
  return changed;
}

// Alters amounts, small numbers and dates in `text` (see FakeVendor).
bool alter_numbers(std::string& text) {
  const std::string_view s = text;
  std::string out;
  bool changed = false;
  std::size_t i = 0;
  auto digits_at = [&](std::size_t from) {
    std::size_t j = from;
    while (j < s.size() && is_digit(s[j])) ++j;
    return j - from;
  };
  auto number = [&](std::size_t from, std::size_t n) {
    long long v = 0;
    for (std::size_t k = 0; k < n; ++k) v = v * 10 + (s[from + k] - '0');
    return v;
  };
  while (i < s.size()) {
    const bool start_ok = i == 0 || !(is_alnum(s[i - 1]) || s[i - 1] == '-' || s[i - 1] == '.');
    // A date: YYYY-MM-DD, the day moved by 8 (staying in 1..28 when it wraps).
    if (start_ok && digits_at(i) == 4 && i + 10 <= s.size() && s[i + 4] == '-' &&
        digits_at(i + 5) == 2 && s[i + 7] == '-' && digits_at(i + 8) == 2 && code_end_ok(s, i + 10)) {
      const long long day = number(i + 8, 2);
      const long long moved = (day - 1 + 8) % 28 + 1;
      out.append(s.substr(i, 8));
      char buf[4];
      std::snprintf(buf, sizeof buf, "%02lld", moved);
      out += buf;
      i += 10;
      changed = true;
      continue;
    }
    // An amount: "$30" -> "$45".
    if (s[i] == '$' && digits_at(i + 1) > 0 && digits_at(i + 1) <= 6) {
      const std::size_t n = digits_at(i + 1);
      const long long v = number(i + 1, n);
      out += '$';
      out += std::to_string(v == 0 ? 25 : std::llround(static_cast<double>(v) * 1.5));
      i += 1 + n;
      changed = true;
      continue;
    }
    // A small plain number (not part of a code, an identifier or a decimal).
    if (is_digit(s[i]) && start_ok && (i == 0 || s[i - 1] != '$')) {
      const std::size_t n = digits_at(i);
      if (n <= 4 && code_end_ok(s, i + n)) {
        const long long v = number(i, n);
        out += std::to_string(v + std::max(1LL, std::llround(static_cast<double>(v) * 0.3)));
        i += n;
        changed = true;
        continue;
      }
      out.append(s.substr(i, n));
      i += n;
      continue;
    }
    out += s[i++];
  }
  if (changed) text = std::move(out);
  return changed;
}

// The modes a "mixed" hallucination draws from, in draw order.
constexpr HallucinationMode kDrawnHallucinations[] = {
    HallucinationMode::kFabricatedCode, HallucinationMode::kUnsupportedFact,
    HallucinationMode::kForeignCitation, HallucinationMode::kAlteredNumbers};

std::string code_sentence(const HallucinationMaterial& m, Rng& rng) {
  return "The billing code for this service is CPT " + pick_from(m.cpt_codes, rng) + ".";
}

// Bends the draft as one hallucination of `mode` (mixed: one drawn).
void hallucinate(Draft& d, HallucinationMode mode, const HallucinationMaterial& m,
                 const std::vector<std::string_view>& given, Rng& rng) {
  if (mode == HallucinationMode::kMixed) mode = kDrawnHallucinations[rng.below(4)];
  if (d.refusal) {
    // A hallucinating model answers what it cannot know, citing what it was given.
    d.refusal = false;
    Part p;
    p.text = mode == HallucinationMode::kFabricatedCode ? code_sentence(m, rng) : pick_from(m.facts, rng);
    if (!given.empty()) p.doc = std::string(given.front());
    if (mode == HallucinationMode::kForeignCitation) {
      p.doc = foreign_id(given.empty() ? std::string_view() : given.front(), given);
      p.force_cite = true;
    }
    d.parts.push_back(std::move(p));
    return;
  }
  const std::string last_doc = d.parts.empty() ? std::string() : d.parts.back().doc;
  bool changed = false;
  switch (mode) {
    case HallucinationMode::kFabricatedCode:
      for (Part& p : d.parts) changed = replace_codes(p.text, m, rng) || changed;
      if (!changed) d.parts.push_back(Part{code_sentence(m, rng), last_doc});
      return;
    case HallucinationMode::kForeignCitation: {
      Part& p = d.parts.back();
      p.doc = foreign_id(p.doc.empty() && !given.empty() ? given.front() : std::string_view(p.doc), given);
      p.force_cite = true;
      return;
    }
    case HallucinationMode::kAlteredNumbers:
      for (Part& p : d.parts) changed = alter_numbers(p.text) || changed;
      break;
    case HallucinationMode::kUnsupportedFact:
    case HallucinationMode::kMixed:  // drawn above
      break;
  }
  // Unsupported facts, and altered numbers when there were none to alter.
  if (!changed) d.parts.push_back(Part{pick_from(m.facts, rng), last_doc});
}

// The first MRN-shaped identifier of the prompt ("" when none).
std::string_view first_mrn(std::string_view s) {
  for (std::size_t p = s.find("SYN-"); p != std::string_view::npos; p = s.find("SYN-", p + 1)) {
    std::size_t j = p + 4;
    while (j < s.size() && is_digit(s[j])) ++j;
    if (j - (p + 4) == 7) return s.substr(p, 11);
  }
  return {};
}

// Obeys an injected instruction: tool calls go to the response, text to the draft.
void obey(const InjectedInstruction& in, const PromptView& pv, std::uint64_t id_bits, Draft& d,
          ChatResponse& r) {
  if (in.action == InjectionAction::kToolCall) {
    ToolCall tc;
    tc.id = "call_" + hex16(id_bits).substr(0, 12);
    tc.name = std::string(in.tool);
    std::string args = "{\"patient\": ";
    const std::string_view mrn = first_mrn(pv.user);
    append_json_string(args, mrn.empty() ? std::string_view("current patient") : mrn);
    if (!in.canary.empty()) {
      args += ", \"reference\": ";
      append_json_string(args, in.canary);
    }
    args += '}';
    tc.arguments = std::move(args);
    r.tool_calls.push_back(std::move(tc));
    return;
  }
  if (d.refusal) {
    // Keep the refusal sentence and add to it.
    d.refusal = false;
    d.parts.push_back(Part{std::string(kRefusal), ""});
  }
  if (in.action == InjectionAction::kRevealSystemPrompt) {
    d.parts.push_back(Part{std::string(kInstructionsPrefix) + std::string(pv.system), ""});
  } else {
    d.parts.push_back(Part{std::string(in.say), ""});
  }
}

// The draft as a Python-style mapping: single quotes, not JSON.
std::string render_single_quoted(const Draft& d) {
  std::string out = "{'answer': '" + joined(d) + "', 'citations': [";
  bool first = true;
  for (std::string_view id : citations_of(d)) {
    if (!first) out += ", ";
    first = false;
    ((out += '\'') += id) += '\'';
  }
  return out + "]}";
}

// The modes a "mixed" schema break draws from, in draw order.
constexpr SchemaBreakMode kDrawnSchemaBreaks[] = {
    SchemaBreakMode::kInvalidJson, SchemaBreakMode::kTruncated, SchemaBreakMode::kMissingField};

// Renders a JSON answer broken as `mode` (mixed: one drawn).
std::string break_schema(const Draft& d, SchemaBreakMode mode, Rng& rng, ChatResponse& r) {
  if (mode == SchemaBreakMode::kMixed) mode = kDrawnSchemaBreaks[rng.below(3)];
  if (mode == SchemaBreakMode::kInvalidJson) return render_single_quoted(d);
  if (mode == SchemaBreakMode::kTruncated) {
    std::string s = render(d, true);
    const std::size_t start = std::string_view("{\"answer\": \"").size();
    std::size_t cut = std::min(s.size(), start + std::max<std::size_t>(1, joined(d).size() / 2));
    while (cut > start && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    s.resize(cut);
    r.finish_reason = "length";
    return s;
  }
  // missing_field
  std::string s;
  if (rng.bernoulli(0.5)) {
    s = "{\"answer\": ";
    append_json_string(s, joined(d));
    s += '}';
  } else {
    s = "{\"citations\": [";
    bool first = true;
    for (std::string_view id : citations_of(d)) {
      if (!first) s += ", ";
      first = false;
      append_json_string(s, id);
    }
    s += "]}";
  }
  return s;
}

// The bending faults that applied to one request (the first of each kind).
struct Bends {
  const FaultSpec* hallucination = nullptr;  // kind hallucination
  const FaultSpec* injection = nullptr;      // kind injection_following
  const FaultSpec* schema = nullptr;         // kind schema_break
  const FaultSpec* refusal = nullptr;        // kind refusal_storm
  const FaultSpec* drift = nullptr;          // kind drift
  bool ungrounded = false;  // an unrestricted prompt let the model add an unsupported statement
  bool any() const { return hallucination || injection || schema || refusal || drift || ungrounded; }
};

// The content of a response under bending faults; sets tool calls and finish_reason on `r`
// and appends the ids of the faults that changed something.
std::string bent_answer(const ChatRequest& req, const Bends& b, const HallucinationMaterial& m,
                        std::uint64_t id_bits, Rng& rng, ChatResponse& r,
                        std::vector<std::string>& fault_ids) {
  const PromptView pv = view_of(req);
  Draft d = draft_of(pv);
  bool drift_refuses = false, drift_hallucinates = false;
  if (b.drift) {
    const DriftFault& drift = *b.drift->as<DriftFault>();
    drift_refuses = rng.uniform01() < drift.refusal_rate;
    drift_hallucinates = rng.uniform01() < drift.hallucination_rate;
    fault_ids.push_back(b.drift->id);
  }
  if ((b.refusal || drift_refuses) && !d.refusal) {
    d.parts.clear();
    d.refusal = true;
    if (b.refusal && !drift_refuses) fault_ids.push_back(b.refusal->id);
  } else {
    if (b.ungrounded && !d.refusal) d.parts.push_back(Part{pick_from(m.facts, rng), ""});
    if (b.hallucination || drift_hallucinates) {
      const std::vector<std::string_view> given = context_ids(pv.user);
      hallucinate(d, b.hallucination ? b.hallucination->as<HallucinationFault>()->mode : HallucinationMode::kMixed,
                  m, given, rng);
      if (b.hallucination) fault_ids.push_back(b.hallucination->id);
    }
    if (b.injection) {
      if (const auto in = find_injected_instruction(pv.user); in && in->action) {
        if (rng.uniform01() < b.injection->as<InjectionFollowingFault>()->susceptibility) {
          obey(*in, pv, id_bits, d, r);
          fault_ids.push_back(b.injection->id);
        }
      }
    }
  }
  if (!r.tool_calls.empty()) {
    r.finish_reason = "tool_calls";
    return std::string();
  }
  if (b.schema && req.json_output) {
    fault_ids.push_back(b.schema->id);
    return break_schema(d, b.schema->as<SchemaBreakFault>()->mode, rng, r);
  }
  return render(d, req.json_output);
}
}  // namespace

int estimate_tokens(const std::string& text) { return tokens_for_chars(text.size()); }

FakeVendor::FakeVendor(VendorProfile profile) : FakeVendor(std::move(profile), HallucinationMaterial{}) {}

FakeVendor::FakeVendor(VendorProfile profile, HallucinationMaterial material)
    : profile_(std::move(profile)), material_(std::move(material)) {
  const HallucinationMaterial& builtin = builtin_material();
  if (material_.cpt_codes.empty()) material_.cpt_codes = builtin.cpt_codes;
  if (material_.icd_codes.empty()) material_.icd_codes = builtin.icd_codes;
  if (material_.facts.empty()) material_.facts = builtin.facts;
}

std::string_view FakeVendor::model_for(const ChatRequest& req) const {
  if (!req.model.empty()) return req.model;
  if (!profile_.models.empty()) return profile_.models.front();
  return profile_.id;
}

int count_phi_identifiers(std::string_view t) {
  int n = 0;
  auto digits_from = [&](std::size_t i) {
    std::size_t j = i;
    while (j < t.size() && is_digit(t[j])) ++j;
    return j - i;
  };
  // MRNs "SYN-" + 7 digits and member ids "SYNM-" + 8 digits.
  for (std::size_t p = t.find("SYN"); p != std::string_view::npos; p = t.find("SYN", p + 3)) {
    if (p + 3 >= t.size()) break;
    if (t[p + 3] == '-' && digits_from(p + 4) == 7) {
      ++n;
    } else if (t[p + 3] == 'M' && p + 4 < t.size() && t[p + 4] == '-' && digits_from(p + 5) == 8) {
      ++n;
    }
  }
  // Phones "(NNN) 555-01NN", found by their rare ") 555-01" (the area code is checked after).
  for (std::size_t p = t.find(") 555-01"); p != std::string_view::npos;
       p = t.find(") 555-01", p + 8)) {
    if (p < 4 || t[p - 4] != '(') continue;
    if (!is_digit(t[p - 3]) || !is_digit(t[p - 2]) || !is_digit(t[p - 1])) continue;
    if (digits_from(p + 8) == 2) ++n;
  }
  return n;
}

VendorOutcome FakeVendor::respond(const ChatRequest& req, SimTime /*now*/, Rng& rng,
                                  const std::vector<const FaultSpec*>& faults) const {
  VendorOutcome o;
  for (const ChatMessage& m : req.messages) o.phi_received += count_phi_identifiers(m.content);
  // Draw order is fixed (ttft, id, baseline error, then one draw per fault in order, plus a
  // delay sample for applied latency faults) so a seed replays a run exactly.
  Duration ttft = sample(profile_.ttft, rng);
  const std::uint64_t id_bits = rng.next_u64();
  const bool baseline_error = rng.uniform01() < profile_.error_rate;
  const std::string_view model = model_for(req);

  const FaultSpec* error_fault = nullptr;
  const FaultSpec* hang_fault = nullptr;
  const FaultSpec* reset_fault = nullptr;
  const FaultSpec* stream_fault = nullptr;  // stream_stall or stream_break (live-only kinds)
  Bends bends;
  auto first = [](const FaultSpec*& slot, const FaultSpec* f) {
    if (slot == nullptr) slot = f;
  };
  for (const FaultSpec* f : faults) {
    if (f == nullptr || !applies_to(f->kind(), FaultTarget::kVendor)) continue;
    if (!fault_filters_match(*f, req.task_type, model)) continue;
    if (!(rng.uniform01() < f->probability)) continue;
    switch (f->kind()) {
      case FaultKind::kLatency:
        ttft += sample(f->as<LatencyFault>()->delay, rng);
        o.fault_ids.push_back(f->id);
        break;
      case FaultKind::kError: first(error_fault, f); break;
      case FaultKind::kHang: first(hang_fault, f); break;
      case FaultKind::kReset: first(reset_fault, f); break;
      case FaultKind::kStreamStall:
      case FaultKind::kStreamBreak: first(stream_fault, f); break;
      case FaultKind::kHallucination: first(bends.hallucination, f); break;
      case FaultKind::kInjectionFollowing: first(bends.injection, f); break;
      case FaultKind::kSchemaBreak: first(bends.schema, f); break;
      case FaultKind::kRefusalStorm: first(bends.refusal, f); break;
      case FaultKind::kDrift: first(bends.drift, f); break;
      // Not vendor kinds (applies_to above keeps them out).
      case FaultKind::kTimeout:
      case FaultKind::kWrongPatient:
      case FaultKind::kIrrelevantDocs:
      case FaultKind::kStaleDocs:
      case FaultKind::kEmptyResults:
      case FaultKind::kTruncatedPaging:
      case FaultKind::kPoisonedNote:
      case FaultKind::kPromptDeploy:
      case FaultKind::kConfigChange:
        break;
    }
  }
  o.ttft = ttft;
  o.delay = ttft;

  if (hang_fault != nullptr) {
    o.hang = true;
    o.status = 0;
    o.fault_ids.push_back(hang_fault->id);
    return o;
  }
  if (reset_fault != nullptr) {
    o.status = 0;
    o.disconnect = Disconnect::kReset;
    o.fault_ids.push_back(reset_fault->id);
    return o;
  }
  if (error_fault != nullptr) {
    const ErrorFault& e = *error_fault->as<ErrorFault>();
    o.status = e.status > 0 ? e.status : 500;
    o.error = error_for_status(o.status, e.message);
    o.retry_after = e.retry_after;
    o.fault_ids.push_back(error_fault->id);
    return o;
  }
  if (baseline_error) {
    o.status = 500;
    o.error = error_for_status(500, "");
    return o;
  }

  ChatResponse& r = o.response;
  r.id = "chatcmpl-" + hex16(id_bits);
  r.model = model;
  if (bends.drift != nullptr && !bends.drift->as<DriftFault>()->model_version.empty()) {
    r.model = bends.drift->as<DriftFault>()->model_version;
  }
  // A prompt that does not restrict the model to its context lets it add what it "knows". The
  // draw happens only for such prompts, so grounded runs keep their random streams.
  if (profile_.ungrounded_rate > 0 && !grounded_prompt(req)) {
    bends.ungrounded = rng.uniform01() < profile_.ungrounded_rate;
  }
  r.content = bends.any() ? bent_answer(req, bends, material_, id_bits, rng, r, o.fault_ids)
                          : answer(req);
  if (req.max_tokens > 0 && r.content.size() > static_cast<std::size_t>(req.max_tokens) * 4) {
    std::size_t cut = static_cast<std::size_t>(req.max_tokens) * 4;
    // Do not split a UTF-8 sequence.
    while (cut > 0 && (static_cast<unsigned char>(r.content[cut]) & 0xC0) == 0x80) --cut;
    r.content.resize(cut);
    r.finish_reason = "length";
  }
  std::size_t prompt_chars = 0;
  for (const ChatMessage& m : req.messages) prompt_chars += m.content.size();
  std::size_t completion_chars = r.content.size();
  for (const ToolCall& tc : r.tool_calls) completion_chars += tc.name.size() + tc.arguments.size();
  r.usage.prompt_tokens = tokens_for_chars(prompt_chars);
  r.usage.completion_tokens = tokens_for_chars(completion_chars);
  r.usage.total_tokens = r.usage.prompt_tokens + r.usage.completion_tokens;
  if (profile_.tokens_per_second > 0) {
    o.delay += static_cast<Duration>(
        std::llround(r.usage.completion_tokens * 1e6 / profile_.tokens_per_second));
  }
  if (stream_fault != nullptr) {
    // The answer starts and dies on the way: the caller gets no status (or never a reply).
    const bool stall = stream_fault->kind() == FaultKind::kStreamStall;
    o.disconnect = stall ? Disconnect::kStreamStall : Disconnect::kStreamBreak;
    o.after_tokens = stream_fault_after_tokens(*stream_fault);
    o.status = 0;
    o.hang = stall;
    if (profile_.tokens_per_second > 0) {
      const int sent = std::min(o.after_tokens, r.usage.completion_tokens);
      o.delay = o.ttft + static_cast<Duration>(std::llround(sent * 1e6 / profile_.tokens_per_second));
    }
    o.fault_ids.push_back(stream_fault->id);
  }
  return o;
}

int stream_fault_after_tokens(const FaultSpec& f) {
  int n = 5;
  if (const auto* stall = f.as<StreamStallFault>()) n = stall->after_tokens;
  if (const auto* cut = f.as<StreamBreakFault>()) n = cut->after_tokens;
  return n >= 0 ? n : 5;
}


// The same document built as a tree: the reference the direct writer below must match, and
// what renders a response whose text is not valid UTF-8 (nlohmann's dump() rejects it).
std::string to_openai_json_tree(const ChatResponse& r, long long created) {
  nlohmann::ordered_json j;
  j["id"] = r.id;
  j["object"] = "chat.completion";
  j["created"] = created;
  j["model"] = r.model;
  nlohmann::ordered_json message;
  message["role"] = "assistant";
  if (r.content.empty() && !r.tool_calls.empty()) {
    message["content"] = nullptr;
  } else {
    message["content"] = r.content;
  }
  if (!r.tool_calls.empty()) {
    nlohmann::ordered_json calls = nlohmann::ordered_json::array();
    for (const ToolCall& tc : r.tool_calls) {
      nlohmann::ordered_json call;
      call["id"] = tc.id;
      call["type"] = "function";
      call["function"] = {{"name", tc.name}, {"arguments", tc.arguments}};
      calls.push_back(std::move(call));
    }
    message["tool_calls"] = std::move(calls);
  }
  j["choices"] = nlohmann::ordered_json::array(
      {{{"index", 0}, {"message", std::move(message)}, {"finish_reason", r.finish_reason}}});
  j["usage"] = {{"prompt_tokens", r.usage.prompt_tokens},
                {"completion_tokens", r.usage.completion_tokens},
                {"total_tokens", r.usage.total_tokens}};
  return j.dump();
}

std::string to_openai_json(const ChatResponse& r, long long created) {
  // Written directly (no JSON tree: this is on the live vendor's hot path), in the key order
  // and compact form of to_openai_json_tree, which the vendor tests compare it against.
  std::string out;
  std::size_t size = 320 + r.id.size() + r.model.size() + r.content.size() + r.finish_reason.size();
  for (const ToolCall& tc : r.tool_calls) size += 64 + tc.id.size() + tc.name.size() + tc.arguments.size();
  out.reserve(size + size / 8);
  bool ok = true;
  const auto str = [&](std::string_view v) { ok = append_dump_string(out, v) && ok; };
  out += "{\"id\":";
  str(r.id);
  out += ",\"object\":\"chat.completion\",\"created\":";
  out += std::to_string(created);
  out += ",\"model\":";
  str(r.model);
  out += ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":";
  if (r.content.empty() && !r.tool_calls.empty()) {
    out += "null";
  } else {
    str(r.content);
  }
  if (!r.tool_calls.empty()) {
    out += ",\"tool_calls\":[";
    for (std::size_t k = 0; k < r.tool_calls.size(); ++k) {
      const ToolCall& tc = r.tool_calls[k];
      if (k > 0) out += ',';
      out += "{\"id\":";
      str(tc.id);
      out += ",\"type\":\"function\",\"function\":{\"name\":";
      str(tc.name);
      out += ",\"arguments\":";
      str(tc.arguments);
      out += "}}";
    }
    out += ']';
  }
  out += "},\"finish_reason\":";
  str(r.finish_reason);
  out += "}],\"usage\":{\"prompt_tokens\":";
  out += std::to_string(r.usage.prompt_tokens);
  out += ",\"completion_tokens\":";
  out += std::to_string(r.usage.completion_tokens);
  out += ",\"total_tokens\":";
  out += std::to_string(r.usage.total_tokens);
  out += "}}";
  if (!ok) return to_openai_json_tree(r, created);  // invalid UTF-8: nlohmann decides
  return out;
}

std::string to_openai_error_json(const VendorError& e) {
  nlohmann::ordered_json err;
  err["message"] = e.message;
  err["type"] = e.type;
  err["param"] = nullptr;
  if (e.code.empty()) {
    err["code"] = nullptr;
  } else {
    err["code"] = e.code;
  }
  nlohmann::ordered_json j;
  j["error"] = std::move(err);
  return j.dump();
}

}  // namespace gameday
