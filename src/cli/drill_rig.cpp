#include "cli/drill_rig.hpp"

#include "cli/common.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <random>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "assistant/phi.hpp"
#include "cli/serve.hpp"
#include "load/error.hpp"
#include "load/fault_json.hpp"
#include "load/limits.hpp"
#include "load/loader.hpp"
#include "net/json_reply.hpp"
#include "net/live_faults.hpp"
#include "net/otlp_spans.hpp"
#include "playbook/control_api.hpp"
#include "score/score.hpp"
#include "sim/rng.hpp"
#include "trace/context.hpp"

namespace gameday {
namespace {

// Rollbacks of playbooks still running at the end get this much scenario time.
constexpr Duration kDrillRollbackLimit = 5 * kMinute;

bool is_loopback(const std::string& host) { return host == "127.0.0.1" || host == "::1"; }

// http(s)://HOST... with a host: no whitespace anywhere, something after the scheme.
bool is_http_url(const std::string& url) {
  std::string rest;
  if (url.rfind("http://", 0) == 0) rest = url.substr(7);
  if (url.rfind("https://", 0) == 0) rest = url.substr(8);
  if (rest.empty() || rest.front() == '/' || rest.front() == ':') return false;
  return url.find_first_of(" \t\r\n") == std::string::npos;
}

net::ServerOptions server_options(const Endpoint& e) {
  net::ServerOptions s;
  s.address = e.host;
  s.port = e.port;
  return s;
}

SimOptions drill_sim_options(const DrillOptions& o, const DrillSetup& setup, const Scenario& scenario,
                             const std::atomic<bool>* stop, net::NetStepEffects& step_effects) {
  SimOptions options;
  options.seed = o.seed.value_or(scenario.seed);
  options.playbooks_enabled = !o.no_playbooks;
  options.manual = o.manual;
  options.external_alerts = setup.external_alerts;
  options.rollback_limit = kDrillRollbackLimit;
  if (!setup.sut.empty()) options.service = &setup.service;
  step_effects.attach(options, stop, stop != nullptr ? second_interrupt_flag() : nullptr);
  return options;
}

// The drill's scenario at its seed, simulated with its playbooks (automated) and with nobody
// acting: each incident's figures, the trainee's answer key. Playbook exec/http/notify steps do
// not run here (they fail), so a scenario mitigated only by scripts has no automated reference.
ReferenceEvent reference_runs(const ScenarioBundle& bundle, std::uint64_t seed) {
  ReferenceEvent out;
  const auto us = [](const std::optional<double>& s) -> Duration {
    return s ? static_cast<Duration>(std::llround(*s * 1e6)) : -1;
  };
  for (const bool playbooks : {true, false}) {
    SimOptions options;
    options.seed = seed;
    options.playbooks_enabled = playbooks;
    Journal journal;
    run_simulation(bundle, options, journal);
    const Score score = score_journal(journal.events());
    for (const auto& i : score.incidents) {
      out.incidents.push_back(ReferenceIncident{playbooks ? "playbooks" : "nobody", i.id, us(i.ttd_s), us(i.tta_s),
                                                us(i.ttm_s), us(i.ttr_s), i.unsafe, i.failed});
    }
  }
  return out;
}

// A facilitator's key: 128 bits from the OS (a live drill, not the simulated path), in hex.
std::string random_key() {
  std::random_device device;
  std::string key;
  for (int i = 0; i < 4; ++i) {
    char buf[9];
    std::snprintf(buf, sizeof buf, "%08x", static_cast<unsigned>(device()));
    key += buf;
  }
  return key;
}

std::ofstream open_journal(const std::string& out_dir) {
  std::filesystem::create_directories(out_dir);
  std::ofstream journal_file(std::filesystem::path(out_dir) / "journal.jsonl", std::ios::binary);
  if (!journal_file) throw std::runtime_error("cannot write " + out_dir + "/journal.jsonl");
  return journal_file;
}

// The active faults in the scenario syntax (each can be POSTed again as it is).
nlohmann::ordered_json fault_list(EngineHandle& engine) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& f : engine.active_faults()) list.push_back(fault_to_json(f));
  return list;
}

}  // namespace

