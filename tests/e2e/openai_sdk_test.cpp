// End-to-end: the real `gameday serve` and unchanged OpenAI clients on node (the official openai
// SDK, tests/node/openai_sdk.mjs; @langchain/openai, tests/node/langchain_openai.mjs) pointed at
// its fake vendor, with faults added through the control API. The vendor profiles are made fast
// (a copy of fakes/ with 30 ms to first token) to keep the run short.
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <thread>

#include "e2e_support.hpp"

using e2e::slurp;
using e2e::TempDir;

namespace {

const std::filesystem::path kNodeDir = std::filesystem::path(GAMEDAY_SOURCE_DIR) / "tests" / "node";

// Error-free vendors that answer fast.
constexpr const char* kFastVendors = R"(vendors:
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
)";

/// `gameday serve --fakes DIR` on loopback with OS-assigned ports until destroyed (SIGINT).
/// Reads the `NAME URL` lines it prints first.
class Server {
 public:
  Server(const TempDir& dir, const std::filesystem::path& fakes) : stderr_path_(dir / "serve.stderr") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::dup2(fds[1], STDOUT_FILENO);
      const int err = ::open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (err >= 0) ::dup2(err, STDERR_FILENO);
      const int null = ::open("/dev/null", O_RDONLY);
      if (null >= 0) ::dup2(null, STDIN_FILENO);
      ::close(fds[0]);
      ::close(fds[1]);
      if (::chdir(GAMEDAY_SOURCE_DIR) != 0) ::_exit(126);
      ::execl(GAMEDAY_BIN, GAMEDAY_BIN, "serve", "--vendor", "127.0.0.1:0", "--ehr", "127.0.0.1:0",
              "--control", "127.0.0.1:0", "--fakes", fakes.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fds[1]);
    out_ = fds[0];
    read_urls();
  }
  ~Server() { stop(); }

  /// Sends SIGINT and waits (at most 10 s, then SIGKILL); returns the exit code (-1: killed).
  int stop() {
    if (pid_ <= 0) return code_;
    ::kill(pid_, SIGINT);
    int status = 0;
    for (int i = 0; i < 200; ++i) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (i == 199) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        code_ = -1;
      }
    }
    pid_ = 0;
    if (out_ >= 0) ::close(out_);
    out_ = -1;
    return code_;
  }

  std::string url(const std::string& name) const {
    const auto it = urls_.find(name);
    return it == urls_.end() ? "" : it->second;
  }
  std::string stderr_text() const { return slurp(stderr_path_); }

 private:
  void read_urls() {
    std::string buffer;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (urls_.size() < 3 && std::chrono::steady_clock::now() < deadline) {
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char chunk[512];
      const ssize_t n = ::read(out_, chunk, sizeof chunk);
      if (n <= 0) break;
      buffer.append(chunk, static_cast<std::size_t>(n));
      for (auto nl = buffer.find('\n'); nl != std::string::npos; nl = buffer.find('\n')) {
        const std::string line = buffer.substr(0, nl);
        buffer.erase(0, nl + 1);
        const auto space = line.find(' ');
        if (space != std::string::npos) urls_[line.substr(0, space)] = line.substr(space + 1);
      }
    }
  }

  std::filesystem::path stderr_path_;
  pid_t pid_ = 0;
  int out_ = -1;
  int code_ = -1;
  std::map<std::string, std::string> urls_;
};

// A copy of the shipped fakes with fast vendors.
std::filesystem::path fast_fakes(const TempDir& dir) {
  const auto fakes = dir / "fakes";
  std::filesystem::copy(std::filesystem::path(GAMEDAY_SOURCE_DIR) / "fakes", fakes,
                        std::filesystem::copy_options::recursive);
  dir.write("fakes/vendors.yaml", kFastVendors);
  return fakes;
}

void require_node(const std::string& package) {
  if (std::system("command -v node > /dev/null 2>&1") != 0 ||
      !std::filesystem::exists(kNodeDir / "node_modules" / package)) {
    FAIL("needs node and " + package + ": run `npm ci` in tests/node");
  }
}

struct NodeRun {
  int code = -1;
  std::string out;
  std::string err;
};

NodeRun run_node(const TempDir& dir, const std::string& script, const Server& server) {
  const auto out = dir / (script + ".stdout");
  const auto err = dir / (script + ".stderr");
  const std::string cmd = "cd '" + kNodeDir.string() + "' && env -u DEBUG -u OPENAI_BASE_URL GAMEDAY_VENDOR_URL='" +
                          server.url("vendor") + "' GAMEDAY_CONTROL_URL='" + server.url("control") +
                          "' timeout 120 node " + script + " > '" + out.string() + "' 2> '" + err.string() +
                          "' < /dev/null";
  const int status = std::system(cmd.c_str());
  return NodeRun{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

}  // namespace

TEST_CASE("The official openai SDK chats, streams, calls tools, gets JSON and embeddings, and meets faults", "[e2e][live][vendor]") {
  require_node("openai");
  TempDir dir;
  Server server(dir, fast_fakes(dir));
  INFO("gameday serve stderr:\n" << server.stderr_text());
  REQUIRE(server.url("vendor").starts_with("http://127.0.0.1:"));
  REQUIRE(server.url("vendor").ends_with("/v1"));
  REQUIRE_FALSE(server.url("control").empty());
  const NodeRun r = run_node(dir, "openai_sdk.mjs", server);
  INFO("openai_sdk.mjs stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.code == 0);
  REQUIRE(r.out.find("openai_sdk: ok") != std::string::npos);
  REQUIRE(server.stop() == 0);
}

TEST_CASE("LangChain's ChatOpenAI invokes and streams through the live fake vendor", "[e2e][live][vendor]") {
  require_node("@langchain/openai");
  TempDir dir;
  Server server(dir, fast_fakes(dir));
  INFO("gameday serve stderr:\n" << server.stderr_text());
  REQUIRE_FALSE(server.url("vendor").empty());
  const NodeRun r = run_node(dir, "langchain_openai.mjs", server);
  INFO("langchain_openai.mjs stdout:\n" << r.out << "\nstderr:\n" << r.err);
  REQUIRE(r.code == 0);
  REQUIRE(r.out.find("langchain_openai: ok") != std::string::npos);
  REQUIRE(server.stop() == 0);
}
