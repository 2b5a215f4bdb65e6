// End-to-end: playbooks that reach the team's own service. A --sut service with the control
// contract (tests/node/sut.mjs) takes the injection scenario's failover: its model calls move to
// the secondary vendor's port and the journal's control change is what the service answered. A
// service without the contract makes a drill whose playbook needs it refuse to start (exit 2,
// naming the playbook, the step and the fix), unless --allow-unreachable-steps, and then the step
// is journaled as failed, never as done.
#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "drill_support.hpp"
#include "e2e_support.hpp"

using e2e::free_port;
using e2e::gameday;
using e2e::journal;
using e2e::kCurl;
using e2e::of_type;
using e2e::slurp;
using e2e::TempDir;
using e2e::with_drill;
using nlohmann::json;

namespace {


std::string source(const std::string& path) { return "'" + std::string(GAMEDAY_SOURCE_DIR) + "/" + path + "'"; }

// Starts `command` (a node service printing "sut URL") in `dir`; returns the URL.
std::string start_service(const TempDir& dir, const std::string& command) {
  const std::string start = "cd '" + dir.path().string() + "' || exit 1; " + command +
                            " > sut.out 2> sut.err & echo $! > sut.pid; "
                            "for i in $(seq 1 300); do grep -q '^sut ' sut.out 2>/dev/null && break; sleep 0.1; done";
  REQUIRE(std::system(start.c_str()) == 0);
  const std::string line = slurp(dir / "sut.out");
  REQUIRE(line.rfind("sut http://127.0.0.1:", 0) == 0);
  return line.substr(4, line.find('\n') - 4);
}

void stop_service(const TempDir& dir) {
  std::system(("kill $(cat '" + (dir / "sut.pid").string() + "') 2> /dev/null").c_str());
}

// A service that answers 404 to everything: no answers, no control contract.
constexpr const char* kNoContract =
    "timeout 60 node -e \"require('http').createServer((q, s) => { s.writeHead(404, {'content-type': "
    "'application/json'}); s.end('{}'); }).listen(0, '127.0.0.1', function () { console.log('sut "
    "http://127.0.0.1:' + this.address().port); })\"";

// A 20 s scenario whose playbook fails over to the secondary vendor at 2 s, from `dir`.
void write_failover_scenario(const TempDir& dir) {
  std::ofstream(dir / "failover.yaml") << "name: failover-at-2s\n"
                                          "trigger: {at: 2s}\n"
                                          "steps:\n"
                                          "  - name: wait a moment\n"
                                          "    kind: wait\n"
                                          "    duration: 1s\n"
                                          "  - name: route to the secondary\n"
                                          "    kind: model.failover\n"
                                          "    to: secondary\n";
  std::ofstream(dir / "scenario.yaml") << "name: sut-failover\n"
                                          "seed: 1\n"
                                          "duration: 20s\n"
                                          "fakes: " << GAMEDAY_SOURCE_DIR << "/fakes\n"
                                          "workload:\n"
                                          "  rate: 1\n"
                                          "  mix: {prior_auth_status: 1}\n"
                                          "playbooks: [failover.yaml]\n";
}

}  // namespace

