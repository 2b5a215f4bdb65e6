// End-to-end: trace context in. A drill's workload sends a W3C traceparent with every request; a
// team's service instrumented with OpenTelemetry (tests/node/sut.mjs loaded with
// tests/node/otel_register.mjs: @opentelemetry/sdk-node with the http and undici
// instrumentations, nothing written for gameday) passes it on to its calls to the fake vendor and
// EHR, so its answers get root causes from the fakes' side: an EHR-timeout drill traces every bad
// answer to the EHR. The same service without instrumentation is reported as untraced, never
// guessed at.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>

#include "drill_support.hpp"
#include "e2e_support.hpp"

using e2e::free_port;
using e2e::journal;
using e2e::of_type;
using e2e::slurp;
using e2e::TempDir;
using e2e::with_drill;
using nlohmann::json;

namespace {

struct SutDrill {
  json journal_requests;
  std::string report_md;
  json report;
  std::string traces;
  std::string drill_err;
};

// Runs tests/node/sut.mjs (with OpenTelemetry when `instrumented`) and drills the EHR timeout
// cascade against it: 60 minutes in 1, at 4x (15 s).
SutDrill drill_sut(const TempDir& dir, bool instrumented) {
  const int vendor_port = free_port();
  const int ehr_port = free_port();
  const int control_port = free_port();
  const std::string node_dir = std::string(GAMEDAY_SOURCE_DIR) + "/tests/node";
  const std::string otel = instrumented ? " --import '" + node_dir + "/otel_register.mjs'" : "";
  const std::string start_sut =
      "cd '" + dir.path().string() + "' || exit 1; GAMEDAY_VENDOR_URL=http://127.0.0.1:" + std::to_string(vendor_port) +
      "/v1 GAMEDAY_EHR_URL=http://127.0.0.1:" + std::to_string(ehr_port) +
      "/fhir OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:" + std::to_string(control_port) +
      " OTEL_SERVICE_NAME=team-answers timeout 120 node" + otel + " '" + node_dir +
      "/sut.mjs' > sut.out 2> sut.err & echo $! > sut.pid; "
      "for i in $(seq 1 300); do grep -q '^sut ' sut.out 2>/dev/null && break; sleep 0.1; done";
  REQUIRE(std::system(start_sut.c_str()) == 0);
  const std::string sut_line = slurp(dir / "sut.out");
  INFO(slurp(dir / "sut.err"));
  REQUIRE(sut_line.rfind("sut http://127.0.0.1:", 0) == 0);
  const std::string sut = sut_line.substr(4, sut_line.find('\n') - 4);
  const int rc = with_drill(dir,
                            "'" + std::string(GAMEDAY_SOURCE_DIR) + "/scenarios/ehr-timeout-cascade.yaml'" +
                                " --duration 1m --speed 4 -q --out out --vendor 127.0.0.1:" +
                                std::to_string(vendor_port) + " --ehr 127.0.0.1:" + std::to_string(ehr_port) +
                                " --control 127.0.0.1:" + std::to_string(control_port) + " --sut " + sut,
                            "true");
  std::system(("kill $(cat '" + (dir / "sut.pid").string() + "') 2> /dev/null").c_str());
  REQUIRE(rc == 0);
  SutDrill d;
  d.drill_err = slurp(dir / "drill.err");
  INFO(d.drill_err);
  REQUIRE((slurp(dir / "drill.code") == "0\n" || slurp(dir / "drill.code") == "1\n"));
  d.journal_requests = of_type(journal(dir / "out/journal.jsonl"), "request");
  d.report_md = slurp(dir / "out/report.md");
  d.report = json::parse(slurp(dir / "out/report.json"));
  d.traces = slurp(dir / "out/traces.otlp.jsonl");
  return d;
}

}  // namespace

TEST_CASE("A service that propagates trace context gets root causes from the fakes' side in an EHR timeout drill", "[e2e][drill][sut][trace]") {
  if (const auto why = e2e::missing_node({"openai", "fhir-kit-client", "@opentelemetry/sdk-node",
                                          "@opentelemetry/instrumentation-undici"});
      !why.empty()) {
    return e2e::skip_because(why);
  }
  TempDir dir;
  const SutDrill d = drill_sut(dir, true);
  int bad = 0, to_ehr = 0, untraced = 0, timed_faults = 0, with_ehr_calls = 0;
  for (const auto& r : d.journal_requests) {
    with_ehr_calls += r["ehr_calls"].get<int>() > 0;
    const bool is_bad = r["status"] != "ok" || r["unsafe"].get<bool>();
    if (!is_bad) continue;
    ++bad;
    to_ehr += r["root_cause"] == "ehr_dependency";
    untraced += r["root_cause"] == "no_trace_context";
    timed_faults += r["faults"].dump().find("ehr") != std::string::npos;
  }
  INFO(d.report_md);
  // The fakes counted the service's EHR calls for its answers, and saw which faults touched them.
  REQUIRE(with_ehr_calls > 20);
  REQUIRE(bad > 5);
  REQUIRE(untraced == 0);
  REQUIRE(to_ehr == bad);
  REQUIRE(timed_faults > 0);
  REQUIRE(d.report_md.find("No trace context") == std::string::npos);
  // The drill's traces: the workload's call is the root, the service's calls as the fakes saw them its children.
  REQUIRE(d.traces.find("\"gameday-workload\"") != std::string::npos);
  REQUIRE(d.traces.find("\"name\":\"GET /DocumentReference\"") != std::string::npos);
  // The service exported its own spans to the drill's control port: they joined the same traces.
  REQUIRE(d.traces.find("\"team-answers\"") != std::string::npos);
}

TEST_CASE("A service that does not propagate trace context is reported as untraced, with no guessed root cause", "[e2e][drill][sut][trace]") {
  if (const auto why = e2e::missing_node({"openai", "fhir-kit-client"}); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  const SutDrill d = drill_sut(dir, false);
  int bad = 0, untraced = 0;
  for (const auto& r : d.journal_requests) {
    if (r["status"] == "ok" && !r["unsafe"].get<bool>()) continue;
    ++bad;
    untraced += r["root_cause"] == "no_trace_context";
    REQUIRE(r["ehr_calls"] == 0);  // nothing tied its calls to it
  }
  INFO(d.report_md);
  REQUIRE(bad > 5);
  REQUIRE(untraced == bad);
  REQUIRE(d.report_md.find("No trace context: root cause unavailable for " + std::to_string(bad) + " answers") !=
          std::string::npos);
  REQUIRE(d.report["metrics"]["root_cause"]["no_trace_context"]["count"] == bad);
}