std::optional<std::string> parse_drill_setup(const DrillOptions& o, DrillSetup& setup) {
  if (!o.duration.empty()) {
    setup.duration = parse_duration(o.duration);
    if (!setup.duration || *setup.duration <= 0) {
      return "--duration: expected a positive duration such as 2m or 90s, got '" + o.duration + "'";
    }
    // The same limit as a scenario's duration: a journal never spans more than a run can last.
    if (*setup.duration > limits::kMaxRunDuration) {
      return "--duration: " + format_duration_exact(*setup.duration) + " is longer than the limit of " +
             format_duration_exact(limits::kMaxRunDuration);
    }
  }
  if (!std::isfinite(o.speed) || o.speed <= 0) {
    return "--speed: expected a positive number, got " + std::to_string(o.speed);
  }
  if (o.alerts != "internal" && o.alerts != "external") {
    return "--alerts: expected internal or external, got '" + o.alerts + "'";
  }
  setup.external_alerts = o.alerts == "external";
  const ListenOptions listen{o.ports, o.vendors, {{"--control", o.control}, {"--ehr", o.ehr}, {"--assistant", o.assistant}}};
  if (auto bad = plan_listen(listen, setup.listen)) return bad;  // a bad ports file throws ConfigError
  setup.control = setup.listen.servers.at("--control");
  setup.ehr = setup.listen.servers.at("--ehr");
  setup.assistant = setup.listen.servers.at("--assistant");
  if (auto bad = resolve_token(o.token, o.token_file, setup.token)) return bad;
  if (!is_loopback(setup.control.host) && setup.token.empty()) {
    return "--control on " + setup.control.host +
           " is reachable from other machines: give it a --token (or --token-file, or GAMEDAY_TOKEN)";
  }
  if (!is_loopback(setup.assistant.host)) {
    return "--assistant: the assistant's API changes its flags and has no token: bind it to loopback (127.0.0.1)";
  }
  setup.sut = o.sut;
  while (!setup.sut.empty() && setup.sut.back() == '/') setup.sut.pop_back();
  if (!o.sut.empty() && !is_http_url(setup.sut)) {
    return "--sut: expected an http:// or https:// URL, got '" + o.sut + "'";
  }
  setup.sut_control = o.sut_control;
  while (!setup.sut_control.empty() && setup.sut_control.back() == '/') setup.sut_control.pop_back();
  if (!o.sut_control.empty() && !is_http_url(setup.sut_control)) {
    return "--sut-control: expected an http:// or https:// URL (the root of the service's control contract, "
           "e.g. http://127.0.0.1:8080/v1/control), got '" + o.sut_control + "'";
  }
  if (!o.sut_control.empty() && o.sut.empty()) {
    return "--sut-control: the control contract is the --sut service's: give --sut URL too";
  }
  if (!o.otlp.empty()) {
    if (auto bad = net::check_otlp_url(o.otlp)) return bad;
  }
  if (o.allow_unreachable_steps && o.sut.empty()) {
    return "--allow-unreachable-steps: only a --sut drill has steps that may not reach the system under test";
  }
  if (!o.room && (o.hide || o.trainee != "trainee")) {
    return std::string(o.hide ? "--hide" : "--trainee") + ": the trainee's view is the drill room's: give --room too";
  }
  if (o.trainee.empty() || o.trainee.size() > 64 ||
      !std::all_of(o.trainee.begin(), o.trainee.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
      })) {
    return "--trainee: expected a name of letters, digits, '-', '_' or '.' (at most 64), got '" + o.trainee + "'";
  }
  return std::nullopt;
}

// ---------------------------------------------------------------- RoomHub

void RoomHub::add(std::shared_ptr<net::Exchange> ex, net::RoomView view, const std::vector<Event>& so_far) {
  ex->begin(200, "text/event-stream", {{"Cache-Control", "no-cache"}});
  std::string backlog = ": gameday drill room\n\n";
  for (const auto& e : so_far) {
    const std::string line = net::room_event_json(e, view, hide_);
    if (!line.empty()) backlog += "data: " + line + "\n\n";
  }
  ex->write(std::move(backlog));
  std::lock_guard<std::mutex> lock(mu_);
  streams_.push_back(Stream{std::move(ex), view});
}

void RoomHub::publish(const Event& e) {
  std::lock_guard<std::mutex> lock(mu_);
  if (streams_.empty()) return;
  std::erase_if(streams_, [](const Stream& s) { return !s.ex->alive(); });
  std::string lines[2];
  for (const auto& s : streams_) {
    std::string& line = lines[s.view == net::RoomView::kFacilitator ? 1 : 0];
    if (line.empty()) {
      const std::string json = net::room_event_json(e, s.view, hide_);
      line = json.empty() ? std::string(": -\n\n") : "data: " + json + "\n\n";
    }
    if (line[0] == 'd') s.ex->write(line);
  }
}

