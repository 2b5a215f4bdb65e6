// What the end-to-end tests that run unchanged npm clients (tests/node/*.mjs) against a live fake
// vendor share: a copy of the shipped fakes whose vendors answer fast and without baseline errors,
// and running one script with the vendor and control URLs it needs.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "e2e_support.hpp"

namespace e2e {

/// The directory of the node client scripts and their node_modules.
inline const std::filesystem::path kNodeDir = std::filesystem::path(GAMEDAY_SOURCE_DIR) / "tests" / "node";

/// A copy of the shipped fakes under `dir`/fakes whose vendors answer fast (30 ms to first token,
/// 400 tokens/s) and never fail on their own; the primary serves the OpenAI and Anthropic formats.
inline std::filesystem::path fast_fakes(const TempDir& dir) {
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
    formats: [openai, anthropic]
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

/// How a node script ended: its exit code (-1 when it did not exit) and what it printed.
struct NodeRun {
  int code = -1;
  std::string out;
  std::string err;
};

/// Runs tests/node/`script` with GAMEDAY_VENDOR_URL and GAMEDAY_CONTROL_URL set (and the SDKs'
/// own base URL, key and version variables unset, so only those URLs count), for at most 120 s;
/// its output is kept under `dir`.
inline NodeRun run_node(const TempDir& dir, const std::string& script, const std::string& vendor_url,
                        const std::string& control_url) {
  const auto out = dir / (script + ".stdout");
  const auto err = dir / (script + ".stderr");
  const std::string cmd =
      "cd '" + kNodeDir.string() +
      "' && env -u DEBUG -u OPENAI_BASE_URL -u OPENAI_API_VERSION -u AZURE_OPENAI_ENDPOINT -u ANTHROPIC_BASE_URL "
      "-u ANTHROPIC_API_KEY GAMEDAY_VENDOR_URL='" +
      vendor_url + "' GAMEDAY_CONTROL_URL='" + control_url + "' timeout 120 node " + script + " > '" +
      out.string() + "' 2> '" + err.string() + "' < /dev/null";
  const int status = std::system(cmd.c_str());
  return NodeRun{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

}  // namespace e2e
