// End-to-end: `gameday serve` prints where it listens, serves its control API, and rejects bad
// options and fault files.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <regex>
#include <string>

#include "e2e_support.hpp"

using e2e::gameday;
using e2e::slurp;
using e2e::TempDir;
using nlohmann::json;

namespace {

/// Starts `gameday serve ARGS` in the background from `dir`, waits for its three address lines,
/// runs `body` (a shell snippet that may use $VENDOR, $EHR and $CONTROL), then stops it with
/// SIGINT. Returns the shell's exit status; serve's output is left in dir/serve.out and
/// dir/serve.err, its exit code in dir/serve.code.
int with_serve(const TempDir& dir, const std::string& args, const std::string& body) {
  const std::string script =
      "cd '" + dir.path().string() + "' && { '" + std::string(GAMEDAY_BIN) + "' serve " + args +
      " > serve.out 2> serve.err < /dev/null & }; pid=$!; "
      "for i in $(seq 1 600); do [ \"$(cat serve.out 2>/dev/null | wc -l)\" -ge 3 ] && break; sleep 0.05; done; "
      "VENDOR=$(sed -n 's/^vendor //p' serve.out); EHR=$(sed -n 's/^ehr //p' serve.out); "
      "CONTROL=$(sed -n 's/^control //p' serve.out); "
      "( " + body + " ); rc=$?; kill -INT $pid; wait $pid; echo $? > serve.code; exit $rc";
  const int status = std::system(script.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

constexpr const char* kCurl = "curl --noproxy '*' -s --max-time 10";

}  // namespace

TEST_CASE("gameday serve prints its three addresses first and exits 0 on SIGINT", "[e2e][serve]") {
  TempDir dir;
  REQUIRE(with_serve(dir, "", "true") == 0);
  const std::string out = slurp(dir / "serve.out");
  INFO(out << slurp(dir / "serve.err"));
  REQUIRE(std::regex_search(out, std::regex(R"(^vendor http://127\.0\.0\.1:[1-9][0-9]*/v1\nehr http://127\.0\.0\.1:[1-9][0-9]*/fhir\ncontrol http://127\.0\.0\.1:[1-9][0-9]*\n)")));
  REQUIRE(slurp(dir / "serve.code") == "0\n");
}

TEST_CASE("The control API adds, lists and removes faults, rejects bad ones with their position, and resets", "[e2e][serve][control]") {
  if (const auto why = e2e::missing("curl", "curl"); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  const std::string c = kCurl;
  const std::string body =
      c + " -X POST \"$CONTROL/faults\" -d '{\"id\":\"slow\",\"target\":\"vendor:primary\",\"kind\":\"latency\",\"delay\":\"200ms\"}' -o add.json -w '%{http_code}' > add.code; " +
      c + " -X POST \"$CONTROL/faults\" -d '{\"id\":\"x\",\"target\":\"vendor:primary\",\"kind\":\"slowness\"}' -o bad.json -w '%{http_code}' > bad.code; " +
      c + " \"$CONTROL/faults\" -o list.json; " +
      c + " \"$CONTROL/metrics\" -o metrics.txt; " +
      c + " -X DELETE \"$CONTROL/faults/slow\" -w '%{http_code}' > del.code; " +
      c + " -X DELETE \"$CONTROL/faults/slow\" -o gone.json -w '%{http_code}' > gone.code; " +
      c + " -X POST \"$CONTROL/faults\" -d '{\"id\":\"down\",\"target\":\"ehr\",\"kind\":\"error\",\"status\":503}' > /dev/null; " +
      c + " -X POST \"$CONTROL/reset\" -o reset.json; " + c + " \"$CONTROL/nowhere\" -w '%{http_code}' -o /dev/null > unknown.code";
  dir.write("faults.yaml", "faults:\n  - {id: boot, target: ehr, kind: timeout}\n");
  REQUIRE(with_serve(dir, "--faults faults.yaml", body) == 0);
  INFO(slurp(dir / "serve.err"));
  CHECK(slurp(dir / "add.code") == "201");
  CHECK(json::parse(slurp(dir / "add.json"))["id"] == "slow");
  CHECK(slurp(dir / "bad.code") == "400");
  CHECK_THAT(json::parse(slurp(dir / "bad.json"))["error"]["message"].get<std::string>(),
             Catch::StartsWith("request body:1:44: unknown fault kind 'slowness'"));
  const json list = json::parse(slurp(dir / "list.json"));
  REQUIRE(list["faults"].size() == 2);
  CHECK(list["faults"][0]["id"] == "boot");
  CHECK(list["faults"][1]["id"] == "slow");
  CHECK(slurp(dir / "metrics.txt").find("# TYPE gameday_http_requests_total counter") != std::string::npos);
  CHECK(slurp(dir / "del.code") == "204");
  CHECK(slurp(dir / "gone.code") == "404");
  CHECK(json::parse(slurp(dir / "reset.json"))["removed"] == 2);
  CHECK(slurp(dir / "unknown.code") == "404");
  CHECK(slurp(dir / "serve.code") == "0\n");
}

TEST_CASE("gameday serve rejects a bad fault file, a bad address and an open control port without a token", "[e2e][serve][errors]") {
  TempDir dir;
  dir.write("faults.yaml", "faults:\n  - {id: slow, target: vendor:primary, kind: latency}\n");
  auto r = gameday("serve --faults '" + (dir / "faults.yaml").string() + "'");
  CHECK(r.code == 2);
  CHECK(r.err.find("faults.yaml:2:5: missing required key 'delay'") != std::string::npos);
  r = gameday("serve --faults '" + (dir / "missing.yaml").string() + "'");
  CHECK(r.code == 2);
  CHECK(r.err.find("missing.yaml:1:1: cannot read file") != std::string::npos);
  r = gameday("serve --vendor localhost");
  CHECK(r.code == 2);
  CHECK(r.err.find("--vendor: expected [ID=]ADDR:PORT, got 'localhost'") != std::string::npos);
  r = gameday("serve --control 0.0.0.0:0");
  CHECK(r.code == 2);
  CHECK(r.err.find("give it a --token") != std::string::npos);
}

TEST_CASE("gameday serve takes its token from --token-file or GAMEDAY_TOKEN and checks it in any case", "[e2e][serve]") {
  TempDir dir;
  dir.write("token.txt", "file-token\n");
  const std::string c = kCurl;
  const std::string probes =
      c + " -o /dev/null -w '%{http_code}' \"$CONTROL/faults\" > none.code; " +
      c + " -o /dev/null -w '%{http_code}' -H 'authorization: BEARER file-token' \"$CONTROL/faults\" > file.code; " +
      c + " -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer env-token' \"$CONTROL/faults\" > env.code";
  REQUIRE(with_serve(dir, "--token-file token.txt", probes) == 0);
  CHECK(slurp(dir / "none.code") == "401");
  CHECK(slurp(dir / "file.code") == "200");
  CHECK(slurp(dir / "env.code") == "401");

  ::setenv("GAMEDAY_TOKEN", "env-token", 1);
  const int rc = with_serve(dir, "", probes);
  ::unsetenv("GAMEDAY_TOKEN");
  REQUIRE(rc == 0);
  CHECK(slurp(dir / "none.code") == "401");
  CHECK(slurp(dir / "env.code") == "200");

  auto r = gameday("serve --token a --token-file '" + (dir / "token.txt").string() + "'");
  CHECK(r.code == 2);
  CHECK(r.err.find("give one of them") != std::string::npos);
  r = gameday("serve --token-file '" + (dir / "missing.txt").string() + "'");
  CHECK(r.code == 2);
  CHECK(r.err.find("cannot read it") != std::string::npos);
}

TEST_CASE("gameday serve exits 2 naming the option for an address it cannot listen on", "[e2e][serve][errors]") {
  auto r = gameday("serve --vendor 999.1.1.1:80");
  CHECK(r.code == 2);
  CHECK(r.err.find("--vendor: '999.1.1.1' is not an IPv4 or IPv6 address") != std::string::npos);
  r = gameday("serve --control nonsense");
  CHECK(r.code == 2);
  CHECK(r.err.find("--control: expected ADDR:PORT, got 'nonsense'") != std::string::npos);
  r = gameday("serve --control nonsense:1");
  CHECK(r.code == 2);
  CHECK(r.err.find("--control: 'nonsense' is not an IPv4 or IPv6 address") != std::string::npos);
  // A documentation address (RFC 5737) is on no machine: binding fails.
  r = gameday("serve --ehr 192.0.2.1:0");
  CHECK(r.code == 2);
  CHECK(r.err.find("cannot listen on 192.0.2.1:0") != std::string::npos);
}

TEST_CASE("gameday serve prints IPv6 addresses in brackets", "[e2e][serve]") {
  TempDir dir;
  REQUIRE(with_serve(dir, "--vendor '[::1]:0' --ehr '[::1]:0' --control '[::1]:0'",
                     "curl --noproxy '*' -s --max-time 10 -o /dev/null -w '%{http_code}' \"$CONTROL/faults\" > v6.code") == 0);
  const std::string out = slurp(dir / "serve.out");
  if (out.find("cannot listen") != std::string::npos || slurp(dir / "serve.err").find("cannot listen") != std::string::npos) {
    return e2e::skip_because("no IPv6 loopback here");
  }
  CHECK(std::regex_search(out, std::regex(R"(vendor http://\[::1\]:[0-9]+/v1)")));
  CHECK(std::regex_search(out, std::regex(R"(control http://\[::1\]:[0-9]+)")));
  CHECK(slurp(dir / "v6.code") == "200");
}

TEST_CASE("serve ends a fault when its for has passed and refuses an active fault id with 409", "[e2e][serve][control]") {
  if (const auto why = e2e::missing("curl", "curl"); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  const std::string c = kCurl;
  // An EHR error fault for 1s: answered 503 at once, 200 once it has ended (polled, 30 s at most).
  const std::string fault = R"({"id":"blip","target":"ehr","kind":"error","status":503,"for":"1s"})";
  const std::string body =
      c + " -X POST \"$CONTROL/faults\" -d '" + fault + "' -o add.json -w '%{http_code}' > add.code; " +
      c + " -X POST \"$CONTROL/faults\" -d '" + fault + "' -o again.json -w '%{http_code}' > again.code; " +
      c + " \"$EHR/Patient/pat-0001\" -o /dev/null -w '%{http_code}' > during.code; " +
      "for i in $(seq 1 600); do [ \"$(" + c + " \"$CONTROL/faults\")\" = '{\"faults\":[]}' ] && break; sleep 0.05; done; " +
      c + " \"$CONTROL/faults\" -o after.json; " +
      c + " \"$EHR/Patient/pat-0001\" -o /dev/null -w '%{http_code}' > after.code";
  REQUIRE(with_serve(dir, "", body) == 0);
  INFO(slurp(dir / "serve.err"));
  CHECK(slurp(dir / "add.code") == "201");
  CHECK(slurp(dir / "again.code") == "409");
  CHECK(json::parse(slurp(dir / "again.json"))["error"]["field"] == "id");
  CHECK(slurp(dir / "during.code") == "503");
  CHECK(json::parse(slurp(dir / "after.json"))["faults"].empty());
  CHECK(slurp(dir / "after.code") == "200");
}
