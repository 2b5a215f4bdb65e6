#pragma once
// The seam between playbook steps and the real world. `exec`, `http` and `notify` steps run
// real processes and make real HTTP calls; the core only sees this interface. src/net
// implements it (fork/exec, libcurl, the Beast control API server) and tests use fakes.
//
// In simulation a step calls its StepEffects synchronously on the simulation thread, so virtual
// time stands still while the real work runs. While it waits, the implementation hands every
// control API request it receives to the step's ControlHandler, on that same thread: the
// simulation stays single-threaded and each change lands at the virtual time of the step.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "sim/time.hpp"

namespace gameday {

/// One control API request, as the HTTP layer received it.
struct ControlRequest {
  std::string method;  // "GET", "PUT", "POST", ...
  std::string target;  // path and query, e.g. "/v1/assistant/flags/safe-mode"
  std::string body;
};

/// The control API's answer: a status and a JSON body.
struct ControlResponse {
  int status = 200;
  std::string body;  // JSON text
};

/// Applies control API requests (implemented by the playbook runner for the running step).
class ControlHandler {
 public:
  virtual ~ControlHandler() = default;
  /// Handles one request on the calling (simulation) thread.
  virtual ControlResponse handle(const ControlRequest& request) = 0;
};

/// A process to run: an argument vector, never a shell command line.
struct ExecRequest {
  std::vector<std::string> argv;           // argv[0] is looked up in PATH when it has no '/'
  std::map<std::string, std::string> env;  // added to (and overriding) the inherited environment
  std::string cwd;                         // working directory; "" = inherit
  Duration timeout = 30 * kSecond;         // real time; the process group is killed after it
  std::string flags_json;                  // flagd JSON written to $GAMEDAY_FLAGS_FILE before
};

/// How a process ended. The captured output is for diagnostics only: never journal it.
struct ExecResult {
  enum class Status { kExited, kSignaled, kTimedOut, kFailedToStart };
  Status status = Status::kFailedToStart;
  int exit_code = -1;    // kExited
  int signal = 0;        // kSignaled
  std::string error;     // kFailedToStart: why ("No such file or directory")
  std::string out;       // captured stdout (bounded)
  std::string err;       // captured stderr (bounded)
  bool flags_file_read = false;  // whether $GAMEDAY_FLAGS_FILE could be read back
  std::string flags_json_after;  // its contents after the process ended
};

/// One HTTP request. `url` may start with ${GAMEDAY_CONTROL_URL}, which the implementation
/// replaces with the control API's base URL.
struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  Duration timeout = 10 * kSecond;  // real time, whole request
};

/// An HTTP response, or why there was none (status 0).
struct HttpResult {
  int status = 0;     // 0 = no response (connection refused, timeout, bad URL)
  std::string body;   // bounded
  std::string error;  // status 0: why
};

/// Runs the real-world part of exec/http/notify steps. Calls block the calling thread until the
/// work is done or its real timeout passes, serving control API requests through `control`.
class StepEffects {
 public:
  virtual ~StepEffects() = default;
  /// Runs a process. The implementation adds GAMEDAY_CONTROL_URL and GAMEDAY_FLAGS_FILE to its
  /// environment, writes `flags_json` to that file before and reads it back after.
  virtual ExecResult exec(const ExecRequest& request, ControlHandler& control) = 0;
  /// Performs an HTTP request.
  virtual HttpResult http(const HttpRequest& request, ControlHandler& control) = 0;
};

}  // namespace gameday
