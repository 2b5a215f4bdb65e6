// End-to-end: `gameday drill` runs a scenario in real time with the same reports as `run`,
// serves /metrics and an Alertmanager webhook receiver, stops cleanly on SIGINT, and rejects
// bad options with exit 2.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "drill_support.hpp"
#include "e2e_support.hpp"

using e2e::gameday;
using e2e::slurp;
using e2e::TempDir;
using nlohmann::json;
using e2e::journal;
using e2e::of_type;
using e2e::with_drill;
using e2e::kCurl;

namespace {

/// Every key path of a JSON document ("metrics.ttd_s"), array items collapsed to "[]".
void key_paths(const json& j, const std::string& prefix, std::set<std::string>& out) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) {
      out.insert(prefix + k);
      key_paths(v, prefix + k + ".", out);
    }
  } else if (j.is_array()) {
    for (const auto& v : j) key_paths(v, prefix + "[].", out);
  }
}

}  // namespace

TEST_CASE("drill on the latency-spike scenario, shortened to a couple of minutes, produces a report with the same keys as run", "[e2e][drill]") {
  TempDir dir;
  const auto run = gameday("run scenarios/vendor-latency-spike.yaml -q --out '" + (dir / "run").string() + "'");
  REQUIRE(run.code == 0);
  // 2 minutes of scenario time at 8x: 15 s of wall clock.
  const auto drill = gameday("drill scenarios/vendor-latency-spike.yaml --duration 2m --speed 8 --out '" +
                             (dir / "drill").string() + "' --history '" + (dir / "h.sqlite").string() + "'");
  INFO(drill.err);
  REQUIRE((drill.code == 0 || drill.code == 1));
  // It prints where it listens first: the fakes, the assistant's API, then the control port.
  REQUIRE(std::regex_search(drill.out, std::regex(R"(^vendor http://127\.0\.0\.1:[1-9][0-9]*/v1\n)")));
  for (const char* line : {R"(\nehr http://127\.0\.0\.1:[1-9][0-9]*/fhir\n)",
                           R"(\nassistant http://127\.0\.0\.1:[1-9][0-9]*\n)",
                           R"(\ncontrol http://127\.0\.0\.1:[1-9][0-9]*\n)"}) {
    REQUIRE(std::regex_search(drill.out, std::regex(line)));
  }
  const json a = json::parse(slurp(dir / "run/report.json"));
  const json b = json::parse(slurp(dir / "drill/report.json"));
  std::set<std::string> ka, kb;
  for (const auto& [k, v] : a.items()) ka.insert(k);
  for (const auto& [k, v] : b.items()) kb.insert(k);
  REQUIRE(ka == kb);
  std::set<std::string> ma, mb;
  for (const auto& [k, v] : a["metrics"].items()) ma.insert(k);
  for (const auto& [k, v] : b["metrics"].items()) mb.insert(k);
  REQUIRE(ma == mb);
  REQUIRE(std::filesystem::exists(dir / "drill/report.md"));
  const auto events = journal(dir / "drill/journal.jsonl");
  REQUIRE(events.front()["type"] == "run_start");
  REQUIRE(events.front()["mode"] == "live");
  REQUIRE(events.front()["duration_us"] == 120000000);
  REQUIRE(events.back()["type"] == "run_end");
  REQUIRE(events.back()["reason"] == "completed");
  // The fault timeline is scaled: 10m of 60m becomes 20s of 2m, 30m becomes 60s.
  const auto starts = of_type(events, "fault_start");
  REQUIRE(starts.size() == 1);
  REQUIRE(starts[0]["t_us"].get<long>() >= 20000000);
  REQUIRE(starts[0]["t_us"].get<long>() < 22000000);
  REQUIRE(of_type(events, "request").size() > 200);
  // Times only move forward.
  long last = 0;
  for (const auto& e : events) {
    REQUIRE(e["t_us"].get<long>() >= last);
    last = e["t_us"].get<long>();
  }
  // No synthetic patient identifiers in what the drill wrote.
  const std::regex phi(R"(SYN-\d|SYNM-\d|PA-SYN-\d|\(\d{3}\) 555-01\d\d|pat-\d{4})");
  for (const char* f : {"journal.jsonl", "report.json", "report.md", "report.html"}) {
    INFO(f);
    REQUIRE_FALSE(std::regex_search(slurp(dir / "drill" / f), phi));
  }
  // The drill is in the run history, as a drill.
  const auto history = gameday("history export --history '" + (dir / "h.sqlite").string() + "'");
  REQUIRE(history.code == 0);
  REQUIRE(std::regex_search(history.out, std::regex("\r\n1,[^,]+,vendor-latency-spike,[0-9]+,drill,")));
}