void RoomHub::close_all() {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& s : streams_) s.ex->end();
  streams_.clear();
}

// ---------------------------------------------------------------- EventHub

void EventHub::add(std::shared_ptr<net::Exchange> ex) {
  ex->begin(200, "text/event-stream", {{"Cache-Control", "no-cache"}});
  ex->write(": gameday drill journal\n\n");
  std::lock_guard<std::mutex> lock(mu_);
  streams_.push_back(std::move(ex));
}

void EventHub::publish(const Event& e) {
  std::lock_guard<std::mutex> lock(mu_);
  if (streams_.empty()) return;
  std::string line = "data: ";
  append_json(line, e);
  line += "\n\n";
  std::erase_if(streams_, [](const auto& ex) { return !ex->alive(); });
  for (const auto& ex : streams_) ex->write(line);
}

void EventHub::close_all() {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& ex : streams_) ex->end();
  streams_.clear();
}

// ---------------------------------------------------------------- DrillRig

DrillRig::~DrillRig() {
  // Nothing may be posted to the scheduler once it is gone (it is destroyed before the steps'
  // effects): stop the steps' workers and control API first.
  step_effects_.close();
}

DrillRig::DrillRig(const DrillOptions& o, const DrillSetup& setup, const ScenarioBundle& bundle,
                   const std::atomic<bool>* stop)
    : o_(o),
      setup_(setup),
      bundle_(bundle),
      scenario_(bundle.scenario),
      primary_route_(scenario_.assistant.value_or(bundle.fakes.assistant).primary_route),
      options_(drill_sim_options(o, setup, scenario_, stop, step_effects_)),
      out_dir_(o.out.empty() ? "reports/" + scenario_.name + "-drill" : o.out),
      journal_file_(open_journal(out_dir_)),
      scheduler_(o.speed),
      trace_seed_(mix64(options_.seed ^ static_cast<std::uint64_t>(
                                            std::chrono::system_clock::now().time_since_epoch().count()))),
      vendor_models_(vendor_models(bundle)),
      facilitator_key_(o.room ? random_key() : ""),
      world_(World::generate(bundle.fakes.world)),
      ctx_{bundle.fakes, world_, faults_, metrics_, options_.seed} {
  if (!setup.sut.empty()) {
    join_ = std::make_unique<net::TraceJoin>([this](std::function<void()> fn) { scheduler_.post(std::move(fn)); },
                                             [this] { return scheduler_.now(); }, o.speed);
    ctx_.calls = join_.get();
  }
  std::vector<std::string> vendor_ids;
  for (const auto& v : bundle.fakes.vendors) vendor_ids.push_back(v.id);
  metrics_.set_slos(scenario_.slos, vendor_ids);
  // exec/http/notify steps run on worker threads: the drill keeps serving meanwhile.
  step_effects_.run_in_background([this](std::function<void()> fn) { scheduler_.post(std::move(fn)); });
  // The live fakes combine faults as the scenario says, and ramp them in scenario time.
  faults_.set_combine(scenario_.fault_combine);
  faults_.set_speed(o.speed);
  options_.on_fault = [this](const FaultSpec& f, bool active) {
    if (active) {
      faults_.add(f);
    } else {
      faults_.remove(f.id);
    }
  };
  journal_.set_sink(&journal_file_);
  journal_.subscribe([this](const Event& e) { observe(e); });
  start_fakes();
  start_system_under_test();
  wire_engine();
  start_control();
  // Live traffic: the workload and the golden probes ask over HTTP. A request may take the
  // workload's client timeout and a margin (the engine gives up at the timeout itself).
  http_client_ = std::make_unique<net::AsyncHttpClient>();
  const bool builtin = setup_.sut.empty();
  answers_ = std::make_unique<net::HttpAnswerService>(
      scheduler_, *http_client_, builtin ? assistant_server_->url() : setup_.sut, world_,
      builtin ? &builtin_ : nullptr, join_.get(), trace_seed_, scenario_.workload.client_timeout + 30 * kSecond);
  options_.answers = answers_.get();
}

