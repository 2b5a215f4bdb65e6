#pragma once
// `gameday slo rules SCENARIO [--out FILE]`: the scenario's alerts as Prometheus alerting rules
// over the metrics a drill exports (the generator is slo/prom_rules; this is the CLI glue).
#include <string>

namespace CLI {
class App;
}

namespace gameday {

/// Options of `gameday slo rules`.
struct SloOptions {
  std::string scenario;  ///< scenario file
  std::string out;       ///< rule file to write ("" = stdout)
};

/// Registers `slo` (with its `rules` subcommand) on `app`, filling `options` when parsed.
CLI::App* add_slo_command(CLI::App& app, SloOptions& options);

/// Runs `gameday slo rules`: 0 when the rules were written, 2 for an invalid scenario (the
/// problems on stderr, as `gameday validate` prints them). Throws ConfigError for unreadable
/// input.
int cmd_slo(const SloOptions& options);

}  // namespace gameday
