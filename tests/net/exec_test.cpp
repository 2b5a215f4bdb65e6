// Real processes for exec steps, and the real StepEffects: environment, working directory,
// timeouts, the flags file, and the control API over loopback HTTP.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "net/http_client.hpp"
#include "net/process.hpp"
#include "net/step_effects.hpp"
#include "playbook/control_api.hpp"
#include "support/playbook_harness.hpp"
#include "support/skip.hpp"
#include "support/wait.hpp"

using namespace gameday;
using namespace gameday::net;
using namespace gameday::testing;
using test_support::kHangLimitUs;
using nlohmann::json;

namespace {

/// A temporary directory with helpers to write files and scripts (removed at the end).
class Scratch {
 public:
  Scratch() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "gameday-net-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string path() const { return path_.string(); }
  /// Writes an executable /bin/sh script (the shell is the script's, never the step's).
  std::string script(const std::string& name, const std::string& body) const {
    const auto p = path_ / name;
    std::ofstream(p) << "#!/bin/sh\n" << body;
    ::chmod(p.c_str(), 0755);
    return p.string();
  }
  std::string read(const std::string& name) const {
    std::ifstream in(path_ / name);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  std::filesystem::path path_;
};

ProcessSpec spec(std::vector<std::string> argv) {
  ProcessSpec s;
  s.argv = std::move(argv);
  s.timeout = kHangLimitUs;
  return s;
}

/// The control API as one step sees it: a Harness assistant, changes journaled as "api".
struct ApiControl final : ControlHandler {
  explicit ApiControl(Assistant& a) : assistant(a) {}
  ControlResponse handle(const ControlRequest& r) override {
    ++calls;
    return handle_control_request(assistant, r, "exec:test");
  }
  Assistant& assistant;
  int calls = 0;
};

}  // namespace

TEST_CASE("run_process reports the exit code and captures output", "[net][exec]") {
  Scratch dir;
  const auto s = dir.script("x.sh", "echo out; echo err >&2; exit 3\n");
  const ExecResult r = run_process(spec({s}));
  REQUIRE(r.status == ExecResult::Status::kExited);
  REQUIRE(r.exit_code == 3);
  REQUIRE(r.out == "out\n");
  REQUIRE(r.err == "err\n");
}

TEST_CASE("run_process runs argv without a shell", "[net][exec]") {
  const ExecResult r = run_process(spec({"echo", "$HOME", "a;b", "`id`"}));
  REQUIRE(r.status == ExecResult::Status::kExited);
  REQUIRE(r.exit_code == 0);
  REQUIRE(r.out == "$HOME a;b `id`\n");
}

TEST_CASE("run_process adds the step's environment and enters its working directory", "[net][exec]") {
  Scratch dir;
  const auto s = dir.script("env.sh", "echo \"$TEAM $PWD\"; test -n \"$PATH\"\n");
  ProcessSpec p = spec({"./env.sh"});
  p.env = {{"TEAM", "sre"}};
  p.cwd = dir.path();
  const ExecResult r = run_process(p);
  REQUIRE(r.exit_code == 0);
  REQUIRE(r.out == "sre " + std::filesystem::canonical(dir.path()).string() + "\n");
}

TEST_CASE("run_process kills the process group at its timeout", "[net][exec]") {
  Scratch dir;
  // The child's own child (sleep) must die too, or it would hold the pipe open for an hour and
  // run_process would hang past the test's ctest TIMEOUT.
  const auto s = dir.script("slow.sh", "sleep 3600 &\nsleep 3600\n");
  ProcessSpec p = spec({s});
  p.timeout = 300 * kMillisecond;
  int idles = 0;
  const ExecResult r = run_process(p, [&] { ++idles; });
  REQUIRE(r.status == ExecResult::Status::kTimedOut);
  REQUIRE(idles > 0);
}

TEST_CASE("run_process explains a program that cannot start", "[net][exec]") {
  ExecResult r = run_process(spec({"gameday-no-such-program"}));
  REQUIRE(r.status == ExecResult::Status::kFailedToStart);
  REQUIRE(r.error == "not found in PATH");
  r = run_process(spec({"/nonexistent/tool"}));
  REQUIRE(r.status == ExecResult::Status::kFailedToStart);
  REQUIRE(r.error == "No such file or directory");
  ProcessSpec p = spec({"true"});
  p.cwd = "/nonexistent-dir";
  r = run_process(p);
  REQUIRE(r.status == ExecResult::Status::kFailedToStart);
  REQUIRE(r.error.rfind("cannot enter working directory", 0) == 0);
}

TEST_CASE("run_process reports a process killed by a signal", "[net][exec]") {
  Scratch dir;
  const auto s = dir.script("die.sh", "kill -TERM $$\n");
  const ExecResult r = run_process(spec({s}));
  REQUIRE(r.status == ExecResult::Status::kSignaled);
  REQUIRE(r.signal == 15);
}

TEST_CASE("NetStepEffects gives exec the control URL and a flags file it reads back", "[net][exec]") {
  Scratch dir;
  Harness h;
  ApiControl control(*h.assistant);
  NetStepEffects effects;
  const auto s = dir.script("flags.sh",
                            "echo \"$GAMEDAY_CONTROL_URL\" > \"$OUT/url\"\n"
                            "sed 's/\"defaultVariant\": \"off\"/\"defaultVariant\": \"on\"/' \"$GAMEDAY_FLAGS_FILE\" > \"$OUT/f\"\n"
                            "cp \"$OUT/f\" \"$GAMEDAY_FLAGS_FILE\"\n");
  ExecRequest req;
  req.argv = {s};
  req.env = {{"OUT", dir.path()}};
  req.flags_json = flags_to_flagd_json(*h.assistant);
  const ExecResult r = effects.exec(req, control);
  REQUIRE(r.status == ExecResult::Status::kExited);
  REQUIRE(r.exit_code == 0);
  REQUIRE(dir.read("url") == effects.control_url() + "\n");
  REQUIRE(effects.control_url().rfind("http://127.0.0.1:", 0) == 0);
  REQUIRE(r.flags_file_read);
  const json after = json::parse(r.flags_json_after);
  REQUIRE(after["flags"]["safe-mode"]["defaultVariant"] == "on");
}

TEST_CASE("A script flips a flag through the control API while its exec step waits", "[net][exec][control]") {
  if (test_support::find_tool({"curl"}).empty()) {
    return test_support::skip_because("curl not found in PATH (apt-get install curl)");
  }
  Scratch dir;
  Harness h;
  ApiControl control(*h.assistant);
  NetStepEffects effects;
  const auto s = dir.script(
      "flip.sh",
      "curl --noproxy '*' -sf -X PUT -H 'Content-Type: application/json' -d '{\"variant\":\"on\"}' "
      "\"$GAMEDAY_CONTROL_URL/v1/assistant/flags/safe-mode\" > \"$OUT/resp\" || exit 9\n"
      "curl --noproxy '*' -s -o /dev/null -w '%{http_code}' \"$GAMEDAY_CONTROL_URL/v1/nope\" > \"$OUT/code\"\n");
  ExecRequest req;
  req.argv = {s};
  req.env = {{"OUT", dir.path()}, {"NO_PROXY", "127.0.0.1"}};
  req.timeout = kHangLimitUs;
  const ExecResult r = effects.exec(req, control);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(h.assistant->flag_on("safe-mode"));
  REQUIRE(json::parse(dir.read("resp"))["variant"] == "on");
  REQUIRE(dir.read("code") == "404");
  REQUIRE(control.calls == 2);
  const auto& change = std::get<ControlChangeEvent>(h.journal.events().back().body);
  REQUIRE(change.by == "exec:test");
}

TEST_CASE("Control API endpoints over real HTTP", "[net][control]") {
  Harness h;
  ApiControl control(*h.assistant);
  NetStepEffects effects;
  auto call = [&](const std::string& method, const std::string& path, const std::string& body = "") {
    HttpRequest req;
    req.method = method;
    req.url = "${GAMEDAY_CONTROL_URL}" + path;
    req.body = body;
    if (!body.empty()) req.headers = {{"Content-Type", "application/json"}};
    req.timeout = kHangLimitUs;
    return effects.http(req, control);
  };
  HttpResult r = call("GET", "/v1/assistant");
  REQUIRE(r.status == 200);
  REQUIRE(json::parse(r.body)["route"] == "primary");
  r = call("PUT", "/v1/assistant/flags/safe-mode", R"({"variant":"on"})");
  REQUIRE(r.status == 200);
  REQUIRE(h.assistant->flag_on("safe-mode"));
  r = call("PUT", "/v1/assistant/prompt", R"({"version":"v3"})");
  REQUIRE(r.status == 200);
  r = call("POST", "/v1/assistant/prompt/rollback");
  REQUIRE(r.status == 200);
  REQUIRE(h.assistant->prompt_version() == "v2");
  r = call("PUT", "/v1/assistant/route", R"({"vendor":"secondary"})");
  REQUIRE(r.status == 200);
  REQUIRE(h.assistant->route() == "secondary");
  r = call("PUT", "/v1/assistant/route", R"({"vendor":42})");
  REQUIRE(r.status == 400);
  REQUIRE(json::parse(r.body)["field"] == "vendor");
  r = call("PUT", "/v1/assistant/flags/safe-mode", "{oops");
  REQUIRE(r.status == 400);
  REQUIRE(json::parse(r.body)["field"] == "body");
  REQUIRE(call("GET", "/v2/whatever").status == 404);
  REQUIRE(control.calls == 8);
}

TEST_CASE("expand_control_url replaces only the control URL variable", "[net][control]") {
  REQUIRE(expand_control_url("${GAMEDAY_CONTROL_URL}/v1/assistant", "http://127.0.0.1:9") ==
          "http://127.0.0.1:9/v1/assistant");
  REQUIRE(expand_control_url("${HOME}/x", "http://h") == "${HOME}/x");
}