// The journal's subscriber: /metrics counts what the journal says; /events streams it.
void DrillRig::observe(const Event& e) {
  if (const auto* r = std::get_if<RequestEvent>(&e.body)) {
    metrics_.observe_request(*r);
    if (!setup_.sut.empty()) request_traces_.insert(trace_id_hex(request_trace_id(trace_seed_, r->id, r->probe)));
    // The built-in's model calls are in-process: its GenAI client metrics come from its spans
    // (a --sut service's calls are counted by the fake vendor that served them).
    if (setup_.sut.empty()) {
      for (const DependencyCall& c : r->calls) {
        if (c.dependency == Dependency::kEhr) continue;
        const auto model = vendor_models_.find(c.vendor);
        // The assistant's client speaks OpenAI chat completions and embeddings.
        metrics_.observe_gen_ai(net::gen_ai_call(c, c.dependency == Dependency::kEmbeddings ? "embeddings" : "chat",
                                                 "openai", model != vendor_models_.end() ? model->second : c.resource));
      }
    }
  } else if (std::holds_alternative<CorrectionEvent>(e.body)) {
    metrics_.observe_correction();
  } else if (const auto* g = std::get_if<GoldenResultEvent>(&e.body); g && g->by == "probe") {
    metrics_.observe_probe(g->ok, g->passed, g->total, net::unix_now());
  }
  events_.publish(e);
  room_.publish(e);
}

// A server per vendor profile (where --vendor / --ports put it; the others on any free port of
// the route's host) and the EHR.
void DrillRig::start_fakes() {
  for (const auto& v : bundle_.fakes.vendors) {
    const Endpoint at = setup_.listen.vendors.at(v.id, primary_route_);
    vendors_.push_back(std::make_unique<net::VendorServer>(ctx_, v.id, server_options(at)));
    servers_["vendor:" + v.id] = vendors_.back()->base_url();
  }
  ehr_ = std::make_unique<net::EhrServer>(ctx_, server_options(setup_.ehr));
  servers_["ehr"] = ehr_->base_url();
}

void DrillRig::start_system_under_test() {
  if (setup_.sut.empty()) {
    assistant_server_ =
        std::make_unique<net::AssistantServer>(scheduler_, builtin_, server_options(setup_.assistant));
    servers_["assistant"] = assistant_server_->url();
  } else {
    servers_["sut"] = setup_.sut;
  }
}

// The engine tells the rig where its alert inlet and handle are (and when they are gone).
void DrillRig::wire_engine() {
  options_.alert_inlet = [this](AlertInlet* inlet) { slot_.inlet = inlet; };
  options_.engine = [this](EngineHandle* engine) {
    slot_.engine = engine;
    if (assistant_server_) assistant_server_->attach(engine);
    // A room's answer key goes into the journal at the start (the trainee never sees it).
    if (engine != nullptr && reference_) engine->record_reference(*reference_);
  };
}

// The control port: /faults and /reset act on the engine's board (journaled fault_start /
// fault_end; the HTTP fakes follow through the mirror), /v1/assistant are the built-in
// assistant's controls (the same API as its own server's and playbook scripts'), /status,
// /events and the Alertmanager webhook.
void DrillRig::start_control() {
  control_ = std::make_unique<net::ControlServer>(ctx_, server_options(setup_.control), setup_.token, servers_);
  for (const char* method : {"GET", "POST", "DELETE"}) add_route(method, "/faults", &DrillRig::serve_faults);
  add_route("POST", "/reset", &DrillRig::serve_reset);
  for (const char* method : {"GET", "PUT", "POST"}) add_route(method, "/v1/assistant", &DrillRig::serve_assistant);
  add_route("GET", "/status", &DrillRig::serve_status);
  add_route("GET", "/events", &DrillRig::serve_events);
  if (o_.room) {
    add_route("GET", "/room", &DrillRig::serve_room);
    add_route("POST", "/room/api", &DrillRig::serve_room);
  }
  control_->add_route(net::ControlRoute{
      "POST", "/alertmanager", [this](const net::ServerRequest& req) { return serve_alertmanager(req); }, nullptr});
  control_->add_route(net::ControlRoute{
      "POST", "/v1/traces", [this](const net::ServerRequest& req) { return serve_traces(req); }, nullptr});
}

void DrillRig::add_route(const char* method, const char* prefix, Serve serve) {
  auto exchange = [this, serve](const net::ServerRequest& req, std::shared_ptr<net::Exchange> ex) {
    (this->*serve)(req, std::move(ex));
  };
  control_->add_route(net::ControlRoute{method, prefix, nullptr, exchange});
}

