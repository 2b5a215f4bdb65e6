// End-to-end: `gameday ci` runs playbook exec and http steps for real, as `gameday run` does
// (each run with its own control API and flags file), names every step that could not run,
// and stops cleanly on SIGINT.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include <sstream>
#include <string>
#include <vector>

#include "e2e_support.hpp"

using e2e::gameday;
using e2e::journal;
using e2e::of_type;
using e2e::slurp;
using e2e::TempDir;
using nlohmann::json;

namespace {

const std::string kDir = "tests/data/exec-failover";
const std::string kScripted = kDir + "/vendor-latency-spike-scripted.yaml";
const std::string kName = "vendor-latency-spike-scripted";

std::string q(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

// What the scripted scenario needs, copied under `dir` at the same relative places (the
// scenario refers to ../../../fakes and the playbook to the core golden set), without the
// failover script.
void copy_without_script(const TempDir& dir) {
  const std::filesystem::path src = GAMEDAY_SOURCE_DIR;
  namespace fs = std::filesystem;
  fs::copy(src / "fakes", dir / "fakes", fs::copy_options::recursive);
  fs::create_directories(dir / "scenarios");
  fs::copy(src / "scenarios/golden", dir / "scenarios/golden", fs::copy_options::recursive);
  fs::create_directories(dir / kDir);
  for (const char* f : {"vendor-latency-spike-scripted.yaml", "failover-by-script.yaml"}) {
    fs::copy_file(src / kDir / f, dir / kDir / f);
  }
}

}  // namespace

TEST_CASE("gameday ci runs a scripted failover as gameday run does, seed by seed", "[e2e][ci][exec]") {
  if (const auto why = e2e::missing("curl", "curl"); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  // Three seeds on three threads: concurrent exec steps, each with its own control API.
  const auto ci = gameday("ci " + kScripted + " --seeds 3 -j 3 --summary " + q(dir / "summary.json") +
                          " --out " + q(dir / "ci"));
  INFO(ci.out << ci.err);
  REQUIRE(ci.code == 0);
  CHECK(ci.out.find("STEP NOT RUN") == std::string::npos);
  for (const int seed : {7, 8, 9}) {
    const std::string s = std::to_string(seed);
    const auto run = gameday("run " + kScripted + " --seed " + s + " -q --out " + q(dir / ("run-" + s)));
    INFO("seed " << s << "\n" << run.err);
    REQUIRE(run.code == 0);
    const auto ci_dir = dir / "ci" / (kName + "-" + s);
    CHECK(slurp(ci_dir / "report.json") == slurp(dir / ("run-" + s) / "report.json"));
    CHECK(slurp(ci_dir / "report.html") == slurp(dir / ("run-" + s) / "report.html"));
    CHECK(slurp(ci_dir / "journal.jsonl") == slurp(dir / ("run-" + s) / "journal.jsonl"));
    // The mitigation ran as a script: its route change came through the control API.
    const auto events = journal(ci_dir / "journal.jsonl");
    const auto ends = of_type(events, "step_end");
    REQUIRE(ends.size() >= 3);
    CHECK(ends[1]["kind"] == "exec");
    CHECK(ends[1]["outcome"] == "ok");
    CHECK(ends[1]["reason"] == "exit 0; 1 control API call");
    CHECK(ends[2]["kind"] == "http");
    CHECK(ends[2]["outcome"] == "ok");
    const auto changes = of_type(events, "control_change");
    REQUIRE_FALSE(changes.empty());
    CHECK(changes[0]["by"] == "exec:route model calls to the secondary vendor by script");
    CHECK(changes[0]["to"] == "secondary");
  }
  const json summary = json::parse(slurp(dir / "summary.json"));
  CHECK(summary["pass"] == true);
  CHECK_FALSE(summary["runs"][0].contains("steps_not_run"));
}

TEST_CASE("gameday ci names every step that could not run and fails the unmitigated run", "[e2e][ci][exec]") {
  TempDir dir;
  copy_without_script(dir);
  const auto r = gameday("ci " + kScripted + " --seeds 1 --summary s.json --junit j.xml", dir.path());
  INFO(r.out << r.err);
  // Without its mitigation the incident runs its course: the expectations fail.
  REQUIRE(r.code == 1);
  CHECK(r.out.find("STEP NOT RUN " + kName + " seed 7: playbook 'failover-by-script', step 'route model "
                   "calls to the secondary vendor by script' (exec): cannot run './failover.sh': No such "
                   "file or directory\n") != std::string::npos);
  CHECK(r.out.find("STEP NOT RUN " + kName + " seed 7: playbook 'failover-by-script', step 'route model "
                   "calls back to the primary vendor by script' (exec, rollback): cannot run "
                   "'./failover.sh'") != std::string::npos);
  CHECK(r.out.find("FAIL " + kName + " seed 7: ttm <= 10m") != std::string::npos);
  CHECK(r.out.find("2 steps could not run") != std::string::npos);
  const json s = json::parse(slurp(dir / "s.json"));
  REQUIRE(s["runs"].size() == 1);
  CHECK(s["runs"][0]["verdict"] == "fail");
  CHECK(s["runs"][0]["steps_not_run"].size() == 2);
  CHECK(slurp(dir / "j.xml").find("step not run: playbook &apos;failover-by-script&apos;") != std::string::npos);
}

TEST_CASE("Interrupting gameday ci stops the runs in flight, runs their rollbacks and exits 3", "[e2e][ci][interrupt]") {
  TempDir dir;
  const std::string scenario = R"(name: ci-interrupt
seed: 3
duration: 6m
fakes: )" + std::string(GAMEDAY_SOURCE_DIR) + R"(/fakes
workload: {rate: 1}
slos:
  - {name: availability, sli: availability, objective: 0.99}
alerts:
  - {name: ErrorsHigh, type: threshold, sli: error_ratio, above: 0.5}
playbooks: [playbook.yaml]
)";
  dir.write("scenario.yaml", scenario);
  dir.write("playbook.yaml", R"(name: slow-mitigation
trigger: {at: 2m}
steps:
  - {name: slow script, kind: exec, argv: [./slow.sh], timeout: 90s}
rollback:
  - {name: leave safe mode, kind: flag.set, flag: safe-mode, variant: "off"}
)");
  const auto script = dir.write("slow.sh", "#!/bin/sh\ntouch \"started-$$\"\nsleep 60\n");
  ::chmod(script.c_str(), 0755);
  const std::string cmd = "cd " + q(dir.path()) + " && { '" + std::string(GAMEDAY_BIN) +
                          "' ci scenario.yaml --seeds 2 -j 2 --out runs --summary s.json > stdout 2> stderr "
                          "< /dev/null & }; pid=$!; "
                          "for i in $(seq 1 600); do [ $(ls | grep -c '^started-') -ge 2 ] && break; sleep 0.05; done; "
                          "kill -INT $pid; wait $pid; echo $? > code";
  REQUIRE(std::system(cmd.c_str()) == 0);
  INFO(slurp(dir / "stdout") << slurp(dir / "stderr"));
  REQUIRE(slurp(dir / "code") == "3\n");
  CHECK(slurp(dir / "stderr").find("interrupted") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "s.json"));
  // Both scripts were running: both runs journaled the killed step, then the rollback.
  for (const char* run : {"runs/ci-interrupt-3/journal.jsonl", "runs/ci-interrupt-4/journal.jsonl"}) {
    INFO(run);
    const auto events = journal(dir / run);
    REQUIRE_FALSE(events.empty());
    CHECK(events.back()["type"] == "run_end");
    CHECK(events.back()["reason"] == "interrupted");
    const auto ends = of_type(events, "step_end");
    REQUIRE(ends.size() == 2);
    CHECK(ends[0]["name"] == "slow script");
    CHECK(ends[0]["outcome"] != "ok");
    CHECK(ends[1]["name"] == "leave safe mode");
    CHECK(ends[1]["rollback"] == true);
    CHECK(ends[1]["outcome"] == "ok");
  }
}