TEST_CASE("A --sut drill of the injection scenario fails the service over to the secondary vendor's port", "[e2e][drill][sut]") {
  if (const auto why = e2e::missing_node({"openai", "fhir-kit-client"}); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  const std::string primary = "http://127.0.0.1:" + std::to_string(free_port()) + "/v1";
  const std::string secondary = "http://127.0.0.1:" + std::to_string(free_port()) + "/v1";
  const int ehr_port = free_port();
  // The service maps vendor profile ids to the base URLs the drill will print, before it starts.
  const std::string sut = start_service(
      dir, "GAMEDAY_VENDOR_URLS=primary=" + primary + ",secondary=" + secondary + " GAMEDAY_EHR_URL=http://127.0.0.1:" +
               std::to_string(ehr_port) + "/fhir timeout 120 node " + source("tests/node/sut.mjs"));
  // 60 minutes in 2 (the poisoned notes from T+20s), at 4x: 30 s.
  const int rc = with_drill(dir,
                            source("scenarios/indirect-prompt-injection.yaml") +
                                " --duration 2m --speed 4 -q --out out --vendor primary=" + primary.substr(7, primary.size() - 10) +
                                " --vendor secondary=" + secondary.substr(7, secondary.size() - 10) +
                                " --ehr 127.0.0.1:" + std::to_string(ehr_port) + " --sut " + sut,
                            "true");
  std::system((std::string(kCurl) + " " + sut + "/v1/control > '" + (dir / "after.json").string() + "'").c_str());
  stop_service(dir);
  REQUIRE(rc == 0);
  INFO(slurp(dir / "drill.err") + slurp(dir / "sut.err"));
  REQUIRE((slurp(dir / "drill.code") == "0\n" || slurp(dir / "drill.code") == "1\n"));
  REQUIRE(slurp(dir / "drill.out").find("vendor:secondary " + secondary + "\n") != std::string::npos);

  const auto j = journal(dir / "out/journal.jsonl");
  // The failover reached the service: the step's reason and the control change are its answer.
  long long failed_over = -1, back = -1;
  for (const auto& c : of_type(j, "control_change")) {
    REQUIRE(c["what"] == "route");
    REQUIRE(c["by"] == "playbook:injection-containment");
    if (c["to"] == "secondary" && failed_over < 0) failed_over = c["t_us"].get<long long>();
    if (c["to"] == "primary" && failed_over >= 0) back = c["t_us"].get<long long>();
  }
  REQUIRE(failed_over > 0);
  bool step_ok = false;
  for (const auto& s : of_type(j, "step_end")) {
    if (s["name"] == "route model calls to the secondary vendor") {
      step_ok = s["outcome"] == "ok" && s["reason"] == "service: route primary -> secondary (HTTP 200)";
    }
  }
  REQUIRE(step_ok);
  // Its model calls went to the primary before and to the secondary after: an answer journaled
  // before the change was asked before it, and one asked after the change was journaled (and
  // answered before the rollback's change) made its model call after it.
  int before_primary = 0, before_other = 0, after_secondary = 0, after_other = 0;
  for (const auto& r : of_type(j, "request")) {
    const std::string vendor = r.value("vendor", "");
    if (vendor.empty() || r.value("probe", false)) continue;
    const long long answered = r["t_us"].get<long long>();
    if (answered < failed_over) {
      (vendor == "primary" ? before_primary : before_other) += 1;
    } else if (r["arrival_us"].get<long long>() > failed_over && (back < 0 || answered < back)) {
      (vendor == "secondary" ? after_secondary : after_other) += 1;
    }
  }
  CHECK(before_primary > 10);
  CHECK(before_other == 0);
  CHECK(after_secondary > 5);
  CHECK(after_other == 0);
  // The service itself counted its calls to the secondary's base URL.
  const json state = json::parse(slurp(dir / "after.json"));
  CHECK(state["vendors"]["secondary"] == secondary);
  CHECK(state["vendor_calls"]["secondary"].get<int>() >= after_secondary);
}

TEST_CASE("A --sut drill whose playbook needs a control contract the service lacks refuses to start", "[e2e][drill][sut]") {
  if (const auto why = e2e::missing("node", "nodejs"); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  write_failover_scenario(dir);
  const std::string sut = start_service(dir, kNoContract);
  const auto refused = gameday("drill scenario.yaml --duration 20s --out out --sut " + sut, dir.path());
  CHECK(refused.code == 2);
  CHECK(refused.err.find("failover.yaml:") != std::string::npos);
  CHECK(refused.err.find("playbook 'failover-at-2s' steps[1] 'route to the secondary' (model.failover)") != std::string::npos);
  CHECK(refused.err.find("GET " + sut + "/v1/control answered HTTP 404") != std::string::npos);
  CHECK(refused.err.find("implement PUT /v1/control/route") != std::string::npos);
  CHECK(refused.err.find("--allow-unreachable-steps") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "out/journal.jsonl"));

  // Allowed, it runs: the step fails as unreachable and nothing says the route changed.
  const int rc = with_drill(dir, "scenario.yaml --speed 4 -q --out out --allow-unreachable-steps --sut " + sut, "true");
  stop_service(dir);
  REQUIRE(rc == 0);
  INFO(slurp(dir / "drill.err"));
  const auto j = journal(dir / "out/journal.jsonl");
  const auto ends = of_type(j, "step_end");
  REQUIRE(ends.size() == 2);
  CHECK(ends[1]["outcome"] == "failed");
  CHECK(ends[1]["reason"] == "unreachable: the service has no control endpoint for PUT /v1/control/route");
  CHECK(of_type(j, "control_change").empty());
  CHECK(of_type(j, "playbook_end").at(0)["outcome"] == "aborted");
}

TEST_CASE("gameday drill rejects a malformed --sut-control and one without --sut with exit 2", "[e2e][drill][errors]") {
  const auto bad = gameday("drill scenarios/vendor-latency-spike.yaml --sut http://127.0.0.1:9 --sut-control localhost:9/v1/control");
  CHECK(bad.code == 2);
  CHECK(bad.err.find("--sut-control: expected an http:// or https:// URL") != std::string::npos);
  const auto alone = gameday("drill scenarios/vendor-latency-spike.yaml --sut-control http://127.0.0.1:9/v1/control");
  CHECK(alone.code == 2);
  CHECK(alone.err.find("--sut-control") != std::string::npos);
  CHECK(alone.err.find("--sut URL") != std::string::npos);
}

TEST_CASE("gameday drill refuses a --sut-control root that does not answer with a control state", "[e2e][drill][errors]") {
  if (const auto why = e2e::missing("node", "nodejs"); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  const std::string sut = start_service(dir, kNoContract);
  const auto r = gameday("drill scenarios/vendor-latency-spike.yaml --sut " + sut + " --sut-control " + sut + "/admin");
  stop_service(dir);
  CHECK(r.code == 2);
  CHECK(r.err.find("--sut-control: GET " + sut + "/admin answered HTTP 404") != std::string::npos);
}
