#pragma once
// The fake EHR over HTTP as a FHIR R4 server (application/fhir+json): capability statement,
// read and search of the world's resources with paging links, OperationOutcome on errors.
// Every EHR fault of the simulated world applies. Routes, parameters and paging: fhir_wire.hpp
// and docs/live.md.
#include <cstdint>
#include <memory>
#include <string>

#include "net/live.hpp"

namespace gameday::net {

/// The request header carrying the caller's task type (EhrRequest::task_type), which fault
/// filters (`task_types`) match on. Optional; never a search parameter.
inline constexpr const char* kTaskTypeHeader = "X-Gameday-Task-Type";

/// Serves the world's EHR from construction until destruction; its faults are those of
/// LiveFaults targeting "ehr", selected once per read or search (the capability statement is
/// never faulted). A latency fault delays the reply on a timer; an error fault answers its status
/// with an OperationOutcome; a timeout fault never answers (the connection stays open until the
/// client gives up or the server stops); data faults bend search results (FakeEhr::respond).
/// Records every request in LiveMetrics as server "ehr" (a never-answered one as status 0).
/// Logs nothing about requests: targets, headers and bodies carry PHI-shaped identifiers.
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
