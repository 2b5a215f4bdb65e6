#include "assistant/phi.hpp"

namespace gameday {
namespace {

constexpr std::string_view kSyn = "SYN";
constexpr std::string_view kPhoneCore = "555-01";  // "(NNN) 555-01NN": the fictional range

bool digit(char c) { return c >= '0' && c <= '9'; }
bool word_char(char c) {
  return digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool digits(std::string_view t, std::size_t at, std::size_t n) {
  if (at + n > t.size()) return false;
  for (std::size_t i = at; i < at + n; ++i) {
    if (!digit(t[i])) return false;
  }
  return true;
}
bool ends_number(std::string_view t, std::size_t at) { return at >= t.size() || !digit(t[at]); }

// An MRN or member id at `p` (where "SYN" starts); length 0 when it is neither.
std::size_t syn_match(std::string_view t, std::size_t p, PhiKind* kind) {
  // "PA-SYN-482913" and "XSYN-..." continue another token: not an identifier.
  if (p > 0 && (word_char(t[p - 1]) || t[p - 1] == '-')) return 0;
  const std::size_t q = p + kSyn.size();
  if (q < t.size() && t[q] == '-' && digits(t, q + 1, 7) && ends_number(t, q + 8)) {
    *kind = PhiKind::kMrn;
    return 11;
  }
  if (q + 1 < t.size() && t[q] == 'M' && t[q + 1] == '-' && digits(t, q + 2, 8) &&
      ends_number(t, q + 10)) {
    *kind = PhiKind::kMemberId;
    return 13;
  }
  return 0;
}

// A phone number around `p` (where "555-01" starts); its start in *start, length 0 when none.
std::size_t phone_match(std::string_view t, std::size_t p, std::size_t* start) {
  if (p < 6) return 0;
  const std::size_t s = p - 6;
  if (t[s] != '(' || !digits(t, s + 1, 3) || t[s + 4] != ')' || t[s + 5] != ' ') return 0;
  if (!digits(t, p + kPhoneCore.size(), 2) || !ends_number(t, p + kPhoneCore.size() + 2)) return 0;
  *start = s;
  return 14;
}

// Calls f(match) for each identifier in order; the two needle scans advance independently so
// each byte is looked at a bounded number of times.
template <class F>
void scan(std::string_view t, std::size_t from, F&& f) {
  std::size_t syn = t.find(kSyn, from);
  std::size_t phone = t.find(kPhoneCore, from);
  std::size_t pos = from;  // nothing before this may be reported (matches do not overlap)
  while (syn != std::string_view::npos || phone != std::string_view::npos) {
    PhiMatch m;
    bool found = false;
    if (syn != std::string_view::npos && (phone == std::string_view::npos || syn < phone)) {
      PhiKind kind;
      const std::size_t len = syn >= pos ? syn_match(t, syn, &kind) : 0;
      if (len > 0) {
        m = PhiMatch{kind, syn, len};
        found = true;
      }
      syn = t.find(kSyn, syn + 1);
    } else {
      std::size_t start = 0;
      const std::size_t len = phone_match(t, phone, &start);
      if (len > 0 && start >= pos) {
        m = PhiMatch{PhiKind::kPhone, start, len};
        found = true;
      }
      phone = t.find(kPhoneCore, phone + 1);
    }
    if (found) {
      pos = m.pos + m.len;
      if (!f(m)) return;
    }
  }
}

// The next whole-word occurrence of "given family" in `t` at or after `from`: its start, and its
// length in *len; npos when none. Looks for the family name (rarer than the given one) first.
std::size_t find_name(std::string_view t, PersonName name, std::size_t from, std::size_t* len) {
  if (name.family.empty()) return std::string_view::npos;
  const std::size_t lead = name.given.empty() ? 0 : name.given.size() + 1;
  for (std::size_t p = t.find(name.family, from + lead); p != std::string_view::npos;
       p = t.find(name.family, p + 1)) {
    const std::size_t e = p + name.family.size();
    if (e < t.size() && word_char(t[e])) continue;
    const std::size_t start = p - lead;
    if (lead > 0 && (t[p - 1] != ' ' || t.compare(start, name.given.size(), name.given) != 0)) {
      continue;
    }
    if (start > 0 && word_char(t[start - 1])) continue;
    *len = e - start;
    return start;
  }
  return std::string_view::npos;
}

}  // namespace

bool find_phi(std::string_view text, std::size_t from, PhiMatch* match) {
  bool found = false;
  scan(text, from, [&](const PhiMatch& m) {
    if (match) *match = m;
    found = true;
    return false;
  });
  return found;
}

bool contains_phi(std::string_view text) { return find_phi(text, 0, nullptr); }

const char* redaction_token(PhiKind kind) {
  switch (kind) {
    case PhiKind::kMrn: return "[MRN]";
    case PhiKind::kPhone: return "[PHONE]";
    case PhiKind::kMemberId: return "[MEMBER-ID]";
  }
  return "[PHI]";
}

int append_redacted(std::string& out, std::string_view text, PersonName name) {
  const std::size_t base = out.size();
  int n = 0;
  std::size_t copied = 0;
  scan(text, 0, [&](const PhiMatch& m) {
    out.append(text.data() + copied, m.pos - copied);
    out += redaction_token(m.kind);
    copied = m.pos + m.len;
    ++n;
    return true;
  });
  out.append(text.data() + copied, text.size() - copied);
  // Names after identifiers: tokens hold no letters of a name, so the order does not matter.
  std::size_t len = 0;
  for (std::size_t p = find_name(out, name, base, &len); p != std::string::npos;
       p = find_name(out, name, p + kPatientToken.size(), &len)) {
    out.replace(p, len, kPatientToken);
    ++n;
  }
  return n;
}

int redact_phi(std::string& text, PersonName name) {
  std::string out;
  out.reserve(text.size());
  const int n = append_redacted(out, text, name);
  if (n > 0) text.swap(out);
  return n;
}

int count_phi(std::string_view text, PersonName name) {
  int n = 0;
  scan(text, 0, [&](const PhiMatch&) {
    ++n;
    return true;
  });
  std::size_t len = 0;
  for (std::size_t p = find_name(text, name, 0, &len); p != std::string_view::npos;
       p = find_name(text, name, p + len, &len)) {
    ++n;
  }
  return n;
}

}  // namespace gameday
