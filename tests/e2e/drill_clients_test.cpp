// End-to-end: a running `gameday drill`'s fake vendor serves the unchanged official clients
// (tests/node/drill_clients.mjs: the openai SDK's chat completions and Responses API, its
// AzureOpenAI client, @anthropic-ai/sdk's Messages) at the URL the drill prints on its `vendor`
// line. The drill plays a fault-free scenario with fast vendors, so only the clients' own calls
// are checked; it is interrupted once they are done.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "drill_support.hpp"
#include "e2e_support.hpp"
#include "node_clients.hpp"

using e2e::slurp;
using e2e::TempDir;
using e2e::with_drill;

namespace {

// A fault-free ten-minute scenario over a copy of the shipped fakes with fast vendors (the
// primary serves both wire formats).
void write_quiet_scenario(const TempDir& dir) {
  e2e::fast_fakes(dir);
  dir.write("scenario.yaml",
            "name: quiet-vendor\n"
            "seed: 1\n"
            "duration: 10m\n"
            "fakes: fakes\n"
            "workload:\n"
            "  rate: 0.5\n"
            "  mix: {benefits_question: 1}\n");
}

}  // namespace

TEST_CASE("The official openai, AzureOpenAI and anthropic clients answer from a running drill's vendor", "[e2e][drill][vendor]") {
  if (const auto why = e2e::missing_node({"openai", "@anthropic-ai/sdk"}); !why.empty()) return e2e::skip_because(why);
  if (const auto why = e2e::missing("curl", "curl"); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  write_quiet_scenario(dir);
  // The clients run once the engine does; then the drill's metrics, then an interrupt ends it.
  const std::string body =
      "poll '" + std::string(e2e::kDrillRunning) + "'; VENDOR=$(sed -n 's/^vendor //p' drill.out); "
      "(cd '" + e2e::kNodeDir.string() + "' && env -u DEBUG -u OPENAI_BASE_URL -u ANTHROPIC_BASE_URL "
      "GAMEDAY_VENDOR_URL=\"$VENDOR\" timeout 60 node drill_clients.mjs) > clients.out 2> clients.err < /dev/null; "
      "rc=$?; " + std::string(e2e::kCurl) + " \"$CONTROL/metrics\" > metrics.txt; kill -INT $PID; exit $rc";
  const int rc = with_drill(dir, "scenario.yaml --speed 1 -q --out out", body);
  INFO("drill_clients.mjs stdout:\n" << slurp(dir / "clients.out") << "\nstderr:\n" << slurp(dir / "clients.err")
                                     << "\ndrill stderr:\n" << slurp(dir / "drill.err"));
  REQUIRE(rc == 0);
  const std::string out = slurp(dir / "clients.out");
  for (const char* line : {"drill_clients: openai chat\n", "drill_clients: openai responses\n",
                           "drill_clients: azure chat\n", "drill_clients: anthropic messages\n",
                           "drill_clients: ok\n"}) {
    REQUIRE(out.find(line) != std::string::npos);
  }
  // The calls reached the drill's own vendor: its metrics count them, answered, by route.
  const std::string metrics = slurp(dir / "metrics.txt");
  INFO(metrics);
  for (const std::string route : {"/v1/chat/completions", "/v1/responses",
                                  "/openai/deployments/{deployment}/chat/completions", "/v1/messages"}) {
    REQUIRE(metrics.find("gameday_http_requests_total{route=\"" + route + "\",server=\"vendor\",status=\"200\"}") !=
            std::string::npos);
  }
  // Interrupted: faults reverted (none here), the journal and a partial report written.
  REQUIRE(slurp(dir / "drill.code") == "3\n");
  REQUIRE(std::filesystem::exists(dir / "out/journal.jsonl"));
}
