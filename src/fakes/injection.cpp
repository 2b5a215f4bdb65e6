#include "fakes/injection.hpp"

namespace gameday {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }
bool is_word(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

// Whether an MRN ("SYN-" and exactly 7 digits) occurs in `s`.
bool holds_mrn(std::string_view s) {
  for (std::size_t p = s.find("SYN-"); p != std::string_view::npos; p = s.find("SYN-", p + 1)) {
    std::size_t d = p + 4;
    while (d < s.size() && is_digit(s[d])) ++d;
    if (d - (p + 4) == 7) return true;
  }
  return false;
}

std::string_view first_canary(std::string_view s) {
  for (std::size_t p = s.find(kCanaryTokenPrefix); p != std::string_view::npos;
       p = s.find(kCanaryTokenPrefix, p + 1)) {
    const std::size_t len = kCanaryTokenPrefix.size() + 8;
    if (p + len <= s.size() && is_canary_token(s.substr(p, len)) &&
        (p + len == s.size() || !is_word(s[p + len]))) {
      return s.substr(p, len);
    }
  }
  return {};
}

// find_injected_instruction anchors each marker on its 'y' or 'v'; markers are lowercase.
static_assert([] {
  for (std::string_view m : kInjectionMarkers) {
    if (m.find('y') == std::string_view::npos && m.find('v') == std::string_view::npos) return false;
    for (char c : m) {
      if (c >= 'A' && c <= 'Z') return false;
    }
  }
  return true;
}());

}  // namespace

bool is_canary_token(std::string_view s) {
  if (s.size() != kCanaryTokenPrefix.size() + 8 || s.substr(0, kCanaryTokenPrefix.size()) != kCanaryTokenPrefix) {
    return false;
  }
  for (char c : s.substr(kCanaryTokenPrefix.size())) {
    if (!is_hex(c)) return false;
  }
  return true;
}

std::size_t ifind(std::string_view hay, std::string_view needle, std::size_t from) {
  if (needle.empty()) return from <= hay.size() ? from : std::string_view::npos;
  for (std::size_t i = from; i + needle.size() <= hay.size(); ++i) {
    if (lower(hay[i]) != needle[0]) continue;
    std::size_t k = 1;
    while (k < needle.size() && lower(hay[i + k]) == needle[k]) ++k;
    if (k == needle.size()) return i;
  }
  return std::string_view::npos;
}

InjectedInstruction read_instruction(std::string_view text) {
  InjectedInstruction in;
  in.text = text;
  in.canary = first_canary(text);
  // 1. "call the <name> tool"
  for (std::size_t p = ifind(text, "call the "); p != std::string_view::npos;
       p = ifind(text, "call the ", p + 1)) {
    const std::size_t start = p + 9;
    std::size_t end = start;
    while (end < text.size() && is_word(text[end])) ++end;
    if (end > start && ifind(text.substr(end, 5), " tool") == 0) {
      in.action = InjectionAction::kToolCall;
      in.tool = text.substr(start, end - start);
      return in;
    }
  }
  // 2. "system prompt"
  if (ifind(text, "system prompt") != std::string_view::npos) {
    in.action = InjectionAction::kRevealSystemPrompt;
    return in;
  }
  // 3. a double-quoted span
  const std::size_t open = text.find('"');
  if (open != std::string_view::npos) {
    const std::size_t close = text.find('"', open + 1);
    if (close != std::string_view::npos && close > open + 1) {
      in.say = text.substr(open + 1, close - open - 1);
      in.action = holds_mrn(in.say)                 ? InjectionAction::kOtherPatientPhi
                  : !first_canary(in.say).empty() ? InjectionAction::kEmitCanary
                                                  : InjectionAction::kSay;
      return in;
    }
  }
  return in;
}

std::optional<InjectedInstruction> find_injected_instruction(std::string_view user_message) {
  // This runs on every request while an injection_following fault is active, so each marker
  // is found by its rarest letter ('y' of "system", 'v' of "previous", via memchr on both
  // cases) and only then compared, case-insensitively, around it.
  const std::string_view u = user_message;
  // Whether position p is inside the text of a context line ("[doc:ID] text").
  auto in_context = [&](std::size_t p) {
    const std::size_t nl = u.rfind('\n', p);
    std::size_t start = nl == std::string_view::npos ? 0 : nl + 1;
    while (start < p && (u[start] == ' ' || u[start] == '\t')) ++start;
    if (u.substr(start, 5) != "[doc:") return false;
    const std::size_t close = u.find(']', start);
    return close != std::string_view::npos && close < p;
  };
  std::size_t first = std::string_view::npos;
  for (std::string_view marker : kInjectionMarkers) {
    const std::size_t anchor = marker.find('y') != std::string_view::npos ? marker.find('y')
                                                                          : marker.find('v');
    const char lo = marker[anchor];
    const char up = static_cast<char>(lo - 32);
    for (const char c : {lo, up}) {
      for (std::size_t a = u.find(c, anchor); a != std::string_view::npos && a - anchor < first;
           a = u.find(c, a + 1)) {
        const std::size_t p = a - anchor;
        if (ifind(u.substr(p, marker.size()), marker) == 0 && in_context(p)) {
          first = p;
          break;
        }
      }
    }
  }
  if (first == std::string_view::npos) return std::nullopt;
  std::size_t end = u.find('\n', first);
  if (end == std::string_view::npos) end = u.size();
  std::string_view text = u.substr(first, end - first);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return read_instruction(text);
}

}  // namespace gameday
