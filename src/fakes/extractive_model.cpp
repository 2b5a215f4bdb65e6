#include "fakes/extractive_model.hpp"

#include <bit>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "sim/rng.hpp"

namespace gameday::extractive {
namespace {

constexpr std::string_view kQuestionPrefix = "Question:";
constexpr std::string_view kDocPrefix = "[doc:";

// Lowercase. Compared against raw (trimmed, lowercased) question tokens.
constexpr std::array<std::string_view, 33> kStopwords = {
    "the",  "a",    "an",   "is",   "are",  "was",     "what",      "how",      "many",
    "does", "do",   "and",  "of",   "for",  "to",      "in",        "on",       "per",
    "this", "that", "with", "from", "it",   "its",     "be",        "by",       "or",
    "at",   "as",   "patient", "patient's", "patients", "please"};

// Character classes by table: tokenization is the vendor's hot loop.
constexpr unsigned char kAlnum = 1;
constexpr unsigned char kTokenChar = 2;  // alnum, '-', '$', '.', '\''
constexpr std::array<unsigned char, 256> kClass = [] {
  std::array<unsigned char, 256> t{};
  for (int c = 0; c < 256; ++c) {
    const bool alnum = is_alnum(static_cast<char>(c));
    // '-', '$', '.' and '\'' stay inside tokens ("follow-up", "$30", "J18.9", "patient's").
    const bool token = alnum || c == '-' || c == '$' || c == '.' || c == '\'';
    t[static_cast<std::size_t>(c)] = static_cast<unsigned char>((alnum ? kAlnum : 0) | (token ? kTokenChar : 0));
  }
  return t;
}();

inline unsigned char cls(char c) { return kClass[static_cast<unsigned char>(c)]; }

// The token in [s, e) trimmed: it starts with an alphanumeric or '$' and ends with an
// alphanumeric (empty when nothing is left).
std::string_view trim_token(const char* s, const char* e) {
  while (s < e && !(cls(*s) & kAlnum) && *s != '$') ++s;
  while (e > s && !(cls(e[-1]) & kAlnum)) --e;
  return {s, static_cast<std::size_t>(e - s)};
}

// Advances `p` past the next token in [p, end) and returns it trimmed; empty at the end.
std::string_view next_token(const char*& p, const char* end) {
  while (p < end) {
    while (p < end && !(cls(*p) & kTokenChar)) ++p;
    const char* s = p;
    while (p < end && (cls(*p) & kTokenChar)) ++p;
    if (const std::string_view t = trim_token(s, p); !t.empty()) return t;
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
  std::uint64_t h = kFnvOffsetBasis;
  for (char c : t) {
    h ^= static_cast<unsigned char>(lower(c));
    h *= kFnvPrime;
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

// Adds a keyword (match length `len`) to `k` unless it is there already.
void add_keyword(Keywords& k, std::string_view t, std::size_t len) {
  for (std::size_t i = 0; i < k.n; ++i) {
    if (k.word[i].len == len && iequal(k.word[i].p, t.data(), len)) return;
  }
  const char first = lower(t[0]);
  k.word[k.n++] = {t.data(), static_cast<std::uint32_t>(len), first};
  k.len_mask |= std::uint64_t{1} << len;
  const unsigned char u = static_cast<unsigned char>(first);
  if (!k.may_start(first)) {
    if (k.n_firsts < Keywords::kMaxFirsts) {
      k.firsts[static_cast<std::size_t>(k.n_firsts++)] = first;
    } else {
      k.many_firsts = true;
    }
  }
  k.first_set[u >> 6] |= std::uint64_t{1} << (u & 63);
}

// Calls f(id, text) when `line` is a context block "[doc:ID] text".
template <class F>
void with_block(std::string_view line, F&& f) {
  if (line.substr(0, kDocPrefix.size()) != kDocPrefix) return;
  const std::size_t close = line.find(']');
  if (close != std::string_view::npos) {
    f(line.substr(kDocPrefix.size(), close - kDocPrefix.size()), line.substr(close + 1));
  }
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

// A classifier: 64 characters at `src` to their bitmaps.
using Classify = ChunkBits (*)(const char*, const Keywords&);

// The running state of one context block's scan: the sentence being scored.
struct Sentence {
  std::size_t from = 0;  // where it starts, before leading blanks
  std::uint64_t mask = 0;  // the keywords seen in it
  int score = 0;
};

// Scores the token that starts at t[pos]; `run` has the token bits from there on within the
// chunk (bit 0 = pos, all ones when the token runs past the chunk).
void score_token(const char* t, std::size_t n, std::size_t pos, std::uint64_t run, const Keywords& k,
                 Sentence& s) {
  const char* e = ~run != 0 ? t + pos + std::countr_zero(~run) : t + pos;
  if (~run == 0) {  // the token runs past the chunk
    while (e < t + n && (cls(*e) & kTokenChar)) ++e;
  }
  const char* b = t + pos;
  while (b < e && !(cls(*b) & kAlnum) && *b != '$') ++b;
  if (b == e || !k.may_start(*b)) return;
  const std::string_view token = trim_token(b, e);
  const std::size_t len = match_len(token);
  if (token.empty() || len >= 64 || !((k.len_mask >> len) & 1)) return;
  const char first = lower(*b);
  for (std::size_t w_ix = 0; w_ix < k.n; ++w_ix) {
    const Keywords::Word& w = k.word[w_ix];
    if (w.len == len && w.first == first && iequal(w.p, b, len)) {
      if (!((s.mask >> w_ix) & 1)) {
        s.mask |= std::uint64_t{1} << w_ix;
        ++s.score;
      }
      return;
    }
  }
}

// Scores every sentence of one context block: sentences end at ". " (keeping the '.') or at
// the end of the text, and score the number of distinct keywords among their tokens. Works on
// 64-character chunks: only tokens whose first character could start a keyword are looked
// at one by one.
template <Classify kClassify>
void scan_block(std::string_view text, std::string_view id, const Keywords& k, std::size_t& order,
                Pick& best, Pick& second) {
  const char* const t = text.data();
  const std::size_t n = text.size();
  Sentence s;
  auto close = [&](std::size_t stop) {
    while (s.from < stop && (t[s.from] == ' ' || t[s.from] == '\t')) ++s.from;
    if (s.from < stop) offer(Pick{s.score, order++, {t + s.from, stop - s.from}, id}, best, second);
    s.mask = 0;
    s.score = 0;
  };
  bool prev_token = false;  // whether the character before the chunk is a token character
  bool prev_dot = false;    // whether it is a '.'
  for (std::size_t base = 0; base < n; base += 64) {
    ChunkBits b;
    if (n - base >= 64) {
      b = kClassify(t + base, k);
    } else {
      // Never read past the text: copy the tail; NUL is no character class.
      char tail[64] = {};
      std::memcpy(tail, t + base, n - base);
      b = kClassify(tail, k);
    }
    const std::uint64_t starts = b.token & ~((b.token << 1) | (prev_token ? 1u : 0u));
    // A sentence ends at a space right after a '.'.
    const std::uint64_t ends = b.space & ((b.dot << 1) | (prev_dot ? 1u : 0u));
    for (std::uint64_t events = (starts & b.candidate) | ends; events != 0; events &= events - 1) {
      const int i = std::countr_zero(events);
      const std::size_t pos = base + static_cast<std::size_t>(i);
      if ((ends >> i) & 1) {
        close(pos);
        s.from = pos;
      } else {
        // Bits past the chunk's end read as 0 from the shift; ~0 marks "runs past the chunk".
        std::uint64_t run = b.token >> i;
        if (i > 0) run |= ~std::uint64_t{0} << (64 - i);
        score_token(t, n, pos, run, k, s);
      }
    }
    prev_token = (b.token >> 63) & 1;
    prev_dot = (b.dot >> 63) & 1;
  }
  close(n);
}

template <Classify kClassify>
Extraction extract_with(std::string_view user, const Keywords& k) {
  Extraction x;
  Pick& best = x.picks[0];
  Pick& second = x.picks[1];
  std::size_t order = 0;
  for_each_line(user, [&](std::string_view line) {
    with_block(line, [&](std::string_view id, std::string_view text) {
      scan_block<kClassify>(text, id, k, order, best, second);
    });
    return true;
  });
  if (second.score > 0 && second.order < best.order) std::swap(best, second);
  x.n = best.score > 0 ? (second.score > 0 ? 2 : 1) : 0;
  return x;
}

}  // namespace

bool icontains(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return false;
  if (needle.empty()) return true;
  // Candidates are where the needle's first character stands in either case: memchr (vector
  // code) finds each, so most of a long text is skipped without a per-byte compare.
  const char lo = lower(needle.front());
  const char up = lo >= 'a' && lo <= 'z' ? static_cast<char>(lo - 'a' + 'A') : lo;
  const char* const begin = hay.data();
  const char* const last = begin + (hay.size() - needle.size());  // the last possible start
  const auto next_from = [&](const char* from, char c) {
    const void* hit = std::memchr(from, c, static_cast<std::size_t>(last - from) + 1);
    return hit ? static_cast<const char*>(hit) : last + 1;
  };
  const char* l = next_from(begin, lo);
  const char* u = up == lo ? last + 1 : next_from(begin, up);
  while (l <= last || u <= last) {
    const char* at = l < u ? l : u;
    if (iequal(at + 1, needle.data() + 1, needle.size() - 1)) return true;
    if (at == l) l = next_from(l + 1, lo);
    else u = next_from(u + 1, up);
  }
  return false;
}

std::string_view find_question(std::string_view user) {
  std::string_view question, fallback;
  for_each_line(user, [&](std::string_view line) {
    if (line.substr(0, kQuestionPrefix.size()) == kQuestionPrefix) {
      question = line.substr(kQuestionPrefix.size());
      while (!question.empty() && (question.front() == ' ' || question.front() == '\t')) {
        question.remove_prefix(1);
      }
      return false;
    }
    if (fallback.empty() && !line.empty() && line.substr(0, kDocPrefix.size()) != kDocPrefix) {
      fallback = line;
    }
    return true;
  });
  return question.empty() ? fallback : question;
}

std::vector<std::string_view> context_ids(std::string_view user) {
  std::vector<std::string_view> ids;
  for_each_line(user, [&](std::string_view line) {
    with_block(line, [&](std::string_view id, std::string_view) { ids.push_back(id); });
    return true;
  });
  return ids;
}

Keywords keywords_of(std::string_view question) {
  Keywords k;
  const char* p = question.data();
  const char* end = p + question.size();
  for (std::string_view t = next_token(p, end); !t.empty() && k.n < Keywords::kMaxKeywords;
       t = next_token(p, end)) {
    if (is_stopword(t)) continue;
    const std::size_t len = match_len(t);
    if (len < 64) add_keyword(k, t, len);  // no real keyword is longer
  }
  return k;
}

ChunkBits classify64_portable(const char* src, const Keywords& k) {
  ChunkBits b;
  for (int i = 0; i < 64; ++i) {
    const char c = src[i];
    const std::uint64_t bit = std::uint64_t{1} << i;
    if (!(cls(c) & kTokenChar)) {
      if (c == ' ') b.space |= bit;
      continue;
    }
    b.token |= bit;
    if (c == '-' || c == '.' || c == '\'' || k.many_firsts || k.may_start(c)) b.candidate |= bit;
    if (c == '.') b.dot |= bit;
  }
  return b;
}

#if defined(__SSE2__)
ChunkBits classify64_sse2(const char* src, const Keywords& k) {
  ChunkBits b;
  const __m128i lower_bit = _mm_set1_epi8(0x20);
  const __m128i a = _mm_set1_epi8('a'), z_span = _mm_set1_epi8('z' - 'a');
  const __m128i zero = _mm_set1_epi8('0'), nine_span = _mm_set1_epi8(9);
  const __m128i dash = _mm_set1_epi8('-'), dollar = _mm_set1_epi8('$');
  const __m128i dot = _mm_set1_epi8('.'), quote = _mm_set1_epi8('\'');
  const __m128i space = _mm_set1_epi8(' ');
  __m128i firsts[Keywords::kMaxFirsts];
  for (int f = 0; f < k.n_firsts; ++f) firsts[f] = _mm_set1_epi8(k.firsts[static_cast<std::size_t>(f)]);
  const auto to64 = [](__m128i m) {
    return static_cast<std::uint64_t>(static_cast<std::uint16_t>(_mm_movemask_epi8(m)));
  };
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
    for (int f = 0; f < k.n_firsts; ++f) cand = _mm_or_si128(cand, _mm_cmpeq_epi8(lv, firsts[f]));
    // v | 0x20 aliases some control characters onto digits and '$': keep token characters only.
    cand = _mm_and_si128(cand, token);
    const int shift = 16 * q;
    b.token |= to64(token) << shift;
    b.candidate |= to64(cand) << shift;
    b.dot |= to64(is_dot) << shift;
    b.space |= to64(_mm_cmpeq_epi8(v, space)) << shift;
  }
  if (k.many_firsts) b.candidate = b.token;
  return b;
}
#endif

Extraction extract(std::string_view user, Scan scan) {
  const Keywords k = keywords_of(find_question(user));
  if (k.n == 0) return {};
#if defined(__SSE2__)
  if (scan == Scan::kSse2) return extract_with<classify64_sse2>(user, k);
#endif
  (void)scan;
  return extract_with<classify64_portable>(user, k);
}

}  // namespace gameday::extractive
