#pragma once
// The fake vendor's model: an extractive keyword scorer. It reads a prompt (see FakeVendor's
// prompt contract), finds the question, and picks the two context sentences that share the most
// question keywords. Everything here is a pure function of the prompt text.
//
// The context scan classifies 64 characters at a time. Two classifiers give identical bits: a
// portable reference, one character at a time, and an SSE2 one, 16 characters at a time, built
// whenever the target has SSE2. Production uses kBuildScan: SSE2, unless the target lacks it or
// the build defines GAMEDAY_NO_SIMD (CMake option GAMEDAY_NO_SIMD). Both stay callable so the
// tests compare them on every build.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace gameday::extractive {

/// The answer when no context sentence shares a keyword with the question.
inline constexpr std::string_view kRefusal = "I cannot answer that from the provided records.";

/// The ASCII lowercase of each byte value ('A'..'Z' to 'a'..'z'; every other byte unchanged):
/// a table, as tokenizing is the vendor's hot loop.
inline constexpr std::array<char, 256> kLowercase = [] {
  std::array<char, 256> t{};
  for (int c = 0; c < 256; ++c) t[static_cast<std::size_t>(c)] = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return t;
}();
/// ASCII lowercase of `c` (kLowercase).
constexpr char lower(char c) { return kLowercase[static_cast<unsigned char>(c)]; }
/// Whether `c` is an ASCII letter or digit.
constexpr bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
/// Whether `needle` occurs in `hay`, ASCII case ignored.
bool icontains(std::string_view hay, std::string_view needle);

/// Calls f(line) for each '\n'-separated line of `text`, with blanks and tabs trimmed on the
/// left and blanks, tabs and '\r' on the right, until f returns false.
template <class F>
void for_each_line(std::string_view text, F&& f) {
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) {
      line.remove_suffix(1);
    }
    if (!f(line)) return;
    pos = nl + 1;
  }
}

/// The question of a user message: the text after "Question:" on the first line that starts
/// with it, else the first non-empty line that is not a context block ("[doc:ID] ..."); "" when
/// there is neither.
std::string_view find_question(std::string_view user);

/// The ids of the user message's context blocks (lines "[doc:ID] text"), in order.
std::vector<std::string_view> context_ids(std::string_view user);

/// The question's distinct keywords in match form, pointing into the question text. A token
/// keeps '-', '$', '.' and '\'' inside it, is trimmed to start with an alphanumeric or '$' and
/// end with an alphanumeric; stopwords are dropped; the match form drops "'s" and a plural 's'
/// (not "ss"); matching ignores ASCII case. At most kMaxKeywords, each shorter than 64.
struct Keywords {
  static constexpr std::size_t kMaxKeywords = 64;  ///< one bit each in a sentence's match mask
  static constexpr int kMaxFirsts = 12;  ///< distinct first characters the SSE2 prefilter tests

  /// One keyword.
  struct Word {
    const char* p;       ///< its first character, in the question
    std::uint32_t len;   ///< length of its match form
    char first;          ///< its first character, lowercase
  };
  std::array<Word, kMaxKeywords> word;  ///< [0, n) are set (not zeroed: built per request)
  std::size_t n = 0;                    ///< how many keywords
  std::uint64_t len_mask = 0;           ///< bit L set when some keyword has match length L
  std::uint64_t first_set[4] = {};      ///< bit c set when some keyword starts with (lowercase) c
  std::array<char, kMaxFirsts> firsts{};  ///< the distinct first characters, lowercase
  int n_firsts = 0;                       ///< how many of `firsts` are set
  bool many_firsts = false;  ///< more than kMaxFirsts: every token start is a candidate

  /// Whether some keyword starts with `c` (any case).
  bool may_start(char c) const {
    const unsigned char u = static_cast<unsigned char>(lower(c));
    return (first_set[u >> 6] >> (u & 63)) & 1;
  }
};

/// The keywords of `question` (see Keywords).
Keywords keywords_of(std::string_view question);

/// Per-character bitmaps of a 64-character chunk: bit i describes chunk[i].
struct ChunkBits {
  std::uint64_t token = 0;      ///< a token character: ASCII alphanumeric, '-', '$', '.', '\''
  std::uint64_t candidate = 0;  ///< a token character that could start a keyword: a keyword's
                                ///< first character in any case, '-', '.', '\'' (trimmed off a
                                ///< token's start); every token character when many_firsts
  std::uint64_t dot = 0;        ///< '.'
  std::uint64_t space = 0;      ///< ' '
};

/// Classifies the 64 bytes at `src` (all readable) one character at a time: the reference.
ChunkBits classify64_portable(const char* src, const Keywords& k);

#if defined(__SSE2__)
/// Whether this binary has classify64_sse2 (the target has SSE2).
inline constexpr bool kHaveSse2Scan = true;
/// The same bits as classify64_portable, 16 characters at a time with SSE2.
ChunkBits classify64_sse2(const char* src, const Keywords& k);
#else
/// Whether this binary has classify64_sse2 (the target has SSE2).
inline constexpr bool kHaveSse2Scan = false;
#endif

/// Which classifier scans the context.
enum class Scan : std::uint8_t { kPortable, kSse2 };

#if defined(GAMEDAY_NO_SIMD)
/// The classifier production uses: the portable one (GAMEDAY_NO_SIMD).
inline constexpr Scan kBuildScan = Scan::kPortable;
#else
/// The classifier production uses: SSE2 where built.
inline constexpr Scan kBuildScan = kHaveSse2Scan ? Scan::kSse2 : Scan::kPortable;
#endif

/// A context sentence and its score.
struct Pick {
  int score = 0;              ///< distinct keywords among its tokens
  std::size_t order = 0;      ///< its position among all context sentences
  std::string_view sentence;  ///< the sentence, its '.' kept, leading blanks trimmed
  std::string_view doc_id;    ///< the id of its context block
};

/// The extractive answer's sentences: the two best-scoring context sentences with a score
/// above 0 (ties go to the earlier), in context order. Context blocks are the user message's
/// lines "[doc:ID] text"; their text splits into sentences at ". " (each keeps its '.') and at
/// its end. `n` is how many of `picks` are set (0: the answer is the refusal).
struct Extraction {
  Pick picks[2];  ///< [0, n) set, in context order
  int n = 0;      ///< 0, 1 or 2
};

/// The extraction for `user` (the question found by find_question, its keywords by
/// keywords_of), scanning with `scan`; a scan this binary lacks (kSse2 without SSE2) falls back
/// to the portable one. Every scan gives the same extraction.
Extraction extract(std::string_view user, Scan scan = kBuildScan);

}  // namespace gameday::extractive
