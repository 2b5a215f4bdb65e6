#pragma once
// The real StepEffects: exec steps run processes, http and notify steps make libcurl requests,
// and a control API (HttpServer on 127.0.0.1, an OS-assigned port) lets those scripts act on the
// simulated assistant. The server starts at the first exec/http step and serves until this
// object dies. One object per run: an object is not thread-safe, but separate objects share
// nothing (each has its own server, port and temporary directory, and passes
// GAMEDAY_CONTROL_URL and GAMEDAY_FLAGS_FILE in the environment of the process it starts,
// never through this process's environment), so concurrent runs may each have one.
//
// Control requests are queued by the server thread and applied on the simulation thread while a
// step waits (its idle loop drains the queue), then answered: the simulation stays single-
// threaded, and every change lands at the virtual time of the step that was running. Requests
// made when no step runs wait for the next one (and get 503 when the object dies).
#include <atomic>
#include <memory>
#include <string>

#include "playbook/effects.hpp"

namespace gameday {
struct SimOptions;  // engine/simulation.hpp
}

namespace gameday::net {

/// Real processes and HTTP, with a control API for them.
class NetStepEffects final : public StepEffects {
 public:
  NetStepEffects();
  ~NetStepEffects() override;

  /// Runs the process with GAMEDAY_CONTROL_URL and GAMEDAY_FLAGS_FILE in its environment.
  ExecResult exec(const ExecRequest& request, ControlHandler& control) override;
  /// Performs the request; a url starting with ${GAMEDAY_CONTROL_URL} goes to the control API.
  HttpResult http(const HttpRequest& request, ControlHandler& control) override;

  /// The control API's base URL ("http://127.0.0.1:PORT"), starting it when needed. Throws
  /// std::runtime_error when it cannot listen.
  std::string control_url();

  /// The one setup of a run whose playbook steps run for real (`gameday run`, each run of
  /// `gameday ci`, a drill): `options` runs its exec/http/notify steps through this object
  /// (which must outlive the run) and stops when `stop` turns true, which also kills a process
  /// running then (see set_stop). `stop` may be null (never interrupted).
  void attach(SimOptions& options, const std::atomic<bool>* stop);

  /// An interrupt flag: a process running when it turns true is killed, so an interrupted run
  /// moves on to its rollbacks. Processes started after it is set (the rollback's own exec
  /// steps) run normally, within their timeouts.
  void set_stop(const std::atomic<bool>* stop) { stop_ = stop; }

 private:
  struct State;
  std::unique_ptr<State> state_;
  const std::atomic<bool>* stop_ = nullptr;
};

/// Replaces ${GAMEDAY_CONTROL_URL} in `text` with `control_url`.
std::string expand_control_url(const std::string& text, const std::string& control_url);

}  // namespace gameday::net
