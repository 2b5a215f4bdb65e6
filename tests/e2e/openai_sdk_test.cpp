// End-to-end: the real `gameday serve` and unchanged OpenAI clients on node (the official openai
// SDK, tests/node/openai_sdk.mjs; @langchain/openai, tests/node/langchain_openai.mjs) pointed at
// its fake vendor, with faults added through the control API. The vendor profiles are made fast
// (a copy of fakes/ with 30 ms to first token) to keep the run short.
#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <string>
#include <thread>

#include "e2e_support.hpp"
#include "node_clients.hpp"
#include "serve_process.hpp"

using e2e::fast_fakes;
using e2e::NodeRun;
using e2e::run_node;
using e2e::ServeProcess;
using e2e::TempDir;

TEST_CASE("The official openai SDK chats, streams, calls tools, gets JSON and embeddings, and meets faults", "[e2e][live][vendor]") {
  if (const auto why = e2e::missing_node({"openai"}); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  ServeProcess server(dir, fast_fakes(dir));
  INFO("gameday serve stderr:\n" << server.stderr_text());
  REQUIRE(server.url("vendor").starts_with("http://127.0.0.1:"));
  REQUIRE(server.url("vendor").ends_with("/v1"));
  REQUIRE_FALSE(server.url("control").empty());
  const NodeRun r = run_node(dir, "openai_sdk.mjs", server.url("vendor"), server.url("control"));
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
  const NodeRun r = run_node(dir, "langchain_openai.mjs", server.url("vendor"), server.url("control"));
  INFO("langchain_openai.mjs stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.code == 0);
  REQUIRE(r.out.find("langchain_openai: tools forced, auto and answered from the result\n") != std::string::npos);
  REQUIRE(r.out.find("langchain_openai: ok") != std::string::npos);
  REQUIRE(server.stop() == 0);
}
