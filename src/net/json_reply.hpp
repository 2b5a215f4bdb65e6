#pragma once
// JSON answers of the control-style APIs (control port, the assistant's API, a drill's routes):
// a body with a status, and errors as {"error": {"message", "field"}}.
#include <nlohmann/json.hpp>

#include <string>

#include "net/http_server.hpp"

namespace gameday::net {

/// `body` as application/json (one line, newline-terminated). Bytes that are not UTF-8 (from a
/// request's path or method, echoed in an error) are written as U+FFFD.
inline ServerResponse json_reply(int status, const nlohmann::json& body) {
  return ServerResponse{status, "application/json",
                        body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"};
}

/// `body` (keys in insertion order) as application/json, non-UTF-8 bytes (a fault id given in
/// YAML, say) as U+FFFD.
inline ServerResponse json_reply(int status, const nlohmann::ordered_json& body) {
  return ServerResponse{status, "application/json",
                        body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n"};
}

/// {"error": {"message": ..., "field": ...}} ("field" only when given) with a 4xx/5xx status.
inline ServerResponse json_error(int status, const std::string& message, const std::string& field = "") {
  nlohmann::json e = {{"message", message}};
  if (!field.empty()) e["field"] = field;
  return json_reply(status, nlohmann::json{{"error", e}});
}

/// The path of a request target (without its query).
inline std::string path_of(const std::string& target) { return target.substr(0, target.find('?')); }

}  // namespace gameday::net
