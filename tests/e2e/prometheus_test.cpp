// End-to-end with the real Prometheus and Alertmanager (Debian's prometheus and
// prometheus-alertmanager, from PATH; skipped when missing) on loopback: a drill with an EHR
// error storm and --alerts external, rules from `gameday slo rules`, Prometheus scraping the
// drill's /metrics every second and sending to Alertmanager, whose webhook posts back to the
// drill. The report's TTD must come from that webhook alert. Bounded to about two minutes;
// every process is stopped.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "drill_support.hpp"
#include "e2e_support.hpp"

using e2e::free_port;
using e2e::gameday;
using e2e::journal;
using e2e::of_type;
using e2e::slurp;
using e2e::TempDir;
using nlohmann::json;

namespace {



// Fails every EHR call for 50 s from t = 15 s; availability burns 100x its 1 % budget. The
// burn-rate windows are short enough for Prometheus to see it within seconds.
constexpr const char* kScenario = R"(name: ehr-error-storm-drill
description: EHR errors; detection through Prometheus and Alertmanager.
seed: 3
duration: 85s
fakes: FAKES
workload:
  rate: 8
  mix: {prior_auth_status: 0.5, benefits_question: 0.5}
  client_timeout: 10s
slos:
  - {name: availability, sli: availability, objective: 0.99}
evaluation_interval: 1s
alerts:
  - name: AvailabilityFastBurn
    type: burn_rate
    slo: availability
    windows:
      - {long: 20s, short: 5s, factor: 10}
    severity: page
responders:
  name: on-call
  ack_delay: {dist: fixed, value: 5s}
faults:
  - id: ehr-errors
    at: 15s
    for: 50s
    target: ehr
    kind: error
    status: 503
    probability: 1.0
recovery:
  sustain: 10s
)";

}  // namespace

TEST_CASE("A drill's TTD comes from real Prometheus and Alertmanager through the webhook", "[e2e][drill][prometheus][slow]") {
  const std::string prometheus = e2e::find_tool({"prometheus"}).string();
  // Debian names it prometheus-alertmanager, upstream alertmanager.
  const std::string alertmanager = e2e::find_tool({"prometheus-alertmanager", "alertmanager"}).string();
  if (prometheus.empty() || alertmanager.empty()) {
    return e2e::skip_because("prometheus or alertmanager not found in PATH "
                             "(apt-get install prometheus prometheus-alertmanager)");
  }
  TempDir dir;
  std::string scenario = kScenario;
  scenario.replace(scenario.find("FAKES"), 5, std::string(GAMEDAY_SOURCE_DIR) + "/fakes");
  dir.write("scenario.yaml", scenario);
  const auto rules = gameday("slo rules scenario.yaml --out rules.yml", dir.path());
  INFO(rules.err);
  REQUIRE(rules.code == 0);

  const int prom_port = free_port();
  const int am_port = free_port();
  dir.write("alertmanager.yml", R"(route:
  receiver: gameday
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: gameday
    webhook_configs:
      - url: 'http://CONTROL/alertmanager'
        send_resolved: true
)");
  dir.write("prometheus.yml", R"(global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [rules.yml]
scrape_configs:
  - job_name: gameday
    static_configs:
      - targets: ['CONTROL']
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['127.0.0.1:)" + std::to_string(am_port) + R"(']
)");
  // The drill first (its control port is only known once it listens), then Alertmanager and
  // Prometheus pointed at it; wait for the drill (SIGINT after 150 s at the latest: exit 3
  // fails the test); stop the other two whatever happened.
  const std::string script =
      "cd '" + dir.path().string() + "' && { timeout -s INT 150 '" + std::string(GAMEDAY_BIN) +
      "' drill scenario.yaml --alerts external -q --out out > drill.out 2> drill.err < /dev/null & }; DRILL=$!; "
      "for i in $(seq 1 600); do grep -q '^control ' drill.out 2>/dev/null && break; sleep 0.05; done; "
      "CONTROL=$(sed -n 's|^control http://||p' drill.out); "
      "sed -i \"s|CONTROL|$CONTROL|\" alertmanager.yml prometheus.yml; "
      "{ '" + alertmanager + "' --config.file=alertmanager.yml --storage.path=am-data "
      "--web.listen-address=127.0.0.1:" + std::to_string(am_port) + " --cluster.listen-address= "
      "> am.log 2>&1 & }; AM=$!; "
      "{ '" + prometheus + "' --config.file=prometheus.yml --storage.tsdb.path=prom-data "
      "--web.listen-address=127.0.0.1:" + std::to_string(prom_port) + " "
      "> prom.log 2>&1 & }; PROM=$!; "
      "wait $DRILL; echo $? > drill.code; "
      "kill $PROM $AM 2>/dev/null; wait $PROM $AM 2>/dev/null; exit 0";
  REQUIRE(std::system(script.c_str()) == 0);
  INFO("drill.err:\n" << slurp(dir / "drill.err"));
  INFO("prom.log (tail):\n" << slurp(dir / "prom.log").substr(slurp(dir / "prom.log").size() > 3000 ? slurp(dir / "prom.log").size() - 3000 : 0));
  INFO("am.log:\n" << slurp(dir / "am.log"));
  const std::string code = slurp(dir / "drill.code");
  REQUIRE((code == "0\n" || code == "1\n"));

  const auto events = journal(dir / "out/journal.jsonl");
  std::vector<json> fires;
  for (const auto& e : events) {
    if (e["type"] == "alert_fire") fires.push_back(e);
  }
  REQUIRE_FALSE(fires.empty());
  for (const auto& f : fires) {
    INFO(f.dump());
    REQUIRE(f["name"] == "AvailabilityFastBurn");
    REQUIRE(f["summary"].get<std::string>().rfind("via Alertmanager", 0) == 0);
  }
  const long fired_us = fires[0]["t_us"].get<long>();
  // After the fault starts, and within the fault.
  REQUIRE(fired_us > 15000000);
  REQUIRE(fired_us < 65000000);
  const json report = json::parse(slurp(dir / "out/report.json"));
  INFO(report.dump(2).substr(0, 4000));
  const json& m = report["metrics"];
  REQUIRE(m["ttd_s"].is_number());
  REQUIRE(m["ttd_from_fault_s"].is_number());
  // TTD from the fault is exactly the webhook alert's time minus the fault's start.
  long fault_us = -1;
  for (const auto& e : events) {
    if (e["type"] == "fault_start") fault_us = e["t_us"].get<long>();
  }
  REQUIRE(fault_us >= 15000000);
  REQUIRE(std::abs(m["ttd_from_fault_s"].get<double>() - (fired_us - fault_us) / 1e6) < 1e-3);
}
