#pragma once
// A live fake vendor server for the first test profile on 127.0.0.1 (a free port), with the
// faults and metrics it answers from: what the vendor server tests over real HTTP share.
#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "load/loader.hpp"
#include "net/vendor_server.hpp"
#include "support/call_recorder.hpp"
#include "support/fixtures.hpp"

namespace gameday::testing {

/// The first profile of small_fakes() served live: `ttft` to the first token (fixed),
/// `tokens_per_second` pacing streams (0: everything at once), `formats` the wire formats it
/// serves (empty: the profile's own).
struct LiveVendor {
  explicit LiveVendor(Duration ttft = 5 * kMillisecond, double tokens_per_second = 0,
                      std::vector<std::string> formats = {}, net::ServerOptions options = {})
      : fakes(make_fakes(ttft, tokens_per_second, std::move(formats))),
        world(World::generate(fakes.world)),
        ctx{fakes, world, faults, metrics, 7, &calls},
        server(ctx, "primary", std::move(options)) {}

  /// Adds a fault (JSON in the scenario syntax); the test fails when it is refused.
  void fault(const std::string& json) { REQUIRE(faults.add(parse_fault(json))); }
  /// The profile's first model.
  std::string model() const { return fakes.vendors[0].models.front(); }

  Fakes fakes;
  World world;
  net::LiveFaults faults;
  net::LiveMetrics metrics;
  CallRecorder calls;  ///< every model call the server reported
  net::LiveContext ctx;
  net::VendorServer server;

 private:
  static Fakes make_fakes(Duration ttft, double tokens_per_second, std::vector<std::string> formats) {
    Fakes f = small_fakes();
    f.vendors[0].ttft = fixed(ttft);
    f.vendors[0].tokens_per_second = tokens_per_second;
    if (!formats.empty()) f.vendors[0].formats = std::move(formats);
    return f;
  }
};

}  // namespace gameday::testing
