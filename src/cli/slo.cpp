// `gameday slo rules`: loads and validates a scenario, then writes its alerts as Prometheus
// rules (slo/prom_rules.hpp) to a file or stdout.
#include "cli/slo.hpp"

#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>

#include "cli/bundle.hpp"
#include "cli/exit_codes.hpp"
#include "load/files.hpp"
#include "load/loader.hpp"
#include "slo/prom_rules.hpp"

namespace gameday {

CLI::App* add_slo_command(CLI::App& app, SloOptions& options) {
  auto* slo = app.add_subcommand("slo", "SLO tooling for live drills");
  slo->require_subcommand(1);
  auto* rules = slo->add_subcommand(
      "rules", "write the scenario's alerts as Prometheus alerting rules over gameday's /metrics");
  rules->add_option("scenario", options.scenario, "scenario file")->required();
  rules->add_option("--out", options.out, "rule file to write (default: stdout)");
  return slo;
}

int cmd_slo(const SloOptions& options) {
  const DiskFiles disk;
  std::vector<std::string> warnings;
  const auto problems = validate_files({options.scenario}, disk, &warnings);
  for (const auto& w : warnings) std::cerr << w << "\n";
  if (!problems.empty()) {
    for (const auto& p : problems) std::cerr << p << "\n";
    return kExitInvalid;
  }
  const ScenarioBundle bundle = load_bundle(options.scenario, disk);
  std::string yaml;
  try {
    yaml = prometheus_rules_yaml(bundle.scenario);
  } catch (const std::invalid_argument& e) {
    std::cerr << options.scenario << ": " << e.what() << "\n";
    return kExitInvalid;
  }
  if (options.out.empty() || options.out == "-") {
    std::cout << yaml;
    return kExitPass;
  }
  const auto parent = std::filesystem::path(options.out).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  std::ofstream out(options.out, std::ios::binary);
  out << yaml;
  if (!out) throw std::runtime_error("cannot write " + options.out);
  return kExitPass;
}

}  // namespace gameday
