// End-to-end: every scenario in the library, with and without its playbook, over several seeds.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <limits>
#include <filesystem>
#include <regex>
#include <string_view>

#include "e2e_support.hpp"

using e2e::gameday;
using e2e::kLibrary;
using e2e::slurp;
using e2e::TempDir;
using nlohmann::json;

namespace {


// Whether `text` holds what the PHI regex of the scan below matches, without std::regex: a
// traces file is several times the size of a journal.
bool holds_identifier(const std::string& text) {
  auto digit = [&](std::size_t i) { return i < text.size() && text[i] >= '0' && text[i] <= '9'; };
  for (const char* prefix : {"SYN-", "SYNM-", "pat-"}) {
    const std::size_t n = std::string_view(prefix).size();
    for (std::size_t at = text.find(prefix); at != std::string::npos; at = text.find(prefix, at + 1)) {
      const bool pat = prefix[0] == 'p';
      if (pat ? digit(at + n) && digit(at + n + 1) && digit(at + n + 2) && digit(at + n + 3) : digit(at + n)) {
        return true;
      }
    }
  }
  // "(ddd) 555-01dd"
  for (std::size_t at = text.find(") 555-01"); at != std::string::npos; at = text.find(") 555-01", at + 1)) {
    if (at >= 4 && text[at - 4] == '(' && digit(at - 3) && digit(at - 2) && digit(at - 1) && digit(at + 8) &&
        digit(at + 9)) {
      return true;
    }
  }
  return false;
}

json run(const TempDir& dir, const std::string& scenario, int seed, bool playbooks) {
  const std::string out = (dir / (scenario + "-" + std::to_string(seed) + (playbooks ? "-pb" : "-nopb"))).string();
  // The traces file is checked by the PHI scan and tests/e2e/traces_test.cpp, not here.
  const auto r = gameday("run scenarios/" + scenario + ".yaml -q --no-traces --seed " + std::to_string(seed) +
                         (playbooks ? "" : " --no-playbooks") + " --out '" + out + "'");
  INFO(scenario << " seed " << seed << ": " << r.err);
  REQUIRE((r.code == 0 || r.code == 1));
  return json::parse(slurp(out + "/report.json"));
}

/// TTM in seconds; a run that never mitigated counts as never (+infinity).
double ttm(const json& report) {
  const json& v = report["metrics"]["ttm_s"];
  return v.is_null() ? std::numeric_limits<double>::infinity() : v.get<double>();
}

long exposure(const json& report) { return report["metrics"]["exposure"]["total"].get<long>(); }

}  // namespace

TEST_CASE("Every library scenario's playbook shortens mitigation and cuts unsafe exposure", "[e2e][library][slow]") {
  TempDir dir;
  for (const auto& scenario : kLibrary) {
    for (int seed : {1, 2, 3}) {
      const json with = run(dir, scenario, seed, true);
      const json without = run(dir, scenario, seed, false);
      INFO(scenario << " seed " << seed << ": ttm " << with["metrics"]["ttm_s"] << " vs "
                    << without["metrics"]["ttm_s"] << ", exposure " << exposure(with) << " vs "
                    << exposure(without));
      REQUIRE(ttm(with) < ttm(without));
      // Incidents that put unsafe answers in front of users must put fewer there with the
      // playbook; incidents that fail closed (latency, 429s, EHR timeouts) expose none either way.
      if (exposure(without) > 0) {
        REQUIRE(exposure(with) < exposure(without));
      } else {
        REQUIRE(exposure(with) == 0);
      }
    }
  }
}

TEST_CASE("Wrong-patient retrieval gives well-cited wrong answers", "[e2e][library]") {
  TempDir dir;
  const json r = run(dir, "wrong-patient-retrieval", 1, false);
  const json& m = r["metrics"];
  const double citation_validity = m["citation_validity"].get<double>();
  const double correct_ratio = m["correctness"]["correct_ratio"].get<double>();
  INFO("citation validity " << citation_validity << ", correct " << correct_ratio);
  REQUIRE(citation_validity > 0.97);
  REQUIRE(correct_ratio < 0.9);
  REQUIRE(citation_validity - correct_ratio > 0.1);
  REQUIRE(m["unsafe_by_kind"]["wrong_patient"].get<long>() > 0);
}

