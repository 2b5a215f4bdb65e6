#pragma once
#include <atomic>
// Running a process for an exec step: an argument vector (never a shell), a real timeout, output
// captured (bounded) and kept out of journals. The calling thread waits, calling an idle
// callback meanwhile (to serve the control API while the process runs, and to give up).
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "playbook/effects.hpp"

namespace gameday::net {

/// What to run.
struct ProcessSpec {
  std::vector<std::string> argv;           // argv[0] is looked up in PATH when it has no '/'
  std::map<std::string, std::string> env;  // added to (and overriding) this process's environment
  std::string cwd;                         // "" = inherit
  Duration timeout = 30 * kSecond;         // real time
  /// When set and it turns true while the process runs, the process group is killed (SIGKILL)
  /// and the result is kSignaled with signal SIGKILL (an interrupted run).
  const std::atomic<bool>* cancel = nullptr;
};

/// Runs `spec` to completion. The child gets its own process group, stdin from /dev/null, and
/// is killed with its whole group (SIGKILL) at the timeout. stdout and stderr are kept up to
/// 64 KiB each. `flags_*` fields of the result are left alone. `idle` runs every few
/// milliseconds while the process runs; when it returns false the process group is killed as
/// for `cancel` (the step was abandoned).
ExecResult run_process(const ProcessSpec& spec, const std::function<bool()>& idle = {});

}  // namespace gameday::net
