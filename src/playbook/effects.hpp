#pragma once
// The seam between playbook steps and the real world. `exec`, `http` and `notify` steps run
// real processes and make real HTTP calls; the core only sees this interface. src/net
// implements it (fork/exec, libcurl, the Beast control API server) and tests use fakes.
//
// A step hands its work to StepEffects with a ControlHandler (the step's own control API) and a
// completion callback. Both always run on the engine's thread, so the engine stays
// single-threaded; when the work runs depends on the implementation:
// - blocking (a simulation): the call returns after the work is done and the callback has run,
//   so virtual time stands still while the real work runs and every change lands at the step's
//   virtual time (reproducible runs);
// - in the background (a live drill): the call returns at once and the callback arrives later
//   as an engine event; traffic, faults, detection and the drill's control port go on meanwhile.
#include <atomic>
#include <functional>
#include <map>
#include <memory>
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

/// One step's side of its work in flight: applies the control API requests made for the step
/// (implemented by the playbook runner), and says whether the engine still waits for the result.
class ControlHandler {
 public:
  virtual ~ControlHandler() = default;
  /// Handles one request, on the engine's thread.
  virtual ControlResponse handle(const ControlRequest& request) = 0;
  /// Engine thread: the step no longer waits for its work (the run was interrupted or ended). A
  /// running process is then killed and a request in flight dropped; the result is ignored.
  void abandon() { abandoned_.store(true); }
  /// Whether abandon() was called (any thread).
  bool abandoned() const { return abandoned_.load(); }

 private:
  std::atomic<bool> abandoned_{false};
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

/// Receives how a process ended / an HTTP result, on the engine's thread.
using ExecDone = std::function<void(ExecResult)>;
using HttpDone = std::function<void(HttpResult)>;

/// Runs the real-world part of exec/http/notify steps (see the top of this file for when). Each
/// call runs `done` at most once, on the engine's thread; an abandoned step's `done` may not run.
/// Control API requests for the step reach `control` (kept alive until the work has ended).
class StepEffects {
 public:
  virtual ~StepEffects() = default;
  /// Runs a process. The implementation adds GAMEDAY_CONTROL_URL and GAMEDAY_FLAGS_FILE to its
  /// environment, writes `flags_json` to that file before and reads it back after.
  virtual void exec(const ExecRequest& request, std::shared_ptr<ControlHandler> control,
                    ExecDone done) = 0;
  /// Performs an HTTP request.
  virtual void http(const HttpRequest& request, std::shared_ptr<ControlHandler> control,
                    HttpDone done) = 0;
  /// Engine thread, once the run's last step has ended or been given up: abandons whatever is
  /// still in flight and waits for it to stop. No `done` runs afterwards.
  virtual void close() {}
};

}  // namespace gameday
