// `gameday golden SET`: a golden set on its own against the built-in assistant, in simulated
// time with no faults, as a team runs its eval suite before a deploy.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli/ci.hpp"
#include "cli/exit_codes.hpp"
#include "load/error.hpp"
#include "load/files.hpp"
#include "load/loader.hpp"
#include "engine/golden.hpp"
#include "sim/journal.hpp"

namespace gameday {
namespace {

std::string percent(double ratio) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g%%", ratio * 100);
  return buf;
}

}  // namespace

CLI::App* add_golden_command(CLI::App& app, GoldenOptions& o) {
  auto* golden = app.add_subcommand(
      "golden", "run a golden set against the built-in assistant (simulated time, no faults)");
  golden->add_option("set", o.set, "golden set file (e.g. scenarios/golden/core.yaml)")->required();
  golden->add_option("--fakes", o.fakes,
                     "fakes directory (default: ./fakes when present, else the embedded copy)");
  golden->add_option("--seed", o.seed, "random seed (default 1)");
  return golden;
}

int cmd_golden(const GoldenOptions& o) {
  const DiskFiles disk;
  const auto problems = validate_files({o.set}, disk);
  if (!problems.empty()) {
    for (const auto& p : problems) std::cerr << p << "\n";
    return kExitInvalid;
  }
  if (detect_kind(o.set, disk) != FileKind::kGoldenSet) {
    std::cerr << o.set << ":1:1: not a golden set (a golden set has 'cases')\n";
    return kExitInvalid;
  }
  const GoldenSet set = load_golden_set(o.set, disk);

  std::error_code ec;
  std::string fakes_dir = o.fakes.empty() ? "fakes" : o.fakes;
  const bool embedded = o.fakes.empty() && !std::filesystem::is_directory(fakes_dir, ec);
  if (!o.fakes.empty() && !std::filesystem::is_directory(fakes_dir, ec)) {
    std::cerr << "gameday golden: --fakes " << fakes_dir << ": no such directory\n";
    return kExitInvalid;
  }
  const Fakes fakes = embedded ? load_fakes(fakes_dir, embedded_files()) : load_fakes(fakes_dir, disk);

  Journal journal;
  const GoldenSetResult r = run_golden_set(fakes, set, o.seed, journal);

  std::size_t width = 4;
  for (const auto& c : r.cases) width = std::max(width, c.id.size());
  std::string out = "golden set " + set.name + " (" + o.set + "): " + std::to_string(r.total) +
                    (r.total == 1 ? " case" : " cases") + ", built-in assistant on " +
                    (embedded ? "the embedded fakes" : fakes_dir + "/") + ", seed " + std::to_string(o.seed) +
                    ", no faults\n";
  for (const auto& c : r.cases) {
    std::string line = std::string("  ") + (c.pass ? "PASS  " : "FAIL  ") + c.id;
    if (!c.reason.empty() || c.latency > 0) line += std::string(width - c.id.size(), ' ');
    if (c.latency > 0) line += "  " + format_duration(c.latency);
    if (!c.pass) line += "  " + c.reason;
    out += line + "\n";
  }
  out += "pass rate " + percent(r.pass_rate) + " (" + std::to_string(r.passed) + "/" +
         std::to_string(r.total) + "), minimum " + percent(r.min_pass_rate) + ": " +
         (r.ok ? "PASS" : "FAIL") + "\n";
  std::cout << out;
  return r.ok ? kExitPass : kExitFail;
}

}  // namespace gameday
