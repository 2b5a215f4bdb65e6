#include "net/ehr_server.hpp"

namespace gameday::net {

// Placeholder until the FHIR routes land: every route answers 501 with an OperationOutcome.
struct EhrServer::Impl {
  Impl(LiveContext c, ServerOptions o)
      : ctx(c), server([](ServerRequest, ReplyFn reply) {
          reply(ServerResponse{501, "application/fhir+json",
                               R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-supported","diagnostics":"not implemented"}]})"});
        }, std::move(o)) {}
  LiveContext ctx;
  HttpServer server;
};

EhrServer::EhrServer(LiveContext ctx, ServerOptions options)
    : impl_(std::make_unique<Impl>(ctx, std::move(options))) {}
EhrServer::~EhrServer() = default;
std::string EhrServer::base_url() const { return impl_->server.url() + "/fhir"; }
std::uint16_t EhrServer::port() const { return impl_->server.port(); }

}  // namespace gameday::net
