// The shared JSON string escaper and UTF-8 validator (sim/json_text.hpp), tested directly.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/json_text.hpp"
#include "support/byte_mix.hpp"

using namespace gameday;

namespace {

std::string json_string_of(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

// One code point as UTF-8 (no checks: the tests build invalid forms on purpose elsewhere).
std::string utf8(std::uint32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

const std::string kFffd = "\\ufffd";

}  // namespace

TEST_CASE("JSON text escapes every control character as a lowercase u00xx escape", "[sim][json_text]") {
  for (int c = 0; c < 0x20; ++c) {
    char want[16];
    std::snprintf(want, sizeof want, "\"\\u%04x\"", c);
    INFO("control character " << c);
    CHECK(json_string_of(std::string(1, static_cast<char>(c))) == want);
  }
  CHECK(json_string_of("a\nb\tc") == R"("a\u000ab\u0009c")");
}

TEST_CASE("JSON text escapes quotes and backslashes and leaves other ASCII as it is", "[sim][json_text]") {
  CHECK(json_string_of("say \"hi\"\\ok") == R"("say \"hi\"\\ok")");
  std::string printable;
  for (int c = 0x20; c < 0x80; ++c) {
    if (c != '"' && c != '\\') printable += static_cast<char>(c);
  }
  CHECK(json_string_of(printable) == "\"" + printable + "\"");  // '/' and DEL included
  CHECK(json_string_of("") == "\"\"");
  std::string chars;
  append_json_chars(chars, "a\"b");
  CHECK(chars == R"(a\"b)");
}

TEST_CASE("JSON text passes well-formed UTF-8 through at every boundary of each length", "[sim][json_text]") {
  const std::vector<std::uint32_t> edges = {0x80,    0x7FF,   0x800,   0xFFF,    0x1000,  0xCFFF,
                                            0xD000,  0xD7FF,  0xE000,  0xFFFD,   0xFFFF,  0x10000,
                                            0x3FFFF, 0x40000, 0xFFFFF, 0x100000, 0x10FFFF};
  for (std::uint32_t cp : edges) {
    const std::string s = utf8(cp);
    INFO("U+" << std::hex << cp);
    CHECK(utf8_sequence_length(s, 0) == s.size());
    CHECK(is_valid_utf8(s));
    CHECK(json_string_of(s) == "\"" + s + "\"");
    // Also behind plain runs of every length, so the 8-byte scan meets it at every alignment.
    for (std::size_t pad = 0; pad < 17; ++pad) {
      const std::string t = std::string(pad, 'x') + s + "y";
      REQUIRE(json_string_of(t) == "\"" + t + "\"");
    }
  }
  CHECK(utf8_sequence_length("A", 0) == 0);  // ASCII is not a multi-byte sequence
  CHECK(is_valid_utf8(""));
  CHECK(is_valid_utf8("plain"));
}

TEST_CASE("JSON text replaces each byte of malformed UTF-8 with U+FFFD", "[sim][json_text]") {
  struct Case {
    const char* what;
    std::string bytes;
    int replaced;  // how many U+FFFD it becomes
  };
  const std::vector<Case> cases = {
      {"a stray continuation byte", "\x80", 1},
      {"the last continuation byte", "\xBF", 1},
      {"two continuation bytes", "\x80\xBF", 2},
      {"lead bytes C0 and C1 (always overlong)", "\xC0\xC1", 2},
      {"an overlong '/' in two bytes", "\xC0\xAF", 2},
      {"an overlong '/' in three bytes", "\xE0\x80\xAF", 3},
      {"an overlong U+07FF in three bytes", "\xE0\x9F\xBF", 3},
      {"an overlong U+FFFF in four bytes", "\xF0\x8F\xBF\xBF", 4},
      {"the first surrogate", "\xED\xA0\x80", 3},
      {"the last surrogate", "\xED\xBF\xBF", 3},
      {"U+110000, above the last code point", "\xF4\x90\x80\x80", 4},
      {"lead byte F5", "\xF5\x80\x80\x80", 4},
      {"lead byte FF", "\xFF", 1},
      {"a two-byte sequence cut short", "\xC3", 1},
      {"a three-byte sequence cut after two", "\xE2\x9C", 2},
      {"a four-byte sequence cut after three", "\xF0\x9F\x8F", 3},
      {"a lead byte followed by ASCII", "\xE2" "A", 1},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    CHECK_FALSE(is_valid_utf8(c.bytes));
    CHECK(utf8_sequence_length(c.bytes, 0) == 0);
    std::string want = "\"";
    for (int i = 0; i < c.replaced; ++i) want += kFffd;
    for (char ch : c.bytes) {
      if (static_cast<unsigned char>(ch) < 0x80) want += ch;  // ASCII after a cut sequence stays
    }
    want += "\"";
    CHECK(json_string_of(c.bytes) == want);
    // Valid text around it is kept, and the result is valid JSON.
    const std::string around = "caf\xC3\xA9 " + c.bytes + " \xE2\x9C\x93";
    const std::string line = json_string_of(around);
    CHECK(line.rfind("\"caf\xC3\xA9 ", 0) == 0);
    CHECK(line.substr(line.size() - 5) == " \xE2\x9C\x93\"");
    CHECK_NOTHROW(nlohmann::json::parse(line));
  }
}

TEST_CASE("JSON text of any bytes reads back with a standard parser", "[sim][json_text]") {
  for (const auto& [text, valid] : test_support::mixed_byte_strings(99, 3000)) {
    const std::string line = json_string_of(text);
    INFO(line);
    const auto j = nlohmann::json::parse(line);  // always valid JSON
    if (valid) REQUIRE(is_valid_utf8(text));  // (malformed pieces may join into valid text)
    if (is_valid_utf8(text)) REQUIRE(j.get<std::string>() == text);
  }
}
