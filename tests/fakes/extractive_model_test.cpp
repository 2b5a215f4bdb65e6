// The fake vendor's extractive model: the portable and the SSE2 context scans give the same
// bits and the same answers on generated prompts.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "fakes/extractive_model.hpp"
#include "support/skip.hpp"

using namespace gameday;
using namespace gameday::extractive;

namespace {

// A small deterministic generator (no std:: distributions: the same inputs everywhere).
struct Gen {
  std::uint64_t state;
  std::uint64_t below(std::uint64_t n) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % n;
  }
  template <class T>
  const T& pick(const std::vector<T>& v) { return v[below(v.size())]; }
};

// Words of every class the scan tells apart: keywords in several cases and plural forms,
// stopwords, amounts, codes, dates, identifiers, trimmed punctuation, UTF-8 and long words.
const std::vector<std::string> kWords = {
    "copay",   "Copay",    "COPAY",     "copays",  "echocardiogram", "Echocardiograms", "visit",
    "visits",  "visit's",  "patient's", "the",     "The",            "and",             "what",
    "$45",     "$0",       "J18.9",     "99215",   "2026-03-02",     "SYN-0001234",     "follow-up",
    "-dash",   "'quoted'", "end.",      "caf\xc3\xa9", "na\xc3\xafve", "\xe4\xb8\xad\xe6\x96\x87",
    "\xf0\x9f\x8f\xa5",    "x",         "a",       "is",             "30",              "class",
    "glass",   "Bus",      "discharge", "diagnosis", "plan",         "pneumonia",       "zebra",
    "quartz",  "yield",    "kilo",      "umbrella", "ox",            "nitrogen",        "vast",
    "supercalifragilisticexpialidocious-and-then-some-more-characters-to-pass-sixty-four"};
// What goes between words: blanks, sentence ends, punctuation and control characters (0x04
// and 0x10..0x19 alias onto '$' and digits under the SSE2 classifier's case folding).
const std::vector<std::string> kGaps = {" ", " ", " ", ". ", ", ", "  ", ".", " - ", "\t",
                                        "\x04", "\x10", "\x19", "; ", "? ", "\xc2\xa0", ".  "};

std::string text_of(Gen& g, std::size_t words) {
  std::string s;
  for (std::size_t i = 0; i < words; ++i) {
    if (i > 0) s += g.pick(kGaps);
    s += g.pick(kWords);
  }
  return s;
}

void require_same_bits(const char* chunk, const Keywords& k) {
#if defined(__SSE2__)
  const ChunkBits a = classify64_portable(chunk, k);
  const ChunkBits b = classify64_sse2(chunk, k);
  INFO("chunk: " << std::string(chunk, 64));
  REQUIRE(a.token == b.token);
  REQUIRE(a.candidate == b.candidate);
  REQUIRE(a.dot == b.dot);
  REQUIRE(a.space == b.space);
#else
  (void)chunk;
  (void)k;
#endif
}

void require_same(const Extraction& a, const Extraction& b) {
  REQUIRE(a.n == b.n);
  for (int i = 0; i < a.n; ++i) {
    REQUIRE(a.picks[i].score == b.picks[i].score);
    REQUIRE(a.picks[i].order == b.picks[i].order);
    REQUIRE(a.picks[i].sentence == b.picks[i].sentence);
    REQUIRE(a.picks[i].doc_id == b.picks[i].doc_id);
  }
}

}  // namespace

TEST_CASE("The SSE2 and portable classifiers give the same bits for every 64-byte window", "[fakes][vendor]") {
  if (!kHaveSse2Scan) return test_support::skip_because("this target has no SSE2: only the portable scan is built");
  Gen g{7};
  for (int round = 0; round < 60; ++round) {
    // Questions of 1 to 30 words: few keywords, and more distinct first letters than the
    // SSE2 prefilter takes (many_firsts).
    const std::string question = text_of(g, 1 + g.below(30));
    const Keywords k = keywords_of(question);
    const std::string text = text_of(g, 40 + g.below(40));
    INFO("question: " << question);
    for (std::size_t at = 0; at + 64 <= text.size(); ++at) require_same_bits(text.data() + at, k);
  }
  // Every byte value at every position of a chunk.
  const Keywords k = keywords_of("copay visit zebra $45");
  for (int c = 0; c < 256; ++c) {
    std::string chunk(64, 'q');
    for (std::size_t i = 0; i < 64; i += 3) chunk[i] = static_cast<char>(c);
    require_same_bits(chunk.data(), k);
  }
}

