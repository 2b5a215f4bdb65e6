// End-to-end: a playbook's exec step runs a real script that acts on the simulated assistant
// through the control API ($GAMEDAY_CONTROL_URL, with curl) and the flags file
// ($GAMEDAY_FLAGS_FILE), while virtual time stands still.
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

void write_script(const TempDir& dir, const std::string& name, const std::string& body) {
  const auto p = dir.write(name, "#!/bin/sh\n" + body);
  ::chmod(p.c_str(), 0755);
}

// A short scenario whose playbook starts at 2m (a time trigger) and runs `steps`.
void write_drill(const TempDir& dir, const std::string& steps, const std::string& rollback) {
  dir.write("scenario.yaml", std::string(R"(name: exec-drill
seed: 3
duration: 6m
fakes: )") + GAMEDAY_SOURCE_DIR + R"(/fakes
workload: {rate: 1}
slos:
  - {name: availability, sli: availability, objective: 0.99}
alerts:
  - {name: ErrorsHigh, type: threshold, sli: error_ratio, above: 0.5}
playbooks: [playbook.yaml]
)");
  dir.write("playbook.yaml", "name: scripted-mitigation\ntrigger: {at: 2m}\nsteps:\n" + steps +
                                 "rollback:\n" + rollback);
}

constexpr const char* kCurl = "curl --noproxy '*' -sf";

// Runs `gameday run scenario.yaml` in `dir` and sends it SIGINT each time one of `files`
// appears there (in order), then waits for it: its exit code goes to dir/code, its output to
// dir/stdout and dir/stderr.
void interrupt_run(const TempDir& dir, const std::vector<std::string>& files) {
  std::string script = "cd '" + dir.path().string() + "' && { '" + std::string(GAMEDAY_BIN) +
                       "' run scenario.yaml -q --out out > stdout 2> stderr < /dev/null & }; pid=$!; ";
  for (const auto& f : files) {
    script += "for i in $(seq 1 600); do [ -f " + f + " ] && break; sleep 0.05; done; kill -INT $pid; ";
  }
  script += "wait $pid; echo $? > code";
  REQUIRE(std::system(script.c_str()) == 0);
}

}  // namespace

