#pragma once
// The control contract of a team's own service (`gameday drill --sut URL`), and its client. A
// service that implements it lets the built-in playbook steps and change faults act on it; the
// contract mirrors the built-in assistant's control API (playbook/control_api.hpp) under the
// service's own root, GET-able at `{sut}/v1/control` or wherever --sut-control says:
//
//   GET  {root}                   200 {"flags": {name: variant}, "route": "primary",
//                                      "prompt_version": "v2", "shed": 0,
//                                      "supports": ["flags", "route", "prompt", "shed"]}
//   PUT  {root}/flags/{name}      {"variant": "on"}        -> 200 the new state
//   PUT  {root}/route             {"vendor": "secondary"}  -> 200 the new state
//   PUT  {root}/prompt            {"version": "v1"}        -> 200 the new state
//   POST {root}/prompt/rollback   (no body)                -> 200 the new state
//   PUT  {root}/shed              {"share": 0.25}          -> 200 the new state
//
// A change the service cannot make answers 4xx with {"error": "..."} (or {"error": {"message"}}).
// Only what the service answers is journaled: a change is journaled (control_change) when its
// 2xx state shows it; otherwise the step fails with the service's answer as its reason.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "playbook/effects.hpp"
#include "sim/journal.hpp"
#include "sim/scheduler.hpp"
#include "spec/fault.hpp"
#include "spec/playbook.hpp"

namespace gameday {

/// What a service's control contract covers: the names in GET {root}'s "supports".
enum class ControlCapability : std::uint8_t { kFlags, kRoute, kPrompt, kShed };

/// "flags", "route", "prompt", "shed".
constexpr std::string_view name_of(ControlCapability c) {
  switch (c) {
    case ControlCapability::kFlags: return "flags";
    case ControlCapability::kRoute: return "route";
    case ControlCapability::kPrompt: return "prompt";
    case ControlCapability::kShed: return "shed";
  }
  return {};
}

/// A service's control state as its GET {root} and each change's 2xx answer report it.
struct ServiceControlState {
  std::map<std::string, std::string> flags;  ///< name -> variant (a non-string variant as JSON text)
  std::string route;                         ///< the vendor profile id its model calls go to
  std::string prompt_version;
  double shed = 0;
  std::vector<std::string> supports;         ///< capability names (unknown names are kept)
  /// Whether `c` is among `supports`.
  bool covers(ControlCapability c) const;
};

/// Parses a control state body. Every field is optional except that a present field must have
/// its type; nullopt with `error` ("'route' is not a string") for anything else.
std::optional<ServiceControlState> parse_control_state(const std::string& body, std::string* error);

/// The capability a built-in step of kind `k` needs to act on a service; nullopt for steps that
/// do not change the system under test (wait, approve, golden.check, exec, ...).
std::optional<ControlCapability> capability_of(StepKind k);
/// The capability a fault of kind `k` needs (prompt_deploy: prompt; config_change: flags);
/// nullopt for faults of the fakes.
std::optional<ControlCapability> capability_of(FaultKind k);

/// One request of the contract, and the change it asks for.
struct ControlCall {
  ControlCapability capability = ControlCapability::kRoute;
  std::string method;  ///< "PUT" | "POST"
  std::string path;    ///< under the root: "/route", "/flags/safe-mode", "/prompt/rollback"
  std::string body;    ///< JSON ("" for a rollback)
  std::string what;    ///< control_change "what": "flag" | "route" | "prompt" | "shed"
  std::string key;     ///< the flag's name ("" otherwise)
  std::string to;      ///< the value asked for ("" for a prompt rollback: any other version)
  /// "PUT /v1/control/route" style, for messages (with the default root's path).
  std::string endpoint() const;
};

/// The request a built-in step makes (its capability_of must be set). `primary_route`: where
/// model.rollback goes back to.
ControlCall control_call_for(const StepSpec& step, const std::string& primary_route);
/// The request a change fault makes (its capability_of must be set).
ControlCall control_call_for(const FaultSpec& fault);

/// A built-in step or change fault a service cannot take.
struct UnreachableChange {
  std::string playbook;   ///< "" for a fault
  std::string list;       ///< "steps" | "rollback" ("" for a fault)
  std::size_t index = 0;  ///< in its list
  std::string name;       ///< the step's name, or the fault's id
  std::string kind;       ///< step or fault kind
  SourceLoc loc;          ///< the step's or fault's place in its file
  ControlCall call;       ///< what it would have asked
};

/// Every built-in step of `playbooks` and change fault of `faults` that a service cannot take:
/// all of them when it has no contract (`state` nullopt), else those whose capability its
/// "supports" lacks.
std::vector<UnreachableChange> unreachable_changes(const std::vector<Playbook>& playbooks,
                                                   const std::vector<FaultSpec>& faults,
                                                   const std::optional<ServiceControlState>& state);

/// One line per unreachable change saying where it is, why it cannot reach the service and the
/// fixes (implement the endpoint, --sut-control URL, --allow-unreachable-steps). `why_absent`
/// says why the service has no contract ("" when it has one).
std::string describe_unreachable(const UnreachableChange& u, const std::string& why_absent);

/// Where a drill's built-in steps and change faults act when the system under test is the team's
/// own service: its control root and what GET {root} said at the start (nullopt: no contract).
struct ServiceControlSetup {
  std::string root;                          ///< "http://HOST:PORT/v1/control" ("" = none)
  std::optional<ServiceControlState> state;  ///< nullopt: the service has no control contract
  std::string primary_route;                 ///< where model.rollback goes back to
  /// Told (engine thread) when a change fault did not reach the service; may be empty.
  std::function<void(const std::string&)> warn;
};

/// The contract's client on the engine's thread: sends a change through StepEffects::http (in a
/// drill, in the background), reads the service's answer, journals the control change the
/// answer shows and reports the outcome. Keeps the last state the service reported.
class ServiceControl {
 public:
  /// How a change ended: ok only when the service's answer shows it; `reason` names the
  /// service's answer; `not_run` when it never reached the service.
  using Done = std::function<void(bool ok, const std::string& reason, bool not_run)>;

  /// `effects` may be null (every change then fails as not run); all must outlive this.
  ServiceControl(ServiceControlSetup setup, Scheduler& scheduler, Journal& journal, StepEffects* effects);

  /// Whether the service can take changes of capability `c`.
  bool covers(ControlCapability c) const { return setup_.state && setup_.state->covers(c); }
  /// The last state the service reported (nullopt without a contract).
  const std::optional<ServiceControlState>& state() const { return setup_.state; }
  const std::string& primary_route() const { return setup_.primary_route; }

  /// Sends `call`, journaled as made `by`; `done` runs once on the engine's thread (at once
  /// when the service cannot take it). `handle` is the step's work in flight (abandon() drops
  /// the request; null: none); `timeout` is real time. `applied` (optional) runs just before the
  /// change the service made is journaled.
  void send(const ControlCall& call, const std::string& by, std::shared_ptr<ControlHandler> handle,
            Duration timeout, Done done, std::function<void()> applied = {});
  /// Says `message` through the setup's `warn` (nothing without one).
  void warn(const std::string& message) const {
    if (setup_.warn) setup_.warn(message);
  }

 private:
  void answered(const ControlCall& call, const std::string& by, const HttpResult& r, const Done& done,
                const std::function<void()>& applied);
  void journal_change(const ControlCall& call, const ServiceControlState& before,
                      const ServiceControlState& after, const std::string& by);

  ServiceControlSetup setup_;
  Scheduler& scheduler_;
  Journal& journal_;
  StepEffects* effects_;
};

}  // namespace gameday
