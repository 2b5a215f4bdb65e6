// End-to-end: the real `gameday serve` and the unchanged official openai SDK's Responses API and
// AzureOpenAI client on node (tests/node/openai_responses.mjs) pointed at its fake vendor, with
// faults added through the control API. The vendor profiles are made fast (a copy of fakes/ with
// 30 ms to first token) to keep the run short.
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

// A copy of the shipped fakes whose vendors answer fast and without baseline errors.
std::filesystem::path fast_fakes(const TempDir& dir) {
  const auto fakes = dir / "fakes";
  std::filesystem::copy(std::filesystem::path(GAMEDAY_SOURCE_DIR) / "fakes", fakes,
                        std::filesystem::copy_options::recursive);
  dir.write("fakes/vendors.yaml", R"(vendors:
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
)");
  return fakes;
}

}  // namespace

TEST_CASE("The official openai SDK's Responses API and AzureOpenAI client work against gameday serve", "[e2e][live][vendor]") {
  if (const auto why = e2e::missing_node({"openai"}); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  ServeProcess server(dir, fast_fakes(dir));
  INFO("gameday serve stderr:\n" << server.stderr_text());
  REQUIRE(server.url("vendor").ends_with("/v1"));
  const auto out = dir / "node.stdout";
  const auto err = dir / "node.stderr";
  const std::string cmd = "cd '" + kNodeDir.string() +
                          "' && env -u DEBUG -u OPENAI_BASE_URL -u OPENAI_API_VERSION -u AZURE_OPENAI_ENDPOINT "
                          "GAMEDAY_VENDOR_URL='" + server.url("vendor") + "' GAMEDAY_CONTROL_URL='" +
                          server.url("control") + "' timeout 120 node openai_responses.mjs > '" + out.string() +
                          "' 2> '" + err.string() + "' < /dev/null";
  const int status = std::system(cmd.c_str());
  INFO("openai_responses.mjs stdout:\n" << slurp(out) << "\nstderr:\n" << slurp(err));
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  REQUIRE(slurp(out).find("openai_responses: ok") != std::string::npos);
  REQUIRE(server.stop() == 0);
}
