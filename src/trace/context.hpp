#pragma once
// W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` header that ties a
// request to a trace. A drill's workload sends one with every POST /v1/answers; the fake vendor
// and EHR read it on every call, so a service that propagates trace context tells gameday which
// of its calls served which answer.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "trace/otlp.hpp"

namespace gameday {

/// The header's name (HTTP header names are case-insensitive).
inline constexpr std::string_view kTraceparentHeader = "traceparent";

/// A parsed `traceparent`: lowercase hex ids (32 and 16 digits, never all zero).
struct TraceParent {
  std::string trace_id;
  std::string parent_id;
  bool sampled = false;  ///< the sampled flag (bit 0 of trace-flags)
};

/// A trace id as 32 lowercase hex digits.
std::string trace_id_hex(const TraceId& id);
/// A span id as 16 lowercase hex digits.
std::string span_id_hex(std::uint64_t id);

/// "00-{trace}-{span}-01" (sampled) or "...-00".
std::string make_traceparent(const TraceId& trace, std::uint64_t span, bool sampled = true);

/// Parses a `traceparent` value by the W3C rules: version 00 exactly 55 characters; a later
/// version at least 55 with a '-' after them; version ff, upper-case hex, all-zero ids and
/// anything else malformed give nullopt (the request then has no trace context).
std::optional<TraceParent> parse_traceparent(std::string_view value);

}  // namespace gameday
