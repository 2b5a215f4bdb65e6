#include "net/vendor_server.hpp"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "assistant/assistant.hpp"
#include "fakes/tool_calls.hpp"
#include "fakes/vendor.hpp"
#include "net/anthropic_wire.hpp"
#include "net/azure_routes.hpp"
#include "net/openai_wire.hpp"
#include "net/response_store.hpp"
#include "net/responses_wire.hpp"
#include "sim/rng.hpp"
#include "trace/context.hpp"

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

/// `o` with the server's own errors (a body too large, a request too slow) in the vendor's shape.
ServerOptions with_vendor_errors(ServerOptions o) {
  o.error_response = [](int status, const std::string& message) {
    std::string code = status == 413 ? "request_too_large" : status == 408 ? "request_timeout" : "";
    return error_response(plain_error(status, message, "invalid_request_error", code));
  };
  return o;
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

// One request in progress: where metrics file it and, for a model call, what the fake saw of
// it (recorded when it ends: its answer, error, reset or hold).
struct Note {
  std::string route = "other";
  Clock::time_point t0;
  std::uint64_t t0_unix_nano = 0;  // t0 on the wall clock (a span's start)
  std::optional<ServedCall> call;  // model calls only
};
using NotePtr = std::shared_ptr<Note>;

// A streamed answer in ticks: each tick is written at once, ticks `gap` apart.
struct StreamJob {
  std::shared_ptr<Exchange> exchange;
  std::vector<std::string> ticks;
  std::size_t next = 0;
  Duration gap = 0;
  Disconnect disconnect = Disconnect::kNone;  // what happens after the ticks
  std::vector<std::string> fault_ids;  // the faults that shaped it (a stall is held by them)
  NotePtr note;  // what metrics record it as, and what the fake saw
};

}  // namespace

