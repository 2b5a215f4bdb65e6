#pragma once
// A small HTTP/1.1 server on loopback (Boost.Beast on Boost.Asio, confined to http_server.cpp so
// only one translation unit pays for Beast). It runs its own io threads (one by default) and
// moves bytes only: what a request means is the handler's business (for the control API,
// handle_control_request in src/playbook). Reusable for live mode.
//
// Threading: each io thread runs its own io_context; a connection belongs to one of them
// (round-robin at accept) for its whole life, so its handlers never run concurrently and its
// Exchange's work is queued onto that thread. With io_threads > 1 the handler is called from
// several threads at once and must be thread-safe.
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
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

/// The value of `req`'s header `name`, matched case-insensitively (HTTP's rule); "" when absent
/// (the first one when repeated).
std::string_view request_header(const ServerRequest& req, std::string_view name);

/// Extra response headers, in order (name, value).
using HeaderList = std::vector<std::pair<std::string, std::string>>;

/// The handler's answer.
struct ServerResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  HeaderList headers;  ///< extra headers (e.g. retry-after); Content-Type/Length are set for you
};

/// Replies to one request; may be called from any thread, at most once.
using ReplyFn = std::function<void(ServerResponse)>;
/// Receives each request on its connection's io thread and must reply (now, or later via `reply`).
/// It must not block: a reply that needs another thread is queued there (see NetStepEffects).
using RequestHandler = std::function<void(ServerRequest, ReplyFn reply)>;

/// Limits of a server.
struct ServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;                    // 0: the OS picks a free port
  Duration io_timeout = 10 * kSecond;        // reading a request, writing a response
  std::size_t body_limit = 1024 * 1024;      // larger requests get 413
  /// Threads serving connections (at least 1). With more than one, the handler and `after`
  /// callbacks run on several threads at once (each connection stays on one thread).
  unsigned io_threads = 1;
  /// The body of the answers the server makes itself: 400 (malformed request), 408 (a client
  /// too slow to send its request), 413 (body over the limit), 431 (headers too large). Unset:
  /// {"error": "<message>"} as application/json.
  std::function<ServerResponse(int status, const std::string& message)> error_response;
  /// May use the file descriptors kept in reserve (the control API). Other servers refuse new
  /// connections (a 503, then close, and one log line) while the process is near its
  /// RLIMIT_NOFILE: when the new descriptor falls within the top `fd_reserve()` of the limit,
  /// or when the unreserved servers together hold limit - 2 x fd_reserve() connections.
  bool reserved = false;
};

/// How many descriptors below RLIMIT_NOFILE's soft limit unreserved servers leave free:
/// limit / 16, at least 16 and at most 256.
std::size_t fd_reserve();

/// A server could not listen on its address (a bad address, a port in use): a user's error.
class ListenError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One request's answer channel, for handlers that answer over time (a streamed body),
/// abruptly (a reset) or never (a hang). Every member is thread-safe and may be called from any
/// thread; calls after the exchange finished or its connection closed are ignored. Work is
/// queued onto the connection's io thread in call order.
class Exchange {
 public:
  struct State;
  explicit Exchange(std::shared_ptr<State> state);

  /// Answers in one piece (what a ReplyFn does).
  void reply(ServerResponse response);
  /// Starts a response written over time: the status line and headers now, the body in
  /// write() calls. Chunked (Transfer-Encoding: chunked) unless `content_length` >= 0, in which
  /// case the writes must add up to it (or the exchange ends with close() or reset()).
  void begin(int status, const std::string& content_type, HeaderList headers = {},
             long long content_length = -1);
  /// Sends a piece of the body started with begin() (empty pieces are skipped).
  void write(std::string data);
  /// Ends the streamed body (the last chunk); the connection then serves its next request.
  void end();
  /// Closes the connection gracefully (FIN) once what was queued is sent, however much of the
  /// response that is: a connection dropped mid-answer.
  void close();
  /// Closes the connection abruptly (TCP RST: SO_LINGER 0) right away, discarding unsent data.
  void reset();
  /// Never sends anything more: the connection stays open with no timeout until the client
  /// closes it, HttpServer::release_held() covers it or the server stops (a hung vendor, or a
  /// stream that stalls after begin()). `held_by`: the faults that caused the hang (empty:
  /// released by any release).
  void hang(std::vector<std::string> held_by = {});
  /// False once the connection closed (client gone, reset, server stopping) or the exchange
  /// ended. Readable from any thread (e.g. in HttpServer::after callbacks) to stop producing a
  /// stream nobody reads.
  bool alive() const;

 private:
  std::shared_ptr<State> state_;
};

/// Which of a server's holds (hung exchanges, fault-delayed replies) a release ends: those held
/// by one of `faults` (a fault ended), or every one (`all`: a reset).
struct HoldRelease {
  bool all = false;
  std::vector<std::string> faults;
  /// Whether a hold by `held_by` ends (a hold that names no fault ends on any release).
  bool covers(const std::vector<std::string>& held_by) const;
};

/// Receives each request on its connection's io thread with its exchange; answers through it
/// (now or later). Must not block.
using ExchangeHandler = std::function<void(ServerRequest, std::shared_ptr<Exchange>)>;

/// An HTTP server listening from construction until destruction. Connections still waiting
/// for a reply when it stops are closed (owners answer what they queued before that). A
/// connection whose client goes away (EOF or reset) while its answer is pending (a delay, a
/// hang, a stream) is closed at once; the answer, when it comes, is dropped. (So a client that
/// half-closes after its request does not get the answer.) It never aborts when out of file
/// descriptors: accept backs off (100 ms) and logs once until a connection gets through.
class HttpServer {
 public:
  /// Binds and starts serving; throws ListenError when it cannot bind.
  HttpServer(RequestHandler handler, ServerOptions options = {});
  /// The same for a handler that may stream, reset or hang (see Exchange).
  HttpServer(ExchangeHandler handler, ServerOptions options = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Runs `fn` on one of the server's io threads after `delay` of real time (dropped if the
  /// server stops first). Thread-safe. How a handler delays a reply without blocking the
  /// server. With several io threads, callbacks may run concurrently with each other and with
  /// the handler.
  void after(Duration delay, std::function<void()> fn);
  /// The same for a delay that faults caused (`held_by`, not empty): when a release covers it,
  /// `fn` runs at once instead of at the end of the delay (a latency fault that ends lets the
  /// requests it was slowing through).
  void after(Duration delay, std::vector<std::string> held_by, std::function<void()> fn);

  /// Ends the holds `release` covers: closes the connections whose exchange hangs
  /// (Exchange::hang()) and runs the fault-delayed callbacks now. What a fault held, once the
  /// fault ended. Thread-safe and non-blocking (the work runs on the io threads).
  void release_held(const HoldRelease& release = HoldRelease{true, {}});

  /// The port it listens on.
  std::uint16_t port() const;
  /// "http://127.0.0.1:PORT" ("http://[::1]:PORT" for an IPv6 address).
  std::string url() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The reason phrase for a status ("Not Found").
std::string status_reason(int status);

}  // namespace gameday::net
