// End-to-end: the real `gameday serve` and unchanged Anthropic clients on node (the official
// @anthropic-ai/sdk, tests/node/anthropic_sdk.mjs; @langchain/anthropic,
// tests/node/langchain_anthropic.mjs) pointed at its fake vendor's Anthropic Messages route, with
// faults added through the control API. The vendor profiles are fast (30 ms to first token) and
// the primary serves both wire formats.
#include <catch2/catch.hpp>

#include <string>

#include "e2e_support.hpp"
#include "node_clients.hpp"
#include "serve_process.hpp"

using e2e::fast_fakes;
using e2e::NodeRun;
using e2e::run_node;
using e2e::ServeProcess;
using e2e::TempDir;

TEST_CASE("The official Anthropic SDK sends messages, streams, uses a tool and meets 429 and 529 faults", "[e2e][live][vendor]") {
  if (const auto why = e2e::missing_node({"@anthropic-ai/sdk"}); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  ServeProcess server(dir, fast_fakes(dir));
  INFO("gameday serve stderr:\n" << server.stderr_text());
  REQUIRE(server.url("vendor").starts_with("http://127.0.0.1:"));
  const NodeRun r = run_node(dir, "anthropic_sdk.mjs", server.url("vendor"), server.url("control"));
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
  const NodeRun r = run_node(dir, "langchain_anthropic.mjs", server.url("vendor"), server.url("control"));
  INFO("langchain_anthropic.mjs stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.code == 0);
  REQUIRE(r.out.find("langchain_anthropic: ok") != std::string::npos);
  REQUIRE(server.stop() == 0);
}
