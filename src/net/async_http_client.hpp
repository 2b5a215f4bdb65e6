#pragma once
// Many HTTP requests in flight from one thread (libcurl multi), for live traffic: a drill's
// workload asks its system under test over HTTP without a thread per request.
#include <cstddef>
#include <functional>
#include <memory>

#include "playbook/effects.hpp"

namespace gameday::net {

/// An HTTP client running its own libcurl multi loop on a background thread. submit() is
/// thread-safe; each request's `done` runs once on the client's thread (so it must be quick and
/// not block: hand the result on, e.g. with RealTimeScheduler::post). Connections are reused
/// (keep-alive) and bounded; proxies are bypassed for loopback.
class AsyncHttpClient {
 public:
  /// `max_connections`: how many connections may be open at once (more requests queue).
  explicit AsyncHttpClient(std::size_t max_connections = 256);
  /// Stops the loop: requests still in flight get `done` with status 0 and error "client
  /// stopped" before this returns.
  ~AsyncHttpClient();
  AsyncHttpClient(const AsyncHttpClient&) = delete;
  AsyncHttpClient& operator=(const AsyncHttpClient&) = delete;

  /// Sends `request` (http:// or https://, within request.timeout; body kept up to 1 MiB).
  /// Network problems come back as status 0 with `error`, never as exceptions.
  void submit(HttpRequest request, std::function<void(HttpResult)> done);

  /// Requests submitted and not finished yet.
  std::size_t in_flight() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gameday::net
