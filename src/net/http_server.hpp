#pragma once
// A small HTTP/1.1 server on loopback (Boost.Beast on Boost.Asio, confined to http_server.cpp so
// only one translation unit pays for Beast). It runs its own io_context on a background thread
// and moves bytes only: what a request means is the handler's business (for the control API,
// handle_control_request in src/playbook). Reusable for live mode.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sim/time.hpp"

namespace gameday::net {

/// A request as the handler sees it.
struct ServerRequest {
  std::string method;  // "GET", "PUT", ...
  std::string target;  // path and query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

/// The handler's answer.
struct ServerResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

/// Replies to one request; may be called from any thread, at most once.
using ReplyFn = std::function<void(ServerResponse)>;
/// Receives each request on the server thread and must reply (now, or later via `reply`).
/// It must not block: a reply that needs another thread is queued there (see NetStepEffects).
using RequestHandler = std::function<void(ServerRequest, ReplyFn reply)>;

/// Limits of a server.
struct ServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;                    // 0: the OS picks a free port
  Duration io_timeout = 10 * kSecond;        // reading a request, writing a response
  std::size_t body_limit = 1024 * 1024;      // larger requests get 413
};

/// An HTTP server listening from construction until destruction. Connections still waiting
/// for a reply when it stops are closed (owners answer what they queued before that).
class HttpServer {
 public:
  /// Binds and starts serving; throws std::runtime_error when it cannot bind.
  HttpServer(RequestHandler handler, ServerOptions options = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Runs `fn` on the server thread after `delay` of real time (dropped if the server stops
  /// first). Thread-safe. How a handler delays a reply without blocking the server.
  void after(Duration delay, std::function<void()> fn);

  /// The port it listens on.
  std::uint16_t port() const;
  /// "http://127.0.0.1:PORT".
  std::string url() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The reason phrase for a status ("Not Found").
std::string status_reason(int status);

}  // namespace gameday::net
