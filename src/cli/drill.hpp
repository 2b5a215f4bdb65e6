#pragma once
// `gameday drill`: a scenario in real time. The same engine as `gameday run` (fakes, assistant,
// workload, detection, playbooks, journal) on a RealTimeScheduler, with real HTTP around it:
// the workload asks the system under test over HTTP (the built-in assistant's server, or the
// team's own service with --sut URL); the fake vendor and EHR serve over HTTP with the
// scenario's faults; a control port serves /faults, /reset, the assistant's controls, /status,
// /metrics, a live journal stream (GET /events, server-sent events) and POST /alertmanager (an
// Alertmanager webhook receiver that, with --alerts external, is the drill's only detection).
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sim/journal.hpp"

namespace CLI {
class App;
}

namespace gameday {

struct ScenarioBundle;  // engine/simulation.hpp

/// Options of `gameday drill`.
struct DrillOptions {
  std::string scenario;                ///< scenario file (required)
  std::optional<std::uint64_t> seed;   ///< default: the scenario's
  std::string out;                     ///< output directory ("" = reports/<scenario>-drill)
  std::string duration;                ///< shorten (or stretch) to this ("" = the scenario's)
  double speed = 1.0;                  ///< scenario seconds per real second
  std::string alerts = "internal";     ///< "internal" (the detector pages) | "external" (webhook)
  std::string ports;                   ///< --ports FILE ("" = none)
  std::string control;                 ///< ADDR:PORT of the control port ("" = --ports', else 127.0.0.1:0)
  /// --vendor, repeatable: `ADDR:PORT` for the assistant's route, `ID=ADDR:PORT` for the vendor
  /// profile ID (empty: every profile on any free port of 127.0.0.1).
  std::vector<std::string> vendors;
  std::string ehr;                     ///< ADDR:PORT of the fake EHR ("" as control)
  std::string assistant;               ///< ADDR:PORT of the built-in assistant's server ("" as control)
  std::string sut;                     ///< the team's own answer service ("" = the built-in)
  /// The root of the --sut service's control contract ("" = discover {sut}/v1/control).
  std::string sut_control;
  /// Start a --sut drill even when built-in steps or change faults cannot reach the service
  /// (they then fail as unreachable).
  bool allow_unreachable_steps = false;
  std::string token;                   ///< the control port's bearer token (else GAMEDAY_TOKEN)
  std::string token_file;              ///< or a file holding it
  bool no_playbooks = false;
  bool quiet = false;
  bool no_traces = false;              ///< --no-traces: no traces.otlp.jsonl
  double trace_sample = 1;             ///< --trace-sample RATIO
  std::string otlp;                    ///< --otlp URL: push the spans live to an OTLP/HTTP collector ("" = none)
  bool room = false;                   ///< --room: serve the drill room (trainee and facilitator pages)
  bool hide = false;                   ///< --hide: the trainee's view never names the scenario or its faults
  bool manual = false;                 ///< --manual: alerts page the trainee; no automation starts
  std::string trainee = "trainee";     ///< --trainee NAME: who is on call (journaled as trainee:NAME)
};

/// Scores `events` and writes report.json and report.md into a directory (gameday run's
/// writer); returns the exit code (0 pass, 1 fail).
using ReportWriter = std::function<int(const std::vector<Event>&, const std::filesystem::path&, bool quiet)>;

/// Registers `drill` on `app`, filling `options` when parsed.
CLI::App* add_drill_command(CLI::App& app, DrillOptions& options);

/// Runs `gameday drill`: prints `vendor URL/v1`, `vendor:<id> URL/v1` (one per vendor
/// profile), `ehr URL/fhir`, `assistant URL` (unless --sut) and `control URL` first, runs the
/// scenario in real time, writes journal.jsonl and the reports (through `write_reports`) into
/// the output directory. Exit 0/1 as `run`; 2 for bad options or input (an address it cannot
/// listen on too, and a --sut service that cannot take the playbooks' built-in steps or the
/// change faults: see --sut-control, --allow-unreachable-steps); 3 when `stop` turned true (faults
/// reverted, rollbacks run, partial journal and reports written).
int cmd_drill(const DrillOptions& options, const std::atomic<bool>* stop, const ReportWriter& write_reports);

/// Scales the fault timeline of `scenario` (and time-triggered playbooks) so the scenario lasts
/// `duration`: every fault's `at` and `for` are multiplied by duration / scenario.duration; the
/// rest (alert windows, `for`, ack delays, sustain, latencies) keeps its scale.
void shorten_scenario(ScenarioBundle& bundle, Duration duration);

}  // namespace gameday
