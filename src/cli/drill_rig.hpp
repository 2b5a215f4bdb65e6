#pragma once
// What one `gameday drill` owns while it runs: the fake vendor and EHR over HTTP, the built-in
// assistant's server (or the --sut URL), the control port and its routes, the HTTP client the
// workload asks through, the journal and the real-time scheduler the engine runs on, and the
// wiring between them and the engine.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "cli/drill.hpp"
#include "cli/listen.hpp"
#include "cli/traces.hpp"
#include "engine/simulation.hpp"
#include "fakes/world.hpp"
#include "net/assistant_server.hpp"
#include "net/async_http_client.hpp"
#include "net/control_server.hpp"
#include "net/ehr_server.hpp"
#include "net/http_server.hpp"
#include "net/live.hpp"
#include "net/step_effects.hpp"
#include "net/otlp_exporter.hpp"
#include "net/otlp_intake.hpp"
#include "net/room.hpp"
#include "net/trace_join.hpp"
#include "net/vendor_server.hpp"
#include "playbook/service_control.hpp"
#include "sim/journal.hpp"
#include "sim/realtime_scheduler.hpp"

namespace gameday {

/// A drill's options once checked: what DrillOptions' text says, parsed.
struct DrillSetup {
  std::optional<Duration> duration;  ///< --duration (nullopt: the scenario's)
  std::string sut;                   ///< --sut without trailing slashes ("" = the built-in assistant)
  bool external_alerts = false;      ///< --alerts external
  Endpoint control, ehr, assistant;
  ListenPlan listen;                 ///< --ports and the ADDR:PORT options (the vendors' binds)
  std::string token;                 ///< the control port's bearer token ("" = none)
  std::string sut_control;           ///< --sut-control without trailing slashes ("" = discover)
  /// A --sut drill: where built-in steps and change faults act (filled by cmd_drill once the
  /// service's control contract has been looked up).
  ServiceControlSetup service;
};

/// Checks and parses the options of `gameday drill`. Returns the message for the first bad one
/// ("--speed: expected a positive number, got -1"), or nullopt when all are good.
std::optional<std::string> parse_drill_setup(const DrillOptions& options, DrillSetup& setup);

/// GET /events: every journal event, as it is appended, to every connected client as a
/// server-sent event ("data: <journal line>\n\n"). Journal lines carry no identifiers.
class EventHub {
 public:
  /// Starts a stream on `ex` (any thread).
  void add(std::shared_ptr<net::Exchange> ex);
  /// Sends `e` to every live stream (the loop thread, as a journal subscriber).
  void publish(const Event& e);
  /// Ends every stream (the run is over).
  void close_all();

 private:
  std::mutex mu_;
  std::vector<std::shared_ptr<net::Exchange>> streams_;
};

/// The drill room's streams (GET /room/api/stream): each gets the journal so far, then every
/// event as it is appended, filtered for its view (net::room_event_json).
class RoomHub {
 public:
  explicit RoomHub(bool hide) : hide_(hide) {}
  /// Starts a stream on `ex` with the events so far (the loop thread).
  void add(std::shared_ptr<net::Exchange> ex, net::RoomView view, const std::vector<Event>& so_far);
  /// Sends `e` to every live stream that may see it (the loop thread).
  void publish(const Event& e);
  /// Ends every stream.
  void close_all();

 private:
  struct Stream {
    std::shared_ptr<net::Exchange> ex;
    net::RoomView view;
  };
  const bool hide_;
  std::mutex mu_;
  std::vector<Stream> streams_;
};

/// One drill: builds and starts everything at construction (servers listen from then on), runs
/// the engine in run(). Not copyable; the servers stop when it is destroyed.
class DrillRig {
 public:
  /// Opens <out>/journal.jsonl (throws std::runtime_error when it cannot), starts the fakes'
  /// servers, the assistant's (unless --sut) and the control port. `bundle` and `options` must
  /// outlive the rig; `stop` (may be null) interrupts the run when it turns true.
  DrillRig(const DrillOptions& options, const DrillSetup& setup, const ScenarioBundle& bundle,
           const std::atomic<bool>* stop);
  /// Ends the playbook steps still in flight, then stops the servers.
  ~DrillRig();
  DrillRig(const DrillRig&) = delete;
  DrillRig& operator=(const DrillRig&) = delete;

  /// Prints `vendor URL`, `vendor:<id> URL` per vendor profile, `ehr URL`, `assistant URL`
  /// (unless --sut) and `control URL`, one a line.
  void print_addresses();
  /// Runs the scenario in real time; then ends the /events streams and flushes the journal.
  SimStats run();
  /// The run's journal (complete once run() returned).
  const Journal& journal() const { return journal_; }
  /// The output directory (journal.jsonl is in it; the reports go there).
  const std::string& out_dir() const { return out_dir_; }