// Runs `fn` against the engine on its thread and answers with what it returns (503 once the
// run is over).
void DrillRig::on_engine(std::shared_ptr<net::Exchange> ex, EngineCall fn) {
  scheduler_.post([this, ex = std::move(ex), fn = std::move(fn)] {
    if (slot_.engine == nullptr) return ex->reply(net::json_error(503, "the drill is not running"));
    ex->reply(fn(*slot_.engine));
  });
}

void DrillRig::serve_faults(const net::ServerRequest& req, std::shared_ptr<net::Exchange> ex) {
  if (!see_truth(req)) return ex->reply(hidden());
  std::string path = req.target.substr(0, req.target.find('?'));
  const std::string id = path.size() > 8 ? path.substr(8) : "";
  if (path != "/faults" && path.rfind("/faults/", 0) != 0) {
    return ex->reply(net::json_error(404, "unknown route " + req.method + " " + path));
  }
  if (req.method == "POST" && id.empty()) {
    auto f = std::make_shared<FaultSpec>();
    try {
      *f = parse_fault(req.body);
    } catch (const ConfigError& e) {
      return ex->reply(net::json_error(400, e.what()));
    }
    return on_engine(std::move(ex), [f](EngineHandle& engine) {
      std::string error;
      if (!engine.add_fault(*f, &error)) return net::json_error(409, error, "id");
      return net::ServerResponse{201, "application/json", net::fault_json(*f) + "\n"};
    });
  }
  if (req.method == "GET" && id.empty()) {
    return on_engine(std::move(ex), [](EngineHandle& engine) {
      return net::json_reply(200, nlohmann::ordered_json{{"faults", fault_list(engine)}});
    });
  }
  if (req.method == "GET") {
    return on_engine(std::move(ex), [id](EngineHandle& engine) {
      for (const auto& f : fault_list(engine)) {
        if (f.value("id", "") == id) return net::json_reply(200, f);
      }
      return net::json_error(404, "no active fault '" + id + "'", "id");
    });
  }
  if (req.method == "DELETE" && !id.empty()) {
    return on_engine(std::move(ex), [id](EngineHandle& engine) {
      if (engine.remove_fault(id)) return net::ServerResponse{204, "application/json", ""};
      return net::json_error(404, "no active fault '" + id + "'", "id");
    });
  }
  ex->reply(net::json_error(405, "method " + req.method + " not allowed on " + path));
}

void DrillRig::serve_reset(const net::ServerRequest&, std::shared_ptr<net::Exchange> ex) {
  on_engine(std::move(ex), [](EngineHandle& engine) {
    return net::json_reply(200, nlohmann::json{{"removed", engine.reset_faults()}});
  });
}

void DrillRig::serve_assistant(const net::ServerRequest& req, std::shared_ptr<net::Exchange> ex) {
  if (!setup_.sut.empty()) {
    return ex->reply(net::json_error(409, "this drill's system under test is --sut: use its own controls"));
  }
  auto request = std::make_shared<ControlRequest>(ControlRequest{req.method, req.target, req.body});
  on_engine(std::move(ex), [request](EngineHandle& engine) {
    const ControlResponse r = handle_control_request(engine.assistant(), *request, "control-api");
    return net::ServerResponse{r.status, "application/json", r.body + "\n"};
  });
}

// Run status: what is running, how far along, against what, with which faults.
void DrillRig::serve_status(const net::ServerRequest& req, std::shared_ptr<net::Exchange> ex) {
  if (!see_truth(req)) return ex->reply(hidden());
  on_engine(std::move(ex), [this](EngineHandle& engine) {
    const std::string system_under_test = setup_.sut.empty() ? "built-in assistant" : setup_.sut;
    return net::json_reply(200, nlohmann::json{{"scenario", scenario_.name},
                                               {"running", true},
                                               {"elapsed_s", to_seconds(scheduler_.now())},
                                               {"duration_s", to_seconds(scenario_.duration)},
                                               {"speed", o_.speed},
                                               {"system_under_test", system_under_test},
                                               {"events", journal_.events().size()},
                                               {"faults", nlohmann::json::parse(fault_list(engine).dump())},
                                               {"servers", servers_}});
  });
}

void DrillRig::serve_events(const net::ServerRequest& req, std::shared_ptr<net::Exchange> ex) {
  if (!see_truth(req)) return ex->reply(hidden());
  events_.add(std::move(ex));
}

