#pragma once
// The live control API (its own port; 127.0.0.1 by default, a bearer token required when bound
// elsewhere): list, add and remove faults at run time, POST /reset, /metrics, /status.
//   GET    /faults            -> {"faults": [...]}
//   POST   /faults            body: one fault in the scenario syntax, as JSON -> 201 {fault}
//                             (409 while a fault with that id is active)
//   GET    /faults/{id}       -> {fault} | 404
//   DELETE /faults/{id}       -> 204 | 404
//   POST   /reset             -> {"removed": N}
//   GET    /metrics           -> Prometheus text
//   GET    /status            -> {"faults": N, "servers": {...}}
// Errors are {"error": {"message": ..., "field": ...}} with a 4xx status.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/live.hpp"

namespace gameday::net {

/// Extra routes a command adds (e.g. the assistant's controls in a drill): method + path
/// prefix -> handler. A route answers when the request path starts with its prefix; routes
/// added later win over the built-in ones, earlier routes over later ones.
struct ControlRoute {
  std::string method;
  std::string prefix;
  /// Answers at once (on the server thread).
  std::function<ServerResponse(const ServerRequest&)> handle;
  /// Or answers through the exchange: later, from another thread, or as a stream (SSE).
  /// Used when set.
  std::function<void(const ServerRequest&, std::shared_ptr<Exchange>)> exchange;
};

/// Whether `req` carries "Authorization: Bearer <token>": the header name and the scheme in
/// any case (HTTP's rule), the token compared in constant time (for its length). Always true
/// when `token` is empty.
bool bearer_authorized(const ServerRequest& req, std::string_view token);

/// Whether `a` and `b` are equal, comparing every byte whatever the first difference (only the
/// length leaks): for tokens and keys.
bool same_in_constant_time(std::string_view a, std::string_view b);

/// The values of query parameter `name` in a request target ("/room?key=K&token=T"), in order,
/// as written (not percent-decoded).
std::vector<std::string_view> query_params(std::string_view target, std::string_view name);

/// Whether a drill-room request (path /room...) carries the token as `?token=T` (a browser
/// cannot set a header on a page load or an EventSource). Always true when `token` is empty.
bool room_token_authorized(const ServerRequest& req, std::string_view token);

/// The control API server. It may use the descriptors kept in reserve (ServerOptions::reserved),
/// so it still answers while the fakes hold as many connections as they may.
class ControlServer {
 public:
  /// `token`: when non-empty, every request needs "Authorization: Bearer <token>"
  /// (bearer_authorized).
  /// `servers`: name -> base URL, reported by /status.
  ControlServer(LiveContext ctx, ServerOptions options, std::string token,
                std::map<std::string, std::string> servers = {});
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  /// Adds a route (before or while serving; thread-safe).
  void add_route(ControlRoute route);
  /// "http://HOST:PORT".
  std::string url() const;
  std::uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// One alert of an Alertmanager webhook notification (version 4).
struct WebhookAlert {
  std::string name;      ///< labels.alertname
  bool firing = false;   ///< status "firing" (else "resolved")
  std::string severity;  ///< labels.severity ("" when absent)
  std::string summary;   ///< annotations.summary (or description; "" when neither)
};

/// Parses Alertmanager's webhook body ({"version":"4","status":...,"alerts":[{"status",
/// "labels":{"alertname",...},"annotations":{...}}, ...]}). An alert without its own status
/// takes the notification's. Returns nullopt and sets `error` when the body is not JSON, has no
/// "alerts" array, or an alert lacks labels.alertname or has a status other than
/// firing/resolved.
std::optional<std::vector<WebhookAlert>> parse_alertmanager_webhook(const std::string& body, std::string& error);

/// One fault as the control API shows it.
std::string fault_json(const FaultSpec& f);

/// Why fault `f` cannot reach a vendor server: its target names a vendor profile the fakes do
/// not define (each profile is served as "vendor:<id>"); nullopt when it can.
std::optional<std::string> unknown_vendor_target(const Fakes& fakes, const FaultSpec& f);

/// Handles one control request against `ctx` (no network; what the server calls).
ServerResponse handle_live_control(LiveContext& ctx, const ServerRequest& req,
                                   const std::map<std::string, std::string>& servers);

}  // namespace gameday::net
