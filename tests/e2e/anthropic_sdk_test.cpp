// End-to-end: the real `gameday serve` and unchanged Anthropic clients on node (the official
// @anthropic-ai/sdk, tests/node/anthropic_sdk.mjs; @langchain/anthropic,
// tests/node/langchain_anthropic.mjs) pointed at its fake vendor's Anthropic Messages route, with
// faults added through the control API. The vendor profiles are fast (30 ms to first token) and
// the primary serves both wire formats.
#include <catch2/catch.hpp>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "e2e_support.hpp"
#include "serve_process.hpp"

using e2e::slurp;
using e2e::ServeProcess;
using e2e::TempDir;

namespace {

const std::filesystem::path kNodeDir = std::filesystem::path(GAMEDAY_SOURCE_DIR) / "tests" / "node";

constexpr const char* kFastVendors = R"(vendors:
  - id: primary
    name: Northwind Models (synthetic)
    models: [nw-clinical-large]
    ttft: 30ms
    tokens_per_second: 400
    error_rate: 0
    ungrounded_rate: 0
    formats: [openai, anthropic]
  - id: secondary
    name: Bluebird AI (synthetic)
    models: [bb-med-pro]
    ttft: 30ms
    tokens_per_second: 400
    error_rate: 0
    ungrounded_rate: 0
)";

std::filesystem::path fast_fakes(const TempDir& dir) {
  const auto fakes = dir / "fakes";
  std::filesystem::copy(std::filesystem::path(GAMEDAY_SOURCE_DIR) / "fakes", fakes,
                        std::filesystem::copy_options::recursive);
  dir.write("fakes/vendors.yaml", kFastVendors);
  return fakes;
}

struct NodeRun {
  int code = -1;
  std::string out;
  std::string err;
};

NodeRun run_node(const TempDir& dir, const std::string& script, const ServeProcess& server) {
  const auto out = dir / (script + ".stdout");
  const auto err = dir / (script + ".stderr");
  const std::string cmd = "cd '" + kNodeDir.string() + "' && env -u DEBUG -u ANTHROPIC_BASE_URL -u ANTHROPIC_API_KEY " +
                          "GAMEDAY_VENDOR_URL='" + server.url("vendor") + "' GAMEDAY_CONTROL_URL='" +
                          server.url("control") + "' timeout 120 node " + script + " > '" + out.string() + "' 2> '" +
                          err.string() + "' < /dev/null";
  const int status = std::system(cmd.c_str());
  return NodeRun{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

}  // namespace

TEST_CASE("The official Anthropic SDK sends messages, streams, uses a tool and meets 429 and 529 faults", "[e2e][live][vendor]") {
  if (const auto why = e2e::missing_node({"@anthropic-ai/sdk"}); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  ServeProcess server(dir, fast_fakes(dir));
  INFO("gameday serve stderr:\n" << server.stderr_text());
  REQUIRE(server.url("vendor").starts_with("http://127.0.0.1:"));
  const NodeRun r = run_node(dir, "anthropic_sdk.mjs", server);
  INFO("anthropic_sdk.mjs stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.code == 0);
  REQUIRE(r.out.find("anthropic_sdk: ok") != std::string::npos);
  REQUIRE(server.stop() == 0);
}

TEST_CASE("LangChain's ChatAnthropic invokes, streams and calls a tool through the live fake vendor", "[e2e][live][vendor]") {
  if (const auto why = e2e::missing_node({"@langchain/anthropic"}); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  ServeProcess server(dir, fast_fakes(dir));
  INFO("gameday serve stderr:\n" << server.stderr_text());
  REQUIRE_FALSE(server.url("vendor").empty());
  const NodeRun r = run_node(dir, "langchain_anthropic.mjs", server);
  INFO("langchain_anthropic.mjs stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.code == 0);
  REQUIRE(r.out.find("langchain_anthropic: ok") != std::string::npos);
  REQUIRE(server.stop() == 0);
}
