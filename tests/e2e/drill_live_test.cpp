// End-to-end: a drill's live traffic and control. The workload asks the built-in assistant over
// HTTP; the control API adds and removes faults (journaled), flips the assistant's flags and
// streams the journal; `--sut` drives a team's own service (tests/node/sut.mjs: the openai SDK
// and fhir-kit-client against the drill's fakes) and scores it against the truth; bad requests
// and options get 4xx or exit 2.
#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <unistd.h>

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


std::string scenario(const std::string& name) {
  return "'" + std::string(GAMEDAY_SOURCE_DIR) + "/scenarios/" + name + ".yaml'";
}

}  // namespace

TEST_CASE("A drill's workload asks the built-in assistant over HTTP, and the control API adds faults, flips flags and streams the journal", "[e2e][drill][live]") {
  if (const auto why = e2e::missing("curl", "curl"); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  const std::string c = kCurl;
  const std::string body =
      "poll '" + std::string(e2e::kDrillRunning) + "'; " +
      c + " -X POST -d '{\"task_type\":\"discharge_summary\",\"patient\":\"pat-0002\"}' \"$ASSISTANT/v1/answers\" > ask.out; " +
      c + " -X POST -d '{\"task_type\":\"discharge_summary\"}' -w ' %{http_code}' \"$ASSISTANT/v1/answers\" > ask_bad.out; " +
      c + " -X POST -d '{\"task_type\":\"discharge_summary\",\"patient\":\"pat-9999\"}' -w ' %{http_code}' \"$ASSISTANT/v1/answers\" > ask_unknown.out; " +
      "curl --noproxy '*' -s -N --max-time 3 \"$CONTROL/events\" > events.out; " +
      c + " -X POST -d '{\"id\":\"live-503\",\"target\":\"vendor:primary\",\"kind\":\"error\",\"status\":503}' -w ' %{http_code}' \"$CONTROL/faults\" > add.out; " +
      c + " -X POST -d '{\"id\":\"live-503\",\"target\":\"vendor:primary\",\"kind\":\"error\",\"status\":503}' -w ' %{http_code}' \"$CONTROL/faults\" > add_again.out; " +
      c + " -X POST -d '{\"id\":\"bad\",\"target\":\"vendor:primary\",\"kind\":\"eror\"}' -w ' %{http_code}' \"$CONTROL/faults\" > add_bad.out; " +
      c + " \"$CONTROL/faults\" > list.out; " +
      c + " \"$CONTROL/status\" > status.out; " +
      // Flip safe mode once a journaled request met the fault (the journal streams on /events).
      "poll '" + c + " -N --max-time 2 \"$CONTROL/events\" | grep -q \"type.:.request.*live-503\"'; " +
      c + " -X PUT -d '{\"variant\":\"on\"}' \"$CONTROL/v1/assistant/flags/safe-mode\" > flag.out; " +
      c + " -X DELETE -w '%{http_code}' \"$CONTROL/faults/live-503\" > delete.out; " +
      c + " -X DELETE -w ' %{http_code}' \"$CONTROL/faults/live-503\" > delete_again.out";
  REQUIRE(with_drill(dir, scenario("vendor-latency-spike") + " --duration 1m --speed 6 -q --out out", body) == 0);
  INFO(slurp(dir / "drill.err"));
  REQUIRE((slurp(dir / "drill.code") == "0\n" || slurp(dir / "drill.code") == "1\n"));

  // The drill prints where everything listens.
  const std::string out = slurp(dir / "drill.out");
  for (const char* name : {"vendor http://127.0.0.1:", "ehr http://127.0.0.1:", "assistant http://127.0.0.1:",
                           "control http://127.0.0.1:"}) {
    REQUIRE(out.find(name) != std::string::npos);
  }

  // The assistant's API answers with citations; bad requests name the field.
  const json ask = json::parse(slurp(dir / "ask.out"));
  REQUIRE(ask["status"] == "ok");
  REQUIRE(ask["citations"].size() >= 1);
  REQUIRE(ask["answer"].get<std::string>().find("[doc:") != std::string::npos);
  REQUIRE(slurp(dir / "ask_bad.out").find("\"field\":\"patient\"") != std::string::npos);
  REQUIRE(slurp(dir / "ask_bad.out").find(" 400") != std::string::npos);
  REQUIRE(slurp(dir / "ask_unknown.out").find(" 404") != std::string::npos);

  // The journal streams as server-sent events.
  const std::string events = slurp(dir / "events.out");
  REQUIRE(events.find("data: {\"t_us\":") != std::string::npos);
  REQUIRE(events.find("\"type\":\"request\"") != std::string::npos);

  // Faults through the control API go through the engine: listed, refused twice, journaled.
  REQUIRE(slurp(dir / "add.out").find(" 201") != std::string::npos);
  REQUIRE(slurp(dir / "add_again.out").find(" 409") != std::string::npos);
  const std::string bad = slurp(dir / "add_bad.out");
  REQUIRE(bad.find(" 400") != std::string::npos);
  REQUIRE(bad.find("kind") != std::string::npos);
  REQUIRE(slurp(dir / "list.out").find("live-503") != std::string::npos);
  const json status = json::parse(slurp(dir / "status.out"));
  REQUIRE(status["scenario"] == "vendor-latency-spike");
  REQUIRE(status["running"] == true);
  REQUIRE(status["faults"].dump().find("live-503") != std::string::npos);
  REQUIRE(status["servers"].contains("assistant"));
  REQUIRE(slurp(dir / "delete.out") == "204");
  REQUIRE(slurp(dir / "delete_again.out").find(" 404") != std::string::npos);
  REQUIRE(json::parse(slurp(dir / "flag.out"))["variant"] == "on");

  const auto j = journal(dir / "out/journal.jsonl");
  int started = 0, ended = 0;
  for (const auto& e : of_type(j, "fault_start")) started += e["id"] == "live-503";
  for (const auto& e : of_type(j, "fault_end")) ended += e["id"] == "live-503";
  REQUIRE(started == 1);
  REQUIRE(ended == 1);
  bool flagged = false;
  for (const auto& e : of_type(j, "control_change")) {
    flagged = flagged || (e["key"] == "safe-mode" && e["to"] == "on" && e["by"] == "control-api");
  }
  REQUIRE(flagged);
  // User traffic went over HTTP and was scored with the built-in's spans (EHR calls counted).
  const auto requests = of_type(j, "request");
  REQUIRE(requests.size() > 50);
  int with_spans = 0, vendor_errors = 0;
  for (const auto& r : requests) {
    with_spans += r["ehr_calls"].get<int>() > 0;
    vendor_errors += r["faults"].dump().find("live-503") != std::string::npos;
  }
  REQUIRE(with_spans > 50);
  REQUIRE(vendor_errors > 0);
  // Safe mode served fallbacks from then on.
  REQUIRE(requests.back()["cause"] == "safe_mode");
}

TEST_CASE("A drill drives the team's own service with --sut and scores its answers against the truth", "[e2e][drill][sut]") {
  if (const auto why = e2e::missing_node({"openai", "fhir-kit-client"}); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  const int vendor_port = free_port();
  const int ehr_port = free_port();
  // The service knows the fakes only by their base URLs, as a team's would.
  const std::string start_sut =
      "cd '" + dir.path().string() + "' || exit 1; GAMEDAY_VENDOR_URL=http://127.0.0.1:" + std::to_string(vendor_port) +
      "/v1 GAMEDAY_EHR_URL=http://127.0.0.1:" + std::to_string(ehr_port) + "/fhir timeout 120 node '" +
      GAMEDAY_SOURCE_DIR + "/tests/node/sut.mjs' > sut.out 2> sut.err & echo $! > sut.pid; "
      "for i in $(seq 1 300); do grep -q '^sut ' sut.out 2>/dev/null && break; sleep 0.1; done";
  REQUIRE(std::system(start_sut.c_str()) == 0);
  const std::string sut_line = slurp(dir / "sut.out");
  REQUIRE(sut_line.rfind("sut http://127.0.0.1:", 0) == 0);
  const std::string sut = sut_line.substr(4, sut_line.find('\n') - 4);

  // wrong-patient-retrieval, 60 minutes in 1 (the fault from T+10s), at 4x: 15 s.
  const int rc = with_drill(dir,
                            scenario("wrong-patient-retrieval") + " --duration 1m --speed 4 -q --out out" +
                                " --vendor 127.0.0.1:" + std::to_string(vendor_port) + " --ehr 127.0.0.1:" +
                                std::to_string(ehr_port) + " --sut " + sut,
                            "true");
  std::system(("kill $(cat '" + (dir / "sut.pid").string() + "') 2> /dev/null").c_str());
  REQUIRE(rc == 0);
  INFO(slurp(dir / "drill.err") + slurp(dir / "sut.err"));
  REQUIRE((slurp(dir / "drill.code") == "0\n" || slurp(dir / "drill.code") == "1\n"));
  REQUIRE(slurp(dir / "drill.out").find("assistant ") == std::string::npos);

  const auto j = journal(dir / "out/journal.jsonl");
  long long fault_at = -1;
  for (const auto& e : of_type(j, "fault_start")) {
    if (e["kind"] == "wrong_patient") fault_at = e["t_us"].get<long long>();
  }
  REQUIRE(fault_at > 0);
  int before = 0, before_correct = 0, after = 0, wrong_patient = 0, unreachable = 0;
  for (const auto& r : of_type(j, "request")) {
    if (r["probe"].get<bool>()) continue;
    unreachable += r["cause"].get<std::string>().rfind("sut_", 0) == 0;
    if (r["arrival_us"].get<long long>() < fault_at) {
      ++before;
      before_correct += r["correct"].get<bool>();
      REQUIRE_FALSE(r["unsafe"].get<bool>());
    } else {
      ++after;
      wrong_patient += r["unsafe_kind"] == "wrong_patient";
    }
  }
  // The service answered; before the fault it was right (and never unsafe), after it some answers were about
  // another patient (it has no patient-match check), and the score says so.
  REQUIRE(unreachable == 0);
  REQUIRE(before > 10);
  REQUIRE(before_correct * 10 >= before * 9);  // a rare vendor 500 makes a (safe) fallback
  REQUIRE(after > 20);
  REQUIRE(wrong_patient > 0);
  const json report = json::parse(slurp(dir / "out/report.json"));
  REQUIRE(report["metrics"]["unsafe_by_kind"]["wrong_patient"].get<int>() == wrong_patient);
}

TEST_CASE("gameday drill rejects a --sut that is not a URL and an assistant API off loopback with exit 2", "[e2e][drill][errors]") {
  const auto s = gameday("drill scenarios/vendor-latency-spike.yaml --sut localhost:8080");
  REQUIRE(s.code == 2);
  REQUIRE(s.err.find("--sut") != std::string::npos);
  const auto a = gameday("drill scenarios/vendor-latency-spike.yaml --assistant 0.0.0.0:0");
  REQUIRE(a.code == 2);
  REQUIRE(a.err.find("--assistant") != std::string::npos);
  const auto v = gameday("drill scenarios/vendor-latency-spike.yaml --vendor nowhere");
  REQUIRE(v.code == 2);
  REQUIRE(v.err.find("--vendor") != std::string::npos);
}

TEST_CASE("gameday drill takes a control token and refuses bad listen addresses with exit 2", "[e2e][drill][errors]") {
  const auto off = gameday("drill scenarios/vendor-latency-spike.yaml --control 0.0.0.0:0");
  CHECK(off.code == 2);
  CHECK(off.err.find("give it a --token") != std::string::npos);
  const auto both = gameday("drill scenarios/vendor-latency-spike.yaml --token a --token-file /nonexistent");
  CHECK(both.code == 2);
  CHECK(both.err.find("give one of them") != std::string::npos);
  const auto bad = gameday("drill scenarios/vendor-latency-spike.yaml --control nonsense:0");
  CHECK(bad.code == 2);
  CHECK(bad.err.find("--control: 'nonsense' is not an IPv4 or IPv6 address") != std::string::npos);
  const auto nowhere = gameday("drill scenarios/vendor-latency-spike.yaml --ehr 192.0.2.1:0");
  CHECK(nowhere.code == 2);
  CHECK(nowhere.err.find("cannot listen on 192.0.2.1:0") != std::string::npos);
}

TEST_CASE("gameday drill --token-file guards its control port", "[e2e][drill]") {
  TempDir dir;
  dir.write("token.txt", "drill-token\n");
  const std::string c = kCurl;
  const std::string body =
      "poll \"" + c + " -sf -H 'Authorization: Bearer drill-token' \\\"\\$CONTROL/faults\\\" > /dev/null\" && " +
      c + " -o /dev/null -w '%{http_code}' \"$CONTROL/faults\" > none.code; " +
      c + " -o /dev/null -w '%{http_code}' -H 'authorization: BEARER drill-token' \"$CONTROL/faults\" > yes.code; " +
      "kill -INT $PID";
  REQUIRE(with_drill(dir, scenario("vendor-latency-spike") + " --duration 1m -q --out out --token-file token.txt", body) == 0);
  INFO(slurp(dir / "drill.err"));
  CHECK(slurp(dir / "none.code") == "401");
  CHECK(slurp(dir / "yes.code") == "200");
}

TEST_CASE("A drill fixes each vendor profile's port with --vendor ID=ADDR:PORT and refuses an unknown profile with exit 2", "[e2e][drill]") {
  TempDir dir;
  const int secondary = free_port();
  const int primary = free_port();
  const std::string args = scenario("vendor-latency-spike") + " --duration 2s -q --out out --vendor secondary=127.0.0.1:" +
                           std::to_string(secondary) + " --vendor 127.0.0.1:" + std::to_string(primary);
  REQUIRE(with_drill(dir, args, "true") == 0);
  const std::string out = slurp(dir / "drill.out");
  INFO(out << slurp(dir / "drill.err"));
  CHECK(out.find("vendor:secondary http://127.0.0.1:" + std::to_string(secondary) + "/v1\n") != std::string::npos);
  CHECK(out.find("vendor:primary http://127.0.0.1:" + std::to_string(primary) + "/v1\n") != std::string::npos);
  const auto unknown = gameday("drill " + scenario("vendor-latency-spike") + " --vendor tertiary=127.0.0.1:0");
  CHECK(unknown.code == 2);
  CHECK(unknown.err.find("no vendor profile 'tertiary' (they define: primary, secondary)") != std::string::npos);
  const auto twice = gameday("drill " + scenario("vendor-latency-spike") +
                             " --vendor secondary=127.0.0.1:0 --vendor secondary=127.0.0.1:0");
  CHECK(twice.code == 2);
  CHECK(twice.err.find("vendor profile 'secondary' given twice") != std::string::npos);
}
