// `gameday drill`: the engine of `gameday run` on a real-time scheduler, with real HTTP around
// it. The workload asks the system under test over HTTP (libcurl multi, no thread per request):
// the built-in assistant's server, or --sut URL. The fake vendor and EHR serve over HTTP (for a
// --sut service) with the run's faults mirrored onto them; the built-in assistant reaches the
// same fakes in-process, so the scorer reads its spans. The control port adds /faults (through
// the engine, journaled), the assistant's controls, a journal stream (GET /events) and an
// Alertmanager webhook receiver to what `gameday serve`'s control API has. With --sut, the
// playbooks' built-in steps and change faults act on the service through its control contract
// (playbook/service_control.hpp), looked up before the drill starts; a drill whose steps cannot
// reach the service refuses to start.
#include "cli/drill.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <memory>

#include "cli/bundle.hpp"
#include "cli/common.hpp"
#include "cli/drill_rig.hpp"
#include "cli/traces.hpp"
#include "net/control_probe.hpp"
#include "net/http_server.hpp"
#include "load/files.hpp"
#include "load/loader.hpp"

namespace gameday {

// How long a drill waits for a --sut service's GET /v1/control before it starts.
constexpr Duration kControlProbeTimeout = 3 * kSecond;

void shorten_scenario(ScenarioBundle& bundle, Duration duration) {
  Scenario& s = bundle.scenario;
  if (duration <= 0 || s.duration <= 0) return;
  const double factor = static_cast<double>(duration) / static_cast<double>(s.duration);
  const auto scale = [factor](Duration d) { return static_cast<Duration>(std::llround(static_cast<double>(d) * factor)); };
  for (auto& f : s.faults) {
    f.at = scale(f.at);
    if (f.duration > 0) f.duration = std::max<Duration>(1, scale(f.duration));
    // A repeat's period and a ramp's length are part of the fault's timeline: they shrink
    // with it (a period stays longer than its window, a ramp no longer than it).
    if (f.repeat) f.repeat->every = std::max<Duration>(f.duration + 1, scale(f.repeat->every));
    for (auto& r : f.ramps) {
      r.ramp.over = std::max<Duration>(1, scale(r.ramp.over));
      if (f.duration > 0) r.ramp.over = std::min(r.ramp.over, f.duration);
    }
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
  drill->add_option("--ports", o.ports,
                    "YAML file of fixed ADDR:PORTs (vendor, vendors: {ID: ...}, ehr, control, assistant); "
                    "the ADDR:PORT options override it");
  drill->add_option("--control", o.control,
                    "ADDR:PORT of the control port (/faults, /reset, /v1/assistant, /events, /metrics, /alertmanager; "
                    "default 127.0.0.1:0, any free port)");
  drill->add_option("--vendor", o.vendors,
                    "[ID=]ADDR:PORT of a fake vendor: without ID the assistant's route, with ID that "
                    "vendor profile (repeatable; a profile not named gets any free port)");
  drill->add_option("--ehr", o.ehr, "ADDR:PORT of the fake EHR (default 127.0.0.1:0)");
  drill->add_option("--assistant", o.assistant, "ADDR:PORT of the built-in assistant's HTTP API (default 127.0.0.1:0)");
  drill->add_option("--sut", o.sut,
                    "the team's own answer service (http://HOST:PORT): the workload and golden probes ask it "
                    "(POST /v1/answers) instead of the built-in assistant");
  drill->add_option("--sut-control", o.sut_control,
                    "root URL of the --sut service's control contract (default: discovered at {sut}/v1/control): "
                    "built-in playbook steps and change faults act on the service through it");
  drill->add_flag("--allow-unreachable-steps", o.allow_unreachable_steps,
                  "start a --sut drill even when built-in steps or change faults cannot reach the service "
                  "(they then fail as unreachable)");
  drill->add_option("--token", o.token,
                    "bearer token the control port requires (needed when it is not on loopback; default: $GAMEDAY_TOKEN)");
  drill->add_option("--token-file", o.token_file, "read the control port's bearer token from FILE (not visible in ps)");
  drill->add_flag("--no-playbooks", o.no_playbooks, "run without playbooks");
  drill->add_flag("--room", o.room,
                  "serve the drill room: a trainee page (live SLIs, alerts, actions) and a facilitator page "
                  "(the truth, faults, clock, hints) on the control port");
  drill->add_flag("--hide", o.hide, "with --room: the trainee's page never names the scenario or its faults");
  drill->add_flag("--manual", o.manual,
                  "alerts page the trainee instead of starting playbooks; nobody acknowledges for them");
  drill->add_option("--trainee", o.trainee, "with --room: the on-call person's name (default trainee)");
  drill->add_flag("-q,--quiet", o.quiet, "print only the addresses it listens on");
  add_trace_flags(*drill, o.no_traces, o.trace_sample);
  drill->add_option("--otlp", o.otlp,
                    "OTLP/HTTP collector URL: the drill's spans go there live as well (POST URL/v1/traces)");
  return drill;
}

namespace {

// A --sut drill: finds the service's control contract (--sut-control, else GET {sut}/v1/control)
// and checks that every built-in step of the playbooks and every change fault can reach it.
// Returns why the drill cannot start, or nullopt (setup.service then says where changes go).
std::optional<std::string> resolve_service_control(const DrillOptions& o, DrillSetup& setup,
                                                   const ScenarioBundle& bundle) {
  const bool declared = !setup.sut_control.empty();
  const std::string root = declared ? setup.sut_control : setup.sut + "/v1/control";
  const net::ControlProbe probe = net::probe_service_control(root, kControlProbeTimeout);
  ServiceControlSetup& service = setup.service;
  service.primary_route = bundle.scenario.assistant.value_or(bundle.fakes.assistant).primary_route;
  service.warn = [](const std::string& message) { spdlog::warn("{}", message); };
  std::string why_absent;
  if (probe.state) {
    service.root = root;
    service.state = probe.state;
  } else if (declared || probe.malformed) {
    return std::string(declared ? "--sut-control" : "--sut") + ": GET " + root + " " + probe.error;
  } else {
    why_absent = "it has no control contract (GET " + root + " " + probe.error + ")";
    spdlog::info("the --sut service has no control contract (GET {} {})", root, probe.error);
  }
  const std::vector<Playbook> none;
  const auto unreachable =
      unreachable_changes(o.no_playbooks ? none : bundle.playbooks, bundle.scenario.faults, service.state);
  if (unreachable.empty()) return std::nullopt;
  std::string message;
  for (const auto& u : unreachable) {
    const std::string line = describe_unreachable(u, why_absent);
    if (o.allow_unreachable_steps) spdlog::warn("{} (running anyway: --allow-unreachable-steps)", line);
    message += (message.empty() ? "" : "\n") + line;
  }
  if (o.allow_unreachable_steps) return std::nullopt;
  return "refusing to start: " + std::to_string(unreachable.size()) +
         " built-in step(s) or change fault(s) of this drill cannot reach the --sut service:\n" +
         message;
}

}  // namespace

int cmd_drill(const DrillOptions& o, const std::atomic<bool>* stop, const ReportWriter& write_reports) {
  DrillSetup setup;
  if (const auto error = parse_drill_setup(o, setup)) return invalid("drill", *error);
  const DiskFiles disk;
  std::vector<std::string> warnings;
  const auto problems = validate_files({o.scenario}, disk, &warnings);
  for (const auto& w : warnings) std::cerr << w << "\n";
  if (!problems.empty()) {
    for (const auto& p : problems) std::cerr << p << "\n";
    return kExitInvalid;
  }
  ScenarioBundle bundle = load_bundle(o.scenario, disk);
  if (setup.duration) shorten_scenario(bundle, *setup.duration);
  std::vector<std::string> vendor_ids;
  for (const auto& v : bundle.fakes.vendors) vendor_ids.push_back(v.id);
  if (auto bad = check_vendor_ids(setup.listen, vendor_ids)) return invalid("drill", *bad);
  if (!setup.sut.empty() && bundle.scenario.assistant.value_or(bundle.fakes.assistant).tool_use) {
    // The tool flow and its faults belong to the built-in assistant; a service has its own.
    return invalid("drill", "the scenario's assistant runs a tool flow (tool_use), which only the built-in "
                            "assistant has: drop --sut, or use a scenario without tool_use");
  }

  if (!setup.sut.empty()) {
    if (const auto refused = resolve_service_control(o, setup, bundle)) return invalid("drill", *refused);
  }

  std::unique_ptr<DrillRig> made;
  try {
    made = std::make_unique<DrillRig>(o, setup, bundle, stop);
  } catch (const net::ListenError& e) {
    return invalid("drill", e.what());  // a port in use, an address not on this machine
  }
  DrillRig& rig = *made;
  rig.print_addresses();
  const SimStats stats = rig.run();
  spdlog::info("drill finished: {} requests, {} events", stats.requests, stats.events);
  const int code = write_reports(rig.journal().events(), rig.out_dir(), o.quiet);
  if (stats.interrupted) {
    spdlog::warn("interrupted: faults reverted, rollbacks run; partial journal and reports in {}/", rig.out_dir());
    return kExitInterrupted;
  }
  return code;
}

}  // namespace gameday
