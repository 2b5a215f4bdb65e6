// End-to-end: the real `gameday serve`, and an unchanged FHIR client (fhir-kit-client on node,
// tests/node/fhir_client.mjs) reading, searching and paging its EHR, then meeting an error fault
// added through the control API.
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

/// `gameday serve` on loopback with OS-assigned ports, from the source tree, until destroyed
/// (SIGINT). Reads the `NAME URL` lines it prints first.
class Serve {
 public:
  explicit Serve(const TempDir& dir) : stderr_path_(dir / "serve.stderr") {
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
              "--control", "127.0.0.1:0", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fds[1]);
    out_ = fds[0];
    read_urls();
  }

  ~Serve() { stop(); }

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
  // Reads lines until vendor, ehr and control are known (10 s at most).
  void read_urls() {
    std::string buffer;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (urls_.size() < 3 && std::chrono::steady_clock::now() < deadline) {
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char chunk[512];
      const ssize_t n = ::read(out_, chunk, sizeof chunk);
      if (n <= 0) break;  // exited
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

}  // namespace

TEST_CASE("A real FHIR client reads and pages the live EHR and gets an OperationOutcome from an error fault", "[e2e][live][ehr]") {
  const std::filesystem::path node_dir = std::filesystem::path(GAMEDAY_SOURCE_DIR) / "tests" / "node";
  if (std::system("command -v node > /dev/null 2>&1") != 0 ||
      !std::filesystem::exists(node_dir / "node_modules" / "fhir-kit-client")) {
    FAIL("needs node and fhir-kit-client: run `npm ci` in tests/node");
  }
  TempDir dir;
  Serve serve(dir);
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
