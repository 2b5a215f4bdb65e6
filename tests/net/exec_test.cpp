// Real processes for exec steps, and the real StepEffects: environment, working directory,
// timeouts, the flags file, and the control API over loopback HTTP.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>
#include <optional>
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

/// The control API as one step sees it: a Harness assistant, changes journaled as `by`.
struct ApiControl final : ControlHandler {
  explicit ApiControl(Assistant& a, std::string who = "exec:test") : assistant(a), by(std::move(who)) {}
  ControlResponse handle(const ControlRequest& r) override {
    ++calls;
    threads.insert(std::this_thread::get_id());
    return handle_control_request(assistant, r, by);
  }
  Assistant& assistant;
  std::string by;
  int calls = 0;
  std::set<std::thread::id> threads;  // where the requests were applied
};

/// The engine's thread as a drill has it: what other threads post runs when the test pumps.
class Inbox {
 public:
  NetStepEffects::Post poster() {
    return [this](std::function<void()> fn) {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(std::move(fn));
      cv_.notify_one();
    };
  }
  /// Runs posted functions on this thread until `done()` (false after the hang limit).
  bool pump(const std::function<bool()>& done) {
    const auto limit = std::chrono::steady_clock::now() + test_support::kHangLimit;
    while (!done()) {
      std::unique_lock<std::mutex> lock(mu_);
      if (!cv_.wait_until(lock, limit, [&] { return !queue_.empty(); })) return false;
      auto fn = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      fn();
    }
    return true;
  }
  /// How many posted functions wait.
  std::size_t pending() {
    std::lock_guard<std::mutex> lock(mu_);
    return queue_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
};

/// Runs an exec step through blocking effects: the result is there when exec returns.
ExecResult exec_now(NetStepEffects& effects, const ExecRequest& req, std::shared_ptr<ControlHandler> control) {
  std::optional<ExecResult> out;
  effects.exec(req, std::move(control), [&](ExecResult r) { out = std::move(r); });
  REQUIRE(out.has_value());
  return *out;
}

HttpResult http_now(NetStepEffects& effects, const HttpRequest& req, std::shared_ptr<ControlHandler> control) {
  std::optional<HttpResult> out;
  effects.http(req, std::move(control), [&](HttpResult r) { out = std::move(r); });
  REQUIRE(out.has_value());
  return *out;
}

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
  const ExecResult r = run_process(p, [&] { return ++idles > 0; });
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
  auto control = std::make_shared<ApiControl>(*h.assistant);
  NetStepEffects effects;
  const auto s = dir.script("flags.sh",
                            "echo \"$GAMEDAY_CONTROL_URL\" > \"$OUT/url\"\n"
                            "sed 's/\"defaultVariant\": \"off\"/\"defaultVariant\": \"on\"/' \"$GAMEDAY_FLAGS_FILE\" > \"$OUT/f\"\n"
                            "cp \"$OUT/f\" \"$GAMEDAY_FLAGS_FILE\"\n");
  ExecRequest req;
  req.argv = {s};
  req.env = {{"OUT", dir.path()}};
  req.flags_json = flags_to_flagd_json(*h.assistant);
  const ExecResult r = exec_now(effects, req, control);
  REQUIRE(r.status == ExecResult::Status::kExited);
  REQUIRE(r.exit_code == 0);
  REQUIRE(dir.read("url") == effects.control_url() + "/steps/1\n");
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
  auto control = std::make_shared<ApiControl>(*h.assistant);
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
  const ExecResult r = exec_now(effects, req, control);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(h.assistant->flag_on("safe-mode"));
  REQUIRE(json::parse(dir.read("resp"))["variant"] == "on");
  REQUIRE(dir.read("code") == "404");
  REQUIRE(control->calls == 2);
  const auto& change = std::get<ControlChangeEvent>(h.journal.events().back().body);
  REQUIRE(change.by == "exec:test");
}

