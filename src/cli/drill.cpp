// `gameday drill`: the engine of `gameday run` on a real-time scheduler, with real HTTP around
// it. The workload asks the system under test over HTTP (libcurl multi, no thread per request):
// the built-in assistant's server, or --sut URL. The fake vendor and EHR serve over HTTP (for a
// --sut service) with the run's faults mirrored onto them; the built-in assistant reaches the
// same fakes in-process, so the scorer reads its spans. The control port adds /faults (through
// the engine, journaled), the assistant's controls, a journal stream (GET /events) and an
// Alertmanager webhook receiver to what `gameday serve`'s control API has.
#include "cli/drill.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cmath>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

#include "cli/bundle.hpp"
#include "cli/common.hpp"
#include "cli/serve.hpp"
#include "load/error.hpp"
#include "load/files.hpp"
#include "load/loader.hpp"
#include "engine/simulation.hpp"
#include "fakes/world.hpp"
#include "net/assistant_server.hpp"
#include "net/async_http_client.hpp"
#include "net/control_server.hpp"
#include "net/ehr_server.hpp"
#include "net/json_reply.hpp"
#include "net/live.hpp"
#include "net/step_effects.hpp"
#include "net/vendor_server.hpp"
#include "playbook/control_api.hpp"
#include "sim/realtime_scheduler.hpp"

namespace gameday {
namespace {

// Rollbacks of playbooks still running at the end get this much scenario time.
constexpr Duration kDrillRollbackLimit = 5 * kMinute;

// The engine's alert inlet and handle as seen from the server threads: set and cleared on the
// loop thread, read only by events posted to it.
struct InletSlot {
  AlertInlet* inlet = nullptr;
  EngineHandle* engine = nullptr;
};

// GET /events: every journal event, as it is appended, to every connected client as a
// server-sent event ("data: <journal line>\n\n"). Journal lines carry no identifiers.
class EventHub {
 public:
  void add(std::shared_ptr<net::Exchange> ex) {
    ex->begin(200, "text/event-stream", {{"Cache-Control", "no-cache"}});
    ex->write(": gameday drill journal\n\n");
    std::lock_guard<std::mutex> lock(mu_);
    streams_.push_back(std::move(ex));
  }
  // Loop thread (a journal subscriber).
  void publish(const Event& e) {
    std::lock_guard<std::mutex> lock(mu_);
    if (streams_.empty()) return;
    std::string line = "data: ";
    append_json(line, e);
    line += "\n\n";
    std::erase_if(streams_, [](const auto& ex) { return !ex->alive(); });
    for (const auto& ex : streams_) ex->write(line);
  }
  // Ends every stream (the run is over).
  void close_all() {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& ex : streams_) ex->end();
    streams_.clear();
  }

 private:
  std::mutex mu_;
  std::vector<std::shared_ptr<net::Exchange>> streams_;
};

bool is_loopback(const std::string& host) { return host == "127.0.0.1" || host == "::1"; }

}  // namespace

void shorten_scenario(ScenarioBundle& bundle, Duration duration) {
  Scenario& s = bundle.scenario;
  if (duration <= 0 || s.duration <= 0) return;
  const double factor = static_cast<double>(duration) / static_cast<double>(s.duration);
  const auto scale = [factor](Duration d) { return static_cast<Duration>(std::llround(static_cast<double>(d) * factor)); };
  for (auto& f : s.faults) {
    f.at = scale(f.at);
    if (f.duration > 0) f.duration = std::max<Duration>(1, scale(f.duration));
  }
  for (auto& p : bundle.playbooks) {
    if (p.trigger.at) p.trigger.at = scale(*p.trigger.at);
  }
  s.duration = duration;
}

CLI::App* add_drill_command(CLI::App& app, DrillOptions& o) {
  auto* drill = app.add_subcommand("drill", "run a scenario in real time: live traffic to the assistant (or --sut) over HTTP, HTTP fakes, a control API");
  drill->add_option("scenario", o.scenario, "scenario file")->required();
  drill->add_option("--seed", o.seed, "random seed (default: the scenario's)");
  drill->add_option("--out", o.out, "output directory (default: reports/<scenario name>-drill)");
  drill->add_option("--duration", o.duration,
                    "run for this long (e.g. 2m): the fault timeline is scaled to fit; windows and delays are not");
  drill->add_option("--speed", o.speed, "scenario seconds per real second (default 1)");
  drill->add_option("--alerts", o.alerts,
                    "internal: the scenario's alert rules page; external: only alerts posted to /alertmanager do")
      ->capture_default_str();
  drill->add_option("--control", o.control,
                    "ADDR:PORT of the control port (/faults, /reset, /v1/assistant, /events, /metrics, /alertmanager)")
      ->capture_default_str();
  drill->add_option("--vendor", o.vendor, "ADDR:PORT of the fake vendor (the assistant's route; other profiles get any free port)")
      ->capture_default_str();
  drill->add_option("--ehr", o.ehr, "ADDR:PORT of the fake EHR")->capture_default_str();
  drill->add_option("--assistant", o.assistant, "ADDR:PORT of the built-in assistant's HTTP API")->capture_default_str();
  drill->add_option("--sut", o.sut,
                    "the team's own answer service (http://HOST:PORT): the workload and golden probes ask it "
                    "(POST /v1/answers) instead of the built-in assistant");
  drill->add_flag("--no-playbooks", o.no_playbooks, "run without playbooks");
  drill->add_flag("-q,--quiet", o.quiet, "print only the addresses it listens on");
  return drill;
}

