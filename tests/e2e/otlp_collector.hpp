#pragma once
// A stand-in OTLP/HTTP collector for the end-to-end tests: gameday's own intake parser behind a
// net::HttpServer, keeping what it receives.
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "net/http_server.hpp"
#include "net/otlp_intake.hpp"

namespace e2e {

/// An OTLP/HTTP collector stand-in on 127.0.0.1 (a free port) serving gameday's intake on POST
/// /v1/traces: JSON only (415 otherwise), 400 for a body that is not an export request, else 200
/// with the partial-success answer. Keeps every span it accepted (under `mu`).
struct OtlpCollector {
  std::mutex mu;
  gameday::IntakeBatch batch;
  std::vector<std::string> content_types;
  gameday::net::HttpServer server{[this](gameday::net::ServerRequest req, gameday::net::ReplyFn reply) {
    if (req.method != "POST" || req.target != "/v1/traces") return reply({404, "application/json", "{}"});
    const std::string type(gameday::net::request_header(req, "content-type"));
    std::lock_guard<std::mutex> lock(mu);
    content_types.push_back(type);
    if (type.rfind("application/json", 0) != 0) return reply({415, "application/json", R"({"message":"JSON only"})"});
    gameday::IntakeBatch one;
    std::string error;
    if (!gameday::parse_otlp_traces(req.body, one, error)) {
      return reply({400, "application/json", nlohmann::json{{"message", error}}.dump()});
    }
    reply({200, "application/json", gameday::otlp_intake_response(one)});
    batch.rejected += one.rejected;
    for (auto& s : one.spans) batch.spans.push_back(std::move(s));
  }};
  std::size_t spans() {
    std::lock_guard<std::mutex> lock(mu);
    return batch.spans.size();
  }
};


}  // namespace e2e
