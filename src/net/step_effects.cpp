#include "net/step_effects.hpp"

#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <unistd.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "engine/simulation.hpp"
#include "net/http_client.hpp"
#include "net/http_server.hpp"
#include "net/process.hpp"

namespace gameday::net {
namespace {

constexpr const char* kControlVar = "${GAMEDAY_CONTROL_URL}";

// Control requests waiting for the simulation thread.
class ControlQueue {
 public:
  void push(ServerRequest request, ReplyFn reply) {
    std::lock_guard<std::mutex> lock(mu_);
    items_.push_back(Item{std::move(request), std::move(reply)});
  }
  /// Applies every queued request through `handler` on the calling thread and replies.
  void drain(ControlHandler& handler) {
    while (true) {
      Item item;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (items_.empty()) return;
        item = std::move(items_.front());
        items_.pop_front();
      }
      const ControlResponse r = handler.handle(ControlRequest{item.request.method, item.request.target,
                                                              item.request.body});
      item.reply(ServerResponse{r.status, "application/json", r.body});
    }
  }
  /// Answers everything still queued with 503.
  void fail_all() {
    std::deque<Item> items;
    {
      std::lock_guard<std::mutex> lock(mu_);
      items.swap(items_);
    }
    for (auto& item : items) {
      item.reply(ServerResponse{503, "application/json",
                                R"({"error":"the run ended before the request could be applied"})"});
    }
  }

 private:
  struct Item {
    ServerRequest request;
    ReplyFn reply;
  };
  std::mutex mu_;
  std::deque<Item> items_;
};

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

struct NetStepEffects::State {
  ControlQueue queue;
  std::unique_ptr<HttpServer> server;  // started at first use
  std::filesystem::path dir;           // temporary directory for the flags file
};

NetStepEffects::NetStepEffects() : state_(std::make_unique<State>()) {}

NetStepEffects::~NetStepEffects() {
  // Answer what is queued while the server can still send it, then stop the server.
  state_->queue.fail_all();
  state_->server.reset();
  if (!state_->dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(state_->dir, ec);
  }
}

void NetStepEffects::attach(SimOptions& options, const std::atomic<bool>* stop) {
  options.step_effects = this;
  options.stop = stop;
  set_stop(stop);
}

std::string NetStepEffects::control_url() {
  if (!state_->server) {
    ControlQueue* queue = &state_->queue;
    state_->server = std::make_unique<HttpServer>(
        [queue](ServerRequest request, ReplyFn reply) { queue->push(std::move(request), std::move(reply)); });
    spdlog::debug("control API listening on {}", state_->server->url());
  }
  return state_->server->url();
}

ExecResult NetStepEffects::exec(const ExecRequest& request, ControlHandler& control) {
  ExecResult failed;
  std::string url;
  try {
    url = control_url();
  } catch (const std::exception& e) {
    failed.error = std::string("control API unavailable: ") + e.what();
    return failed;
  }
  if (state_->dir.empty()) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "gameday-step-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) {
      failed.error = "cannot create a temporary directory for the flags file";
      return failed;
    }
    state_->dir = tmpl;
  }
  const std::filesystem::path flags_file = state_->dir / "flags.json";
  {
    std::ofstream out(flags_file, std::ios::binary | std::ios::trunc);
    out << request.flags_json;
    if (!out) {
      failed.error = "cannot write the flags file";
      return failed;
    }
  }
  ProcessSpec spec;
  spec.argv = request.argv;
  spec.env = request.env;
  spec.env["GAMEDAY_CONTROL_URL"] = url;
  spec.env["GAMEDAY_FLAGS_FILE"] = flags_file.string();
  spec.cwd = request.cwd;
  spec.timeout = request.timeout;
  if (stop_ != nullptr && !stop_->load()) spec.cancel = stop_;
  ExecResult r = run_process(spec, [&] { state_->queue.drain(control); });
  state_->queue.drain(control);  // requests that arrived as the process exited
  r.flags_json_after = slurp(flags_file, &r.flags_file_read);
  if (!r.err.empty()) {
    // Diagnostics for whoever runs gameday with -v; never into the journal.
    spdlog::debug("exec {}: stderr ({} bytes):\n{}", request.argv.front(), r.err.size(), r.err);
  }
  return r;
}

HttpResult NetStepEffects::http(const HttpRequest& request, ControlHandler& control) {
  HttpRequest req = request;
  const bool uses_control = req.url.find(kControlVar) != std::string::npos ||
                            req.body.find(kControlVar) != std::string::npos;
  if (uses_control) {
    std::string url;
    try {
      url = control_url();
    } catch (const std::exception& e) {
      HttpResult failed;
      failed.error = std::string("control API unavailable: ") + e.what();
      return failed;
    }
    req.url = expand_control_url(req.url, url);
    req.body = expand_control_url(req.body, url);
    for (auto& h : req.headers) h.second = expand_control_url(h.second, url);
  }
  HttpResult r = http_request(req, [&] { state_->queue.drain(control); });
  state_->queue.drain(control);
  return r;
}

}  // namespace gameday::net