bool DrillRig::facilitator(const net::ServerRequest& req) const {
  if (facilitator_key_.empty()) return false;
  std::string_view key = net::request_header(req, "X-Gameday-Key");
  if (key.empty()) {
    const auto keys = net::query_params(req.target, "key");
    if (!keys.empty()) key = keys.back();
  }
  return net::same_in_constant_time(key, facilitator_key_);
}

bool DrillRig::see_truth(const net::ServerRequest& req) const { return !(o_.room && o_.hide) || facilitator(req); }

net::ServerResponse DrillRig::hidden() {
  return net::json_error(403, "this drill hides its scenario from the trainee: the facilitator's key is needed "
                              "(?key=K or X-Gameday-Key, printed with the facilitator URL)");
}

nlohmann::json DrillRig::room_config(net::RoomView view) const {
  const bool truth = view == net::RoomView::kFacilitator || !o_.hide;
  nlohmann::json alerts = nlohmann::json::array();
  for (const auto& a : scenario_.alerts) {
    alerts.push_back({{"name", a.name}, {"severity", a.severity}, {"runbook", a.runbook}});
  }
  nlohmann::json playbooks = nlohmann::json::array();
  for (const auto& p : bundle_.playbooks) playbooks.push_back(p.name);
  nlohmann::json golden = nlohmann::json::array();
  for (const auto& [path, set] : bundle_.golden_sets) golden.push_back(std::filesystem::path(path).filename().string());
  nlohmann::json vendors = nlohmann::json::array();
  for (const auto& v : bundle_.fakes.vendors) vendors.push_back(v.id);
  nlohmann::json prompts = nlohmann::json::array();
  for (const auto& p : bundle_.fakes.prompts) prompts.push_back(p.version);
  nlohmann::json causes = nlohmann::json::array();
  for (const char* c : net::kRoomCauses) causes.push_back(c);
  nlohmann::json config = {{"view", view == net::RoomView::kFacilitator ? "facilitator" : "trainee"},
                           {"trainee", o_.trainee},
                           {"hide", o_.hide},
                           {"manual", o_.manual},
                           {"scenario", truth ? nlohmann::json(scenario_.name) : nlohmann::json(nullptr)},
                           {"duration_s", to_seconds(scenario_.duration)},
                           {"alerts", std::move(alerts)},
                           {"playbooks", options_.playbooks_enabled ? playbooks : nlohmann::json::array()},
                           {"golden_sets", std::move(golden)},
                           {"vendors", std::move(vendors)},
                           {"prompts", std::move(prompts)},
                           {"causes", std::move(causes)},
                           {"builtin", setup_.sut.empty()}};
  if (view == net::RoomView::kFacilitator) config["key"] = facilitator_key_;
  return config;
}

// The room: its two pages, the filtered stream and the trainee's and facilitator's actions.
void DrillRig::serve_room(const net::ServerRequest& req, std::shared_ptr<net::Exchange> ex) {
  const std::string path = req.target.substr(0, req.target.find('?'));
  const bool is_facilitator = facilitator(req);
  const net::RoomView view = is_facilitator ? net::RoomView::kFacilitator : net::RoomView::kTrainee;
  if (req.method == "GET" && (path == "/room" || path == "/room/")) {
    return ex->reply(net::ServerResponse{200, "text/html; charset=utf-8",
                                         net::room_page(net::RoomView::kTrainee, room_config(net::RoomView::kTrainee))});
  }
  if (req.method == "GET" && path == "/room/facilitator") {
    if (!is_facilitator) return ex->reply(net::json_error(403, "the facilitator's page needs its key (?key=K)"));
    return ex->reply(net::ServerResponse{200, "text/html; charset=utf-8",
                                         net::room_page(view, room_config(view))});
  }
  if (req.method == "GET" && path == "/room/api/stream") {
    // The backlog and the live events, in journal order: both on the loop thread.
    return scheduler_.post([this, ex = std::move(ex), view] { room_.add(ex, view, journal_.events()); });
  }
  if (req.method == "GET" && path == "/room/api/marks") {
    if (!is_facilitator) return ex->reply(net::json_error(403, "the incident model's marks are the facilitator's"));
    // The scorer's incident model over the journal so far (the loop thread: the journal is its).
    return scheduler_.post([this, ex = std::move(ex)] {
      const Score score = score_journal(journal_.events());
      const auto at = [](const std::optional<SimTime>& t) {
        return t ? nlohmann::json(to_seconds(*t)) : nlohmann::json(nullptr);
      };
      nlohmann::json incidents = nlohmann::json::array();
      for (const auto& i : score.incidents) {
        incidents.push_back({{"id", i.id}, {"t_f", at(i.t_f)}, {"t_i", to_seconds(i.t_i)}, {"t_d", at(i.t_d)},
                             {"t_a", at(i.t_a)}, {"t_m", at(i.t_m)}, {"t_r", at(i.t_r)}, {"unsafe", i.unsafe},
                             {"failed", i.failed}});
      }
      ex->reply(net::json_reply(200, nlohmann::json{{"incidents", std::move(incidents)}}));
    });
  }
  if (req.method == "POST" && path == "/room/api/action") {
    std::string error, field;
    const auto action = net::parse_room_action(req.body, error, field);
    if (!action) return ex->reply(net::json_error(400, error, field));
    return on_engine(std::move(ex), [this, a = *action](EngineHandle& engine) {
      return net::apply_room_action(engine, a, o_.trainee, setup_.sut.empty());
    });
  }
  if (req.method == "POST" && path == "/room/api/facilitator") {
    if (!is_facilitator) return ex->reply(net::json_error(403, "facilitator actions need the facilitator's key"));
    return serve_facilitator(req, std::move(ex));
  }
  ex->reply(net::json_error(404, "unknown room route " + req.method + " " + path));
}

