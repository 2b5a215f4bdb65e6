#pragma once
// `gameday serve`: the fake vendor and fake EHR over HTTP, with the control API, until
// interrupted.
#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "load/ports.hpp"  // split_host_port

namespace gameday {

/// Options of `gameday serve`.
struct ServeOptions {
  std::string ports;                    ///< --ports FILE ("" = none)
  /// --vendor, repeatable: `ADDR:PORT` for the --vendor-id profile, `ID=ADDR:PORT` for the
  /// profile ID (empty: the ports file's, else any free port of 127.0.0.1).
  std::vector<std::string> vendors;
  std::string vendor_id = "primary";    ///< the profile of the `vendor URL` line and plain --vendor
  std::string ehr;                      ///< ADDR:PORT of the fake EHR ("" = --ports', else 127.0.0.1:0)
  std::string control;                  ///< ADDR:PORT of the control API ("" as ehr)
  std::string faults;                   ///< fault file applied at start ("" = none)
  std::string fakes;                    ///< fakes directory ("" = ./fakes or the embedded copy)
  std::string token;                    ///< bearer token the control API requires ("" = none)
  std::string token_file;               ///< or a file holding it (else GAMEDAY_TOKEN)
  std::uint64_t seed = 1;
  unsigned io_threads = 2;              ///< threads serving the fake vendor
  std::string otlp;                     ///< --otlp URL: the calls served, as spans to a collector ("" = none)
};

/// Registers `serve` on `app`.
CLI::App* add_serve_command(CLI::App& app, ServeOptions& o);

/// Runs `gameday serve`: serves every vendor profile of the fakes, each on its own port, and the
/// EHR; prints `vendor URL` (the --vendor-id profile), `ehr URL`, `control URL`, then one
/// `vendor:<id> URL` line per profile, once listening; serves until SIGINT/SIGTERM; every fault
/// is reverted on the way out. With --otlp, every call served goes to the collector as a SERVER
/// span (of service gameday-fakes) under the caller's traceparent. Exit 0, or 2 on bad options (an address it cannot listen on, an
/// unknown vendor profile), ports file or fault file.
int cmd_serve(const ServeOptions& o);

}  // namespace gameday
