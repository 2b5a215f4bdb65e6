#include "net/step_effects.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <unistd.h>

#include <charconv>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "engine/simulation.hpp"
#include "net/http_client.hpp"
#include "net/http_server.hpp"
#include "net/process.hpp"

namespace gameday::net {
namespace {

constexpr const char* kControlVar = "${GAMEDAY_CONTROL_URL}";
constexpr std::string_view kStepsPrefix = "/steps/";

// The step control API's error body (as its own answers: {"error": "..."}).
ServerResponse step_error(int status, const std::string& message) {
  return ServerResponse{status, "application/json", nlohmann::json{{"error", message}}.dump()};
}

// "/steps/12/v1/assistant?x=1" -> 12 and "/v1/assistant?x=1". False for any other shape.
bool split_step_target(const std::string& target, std::uint64_t* id, std::string* rest) {
  if (target.compare(0, kStepsPrefix.size(), kStepsPrefix) != 0) return false;
  const char* begin = target.data() + kStepsPrefix.size();
  const char* end = target.data() + target.size();
  const auto [p, ec] = std::from_chars(begin, end, *id);
  if (ec != std::errc() || p == begin) return false;
  *rest = std::string(p, end);
  if (rest->empty() || rest->front() == '?') rest->insert(0, "/");
  return rest->front() == '/';
}

std::string slurp(const std::filesystem::path& p, bool* ok) {
  std::ifstream in(p, std::ios::binary);
  *ok = static_cast<bool>(in);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::string expand_control_url(const std::string& text, const std::string& control_url) {
  std::string out = text;
  const std::string var = kControlVar;
  for (std::size_t pos = 0; (pos = out.find(var, pos)) != std::string::npos; pos += control_url.size()) {
    out.replace(pos, var.size(), control_url);
  }
  return out;
}

// Shared by the engine's thread, the control server's thread and the workers; `mu` guards the
// fields marked so. Handlers (ControlHandler::handle) and `done` run on the engine's thread only.
struct NetStepEffects::State {
  struct Queued {  // blocking mode: a control request waiting for the engine's thread
    std::uint64_t step;
    ServerRequest request;
    ReplyFn reply;
  };
  struct Worker {  // background mode: one step's thread
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> finished;
  };

  std::mutex mu;
  std::map<std::uint64_t, std::shared_ptr<ControlHandler>> steps;  // mu: steps in flight by id
  std::uint64_t next_step = 1;                                       // mu
  bool closed = false;                                               // mu
  std::deque<Queued> queue;                                          // mu
  std::vector<Worker> workers;                                       // mu
  Post post;  // set before the first step; empty: blocking mode
  std::unique_ptr<HttpServer> server;  // started at first use (engine thread)
  std::filesystem::path dir;           // temporary directory for the flags files (engine thread)

  // Server thread: routes a request to its step on the engine's thread, or answers it now.
  void receive(ServerRequest request, ReplyFn reply) {
    std::uint64_t id = 0;
    std::string rest;
    if (!split_step_target(request.target, &id, &rest)) {
      reply(step_error(404, "control API paths start with the step's $GAMEDAY_CONTROL_URL "
                            "(http://HOST:PORT/steps/N)"));
      return;
    }
    request.target = std::move(rest);
    std::unique_lock<std::mutex> lock(mu);
    if (closed) {
      lock.unlock();
      reply(step_error(503, "the run has ended"));
    } else if (steps.count(id) == 0) {
      lock.unlock();
      reply(step_error(410, gone(id)));
    } else if (post) {
      post([this, id, request = std::move(request), reply = std::move(reply)] { apply(id, request, reply); });
    } else {
      queue.push_back(Queued{id, std::move(request), std::move(reply)});
    }
  }

  static std::string gone(std::uint64_t id) {
    return "step " + std::to_string(id) + " has ended: its control URL is valid while it runs";
  }

  // Engine thread: applies one request through its step's handler.
  void apply(std::uint64_t id, const ServerRequest& request, const ReplyFn& reply) {
    std::shared_ptr<ControlHandler> handler;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (closed) return reply(step_error(503, "the run has ended"));
      auto it = steps.find(id);
      if (it != steps.end()) handler = it->second;
    }
    if (!handler) return reply(step_error(410, gone(id)));
    const ControlResponse r = handler->handle(ControlRequest{request.method, request.target, request.body});
    reply(ServerResponse{r.status, "application/json", r.body});
  }

  // Engine thread, blocking mode: applies every queued request.
  void drain() {
    while (true) {
      Queued item;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (queue.empty()) return;
        item = std::move(queue.front());
        queue.pop_front();
      }
      apply(item.step, item.request, item.reply);
    }
  }

