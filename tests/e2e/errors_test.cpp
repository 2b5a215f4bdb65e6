// End-to-end: bad input gets one file:line:col line on stderr and exit code 2.
#include <catch2/catch.hpp>

#include <regex>

#include "e2e_support.hpp"

using e2e::gameday;
using e2e::TempDir;

namespace {

const std::string kFakes = std::string(GAMEDAY_SOURCE_DIR) + "/fakes";

std::string base_scenario(const std::string& duration_line = "duration: 10m",
                          const std::string& rate_line = "  rate: 2",
                          const std::string& kind_line = "    kind: latency",
                          const std::string& extra = "") {
  return "name: t\n" + duration_line + "\nfakes: " + kFakes + "\nworkload:\n" + rate_line +
         "\nfaults:\n  - at: 1m\n    target: vendor:primary\n" + kind_line + "\n    delay: 2s\n" + extra;
}

/// Checks that `args` fails with exit 2 and one line "FILE:LINE:COL: ..." containing `needle`.
void expect_error(const std::string& args, const std::string& file, int line,
                  const std::string& needle) {
  const auto r = gameday(args);
  INFO("stderr: " << r.err);
  REQUIRE(r.code == 2);
  std::smatch m;
  const std::regex re("^(.*):(\\d+):(\\d+): (.*)\n$");
  REQUIRE(std::regex_match(r.err, m, re));
  REQUIRE(m[1].str() == file);
  REQUIRE(std::stoi(m[2].str()) == line);
  REQUIRE(std::stoi(m[3].str()) >= 1);
  REQUIRE(m[4].str().find(needle) != std::string::npos);
}

}  // namespace

TEST_CASE("An unknown scenario key is reported with a did-you-mean suggestion", "[e2e][errors]") {
  TempDir dir;
  const auto f = dir.write("s.yaml", base_scenario("duraton: 10m")).string();
  expect_error("run '" + f + "' -q --out '" + (dir / "out").string() + "'", f, 2, "did you mean 'duration'");
  REQUIRE_FALSE(std::filesystem::exists(dir / "out/journal.jsonl"));  // nothing ran
}

TEST_CASE("A missing required key names the mapping that lacks it", "[e2e][errors]") {
  TempDir dir;
  const auto f = dir.write("s.yaml", base_scenario("duration: 10m", "  rate: 2", "    probability: 1")).string();
  expect_error("validate '" + f + "'", f, 7, "kind");
}

TEST_CASE("A value of the wrong type is reported at its position", "[e2e][errors]") {
  TempDir dir;
  const auto f = dir.write("s.yaml", base_scenario("duration: 10m", "  rate: fast")).string();
  expect_error("validate '" + f + "'", f, 5, "rate");
}

TEST_CASE("A duration written in words is rejected", "[e2e][errors]") {
  TempDir dir;
  const auto f = dir.write("s.yaml", base_scenario("duration: 5 minutes")).string();
  expect_error("run '" + f + "' -q --out '" + (dir / "out").string() + "'", f, 2, "5 minutes");
}

TEST_CASE("An unknown fault kind is rejected", "[e2e][errors]") {
  TempDir dir;
  const auto f = dir.write("s.yaml", base_scenario("duration: 10m", "  rate: 2", "    kind: meltdown")).string();
  expect_error("validate '" + f + "'", f, 9, "meltdown");
}

TEST_CASE("A reference to a missing playbook file is rejected where it is named", "[e2e][errors]") {
  TempDir dir;
  const auto f = dir.write("s.yaml", base_scenario("duration: 10m", "  rate: 2", "    kind: latency",
                                                   "playbooks: [missing-playbook.yaml]\n")).string();
  expect_error("run '" + f + "' -q --out '" + (dir / "out").string() + "'", f, 11, "missing-playbook.yaml");
}

TEST_CASE("An unknown playbook step kind is rejected", "[e2e][errors]") {
  TempDir dir;
  const auto f = dir.write("p.yaml",
                           "name: p\ntrigger: {alert: X}\nsteps:\n  - kind: wait\n    duration: 1m\n"
                           "  - kind: reboot.world\n").string();
  expect_error("validate '" + f + "'", f, 6, "reboot.world");
}

TEST_CASE("A YAML syntax error is reported with its position", "[e2e][errors]") {
  TempDir dir;
  const auto f = dir.write("s.yaml", "name: t\nduration: [10m\nworkload: {rate: 2}\n").string();
  const auto r = gameday("validate '" + f + "'");
  INFO(r.err);
  REQUIRE(r.code == 2);
  REQUIRE(r.err.rfind(f + ":", 0) == 0);
}

TEST_CASE("A scenario file that does not exist is invalid input", "[e2e][errors]") {
  const auto r = gameday("run /nonexistent/scenario.yaml -q");
  REQUIRE(r.code == 2);
  REQUIRE(r.err.rfind("/nonexistent/scenario.yaml:1:1:", 0) == 0);
}

TEST_CASE("A corrupt journal is invalid input for gameday report", "[e2e][errors]") {
  TempDir dir;
  const auto f = dir.write("journal.jsonl", "{\"t_us\":0,\"type\":\"run_start\"\n").string();
  const auto r = gameday("report '" + f + "'");
  REQUIRE(r.code == 2);
  REQUIRE(r.err.find(f) != std::string::npos);
}

TEST_CASE("A trigger alert the scenario lacks is a warning while another trigger can fire and an error when none can", "[e2e][errors]") {
  TempDir dir;
  const std::string alerts =
      "alerts:\n  - {name: Slow, type: threshold, sli: latency_p95, above: 6s}\nplaybooks: [p.yaml]\n";
  const auto s = dir.write("s.yaml", base_scenario("duration: 10m", "  rate: 2", "    kind: latency", alerts)).string();
  const auto p = dir.write("p.yaml", "name: p\ntrigger: {alert: [Slow, Gone]}\nsteps: [{kind: wait, duration: 1m}]\n").string();
  for (const std::string& command : {"validate '" + s + "'", "run '" + s + "' -q --out '" + (dir / "out").string() + "'"}) {
    const auto r = gameday(command);
    INFO(command << "\nstderr: " << r.err);
    REQUIRE(r.code == 0);
    REQUIRE(r.err.find(p + ":2:18: warning: trigger alert 'Gone' is not defined by scenario") != std::string::npos);
  }
  dir.write("p.yaml", "name: p\ntrigger: {alert: Gone}\nsteps: [{kind: wait, duration: 1m}]\n");
  expect_error("validate '" + s + "'", p, 2, "trigger alert 'Gone' is not defined");
}
