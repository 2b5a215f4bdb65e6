#pragma once
// What every live server shares: the fake world, the live fault set, the metrics and the seed.
// Owned by the command that starts the servers (`gameday serve`, `gameday drill`); it must
// outlive them.
#include <cstdint>

#include "spec/model.hpp"
#include "fakes/world.hpp"
#include "net/http_server.hpp"
#include "net/live_faults.hpp"
#include "net/live_metrics.hpp"

namespace gameday::net {

/// The shared state of the live servers.
struct LiveContext {
  const Fakes& fakes;
  const World& world;
  LiveFaults& faults;
  LiveMetrics& metrics;
  std::uint64_t seed = 1;  ///< seeds each server's random stream (Rng::for_component)
};

}  // namespace gameday::net
