#include "net/vendor_server.hpp"

#include <stdexcept>

namespace gameday::net {

// Placeholder until the OpenAI wire format lands: every route answers 501.
struct VendorServer::Impl {
  Impl(LiveContext c, ServerOptions o)
      : ctx(c), server([](ServerRequest, ReplyFn reply) {
          reply(ServerResponse{501, "application/json",
                               R"({"error":{"message":"not implemented","type":"server_error","param":null,"code":null}})"});
        }, std::move(o)) {}
  LiveContext ctx;
  HttpServer server;
};

VendorServer::VendorServer(LiveContext ctx, const std::string& vendor_id, ServerOptions options) {
  bool known = false;
  for (const auto& v : ctx.fakes.vendors) known = known || v.id == vendor_id;
  if (!known) throw std::runtime_error("unknown vendor '" + vendor_id + "'");
  impl_ = std::make_unique<Impl>(ctx, std::move(options));
}
VendorServer::~VendorServer() = default;
std::string VendorServer::base_url() const { return impl_->server.url() + "/v1"; }
std::uint16_t VendorServer::port() const { return impl_->server.port(); }

}  // namespace gameday::net
