#include "sim/json_text.hpp"

#include <array>
#include <cstdint>
#include <cstring>

namespace gameday {
namespace {

// 1 for bytes that cannot be copied without a look: control characters, '"', '\\', and every
// non-ASCII byte (copied only as part of a well-formed UTF-8 sequence).
constexpr std::array<std::uint8_t, 256> kCare = [] {
  std::array<std::uint8_t, 256> care{};
  for (int c = 0; c < 256; ++c) care[c] = (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) ? 1 : 0;
  return care;
}();

// True when any of the 8 bytes in `w` needs care (kCare). Exact, no false positives: the
// classic "has a byte less than n" test, applied to w, w ^ '"' and w ^ '\\'.
constexpr bool word_needs_care(std::uint64_t w) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  const auto has_less = [](std::uint64_t x, std::uint64_t n) { return (x - kOnes * n) & ~x & kHigh; };
  return ((w & kHigh) | has_less(w, 0x20) | has_less(w ^ (kOnes * '"'), 1) |
          has_less(w ^ (kOnes * '\\'), 1)) != 0;
}

// The first byte at or after `p` that needs care, or `end`: eight bytes at a time while they
// are plain ASCII (strings are mostly plain), then byte by byte.
const unsigned char* skip_plain(const unsigned char* p, const unsigned char* end) {
  while (end - p >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    if (word_needs_care(w)) break;
    p += 8;
  }
  while (p < end && !kCare[*p]) ++p;
  return p;
}

// Appends the escape of the byte `c` that needs care and is not part of a UTF-8 sequence.
void append_escape(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  if (c >= 0x80) {
    out.append("\\ufffd", 6);  // not well-formed UTF-8
  } else if (c == '"') {
    out.append("\\\"", 2);
  } else if (c == '\\') {
    out.append("\\\\", 2);
  } else {
    const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
    out.append(esc, 6);
  }
}

}  // namespace

std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const auto cont = [&](std::size_t k, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return i + k < s.size() && at(i + k) >= lo && at(i + k) <= hi;
  };
  const unsigned char c = at(i);
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;  // no overlong 3-byte forms
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;  // no surrogates
  if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;  // no overlong 4-byte forms
  if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;  // at most U+10FFFF
  return 0;  // ASCII, a continuation byte, C0, C1 or F5..FF
}

bool is_valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
    } else if (const std::size_t n = utf8_sequence_length(s, i)) {
      i += n;
    } else {
      return false;
    }
  }
  return true;
}

void append_json_chars(std::string& out, std::string_view s) {
  const auto* const begin = reinterpret_cast<const unsigned char*>(s.data());
  const auto* const end = begin + s.size();
  const auto* p = begin;
  while (p < end) {
    // One append for each run of bytes that pass through: plain ASCII and whole UTF-8 sequences.
    const auto* run = p;
    for (;;) {
      p = skip_plain(p, end);
      if (p == end || *p < 0x80) break;
      const std::size_t n = utf8_sequence_length(s, static_cast<std::size_t>(p - begin));
      if (n == 0) break;
      p += n;
    }
    out.append(reinterpret_cast<const char*>(run), static_cast<std::size_t>(p - run));
    if (p == end) break;
    append_escape(out, *p++);
  }
}

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  append_json_chars(out, s);
  out.push_back('"');
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace gameday