void DrillRig::serve_facilitator(const net::ServerRequest& req, std::shared_ptr<net::Exchange> ex) {
  const nlohmann::json j = nlohmann::json::parse(req.body, nullptr, false);
  const std::string action = j.is_object() ? j.value("action", "") : "";
  ActionEvent event{"facilitator", action, "", "", "ok"};
  if (action == "hint") {
    const auto text = j.find("text");
    if (text == j.end() || !text->is_string() || text->get<std::string>().empty() || text->get<std::string>().size() > 2000) {
      return ex->reply(net::json_error(400, "\"text\" must be a string of 1 to 2000 characters", "text"));
    }
    event.detail = text->get<std::string>();
    redact_phi(event.detail, PersonName{});
  } else if (action == "pause") {
    scheduler_.pause();
  } else if (action == "resume") {
    scheduler_.resume();
  } else if (action == "speed") {
    const auto speed = j.find("speed");
    if (speed == j.end() || !speed->is_number() || !(speed->get<double>() > 0) || speed->get<double>() > 1000) {
      return ex->reply(net::json_error(400, "\"speed\" must be a number above 0 and at most 1000", "speed"));
    }
    scheduler_.set_speed(speed->get<double>());
    event.detail = nlohmann::json(speed->get<double>()).dump();
  } else {
    return ex->reply(net::json_error(400, "\"action\" must be one of hint, pause, resume, speed", "action"));
  }
  on_engine(std::move(ex), [event](EngineHandle& engine) {
    engine.record_action(event);
    return net::ServerResponse{200, "application/json", "{\"ok\":true}\n"};
  });
}

net::ServerResponse DrillRig::serve_alertmanager(const net::ServerRequest& req) {
  std::string error;
  auto alerts = net::parse_alertmanager_webhook(req.body, error);
  if (!alerts) return net::json_reply(400, nlohmann::json{{"error", {{"message", error}}}});
  if (!setup_.external_alerts) {
    return net::json_reply(200, nlohmann::json{{"accepted", 0}, {"ignored", alerts->size()},
                                               {"reason", "the drill runs with --alerts internal"}});
  }
  const std::size_t n = alerts->size();
  // Hand the alerts to the engine's thread; the inlet exists only while the engine runs.
  scheduler_.post([this, alerts = std::make_shared<std::vector<net::WebhookAlert>>(std::move(*alerts))] {
    if (slot_.inlet == nullptr) return;
    for (const auto& a : *alerts) {
      if (a.firing) {
        slot_.inlet->fire(a.name, a.severity,
                          "via Alertmanager" + (a.summary.empty() ? std::string() : ": " + a.summary),
                          "alertmanager");
      } else {
        slot_.inlet->resolve(a.name);
      }
    }
  });
  return net::json_reply(200, nlohmann::json{{"accepted", n}});
}

