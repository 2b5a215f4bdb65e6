// End-to-end: in a drill, a playbook's exec step runs in the background. While a slow script
// waits, the drill keeps serving traffic, its fault timeline goes on and its control port
// answers; the script's control API call and its end land when they happen.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include <string>

#include "drill_support.hpp"
#include "e2e_support.hpp"

using e2e::journal;
using e2e::kCurl;
using e2e::of_type;
using e2e::slurp;
using e2e::TempDir;
using e2e::with_drill;
using nlohmann::json;

namespace {

constexpr const char* kScenario = R"(name: slow-step-drill
seed: 3
duration: 12s
fakes: FAKES
workload: {rate: 5}
slos:
  - {name: availability, sli: availability, objective: 0.99}
evaluation_interval: 1s
alerts:
  - {name: ErrorsHigh, type: threshold, sli: error_ratio, above: 0.5}
faults:
  - {id: blip, at: 4s, for: 2s, target: vendor:primary, kind: error, status: 503, probability: 1.0}
playbooks: [playbook.yaml]
)";

constexpr const char* kPlaybook = R"(name: slow-mitigation
trigger: {at: 1s}
steps:
  - name: wait for the release file
    kind: exec
    argv: [./slow.sh]
    timeout: 60s
)";

double seconds(const json& e) { return e["t_us"].get<double>() / 1e6; }

}  // namespace

TEST_CASE("A drill keeps serving traffic, faults and its control port while an exec step runs", "[e2e][drill][exec]") {
  if (const auto why = e2e::missing("curl", "curl"); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  std::string scenario = kScenario;
  scenario.replace(scenario.find("FAKES"), 5, std::string(GAMEDAY_SOURCE_DIR) + "/fakes");
  dir.write("scenario.yaml", scenario);
  dir.write("playbook.yaml", kPlaybook);
  // The script holds its step until the test releases it, then acts through the control API.
  const auto script = dir.write(
      "slow.sh",
      "#!/bin/sh\ntouch started\nwhile [ ! -e release ]; do sleep 0.05; done\n"
      "curl --noproxy '*' -sf -X PUT -d '{\"variant\":\"on\"}' "
      "\"$GAMEDAY_CONTROL_URL/v1/assistant/flags/safe-mode\" > /dev/null || exit 7\n");
  ::chmod(script.c_str(), 0755);
  const std::string c = kCurl;
  // While the step waits: the control port answers, and the fault starts and ends on time.
  const std::string body =
      "poll '[ -e started ]' || exit 1; " +
      c + " -f \"$CONTROL/status\" > status_during.out || exit 2; "
      "poll '" + c + " -f \"$CONTROL/status\" > s.json && grep -q blip s.json' || exit 3; "
      "poll '" + c + " -f \"$CONTROL/status\" > s.json && ! grep -q blip s.json' || exit 4; "
      "touch release";
  const int rc = with_drill(dir, "scenario.yaml --speed 2 -q --out out", body);
  INFO(slurp(dir / "drill.err"));
  REQUIRE(rc == 0);
  REQUIRE((slurp(dir / "drill.code") == "0\n" || slurp(dir / "drill.code") == "1\n"));
  REQUIRE(json::parse(slurp(dir / "status_during.out"))["running"] == true);

  const auto j = journal(dir / "out/journal.jsonl");
  const auto starts = of_type(j, "step_start");
  const auto ends = of_type(j, "step_end");
  REQUIRE(starts.size() == 1);
  REQUIRE(ends.size() == 1);
  REQUIRE(ends[0]["outcome"] == "ok");
  REQUIRE(ends[0]["reason"] == "exit 0; 1 control API call");
  const double step_start = seconds(starts[0]);
  const double step_end = seconds(ends[0]);

  // The fault timeline went on while the script ran: it started and ended inside the step, two
  // scenario seconds apart (not both at the step's end, as a frozen engine would journal them).
  const auto fs = of_type(j, "fault_start");
  const auto fe = of_type(j, "fault_end");
  REQUIRE(fs.size() == 1);
  REQUIRE(fe.size() == 1);
  CHECK(seconds(fs[0]) > step_start);
  CHECK(seconds(fe[0]) < step_end);
  CHECK(seconds(fe[0]) - seconds(fs[0]) > 1.5);

  // Traffic was served and journaled during the step, some of it meeting the fault.
  int during = 0, faulted = 0;
  for (const auto& r : of_type(j, "request")) {
    const double t = seconds(r);
    if (t > step_start && t < step_end) ++during;
    faulted += r["faults"].dump().find("blip") != std::string::npos;
  }
  CHECK(during >= 10);
  CHECK(faulted > 0);

  // The script's change is journaled by its step, when it was made (after the fault ended).
  bool changed = false;
  for (const auto& e : of_type(j, "control_change")) {
    if (e["key"] == "safe-mode" && e["by"] == "exec:wait for the release file") {
      changed = true;
      CHECK(seconds(e) >= seconds(fe[0]));
      CHECK(seconds(e) <= step_end);
    }
  }
  REQUIRE(changed);
  // The drill ended on time, not a step's length after it.
  CHECK(seconds(of_type(j, "run_end").back()) < 16.0);
}
