#include "net/ehr_server.hpp"

#include <chrono>
#include <mutex>
#include <utility>
#include <vector>

#include "assistant/assistant.hpp"
#include "fakes/ehr.hpp"
#include "net/fhir_wire.hpp"
#include "sim/rng.hpp"
#include "trace/context.hpp"

namespace gameday::net {
namespace {

using Clock = std::chrono::steady_clock;

Duration since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
}

}  // namespace

// Identifiers and bodies are PHI-shaped: nothing here logs a target, a header value or a body.
struct EhrServer::Impl {
  Impl(LiveContext c, ServerOptions o)
      : ctx(c),
        ehr(c.world),
        rng(Rng::for_component(c.seed, "live.ehr")),
        started(Clock::now()),
        server(ExchangeHandler([this](ServerRequest req, std::shared_ptr<Exchange> ex) {
                 handle(std::move(req), std::move(ex));
               }),
               with_fhir_errors(std::move(o))),
        // A timeout fault's hung requests and a latency fault's delayed answers are released
        // when that fault ends (or on /reset).
        subscription(c.faults.subscribe([this](const HoldRelease& r) { server.release_held(r); })) {}
  ~Impl() { ctx.faults.unsubscribe(subscription); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  // The HTTP layer's own errors (malformed request, slow client, body or headers too large)
  // are OperationOutcomes too.
  static ServerOptions with_fhir_errors(ServerOptions o) {
    if (!o.error_response) {
      o.error_response = [](int status, const std::string& message) {
        return ServerResponse{status, kFhirJson, fhir_error_json(status, message)};
      };
    }
    return o;
  }

  std::string base_url() const { return server.url() + "/fhir"; }

  // Runs on the server thread; never blocks (delays go through HttpServer::after).
  void handle(ServerRequest req, std::shared_ptr<Exchange> ex) {
    const Clock::time_point received = Clock::now();
    const std::uint64_t received_unix_nano = unix_nanos_now();
    ReplyFn reply = [ex](ServerResponse r) { ex->reply(std::move(r)); };
    FhirTarget t = parse_fhir_target(req.target);
    auto send = [&](int status, std::string body) {
      ctx.metrics.observe("ehr", t.route_name, status, since(received));
      reply(ServerResponse{status, kFhirJson, std::move(body)});
    };
    if (!t.ok() && t.status == 404) return send(404, fhir_error_json(404, t.diagnostics));
    if (req.method != "GET") {
      ctx.metrics.observe("ehr", t.route_name, 405, since(received));
      ServerResponse r{405, kFhirJson,
                       fhir_error_json(405, "Method " + req.method +
                                                " is not supported: this server is read-only (GET)")};
      r.headers.emplace_back("Allow", "GET");
      return reply(std::move(r));
    }
    if (!t.ok()) return send(t.status, fhir_error_json(t.status, t.diagnostics));
    // The capability statement is static: faults (and their counters) apply to reads and
    // searches only.
    if (t.route == FhirRoute::kMetadata) {
      return send(200, fhir_capability_statement_json(base_url()));
    }

    EhrRequest& er = t.request;
    er.task_type = std::string(request_header(req, kTaskTypeHeader));
    ServedCall call;
    call.start_unix_nano = received_unix_nano;
    call.call.dependency = Dependency::kEhr;
    call.call.resource = er.resource_type;
    if (const auto parent = parse_traceparent(request_header(req, kTraceparentHeader))) {
      call.trace_id = parent->trace_id;
      call.parent_span_id = parent->parent_id;
      call.sampled = parent->sampled;
    }
    std::vector<FaultSpec> faults;
    ctx.faults.select("ehr", RequestInfo{er.task_type, ""}, faults);
    EhrOutcome o;
    {
      std::lock_guard<std::mutex> lock(rng_mu);
      o = ehr.respond(er, since(started), rng, pointers_to(faults));
    }
    call.call.fault_ids = o.fault_ids;
    for (const Document* d : o.documents) {
      if (d->text.find(kCanaryPrefix) != std::string::npos) call.canary = true;
    }
    if (o.hang) {
      // Never answered: the connection stays open until the client gives up, the fault ends
      // or the server stops. Counted now, as a dropped request.
      ctx.metrics.observe("ehr", t.route_name, 0, o.delay);
      call.unfinished = true;
      record(std::move(call), 0, since(received));
      return ex->hang(o.fault_ids);
    }
    ServerResponse response{o.status, kFhirJson, fhir_outcome_json(o, er, base_url())};
    // An error fault's retry_after: Retry-After in delay-seconds (never the HTTP-date form).
    if (std::string retry_after = fhir_retry_after(o); !retry_after.empty()) {
      response.headers.emplace_back("Retry-After", std::move(retry_after));
    }
    server.after(o.delay, o.fault_ids, [this, received, route = std::move(t.route_name), call = std::move(call),
                           response = std::move(response), reply = std::move(reply)]() mutable {
      ctx.metrics.observe("ehr", route, response.status, since(received));
      // Recorded before the reply goes out: whoever waits on the answer is told of it after.
      record(std::move(call), response.status, since(received));
      reply(std::move(response));
    });
  }

  // Tells the observers of one read or search.
  void record(ServedCall call, int status, Duration latency) {
    call.call.status = status;
    call.call.latency = latency;
    if (ctx.calls != nullptr) ctx.calls->served(call);
  }

  LiveContext ctx;
  FakeEhr ehr;
  std::mutex rng_mu;
  Rng rng;
  Clock::time_point started;
  HttpServer server;  // stops (and drops pending timers) before the rest goes
  std::size_t subscription = 0;
};

EhrServer::EhrServer(LiveContext ctx, ServerOptions options)
    : impl_(std::make_unique<Impl>(ctx, std::move(options))) {}
EhrServer::~EhrServer() = default;
std::string EhrServer::base_url() const { return impl_->base_url(); }
std::uint16_t EhrServer::port() const { return impl_->server.port(); }

}  // namespace gameday::net
