#include "trace/context.hpp"

namespace gameday {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

void append_hex(std::string& out, std::uint64_t v) {
  char buf[16];
  for (int i = 15; i >= 0; --i) {
    buf[i] = kHexDigits[v & 0xf];
    v >>= 4;
  }
  out.append(buf, 16);
}

// `n` lowercase hex digits, not all zero when `nonzero`.
bool lower_hex(std::string_view s, bool nonzero) {
  bool any = false;
  for (const char c : s) {
    const bool digit = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    if (!digit) return false;
    any = any || c != '0';
  }
  return any || !nonzero;
}

}  // namespace

std::string trace_id_hex(const TraceId& id) {
  std::string out;
  out.reserve(32);
  append_hex(out, id.hi);
  append_hex(out, id.lo);
  return out;
}

std::string span_id_hex(std::uint64_t id) {
  std::string out;
  out.reserve(16);
  append_hex(out, id);
  return out;
}

std::string make_traceparent(const TraceId& trace, std::uint64_t span, bool sampled) {
  std::string out = "00-";
  out.reserve(55);
  append_hex(out, trace.hi);
  append_hex(out, trace.lo);
  out += '-';
  append_hex(out, span);
  out += sampled ? "-01" : "-00";
  return out;
}

std::optional<TraceParent> parse_traceparent(std::string_view v) {
  // Surrounding spaces and tabs are not part of a header value.
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  if (v.size() < 55 || v[2] != '-' || v[35] != '-' || v[52] != '-') return std::nullopt;
  const std::string_view version = v.substr(0, 2);
  if (!lower_hex(version, false) || version == "ff") return std::nullopt;
  // Version 00 is exactly 55 characters; a later version may append fields after a '-'.
  if (version == "00" ? v.size() != 55 : v.size() > 55 && v[55] != '-') return std::nullopt;
  const std::string_view trace = v.substr(3, 32), parent = v.substr(36, 16), flags = v.substr(53, 2);
  if (!lower_hex(trace, true) || !lower_hex(parent, true) || !lower_hex(flags, false)) return std::nullopt;
  const int bits = (flags[1] >= 'a' ? flags[1] - 'a' + 10 : flags[1] - '0');
  return TraceParent{std::string(trace), std::string(parent), (bits & 1) != 0};
}

}  // namespace gameday
