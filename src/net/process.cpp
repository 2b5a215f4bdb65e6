#include "net/process.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

extern char** environ;

namespace gameday::net {
namespace {

constexpr std::size_t kMaxOutput = 64 * 1024;
constexpr int kPollMs = 5;

// The executable for argv[0]: as given when it names a path, else the first match in PATH.
std::string resolve(const std::string& name, const std::string& path_var) {
  if (name.find('/') != std::string::npos) return name;
  std::size_t start = 0;
  while (start <= path_var.size()) {
    const std::size_t colon = path_var.find(':', start);
    std::string dir = path_var.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (dir.empty()) dir = ".";
    const std::string candidate = dir + "/" + name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return "";
}

void read_some(int& fd, std::string& into) {
  char buf[4096];
  const ssize_t n = ::read(fd, buf, sizeof buf);
  if (n > 0) {
    if (into.size() < kMaxOutput) into.append(buf, std::min<std::size_t>(static_cast<std::size_t>(n), kMaxOutput - into.size()));
  } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
    ::close(fd);
    fd = -1;
  }
}

}  // namespace

ExecResult run_process(const ProcessSpec& spec, const std::function<bool()>& idle) {
  ExecResult r;
  if (spec.argv.empty() || spec.argv.front().empty()) {
    r.error = "empty argv";
    return r;
  }
  // Everything the child needs is built before fork(): between fork and exec only
  // async-signal-safe calls are allowed (the parent has other threads).
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    const std::string kv = *e;
    const std::size_t eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : spec.env) env[k] = v;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = spec.argv;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const auto path_it = env.find("PATH");
  const std::string exe = resolve(spec.argv.front(), path_it == env.end() ? "/usr/bin:/bin" : path_it->second);
  if (exe.empty()) {
    r.error = "not found in PATH";
    return r;
  }

  int out[2], err[2], status_pipe[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    r.error = std::strerror(errno);
    return r;
  }
  if (::pipe2(err, O_CLOEXEC) != 0) {
    r.error = std::strerror(errno);
    ::close(out[0]);
    ::close(out[1]);
    return r;
  }
  if (::pipe2(status_pipe, O_CLOEXEC) != 0) {
    r.error = std::strerror(errno);
    for (int fd : {out[0], out[1], err[0], err[1]}) ::close(fd);
    return r;
  }
  const int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const auto started = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) {
    r.error = std::strerror(errno);
    for (int fd : {out[0], out[1], err[0], err[1], status_pipe[0], status_pipe[1], devnull}) {
      if (fd >= 0) ::close(fd);
    }
    return r;
  }
  if (pid == 0) {
    // Child: own process group (so a timeout kills its children too), plumbing, exec.
    ::setpgid(0, 0);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    // Nothing else leaks into the child (the control API's sockets, other pipes): every other
    // descriptor closes on exec.
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    // Tell the parent why it failed (the pipe closes on a successful exec instead).
    int why[2] = {0, 0};  // {stage: 1 chdir, 2 exec; errno}
    if (!spec.cwd.empty() && ::chdir(spec.cwd.c_str()) != 0) {
      why[0] = 1;
    } else {
      ::execve(exe.c_str(), argv.data(), envp.data());
      why[0] = 2;
    }
    why[1] = errno;
    ssize_t ignored = ::write(status_pipe[1], why, sizeof why);
    (void)ignored;
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also in the parent: no race with the kill below
  for (int fd : {out[1], err[1], status_pipe[1], devnull}) {
    if (fd >= 0) ::close(fd);
  }
  int why[2] = {0, 0};
  {
    // Blocks until exec succeeds (EOF) or fails (stage and errno written): both are quick.
    ssize_t n;
    do {
      n = ::read(status_pipe[0], why, sizeof why);
    } while (n < 0 && errno == EINTR);
    if (n != static_cast<ssize_t>(sizeof why)) why[0] = 0;
    ::close(status_pipe[0]);
  }
  int out_fd = out[0];
  int err_fd = err[0];
  ::fcntl(out_fd, F_SETFL, O_NONBLOCK);
  ::fcntl(err_fd, F_SETFL, O_NONBLOCK);
  const auto deadline = started + std::chrono::microseconds(spec.timeout);
  int wstatus = 0;
  bool exited = false;
  bool timed_out = false;
  while (!exited) {
    pollfd fds[2];
    nfds_t n = 0;
    if (out_fd >= 0) fds[n++] = pollfd{out_fd, POLLIN, 0};
    if (err_fd >= 0) fds[n++] = pollfd{err_fd, POLLIN, 0};
    if (n > 0) {
      ::poll(fds, n, kPollMs);
    } else {
      ::usleep(kPollMs * 1000);
    }
    if (out_fd >= 0) read_some(out_fd, r.out);
    if (err_fd >= 0) read_some(err_fd, r.err);
    const bool keep_going = !idle || idle();
    const pid_t w = ::waitpid(pid, &wstatus, WNOHANG);
    if (w == pid) {
      exited = true;
    } else if (!keep_going || (spec.cancel != nullptr && spec.cancel->load())) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &wstatus, 0);
      exited = true;
    } else if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &wstatus, 0);
      exited = true;
      timed_out = true;
    }
  }
  // What the process wrote just before exiting; a background child that keeps the pipe open
  // is not waited for.
  for (int i = 0; out_fd >= 0 && i < 64; ++i) read_some(out_fd, r.out);
  for (int i = 0; err_fd >= 0 && i < 64; ++i) read_some(err_fd, r.err);
  if (out_fd >= 0) ::close(out_fd);
  if (err_fd >= 0) ::close(err_fd);
  if (why[0] != 0) {
    r.status = ExecResult::Status::kFailedToStart;
    r.error = (why[0] == 1 ? "cannot enter working directory: " : "") + std::string(std::strerror(why[1]));
  } else if (timed_out) {
    r.status = ExecResult::Status::kTimedOut;
  } else if (WIFEXITED(wstatus)) {
    r.status = ExecResult::Status::kExited;
    r.exit_code = WEXITSTATUS(wstatus);
  } else {
    r.status = ExecResult::Status::kSignaled;
    r.signal = WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0;
  }
  return r;
}

}  // namespace gameday::net
