#pragma once
// The real StepEffects: exec steps run processes, http and notify steps make libcurl requests,
// and a control API (HttpServer on 127.0.0.1, an OS-assigned port) lets those scripts act on the
// assistant. Each step gets its own control URL (`http://127.0.0.1:PORT/steps/N`), so a change
// is journaled as made by the step that made it even when steps of two playbooks overlap; a
// step's URL answers 410 once the step has ended. The server starts at the first exec/http
// step and serves until this object dies. One object per run, used from the engine's thread;
// separate objects share nothing (each has its own server, port and temporary directory, and
// passes GAMEDAY_CONTROL_URL and GAMEDAY_FLAGS_FILE in the environment of the process it
// starts, never through this process's environment), so concurrent runs may each have one.
//
// Two ways to run (see playbook/effects.hpp):
// - blocking (the default; `run`, `ci`): the engine's thread waits for the process or request
//   and applies the step's control requests while it waits (the server thread queues them);
// - in the background (run_in_background; a drill): a worker thread waits, control requests
//   and the result are posted to the engine's thread as events, and the engine goes on.
#include <atomic>
#include <functional>
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
  /// Hands a function to the engine's thread (e.g. RealTimeScheduler::post); thread-safe.
  using Post = std::function<void(std::function<void()>)>;

  NetStepEffects();
  /// Closes (see close()) and stops the control API.
  ~NetStepEffects() override;

  /// Runs the process with GAMEDAY_CONTROL_URL and GAMEDAY_FLAGS_FILE in its environment.
  void exec(const ExecRequest& request, std::shared_ptr<ControlHandler> control,
            ExecDone done) override;
  /// Performs the request; a url starting with ${GAMEDAY_CONTROL_URL} goes to the step's control
  /// API.
  void http(const HttpRequest& request, std::shared_ptr<ControlHandler> control,
            HttpDone done) override;
  /// Abandons the steps in flight (their processes are killed, their requests dropped), waits
  /// for the worker threads, and answers later control requests 503. No `done` runs afterwards.
  void close() override;

  /// From now on, steps run on worker threads and everything for the engine goes through
  /// `post` (a live drill). Call before the first step.
  void run_in_background(Post post);

  /// The control API's base URL ("http://127.0.0.1:PORT"; a step's own URL adds /steps/N),
  /// starting it when needed. Throws std::runtime_error when it cannot listen.
  std::string control_url();

  /// The one setup of a run whose playbook steps run for real (`gameday run`, each run of
  /// `gameday ci`, a drill): `options` runs its exec/http/notify steps through this object
  /// (which must outlive the run), stops when `stop` turns true and cuts its rollbacks short
  /// when `cut` does (a second Ctrl-C), killing what runs then (see set_stop). Either may be
  /// null.
  void attach(SimOptions& options, const std::atomic<bool>* stop,
              const std::atomic<bool>* cut = nullptr);

  /// Interrupt flags: a process or request running when `stop` turns true is killed or
  /// dropped, so an interrupted run moves on to its rollbacks. Those started after it is set
  /// (the rollback's own steps) run normally, within their timeouts, until `cut` turns true.
  void set_stop(const std::atomic<bool>* stop, const std::atomic<bool>* cut = nullptr) {
    stop_ = stop;
    cut_ = cut;
  }

 private:
  // The flag that cancels work starting now: `stop` before an interrupt, `cut` after it.
  const std::atomic<bool>* cancel_flag() const;

  struct State;
  std::unique_ptr<State> state_;
  const std::atomic<bool>* stop_ = nullptr;
  const std::atomic<bool>* cut_ = nullptr;
};

/// Replaces ${GAMEDAY_CONTROL_URL} in `text` with `control_url`.
std::string expand_control_url(const std::string& text, const std::string& control_url);

}  // namespace gameday::net
