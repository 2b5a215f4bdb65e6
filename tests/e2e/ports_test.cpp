// End-to-end: fixed ports. `gameday serve` serves every vendor profile on its own port (faults
// reach the profile they target); `--ports FILE` fixes where serve and drill listen, the
// command line overrides it, and a bad file exits 2 naming file:line:col.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <string>

#include "drill_support.hpp"
#include "e2e_support.hpp"

using e2e::free_port;
using e2e::gameday;
using e2e::slurp;
using e2e::TempDir;
using nlohmann::json;

namespace {

constexpr const char* kCurl = "curl --noproxy '*' -s --max-time 10";


std::string port_text(int port) { return "127.0.0.1:" + std::to_string(port); }

/// Starts `gameday serve ARGS` in the background from `dir`, waits for its `control` line, runs
/// `body` (a shell snippet that may use $CONTROL, $PRIMARY and $SECONDARY: the vendor:primary
/// and vendor:secondary URLs), then stops it with SIGINT. Returns the body's exit status;
/// serve's output is in dir/serve.out and dir/serve.err, its exit code in dir/serve.code.
int with_serve(const TempDir& dir, const std::string& args, const std::string& body) {
  const std::string script =
      std::string(e2e::kPollFunction) + "cd '" + dir.path().string() + "' && { '" + std::string(GAMEDAY_BIN) +
      "' serve " + args + " > serve.out 2> serve.err < /dev/null & }; pid=$!; "
      "poll \"grep -q '^vendor:secondary ' serve.out 2>/dev/null\"; "
      "CONTROL=$(sed -n 's/^control //p' serve.out); PRIMARY=$(sed -n 's/^vendor:primary //p' serve.out); "
      "SECONDARY=$(sed -n 's/^vendor:secondary //p' serve.out); "
      "( " + body + " ); rc=$?; kill -INT $pid; wait $pid; echo $? > serve.code; exit $rc";
  const int status = std::system(script.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A shell command: POST a chat completion for `model` to the vendor at $`var`, body to `out`.json
// and the status code to `out`.code.
std::string chat(const std::string& var, const std::string& model, const std::string& out) {
  return std::string(kCurl) + " -X POST \"$" + var + "/chat/completions\" -H 'Content-Type: application/json' -d '" +
         R"({"model":")" + model + R"(","messages":[{"role":"user","content":"Question: what is covered?"}]})" +
         "' -o " + out + ".json -w '%{http_code}' > " + out + ".code; ";
}

void write(const std::filesystem::path& p, const std::string& text) { std::ofstream(p) << text; }

std::string scenario(const std::string& name) {
  return "'" + std::string(GAMEDAY_SOURCE_DIR) + "/scenarios/" + name + ".yaml'";
}

}  // namespace

TEST_CASE("gameday serve serves every vendor profile on its own port and a fault reaches only the profile it targets", "[e2e][serve][ports]") {
  if (const auto why = e2e::missing("curl", "curl"); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  const std::string c = kCurl;
  const std::string fault = R"({"id":"down","target":"vendor:secondary","kind":"error","status":503})";
  const std::string body =
      chat("PRIMARY", "nw-clinical-large", "p1") + chat("SECONDARY", "bb-med-pro", "s1") +
      c + " -X POST \"$CONTROL/faults\" -d '" + fault + "' -o /dev/null -w '%{http_code}' > add.code; " +
      chat("PRIMARY", "nw-clinical-large", "p2") + chat("SECONDARY", "bb-med-pro", "s2") +
      c + " -X POST \"$CONTROL/faults\" -d '{\"id\":\"x\",\"target\":\"vendor:tertiary\",\"kind\":\"error\"}' -o unknown.json -w '%{http_code}' > unknown.code; " +
      c + " \"$CONTROL/status\" -o status.json";
  REQUIRE(with_serve(dir, "", body) == 0);
  const std::string out = slurp(dir / "serve.out");
  INFO(out << slurp(dir / "serve.err"));
  // The three lines as ever, then one per profile; `vendor` is the primary's.
  const auto line = [&](const std::string& name) {
    const auto at = out.find(name + " ");
    return at == std::string::npos ? std::string() : out.substr(at + name.size() + 1, out.find('\n', at) - at - name.size() - 1);
  };
  CHECK(out.rfind("vendor http://127.0.0.1:", 0) == 0);
  CHECK(line("vendor") == line("vendor:primary"));
  CHECK(line("vendor:primary") != line("vendor:secondary"));
  CHECK(slurp(dir / "p1.code") == "200");
  CHECK(json::parse(slurp(dir / "p1.json"))["model"] == "nw-clinical-large");
  CHECK(slurp(dir / "s1.code") == "200");
  CHECK(json::parse(slurp(dir / "s1.json"))["model"] == "bb-med-pro");
  CHECK(slurp(dir / "add.code") == "201");
  CHECK(slurp(dir / "p2.code") == "200");
  CHECK(slurp(dir / "s2.code") == "503");
  CHECK(slurp(dir / "unknown.code") == "400");
  CHECK(json::parse(slurp(dir / "unknown.json"))["error"]["field"] == "target");
  CHECK(json::parse(slurp(dir / "status.json"))["servers"]["vendor:secondary"] == line("vendor:secondary"));
  CHECK(slurp(dir / "serve.code") == "0\n");
}

TEST_CASE("gameday serve listens where its ports file says and the command line overrides the file", "[e2e][serve][ports]") {
  TempDir dir;
  const int primary = free_port(), secondary = free_port(), ehr = free_port(), control = free_port(), other = free_port();
  write(dir / "ports.yaml", "vendor: " + port_text(primary) + "\nvendors:\n  secondary: " + port_text(secondary) +
                                "\nehr: " + port_text(ehr) + "\ncontrol: " + std::to_string(control) + "\n");
  REQUIRE(with_serve(dir, "--ports ports.yaml --ehr " + port_text(other), "true") == 0);
  const std::string out = slurp(dir / "serve.out");
  INFO(out << slurp(dir / "serve.err"));
  CHECK(out == "vendor http://" + port_text(primary) + "/v1\nehr http://" + port_text(other) + "/fhir\ncontrol http://" +
                   port_text(control) + "\nvendor:primary http://" + port_text(primary) + "/v1\nvendor:secondary http://" +
                   port_text(secondary) + "/v1\n");
}

TEST_CASE("gameday drill listens where its ports file says", "[e2e][drill][ports]") {
  TempDir dir;
  const int primary = free_port(), secondary = free_port(), ehr = free_port(), control = free_port(), assistant = free_port();
  write(dir / "ports.yaml", "vendors: {primary: " + port_text(primary) + ", secondary: " + port_text(secondary) +
                                "}\nehr: " + port_text(ehr) + "\ncontrol: " + port_text(control) +
                                "\nassistant: " + port_text(assistant) + "\n");
  REQUIRE(e2e::with_drill(dir, scenario("vendor-latency-spike") + " --duration 2s -q --out out --ports ports.yaml", "true") == 0);
  const std::string out = slurp(dir / "drill.out");
  INFO(out << slurp(dir / "drill.err"));
  CHECK(out.find("vendor http://" + port_text(primary) + "/v1\n") == 0);
  CHECK(out.find("vendor:secondary http://" + port_text(secondary) + "/v1\n") != std::string::npos);
  CHECK(out.find("ehr http://" + port_text(ehr) + "/fhir\n") != std::string::npos);
  CHECK(out.find("assistant http://" + port_text(assistant) + "\n") != std::string::npos);
  CHECK(out.find("control http://" + port_text(control) + "\n") != std::string::npos);
}

TEST_CASE("A ports file with an unknown key exits 2 naming its position", "[e2e][ports][errors]") {
  TempDir dir;
  write(dir / "ports.yaml", "ehr: 127.0.0.1:0\nvendr: 127.0.0.1:0\n");
  const auto r = gameday("serve --ports '" + (dir / "ports.yaml").string() + "'");
  CHECK(r.code == 2);
  CHECK(r.err.find("ports.yaml:2:1: unknown key 'vendr' (did you mean 'vendor'?") != std::string::npos);
}

TEST_CASE("A ports file with a value that is not ADDR:PORT exits 2 naming its position", "[e2e][ports][errors]") {
  TempDir dir;
  write(dir / "ports.yaml", "control: 127.0.0.1\n");
  const auto r = gameday("serve --ports '" + (dir / "ports.yaml").string() + "'");
  CHECK(r.code == 2);
  CHECK(r.err.find("ports.yaml:1:10: expected ADDR:PORT for 'control'") != std::string::npos);
  // A host name is not an address to listen on.
  write(dir / "ports.yaml", "vendors:\n  secondary: nowhere:80\n");
  const auto named = gameday("serve --ports '" + (dir / "ports.yaml").string() + "'");
  CHECK(named.code == 2);
  CHECK(named.err.find("ports.yaml:2:14: expected ADDR:PORT for 'vendors.secondary'") != std::string::npos);
}

TEST_CASE("A ports file naming a vendor profile the fakes do not define exits 2 naming its position", "[e2e][ports][errors]") {
  TempDir dir;
  write(dir / "ports.yaml", "vendors:\n  tertiary: 127.0.0.1:0\n");
  const auto served = gameday("serve --ports '" + (dir / "ports.yaml").string() + "'");
  CHECK(served.code == 2);
  CHECK(served.err.find("ports.yaml:2:13: unknown vendor profile 'tertiary'") != std::string::npos);
  const auto drilled = gameday("drill " + scenario("vendor-latency-spike") + " --ports '" + (dir / "ports.yaml").string() + "'");
  CHECK(drilled.code == 2);
  CHECK(drilled.err.find("ports.yaml:2:13: unknown vendor profile 'tertiary'") != std::string::npos);
}

TEST_CASE("A ports file giving one port to two servers exits 2 naming both", "[e2e][ports][errors]") {
  TempDir dir;
  write(dir / "ports.yaml", "ehr: 127.0.0.1:18999\ncontrol: 127.0.0.1:18999\n");
  const auto r = gameday("serve --ports '" + (dir / "ports.yaml").string() + "'");
  CHECK(r.code == 2);
  CHECK(r.err.find("ports.yaml:2:10: port 18999 of 'control' is already given to 'ehr' (line 1)") != std::string::npos);
}
