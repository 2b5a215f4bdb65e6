// End-to-end: the real gameday binary on the shipped scenarios.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <regex>

#include "e2e_support.hpp"

using e2e::gameday;
using e2e::slurp;
using e2e::TempDir;
using nlohmann::json;

namespace {

json read_json(const std::filesystem::path& p) { return json::parse(slurp(p)); }

}  // namespace

TEST_CASE("gameday run with no scenario runs the embedded default and passes", "[e2e][run]") {
  TempDir dir;
  // Run from an empty directory: the default scenario needs no files on disk.
  const auto r = gameday("run --out '" + (dir / "out").string() + "'", dir.path());
  INFO(r.err);
  REQUIRE(r.code == 0);
  REQUIRE(std::filesystem::exists(dir / "out/journal.jsonl"));
  REQUIRE(std::filesystem::exists(dir / "out/report.md"));
  const json report = read_json(dir / "out/report.json");
  REQUIRE(report["scenario"] == "vendor-latency-spike");
  REQUIRE(report["verdict"] == "pass");
  REQUIRE(report["seed"] == 7);
  const json& m = report["metrics"];
  for (const char* key : {"ttd_s", "tta_s", "ttm_s", "ttr_s"}) {
    INFO(key);
    REQUIRE(m.contains(key));
    REQUIRE(m[key].is_number());
  }
  REQUIRE(m["requests"].get<long>() > 1000);
  REQUIRE(m["failed_requests"].get<long>() > 0);
  REQUIRE(m["unsafe_responses"].get<long>() == 0);
  REQUIRE(r.out.find("TTD") != std::string::npos);
}

TEST_CASE("The same scenario and seed give byte-identical journals and reports", "[e2e][determinism]") {
  TempDir dir;
  const std::string scenario = "scenarios/vendor-latency-spike.yaml";
  REQUIRE(gameday("run " + scenario + " --seed 11 -q --out '" + (dir / "a").string() + "'").code == 0);
  REQUIRE(gameday("run " + scenario + " --seed 11 -q --out '" + (dir / "b").string() + "'").code == 0);
  REQUIRE(gameday("run " + scenario + " --seed 12 -q --out '" + (dir / "c").string() + "'").code <= 1);
  const std::string ja = slurp(dir / "a/journal.jsonl");
  REQUIRE(ja.size() > 100000);
  REQUIRE(ja == slurp(dir / "b/journal.jsonl"));
  REQUIRE(slurp(dir / "a/report.json") == slurp(dir / "b/report.json"));
  REQUIRE(ja != slurp(dir / "c/journal.jsonl"));
}

TEST_CASE("The playbook shortens mitigation compared with the same incident without it", "[e2e][run]") {
  TempDir dir;
  const auto with = gameday("run scenarios/vendor-latency-spike.yaml -q --out '" + (dir / "with").string() + "'");
  const auto without = gameday("run examples/vendor-latency-spike-no-playbook.yaml -q --out '" +
                               (dir / "without").string() + "'");
  REQUIRE(with.code == 0);
  REQUIRE(without.code == 1);  // its expectations (ttm <= 10m) cannot hold without a failover
  const json a = read_json(dir / "with/report.json");
  const json b = read_json(dir / "without/report.json");
  REQUIRE(a["metrics"]["ttm_s"].get<double>() < b["metrics"]["ttm_s"].get<double>());
  REQUIRE(a["metrics"]["failed_requests"].get<long>() < b["metrics"]["failed_requests"].get<long>());
  REQUIRE(b["verdict"] == "fail");
  REQUIRE_FALSE(a["playbooks"].empty());
  REQUIRE(b["playbooks"].empty());
}