int cmd_drill(const DrillOptions& o, const std::atomic<bool>* stop, const ReportWriter& write_reports) {
  std::optional<Duration> duration;
  if (!o.duration.empty()) {
    duration = parse_duration(o.duration);
    if (!duration || *duration <= 0) {
      return invalid("drill", "--duration: expected a positive duration such as 2m or 90s, got '" + o.duration + "'");
    }
  }
  if (!std::isfinite(o.speed) || o.speed <= 0) {
    return invalid("drill", "--speed: expected a positive number, got " + std::to_string(o.speed));
  }
  if (o.alerts != "internal" && o.alerts != "external") {
    return invalid("drill", "--alerts: expected internal or external, got '" + o.alerts + "'");
  }
  struct Bind {
    const char* flag;
    const std::string& text;
    std::string host;
    std::uint16_t port = 0;
  };
  Bind control_bind{"--control", o.control}, vendor_bind{"--vendor", o.vendor}, ehr_bind{"--ehr", o.ehr},
      assistant_bind{"--assistant", o.assistant};
  for (Bind* b : {&control_bind, &vendor_bind, &ehr_bind, &assistant_bind}) {
    if (!split_host_port(b->text, b->host, b->port)) {
      return invalid("drill", std::string(b->flag) + ": expected ADDR:PORT, got '" + b->text + "'");
    }
  }
  if (!is_loopback(control_bind.host)) {
    return invalid("drill", "--control: the drill's control port has no token: bind it to loopback (127.0.0.1)");
  }
  if (!is_loopback(assistant_bind.host)) {
    return invalid("drill", "--assistant: the assistant's API changes its flags and has no token: bind it to loopback (127.0.0.1)");
  }
  std::string sut = o.sut;
  while (!sut.empty() && sut.back() == '/') sut.pop_back();
  if (!o.sut.empty() && sut.rfind("http://", 0) != 0 && sut.rfind("https://", 0) != 0) {
    return invalid("drill", "--sut: expected an http:// or https:// URL, got '" + o.sut + "'");
  }

  const DiskFiles disk;
  const auto problems = validate_files({o.scenario}, disk);
  if (!problems.empty()) {
    for (const auto& p : problems) std::cerr << p << "\n";
    return kExitInvalid;
  }
  ScenarioBundle bundle = load_bundle(o.scenario, disk);
  if (duration) shorten_scenario(bundle, *duration);
  const Scenario& scenario = bundle.scenario;
  const bool external = o.alerts == "external";

  SimOptions options;
  options.seed = o.seed.value_or(scenario.seed);
  options.playbooks_enabled = !o.no_playbooks;
  options.stop = stop;
  options.external_alerts = external;
  options.rollback_limit = kDrillRollbackLimit;
  net::NetStepEffects step_effects;
  step_effects.set_stop(stop);
  options.step_effects = &step_effects;

  const std::string out_dir = o.out.empty() ? "reports/" + scenario.name + "-drill" : o.out;
  std::filesystem::create_directories(out_dir);
  std::ofstream journal_file(std::filesystem::path(out_dir) / "journal.jsonl", std::ios::binary);
  if (!journal_file) throw std::runtime_error("cannot write " + out_dir + "/journal.jsonl");

  // Declared before the servers and the client, so they stop first (their threads post here).
  RealTimeScheduler scheduler(o.speed);
  InletSlot slot;
  net::BuiltinExchange builtin;
  EventHub events;

  // The fakes over HTTP, sharing the run's faults (mirrored from the engine's board), and
  // /metrics: the vendor's and EHR's request counters and the assistant's SLI counters.
  const World world = World::generate(bundle.fakes.world);
  net::LiveFaults faults;
  net::LiveMetrics metrics;
  metrics.set_slos(scenario.slos);
  net::LiveContext ctx{bundle.fakes, world, faults, metrics, options.seed};
  options.on_fault = [&faults](const FaultSpec& f, bool active) {
    if (active) {
      faults.add(f);
    } else {
      faults.remove(f.id);
    }
  };
  Journal journal;
  journal.set_sink(&journal_file);
  journal.subscribe([&metrics, &events](const Event& e) {
    if (const auto* r = std::get_if<RequestEvent>(&e.body)) {
      metrics.observe_request(*r);
    } else if (std::holds_alternative<CorrectionEvent>(e.body)) {
      metrics.observe_correction();
    } else if (const auto* g = std::get_if<GoldenResultEvent>(&e.body); g && g->by == "probe") {
      metrics.observe_probe(g->ok, g->passed, g->total, net::unix_now());
    }
    events.publish(e);
  });

  auto bind_options = [](const Bind& b) {
    net::ServerOptions s;
    s.address = b.host;
    s.port = b.port;
    return s;
  };
  const AssistantConfig assistant_config = scenario.assistant.value_or(bundle.fakes.assistant);
  std::vector<std::unique_ptr<net::VendorServer>> vendors;
  std::map<std::string, std::string> servers;
  for (const auto& v : bundle.fakes.vendors) {
    const bool main_route = v.id == assistant_config.primary_route;
    Bind any{"--vendor", o.vendor, vendor_bind.host, 0};
    vendors.push_back(std::make_unique<net::VendorServer>(ctx, v.id, bind_options(main_route ? vendor_bind : any)));
    servers["vendor:" + v.id] = vendors.back()->base_url();
  }
  net::EhrServer ehr(ctx, bind_options(ehr_bind));
  servers["ehr"] = ehr.base_url();
  std::unique_ptr<net::AssistantServer> assistant_server;
  if (sut.empty()) {
    assistant_server = std::make_unique<net::AssistantServer>(scheduler, builtin, bind_options(assistant_bind));
    servers["assistant"] = assistant_server->url();
  } else {
    servers["sut"] = sut;
  }

  options.alert_inlet = [&slot](AlertInlet* inlet) { slot.inlet = inlet; };
  options.engine = [&slot, &assistant_server](EngineHandle* engine) {
    slot.engine = engine;
    if (assistant_server) assistant_server->attach(engine);
  };

  net::ControlServer control(ctx, bind_options(control_bind), "", servers);
  // Runs `fn` against the engine on its thread and answers with what it returns (503 once the
  // run is over).
  auto on_engine = [&scheduler, &slot](std::shared_ptr<net::Exchange> ex,
                                       std::function<net::ServerResponse(EngineHandle&)> fn) {
    scheduler.post([&slot, ex = std::move(ex), fn = std::move(fn)] {
      if (slot.engine == nullptr) return ex->reply(net::json_error(503, "the drill is not running"));
      ex->reply(fn(*slot.engine));
    });
  };
  const auto fault_list = [](EngineHandle& engine) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& f : engine.active_faults()) list.push_back(nlohmann::json::parse(net::fault_json(f)));
    return list;
  };
  // /faults and /reset act on the engine's board (journaled fault_start / fault_end); the HTTP
  // fakes follow through the mirror.
  for (const char* method : {"GET", "POST", "DELETE"}) {
    control.add_route(net::ControlRoute{method, "/faults", nullptr,
                                        [on_engine, fault_list](const net::ServerRequest& req, std::shared_ptr<net::Exchange> ex) {
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
        return on_engine(std::move(ex), [fault_list](EngineHandle& engine) {
          return net::json_reply(200, nlohmann::json{{"faults", fault_list(engine)}});
        });
      }
      if (req.method == "GET") {
        return on_engine(std::move(ex), [id, fault_list](EngineHandle& engine) {
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
    }});
  }
  control.add_route(net::ControlRoute{"POST", "/reset", nullptr,
                                      [on_engine](const net::ServerRequest&, std::shared_ptr<net::Exchange> ex) {
    on_engine(std::move(ex), [](EngineHandle& engine) {
      return net::json_reply(200, nlohmann::json{{"removed", engine.reset_faults()}});
    });
  }});
  // The built-in assistant's controls (the same API as its own server's and playbook scripts').
  for (const char* method : {"GET", "PUT", "POST"}) {
    control.add_route(net::ControlRoute{method, "/v1/assistant", nullptr,
                                        [on_engine, has_sut = !sut.empty()](const net::ServerRequest& req,
                                                                           std::shared_ptr<net::Exchange> ex) {
      if (has_sut) {
        return ex->reply(net::json_error(409, "this drill's system under test is --sut: use its own controls"));
      }
      auto request = std::make_shared<ControlRequest>(ControlRequest{req.method, req.target, req.body});
      on_engine(std::move(ex), [request](EngineHandle& engine) {
        const ControlResponse r = handle_control_request(engine.assistant(), *request, "control-api");
        return net::ServerResponse{r.status, "application/json", r.body + "\n"};
      });
    }});
  }
  // Run status: what is running, how far along, against what, with which faults.
  control.add_route(net::ControlRoute{"GET", "/status", nullptr,
                                      [on_engine, &scheduler, &scenario, &servers, &o, &sut, &journal,
                                       fault_list](const net::ServerRequest&, std::shared_ptr<net::Exchange> ex) {
    on_engine(std::move(ex), [&scheduler, &scenario, &servers, &o, &sut, &journal, fault_list](EngineHandle& engine) {
      return net::json_reply(200, nlohmann::json{{"scenario", scenario.name},
                                                 {"running", true},
                                                 {"elapsed_s", to_seconds(scheduler.now())},
                                                 {"duration_s", to_seconds(scenario.duration)},
                                                 {"speed", o.speed},
                                                 {"system_under_test", sut.empty() ? "built-in assistant" : sut},
                                                 {"events", journal.events().size()},
                                                 {"faults", fault_list(engine)},
                                                 {"servers", servers}});
    });
  }});
  control.add_route(net::ControlRoute{"GET", "/events", nullptr,
                                      [&events](const net::ServerRequest&, std::shared_ptr<net::Exchange> ex) {
    events.add(std::move(ex));
  }});
  control.add_route(net::ControlRoute{"POST", "/alertmanager", [&scheduler, &slot, external](const net::ServerRequest& req) {
    std::string error;
    auto alerts = net::parse_alertmanager_webhook(req.body, error);
    if (!alerts) return net::json_reply(400, nlohmann::json{{"error", {{"message", error}}}});
    if (!external) {
      return net::json_reply(200, nlohmann::json{{"accepted", 0}, {"ignored", alerts->size()},
                                            {"reason", "the drill runs with --alerts internal"}});
    }
    const std::size_t n = alerts->size();
    // Hand the alerts to the engine's thread; the inlet exists only while the engine runs.
    scheduler.post([&slot, alerts = std::make_shared<std::vector<net::WebhookAlert>>(std::move(*alerts))] {
      if (slot.inlet == nullptr) return;
      for (const auto& a : *alerts) {
        if (a.firing) {
          slot.inlet->fire(a.name, a.severity,
                           "via Alertmanager" + (a.summary.empty() ? std::string() : ": " + a.summary),
                           "alertmanager");
        } else {
          slot.inlet->resolve(a.name);
        }
      }
    });
    return net::json_reply(200, nlohmann::json{{"accepted", n}});
  }, nullptr});

  // Live traffic: the workload and the golden probes ask over HTTP. A request may take the
  // workload's client timeout and a margin (the engine gives up at the timeout itself).
  net::AsyncHttpClient http_client;
  net::HttpAnswerService answers(scheduler, http_client, sut.empty() ? assistant_server->url() : sut, world,
                                 sut.empty() ? &builtin : nullptr,
                                 scenario.workload.client_timeout + 30 * kSecond);
  options.answers = &answers;

  std::cout << "vendor " << servers["vendor:" + assistant_config.primary_route] << "\n";
  for (const auto& v : bundle.fakes.vendors) std::cout << "vendor:" << v.id << " " << servers["vendor:" + v.id] << "\n";
  std::cout << "ehr " << ehr.base_url() << "\n";
  if (assistant_server) std::cout << "assistant " << assistant_server->url() << "\n";
  std::cout << "control " << control.url() << std::endl;

  if (!sut.empty()) {
    for (const auto& f : scenario.faults) {
      if (f.target == "assistant") {
        spdlog::warn("fault {} changes the built-in assistant, not the --sut service: it is journaled but the "
                     "service is unchanged", f.id);
      }
    }
  }
  spdlog::info("drilling {} (seed {}) in real time: {} at speed {}, alerts {}, {}; system under test: {}",
               o.scenario, options.seed, format_duration(scenario.duration), o.speed, o.alerts,
               options.playbooks_enabled ? "playbooks on" : "playbooks off",
               sut.empty() ? "the built-in assistant (over HTTP)" : sut);
  const SimStats stats = run_drill(bundle, options, journal, scheduler);
  events.close_all();
  journal.flush();
  journal_file.flush();
  spdlog::info("drill finished: {} requests, {} events", stats.requests, stats.events);
  const int code = write_reports(journal.events(), out_dir, o.quiet);
  if (stats.interrupted) {
    spdlog::warn("interrupted: faults reverted, rollbacks run; partial journal and reports in {}/", out_dir);
    return kExitInterrupted;
  }
  return code;
}

}  // namespace gameday
