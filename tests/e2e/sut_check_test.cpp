// `gameday sut check URL` against real services: the reference Node service (tests/node/sut.mjs:
// the openai SDK and fhir-kit-client, configured with fixed ports before the check starts), a
// service whose responses break the contract (tests/node/sut_malformed.mjs), and no service at
// all; and the published contract's schemas under Ajv (tests/node/sut_schema.mjs).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "drill_support.hpp"
#include "e2e_support.hpp"

using e2e::free_port;
using e2e::gameday;
using e2e::slurp;
using e2e::TempDir;
using nlohmann::json;

namespace {

// A service script (tests/node/*.mjs run by node, tests/python/*.py by python3), started in
// `dir` with `env`, stopped when this dies. url() is its "sut URL" line.
class NodeService {
 public:
  NodeService(const TempDir& dir, const std::string& script, const std::string& env) : dir_(dir) {
    const bool python = script.size() > 3 && script.compare(script.size() - 3, 3, ".py") == 0;
    const std::string start = "cd '" + dir.path().string() + "' || exit 1; " + env + " timeout 120 " +
                              (python ? "python3 '" : "node '") + GAMEDAY_SOURCE_DIR +
                              (python ? "/tests/python/" : "/tests/node/") + script +
                              "' > sut.out 2> sut.err & echo $! > sut.pid; "
                              "for i in $(seq 1 300); do grep -q '^sut ' sut.out 2>/dev/null && break; sleep 0.1; done";
    REQUIRE(std::system(start.c_str()) == 0);
    const std::string line = slurp(dir / "sut.out");
    REQUIRE(line.rfind("sut http://127.0.0.1:", 0) == 0);
    url_ = line.substr(4, line.find('\n') - 4);
  }
  ~NodeService() { std::system(("kill $(cat '" + (dir_ / "sut.pid").string() + "') 2> /dev/null").c_str()); }
  const std::string& url() const { return url_; }

 private:
  const TempDir& dir_;
  std::string url_;
};

}  // namespace