TEST_CASE("Control API endpoints over real HTTP", "[net][control]") {
  Harness h;
  auto control = std::make_shared<ApiControl>(*h.assistant);
  NetStepEffects effects;
  auto call = [&](const std::string& method, const std::string& path, const std::string& body = "") {
    HttpRequest req;
    req.method = method;
    req.url = "${GAMEDAY_CONTROL_URL}" + path;
    req.body = body;
    if (!body.empty()) req.headers = {{"Content-Type", "application/json"}};
    req.timeout = kHangLimitUs;
    return http_now(effects, req, control);
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
  REQUIRE(control->calls == 8);
}

TEST_CASE("expand_control_url replaces only the control URL variable", "[net][control]") {
  REQUIRE(expand_control_url("${GAMEDAY_CONTROL_URL}/v1/assistant", "http://127.0.0.1:9") ==
          "http://127.0.0.1:9/v1/assistant");
  REQUIRE(expand_control_url("${HOME}/x", "http://h") == "${HOME}/x");
}

TEST_CASE("A step's control URL answers 410 once the step has ended and paths outside a step 404", "[net][control]") {
  Scratch dir;
  Harness h;
  NetStepEffects effects;
  ExecRequest req;
  req.argv = {dir.script("url.sh", "printf %s \"$GAMEDAY_CONTROL_URL\" > \"$OUT/url\"\n")};
  req.env = {{"OUT", dir.path()}};
  req.timeout = kHangLimitUs;
  REQUIRE(exec_now(effects, req, std::make_shared<ApiControl>(*h.assistant)).exit_code == 0);
  const std::string step_url = dir.read("url");
  REQUIRE(step_url == effects.control_url() + "/steps/1");
  HttpRequest get;
  get.url = step_url + "/v1/assistant";
  get.timeout = kHangLimitUs;
  HttpResult r = http_request(get);
  REQUIRE(r.status == 410);
  REQUIRE(json::parse(r.body)["error"] == "step 1 has ended: its control URL is valid while it runs");
  get.url = effects.control_url() + "/v1/assistant";
  r = http_request(get);
  REQUIRE(r.status == 404);
  REQUIRE(json::parse(r.body)["error"].get<std::string>().find("/steps/N") != std::string::npos);
}

TEST_CASE("Background steps return at once and their control calls and ends arrive on the engine's thread", "[net][exec][background]") {
  if (test_support::find_tool({"curl"}).empty()) {
    return test_support::skip_because("curl not found in PATH (apt-get install curl)");
  }
  Scratch dir;
  Harness h;
  Inbox engine;
  NetStepEffects effects;
  effects.run_in_background(engine.poster());
  // Two steps in flight at once, each through its own control URL; each waits for the other's
  // marker file, so neither can end before both have started.
  auto script = [&](const std::string& name, const std::string& call, const std::string& other) {
    ExecRequest req;
    req.argv = {dir.script(name + ".sh",
                           "touch \"$OUT/" + name + "\"\n"
                           "while [ ! -e \"$OUT/" + other + "\" ]; do sleep 0.05; done\n"
                           "curl --noproxy '*' -sf " + call + " || exit 9\n")};
    req.env = {{"OUT", dir.path()}};
    req.timeout = kHangLimitUs;
    return req;
  };
  auto flag = std::make_shared<ApiControl>(*h.assistant, "exec:flag");
  auto route = std::make_shared<ApiControl>(*h.assistant, "exec:route");
  std::optional<ExecResult> flag_done, route_done;
  effects.exec(script("flag", "-X PUT -d '{\"variant\":\"on\"}' \"$GAMEDAY_CONTROL_URL/v1/assistant/flags/safe-mode\"", "route"),
               flag, [&](ExecResult r) { flag_done = std::move(r); });
  effects.exec(script("route", "-X PUT -d '{\"vendor\":\"secondary\"}' \"$GAMEDAY_CONTROL_URL/v1/assistant/route\"", "flag"),
               route, [&](ExecResult r) { route_done = std::move(r); });
  REQUIRE_FALSE(flag_done.has_value());  // the engine was not held while the processes ran
  REQUIRE_FALSE(route_done.has_value());
  REQUIRE(engine.pump([&] { return flag_done && route_done; }));
  INFO(flag_done->err << route_done->err);
  REQUIRE(flag_done->exit_code == 0);
  REQUIRE(route_done->exit_code == 0);
  REQUIRE(h.assistant->flag_on("safe-mode"));
  REQUIRE(h.assistant->route() == "secondary");
  REQUIRE(flag->calls == 1);
  REQUIRE(route->calls == 1);
  REQUIRE(flag->threads == std::set<std::thread::id>{std::this_thread::get_id()});
  REQUIRE(route->threads == std::set<std::thread::id>{std::this_thread::get_id()});
  std::set<std::string> by;
  for (const auto& e : h.journal.events()) {
    if (const auto* c = std::get_if<ControlChangeEvent>(&e.body)) by.insert(c->by);
  }
  REQUIRE(by == std::set<std::string>{"exec:flag", "exec:route"});
}

TEST_CASE("Closing the effects kills a background step's process and never delivers its result", "[net][exec][background]") {
  Scratch dir;
  Harness h;
  Inbox engine;
  NetStepEffects effects;
  effects.run_in_background(engine.poster());
  ExecRequest req;
  req.argv = {dir.script("hang.sh", "echo $$ > \"$OUT/pid.tmp\"\nmv \"$OUT/pid.tmp\" \"$OUT/pid\"\nexec sleep 3600\n")};
  req.env = {{"OUT", dir.path()}};
  req.timeout = kHangLimitUs;
  auto control = std::make_shared<ApiControl>(*h.assistant);
  bool delivered = false;
  effects.exec(req, control, [&](ExecResult) { delivered = true; });
  REQUIRE(test_support::wait_until([&] { return std::filesystem::exists(dir.path() + "/pid"); }));
  const pid_t pid = std::stoi(dir.read("pid"));
  effects.close();  // returns once the worker has stopped
  REQUIRE(control->abandoned());
  REQUIRE(::kill(pid, 0) != 0);  // killed and reaped
  REQUIRE(engine.pending() == 0);  // nothing was posted for the engine to run
  REQUIRE_FALSE(delivered);
}