struct VendorServer::Impl {
  Impl(LiveContext c, const VendorProfile& profile, ServerOptions o)
      : ctx(c),
        vendor(profile, c.fakes.hallucinations),
        target("vendor:" + profile.id),
        rng(Rng::for_component(c.seed, "live.vendor." + profile.id)),
        embed_rng(Rng::for_component(c.seed, "live.vendor." + profile.id + ".embeddings")),
        started(Clock::now()),
        server(ExchangeHandler([this](ServerRequest req, std::shared_ptr<Exchange> ex) {
                 handle(std::move(req), std::move(ex));
               }),
               with_vendor_errors(std::move(o))) {
    // Hung requests, stalled streams and fault-delayed answers are released when their fault
    // ends (or on /reset).
    subscription = ctx.faults.subscribe([this](const HoldRelease& r) { server.release_held(r); });
  }
  ~Impl() { ctx.faults.unsubscribe(subscription); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void handle(ServerRequest req, std::shared_ptr<Exchange> ex);
  void chat(const ServerRequest& req, const std::shared_ptr<Exchange>& ex, const NotePtr& n,
            const Wire& w = Wire{});
  // POST /v1/embeddings: the faults whose routes include embeddings, then the vectors.
  void embeddings(const ServerRequest& req, const std::shared_ptr<Exchange>& ex, const NotePtr& n,
                  const Wire& w = Wire{});
  // POST /v1/responses: the same fake model and faults as chat, in the Responses API's shapes.
  void responses_api(const ServerRequest& req, const std::shared_ptr<Exchange>& ex, const NotePtr& n,
                     const Wire& w = Wire{});
  // GET /v1/responses/{id}: a stored response, at once (no faults).
  void get_response(const std::string& id, const std::shared_ptr<Exchange>& ex, const NotePtr& n,
                    const Wire& w = Wire{});
  // Everything under /openai: Azure OpenAI's checks, then the route.
  void azure_request(const ServerRequest& req, const std::shared_ptr<Exchange>& ex, const NotePtr& n);
  // Acts out an outcome without an answer (reset, hang, error); false when there is an answer.
  bool failed(const VendorOutcome& o, const std::shared_ptr<Exchange>& ex, const NotePtr& n, const Wire& w);
  // Streams a chat answer (n choices) through stream_events.
  void stream(const ChatResponse& r, const VendorOutcome& o, bool include_usage, int choices,
              const std::shared_ptr<Exchange>& ex, const NotePtr& n);
  // Whether the profile serves `model` (its models, else its id); false with the real API's
  // errors: 400 without a model, 404 model_not_found for one it does not serve.
  bool known_model(const std::string& model, openai::WireError& err) const;
  // Streams `events` (paced by their token events) as a stream fault of `o` allows.
  void stream_events(const std::vector<openai::StreamEvent>& events, const VendorOutcome& o, int completion_tokens,
                     const std::shared_ptr<Exchange>& ex, const NotePtr& n);
  // A non-streamed `body` cut as a stream fault of `o` cuts an answer of `pieces` pieces.
  void cut_body(std::string body, std::size_t pieces, const VendorOutcome& o, const std::shared_ptr<Exchange>& ex,
                const NotePtr& n);
  // POST /v1/messages: the Anthropic Messages format (anthropic_wire.hpp) on the same model.
  void messages(const ServerRequest& req, const std::shared_ptr<Exchange>& ex, const NotePtr& n);
  void step(const std::shared_ptr<StreamJob>& job);
  // Replies now or after `delay`, recording the request.
  void reply_after(Duration delay, const std::shared_ptr<Exchange>& ex, ServerResponse r,
                   const std::vector<std::string>& held_by, const NotePtr& n);
  // Starts the record of a model call on `route` (dependency kVendor or kEmbeddings).
  void begin_call(const ServerRequest& req, const NotePtr& n, const std::string& route, Dependency dependency,
                  const Wire& w) const;
  // Fills a model call's record from the outcome the fake decided.
  void note_outcome(const NotePtr& n, const std::string& request_model, const VendorOutcome& o,
                    const std::vector<ChatMessage>& messages) const;
  // Records the end of a request: metrics, and the model call's record for its observers.
  void finish(const NotePtr& n, int status, bool unfinished = false);

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
  // Its handler and timers use the members above and the server itself. A member, not a
  // pointer: from the moment it listens until its destructor has stopped its io threads
  // (declared after the members it uses, so destroyed before them), every handler sees the same
  // object, where a pointer would be unset while the first request may already be handled, and
  // reset while the last ones still are.
  HttpServer server;
  std::size_t subscription = 0;  // ctx.faults' listener
};

void VendorServer::Impl::reply_after(Duration delay, const std::shared_ptr<Exchange>& ex,
                                     ServerResponse r, const std::vector<std::string>& held_by, const NotePtr& n) {
  auto send = [this, ex, r = std::move(r), n]() mutable {
    const int status = r.status;
    // Recorded before the reply goes out: whoever waits on the answer is told of it after.
    finish(n, status);
    ex->reply(std::move(r));
  };
  if (delay <= 0) {
    send();
  } else {
    server.after(delay, held_by, std::move(send));
  }
}

void VendorServer::Impl::begin_call(const ServerRequest& req, const NotePtr& n, const std::string& route,
                                    Dependency dependency, const Wire& w) const {
  n->route = route;
  ServedCall& c = n->call.emplace();
  c.start_unix_nano = n->t0_unix_nano;
  c.call.dependency = dependency;
  c.call.vendor = vendor.profile().id;
  c.operation = dependency == Dependency::kEmbeddings ? "embeddings" : "chat";
  c.provider = w.anthropic ? "anthropic" : w.azure ? "azure.ai.openai" : "openai";
  c.request_model = w.model;
  if (const auto parent = parse_traceparent(request_header(req, kTraceparentHeader))) {
    c.trace_id = parent->trace_id;
    c.parent_span_id = parent->parent_id;
    c.sampled = parent->sampled;
  }
}

void VendorServer::Impl::note_outcome(const NotePtr& n, const std::string& request_model, const VendorOutcome& o,
                                      const std::vector<ChatMessage>& messages) const {
  ServedCall& c = *n->call;
  if (c.request_model.empty()) c.request_model = request_model;
  c.call.fault_ids = o.fault_ids;
  c.phi_in_prompt = o.phi_received;
  for (const ChatMessage& m : messages) {
    if (m.content.find(kCanaryPrefix) != std::string::npos) c.canary = true;
  }
  if (o.status != 200 && !o.hang && o.disconnect == Disconnect::kNone) {
    c.call.error_type = o.error.type;
    return;
  }
  c.call.resource = o.response.model;
  c.call.response_id = o.response.id;
  c.call.finish_reason = o.response.finish_reason;
  c.call.input_tokens = o.response.usage.prompt_tokens;
  c.call.output_tokens = o.response.usage.completion_tokens;
}

void VendorServer::Impl::finish(const NotePtr& n, int status, bool unfinished) {
  const Duration took = since(n->t0);
  ctx.metrics.observe("vendor", n->route, status, took);
  if (!n->call) return;
  ServedCall& c = *n->call;
  c.call.status = status;
  c.call.latency = took;
  c.unfinished = unfinished;
  if (c.call.failed()) {
    // What only an answer carries.
    c.call.resource.clear();
    c.call.response_id.clear();
    c.call.finish_reason.clear();
    c.call.input_tokens = c.call.output_tokens = 0;
  }
  ctx.metrics.observe_served(c);
  if (ctx.calls != nullptr) ctx.calls->served(c);
}

void VendorServer::Impl::handle(ServerRequest req, std::shared_ptr<Exchange> ex) {
  const auto n = std::make_shared<Note>();
  n->t0 = Clock::now();
  n->t0_unix_nano = unix_nanos_now();
  const std::string path = path_of(req.target);
  auto method_not_allowed = [&](const std::string& route, const std::string& allow) {
    n->route = route;
    reply_after(0, ex,
                error_response(plain_error(405, "Method " + req.method + " is not allowed on " + path +
                                                    " (use " + allow + ").",
                                           "invalid_request_error", "method_not_allowed"),
                               {{"allow", allow}}),
                {}, n);
  };
  if (path == "/v1/messages") {
    n->route = path;
    if (!vendor.profile().serves(kAnthropicFormat)) {
      const anthropic::WireError e{404, "not_found_error",
                                   "vendor '" + vendor.profile().id + "' does not serve the Anthropic Messages API"};
      return reply_after(0, ex, anthropic::error_response(e), {}, n);
    }
    if (req.method != "POST") {
      const anthropic::WireError e{405, "invalid_request_error", "Method " + req.method + " is not allowed on " + path};
      ServerResponse r = anthropic::error_response(e);
      r.headers.emplace_back("allow", "POST");
      return reply_after(0, ex, std::move(r), {}, n);
    }
    return messages(req, ex, n);
  }
  if (!vendor.profile().serves(kOpenAiFormat)) {
    return reply_after(0, ex,
                       error_response(plain_error(404, "Vendor '" + vendor.profile().id +
                                                           "' does not serve the OpenAI API.",
                                                  "invalid_request_error", "unknown_url")),
                       {}, n);
  }
  if (azure::is_azure_path(req.target)) return azure_request(req, ex, n);
  if (path == "/v1/chat/completions") {
    if (req.method != "POST") return method_not_allowed(path, "POST");
    return chat(req, ex, n);
  }
  if (path == "/v1/embeddings") {
    if (req.method != "POST") return method_not_allowed(path, "POST");
    return embeddings(req, ex, n);
  }
  if (path == "/v1/responses") {
    if (req.method != "POST") return method_not_allowed(path, "POST");
    return responses_api(req, ex, n);
  }
  if (path.rfind("/v1/responses/", 0) == 0 && path.find('/', 14) == std::string::npos) {
    if (req.method != "GET") return method_not_allowed("/v1/responses/{id}", "GET");
    return get_response(path.substr(14), ex, n);
  }
  if (path == "/v1/models" || path.rfind("/v1/models/", 0) == 0) {
    const std::string route = "/v1/models";
    n->route = route;
    if (req.method != "GET") return method_not_allowed(route, "GET");
    const VendorProfile& p = vendor.profile();
    if (path == route) {
      return reply_after(0, ex, ServerResponse{200, "application/json", openai::models_json(p)}, {}, n);
    }
    const std::string id = path.substr(route.size() + 1);
    std::vector<std::string> models = p.models;
    if (models.empty()) models.push_back(p.id);
    if (std::find(models.begin(), models.end(), id) == models.end()) {
      openai::WireError e = plain_error(404, "The model '" + id + "' does not exist.",
                                        "invalid_request_error", "model_not_found");
      e.param = "model";
      return reply_after(0, ex, error_response(e), {}, n);
    }
    return reply_after(0, ex, ServerResponse{200, "application/json", openai::model_json(p, id)}, {}, n);
  }
  reply_after(0, ex,
              error_response(plain_error(404, "Unknown request URL: " + req.method + " " + path + ".",
                                         "invalid_request_error", "unknown_url")),
              {}, n);
}

void VendorServer::Impl::embeddings(const ServerRequest& req, const std::shared_ptr<Exchange>& ex,
                                    const NotePtr& n, const Wire& w) {
  begin_call(req, n, w.label.empty() ? "/v1/embeddings" : w.label, Dependency::kEmbeddings, w);
  openai::EmbeddingCall call;
  openai::WireError err;
  if (!openai::parse_embedding_request(req.body, call, err)) {
    return reply_after(0, ex, invalid(w, err), {}, n);
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
  note_outcome(n, model, as_chat, {});
  n->call->call.resource = model;  // the model that embedded (the one asked for)
  if (failed(as_chat, ex, n, w)) return;
  // Embeddings were answered at once before faults applied to them; latency faults delay them.
  const Duration delay = o.fault_ids.empty() ? 0 : o.delay;
  reply_after(delay, ex, ServerResponse{200, "application/json", openai::embeddings_json(call)}, o.fault_ids, n);
}

void VendorServer::Impl::chat(const ServerRequest& req, const std::shared_ptr<Exchange>& ex,
                              const NotePtr& n, const Wire& w) {
  begin_call(req, n, w.label.empty() ? "/v1/chat/completions" : w.label, Dependency::kVendor, w);
  openai::ChatCall call;
  openai::WireError err;
  if (!openai::parse_chat_request(req.body, call, err)) {
    return reply_after(0, ex, invalid(w, err), {}, n);
  }
  if (!w.model.empty()) {
    call.request.model = w.model;  // an Azure deployment, already checked
  } else if (!known_model(call.request.model, err)) {
    return reply_after(0, ex, invalid(w, err), {}, n);
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
  note_outcome(n, call.request.model, o, call.request.messages);
  if (failed(o, ex, n, w)) return;
  if (call.stream) return stream(o.response, o, call.include_usage, call.n, ex, n);
  if (o.disconnect != Disconnect::kNone) {
    // A non-streamed answer cut the way a stream fault cuts a stream.
    return cut_body(openai::completion_json(o.response, created_now(), call.n),
                    openai::split_pieces(o.response.content).size(), o, ex, n);
  }
  reply_after(o.delay, ex,
              ServerResponse{200, "application/json", openai::completion_json(o.response, created_now(), call.n)},
              o.fault_ids, n);
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

void VendorServer::Impl::stream(const ChatResponse& r, const VendorOutcome& o, bool include_usage, int choices,
                                const std::shared_ptr<Exchange>& ex, const NotePtr& n) {
  stream_events(openai::stream_events(r, created_now(), include_usage, choices), o, r.usage.completion_tokens, ex,
                n);
}

void VendorServer::Impl::step(const std::shared_ptr<StreamJob>& job) {
  if (!job->exchange->alive()) {
    // The client went away mid-stream.
    finish(job->note, 0);
    return;
  }
  // Without token pacing, write everything at once.
  while (job->next < job->ticks.size()) {
    job->exchange->write(std::move(job->ticks[job->next++]));
    if (job->gap > 0) break;
  }
  if (job->next < job->ticks.size()) {
    server.after(job->gap, [this, job] { step(job); });
    return;
  }
  // Recorded before the stream ends: whoever waits on the answer is told of it after.
  finish(job->note, job->disconnect == Disconnect::kNone ? 200 : 0, job->disconnect == Disconnect::kStreamStall);
  if (job->disconnect == Disconnect::kStreamStall) {
    job->exchange->hang(job->fault_ids);
  } else if (job->disconnect == Disconnect::kStreamBreak) {
    job->exchange->close();
  } else {
    job->exchange->end();
  }
}

bool VendorServer::Impl::failed(const VendorOutcome& o, const std::shared_ptr<Exchange>& ex, const NotePtr& n,
                                const Wire& w) {
  if (o.disconnect == Disconnect::kReset) {
    server.after(o.delay, o.fault_ids, [this, ex, n] {
      finish(n, 0);
      ex->reset();
    });
    return true;
  }
  if (o.hang && o.disconnect == Disconnect::kNone) {
    finish(n, 0, true);
    ex->hang(o.fault_ids);
    return true;
  }
  if (o.status != 200 && o.disconnect == Disconnect::kNone) {
    reply_after(o.delay, ex, fault_reply(w, o), o.fault_ids, n);
    return true;
  }
  return false;
}

void VendorServer::Impl::responses_api(const ServerRequest& req, const std::shared_ptr<Exchange>& ex,
                                   const NotePtr& n, const Wire& w) {
  begin_call(req, n, w.label.empty() ? "/v1/responses" : w.label, Dependency::kVendor, w);
  responses::ResponsesCall call;
  openai::WireError err;
  if (!responses::parse_request(req.body, call, err)) return reply_after(0, ex, invalid(w, err), {}, n);
  const std::string& model = call.request.model;
  if (!azure::known_deployment(vendor.profile(), model, azure::Operation::kResponses)) {
    if (w.azure) return reply_after(0, ex, invalid(w, azure::deployment_not_found(model)), {}, n);
    err = plain_error(404, "The model '" + model + "' does not exist or you do not have access to it.",
                      "invalid_request_error", "model_not_found");
    err.param = "model";
    return reply_after(0, ex, invalid(w, err), {}, n);
  }
  if (!call.previous_response_id.empty()) {
    const auto prior = stored.get(call.previous_response_id);
    if (!prior) {
      err = plain_error(400, "Previous response with id '" + call.previous_response_id + "' not found.",
                        "invalid_request_error", "previous_response_not_found");
      err.param = "previous_response_id";
      return reply_after(0, ex, invalid(w, err), {}, n);
    }
    if (!responses::prepend_history(call, prior->conversation, prior->calls, err)) {
      return reply_after(0, ex, invalid(w, err), {}, n);
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
  note_outcome(n, model, o, call.request.messages);
  if (failed(o, ex, n, w)) return;
  responses::fit_answer(call, o.response);
  const responses::ResponseData data = responses::make_data(call, o.response, created_now());
  std::string body = responses::response_json(data);
  if (call.store && o.disconnect == Disconnect::kNone) {
    stored.put(data.id, StoredResponse{body, responses::conversation(call, data.answer), data.answer.tool_calls});
  }
  if (call.stream) {
    return stream_events(responses::stream_events(data), o, data.answer.usage.completion_tokens, ex, n);
  }
  if (o.disconnect != Disconnect::kNone) {
    std::size_t pieces = openai::split_pieces(data.answer.content).size();
    for (const ToolCall& tc : data.answer.tool_calls) pieces += openai::split_pieces(tc.arguments).size();
    return cut_body(std::move(body), pieces, o, ex, n);
  }
  reply_after(o.delay, ex, ServerResponse{200, "application/json", std::move(body)}, o.fault_ids, n);
}

void VendorServer::Impl::get_response(const std::string& id, const std::shared_ptr<Exchange>& ex,
                                      const NotePtr& n, const Wire& w) {
  n->route = w.label.empty() ? "/v1/responses/{id}" : w.label;
  const auto found = stored.get(id);
  if (!found) return reply_after(0, ex, invalid(w, responses::not_found(id)), {}, n);
  reply_after(0, ex, ServerResponse{200, "application/json", found->json}, {}, n);
}

void VendorServer::Impl::azure_request(const ServerRequest& req, const std::shared_ptr<Exchange>& ex,
                                       const NotePtr& n) {
  Wire w;
  w.azure = true;
  w.azure_route = azure::parse_target(req.target);
  w.label = azure::route_label(w.azure_route.op);
  n->route = w.label;
  const azure::Route& r = w.azure_route;
  auto refuse = [&](const openai::WireError& e, HeaderList headers = {}) {
    reply_after(0, ex, ServerResponse{e.status, "application/json", azure::error_json(e), std::move(headers)}, {},
                n);
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
      return r.op == azure::Operation::kChat ? chat(req, ex, n, w) : embeddings(req, ex, n, w);
    case azure::Operation::kResponses: return responses_api(req, ex, n, w);
    case azure::Operation::kResponseGet: return get_response(r.response_id, ex, n, w);
    case azure::Operation::kUnknown: break;
  }
}

void VendorServer::Impl::stream_events(const std::vector<openai::StreamEvent>& events, const VendorOutcome& o,
                                       int completion_tokens, const std::shared_ptr<Exchange>& ex,
                                       const NotePtr& n) {
  auto job = std::make_shared<StreamJob>();
  job->exchange = ex;
  job->disconnect = o.disconnect;
  job->fault_ids = o.fault_ids;
  job->note = n;
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
  server.after(o.ttft, o.fault_ids, [this, job, ex] {
    if (job->note->call) job->note->call->first_chunk = since(job->note->t0);
    ex->begin(200, "text/event-stream", {{"cache-control", "no-cache"}});
    step(job);
  });
}

void VendorServer::Impl::cut_body(std::string body, std::size_t pieces, const VendorOutcome& o,
                                  const std::shared_ptr<Exchange>& ex, const NotePtr& n) {
  // The headers promise the whole body; part of it comes.
  pieces = std::max<std::size_t>(1, pieces);
  const std::size_t sent = std::min<std::size_t>(pieces, static_cast<std::size_t>(std::max(0, o.after_tokens)));
  const std::size_t cut = std::min(body.size() - 1, body.size() * sent / (pieces + 1));
  const bool stall = o.disconnect == Disconnect::kStreamStall;
  server.after(o.delay, o.fault_ids,
                [this, ex, body = std::move(body), cut, stall, n, held_by = o.fault_ids] {
                  finish(n, 0, stall);
                  ex->begin(200, "application/json", {}, static_cast<long long>(body.size()));
                  ex->write(body.substr(0, cut));
                  if (stall) {
                    ex->hang(held_by);
                  } else {
                    ex->close();
                  }
                });
}

void VendorServer::Impl::messages(const ServerRequest& req, const std::shared_ptr<Exchange>& ex,
                                  const NotePtr& n) {
  Wire w;
  w.anthropic = true;
  begin_call(req, n, "/v1/messages", Dependency::kVendor, w);
  anthropic::MessagesCall call;
  anthropic::WireError err;
  if (!anthropic::check_headers(req.headers, err) || !anthropic::parse_messages_request(req.body, call, err)) {
    return reply_after(0, ex, anthropic::error_response(err), {}, n);
  }
  const VendorProfile& p = vendor.profile();
  const bool known = std::find(p.models.begin(), p.models.end(), call.request.model) != p.models.end() ||
                     call.request.model == p.id;
  if (!known) {
    const anthropic::WireError e{404, "not_found_error", "model: " + call.request.model};
    return reply_after(0, ex, anthropic::error_response(e), {}, n);
  }
  std::vector<FaultSpec> faults;
  ctx.faults.select(target, RequestInfo{call.request.task_type, call.request.model, kMessagesRoute}, faults);
  VendorOutcome o;
  {
    std::lock_guard<std::mutex> lock(rng_mu);
    o = vendor.respond(tools::attach(call.request, call.tool_turn), since(started), rng, pointers_to(faults));
  }
  note_outcome(n, call.request.model, o, call.request.messages);
  if (failed(o, ex, n, w)) return;
  anthropic::fit_answer(call, o.response);
  const std::string stop = anthropic::apply_stop_sequences(call.stop_sequences, o.response);
  if (call.stream) {
    return stream_events(anthropic::stream_events(o.response, stop), o, o.response.usage.completion_tokens, ex, n);
  }
  std::string body = anthropic::message_json(o.response, stop);
  if (o.disconnect != Disconnect::kNone) {
    return cut_body(std::move(body), openai::split_pieces(o.response.content).size(), o, ex, n);
  }
  reply_after(o.delay, ex, ServerResponse{200, "application/json", std::move(body), {{"request-id", "req_gameday"}}},
              o.fault_ids, n);
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
std::string VendorServer::base_url() const { return impl_->server.url() + "/v1"; }
std::uint16_t VendorServer::port() const { return impl_->server.port(); }

}  // namespace gameday::net
