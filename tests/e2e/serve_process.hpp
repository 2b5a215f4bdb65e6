#pragma once
// A `gameday serve` child process for end-to-end tests of the live servers.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "e2e_support.hpp"

namespace e2e {

/// `gameday serve` on loopback with OS-assigned ports, run from the source tree until destroyed
/// (SIGINT), with `--fakes FAKES` when given. Reads the `NAME URL` lines it prints first.
class ServeProcess {
 public:
  explicit ServeProcess(const TempDir& dir, const std::filesystem::path& fakes = {})
      : ServeProcess(dir, fakes.empty() ? std::vector<std::string>{}
                                        : std::vector<std::string>{"--fakes", fakes.string()}) {}

  /// The same with `extra` arguments after the addresses and, when `fd_limit` > 0, that soft
  /// RLIMIT_NOFILE (set in the child before exec).
  ServeProcess(const TempDir& dir, const std::vector<std::string>& extra, rlim_t fd_limit = 0)
      : stderr_path_(dir / "serve.stderr") {
    std::vector<std::string> args = {GAMEDAY_BIN, "serve", "--vendor", "127.0.0.1:0", "--ehr",
                                     "127.0.0.1:0", "--control", "127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
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
      if (fd_limit > 0) {
        rlimit rl{};
        ::getrlimit(RLIMIT_NOFILE, &rl);
        rl.rlim_cur = fd_limit;
        if (::setrlimit(RLIMIT_NOFILE, &rl) != 0) ::_exit(125);
      }
      if (::chdir(GAMEDAY_SOURCE_DIR) != 0) ::_exit(126);
      ::execv(GAMEDAY_BIN, argv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    out_ = fds[0];
    read_urls();
  }
  ~ServeProcess() { stop(); }

  /// Sends SIGINT and waits (at most 30 s, then SIGKILL); returns the exit code (-1: killed).
  int stop() {
    if (pid_ <= 0) return code_;
    ::kill(pid_, SIGINT);
    int status = 0;
    for (int i = 0; i < 600; ++i) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (i == 599) {
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
  /// The child's process id (0 once stopped).
  pid_t pid() const { return pid_; }

 private:
  // Reads lines until vendor, ehr and control are known (30 s at most: only a hang takes that).
  void read_urls() {
    std::string buffer;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
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

}  // namespace e2e
