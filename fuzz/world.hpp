#pragma once
// The shipped fakes (embedded copy) and the world generated from them, built once per fuzzer
// process: what the live servers serve by default.
#include "load/loader.hpp"
#include "fakes/world.hpp"

namespace gameday::fuzz {

/// The embedded fakes/ directory, loaded.
inline const Fakes& shipped_fakes() {
  static const Fakes fakes = load_fakes("fakes", embedded_files());
  return fakes;
}

/// The world of the shipped fakes.
inline const World& shipped_world() {
  static const World world = World::generate(shipped_fakes().world);
  return world;
}

}  // namespace gameday::fuzz
