// End-to-end: the OpenTelemetry traces file a run writes next to its reports.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <set>
#include <sstream>
#include <string>

#include "e2e_support.hpp"
#include "node_clients.hpp"

using e2e::gameday;
using e2e::slurp;
using e2e::TempDir;
using nlohmann::json;

namespace {

// Root spans (no parent) in a traces file; `trace_ids` (when given) gets each root's trace id.
long count_roots(const std::string& text, std::set<std::string>* trace_ids = nullptr) {
  long roots = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const json parsed = json::parse(line);  // kept: a range-for over a temporary's member dangles
    for (const auto& rs : parsed["resourceSpans"]) {
      for (const auto& ss : rs["scopeSpans"]) {
        for (const auto& span : ss["spans"]) {
          if (span.contains("parentSpanId")) continue;
          ++roots;
          if (trace_ids != nullptr) trace_ids->insert(span["traceId"].get<std::string>());
        }
      }
    }
  }
  return roots;
}

}  // namespace

TEST_CASE("gameday run writes the same traces file twice for the same seed", "[e2e][traces]") {
  TempDir dir;
  for (const char* out : {"a", "b"}) {
    const auto r = gameday("run scenarios/vendor-latency-spike.yaml --seed 3 -q --out '" + (dir / out).string() + "'");
    INFO(r.err);
    REQUIRE((r.code == 0 || r.code == 1));
  }
  const std::string a = slurp(dir / "a/traces.otlp.jsonl");
  REQUIRE(a.size() > 100000);
  REQUIRE(a == slurp(dir / "b/traces.otlp.jsonl"));
  // Every request is traced by default: one root per request, plus one per playbook run.
  const json report = json::parse(slurp(dir / "a/report.json"));
  REQUIRE(count_roots(a) >= report["metrics"]["requests"].get<long>());
}

TEST_CASE("Every trace of a run with golden probes has a trace id of its own", "[e2e][traces]") {
  TempDir dir;
  // Probes number their requests from 1, as user traffic does.
  const auto r = gameday("run scenarios/bad-prompt-deploy.yaml --seed 2 -q --out '" + dir.path().string() + "'");
  INFO(r.err);
  REQUIRE((r.code == 0 || r.code == 1));
  const std::string traces = slurp(dir / "traces.otlp.jsonl");
  REQUIRE(traces.find("{\"key\":\"gameday.probe\",\"value\":{\"boolValue\":true}}") != std::string::npos);
  std::set<std::string> ids;
  const long roots = count_roots(traces, &ids);
  REQUIRE(roots > 1000);
  REQUIRE(static_cast<long>(ids.size()) == roots);
}

TEST_CASE("gameday run --trace-sample keeps fewer traces and --no-traces writes none", "[e2e][traces]") {
  TempDir dir;
  const std::string base = "run scenarios/vendor-latency-spike.yaml --seed 3 -q --out '";
  REQUIRE(gameday(base + (dir / "all").string() + "'").code <= 1);
  REQUIRE(gameday(base + (dir / "tenth").string() + "' --trace-sample 0.1").code <= 1);
  REQUIRE(gameday(base + (dir / "none").string() + "' --no-traces").code <= 1);
  const long all = count_roots(slurp(dir / "all/traces.otlp.jsonl"));
  const long tenth = count_roots(slurp(dir / "tenth/traces.otlp.jsonl"));
  REQUIRE(tenth < all / 2);
  REQUIRE(tenth > 0);
  REQUIRE_FALSE(std::filesystem::exists(dir / "none/traces.otlp.jsonl"));
  // The journal does not change with the traces settings.
  REQUIRE(slurp(dir / "all/journal.jsonl") == slurp(dir / "none/journal.jsonl"));
  REQUIRE(slurp(dir / "all/journal.jsonl") == slurp(dir / "tenth/journal.jsonl"));
}

TEST_CASE("gameday run refuses a trace sample outside zero to one with exit 2", "[e2e][traces]") {
  TempDir dir;
  for (const char* bad : {"0", "1.5", "-1", "lots"}) {
    INFO(bad);
    const auto r = gameday(std::string("run --trace-sample ") + bad + " --out '" + (dir / "x").string() + "'");
    REQUIRE(r.code == 2);
    REQUIRE(r.err.find("--trace-sample") != std::string::npos);
  }
}

TEST_CASE("gameday ci writes a traces file with each run it keeps", "[e2e][traces]") {
  TempDir dir;
  const auto r = gameday("ci scenarios/vendor-latency-spike.yaml --seeds 1 -j 1 --no-progress --summary '" +
                         (dir / "summary.json").string() + "' --out '" + (dir / "runs").string() + "'");
  INFO(r.err);
  REQUIRE((r.code == 0 || r.code == 1));
  REQUIRE(std::filesystem::exists(dir / "runs/vendor-latency-spike-7/traces.otlp.jsonl"));
}

TEST_CASE("The traces file decodes with the OpenTelemetry protocol definitions and names GenAI attributes as the conventions do",
          "[e2e][traces][node]") {
  if (const auto why = e2e::missing_node({"@opentelemetry/otlp-transformer", "@opentelemetry/semantic-conventions"});
      !why.empty()) {
    return e2e::skip_because(why);
  }
  TempDir dir;
  const auto r = gameday("run scenarios/vendor-latency-spike.yaml -q --out '" + (dir / "out").string() + "'");
  REQUIRE((r.code == 0 || r.code == 1));
  const std::string cmd = "cd '" + e2e::kNodeDir.string() + "' && timeout 120 node otlp_traces.mjs '" +
                          (dir / "out/traces.otlp.jsonl").string() + "' > '" + (dir / "node.out").string() +
                          "' 2> '" + (dir / "node.err").string() + "' < /dev/null";
  const int status = std::system(cmd.c_str());
  INFO("stdout:\n" << slurp(dir / "node.out") << "\nstderr:\n" << slurp(dir / "node.err"));
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  REQUIRE(slurp(dir / "node.out").find("decode as ExportTraceServiceRequest") != std::string::npos);
}