TEST_CASE("gameday sut check passes the reference service configured with the fakes' fixed ports", "[e2e][sut]") {
  if (const auto why = e2e::missing_node({"openai", "fhir-kit-client"}); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  const int vendor = free_port(), secondary = free_port(), ehr = free_port();
  const NodeService sut(dir, "sut.mjs",
                        "GAMEDAY_VENDOR_URL=http://127.0.0.1:" + std::to_string(vendor) +
                            "/v1 GAMEDAY_EHR_URL=http://127.0.0.1:" + std::to_string(ehr) + "/fhir");
  const auto r = gameday("sut check " + sut.url() + " --vendor 127.0.0.1:" + std::to_string(vendor) +
                         " --vendor secondary=127.0.0.1:" + std::to_string(secondary) + " --ehr 127.0.0.1:" +
                         std::to_string(ehr));
  INFO(r.out + r.err + slurp(dir / "sut.err"));
  CHECK(r.code == 0);
  // The fakes' lines first, as a drill prints them, on the ports asked for.
  CHECK(r.out.rfind("vendor http://127.0.0.1:" + std::to_string(vendor) + "/v1\n", 0) == 0);
  CHECK(r.out.find("vendor:secondary http://127.0.0.1:" + std::to_string(secondary) + "/v1\n") != std::string::npos);
  CHECK(r.out.find("ehr http://127.0.0.1:" + std::to_string(ehr) + "/fhir\n") != std::string::npos);
  CHECK(r.out.find("  FAIL  ") == std::string::npos);
  CHECK(r.out.find(": PASS\n") != std::string::npos);
  CHECK(r.out.find("pat-0") == std::string::npos);  // pseudonyms only
}

TEST_CASE("gameday sut check passes the Python reference service and fails the wrong one with the judge's reasons", "[e2e][sut][python]") {
  if (const auto why = e2e::missing("python3", "python3"); !why.empty()) return e2e::skip_because(why);
  for (const std::string script : {"sut.py", "wrong_sut.py"}) {
    INFO(script);
    TempDir dir;
    const int vendor = free_port(), ehr = free_port();
    const NodeService sut(dir, script,
                          "GAMEDAY_VENDOR_URL=http://127.0.0.1:" + std::to_string(vendor) +
                              "/v1 GAMEDAY_EHR_URL=http://127.0.0.1:" + std::to_string(ehr) + "/fhir");
    const auto r = gameday("sut check " + sut.url() + " --vendor 127.0.0.1:" + std::to_string(vendor) +
                           " --ehr 127.0.0.1:" + std::to_string(ehr));
    INFO(r.out + r.err + slurp(dir / "sut.err"));
    if (script == "sut.py") {
      CHECK(r.code == 0);
      CHECK(r.out.find("  FAIL  ") == std::string::npos);
      continue;
    }
    // What to change, in the judge's words: the invented code, the other patient's note.
    CHECK(r.code == 1);
    CHECK(r.out.find("states procedure code 99499 that no cited record holds") != std::string::npos);
    CHECK(r.out.find("cites another patient's record") != std::string::npos);
  }
}

TEST_CASE("gameday sut check fails a service whose responses break the schema and names each problem", "[e2e][sut]") {
  if (const auto why = e2e::missing("node", "nodejs npm"); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  const NodeService sut(dir, "sut_malformed.mjs", "");
  const auto r = gameday("sut check " + sut.url());
  INFO(r.out + r.err);
  CHECK(r.code == 1);
  CHECK(r.out.find("        schema: /status: required, missing\n") != std::string::npos);
  CHECK(r.out.find("        schema: /citations: expected array, got string\n") != std::string::npos);
  CHECK(r.out.find("docs/sut.md#the-response") != std::string::npos);
  CHECK(r.out.find(": FAIL\n") != std::string::npos);

  const auto j = gameday("sut check " + sut.url() + " --json");
  CHECK(j.code == 1);
  const json report = json::parse(j.out);
  CHECK(report["ok"] == false);
  CHECK(report["servers"].size() == 4);
  CHECK(report["failed"].get<int>() == static_cast<int>(report["cases"].size()));
  for (const auto& c : report["cases"]) CHECK_FALSE(c["schema_problems"].empty());
}

TEST_CASE("gameday sut check exits 2 naming the URL when no service answers there, and for bad options", "[e2e][sut][errors]") {
  const int port = free_port();
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  const auto r = gameday("sut check " + url);
  CHECK(r.code == 2);
  CHECK(r.err.find("cannot reach the service at " + url) != std::string::npos);
  CHECK(gameday("sut check localhost:8080").code == 2);
  const auto vendor = gameday("sut check " + url + " --vendor nowhere=127.0.0.1:0");
  CHECK(vendor.code == 2);
  CHECK(vendor.err.find("--vendor nowhere=...: the fakes define no vendor profile 'nowhere'") != std::string::npos);
  const auto ehr = gameday("sut check " + url + " --ehr nowhere");
  CHECK(ehr.code == 2);
  CHECK(ehr.err.find("--ehr") != std::string::npos);
  const auto missing = gameday("sut check " + url + " --golden no-such-set.yaml");
  CHECK(missing.code == 2);
  CHECK(missing.err.find("no-such-set.yaml") != std::string::npos);
}

TEST_CASE("The published contract's schemas compile under Ajv and judge sample responses as gameday does", "[e2e][sut]") {
  if (const auto why = e2e::missing_node({"ajv", "yaml"}); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  const std::string cmd = "GAMEDAY_BIN='" + std::string(GAMEDAY_BIN) + "' GAMEDAY_SOURCE_DIR='" + GAMEDAY_SOURCE_DIR +
                          "' node '" + GAMEDAY_SOURCE_DIR + "/tests/node/sut_schema.mjs' > '" +
                          (dir / "out").string() + "' 2>&1";
  const int status = std::system(cmd.c_str());
  INFO(slurp(dir / "out"));
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("gameday sut validate names the line and column where a body stops being JSON", "[e2e][sut][errors]") {
  TempDir dir;
  const auto broken = dir.write("broken.json", "{\"status\": \"ok\",\n  \"answer\": \"x\",\n");
  const auto typed = dir.write("typed.json", "{\"status\": \"ok\", \"answer\": 3}\n");
  const auto r = gameday("sut validate '" + broken.string() + "' '" + typed.string() + "'");
  INFO(r.out + r.err);
  CHECK(r.code == 1);
  CHECK(r.out.find(broken.string() + ":3:1: invalid JSON: ") != std::string::npos);
  CHECK(r.out.find(typed.string() + ": /answer: expected string, got integer") != std::string::npos);
}

TEST_CASE("gameday sut validate names where a number too large for JSON starts", "[e2e][sut][errors]") {
  TempDir dir;
  const auto huge = dir.write("huge.json", "{\"status\": \"ok\",\n  \"latency\": -682e9841}\n");
  const auto r = gameday("sut validate '" + huge.string() + "'");
  INFO(r.out + r.err);
  CHECK(r.code == 1);
  CHECK(r.out.find(huge.string() + ":2:14: invalid JSON: a number too large for a JSON number") != std::string::npos);
}
