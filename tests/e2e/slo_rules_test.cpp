// End-to-end: `gameday slo rules` turns every shipped scenario's alerts into a rule file that the
// real `promtool check rules` accepts, and rejects bad input with exit 2.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "e2e_support.hpp"

using e2e::gameday;
using e2e::missing;
using e2e::skip_because;
using e2e::slurp;
using e2e::TempDir;

namespace {

// promtool, which Debian's prometheus package installs.
std::string promtool() { return e2e::find_tool({"promtool"}).string(); }

/// Runs a shell command; returns its exit code, with stdout+stderr in `output`.
int shell(const std::string& cmd, std::string& output) {
  TempDir io;
  const auto out = io / "out";
  const int status = std::system((cmd + " > '" + out.string() + "' 2>&1 < /dev/null").c_str());
  output = slurp(out);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::vector<std::filesystem::path> shipped_scenarios() {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(GAMEDAY_SOURCE_DIR) / "scenarios")) {
    if (e.is_regular_file() && e.path().extension() == ".yaml") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("gameday slo rules writes rules promtool accepts for every shipped scenario", "[e2e][slo][promtool]") {
  if (const auto why = missing("promtool", "prometheus"); !why.empty()) return skip_because(why);
  TempDir dir;
  const auto scenarios = shipped_scenarios();
  REQUIRE(scenarios.size() >= 10);
  for (const auto& s : scenarios) {
    INFO(s.string());
    const auto rules = dir / (s.stem().string() + ".rules.yml");
    const auto r = gameday("slo rules '" + s.string() + "' --out '" + rules.string() + "'");
    INFO(r.err);
    REQUIRE(r.code == 0);
    const std::string text = slurp(rules);
    REQUIRE(text.find("groups:") != std::string::npos);
    REQUIRE(text.find("- alert: ") != std::string::npos);
    std::string output;
    const int code = shell(promtool() + " check rules '" + rules.string() + "'", output);
    INFO(output);
    REQUIRE(code == 0);
    REQUIRE(output.find("SUCCESS") != std::string::npos);
  }
}

TEST_CASE("gameday slo rules prints to stdout and covers each alert of the scenario", "[e2e][slo]") {
  const auto r = gameday("slo rules scenarios/vendor-latency-spike.yaml");
  INFO(r.err);
  REQUIRE(r.code == 0);
  REQUIRE(r.out.find("- alert: 'AssistantLatencyHigh'") != std::string::npos);
  REQUIRE(r.out.find("- alert: 'AvailabilityBurnRate'") != std::string::npos);
  REQUIRE(r.out.find("gameday_assistant_request_duration_seconds_bucket[2m]") != std::string::npos);
  REQUIRE(r.out.find("gameday_slo_events_total{slo=\"availability\",good=\"false\"}[30m]") != std::string::npos);
}

TEST_CASE("gameday slo rules rejects a missing scenario and a missing argument with exit 2", "[e2e][slo][errors]") {
  const auto missing = gameday("slo rules scenarios/no-such-scenario.yaml");
  REQUIRE(missing.code == 2);
  REQUIRE(missing.err.find("no-such-scenario.yaml") != std::string::npos);
  REQUIRE(gameday("slo rules").code == 2);
  REQUIRE(gameday("slo").code == 2);
}

TEST_CASE("Rules from a scaled burn-rate scenario fire in promtool's rule tests", "[e2e][slo][promtool]") {
  if (const auto why = missing("promtool", "prometheus"); !why.empty()) return skip_because(why);
  TempDir dir;
  dir.write("scenario.yaml", R"(name: burn-unit
duration: 10m
fakes: )" + std::string(GAMEDAY_SOURCE_DIR) + R"(/fakes
workload: {rate: 5, mix: {prior_auth_status: 1}}
slos:
  - {name: availability, sli: availability, objective: 0.99}
alerts:
  - {name: FastBurn, type: burn_rate, slo: availability, preset: standard_page, scale: 1/60, severity: page}
)");
  REQUIRE(gameday("slo rules scenario.yaml --out rules.yml", dir.path()).code == 0);
  // 10 requests/s; from minute 2 on, half of them fail: burn 50x over 1m and 5s > 14.4.
  dir.write("test.yml", R"(rule_files: [rules.yml]
evaluation_interval: 1s
tests:
  - interval: 1s
    input_series:
      - series: 'gameday_slo_events_total{slo="availability",good="true"}'
        values: '0+10x119 1200+5x200'
      - series: 'gameday_slo_events_total{slo="availability",good="false"}'
        values: '0+0x119 0+5x200'
    alert_rule_test:
      - eval_time: 100s
        alertname: FastBurn
        exp_alerts: []
      - eval_time: 200s
        alertname: FastBurn
        exp_alerts:
          - exp_labels: {severity: page, scenario: burn-unit}
            exp_annotations:
              summary: 'availability SLO burn rate > 14.4x over 1m and 5s; > 6x over 6m and 30s'
              description: 'gameday scenario burn-unit, burn_rate alert FastBurn'
)");
  std::string output;
  const int code = shell("cd '" + dir.path().string() + "' && " + promtool() + " test rules test.yml", output);
  INFO(slurp(dir / "rules.yml"));
  INFO(output);
  REQUIRE(code == 0);
}
