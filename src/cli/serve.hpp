#pragma once
// `gameday serve`: the fake vendor and fake EHR over HTTP, with the control API, until
// interrupted.
#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

namespace gameday {

/// Options of `gameday serve`.
struct ServeOptions {
  std::string vendor = "127.0.0.1:0";   ///< ADDR:PORT of the fake vendor (port 0: any free port)
  std::string vendor_id = "primary";    ///< which vendors.yaml profile it serves
  std::string ehr = "127.0.0.1:0";      ///< ADDR:PORT of the fake EHR
  std::string control = "127.0.0.1:0";  ///< ADDR:PORT of the control API
  std::string faults;                   ///< fault file applied at start ("" = none)
  std::string fakes;                    ///< fakes directory ("" = ./fakes or the embedded copy)
  std::string token;                    ///< bearer token the control API requires ("" = none)
  std::string token_file;               ///< or a file holding it (else GAMEDAY_TOKEN)
  std::uint64_t seed = 1;
  unsigned io_threads = 2;              ///< threads serving the fake vendor
};

/// Registers `serve` on `app`.
CLI::App* add_serve_command(CLI::App& app, ServeOptions& o);

/// Runs `gameday serve`: prints `vendor URL`, `ehr URL`, `control URL` once listening, then
/// serves until SIGINT/SIGTERM; every fault is reverted on the way out. Exit 0, or 2 on bad
/// options (an address it cannot listen on too) or fault file.
int cmd_serve(const ServeOptions& o);

/// Splits "ADDR:PORT"; false when malformed.
bool split_host_port(const std::string& text, std::string& host, std::uint16_t& port);

}  // namespace gameday
