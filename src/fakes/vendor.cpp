#include "fakes/vendor.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string_view>
#include <tuple>
#include <utility>

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

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\\u00";
          out += kHex[(c >> 4) & 0xf];
          out += kHex[c & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

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

}  // namespace

int estimate_tokens(const std::string& text) { return tokens_for_chars(text.size()); }

FakeVendor::FakeVendor(VendorProfile profile) : profile_(std::move(profile)) {}

VendorOutcome FakeVendor::respond(const ChatRequest& req, SimTime /*now*/, Rng& rng,
                                  const std::vector<const FaultSpec*>& faults) const {
  VendorOutcome o;
  // Draw order is fixed (ttft, id, baseline error, then one draw per fault in order, plus a
  // delay sample for applied latency faults) so a seed replays a run exactly.
  Duration ttft = sample(profile_.ttft, rng);
  const std::uint64_t id_bits = rng.next_u64();
  const bool baseline_error = rng.uniform01() < profile_.error_rate;

  const FaultSpec* error_fault = nullptr;
  const FaultSpec* hang_fault = nullptr;
  for (const FaultSpec* f : faults) {
    if (f == nullptr) continue;
    if (!(rng.uniform01() < f->probability)) continue;
    if (f->kind == "latency") {
      ttft += sample(f->delay, rng);
      o.fault_ids.push_back(f->id);
    } else if (f->kind == "error") {
      if (error_fault == nullptr) error_fault = f;
    } else if (f->kind == "hang") {
      if (hang_fault == nullptr) hang_fault = f;
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
  if (error_fault != nullptr) {
    o.status = error_fault->status > 0 ? error_fault->status : 500;
    o.error = error_for_status(o.status, error_fault->message);
    o.retry_after = error_fault->retry_after;
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
  r.model = !req.model.empty()          ? req.model
            : !profile_.models.empty() ? profile_.models.front()
                                       : profile_.id;
  r.content = answer(req);
  if (req.max_tokens > 0 && r.content.size() > static_cast<std::size_t>(req.max_tokens) * 4) {
    std::size_t cut = static_cast<std::size_t>(req.max_tokens) * 4;
    // Do not split a UTF-8 sequence.
    while (cut > 0 && (static_cast<unsigned char>(r.content[cut]) & 0xC0) == 0x80) --cut;
    r.content.resize(cut);
    r.finish_reason = "length";
  }
  std::size_t prompt_chars = 0;
  for (const ChatMessage& m : req.messages) prompt_chars += m.content.size();
  r.usage.prompt_tokens = tokens_for_chars(prompt_chars);
  r.usage.completion_tokens = tokens_for_chars(r.content.size());
  r.usage.total_tokens = r.usage.prompt_tokens + r.usage.completion_tokens;
  if (profile_.tokens_per_second > 0) {
    o.delay += static_cast<Duration>(
        std::llround(r.usage.completion_tokens * 1e6 / profile_.tokens_per_second));
  }
  return o;
}

std::string to_openai_json(const ChatResponse& r, long long created) {
  nlohmann::ordered_json j;
  j["id"] = r.id;
  j["object"] = "chat.completion";
  j["created"] = created;
  j["model"] = r.model;
  j["choices"] = nlohmann::ordered_json::array(
      {{{"index", 0},
        {"message", {{"role", "assistant"}, {"content", r.content}}},
        {"finish_reason", r.finish_reason}}});
  j["usage"] = {{"prompt_tokens", r.usage.prompt_tokens},
                {"completion_tokens", r.usage.completion_tokens},
                {"total_tokens", r.usage.total_tokens}};
  return j.dump();
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
