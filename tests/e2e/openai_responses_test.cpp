// End-to-end: the real `gameday serve` and the unchanged official openai SDK's Responses API and
// AzureOpenAI client on node (tests/node/openai_responses.mjs) pointed at its fake vendor, with
// faults added through the control API. The vendor profiles are made fast (a copy of fakes/ with
// 30 ms to first token) to keep the run short.
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

TEST_CASE("The official openai SDK's Responses API and AzureOpenAI client work against gameday serve", "[e2e][live][vendor]") {
  if (const auto why = e2e::missing_node({"openai"}); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  ServeProcess server(dir, fast_fakes(dir));
  INFO("gameday serve stderr:\n" << server.stderr_text());
  REQUIRE(server.url("vendor").ends_with("/v1"));
  const NodeRun r = run_node(dir, "openai_responses.mjs", server.url("vendor"), server.url("control"));
  INFO("openai_responses.mjs stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.code == 0);
  REQUIRE(r.out.find("openai_responses: ok") != std::string::npos);
  REQUIRE(server.stop() == 0);
}