TEST_CASE("Prompt injection is measured by canaries as attack success and utility under attack", "[e2e][library]") {
  TempDir dir;
  const json r = run(dir, "indirect-prompt-injection", 1, false);
  const json& a = r["metrics"]["attack"];
  REQUIRE(a["attempted"].get<long>() > 100);
  REQUIRE(a["succeeded"].get<long>() > 0);
  const double asr = a["attack_success_rate"].get<double>();
  REQUIRE(asr > 0.2);
  REQUIRE(asr < 0.8);
  REQUIRE(a["utility_under_attack"].get<double>() < 1.0);
  REQUIRE(r["metrics"]["unsafe_by_kind"]["injection_followed"].get<long>() > 0);
}

TEST_CASE("No output of the scenario library holds a synthetic patient identifier", "[e2e][library][phi][slow]") {
  TempDir dir;
  const std::regex phi(R"(SYN-\d|SYNM-\d|PA-SYN-\d|\(\d{3}\) 555-01\d\d|pat-\d{4})");
  for (const char* id : {"SYN-0012345", "SYNM-1", "PA-SYN-9", "(617) 555-0142", "pat-0042"}) REQUIRE(holds_identifier(id));
  for (const char* not_id : {"pt-3fa9c2d1", "SYN-", "pat-12", "555-0142", "(61) 555-0142"}) {
    REQUIRE_FALSE(holds_identifier(not_id));
  }
  for (const auto& scenario : kLibrary) {
    for (bool playbooks : {true, false}) {
      const std::string out = (dir / (scenario + (playbooks ? "-pb" : "-nopb"))).string();
      const auto r = gameday("run scenarios/" + scenario + ".yaml --seed 5" +
                             (playbooks ? "" : " --no-playbooks") + " --out '" + out + "'");
      REQUIRE((r.code == 0 || r.code == 1));
      INFO(scenario);
      REQUIRE_FALSE(std::regex_search(r.out, phi));
      REQUIRE_FALSE(std::regex_search(r.err, phi));
      for (const char* f : {"journal.jsonl", "report.json", "report.md", "report.html"}) {
        INFO(f);
        REQUIRE_FALSE(std::regex_search(slurp(out + "/" + f), phi));
      }
      // Every span attribute of every request (PA-SYN-d holds SYN-d: one search covers both).
      const std::string traces = slurp(out + "/traces.otlp.jsonl");
      REQUIRE(traces.size() > 1000);
      REQUIRE_FALSE(holds_identifier(traces));
      std::filesystem::remove_all(out);
    }
  }
}

TEST_CASE("Every library scenario passes its own expectations with its playbook at its seed", "[e2e][library]") {
  TempDir dir;
  for (const auto& scenario : kLibrary) {
    const auto r = gameday("run scenarios/" + scenario + ".yaml -q --out '" + (dir / scenario).string() + "'");
    INFO(scenario << ": " << r.err << r.out);
    REQUIRE(r.code == 0);
  }
}

TEST_CASE("Every library scenario fails its own expectations without its playbook at its seed", "[e2e][library]") {
  TempDir dir;
  for (const auto& scenario : kLibrary) {
    const auto r = gameday("run scenarios/" + scenario + ".yaml -q --no-playbooks --out '" +
                           (dir / scenario).string() + "'");
    INFO(scenario << ": " << r.err << r.out);
    REQUIRE(r.code == 1);
  }
}

TEST_CASE("The ramp, flapping, relapse, escalation and per-dependency scenarios pass ci over ten seeds", "[e2e][library][ci]") {
  std::string files;
  for (const char* s : {"vendor-error-ramp", "flapping-ehr", "prompt-relapse-while-firing",
                        "approval-timeout-escalation", "embeddings-outage", "ehr-errors-per-dependency"}) {
    files += " scenarios/" + std::string(s) + ".yaml";
  }
  TempDir dir;
  const auto r = gameday("ci" + files + " --seeds 10 -j 2 --summary '" + (dir / "summary.json").string() + "'");
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  const json summary = json::parse(slurp(dir / "summary.json"));
  REQUIRE(summary["pass"] == true);
  REQUIRE(summary["totals"]["runs"] == 60);
  REQUIRE(summary["totals"]["passed"] == 60);
}
