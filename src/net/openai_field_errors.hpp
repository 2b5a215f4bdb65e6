#pragma once
// The request errors OpenAI's APIs answer for a field (chat completions, embeddings, the
// Responses API), shared by their wire parsers: each fills a WireError the way the real API
// words it and returns false, so a parser can `return missing(e, "model");`.
#include <string>

#include <nlohmann/json.hpp>

#include "net/openai_wire.hpp"

namespace gameday::net::openai::field_errors {

/// How the real API names a JSON value's type in "expected X, but got Y" ("an object", ...).
inline const char* type_name(const nlohmann::ordered_json& j) {
  using V = nlohmann::ordered_json::value_t;
  switch (j.type()) {
    case V::null: return "null";
    case V::object: return "an object";
    case V::array: return "an array";
    case V::string: return "a string";
    case V::boolean: return "a boolean";
    case V::number_integer:
    case V::number_unsigned: return "an integer";
    case V::number_float: return "a number";
    default: return "something else";
  }
}

/// Sets `e` to a 400 invalid_request_error about `param`; always false.
inline bool fail(WireError& e, std::string param, std::string message, std::string code) {
  e = WireError{};
  e.param = std::move(param);
  e.message = std::move(message);
  e.code = std::move(code);
  return false;
}

/// "Missing required parameter: 'PARAM'." (missing_required_parameter); always false.
inline bool missing(WireError& e, const std::string& param) {
  return fail(e, param, "Missing required parameter: '" + param + "'.", "missing_required_parameter");
}

/// "Invalid type for 'PARAM': expected X, but got Y instead." (invalid_type); always false.
inline bool wrong_type(WireError& e, const std::string& param, const std::string& expected,
                       const nlohmann::ordered_json& got) {
  return fail(e, param,
              "Invalid type for '" + param + "': expected " + expected + ", but got " + type_name(got) + " instead.",
              "invalid_type");
}

/// "Invalid value for 'PARAM': WHY" (invalid_value); always false.
inline bool bad_value(WireError& e, const std::string& param, const std::string& why) {
  return fail(e, param, "Invalid value for '" + param + "': " + why, "invalid_value");
}

}  // namespace gameday::net::openai::field_errors
