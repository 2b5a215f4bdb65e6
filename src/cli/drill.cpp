// `gameday drill`: the engine of `gameday run` on a real-time scheduler, with a control port for
// Prometheus (/metrics) and Alertmanager (POST /alertmanager). The fakes and the assistant run
// in-process for now; the HTTP fakes of `gameday serve` are not wired in yet.
#include "cli/drill.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

#include "cli/bundle.hpp"
#include "cli/serve.hpp"
#include "config/files.hpp"
#include "config/loader.hpp"
#include "engine/simulation.hpp"
#include "fakes/world.hpp"
#include "net/control_server.hpp"
#include "net/live.hpp"
#include "net/step_effects.hpp"
#include "sim/realtime_scheduler.hpp"

namespace gameday {
namespace {

constexpr int kExitInvalid = 2;
constexpr int kExitInterrupted = 3;

// Rollbacks of playbooks still running at the end get this much scenario time.
constexpr Duration kDrillRollbackLimit = 5 * kMinute;

int invalid(const std::string& message) {
  std::cerr << "gameday drill: " << message << "\n";
  return kExitInvalid;
}

net::ServerResponse json_reply(int status, const nlohmann::json& body) {
  return net::ServerResponse{status, "application/json", body.dump() + "\n"};
}

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The engine's alert inlet as seen from the webhook thread: set and cleared on the loop thread,
// read only by events posted to it.
struct InletSlot {
  AlertInlet* inlet = nullptr;
};

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
  auto* drill = app.add_subcommand("drill", "run a scenario in real time, with /metrics and an Alertmanager webhook receiver");
  drill->add_option("scenario", o.scenario, "scenario file")->required();
  drill->add_option("--seed", o.seed, "random seed (default: the scenario's)");
  drill->add_option("--out", o.out, "output directory (default: reports/<scenario name>-drill)");
  drill->add_option("--duration", o.duration,
                    "run for this long (e.g. 2m): the fault timeline is scaled to fit; windows and delays are not");
  drill->add_option("--speed", o.speed, "scenario seconds per real second (default 1)");
  drill->add_option("--alerts", o.alerts,
                    "internal: the scenario's alert rules page; external: only alerts posted to /alertmanager do")
      ->capture_default_str();
  drill->add_option("--control", o.control, "ADDR:PORT of the control port (/metrics, /alertmanager)")->capture_default_str();
  drill->add_flag("--no-playbooks", o.no_playbooks, "run without playbooks");
  drill->add_flag("-q,--quiet", o.quiet, "print only the control address");
  return drill;
}

int cmd_drill(const DrillOptions& o, const std::atomic<bool>* stop, const ReportWriter& write_reports) {
  std::optional<Duration> duration;
  if (!o.duration.empty()) {
    duration = parse_duration(o.duration);
    if (!duration || *duration <= 0) {
      return invalid("--duration: expected a positive duration such as 2m or 90s, got '" + o.duration + "'");
    }
  }
  if (!std::isfinite(o.speed) || o.speed <= 0) {
    return invalid("--speed: expected a positive number, got " + std::to_string(o.speed));
  }
  if (o.alerts != "internal" && o.alerts != "external") {
    return invalid("--alerts: expected internal or external, got '" + o.alerts + "'");
  }
  std::string host;
  std::uint16_t port = 0;
  if (!split_host_port(o.control, host, port)) {
    return invalid("--control: expected ADDR:PORT, got '" + o.control + "'");
  }
  if (host != "127.0.0.1" && host != "::1") {
    return invalid("--control: the drill's control port has no token: bind it to loopback (127.0.0.1)");
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

  // Declared before the control server, so the server (and its webhook thread) stops first.
  RealTimeScheduler scheduler(o.speed);
  InletSlot slot;
  options.alert_inlet = [&slot](AlertInlet* inlet) { slot.inlet = inlet; };

  // /metrics: the assistant's SLI counters, fed from the journal as requests finish.
  const World world = World::generate(bundle.fakes.world);
  net::LiveFaults faults;
  net::LiveMetrics metrics;
  metrics.set_slos(scenario.slos);
  net::LiveContext ctx{bundle.fakes, world, faults, metrics, options.seed};
  Journal journal;
  journal.set_sink(&journal_file);
  journal.subscribe([&metrics](const Event& e) {
    if (const auto* r = std::get_if<RequestEvent>(&e.body)) {
      metrics.observe_request(*r);
    } else if (std::holds_alternative<CorrectionEvent>(e.body)) {
      metrics.observe_correction();
    } else if (const auto* g = std::get_if<GoldenResultEvent>(&e.body); g && g->by == "probe") {
      metrics.observe_probe(g->ok, g->passed, g->total, unix_now());
    }
  });

  net::ServerOptions server_options;
  server_options.address = host;
  server_options.port = port;
  net::ControlServer control(ctx, server_options, "");
  // The drill's faults follow the scenario timeline in-process; the live fault board of
  // `gameday serve` does not reach them, so its routes say so rather than pretend.
  for (const char* method : {"GET", "POST", "DELETE"}) {
    for (const char* prefix : {"/faults", "/reset"}) {
      control.add_route(net::ControlRoute{method, prefix, [](const net::ServerRequest&) {
        return json_reply(501, nlohmann::json{{"error", {{"message", "a drill runs its scenario's fault timeline in-process; "
                                                        "live faults are not available in a drill yet"}}}});
      }});
    }
  }
  control.add_route(net::ControlRoute{"POST", "/alertmanager", [&scheduler, &slot, external](const net::ServerRequest& req) {
    std::string error;
    auto alerts = net::parse_alertmanager_webhook(req.body, error);
    if (!alerts) return json_reply(400, nlohmann::json{{"error", {{"message", error}}}});
    if (!external) {
      return json_reply(200, nlohmann::json{{"accepted", 0}, {"ignored", alerts->size()},
                                            {"reason", "the drill runs with --alerts internal"}});
    }
    const std::size_t n = alerts->size();
    // Hand the alerts to the engine's thread; the inlet exists only while the engine runs.
    scheduler.post([&slot, alerts = std::make_shared<std::vector<net::WebhookAlert>>(std::move(*alerts))] {
      if (slot.inlet == nullptr) return;
      for (const auto& a : *alerts) {
        if (a.firing) {
          slot.inlet->fire(a.name, a.severity,
                           "via Alertmanager" + (a.summary.empty() ? std::string() : ": " + a.summary));
        } else {
          slot.inlet->resolve(a.name);
        }
      }
    });
    return json_reply(200, nlohmann::json{{"accepted", n}});
  }});
  std::cout << "control " << control.url() << std::endl;

  spdlog::info("drilling {} (seed {}) in real time: {} at speed {}, alerts {}, {}; fakes and assistant in-process",
               o.scenario, options.seed, format_duration(scenario.duration), o.speed, o.alerts,
               options.playbooks_enabled ? "playbooks on" : "playbooks off");
  const SimStats stats = run_drill(bundle, options, journal, scheduler);
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
