#pragma once
// The fake EHR over HTTP as a FHIR R4 server (application/fhir+json): capability statement,
// read and search of the world's resources with paging links, OperationOutcome on errors.
// Every EHR fault of the simulated world applies.
#include <cstdint>
#include <memory>
#include <string>

#include "net/live.hpp"

namespace gameday::net {

/// Serves the world's EHR from construction until destruction; its faults are those of
/// LiveFaults targeting "ehr".
class EhrServer {
 public:
  /// Binds and starts serving; throws std::runtime_error when it cannot bind.
  EhrServer(LiveContext ctx, ServerOptions options);
  ~EhrServer();
  EhrServer(const EhrServer&) = delete;
  EhrServer& operator=(const EhrServer&) = delete;

  /// "http://HOST:PORT/fhir": a FHIR client's base URL.
  std::string base_url() const;
  std::uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gameday::net
