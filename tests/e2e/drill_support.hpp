#pragma once
// `gameday drill` as a background process driven by a shell snippet, and journal readers, for
// the drill end-to-end tests.
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "e2e_support.hpp"

namespace e2e {

/// A port the OS says is free now (bound to 127.0.0.1:0 and released), for options that fix a
/// port; throws (failing the test) when the OS gives none.
inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("no socket for a free port");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error("the OS gave no free port on 127.0.0.1");
  return ntohs(addr.sin_port);
}

/// curl for the drill's loopback URLs; no single quotes, so it can go inside a `poll '...'`.
inline constexpr const char* kCurl = "curl --noproxy 127.0.0.1 -s --max-time 10";

/// A shell function, `poll 'CONDITION'`: evaluates CONDITION every 50 ms until it holds (status
/// 0) or 30 s pass (status 1, naming it on stderr). Scripts wait for what they need with it,
/// never for a fixed time.
inline constexpr const char* kPollFunction =
    "poll() { for i in $(seq 1 600); do eval \"$1\" && return 0; sleep 0.05; done; "
    "echo \"poll: gave up waiting for: $1\" >&2; return 1; }; ";

/// A shell condition for `poll`: the drill's engine is running (its control API answers /faults).
inline constexpr const char* kDrillRunning = "curl --noproxy 127.0.0.1 -sf --max-time 10 \"$CONTROL/faults\" > /dev/null";

/// Starts `gameday drill ARGS` in the background from `dir`, waits for its `control` line, runs
/// `body` (a shell snippet that may use $CONTROL, $ASSISTANT (absent with --sut), $EHR and $PID,
/// and `poll`), then waits for the drill to exit. Returns the body's exit status; the drill's
/// output is in dir/drill.out and dir/drill.err, its exit code in dir/drill.code.
inline int with_drill(const TempDir& dir, const std::string& args, const std::string& body) {
  const std::string script =
      std::string(kPollFunction) + "cd '" + dir.path().string() + "' && { '" + std::string(GAMEDAY_BIN) +
      "' drill " + args + " > drill.out 2> drill.err < /dev/null & }; PID=$!; "
      "poll \"grep -q '^control ' drill.out 2>/dev/null\"; "
      "CONTROL=$(sed -n 's/^control //p' drill.out); ASSISTANT=$(sed -n 's/^assistant //p' drill.out); "
      "EHR=$(sed -n 's/^ehr //p' drill.out); "
      "( " + body + " ); rc=$?; wait $PID; echo $? > drill.code; exit $rc";
  const int status = std::system(script.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace e2e
