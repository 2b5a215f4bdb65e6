// End-to-end: the shipped tool-flow scenario (scenarios/tool-call-faults.yaml) under `gameday run`
// and `gameday ci`, in a drill of the built-in assistant, and refused for a --sut service.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>

#include "e2e_support.hpp"

using e2e::gameday;
using e2e::slurp;
using e2e::TempDir;
using nlohmann::json;

namespace {

const std::string kTools = "scenarios/tool-call-faults.yaml";

std::string q(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

}  // namespace

TEST_CASE("gameday run and gameday ci agree on the tool-flow scenario", "[e2e][run][ci][tools]") {
  TempDir dir;
  const auto run = gameday("run " + kTools + " -q --out " + q(dir / "run"));
  INFO(run.err);
  REQUIRE(run.code == 0);
  const auto ci = gameday("ci " + kTools + " --seeds 1 --summary " + q(dir / "s.json") + " --out " + q(dir / "ci"));
  INFO(ci.out << ci.err);
  REQUIRE(ci.code == 0);
  // Seed 0 of ci is the scenario's own seed: the same run, byte for byte.
  const std::string journal = slurp(dir / "run/journal.jsonl");
  CHECK(journal == slurp(dir / "ci/tool-call-faults-7/journal.jsonl"));
  CHECK(slurp(dir / "run/report.json") == slurp(dir / "ci/tool-call-faults-7/report.json"));
  const json report = json::parse(slurp(dir / "run/report.json"));
  CHECK(report["verdict"] == "pass");
  const json& by_kind = report["metrics"]["unsafe_by_kind"];
  CHECK(by_kind["unoffered_tool_call"].get<long>() > 0);
  CHECK(by_kind["wrong_patient"].get<long>() > 0);
  CHECK(journal.find("\"cause\":\"tool_loop\"") != std::string::npos);
  const json s = json::parse(slurp(dir / "s.json"));
  CHECK(s["runs"][0]["verdict"] == "pass");
  CHECK(s["runs"][0]["seed"] == report["seed"]);
}

TEST_CASE("A drill of the built-in assistant runs the tool flow and scores its tool faults", "[e2e][drill][tools]") {
  TempDir dir;
  // Two minutes at 8x: the faults start at T+1:40 of the shortened timeline.
  const auto r = gameday("drill " + kTools + " --duration 2m --speed 8 -q --out " + q(dir / "out"));
  INFO(r.err);
  REQUIRE((r.code == 0 || r.code == 1));  // a shortened drill may miss the scenario's time targets
  const json report = json::parse(slurp(dir / "out/report.json"));
  CHECK(report["mode"] == "live");
  const json& by_kind = report["metrics"]["unsafe_by_kind"];
  CHECK(by_kind.value("unoffered_tool_call", 0L) > 0);
  CHECK(by_kind.value("wrong_patient", 0L) > 0);
}

TEST_CASE("A --sut drill refuses a scenario whose assistant runs the tool flow, with exit 2", "[e2e][drill][tools][errors]") {
  const auto r = gameday("drill " + kTools + " --sut http://127.0.0.1:9 -q");
  CHECK(r.code == 2);
  CHECK(r.err.find("which only the built-in assistant has") != std::string::npos);
}