TEST_CASE("Running with --no-playbooks leaves the incident unmitigated and fails its expectations", "[e2e][run]") {
  TempDir dir;
  const auto r = gameday("run scenarios/vendor-latency-spike.yaml --no-playbooks -q --out '" + dir.path().string() + "'");
  REQUIRE(r.code == 1);
  const json report = read_json(dir / "report.json");
  REQUIRE(report["playbooks_enabled"] == false);
  REQUIRE(report["verdict"] == "fail");
}

TEST_CASE("gameday report rebuilds the same report from the journal alone", "[e2e][report]") {
  TempDir dir;
  REQUIRE(gameday("run -q --out '" + (dir / "run").string() + "'", dir.path()).code == 0);
  std::filesystem::create_directories(dir / "rebuilt");
  std::filesystem::copy_file(dir / "run/journal.jsonl", dir / "rebuilt/journal.jsonl");
  const auto r = gameday("report -q '" + (dir / "rebuilt/journal.jsonl").string() + "'");
  INFO(r.err);
  REQUIRE(r.code == 0);
  REQUIRE(slurp(dir / "rebuilt/report.json") == slurp(dir / "run/report.json"));
  REQUIRE(slurp(dir / "rebuilt/report.md") == slurp(dir / "run/report.md"));
  REQUIRE(slurp(dir / "rebuilt/report.html") == slurp(dir / "run/report.html"));
}

TEST_CASE("Journals and reports never contain synthetic patient identifiers", "[e2e][phi]") {
  TempDir dir;
  REQUIRE(gameday("run -q --out '" + dir.path().string() + "'", dir.path()).code == 0);
  // MRNs, member ids, prior-auth refs, fictional phone numbers, note ids naming patients.
  const std::regex phi(R"(SYN-\d|SYNM-\d|PA-SYN-\d|\(\d{3}\) 555-01\d\d|pat-\d{4})");
  for (const char* f : {"journal.jsonl", "report.json", "report.md"}) {
    INFO(f);
    const std::string text = slurp(dir / f);
    REQUIRE_FALSE(std::regex_search(text, phi));
  }
}

TEST_CASE("gameday validate accepts every shipped scenario, playbook and golden set", "[e2e][validate]") {
  const auto r = gameday(
      "validate scenarios/vendor-latency-spike.yaml examples/vendor-latency-spike-no-playbook.yaml "
      "playbooks/vendor-failover.yaml scenarios/golden/core.yaml");
  INFO(r.err);
  REQUIRE(r.code == 0);
}

TEST_CASE("An unknown command-line option is invalid input", "[e2e][errors]") {
  REQUIRE(gameday("run --bogus").code == 2);
  REQUIRE(gameday("frobnicate").code == 2);
}

TEST_CASE("A journal that breaks an invariant is reported and exits 3 naming it", "[e2e][report][invariants]") {
  TempDir dir;
  REQUIRE(gameday("run -q --out '" + (dir / "run").string() + "'", dir.path()).code == 0);
  // The same request journaled twice, as an engine that ended a request twice would write it.
  const std::string journal = slurp(dir / "run/journal.jsonl");
  const auto first = journal.find("\"type\":\"request\"");
  REQUIRE(first != std::string::npos);
  const auto begin = journal.rfind('\n', first) + 1;
  const auto end = journal.find('\n', first) + 1;
  const auto next = journal.find('\n', end) + 1;
  std::filesystem::create_directories(dir / "broken");
  {
    std::ofstream out(dir / "broken/journal.jsonl", std::ios::binary);
    // The duplicate goes after the next line, so journal time still only moves forward.
    out << journal.substr(0, next) << journal.substr(begin, end - begin) << journal.substr(next);
  }
  const auto r = gameday("report -q '" + (dir / "broken/journal.jsonl").string() + "'");
  INFO(r.err);
  CHECK(r.code == 3);
  CHECK(r.err.find("invariant violated") != std::string::npos);
  CHECK(r.err.find("request_once") != std::string::npos);
  // What was scored is still written, for the bug report.
  CHECK(std::filesystem::exists(dir / "broken/report.json"));
}
