// End-to-end: every scenario of the shipped library under `gameday ci` at 50 seeds, with every
// run's report kept by `--out`, checked incident by incident against the scorer's rules, and the
// summary's per-incident records checked against the reports they came from.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "e2e_support.hpp"

using e2e::gameday;
using e2e::slurp;
using e2e::TempDir;
using nlohmann::json;

namespace {

constexpr int kSeeds = 50;
// Seconds are printed with microsecond resolution; sums of them may differ in the last bits.
constexpr double kSlack = 1e-6;

std::string q(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

// A change as the scorer names it in mitigated_by: "what key from -> to by who".
std::string describe_change(const json& c) {
  const std::string key = c["key"].get<std::string>();
  return c["what"].get<std::string>() + (key.empty() ? "" : " " + key) + " " + c["from"].get<std::string>() +
         " -> " + c["to"].get<std::string>() + " by " + c["by"].get<std::string>();
}

double num(const json& v) { return v.get<double>(); }

// Appends to `findings` each rule `x` (one incident of `report`) breaks, prefixed with `where`.
void check_incident(const json& report, const json& x, const std::string& where, std::vector<std::string>& findings) {
  const std::string by = x["mitigated_by"].is_null() ? "" : x["mitigated_by"].get<std::string>();
  const std::string id = where + " incident " + x["id"].get<std::string>() + ": ";
  const bool by_change = !by.empty() && by != "fault_end" && by != "automatic";
  if (by_change && !x["t_m_s"].is_null()) {
    // The change it names, at or after the incident's first harm (the scorer considers no
    // earlier one); when the same change was made several times, one at or before t_m will do.
    const double t_i = num(x["t_i_s"]);
    const double t_m = num(x["t_m_s"]);
    std::optional<double> earliest;
    bool before_t_m = false;
    for (const json& c : report["changes"]) {
      if (describe_change(c) != by || num(c["at_s"]) < t_i - kSlack) continue;
      if (!earliest) earliest = num(c["at_s"]);
      before_t_m = before_t_m || num(c["at_s"]) <= t_m + kSlack;
    }
    if (!earliest) {
      findings.push_back(id + "mitigated_by '" + by + "' names no change at or after t_i " + x["t_i_s"].dump());
    } else if (!before_t_m) {
      findings.push_back(id + "t_m " + x["t_m_s"].dump() + " s is before the change that mitigated it ('" + by +
                         "' at " + std::to_string(*earliest) + " s)");
    }
  }
  if (by_change && !x["ttm_s"].is_null() && !x["ttd_s"].is_null() && num(x["ttm_s"]) < num(x["ttd_s"]) - kSlack) {
    findings.push_back(id + "ttm_s " + x["ttm_s"].dump() + " < ttd_s " + x["ttd_s"].dump() +
                       " though mitigated by a change ('" + by + "', detected by " + x["detected_by"].dump() + ")");
  }
}

// Appends to `findings` each rule the run's report breaks; checks that the summary's record of
// the run (`run`) lists the report's incidents with their figures.
void check_run(const json& report, const json& run, const std::string& file, std::vector<std::string>& findings) {
  const std::string seed = std::to_string(run["seed"].get<long>());
  const std::string where = run["scenario"].get<std::string>() + " seed " + seed + " (gameday run " + file +
                            " --seed " + seed + ")";
  long unsafe = report["background"]["unsafe"].get<long>();
  for (const json& x : report["incidents"]) {
    unsafe += x["unsafe"].get<long>();
    check_incident(report, x, where, findings);
  }
  if (unsafe != report["metrics"]["unsafe_responses"].get<long>()) {
    findings.push_back(where + ": unsafe of incidents + background = " + std::to_string(unsafe) +
                       ", the run's unsafe = " + report["metrics"]["unsafe_responses"].dump());
  }
  const json& kept = run["incidents"];
  bool same = kept.size() == report["incidents"].size();
  for (std::size_t k = 0; same && k < kept.size(); ++k) {
    const json& x = report["incidents"][k];
    const json& m = kept[k]["metrics"];
    same = kept[k]["id"] == x["id"] && m["ttd"] == x["ttd_s"] && m["ttm"] == x["ttm_s"] && m["ttr"] == x["ttr_s"] &&
           m["failed"] == x["failed"] && m["unsafe"] == x["unsafe"];
  }
  if (!same) findings.push_back(where + ": the summary's incidents differ from the report's");
}

// The reports of one scenario's ci runs (journals and all: about 10 MB a run, so one scenario
// at a time keeps the disk used near 0.5 GB instead of the library's 5 GB).
json sweep_scenario(const TempDir& dir, const std::filesystem::path& file) {
  const std::string name = file.stem().string();
  const auto r = gameday("ci scenarios/" + file.filename().string() + " --seeds " + std::to_string(kSeeds) +
                         " --no-progress --no-traces --summary " + q(dir / (name + ".json")) + " --out " + q(dir / name));
  INFO(r.out << r.err);
  // A scenario missing its expectations at some seed is ci's verdict, not this test's.
  REQUIRE((r.code == 0 || r.code == 1));
  CHECK(r.out.find("; runs: " + (dir / name).string() + "/") != std::string::npos);
  return json::parse(slurp(dir / (name + ".json")));
}

}  // namespace

TEST_CASE("Across the library at 50 seeds no incident is mitigated before its change and harm adds up", "[e2e][ci][library][slow]") {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(std::string(GAMEDAY_SOURCE_DIR) + "/scenarios")) {
    if (e.is_regular_file() && e.path().extension() == ".yaml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 10);

  std::vector<std::string> findings;
  long runs = 0;
  long incidents = 0;
  for (const auto& file : files) {
    TempDir dir;
    const json summary = sweep_scenario(dir, file);
    REQUIRE(summary["runs"].size() == static_cast<std::size_t>(kSeeds));
    const std::string replay_file = "scenarios/" + file.filename().string();
    for (const json& run : summary["runs"]) {
      const std::string name = file.stem().string() + "/" + run["scenario"].get<std::string>() + "-" +
                               std::to_string(run["seed"].get<long>());
      const json report = json::parse(slurp(dir / name / "report.json"));
      ++runs;
      incidents += static_cast<long>(report["incidents"].size());
      check_run(report, run, replay_file, findings);
    }
  }
  std::string shown;
  for (std::size_t k = 0; k < findings.size() && k < 40; ++k) shown += findings[k] + "\n";
  INFO(findings.size() << " findings over " << runs << " runs and " << incidents << " incidents:\n" << shown);
  CHECK(incidents > 0);
  CHECK(findings.empty());
}