TEST_CASE("Extraction is the same with the portable and the SSE2 scan on generated prompts", "[fakes][vendor]") {
  Gen g{11};
  for (int round = 0; round < 400; ++round) {
    const std::string question = text_of(g, 1 + g.below(8));
    std::string user;
    for (std::uint64_t b = 0, blocks = 1 + g.below(4); b < blocks; ++b) {
      // Short blocks (under 16 bytes), blocks around the 16- and 64-byte boundaries, long ones;
      // the last block ends with a keyword and no period.
      user += "[doc:d" + std::to_string(b) + "] " + std::string(g.below(70), 'p') + " " +
              text_of(g, g.below(3) == 0 ? g.below(4) : 5 + g.below(60)) + "\n";
    }
    user += "[doc:last] " + text_of(g, g.below(20)) + " " + g.pick(kWords) + "\n";
    user += "Question: " + question + "\n";
    INFO(user);
    const Extraction portable = extract(user, Scan::kPortable);
    require_same(portable, extract(user, Scan::kSse2));
    require_same(portable, extract(user));
  }
}

TEST_CASE("Extraction finds a keyword sentence at every offset across chunk boundaries", "[fakes][vendor]") {
  for (Scan scan : {Scan::kPortable, Scan::kSse2}) {
    for (std::size_t pad = 0; pad < 140; ++pad) {
      const std::string user = "[doc:d1] Intro " + std::string(pad, 'x') +
                               " sentence. Then the Echocardiogram COPAYS\nQuestion: what copay echocardiogram?";
      const Extraction x = extract(user, scan);
      INFO("pad " << pad);
      REQUIRE(x.n == 1);
      REQUIRE(x.picks[0].sentence == "Then the Echocardiogram COPAYS");
      REQUIRE(x.picks[0].score == 2);
      REQUIRE(x.picks[0].doc_id == "d1");
    }
  }
}

TEST_CASE("Extraction drops stopwords and refuses without a shared keyword", "[fakes][vendor]") {
  const std::string user = "[doc:a] The patient is here. What is it.\nQuestion: What is the patient's plan?";
  const Keywords k = keywords_of(find_question(user));
  REQUIRE(k.n == 1);  // "plan"
  REQUIRE(extract(user).n == 0);
  REQUIRE(find_question("[doc:a] x\n\nWhat plan?\nmore") == "What plan?");
  REQUIRE(context_ids("[doc:a] x\n  [doc:b-v2] y\nnot [doc:c] z\n[doc:broken") ==
          std::vector<std::string_view>{"a", "b-v2"});
}

// A case-blind substring search written the slow, obvious way, to check icontains against.
static bool icontains_by_hand(std::string_view hay, std::string_view needle) {
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    bool same = true;
    for (std::size_t k = 0; k < needle.size() && same; ++k) same = extractive::lower(hay[i + k]) == extractive::lower(needle[k]);
    if (same) return true;
  }
  return false;
}

TEST_CASE("icontains finds a needle in either case at the start the end or nowhere", "[fakes][vendor]") {
  CHECK(extractive::icontains("Cite your sources.", "cite"));
  CHECK(extractive::icontains("please CITE", "cite"));
  CHECK(extractive::icontains("answer only from records", "ONLY"));
  CHECK(extractive::icontains("x", "x"));
  CHECK(extractive::icontains("anything", ""));
  CHECK_FALSE(extractive::icontains("cit", "cite"));
  CHECK_FALSE(extractive::icontains("excite", "cites"));
  CHECK_FALSE(extractive::icontains("", "a"));
  CHECK(extractive::icontains("price: [doc:7]", "[DOC:"));  // a needle that starts with no letter
  // Every needle cut from a text, and near misses, agree with the obvious search.
  const std::string text = "Cc cIt CITATION: cite the [doc:A] note; Only ONLY only. cC";
  for (std::size_t i = 0; i < text.size(); ++i) {
    for (std::size_t n = 1; i + n <= text.size() && n < 8; ++n) {
      std::string needle = text.substr(i, n);
      CHECK(extractive::icontains(text, needle));
      needle.back() = needle.back() == 'z' ? 'y' : 'z';
      CHECK(extractive::icontains(text, needle) == icontains_by_hand(text, needle));
    }
  }
}
