#pragma once
// What every live server shares: the fake world, the live fault set, the metrics and the seed.
// Owned by the command that starts the servers (`gameday serve`, `gameday drill`); it must
// outlive them.
#include <chrono>
#include <cstdint>

#include "spec/model.hpp"
#include "fakes/world.hpp"
#include "net/http_server.hpp"
#include "net/live_faults.hpp"
#include "net/live_metrics.hpp"
#include "net/served_call.hpp"

namespace gameday::net {

/// The shared state of the live servers.
struct LiveContext {
  const Fakes& fakes;
  const World& world;
  LiveFaults& faults;
  LiveMetrics& metrics;
  std::uint64_t seed = 1;  ///< seeds each server's random stream (Rng::for_component)
  /// Told of every call the fakes serve (a drill joins them to `--sut` answers); may be null.
  CallObserver* calls = nullptr;
};

/// The wall clock in Unix seconds (with a fraction), for what the live shell stamps with real
/// time (the vendor's `created`, the last probe on /metrics). Never on the simulated path.
inline double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace gameday::net