  // Engine thread: a step's id (0 once closed).
  std::uint64_t add_step(std::shared_ptr<ControlHandler> control) {
    std::lock_guard<std::mutex> lock(mu);
    if (closed) return 0;
    const std::uint64_t id = next_step++;
    steps.emplace(id, std::move(control));
    return id;
  }

  void end_step(std::uint64_t id) {
    std::lock_guard<std::mutex> lock(mu);
    steps.erase(id);
  }

  // Background mode: runs `work` on a new thread; `work` returns what to run on the engine's
  // thread, which ends step `id` first and does nothing once closed.
  void spawn(std::uint64_t id, std::function<std::function<void()>()> work) {
    auto finished = std::make_shared<std::atomic<bool>>(false);
    std::thread t([this, id, work = std::move(work), finished] {
      std::function<void()> then = work();
      {
        std::lock_guard<std::mutex> lock(mu);
        if (!closed) {
          post([this, id, then = std::move(then)] {
            {
              std::lock_guard<std::mutex> inner(mu);
              if (closed) return;
              steps.erase(id);
            }
            then();
          });
        }
      }
      finished->store(true);
    });
    std::vector<std::thread> done;
    {
      std::lock_guard<std::mutex> lock(mu);
      for (auto it = workers.begin(); it != workers.end();) {
        if (it->finished->load()) {
          done.push_back(std::move(it->thread));
          it = workers.erase(it);
        } else {
          ++it;
        }
      }
      workers.push_back(Worker{std::move(t), std::move(finished)});
    }
    for (auto& w : done) w.join();
  }

