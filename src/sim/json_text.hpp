#pragma once
// JSON text: the one string escaper and UTF-8 validator of every JSON gameday writes by hand
// (journal lines, the fake model's JSON answers, the OpenAI chat completion body). std only.
//
// What a string becomes: well-formed UTF-8 passes through as it is; '"' and '\\' get a
// backslash; every control character (U+0000 to U+001F) is written as \u00xx (lowercase hex,
// never the short forms \n, \t: journal lines have always been written this way); DEL and
// '/' are not escaped; each byte that does not belong to a well-formed UTF-8 sequence becomes
// one U+FFFD, written as the escape \ufffd, so the output is always valid JSON whatever the input.
#include <cstddef>
#include <string>
#include <string_view>

namespace gameday {

/// Length (2 to 4) of the well-formed UTF-8 sequence that starts at `s[i]` (RFC 3629: no
/// overlong forms, no surrogates U+D800..U+DFFF, nothing above U+10FFFF, no sequence cut by the
/// end of `s`), or 0 when the bytes there are not one. Requires i < s.size(); an ASCII byte is
/// not a multi-byte sequence and gives 0.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i);

/// Whether `s` is entirely well-formed UTF-8 (ASCII included; the empty string is).
bool is_valid_utf8(std::string_view s);

/// Appends the escaped characters of `s` (see the file comment) without surrounding quotes.
void append_json_chars(std::string& out, std::string_view s);

/// Appends `s` as a JSON string literal: '"', append_json_chars(s), '"'.
void append_json_string(std::string& out, std::string_view s);

/// The value of hex digit `c` (0-9, a-f, A-F), or -1 when it is not one.
int hex_value(char c);

}  // namespace gameday
