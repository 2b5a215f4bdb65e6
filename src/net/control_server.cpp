#include "net/control_server.hpp"

#include <mutex>
#include <nlohmann/json.hpp>
#include <vector>

#include "load/error.hpp"
#include "net/json_reply.hpp"
#include "load/fault_json.hpp"
#include "load/loader.hpp"
#include "sim/distribution.hpp"

namespace gameday::net {
namespace {

using Json = nlohmann::json;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace

bool same_in_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  volatile unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff = static_cast<unsigned char>(diff | (static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i])));
  }
  return diff == 0;
}

std::vector<std::string_view> query_params(std::string_view target, std::string_view name) {
  std::vector<std::string_view> out;
  const auto q = target.find('?');
  if (q == std::string_view::npos) return out;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (pair.size() > name.size() && pair.substr(0, name.size()) == name && pair[name.size()] == '=') {
      out.push_back(pair.substr(name.size() + 1));
    }
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
  }
  return out;
}

bool bearer_authorized(const ServerRequest& req, std::string_view token) {
  if (token.empty()) return true;
  bool ok = false;
  for (const auto& [k, v] : req.headers) {
    if (!iequals(k, "Authorization")) continue;
    std::string_view value = v;
    constexpr std::string_view kScheme = "bearer";
    if (value.size() <= kScheme.size() || !iequals(value.substr(0, kScheme.size()), kScheme)) continue;
    value.remove_prefix(kScheme.size());
    if (value.front() != ' ' && value.front() != '\t') continue;
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    ok = same_in_constant_time(value, token) || ok;
  }
  return ok;
}

bool room_token_authorized(const ServerRequest& req, std::string_view token) {
  if (token.empty()) return true;
  if (req.target.rfind("/room", 0) != 0) return false;
  bool ok = false;
  for (const std::string_view given : query_params(req.target, "token")) ok = same_in_constant_time(given, token) || ok;
  return ok;
}

std::string fault_json(const FaultSpec& f) {
  // A fault body may be YAML, whose strings need not be UTF-8: U+FFFD for such bytes.
  return fault_to_json(f).dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::optional<std::vector<WebhookAlert>> parse_alertmanager_webhook(const std::string& body, std::string& error) {
  const Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    error = "body is not a JSON object";
    return std::nullopt;
  }
  const auto alerts = j.find("alerts");
  if (alerts == j.end() || !alerts->is_array()) {
    error = "expected an \"alerts\" array (Alertmanager webhook version 4)";
    return std::nullopt;
  }
  const auto string_at = [](const Json& obj, const char* key) -> std::string {
    if (!obj.is_object()) return "";
    const auto it = obj.find(key);
    return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
  };
  const std::string group_status = string_at(j, "status");
  std::vector<WebhookAlert> out;
  for (std::size_t i = 0; i < alerts->size(); ++i) {
    const Json& a = (*alerts)[i];
    const std::string at = "alerts[" + std::to_string(i) + "]";
    if (!a.is_object()) {
      error = at + ": expected an object";
      return std::nullopt;
    }
    WebhookAlert w;
    const Json labels = a.value("labels", Json::object());
    const Json annotations = a.value("annotations", Json::object());
    w.name = string_at(labels, "alertname");
    if (w.name.empty()) {
      error = at + ": missing labels.alertname";
      return std::nullopt;
    }
    std::string status = string_at(a, "status");
    if (status.empty()) status = group_status;
    if (status != "firing" && status != "resolved") {
      error = at + ": status must be firing or resolved, got '" + status + "'";
      return std::nullopt;
    }
    w.firing = status == "firing";
    w.severity = string_at(labels, "severity");
    w.summary = string_at(annotations, "summary");
    if (w.summary.empty()) w.summary = string_at(annotations, "description");
    out.push_back(std::move(w));
  }
  return out;
}

std::optional<std::string> unknown_vendor_target(const Fakes& fakes, const FaultSpec& f) {
  if (f.target.rfind("vendor:", 0) != 0 || f.target == "vendor:*") return std::nullopt;
  const std::string id = f.target.substr(7);
  std::string known;
  for (const auto& v : fakes.vendors) {
    if (v.id == id) return std::nullopt;
    known += (known.empty() ? "" : ", ") + v.id;
  }
  return "fault '" + f.id + "' targets vendor:" + id + ", but the fakes define no vendor profile '" + id +
         "' (they define: " + known + "; vendor:* targets them all)";
}