// OTLP/HTTP JSON from the service under test: its spans, kept as the intake allows, join the
// drill's traces by trace id. Errors in OTLP's shape (a google.rpc.Status as JSON).
net::ServerResponse DrillRig::serve_traces(const net::ServerRequest& req) {
  auto status = [](int http, int code, const std::string& message) {
    return net::json_reply(http, nlohmann::json{{"code", code}, {"message", message}});
  };
  const std::string_view type = net::request_header(req, "Content-Type");
  if (type.rfind("application/json", 0) != 0) {
    return status(415, 3,
                  "only OTLP/HTTP JSON is accepted (Content-Type: application/json); got '" + std::string(type) +
                      "': set the exporter's protocol to http/json");
  }
  auto batch = std::make_shared<IntakeBatch>();
  std::string error;
  if (!parse_otlp_traces(req.body, *batch, error)) return status(400, 3, error);
  scheduler_.post([this, batch] {
    service_rejected_ += batch->rejected;
    take_service_spans(batch->spans);
  });
  return net::ServerResponse{200, "application/json", otlp_intake_response(*batch)};
}

void DrillRig::take_service_spans(const std::vector<IntakeSpan>& spans) {
  if (spans.empty()) return;
  service_spans_ += spans.size();
  for (const auto& s : spans) service_traces_.insert(s.trace_id);
  const std::string line = net::intake_export_json(spans);
  if (traces_) traces_->append_line(line);
  if (exporter_) exporter_->submit(line, spans.size());
}

void DrillRig::flush_live_traces() {
  if (!live_traces_) return;
  const auto t = std::chrono::steady_clock::now();
  if (t - last_flush_ < std::chrono::seconds(1)) return;
  last_flush_ = t;
  live_traces_->flush();
  show_otlp_export(metrics_, exporter_->stats());
}

void DrillRig::print_addresses() {
  // operator[]: a primary route without a vendor profile prints (and reports) an empty URL.
  std::cout << "vendor " << servers_["vendor:" + primary_route_] << "\n";
  for (const auto& v : bundle_.fakes.vendors) {
    std::cout << "vendor:" << v.id << " " << servers_["vendor:" + v.id] << "\n";
  }
  std::cout << "ehr " << ehr_->base_url() << "\n";
  if (assistant_server_) std::cout << "assistant " << assistant_server_->url() << "\n";
  if (o_.room) {
    std::cout << "room " << control_->url() << "/room\n";
    std::cout << "facilitator " << control_->url() << "/room/facilitator?key=" << facilitator_key_ << "\n";
  }
  std::cout << "control " << control_->url() << std::endl;
}

SimStats DrillRig::run() {
  spdlog::info("drilling {} (seed {}) in real time: {} at speed {}, alerts {}, {}; system under test: {}",
               o_.scenario, options_.seed, format_duration(scenario_.duration), o_.speed, o_.alerts,
               options_.playbooks_enabled ? "playbooks on" : "playbooks off",
               setup_.sut.empty() ? "the built-in assistant (over HTTP)" : setup_.sut);
  // Spans in real time from now (virtual time 0), so they line up with a service's own.
  TraceOptions times;
  times.epoch_unix_nano = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
  times.nanos_per_us = 1000.0 / o_.speed;
  times.trace_seed = trace_seed_;
  times.workload_root = !setup_.sut.empty();
  traces_.emplace(out_dir_, bundle_, TraceFlags{o_.no_traces, o_.trace_sample}, journal_, times);
  if (!o_.otlp.empty()) {
    exporter_ = std::make_unique<net::OtlpExporter>(net::OtlpExporterOptions{o_.otlp});
    TraceOptions live = times;
    live.sample = o_.trace_sample;
    live.vendor_models = vendor_models_;
    live.traces_per_line = 8;
    live_traces_ = std::make_unique<TraceWriter>(
        [this](std::string line, std::size_t spans) { exporter_->submit(std::move(line), spans); }, live);
    journal_.subscribe([this](const Event& e) {
      live_traces_->observe(e);
      flush_live_traces();
    });
  }
  if (o_.room) reference_ = reference_runs(bundle_, options_.seed);
  const SimStats stats = run_drill(bundle_, options_, journal_, scheduler_);
  traces_->finish();
  if (service_spans_ > 0 || service_rejected_ > 0) {
    std::size_t joined = 0;
    for (const auto& t : service_traces_) joined += request_traces_.count(t);
    spdlog::info("the service's own spans: {} received ({} rejected), in the traces of {} of the drill's requests",
                 service_spans_, service_rejected_, joined);
  }
  if (exporter_) {
    live_traces_->finish();
    exporter_->close(5 * kSecond);
    log_otlp_export(exporter_->stats());
  }
  events_.close_all();
  room_.close_all();
  journal_.flush();
  journal_file_.flush();
  return stats;
}

}  // namespace gameday