TEST_CASE("An exec step's script changes the simulated assistant at the step's virtual time", "[e2e][playbook][exec]") {
  if (const auto why = e2e::missing("curl", "curl"); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  write_script(dir, "mitigate.sh",
               std::string(kCurl) + " -X PUT -H 'Content-Type: application/json' -d '{\"variant\":\"on\"}' "
               "\"$GAMEDAY_CONTROL_URL/v1/assistant/flags/safe-mode\" > /dev/null || exit 3\n" +
               kCurl + " -X PUT -d '{\"version\":\"v1\"}' \"$GAMEDAY_CONTROL_URL/v1/assistant/prompt\" > /dev/null || exit 4\n"
               "sed '/\"auto-failover\"/,/defaultVariant/ s/\"defaultVariant\": \"off\"/\"defaultVariant\": \"on\"/' "
               "\"$GAMEDAY_FLAGS_FILE\" > flags.tmp\n"
               "mv flags.tmp \"$GAMEDAY_FLAGS_FILE\"\n"
               "echo 'patient Alma Testwell looked fine'\n");
  write_drill(dir, R"(  - name: run the mitigation script
    kind: exec
    argv: [./mitigate.sh]
    timeout: 20s
  - name: control API shows safe mode
    kind: http
    url: ${GAMEDAY_CONTROL_URL}/v1/assistant
    expect: {status: 200, json: {flags.safe-mode: "on", prompt_version: v1}}
)", "  - {kind: mode.fallback, enabled: false}\n");
  const std::string out = (dir / "out").string();
  REQUIRE(gameday("validate '" + (dir / "scenario.yaml").string() + "'").code == 0);
  const auto r = gameday("run '" + (dir / "scenario.yaml").string() + "' -q --out '" + out + "'");
  INFO(r.err);
  REQUIRE(r.code == 0);
  const auto events = journal(dir / "out/journal.jsonl");
  const auto changes = of_type(events, "control_change");
  for (const auto& c : changes) UNSCOPED_INFO(c.dump());
  REQUIRE(changes.size() == 3);
  for (const auto& c : changes) {
    INFO(c.dump());
    REQUIRE(c["t_us"] == 120000000);  // virtual time stood still while the script ran
    REQUIRE(c["by"] == "exec:run the mitigation script");
  }
  REQUIRE(changes[0]["key"] == "safe-mode");
  REQUIRE(changes[0]["to"] == "on");
  REQUIRE(changes[1]["what"] == "prompt");
  REQUIRE(changes[1]["to"] == "v1");
  REQUIRE(changes[2]["key"] == "auto-failover");  // from the flags file, after the script ended
  const auto ends = of_type(events, "step_end");
  REQUIRE(ends.size() == 2);
  REQUIRE(ends[0]["outcome"] == "ok");
  REQUIRE(ends[0]["reason"] == "exit 0; flags file: auto-failover off -> on; 2 control API calls");
  REQUIRE(ends[1]["outcome"] == "ok");
  REQUIRE(of_type(events, "playbook_end")[0]["outcome"] == "completed");
  // After the change, users get the safe canned answer.
  bool fallback_after = false;
  for (const auto& e : of_type(events, "request")) {
    if (e["t_us"].get<long long>() > 121000000 && e["status"] == "fallback") fallback_after = true;
  }
  REQUIRE(fallback_after);
  REQUIRE(slurp(dir / "out/journal.jsonl").find("Testwell") == std::string::npos);
}

TEST_CASE("A failing exec step runs the playbook's rollback list", "[e2e][playbook][exec]") {
  if (const auto why = e2e::missing("curl", "curl"); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  write_script(dir, "half.sh",
               std::string(kCurl) + " -X PUT -d '{\"vendor\":\"secondary\"}' "
               "\"$GAMEDAY_CONTROL_URL/v1/assistant/route\" > /dev/null\n"
               "echo 'could not verify' >&2\nexit 1\n");
  write_drill(dir, "  - {name: half-done script, kind: exec, argv: [./half.sh]}\n",
              "  - {name: route back, kind: model.rollback}\n");
  const std::string out = (dir / "out").string();
  const auto r = gameday("run '" + (dir / "scenario.yaml").string() + "' -q --out '" + out + "'");
  INFO(r.err);
  REQUIRE(r.code == 0);
  const auto events = journal(dir / "out/journal.jsonl");
  const auto ends = of_type(events, "step_end");
  REQUIRE(ends.size() == 2);
  REQUIRE(ends[0]["outcome"] == "failed");
  REQUIRE(ends[0]["reason"] == "exit 1; 1 control API call");
  REQUIRE(ends[1]["rollback"] == true);
  REQUIRE(ends[1]["outcome"] == "ok");
  REQUIRE(ends[1]["t_us"] == 120000000);
  const auto changes = of_type(events, "control_change");
  REQUIRE(changes.size() == 2);
  REQUIRE(changes[0]["by"] == "exec:half-done script");
  REQUIRE(changes[1]["by"] == "playbook:scripted-mitigation");
  REQUIRE(changes[1]["to"] == "primary");
  const auto end = of_type(events, "playbook_end");
  REQUIRE(end[0]["outcome"] == "aborted");
  REQUIRE(slurp(dir / "out/journal.jsonl").find("could not verify") == std::string::npos);
}

TEST_CASE("Interrupting a run stops the step in flight, journals the rollback, writes reports and exits 3", "[e2e][playbook][interrupt]") {
  if (const auto why = e2e::missing("curl", "curl"); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  // The step flips a flag through the control API, then hangs until it is killed.
  write_script(dir, "slow.sh",
               std::string(kCurl) + " -X PUT -d '{\"variant\":\"on\"}' "
               "\"$GAMEDAY_CONTROL_URL/v1/assistant/flags/safe-mode\" > /dev/null\n"
               "touch started\nsleep 60\n");
  write_drill(dir, "  - {name: slow mitigation, kind: exec, argv: [./slow.sh], timeout: 90s}\n",
              "  - {name: leave safe mode, kind: flag.set, flag: safe-mode, variant: \"off\"}\n");
  interrupt_run(dir, {"started"});
  INFO(slurp(dir / "stderr"));
  REQUIRE(slurp(dir / "code") == "3\n");
  const auto events = journal(dir / "out/journal.jsonl");
  const auto ends = of_type(events, "step_end");
  REQUIRE(ends.size() == 2);
  REQUIRE(ends[0]["name"] == "slow mitigation");
  // Cut by Ctrl-C, not failed: the step and its playbook say so.
  REQUIRE(ends[0]["outcome"] == "interrupted");
  REQUIRE(ends[1]["name"] == "leave safe mode");
  REQUIRE(ends[1]["rollback"] == true);
  REQUIRE(ends[1]["outcome"] == "ok");
  const auto changes = of_type(events, "control_change");
  REQUIRE(changes.size() == 2);
  REQUIRE(changes[0]["to"] == "on");
  REQUIRE(changes[1]["to"] == "off");
  const auto pb_end = of_type(events, "playbook_end");
  REQUIRE(pb_end.size() == 1);
  REQUIRE(pb_end[0]["outcome"] == "interrupted");
  REQUIRE(events.back()["type"] == "run_end");
  REQUIRE(events.back()["reason"] == "interrupted");
  const json report = json::parse(slurp(dir / "out/report.json"));
  REQUIRE(report["interrupted"] == true);
  REQUIRE(report["ended"] == "interrupted");
  REQUIRE(slurp(dir / "out/report.md").find("**Cut short.** The run was interrupted at T+") != std::string::npos);
}

TEST_CASE("A second Ctrl-C cuts a slow rollback short, and the run still writes its reports and exits 3", "[e2e][playbook][interrupt]") {
  TempDir dir;
  write_script(dir, "slow.sh", "touch started\nsleep 60\n");
  write_script(dir, "undo.sh", "touch undoing\nsleep 60\n");
  write_drill(dir, "  - {name: slow mitigation, kind: exec, argv: [./slow.sh], timeout: 90s}\n",
              "  - {name: slow undo, kind: exec, argv: [./undo.sh], timeout: 90s}\n"
              "  - {name: leave safe mode, kind: flag.set, flag: safe-mode, variant: \"off\"}\n");
  interrupt_run(dir, {"started", "undoing"});
  INFO(slurp(dir / "stderr"));
  REQUIRE(slurp(dir / "code") == "3\n");
  const auto events = journal(dir / "out/journal.jsonl");
  const auto ends = of_type(events, "step_end");
  REQUIRE(ends.size() == 2);
  REQUIRE(ends[0]["outcome"] == "interrupted");
  // The slow rollback script was killed and the rest of the list cut short.
  REQUIRE(ends[1]["name"] == "slow undo");
  REQUIRE(ends[1]["rollback"] == true);
  REQUIRE(ends[1]["outcome"] == "interrupted");
  const auto pb_end = of_type(events, "playbook_end");
  REQUIRE(pb_end.size() == 1);
  REQUIRE(pb_end[0]["outcome"] == "interrupted");
  REQUIRE(pb_end[0]["reason"].get<std::string>().find("rollback cut short: second interrupt") != std::string::npos);
  REQUIRE(events.back()["type"] == "run_end");
  REQUIRE(events.back()["reason"] == "interrupted");
  REQUIRE(json::parse(slurp(dir / "out/report.json"))["interrupted"] == true);
}
