// End-to-end: the real `gameday serve`, and an unchanged FHIR client (fhir-kit-client on node,
// tests/node/fhir_client.mjs) reading, searching and paging its EHR, then meeting an error fault
// added through the control API.
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

TEST_CASE("A real FHIR client reads and pages the live EHR and gets an OperationOutcome from an error fault", "[e2e][live][ehr]") {
  const std::filesystem::path node_dir = std::filesystem::path(GAMEDAY_SOURCE_DIR) / "tests" / "node";
  if (const auto why = e2e::missing_node({"fhir-kit-client"}); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  ServeProcess serve(dir);
  const std::string ehr = serve.url("ehr");
  const std::string control = serve.url("control");
  INFO("gameday serve stderr:\n" << serve.stderr_text());
  REQUIRE(ehr.starts_with("http://127.0.0.1:"));
  REQUIRE(ehr.ends_with("/fhir"));
  REQUIRE_FALSE(control.empty());

  const auto out = dir / "node.stdout";
  const auto err = dir / "node.stderr";
  const std::string cmd = "cd '" + node_dir.string() + "' && env -u DEBUG GAMEDAY_EHR_URL='" + ehr +
                          "' GAMEDAY_CONTROL_URL='" + control + "' node fhir_client.mjs > '" +
                          out.string() + "' 2> '" + err.string() + "' < /dev/null";
  const int status = std::system(cmd.c_str());
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  INFO("fhir_client.mjs stdout:\n" << slurp(out) << "\nstderr:\n" << slurp(err));
  REQUIRE(code == 0);
  REQUIRE(slurp(out).find("fhir_client: ok") != std::string::npos);
  REQUIRE(serve.stop() == 0);
}