ServerResponse handle_live_control(LiveContext& ctx, const ServerRequest& req,
                                   const std::map<std::string, std::string>& servers) {
  const std::string path = path_of(req.target);
  if (path == "/faults" || path == "/faults/") {
    if (req.method == "GET") {
      nlohmann::ordered_json list = nlohmann::ordered_json::array();
      for (const auto& f : ctx.faults.list()) list.push_back(fault_to_json(f));
      return json_reply(200, nlohmann::ordered_json{{"faults", list}});
    }
    if (req.method == "POST") {
      FaultSpec f;
      try {
        f = parse_fault(req.body);
      } catch (const ConfigError& e) {
        return json_error(400, e.what());
      }
      if (target_class(f.target) == FaultTarget::kAssistant) {
        return json_error(400, "assistant change faults apply only in a drill or a run", "target");
      }
      if (auto bad = unknown_vendor_target(ctx.fakes, f)) return json_error(400, *bad, "target");
      if (f.repeat) {
        // Windows need a timeline to open and close them; serve has none.
        return json_error(400, "repeat applies only in a drill or a run", "repeat");
      }
      // As in a drill: an active id is not silently replaced.
      if (ctx.faults.get(f.id)) {
        return json_error(409, "a fault with id '" + f.id + "' is active: remove it first", "id");
      }
      ctx.faults.add(f);
      return json_reply(201, fault_to_json(f));
    }
    return json_error(405, "method " + req.method + " not allowed on /faults");
  }
  if (path.rfind("/faults/", 0) == 0) {
    const std::string id = path.substr(8);
    if (req.method == "GET") {
      if (auto f = ctx.faults.get(id)) return json_reply(200, fault_to_json(*f));
      return json_error(404, "no active fault '" + id + "'", "id");
    }
    if (req.method == "DELETE") {
      if (ctx.faults.remove(id)) return ServerResponse{204, "application/json", ""};
      return json_error(404, "no active fault '" + id + "'", "id");
    }
    return json_error(405, "method " + req.method + " not allowed on /faults/{id}");
  }
  if (path == "/reset") {
    if (req.method != "POST") return json_error(405, "use POST /reset");
    return json_reply(200, Json{{"removed", ctx.faults.reset()}});
  }
  if (path == "/metrics") {
    if (req.method != "GET") return json_error(405, "use GET /metrics");
    return ServerResponse{200, "text/plain; version=0.0.4", ctx.metrics.prometheus_text()};
  }
  if (path == "/status") {
    Json s = {{"faults", ctx.faults.list().size()}, {"servers", servers}};
    return json_reply(200, s);
  }
  return json_error(404, "unknown route " + req.method + " " + path);
}

struct ControlServer::Impl {
  Impl(LiveContext c, std::string t, std::map<std::string, std::string> s)
      : ctx(c), token(std::move(t)), servers(std::move(s)) {}
  LiveContext ctx;
  std::string token;
  std::map<std::string, std::string> servers;
  std::mutex mu;
  std::vector<ControlRoute> routes;
  std::unique_ptr<HttpServer> server;
};

ControlServer::ControlServer(LiveContext ctx, ServerOptions options, std::string token,
                             std::map<std::string, std::string> servers)
    : impl_(std::make_unique<Impl>(ctx, std::move(token), std::move(servers))) {
  Impl* self = impl_.get();
  impl_->server = std::make_unique<HttpServer>(
      [self](ServerRequest req, std::shared_ptr<Exchange> ex) {
        if (!bearer_authorized(req, self->token) && !room_token_authorized(req, self->token)) {
          ex->reply(json_error(401, "missing or wrong bearer token"));
          return;
        }
        const std::string path = path_of(req.target);
        ControlRoute route;
        {
          std::lock_guard<std::mutex> lock(self->mu);
          for (const auto& r : self->routes) {
            if (r.method == req.method && path.rfind(r.prefix, 0) == 0) {
              route = r;
              break;
            }
          }
        }
        if (route.exchange) return route.exchange(req, std::move(ex));
        if (route.handle) return ex->reply(route.handle(req));
        ex->reply(handle_live_control(self->ctx, req, self->servers));
      },
      [&options] {
        options.reserved = true;  // answers while the fakes hold all they may
        return std::move(options);
      }());
}

ControlServer::~ControlServer() = default;

void ControlServer::add_route(ControlRoute route) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->routes.push_back(std::move(route));
}

std::string ControlServer::url() const { return impl_->server->url(); }
std::uint16_t ControlServer::port() const { return impl_->server->port(); }

}  // namespace gameday::net
