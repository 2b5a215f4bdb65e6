#include "net/vendor_server.hpp"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <utility>
#include <vector>

#include "fakes/tool_calls.hpp"
#include "fakes/vendor.hpp"
#include "net/anthropic_wire.hpp"
#include "net/azure_routes.hpp"
#include "net/openai_wire.hpp"
#include "net/response_store.hpp"
#include "net/responses_wire.hpp"
#include "sim/rng.hpp"

namespace gameday::net {
namespace {

using Clock = std::chrono::steady_clock;

std::string path_of(const std::string& target) {
  const auto q = target.find('?');
  std::string p = q == std::string::npos ? target : target.substr(0, q);
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  // Clients configured without the /v1 prefix reach the same routes.
  if (p.rfind("/v1/", 0) != 0 && p != "/v1") p = "/v1" + p;
  return p;
}

Duration since(Clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
}

// OpenAI's `created`: whole Unix seconds.
long long created_now() { return static_cast<long long>(unix_now()); }

ServerResponse error_response(const openai::WireError& e, HeaderList headers = {}) {
  return ServerResponse{e.status, "application/json", openai::error_json(e), std::move(headers)};
}

openai::WireError plain_error(int status, std::string message, std::string type, std::string code) {
  openai::WireError e;
  e.status = status;
  e.message = std::move(message);
  e.type = std::move(type);
  e.code = std::move(code);
  return e;
}

// How one request is answered on the wire: OpenAI's (the default), Azure's (error shape, retry
// headers, the deployment's model) or Anthropic's (a fault's error shape and retry headers).
struct Wire {
  bool azure = false;
  bool anthropic = false;
  azure::Route azure_route;  // azure only
  std::string label;         // the route metrics record ("" = the OpenAI path's)
  std::string model;         // the model a path fixes (an Azure deployment); "" = the body's
};

// A request error (a bad field, an unknown model) in the wire's shape.
ServerResponse invalid(const Wire& w, const openai::WireError& e) {
  if (w.azure) return ServerResponse{e.status, "application/json", azure::error_json(e)};
  return error_response(e);
}

// A fault's error outcome in the wire's shape, with its retry headers.
ServerResponse fault_reply(const Wire& w, const VendorOutcome& o) {
  if (w.anthropic) return anthropic::error_response(anthropic::outcome_error(o), o.retry_after);
  if (w.azure) {
    return ServerResponse{o.status, "application/json", azure::error_json(azure::fault_error(o, w.azure_route)),
                          azure::error_headers(o.retry_after)};
  }
  return error_response(openai::outcome_error(o), openai::error_headers(o.status, o.retry_after));
}

// A streamed answer in ticks: each tick is written at once, ticks `gap` apart.
struct StreamJob {
  std::shared_ptr<Exchange> exchange;
  std::vector<std::string> ticks;
  std::size_t next = 0;
  Duration gap = 0;
  Disconnect disconnect = Disconnect::kNone;  // what happens after the ticks
  Clock::time_point started;
  std::vector<std::string> fault_ids;  // the faults that shaped it (a stall is held by them)
  std::string route = "/v1/chat/completions";  // what metrics record it as
};

}  // namespace

struct VendorServer::Impl {
  Impl(LiveContext c, const VendorProfile& profile, ServerOptions o)
      : ctx(c),
        vendor(profile, c.fakes.hallucinations),
        target("vendor:" + profile.id),
        rng(Rng::for_component(c.seed, "live.vendor." + profile.id)),
        embed_rng(Rng::for_component(c.seed, "live.vendor." + profile.id + ".embeddings")),
        started(Clock::now()) {
    o.error_response = [](int status, const std::string& message) {
      std::string code = status == 413 ? "request_too_large" : status == 408 ? "request_timeout" : "";
      return error_response(plain_error(status, message, "invalid_request_error", code));
    };
    server = std::make_unique<HttpServer>(
        ExchangeHandler([this](ServerRequest req, std::shared_ptr<Exchange> ex) {
          handle(std::move(req), std::move(ex));
        }),
        std::move(o));
    // Hung requests, stalled streams and fault-delayed answers are released when their fault
    // ends (or on /reset).
    subscription = ctx.faults.subscribe([this](const HoldRelease& r) { server->release_held(r); });
  }
  ~Impl() {
    ctx.faults.unsubscribe(subscription);
    server.reset();  // stop serving before the members it uses go
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void handle(ServerRequest req, std::shared_ptr<Exchange> ex);
  void chat(const ServerRequest& req, const std::shared_ptr<Exchange>& ex, Clock::time_point t0,
            const Wire& w = Wire{});
  // POST /v1/embeddings: the faults whose routes include embeddings, then the vectors.
  void embeddings(const ServerRequest& req, const std::shared_ptr<Exchange>& ex, Clock::time_point t0,
                  const Wire& w = Wire{});
  // POST /v1/responses: the same fake model and faults as chat, in the Responses API's shapes.
  void responses_api(const ServerRequest& req, const std::shared_ptr<Exchange>& ex, Clock::time_point t0,
                     const Wire& w = Wire{});
  // GET /v1/responses/{id}: a stored response, at once (no faults).
  void get_response(const std::string& id, const std::shared_ptr<Exchange>& ex, Clock::time_point t0,
                    const Wire& w = Wire{});
  // Everything under /openai: Azure OpenAI's checks, then the route.
  void azure_request(const ServerRequest& req, const std::shared_ptr<Exchange>& ex, Clock::time_point t0);
  // Acts out an outcome without an answer (reset, hang, error); false when there is an answer.
  bool failed(const VendorOutcome& o, const std::shared_ptr<Exchange>& ex, const std::string& route,
              Clock::time_point t0, const Wire& w);
  // Streams a chat answer (n choices) through stream_events.
  void stream(const ChatResponse& r, const VendorOutcome& o, bool include_usage, int n,
              const std::shared_ptr<Exchange>& ex, Clock::time_point t0,
              const std::string& route = "/v1/chat/completions");
  // Whether the profile serves `model` (its models, else its id); false with the real API's
  // errors: 400 without a model, 404 model_not_found for one it does not serve.
  bool known_model(const std::string& model, openai::WireError& err) const;
  // Streams `events` (paced by their token events) as a stream fault of `o` allows.
  void stream_events(const std::vector<openai::StreamEvent>& events, const VendorOutcome& o, int completion_tokens,
                     const std::shared_ptr<Exchange>& ex, Clock::time_point t0, const std::string& route);
  // A non-streamed `body` cut as a stream fault of `o` cuts an answer of `pieces` pieces.
  void cut_body(std::string body, std::size_t pieces, const VendorOutcome& o, const std::shared_ptr<Exchange>& ex,
                Clock::time_point t0, const std::string& route);
  // POST /v1/messages: the Anthropic Messages format (anthropic_wire.hpp) on the same model.
  void messages(const ServerRequest& req, const std::shared_ptr<Exchange>& ex, Clock::time_point t0);
  void step(const std::shared_ptr<StreamJob>& job);
  // Replies now or after `delay`, recording the request.
  void reply_after(Duration delay, const std::shared_ptr<Exchange>& ex, ServerResponse r,
                   const std::vector<std::string>& held_by,
                   const std::string& route, Clock::time_point t0);

  // Thread safety: handle() and the after() callbacks run on several io threads at once
  // (ServerOptions::io_threads). Everything below is either immutable after construction
  // (ctx's fakes and world, vendor: respond() is const, target, started), internally locked
  // (ctx.faults, ctx.metrics), or guarded by rng_mu (rng: the draws of one request stay
  // together, so a seed replays the same per-request sequence in arrival order). Per-request
  // state (StreamJob) is touched by one callback at a time: each step schedules the next.
  LiveContext ctx;
  const FakeVendor vendor;
  const std::string target;
  std::mutex rng_mu;
  Rng rng;  // guarded by rng_mu
  Rng embed_rng;  // guarded by rng_mu: embeddings draw apart, so chat replays as before
  ResponseStore stored;  // internally locked: the Responses API's recent responses
  const Clock::time_point started;
  std::unique_ptr<HttpServer> server;  // its handler uses the members above
  std::size_t subscription = 0;        // ctx.faults' listener
};

void VendorServer::Impl::reply_after(Duration delay, const std::shared_ptr<Exchange>& ex,
                                     ServerResponse r, const std::vector<std::string>& held_by,
                                     const std::string& route,
                                     Clock::time_point t0) {
  auto send = [this, ex, r = std::move(r), route, t0]() mutable {
    const int status = r.status;
    ex->reply(std::move(r));
    ctx.metrics.observe("vendor", route, status, since(t0));
  };
  if (delay <= 0) {
    send();
  } else {
    server->after(delay, held_by, std::move(send));
  }
}

void VendorServer::Impl::handle(ServerRequest req, std::shared_ptr<Exchange> ex) {
  const auto t0 = Clock::now();
  const std::string path = path_of(req.target);
  auto method_not_allowed = [&](const std::string& route, const std::string& allow) {
    reply_after(0, ex,
                error_response(plain_error(405, "Method " + req.method + " is not allowed on " + path +
                                                    " (use " + allow + ").",
                                           "invalid_request_error", "method_not_allowed"),
                               {{"allow", allow}}),
                {}, route, t0);
  };
  if (path == "/v1/messages") {
    const std::string route = path;
    if (!vendor.profile().serves(kAnthropicFormat)) {
      const anthropic::WireError e{404, "not_found_error",
                                   "vendor '" + vendor.profile().id + "' does not serve the Anthropic Messages API"};
      return reply_after(0, ex, anthropic::error_response(e), {}, route, t0);
    }
    if (req.method != "POST") {
      const anthropic::WireError e{405, "invalid_request_error", "Method " + req.method + " is not allowed on " + path};
      ServerResponse r = anthropic::error_response(e);
      r.headers.emplace_back("allow", "POST");
      return reply_after(0, ex, std::move(r), {}, route, t0);
    }
    return messages(req, ex, t0);
  }
  if (!vendor.profile().serves(kOpenAiFormat)) {
    return reply_after(0, ex,
                       error_response(plain_error(404, "Vendor '" + vendor.profile().id +
                                                           "' does not serve the OpenAI API.",
                                                  "invalid_request_error", "unknown_url")),
                       {}, "other", t0);
  }
  if (azure::is_azure_path(req.target)) return azure_request(req, ex, t0);
  if (path == "/v1/chat/completions") {
    if (req.method != "POST") return method_not_allowed(path, "POST");
    return chat(req, ex, t0);
  }
  if (path == "/v1/embeddings") {
    if (req.method != "POST") return method_not_allowed(path, "POST");
    return embeddings(req, ex, t0);
  }
  if (path == "/v1/responses") {
    if (req.method != "POST") return method_not_allowed(path, "POST");
    return responses_api(req, ex, t0);
  }
  if (path.rfind("/v1/responses/", 0) == 0 && path.find('/', 14) == std::string::npos) {
    if (req.method != "GET") return method_not_allowed("/v1/responses/{id}", "GET");
    return get_response(path.substr(14), ex, t0);
  }
  if (path == "/v1/models" || path.rfind("/v1/models/", 0) == 0) {
    const std::string route = "/v1/models";
    if (req.method != "GET") return method_not_allowed(route, "GET");
    const VendorProfile& p = vendor.profile();
    if (path == route) {
      return reply_after(0, ex, ServerResponse{200, "application/json", openai::models_json(p)}, {}, route, t0);
    }
    const std::string id = path.substr(route.size() + 1);
    std::vector<std::string> models = p.models;
    if (models.empty()) models.push_back(p.id);
    if (std::find(models.begin(), models.end(), id) == models.end()) {
      openai::WireError e = plain_error(404, "The model '" + id + "' does not exist.",
                                        "invalid_request_error", "model_not_found");
      e.param = "model";
      return reply_after(0, ex, error_response(e), {}, route, t0);
    }
    return reply_after(0, ex, ServerResponse{200, "application/json", openai::model_json(p, id)},
                       {}, route, t0);
  }
  reply_after(0, ex,
              error_response(plain_error(404, "Unknown request URL: " + req.method + " " + path + ".",
                                         "invalid_request_error", "unknown_url")),
              {}, "other", t0);
}

void VendorServer::Impl::embeddings(const ServerRequest& req, const std::shared_ptr<Exchange>& ex,
                                    Clock::time_point t0, const Wire& w) {
  const std::string route = w.label.empty() ? "/v1/embeddings" : w.label;
  openai::EmbeddingCall call;
  openai::WireError err;
  if (!openai::parse_embedding_request(req.body, call, err)) {
    return reply_after(0, ex, invalid(w, err), {}, route, t0);
  }
  if (!w.model.empty()) call.model = w.model;
  // Faults whose routes include embeddings (latency, error, hang, reset) decide the outcome;
  // the vectors are the wire's own (the same embedding_vector the simulated vendor uses).
  std::vector<FaultSpec> faults;
  const std::string model = call.model.empty() ? "text-embedding-3-small" : call.model;
  ctx.faults.select(target, RequestInfo{{}, model, kEmbeddingsRoute}, faults);
  EmbeddingRequest decide;
  decide.model = model;
  EmbeddingOutcome o;
  {
    std::lock_guard<std::mutex> lock(rng_mu);
    o = vendor.embed(decide, embed_rng, pointers_to(faults));
  }
  // A reset, hang or error fault acts as on chat.
  VendorOutcome as_chat;
  as_chat.delay = o.delay;
  as_chat.hang = o.hang;
  as_chat.status = o.status;
  as_chat.error = o.error;
  as_chat.retry_after = o.retry_after;
  as_chat.fault_ids = o.fault_ids;
  as_chat.disconnect = o.disconnect;
  if (failed(as_chat, ex, route, t0, w)) return;
  // Embeddings were answered at once before faults applied to them; latency faults delay them.
  const Duration delay = o.fault_ids.empty() ? 0 : o.delay;
  reply_after(delay, ex, ServerResponse{200, "application/json", openai::embeddings_json(call)}, o.fault_ids,
              route, t0);
}

void VendorServer::Impl::chat(const ServerRequest& req, const std::shared_ptr<Exchange>& ex,
                              Clock::time_point t0, const Wire& w) {
  const std::string route = w.label.empty() ? "/v1/chat/completions" : w.label;
  openai::ChatCall call;
  openai::WireError err;
  if (!openai::parse_chat_request(req.body, call, err)) {
    return reply_after(0, ex, invalid(w, err), {}, route, t0);
  }
  if (!w.model.empty()) {
    call.request.model = w.model;  // an Azure deployment, already checked
  } else if (!known_model(call.request.model, err)) {
    return reply_after(0, ex, invalid(w, err), {}, route, t0);
  }
  std::vector<FaultSpec> faults;
  const std::string model(vendor.model_for(call.request));
  ctx.faults.select(target, RequestInfo{call.request.task_type, model}, faults);
  VendorOutcome o;
  {
    std::lock_guard<std::mutex> lock(rng_mu);
    o = vendor.respond(tools::attach(call.request, call.tool_turn), since(started), rng, pointers_to(faults));
  }
  openai::fit_answer(call, o.response);
  if (failed(o, ex, route, t0, w)) return;
  if (call.stream) return stream(o.response, o, call.include_usage, call.n, ex, t0, route);
  if (o.disconnect != Disconnect::kNone) {
    // A non-streamed answer cut the way a stream fault cuts a stream.
    return cut_body(openai::completion_json(o.response, created_now(), call.n),
                    openai::split_pieces(o.response.content).size(), o, ex, t0, route);
  }
  reply_after(o.delay, ex,
              ServerResponse{200, "application/json", openai::completion_json(o.response, created_now(), call.n)},
              o.fault_ids, route, t0);
}

bool VendorServer::Impl::known_model(const std::string& model, openai::WireError& err) const {
  if (model.empty()) {
    err = plain_error(400, "you must provide a model parameter", "invalid_request_error", "");
    return false;
  }
  const VendorProfile& p = vendor.profile();
  if (p.models.empty() ? model == p.id : std::find(p.models.begin(), p.models.end(), model) != p.models.end()) {
    return true;
  }
  err = plain_error(404, "The model `" + model + "` does not exist or you do not have access to it.",
                    "invalid_request_error", "model_not_found");
  return false;
}

void VendorServer::Impl::stream(const ChatResponse& r, const VendorOutcome& o, bool include_usage, int n,
                                const std::shared_ptr<Exchange>& ex, Clock::time_point t0,
                                const std::string& route) {
  stream_events(openai::stream_events(r, created_now(), include_usage, n), o, r.usage.completion_tokens, ex, t0,
                route);
}

void VendorServer::Impl::step(const std::shared_ptr<StreamJob>& job) {
  const std::string& route = job->route;
  if (!job->exchange->alive()) {
    // The client went away mid-stream.
    ctx.metrics.observe("vendor", route, 0, since(job->started));
    return;
  }
  // Without token pacing, write everything at once.
  while (job->next < job->ticks.size()) {
    job->exchange->write(std::move(job->ticks[job->next++]));
    if (job->gap > 0) break;
  }
  if (job->next < job->ticks.size()) {
    server->after(job->gap, [this, job] { step(job); });
    return;
  }
  if (job->disconnect == Disconnect::kStreamStall) {
    job->exchange->hang(job->fault_ids);
  } else if (job->disconnect == Disconnect::kStreamBreak) {
    job->exchange->close();
  } else {
    job->exchange->end();
  }
  ctx.metrics.observe("vendor", route, job->disconnect == Disconnect::kNone ? 200 : 0, since(job->started));
}

bool VendorServer::Impl::failed(const VendorOutcome& o, const std::shared_ptr<Exchange>& ex, const std::string& route,
                                Clock::time_point t0, const Wire& w) {
  if (o.disconnect == Disconnect::kReset) {
    server->after(o.delay, o.fault_ids, [this, ex, route, t0] {
      ex->reset();
      ctx.metrics.observe("vendor", route, 0, since(t0));
    });
    return true;
  }
  if (o.hang && o.disconnect == Disconnect::kNone) {
    ex->hang(o.fault_ids);
    ctx.metrics.observe("vendor", route, 0, since(t0));
    return true;
  }
  if (o.status != 200 && o.disconnect == Disconnect::kNone) {
    reply_after(o.delay, ex, fault_reply(w, o), o.fault_ids, route, t0);
    return true;
  }
  return false;
}

void VendorServer::Impl::responses_api(const ServerRequest& req, const std::shared_ptr<Exchange>& ex,
                                   Clock::time_point t0, const Wire& w) {
  const std::string route = w.label.empty() ? "/v1/responses" : w.label;
  responses::ResponsesCall call;
  openai::WireError err;
  if (!responses::parse_request(req.body, call, err)) return reply_after(0, ex, invalid(w, err), {}, route, t0);
  const std::string& model = call.request.model;
  if (!azure::known_deployment(vendor.profile(), model, azure::Operation::kResponses)) {
    if (w.azure) return reply_after(0, ex, invalid(w, azure::deployment_not_found(model)), {}, route, t0);
    err = plain_error(404, "The model '" + model + "' does not exist or you do not have access to it.",
                      "invalid_request_error", "model_not_found");
    err.param = "model";
    return reply_after(0, ex, invalid(w, err), {}, route, t0);
  }
  if (!call.previous_response_id.empty()) {
    const auto prior = stored.get(call.previous_response_id);
    if (!prior) {
      err = plain_error(400, "Previous response with id '" + call.previous_response_id + "' not found.",
                        "invalid_request_error", "previous_response_not_found");
      err.param = "previous_response_id";
      return reply_after(0, ex, invalid(w, err), {}, route, t0);
    }
    if (!responses::prepend_history(call, prior->conversation, prior->calls, err)) {
      return reply_after(0, ex, invalid(w, err), {}, route, t0);
    }
  }
  std::vector<FaultSpec> faults;
  // The request's route (kResponsesRoute) lets respond() apply the faults of this route only.
  ctx.faults.select(target, RequestInfo{call.request.task_type, model, kResponsesRoute}, faults);
  VendorOutcome o;
  {
    std::lock_guard<std::mutex> lock(rng_mu);
    o = vendor.respond(tools::attach(call.request, call.tool_turn), since(started), rng, pointers_to(faults));
  }
  if (failed(o, ex, route, t0, w)) return;
  responses::fit_answer(call, o.response);
  const responses::ResponseData data = responses::make_data(call, o.response, created_now());
  std::string body = responses::response_json(data);
  if (call.store && o.disconnect == Disconnect::kNone) {
    stored.put(data.id, StoredResponse{body, responses::conversation(call, data.answer), data.answer.tool_calls});
  }
  if (call.stream) {
    return stream_events(responses::stream_events(data), o, data.answer.usage.completion_tokens, ex, t0, route);
  }
  if (o.disconnect != Disconnect::kNone) {
    std::size_t pieces = openai::split_pieces(data.answer.content).size();
    for (const ToolCall& tc : data.answer.tool_calls) pieces += openai::split_pieces(tc.arguments).size();
    return cut_body(std::move(body), pieces, o, ex, t0, route);
  }
  reply_after(o.delay, ex, ServerResponse{200, "application/json", std::move(body)}, o.fault_ids, route, t0);
}

void VendorServer::Impl::get_response(const std::string& id, const std::shared_ptr<Exchange>& ex,
                                      Clock::time_point t0, const Wire& w) {
  const std::string route = w.label.empty() ? "/v1/responses/{id}" : w.label;
  const auto found = stored.get(id);
  if (!found) return reply_after(0, ex, invalid(w, responses::not_found(id)), {}, route, t0);
  reply_after(0, ex, ServerResponse{200, "application/json", found->json}, {}, route, t0);
}

void VendorServer::Impl::azure_request(const ServerRequest& req, const std::shared_ptr<Exchange>& ex,
                                       Clock::time_point t0) {
  Wire w;
  w.azure = true;
  w.azure_route = azure::parse_target(req.target);
  w.label = azure::route_label(w.azure_route.op);
  const azure::Route& r = w.azure_route;
  auto refuse = [&](const openai::WireError& e, HeaderList headers = {}) {
    reply_after(0, ex, ServerResponse{e.status, "application/json", azure::error_json(e), std::move(headers)}, {},
                w.label, t0);
  };
  // Azure's order: the path, the method, the key, the api-version, the deployment.
  if (r.op == azure::Operation::kUnknown) return refuse(azure::resource_not_found());
  if (req.method != r.method) {
    openai::WireError e = plain_error(405, "Method " + req.method + " is not allowed (use " + r.method + ").", "",
                                      "MethodNotAllowed");
    return refuse(e, {{"allow", r.method}});
  }
  if (!azure::has_credentials(req.headers)) return refuse(azure::unauthorized());
  if (r.api_version.empty()) return refuse(azure::missing_api_version());
  switch (r.op) {
    case azure::Operation::kChat:
    case azure::Operation::kEmbeddings:
      if (!azure::known_deployment(vendor.profile(), r.deployment, r.op)) {
        return refuse(azure::deployment_not_found(r.deployment));
      }
      w.model = r.deployment;
      return r.op == azure::Operation::kChat ? chat(req, ex, t0, w) : embeddings(req, ex, t0, w);
    case azure::Operation::kResponses: return responses_api(req, ex, t0, w);
    case azure::Operation::kResponseGet: return get_response(r.response_id, ex, t0, w);
    case azure::Operation::kUnknown: break;
  }
}

void VendorServer::Impl::stream_events(const std::vector<openai::StreamEvent>& events, const VendorOutcome& o,
                                       int completion_tokens, const std::shared_ptr<Exchange>& ex,
                                       Clock::time_point t0, const std::string& route) {
  auto job = std::make_shared<StreamJob>();
  job->exchange = ex;
  job->disconnect = o.disconnect;
  job->started = t0;
  job->fault_ids = o.fault_ids;
  job->route = route;
  // Ticks: up to the first token, then each token with the events after it. A stream fault
  // stops after its last token (no finish chunk, no final event, no [DONE]); with fewer tokens
  // than it allows, nothing after the last one comes either.
  const int limit = o.disconnect == Disconnect::kNone ? -1 : o.after_tokens;
  std::size_t end = events.size();
  if (limit >= 0) {
    int tokens = 0;
    std::size_t after_last = 0;
    bool stopped = false;
    for (std::size_t k = 0; k < events.size() && !stopped; ++k) {
      if (!events[k].token) continue;
      stopped = tokens == limit;
      if (stopped) {
        end = k;
      } else {
        ++tokens;
        after_last = k + 1;
      }
    }
    if (!stopped) end = after_last;
  }
  int tokens = 0;
  std::string tick;
  for (std::size_t k = 0; k < end; ++k) {
    if (events[k].token && tokens++ > 0) job->ticks.push_back(std::exchange(tick, {}));
    tick += events[k].data;
  }
  if (!tick.empty()) job->ticks.push_back(std::move(tick));
  const double tps = vendor.profile().tokens_per_second;
  if (tps > 0) job->gap = static_cast<Duration>(completion_tokens * 1e6 / tps / std::max(1, tokens));
  server->after(o.ttft, o.fault_ids, [this, job, ex] {
    ex->begin(200, "text/event-stream", {{"cache-control", "no-cache"}});
    step(job);
  });
}

void VendorServer::Impl::cut_body(std::string body, std::size_t pieces, const VendorOutcome& o,
                                  const std::shared_ptr<Exchange>& ex, Clock::time_point t0,
                                  const std::string& route) {
  // The headers promise the whole body; part of it comes.
  pieces = std::max<std::size_t>(1, pieces);
  const std::size_t sent = std::min<std::size_t>(pieces, static_cast<std::size_t>(std::max(0, o.after_tokens)));
  const std::size_t cut = std::min(body.size() - 1, body.size() * sent / (pieces + 1));
  const bool stall = o.disconnect == Disconnect::kStreamStall;
  server->after(o.delay, o.fault_ids,
                [this, ex, body = std::move(body), cut, stall, t0, route, held_by = o.fault_ids] {
                  ex->begin(200, "application/json", {}, static_cast<long long>(body.size()));
                  ex->write(body.substr(0, cut));
                  if (stall) {
                    ex->hang(held_by);
                  } else {
                    ex->close();
                  }
                  ctx.metrics.observe("vendor", route, 0, since(t0));
                });
}

void VendorServer::Impl::messages(const ServerRequest& req, const std::shared_ptr<Exchange>& ex,
                                  Clock::time_point t0) {
  const std::string route = "/v1/messages";
  anthropic::MessagesCall call;
  anthropic::WireError err;
  if (!anthropic::check_headers(req.headers, err) || !anthropic::parse_messages_request(req.body, call, err)) {
    return reply_after(0, ex, anthropic::error_response(err), {}, route, t0);
  }
  const VendorProfile& p = vendor.profile();
  const bool known = std::find(p.models.begin(), p.models.end(), call.request.model) != p.models.end() ||
                     call.request.model == p.id;
  if (!known) {
    const anthropic::WireError e{404, "not_found_error", "model: " + call.request.model};
    return reply_after(0, ex, anthropic::error_response(e), {}, route, t0);
  }
  std::vector<FaultSpec> faults;
  ctx.faults.select(target, RequestInfo{call.request.task_type, call.request.model, kMessagesRoute}, faults);
  VendorOutcome o;
  {
    std::lock_guard<std::mutex> lock(rng_mu);
    o = vendor.respond(tools::attach(call.request, call.tool_turn), since(started), rng, pointers_to(faults));
  }
  Wire w;
  w.anthropic = true;
  if (failed(o, ex, route, t0, w)) return;
  anthropic::fit_answer(call, o.response);
  const std::string stop = anthropic::apply_stop_sequences(call.stop_sequences, o.response);
  if (call.stream) {
    return stream_events(anthropic::stream_events(o.response, stop), o, o.response.usage.completion_tokens, ex, t0,
                         route);
  }
  std::string body = anthropic::message_json(o.response, stop);
  if (o.disconnect != Disconnect::kNone) {
    return cut_body(std::move(body), openai::split_pieces(o.response.content).size(), o, ex, t0, route);
  }
  reply_after(o.delay, ex, ServerResponse{200, "application/json", std::move(body), {{"request-id", "req_gameday"}}},
              o.fault_ids, route, t0);
}

VendorServer::VendorServer(LiveContext ctx, const std::string& vendor_id, ServerOptions options) {
  const VendorProfile* profile = nullptr;
  for (const auto& v : ctx.fakes.vendors) {
    if (v.id == vendor_id) profile = &v;
  }
  if (profile == nullptr) throw std::runtime_error("unknown vendor '" + vendor_id + "'");
  impl_ = std::make_unique<Impl>(ctx, *profile, std::move(options));
}
VendorServer::~VendorServer() = default;
std::string VendorServer::base_url() const { return impl_->server->url() + "/v1"; }
std::uint16_t VendorServer::port() const { return impl_->server->port(); }

}  // namespace gameday::net
