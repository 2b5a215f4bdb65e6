#include "net/otlp_intake.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <iterator>
#include <optional>

#include "assistant/phi.hpp"
#include "sim/json_text.hpp"

namespace gameday {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 23> kAllowedKeys = {
    "http.request.method", "http.response.status_code", "http.route", "server.address", "server.port",
    "error.type", "exception.type", "gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.system",
    "gen_ai.request.model", "gen_ai.response.model", "gen_ai.response.id", "gen_ai.response.finish_reasons",
    "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "fhir.resource_type", "db.system",
    "rpc.system", "rpc.service", "rpc.method", "service.name", "service.version"};

// Nested arrays / key-value lists deeper than this are not rendered (the attribute is dropped).
constexpr int kMaxValueDepth = 8;

// A span that cannot be kept: where and why (never the value itself).
struct SpanError {
  std::string field;
  std::string message;
};

std::string at(const std::string& path, std::string_view field) { return path + "." + std::string(field); }
std::string at(const std::string& path, std::size_t index) { return path + "[" + std::to_string(index) + "]"; }

// Cuts `s` to kIntakeMaxValueBytes without splitting a UTF-8 character.
void truncate_utf8(std::string& s) {
  if (s.size() <= kIntakeMaxValueBytes) return;
  std::size_t n = kIntakeMaxValueBytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
}

// The text kept, or nullopt when it holds PHI (checked before and after cutting: a cut can
// complete an identifier's shape, "SYN-12345678" -> "SYN-1234567").
std::optional<std::string> clean_text(std::string s) {
  if (contains_phi(s)) return std::nullopt;
  truncate_utf8(s);
  if (contains_phi(s)) return std::nullopt;
  return s;
}


int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

// Base64 (standard or URL alphabet, padded or not) to bytes; nullopt when it is not base64.
std::optional<std::string> base64_decode(std::string_view s) {
  while (!s.empty() && s.back() == '=') s.remove_suffix(1);
  if (s.size() % 4 == 1) return std::nullopt;
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (const char c : s) {
    const int v = base64_value(c);
    if (v < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

// An id of `bytes` bytes as lowercase hex, from hex or base64; nullopt when it is neither or
// is all zero (an invalid id in OTLP).
std::optional<std::string> read_id(const json& v, std::size_t bytes) {
  if (!v.is_string()) return std::nullopt;
  const std::string& s = v.get_ref<const std::string&>();
  std::string hex;
  if (s.size() == bytes * 2 && std::all_of(s.begin(), s.end(), [](char c) { return hex_value(c) >= 0; })) {
    hex = s;
    for (char& c : hex) c = static_cast<char>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
  } else {
    const auto raw = base64_decode(s);
    if (!raw || raw->size() != bytes) return std::nullopt;
    static constexpr char kHex[] = "0123456789abcdef";
    for (const char b : *raw) {
      hex.push_back(kHex[(static_cast<unsigned char>(b) >> 4) & 0xF]);
      hex.push_back(kHex[static_cast<unsigned char>(b) & 0xF]);
    }
  }
  if (hex.find_first_not_of('0') == std::string::npos) return std::nullopt;
  return hex;
}

// A uint64 written as a number or a decimal string (the protobuf JSON mapping's int64 form).
std::optional<std::uint64_t> read_u64(const json& v) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer()) {
    const auto i = v.get<std::int64_t>();
    return i < 0 ? std::nullopt : std::optional<std::uint64_t>(static_cast<std::uint64_t>(i));
  }
  if (!v.is_string()) return std::nullopt;
  const std::string& s = v.get_ref<const std::string&>();
  if (s.empty() || s.size() > 20 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  try {
    return std::stoull(s);
  } catch (const std::out_of_range&) {
    return std::nullopt;
  }
}

// An enum as its integer or its name (one of `names`, index = value); nullopt otherwise.
template <std::size_t N>
std::optional<int> read_enum(const json& v, const std::array<std::string_view, N>& names) {
  if (v.is_number_integer()) {
    const auto i = v.get<std::int64_t>();
    return i >= 0 && i < static_cast<std::int64_t>(N) ? std::optional<int>(static_cast<int>(i)) : std::nullopt;
  }
  if (v.is_string()) {
    const auto it = std::find(names.begin(), names.end(), v.get_ref<const std::string&>());
    if (it != names.end()) return static_cast<int>(it - names.begin());
  }
  return std::nullopt;
}

constexpr std::array<std::string_view, 6> kSpanKinds = {"SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL",
                                                        "SPAN_KIND_SERVER",      "SPAN_KIND_CLIENT",
                                                        "SPAN_KIND_PRODUCER",    "SPAN_KIND_CONSUMER"};
constexpr std::array<std::string_view, 3> kStatusCodes = {"STATUS_CODE_UNSET", "STATUS_CODE_OK",
                                                          "STATUS_CODE_ERROR"};

std::optional<json> any_value_json(const json& v, int depth);

// An AnyValue as plain JSON (strings, numbers, bools, arrays, objects); nullopt when unreadable.
std::optional<json> any_value_json(const json& v, int depth) {
  if (!v.is_object() || depth > kMaxValueDepth) return std::nullopt;
  if (const auto s = v.find("stringValue"); s != v.end() && s->is_string()) return *s;
  if (const auto b = v.find("boolValue"); b != v.end() && b->is_boolean()) return *b;
  if (const auto i = v.find("intValue"); i != v.end()) {
    if (i->is_number_integer()) return *i;
    if (i->is_string()) {
      const std::string& s = i->get_ref<const std::string&>();
      if (const auto u = read_u64(*i)) return json(*u);
      if (s.size() > 1 && s[0] == '-') {
        if (const auto u = read_u64(json(s.substr(1))); u && *u <= (1ULL << 63)) {
          return json(static_cast<std::int64_t>(0 - *u));
        }
      }
    }
    return std::nullopt;
  }
  if (const auto d = v.find("doubleValue"); d != v.end()) {
    if (d->is_number() && std::isfinite(d->get<double>())) return *d;
    return std::nullopt;  // "NaN", "Infinity": nothing a kept attribute needs
  }
  for (const char* list : {"arrayValue", "kvlistValue"}) {
    const auto l = v.find(list);
    if (l == v.end()) continue;
    const bool array = list[0] == 'a';
    json out = array ? json::array() : json::object();
    if (!l->is_object()) return std::nullopt;
    const auto values = l->find("values");
    if (values == l->end()) return out;
    if (!values->is_array()) return std::nullopt;
    for (const auto& item : *values) {
      if (array) {
        auto x = any_value_json(item, depth + 1);
        if (!x) return std::nullopt;
        out.push_back(std::move(*x));
      } else {
        const auto k = item.is_object() ? item.find("key") : item.end();
        const auto val = item.is_object() ? item.find("value") : item.end();
        if (k == item.end() || !k->is_string() || val == item.end()) return std::nullopt;
        auto x = any_value_json(*val, depth + 1);
        if (!x) return std::nullopt;
        out[k->get<std::string>()] = std::move(*x);
      }
    }
    return out;
  }
  return std::nullopt;  // bytesValue, an empty AnyValue: not kept
}

// The kept attributes of an attribute list: allow-listed keys whose readable value passes the
// PHI check, merged into `kept` (a key already there is replaced).
std::optional<SpanError> read_attributes(const json& list, const std::string& path,
                                         std::vector<IntakeAttribute>& kept) {
  if (!list.is_array()) return SpanError{path, "expected an array"};
  for (std::size_t i = 0; i < list.size(); ++i) {
    const json& kv = list[i];
    const auto key = kv.is_object() ? kv.find("key") : kv.end();
    if (key == kv.end() || !key->is_string()) return SpanError{at(path, i), "expected an object with a string key"};
    const std::string& k = key->get_ref<const std::string&>();
    if (!intake_attribute_allowed(k)) continue;
    const auto value = kv.find("value");
    if (value == kv.end()) continue;
    const auto rendered = any_value_json(*value, 0);
    if (!rendered) continue;
    auto text = clean_text(rendered->is_string() ? rendered->get<std::string>() : rendered->dump());
    if (!text) continue;
    const auto same = std::find_if(kept.begin(), kept.end(), [&](const IntakeAttribute& a) { return a.key == k; });
    if (same != kept.end()) {
      same->value = std::move(*text);
    } else {
      kept.push_back(IntakeAttribute{k, std::move(*text)});
    }
  }
  return std::nullopt;
}

// "GET /fhir/Patient/pat-0001" with route "/fhir/{type}" -> "GET /fhir/{type}".
std::string sanitize_name(const std::string& name, const std::vector<IntakeAttribute>& attributes) {
  std::string out = name;
  if (const auto cut = name.find_first_of("/?"); cut != std::string::npos) {
    out = name.substr(0, cut);
    while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
    const auto route = std::find_if(attributes.begin(), attributes.end(),
                                    [](const IntakeAttribute& a) { return a.key == "http.route"; });
    if (route != attributes.end()) out += (out.empty() ? "" : " ") + route->value;
  }
  auto clean = clean_text(std::move(out));
  return clean ? *clean : "redacted";
}

// The ids, times, kind and status of `span`, or why it cannot be kept.
std::optional<SpanError> read_span_fields(const json& span, const std::string& path, IntakeSpan& out) {
  const auto trace_id = read_id(span.value("traceId", json()), 16);
  if (!trace_id) return SpanError{at(path, "traceId"), "expected 32 hex digits or base64 of 16 bytes, not all zero"};
  const auto span_id = read_id(span.value("spanId", json()), 8);
  if (!span_id) return SpanError{at(path, "spanId"), "expected 16 hex digits or base64 of 8 bytes, not all zero"};
  out.trace_id = *trace_id;
  out.span_id = *span_id;
  if (const auto p = span.find("parentSpanId"); p != span.end() && !(p->is_string() && p->get_ref<const std::string&>().empty())) {
    const auto parent = read_id(*p, 8);
    if (!parent) return SpanError{at(path, "parentSpanId"), "expected \"\", 16 hex digits or base64 of 8 bytes"};
    out.parent_span_id = *parent;
  }
  if (const auto k = span.find("kind"); k != span.end()) {
    const auto kind = read_enum(*k, kSpanKinds);
    if (!kind) return SpanError{at(path, "kind"), "expected a SpanKind (0 to 5)"};
    out.kind = *kind;
  }
  for (const auto& [field, target] : {std::pair{"startTimeUnixNano", &out.start_unix_nano},
                                      std::pair{"endTimeUnixNano", &out.end_unix_nano}}) {
    const auto t = span.find(field);
    if (t == span.end()) continue;
    const auto v = read_u64(*t);
    if (!v) return SpanError{at(path, field), "expected an unsigned 64-bit integer"};
    *target = *v;
  }
  if (const auto s = span.find("status"); s != span.end()) {
    if (!s->is_object()) return SpanError{at(path, "status"), "expected an object"};
    if (const auto c = s->find("code"); c != s->end()) {
      const auto code = read_enum(*c, kStatusCodes);
      if (!code) return SpanError{at(at(path, "status"), "code"), "expected a StatusCode (0 to 2)"};
      out.status_code = *code;
    }
    if (const auto m = s->find("message"); m != s->end() && m->is_string()) {
      out.status_message = clean_text(m->get<std::string>()).value_or("");
    }
  }
  return std::nullopt;
}

// One span with its resource's kept attributes, or why it cannot be kept.
std::optional<SpanError> read_span(const json& span, const std::string& path, const IntakeSpan& resource,
                                   IntakeSpan& out) {
  if (!span.is_object()) return SpanError{path, "expected an object"};
  out = resource;
  if (auto e = read_span_fields(span, path, out)) return e;
  if (const auto a = span.find("attributes"); a != span.end()) {
    if (auto e = read_attributes(*a, at(path, "attributes"), out.attributes)) return e;
  }
  const auto name = span.find("name");
  if (name != span.end() && !name->is_string()) return SpanError{at(path, "name"), "expected a string"};
  out.name = sanitize_name(name == span.end() ? "" : name->get<std::string>(), out.attributes);
  return std::nullopt;
}

// An optional array member: nullptr when absent (or null); false when present but no array.
bool array_member(const json& object, std::string_view field, const json** out) {
  *out = nullptr;
  const auto it = object.find(field);
  if (it == object.end() || it->is_null()) return true;
  if (!it->is_array()) return false;
  *out = &*it;
  return true;
}

void reject(IntakeBatch& out, std::size_t count, const std::string& reason) {
  out.rejected += count;
  if (out.rejected_reason.empty() && count > 0) out.rejected_reason = reason;
}

// The resource's service name and kept attributes, as the template every span of it starts from.
bool read_resource(const json& rs, const std::string& path, IntakeSpan& resource, std::string& error) {
  const auto r = rs.find("resource");
  if (r == rs.end() || r->is_null()) return true;
  const std::string rpath = at(path, "resource");
  if (!r->is_object()) return (error = rpath + ": expected an object", false);
  if (const auto a = r->find("attributes"); a != r->end() && !a->is_null()) {
    if (auto e = read_attributes(*a, at(rpath, "attributes"), resource.attributes)) {
      return (error = e->field + ": " + e->message, false);
    }
  }
  for (const auto& attribute : resource.attributes) {
    if (attribute.key == "service.name") resource.service_name = attribute.value;
  }
  return true;
}

// The spans of one scopeSpans entry.
bool read_scope(const json& ss, const std::string& path, const IntakeSpan& resource, IntakeBatch& out,
                std::size_t& seen, std::string& error) {
  if (!ss.is_object()) return (error = path + ": expected an object", false);
  const json* spans = nullptr;
  if (!array_member(ss, "spans", &spans)) return (error = at(path, "spans") + ": expected an array", false);
  if (spans == nullptr) return true;
  for (std::size_t i = 0; i < spans->size(); ++i) {
    if (seen >= kIntakeMaxSpans) {
      reject(out, spans->size() - i, "more than " + std::to_string(kIntakeMaxSpans) + " spans in one request");
      seen += spans->size() - i;
      return true;
    }
    ++seen;
    IntakeSpan span;
    if (auto e = read_span((*spans)[i], at(at(path, "spans"), i), resource, span)) {
      reject(out, 1, e->field + ": " + e->message);
      continue;
    }
    out.spans.push_back(std::move(span));
  }
  return true;
}

// "line L, column C" of byte offset `byte` (1-based, as nlohmann counts it) in `body`.
std::string position(std::string_view body, std::size_t byte) {
  const std::size_t end = std::min(byte == 0 ? 0 : byte - 1, body.size());
  std::size_t line = 1;
  std::size_t column = 1;
  for (std::size_t i = 0; i < end; ++i) {
    if (body[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

// parse_otlp_traces into an empty batch (so a request refused as a whole leaves `out` as it was).
bool parse_request(std::string_view body, IntakeBatch& out, std::string& error) {
  json doc;
  try {
    doc = json::parse(body);
  } catch (const json::parse_error& e) {
    error = "not JSON: syntax error at " + position(body, e.byte);
    return false;
  } catch (const json::exception&) {
    // A number too large for any JSON number type (nlohmann's out_of_range 406).
    error = "not JSON: a number out of range";
    return false;
  }
  if (!doc.is_object()) return (error = "expected an ExportTraceServiceRequest object", false);
  const json* resource_spans = nullptr;
  if (!array_member(doc, "resourceSpans", &resource_spans)) return (error = "resourceSpans: expected an array", false);
  if (resource_spans == nullptr) return true;
  std::size_t seen = 0;
  for (std::size_t r = 0; r < resource_spans->size(); ++r) {
    const json& rs = (*resource_spans)[r];
    const std::string path = at("resourceSpans", r);
    if (!rs.is_object()) return (error = path + ": expected an object", false);
    IntakeSpan resource;
    if (!read_resource(rs, path, resource, error)) return false;
    const json* scopes = nullptr;
    if (!array_member(rs, "scopeSpans", &scopes)) return (error = at(path, "scopeSpans") + ": expected an array", false);
    if (scopes == nullptr) continue;
    for (std::size_t s = 0; s < scopes->size(); ++s) {
      if (!read_scope((*scopes)[s], at(at(path, "scopeSpans"), s), resource, out, seen, error)) return false;
    }
  }
  return true;
}

}  // namespace

bool intake_attribute_allowed(std::string_view key) {
  return std::find(kAllowedKeys.begin(), kAllowedKeys.end(), key) != kAllowedKeys.end();
}

bool parse_otlp_traces(std::string_view body, IntakeBatch& out, std::string& error) {
  IntakeBatch batch;
  if (!parse_request(body, batch, error)) return false;
  if (out.rejected_reason.empty()) out.rejected_reason = std::move(batch.rejected_reason);
  out.rejected += batch.rejected;
  out.spans.insert(out.spans.end(), std::make_move_iterator(batch.spans.begin()),
                   std::make_move_iterator(batch.spans.end()));
  return true;
}

std::string otlp_intake_response(const IntakeBatch& batch) {
  if (batch.rejected == 0) return "{}";
  json r = {{"partialSuccess", {{"rejectedSpans", batch.rejected}, {"errorMessage", batch.rejected_reason}}}};
  return r.dump();
}

}  // namespace gameday
