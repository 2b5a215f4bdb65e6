#pragma once
// Deterministic pseudo-random byte strings for the JSON text tests (the journal's strings, the
// shared escaper): plain ASCII runs (the 8-byte fast path) mixed with every kind of byte that
// needs care, at every alignment, and now and then a piece of malformed UTF-8.
#include <cstdint>
#include <string>
#include <vector>

namespace test_support {

/// One generated string.
struct MixedBytes {
  std::string text;
  /// No malformed piece went in, so `text` is well-formed UTF-8. (Malformed pieces may also
  /// join into a well-formed sequence: false does not promise malformed text.)
  bool valid = true;
};

/// `count` strings drawn from `seed`: up to 11 pieces each, one piece in 20 malformed.
inline std::vector<MixedBytes> mixed_byte_strings(std::uint64_t seed, int count) {
  const std::vector<std::string> pieces = {"abcdefgh", "x", "\"", "\\", "\n", std::string(1, '\0'), "\x1f",
                                           "\x7f", "\xC3\xA9", "\xE2\x9C\x93", "\xF0\x9F\x8F\xA5", "/"};
  const std::vector<std::string> malformed = {"\x80", "\xFF", "\xC3", "\xE2\x9C", "\xED\xA0\x80", "\xF5\x80\x80\x80"};
  std::uint64_t state = seed;
  const auto next = [&](std::uint64_t n) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % n;
  };
  std::vector<MixedBytes> out(static_cast<std::size_t>(count));
  for (MixedBytes& m : out) {
    for (std::uint64_t i = 0, parts = next(12); i < parts; ++i) {
      if (next(20) == 0) {
        m.text += malformed[next(malformed.size())];
        m.valid = false;
      } else {
        m.text += pieces[next(pieces.size())];
      }
    }
  }
  return out;
}

}  // namespace test_support