 private:
  // The engine's alert inlet and handle as seen from the server threads: set and cleared on the
  // loop thread, read only by events posted to it.
  struct InletSlot {
    AlertInlet* inlet = nullptr;
    EngineHandle* engine = nullptr;
  };
  using EngineCall = std::function<net::ServerResponse(EngineHandle&)>;
  using Serve = void (DrillRig::*)(const net::ServerRequest&, std::shared_ptr<net::Exchange>);

  void observe(const Event& e);
  void start_fakes();
  void start_system_under_test();
  void wire_engine();
  void start_control();
  void add_route(const char* method, const char* prefix, Serve serve);
  void on_engine(std::shared_ptr<net::Exchange> ex, EngineCall fn);
  void serve_faults(const net::ServerRequest& req, std::shared_ptr<net::Exchange> ex);
  void serve_reset(const net::ServerRequest& req, std::shared_ptr<net::Exchange> ex);
  void serve_assistant(const net::ServerRequest& req, std::shared_ptr<net::Exchange> ex);
  void serve_status(const net::ServerRequest& req, std::shared_ptr<net::Exchange> ex);
  void serve_events(const net::ServerRequest& req, std::shared_ptr<net::Exchange> ex);
  void serve_room(const net::ServerRequest& req, std::shared_ptr<net::Exchange> ex);
  void serve_facilitator(const net::ServerRequest& req, std::shared_ptr<net::Exchange> ex);
  // Whether `req` carries the facilitator's key (?key=K or X-Gameday-Key).
  bool facilitator(const net::ServerRequest& req) const;
  // Whether `req` may see the truth: always, unless --room --hide and no facilitator's key.
  bool see_truth(const net::ServerRequest& req) const;
  static net::ServerResponse hidden();
  nlohmann::json room_config(net::RoomView view) const;
  net::ServerResponse serve_alertmanager(const net::ServerRequest& req);
  net::ServerResponse serve_traces(const net::ServerRequest& req);
  // Scheduler thread: a service's spans from the intake, into the traces file and the export.
  void take_service_spans(const std::vector<IntakeSpan>& spans);
  // Scheduler thread (on each journal event): the live export's batch goes out once a second
  // has passed since the last.
  void flush_live_traces();

  const DrillOptions& o_;
  const DrillSetup& setup_;
  const ScenarioBundle& bundle_;
  const Scenario& scenario_;
  const std::string primary_route_;  // the built-in assistant's vendor route
  net::NetStepEffects step_effects_;
  SimOptions options_;
  const std::string out_dir_;
  std::ofstream journal_file_;
  // Declared before the servers and the client, so they stop first (their threads post here).
  RealTimeScheduler scheduler_;
  // Salts the drill's trace ids (two drills of one seed never share one).
  const std::uint64_t trace_seed_;
  // --sut: the calls the fakes serve, tied to the answers by trace id (the servers report to it).
  std::unique_ptr<net::TraceJoin> join_;
  std::optional<RunTraces> traces_;
  // --otlp: the same spans, pushed live (its sender thread; the writer runs on the loop thread).
  std::unique_ptr<net::OtlpExporter> exporter_;
  std::unique_ptr<TraceWriter> live_traces_;
  std::chrono::steady_clock::time_point last_flush_;
  // A service's own spans (POST /v1/traces): the trace ids they came with, and the drill's
  // requests' trace ids, to say how many joined (loop thread).
  std::unordered_set<std::string> service_traces_, request_traces_;
  std::uint64_t service_spans_ = 0, service_rejected_ = 0;
  const std::map<std::string, std::string> vendor_models_;  // vendor id -> its default model
  InletSlot slot_;
  net::BuiltinExchange builtin_;
  EventHub events_;
  RoomHub room_{o_.hide};
  // The facilitator's key (random, printed with the facilitator URL); "" without --room.
  const std::string facilitator_key_;
  // --room: the answer key, computed before the run and journaled at its start.
  std::optional<ReferenceEvent> reference_;
  // The fakes over HTTP, sharing the run's faults (mirrored from the engine's board), and
  // /metrics: the vendor's and EHR's request counters and the assistant's SLI counters.
  const World world_;
  net::LiveFaults faults_;
  net::LiveMetrics metrics_;
  net::LiveContext ctx_;
  Journal journal_;
  std::vector<std::unique_ptr<net::VendorServer>> vendors_;
  std::map<std::string, std::string> servers_;  // name -> base URL, for /status
  std::unique_ptr<net::EhrServer> ehr_;
  std::unique_ptr<net::AssistantServer> assistant_server_;
  std::unique_ptr<net::ControlServer> control_;
  std::unique_ptr<net::AsyncHttpClient> http_client_;
  std::unique_ptr<net::HttpAnswerService> answers_;
};

}  // namespace gameday