TEST_CASE("A drill serves the assistant's SLI counters on /metrics", "[e2e][drill][metrics]") {
  if (const auto why = e2e::missing("curl", "curl"); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  // Read /metrics once the first answer is counted, then stop the drill.
  const std::string body = std::string("poll '") + kCurl + " \"$CONTROL/metrics\" > metrics.txt && "
                           "grep -q \"gameday_assistant_requests_total{outcome=.ok.} [1-9]\" metrics.txt'; "
                           "kill -INT $PID";
  REQUIRE(with_drill(dir, std::string("'") + GAMEDAY_SOURCE_DIR +
                              "/scenarios/vendor-latency-spike.yaml' --speed 10 -q --out out",
                     body) == 0);
  const std::string m = slurp(dir / "metrics.txt");
  INFO(m);
  REQUIRE(m.find("# TYPE gameday_assistant_requests_total counter") != std::string::npos);
  REQUIRE(std::regex_search(m, std::regex(R"(gameday_assistant_requests_total\{outcome="ok"\} [1-9])")));
  REQUIRE(m.find("gameday_sli_events_total{good=\"false\",sli=\"availability\"}") != std::string::npos);
  REQUIRE(m.find("gameday_slo_events_total{good=\"true\",slo=\"latency\"}") != std::string::npos);
  REQUIRE(m.find("gameday_assistant_request_duration_seconds_bucket{le=\"5\"}") != std::string::npos);
}

TEST_CASE("Interrupting a drill reverts faults, writes the journal and a partial report, and exits 3", "[e2e][drill][interrupt]") {
  if (const auto why = e2e::missing("curl", "curl"); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  // At 60x the fault starts after 10 s of wall clock; interrupt once it is active.
  REQUIRE(with_drill(dir, std::string("'") + GAMEDAY_SOURCE_DIR +
                              "/scenarios/vendor-latency-spike.yaml' --speed 60 -q --out out",
                     std::string("poll '") + kCurl + " \"$CONTROL/faults\" | grep -q primary-latency'; "
                     "kill -INT $PID") == 0);
  INFO(slurp(dir / "drill.err"));
  REQUIRE(slurp(dir / "drill.code") == "3\n");
  const auto events = journal(dir / "out/journal.jsonl");
  REQUIRE(events.back()["type"] == "run_end");
  REQUIRE(events.back()["reason"] == "interrupted");
  const auto starts = of_type(events, "fault_start");
  const auto ends = of_type(events, "fault_end");
  REQUIRE(starts.size() == 1);
  REQUIRE(ends.size() == 1);
  REQUIRE(events.back()["t_us"].get<long>() < 50LL * 60 * 1000000);
  REQUIRE(std::filesystem::exists(dir / "out/report.json"));
  REQUIRE(std::filesystem::exists(dir / "out/report.md"));
}

TEST_CASE("With --alerts external only webhook alerts page, and they trigger the playbook", "[e2e][drill][alertmanager]") {
  if (const auto why = e2e::missing("curl", "curl"); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  const std::string firing =
      R"({"version":"4","status":"firing","receiver":"gameday","groupLabels":{},"commonLabels":{},)"
      R"("alerts":[{"status":"firing","labels":{"alertname":"AssistantLatencyHigh","severity":"page"},)"
      R"("annotations":{"summary":"p95 over 5s"},"startsAt":"2026-01-01T00:00:00Z","endsAt":"0001-01-01T00:00:00Z"}]})";
  dir.write("firing.json", firing);
  const std::string body = std::string("poll '") + e2e::kDrillRunning + "'; " + kCurl +
                           " -X POST -H 'Content-Type: application/json' --data-binary @firing.json "
                           "\"$CONTROL/alertmanager\" > webhook.out; " +
                           kCurl + " -X POST -d 'not json' -w '%{http_code}' \"$CONTROL/alertmanager\" > bad.out";
  REQUIRE(with_drill(dir, std::string("'") + GAMEDAY_SOURCE_DIR +
                              "/scenarios/vendor-latency-spike.yaml' --duration 10m --speed 60 "
                              "--alerts external -q --out out",
                     body) == 0);
  INFO(slurp(dir / "drill.err"));
  REQUIRE((slurp(dir / "drill.code") == "0\n" || slurp(dir / "drill.code") == "1\n"));
  REQUIRE(json::parse(slurp(dir / "webhook.out"))["accepted"] == 1);
  REQUIRE(slurp(dir / "bad.out").find("400") != std::string::npos);
  const auto events = journal(dir / "out/journal.jsonl");
  const auto fires = of_type(events, "alert_fire");
  REQUIRE(fires.size() == 1);
  REQUIRE(fires[0]["name"] == "AssistantLatencyHigh");
  REQUIRE(fires[0]["summary"] == "via Alertmanager: p95 over 5s");
  REQUIRE(fires[0]["source"] == "alertmanager");
  const auto playbooks = of_type(events, "playbook_start");
  REQUIRE(playbooks.size() == 1);
  REQUIRE(playbooks[0]["trigger"] == "alert:AssistantLatencyHigh");
}

TEST_CASE("gameday drill rejects a bad duration, speed, alerts mode and scenario with exit 2", "[e2e][drill][errors]") {
  const auto d = gameday("drill scenarios/vendor-latency-spike.yaml --duration 'two minutes'");
  REQUIRE(d.code == 2);
  REQUIRE(d.err.find("--duration") != std::string::npos);
  REQUIRE(gameday("drill scenarios/vendor-latency-spike.yaml --duration 0").code == 2);
  // Longer than any run may last (a scenario's limit): refused before anything starts.
  const auto long_drill = gameday("drill scenarios/vendor-latency-spike.yaml --duration 800h");
  REQUIRE(long_drill.code == 2);
  CHECK(long_drill.err.find("--duration: 800h is longer than the limit of 720h") != std::string::npos);
  REQUIRE(gameday("drill scenarios/vendor-latency-spike.yaml --speed 0").code == 2);
  const auto a = gameday("drill scenarios/vendor-latency-spike.yaml --alerts sometimes");
  REQUIRE(a.code == 2);
  REQUIRE(a.err.find("--alerts") != std::string::npos);
  const auto s = gameday("drill scenarios/no-such-scenario.yaml --duration 1m");
  REQUIRE(s.code == 2);
  REQUIRE(s.err.find("no-such-scenario.yaml") != std::string::npos);
  REQUIRE(gameday("drill").code == 2);
}