  // Engine thread: abandons the steps in flight, waits for the workers, answers what is queued.
  void close() {
    std::vector<std::shared_ptr<ControlHandler>> live;
    std::deque<Queued> queued;
    std::vector<Worker> running;
    {
      std::lock_guard<std::mutex> lock(mu);
      closed = true;
      for (auto& [id, h] : steps) live.push_back(h);
      steps.clear();
      queued.swap(queue);
      running.swap(workers);
    }
    for (auto& h : live) h->abandon();
    for (auto& q : queued) q.reply(step_error(503, "the run ended before the request could be applied"));
    for (auto& w : running) w.thread.join();
  }
};

NetStepEffects::NetStepEffects() : state_(std::make_unique<State>()) {}

NetStepEffects::~NetStepEffects() {
  // Answer what is queued while the server can still send it, then stop the server.
  state_->close();
  state_->server.reset();
  if (!state_->dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(state_->dir, ec);
  }
}

void NetStepEffects::attach(SimOptions& options, const std::atomic<bool>* stop,
                            const std::atomic<bool>* cut) {
  options.step_effects = this;
  options.stop = stop;
  options.stop_rollbacks = cut;
  set_stop(stop, cut);
}

const std::atomic<bool>* NetStepEffects::cancel_flag() const {
  if (stop_ != nullptr && !stop_->load()) return stop_;
  return cut_;
}

void NetStepEffects::run_in_background(Post post) { state_->post = std::move(post); }

void NetStepEffects::close() { state_->close(); }

std::string NetStepEffects::control_url() {
  if (!state_->server) {
    State* state = state_.get();
    state_->server = std::make_unique<HttpServer>(
        [state](ServerRequest request, ReplyFn reply) { state->receive(std::move(request), std::move(reply)); });
    spdlog::debug("control API listening on {}", state_->server->url());
  }
  return state_->server->url();
}

void NetStepEffects::exec(const ExecRequest& request, std::shared_ptr<ControlHandler> control,
                          ExecDone done) {
  ExecResult failed;
  std::string url;
  try {
    url = control_url();
  } catch (const std::exception& e) {
    failed.error = std::string("control API unavailable: ") + e.what();
    return done(failed);
  }
  if (state_->dir.empty()) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "gameday-step-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) {
      failed.error = "cannot create a temporary directory for the flags file";
      return done(failed);
    }
    state_->dir = tmpl;
  }
  const std::uint64_t id = state_->add_step(control);
  if (id == 0) {
    failed.error = "the run has ended";
    return done(failed);
  }
  const std::filesystem::path flags_file = state_->dir / ("flags-" + std::to_string(id) + ".json");
  {
    std::ofstream out(flags_file, std::ios::binary | std::ios::trunc);
    out << request.flags_json;
    if (!out) {
      state_->end_step(id);
      failed.error = "cannot write the flags file";
      return done(failed);
    }
  }
  ProcessSpec spec;
  spec.argv = request.argv;
  spec.env = request.env;
  spec.env["GAMEDAY_CONTROL_URL"] = url + std::string(kStepsPrefix) + std::to_string(id);
  spec.env["GAMEDAY_FLAGS_FILE"] = flags_file.string();
  spec.cwd = request.cwd;
  spec.timeout = request.timeout;
  spec.cancel = cancel_flag();
  // How the process ended, with the flags file as it left it (then removed).
  auto finish = [flags_file, program = request.argv.front()](ExecResult r) {
    r.flags_json_after = slurp(flags_file, &r.flags_file_read);
    std::error_code ec;
    std::filesystem::remove(flags_file, ec);
    if (!r.err.empty()) {
      // Diagnostics for whoever runs gameday with -v; never into the journal.
      spdlog::debug("exec {}: stderr ({} bytes):\n{}", program, r.err.size(), r.err);
    }
    return r;
  };
  if (!state_->post) {
    State* state = state_.get();
    ExecResult r = run_process(spec, [state, &control] {
      state->drain();
      return !control->abandoned();
    });
    state_->drain();  // requests that arrived as the process exited
    state_->end_step(id);
    return done(finish(std::move(r)));
  }
  state_->spawn(id, [spec = std::move(spec), control, done = std::move(done), finish]() mutable {
    ExecResult r = finish(run_process(spec, [&control] { return !control->abandoned(); }));
    return std::function<void()>([done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
  });
}

void NetStepEffects::http(const HttpRequest& request, std::shared_ptr<ControlHandler> control,
                          HttpDone done) {
  HttpRequest req = request;
  const std::uint64_t id = state_->add_step(control);
  if (id == 0) {
    HttpResult failed;
    failed.error = "the run has ended";
    return done(failed);
  }
  const bool uses_control = req.url.find(kControlVar) != std::string::npos ||
                            req.body.find(kControlVar) != std::string::npos;
  if (uses_control) {
    std::string url;
    try {
      url = control_url() + std::string(kStepsPrefix) + std::to_string(id);
    } catch (const std::exception& e) {
      state_->end_step(id);
      HttpResult failed;
      failed.error = std::string("control API unavailable: ") + e.what();
      return done(failed);
    }
    req.url = expand_control_url(req.url, url);
    req.body = expand_control_url(req.body, url);
    for (auto& h : req.headers) h.second = expand_control_url(h.second, url);
  }
  // A request in flight when the run is interrupted is dropped, as a process is killed.
  const std::atomic<bool>* cancel = cancel_flag();
  if (!state_->post) {
    State* state = state_.get();
    HttpResult r = http_request(req, [state, &control, cancel] {
      state->drain();
      return !control->abandoned() && !(cancel != nullptr && cancel->load());
    });
    state_->drain();
    state_->end_step(id);
    return done(std::move(r));
  }
  state_->spawn(id, [req = std::move(req), control, cancel, done = std::move(done)]() mutable {
    HttpResult r = http_request(req, [&control, cancel] {
      return !control->abandoned() && !(cancel != nullptr && cancel->load());
    });
    return std::function<void()>([done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
  });
}

}  // namespace gameday::net
