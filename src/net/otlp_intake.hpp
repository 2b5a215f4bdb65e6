#pragma once
// Traces in: the OTLP/HTTP JSON trace exports a team's service sends to gameday, parsed into
// spans that keep only allow-listed data. Attribute keys outside a fixed allow-list (URLs,
// message content, prompts, user ids, ...) are dropped, and every kept text (span name, status
// message, attribute value) must pass the synthetic world's PHI check (assistant/phi.hpp): a
// text that fails is dropped (a span name becomes "redacted"). Bad spans are skipped and
// counted, as the OTLP partial-success rule has it.
//
// In module net (not trace) because the PHI check lives in module assistant, which trace does
// not link.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gameday {

/// The most spans one export request may carry; the rest are rejected.
inline constexpr std::size_t kIntakeMaxSpans = 10000;
/// Kept attribute values, span names and status messages are cut to this many bytes (at a
/// UTF-8 character boundary).
inline constexpr std::size_t kIntakeMaxValueBytes = 256;

/// One kept attribute.
struct IntakeAttribute {
  std::string key;
  /// The value as text: strings as they are, ints, doubles and bools as JSON text, arrays
  /// (and key-value lists) as JSON.
  std::string value;
};

/// One span as gameday keeps it.
struct IntakeSpan {
  std::string trace_id;        ///< 32 lowercase hex digits
  std::string span_id;         ///< 16 lowercase hex digits
  std::string parent_span_id;  ///< 16 lowercase hex digits, or "" for a root
  /// Sanitised: a name holding a path ('/' or '?') keeps only what comes before it, then the
  /// http.route attribute when there is one ("GET /fhir/{type}"); "redacted" when it fails the
  /// PHI check.
  std::string name;
  int kind = 0;  ///< the OTLP SpanKind value (0 unspecified ... 5 consumer)
  std::uint64_t start_unix_nano = 0;
  std::uint64_t end_unix_nano = 0;
  int status_code = 0;         ///< 0 unset, 1 ok, 2 error
  std::string status_message;  ///< "" when absent or when it fails the PHI check
  std::string service_name;    ///< the resource's service.name ("" when absent or dropped)
  /// Allow-listed attributes that passed the PHI check: the resource's first, then the span's
  /// (a span attribute replaces a resource one with the same key).
  std::vector<IntakeAttribute> attributes;
};

/// The spans of one export request, and how many of its spans were refused.
struct IntakeBatch {
  std::vector<IntakeSpan> spans;
  std::size_t rejected = 0;
  /// Why the first refused span was refused, with its field path
  /// ("resourceSpans[0].scopeSpans[1].spans[3].traceId: expected 32 hex digits or base64 of 16
  /// bytes"); never a value from the request.
  std::string rejected_reason;
};

/// Whether attribute `key` is on the intake's allow-list.
bool intake_attribute_allowed(std::string_view key);

/// Parses an ExportTraceServiceRequest in OTLP/JSON, appending its spans to `out`. Ids may be
/// lowercase hex (the OTLP JSON rule) or base64 (16-byte trace ids, 8-byte span ids), 64-bit
/// ints strings or numbers, enums integers or their names. False with `error` naming the
/// position ("line 1, column 17") or the field path ("resourceSpans[0].scopeSpans: expected an
/// array") when the body is not an export request at all; a span that is bad on its own is
/// skipped and counted in `rejected`. Errors never quote the request.
bool parse_otlp_traces(std::string_view body, IntakeBatch& out, std::string& error);

/// The OTLP/HTTP response body for a parsed batch: "{}" when nothing was rejected, else
/// {"partialSuccess":{"rejectedSpans":N,"errorMessage":"..."}}.
std::string otlp_intake_response(const IntakeBatch& batch);

}  // namespace gameday
