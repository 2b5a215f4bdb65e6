// End-to-end: the real `gameday serve` and unchanged OpenAI clients on node (the official openai
// SDK, tests/node/openai_sdk.mjs; @langchain/openai, tests/node/langchain_openai.mjs) pointed at
// its fake vendor, with faults added through the control API. The vendor profiles are made fast
// (a copy of fakes/ with 30 ms to first token) to keep the run short.
#include <catch2/catch.hpp>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <thread>

#include "e2e_support.hpp"
#include "serve_process.hpp"

using e2e::slurp;
using e2e::ServeProcess;
using e2e::TempDir;

namespace {

const std::filesystem::path kNodeDir = std::filesystem::path(GAMEDAY_SOURCE_DIR) / "tests" / "node";

// Error-free vendors that answer fast.
constexpr const char* kFastVendors = R"(vendors:
  - id: primary
    name: Northwind Models (synthetic)
    models: [nw-clinical-large]
    ttft: 30ms
    tokens_per_second: 400
    error_rate: 0
    ungrounded_rate: 0
    price_per_1k_input: 0.003
    price_per_1k_output: 0.015
  - id: secondary
    name: Bluebird AI (synthetic)
    models: [bb-med-pro]
    ttft: 30ms
    tokens_per_second: 400
    error_rate: 0
    ungrounded_rate: 0
    price_per_1k_input: 0.0025
    price_per_1k_output: 0.01
)";

// A copy of the shipped fakes with fast vendors.
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
  const std::string cmd = "cd '" + kNodeDir.string() + "' && env -u DEBUG -u OPENAI_BASE_URL GAMEDAY_VENDOR_URL='" +
                          server.url("vendor") + "' GAMEDAY_CONTROL_URL='" + server.url("control") +
                          "' timeout 120 node " + script + " > '" + out.string() + "' 2> '" + err.string() +
                          "' < /dev/null";
  const int status = std::system(cmd.c_str());
  return NodeRun{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

}  // namespace

TEST_CASE("The official openai SDK chats, streams, calls tools, gets JSON and embeddings, and meets faults", "[e2e][live][vendor]") {
  if (const auto why = e2e::missing_node({"openai"}); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  ServeProcess server(dir, fast_fakes(dir));
  INFO("gameday serve stderr:\n" << server.stderr_text());
  REQUIRE(server.url("vendor").starts_with("http://127.0.0.1:"));
  REQUIRE(server.url("vendor").ends_with("/v1"));
  REQUIRE_FALSE(server.url("control").empty());
  const NodeRun r = run_node(dir, "openai_sdk.mjs", server);
  INFO("openai_sdk.mjs stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.code == 0);
  REQUIRE(r.out.find("openai_sdk: ok") != std::string::npos);
  REQUIRE(server.stop() == 0);
}

TEST_CASE("LangChain's ChatOpenAI invokes, streams and calls tools through the live fake vendor", "[e2e][live][vendor]") {
  if (const auto why = e2e::missing_node({"@langchain/openai"}); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  ServeProcess server(dir, fast_fakes(dir));
  INFO("gameday serve stderr:\n" << server.stderr_text());
  REQUIRE_FALSE(server.url("vendor").empty());
  const NodeRun r = run_node(dir, "langchain_openai.mjs", server);
  INFO("langchain_openai.mjs stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.code == 0);
  REQUIRE(r.out.find("langchain_openai: tools forced, auto and answered from the result\n") != std::string::npos);
  REQUIRE(r.out.find("langchain_openai: ok") != std::string::npos);
  REQUIRE(server.stop() == 0);
}
