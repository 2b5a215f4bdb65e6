#pragma once
// The fake model vendor over HTTP, in the OpenAI wire format (REFERENCE.md): chat completions
// (plain and streamed), the Responses API (responses_wire.hpp), embeddings, models, OpenAI error
// bodies; Azure OpenAI's deployment paths with its error bodies (azure_routes.hpp); and, for
// profiles whose `formats` list anthropic, Anthropic Messages (anthropic_wire.hpp). Every fault
// of the simulated vendor applies, plus the live-only ones (connection reset, a stream that
// stalls or breaks).
#include <cstdint>
#include <memory>
#include <string>

#include "net/live.hpp"

namespace gameday::net {

/// Serves one vendor profile (`vendor_id`, a fakes vendors.yaml id) from construction until
/// destruction; its faults are those of LiveFaults targeting "vendor:<id>" or "vendor:*".
class VendorServer {
 public:
  /// Binds and starts serving; throws std::runtime_error when it cannot bind or the vendor id
  /// is unknown.
  VendorServer(LiveContext ctx, const std::string& vendor_id, ServerOptions options);
  ~VendorServer();
  VendorServer(const VendorServer&) = delete;
  VendorServer& operator=(const VendorServer&) = delete;

  /// "http://HOST:PORT/v1": what a client's base_url is set to.
  std::string base_url() const;
  std::uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gameday::net
