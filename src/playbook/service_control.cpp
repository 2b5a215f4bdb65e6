#include "playbook/service_control.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace gameday {
namespace {

using Json = nlohmann::json;

// The path of the default root, for messages.
constexpr const char* kDefaultRootPath = "/v1/control";
// How much of a service's error message a reason keeps.
constexpr std::size_t kMaxErrorText = 160;

std::string share_text(double share) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", share);
  return buf;
}

std::string json_text(const Json& j) { return j.is_string() ? j.get<std::string>() : j.dump(); }

// The service's error message from a 4xx/5xx body, bounded, or "" when it has none.
std::string error_text(const std::string& body) {
  const Json j = Json::parse(body, nullptr, false);
  std::string text;
  if (j.is_object()) {
    auto e = j.find("error");
    if (e != j.end() && e->is_string()) text = e->get<std::string>();
    if (e != j.end() && e->is_object() && e->contains("message") && (*e)["message"].is_string()) {
      text = (*e)["message"].get<std::string>();
    }
  }
  if (text.size() > kMaxErrorText) text = text.substr(0, kMaxErrorText) + "...";
  return text;
}

// What the state shows for the capability of `call` ("" when it does not say).
std::string shown(const ControlCall& call, const ServiceControlState& s) {
  switch (call.capability) {
    case ControlCapability::kFlags: {
      auto it = s.flags.find(call.key);
      return it == s.flags.end() ? "" : it->second;
    }
    case ControlCapability::kRoute: return s.route;
    case ControlCapability::kPrompt: return s.prompt_version;
    case ControlCapability::kShed: return share_text(s.shed);
  }
  return "";
}

bool parse_flags(const Json& j, ServiceControlState& s, std::string* error) {
  if (!j.is_object()) {
    *error = "'flags' is not an object";
    return false;
  }
  for (const auto& [name, v] : j.items()) s.flags[name] = v.is_null() ? "" : json_text(v);
  return true;
}

}  // namespace

bool ServiceControlState::covers(ControlCapability c) const {
  return std::find(supports.begin(), supports.end(), std::string(name_of(c))) != supports.end();
}

std::optional<ServiceControlState> parse_control_state(const std::string& body, std::string* error) {
  const Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    *error = "the body is not a JSON object";
    return std::nullopt;
  }
  ServiceControlState s;
  for (const char* field : {"route", "prompt_version"}) {
    auto it = j.find(field);
    if (it == j.end() || it->is_null()) continue;
    if (!it->is_string()) {
      *error = std::string("'") + field + "' is not a string";
      return std::nullopt;
    }
    (std::string(field) == "route" ? s.route : s.prompt_version) = it->get<std::string>();
  }
  if (auto it = j.find("flags"); it != j.end() && !parse_flags(*it, s, error)) return std::nullopt;
  if (auto it = j.find("shed"); it != j.end() && !it->is_null()) {
    if (!it->is_number()) {
      *error = "'shed' is not a number";
      return std::nullopt;
    }
    s.shed = it->get<double>();
  }
  if (auto it = j.find("supports"); it != j.end()) {
    if (!it->is_array() || !std::all_of(it->begin(), it->end(), [](const Json& x) { return x.is_string(); })) {
      *error = "'supports' is not a list of strings";
      return std::nullopt;
    }
    for (const auto& x : *it) s.supports.push_back(x.get<std::string>());
  }
  return s;
}

std::optional<ControlCapability> capability_of(StepKind k) {
  switch (k) {
    case StepKind::kFlagSet:
    case StepKind::kModeFallback:
      return ControlCapability::kFlags;
    case StepKind::kModelFailover:
    case StepKind::kModelRollback:
      return ControlCapability::kRoute;
    case StepKind::kPromptDeploy:
    case StepKind::kPromptRollback:
      return ControlCapability::kPrompt;
    case StepKind::kTrafficShed:
      return ControlCapability::kShed;
    case StepKind::kApprove:
    case StepKind::kEnd:
    case StepKind::kEscalate:
    case StepKind::kExec:
    case StepKind::kGoldenCheck:
    case StepKind::kHttp:
    case StepKind::kNotify:
    case StepKind::kWait:
    case StepKind::kWaitFor:
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<ControlCapability> capability_of(FaultKind k) {
  if (k == FaultKind::kPromptDeploy) return ControlCapability::kPrompt;
  if (k == FaultKind::kConfigChange) return ControlCapability::kFlags;
  return std::nullopt;
}

std::string ControlCall::endpoint() const { return method + " " + kDefaultRootPath + path; }

namespace {

ControlCall flag_call(const std::string& flag, const std::string& variant) {
  return ControlCall{ControlCapability::kFlags, "PUT", "/flags/" + flag,
                     Json{{"variant", variant}}.dump(), "flag", flag, variant};
}

ControlCall prompt_call(const std::string& version) {
  if (version.empty()) return ControlCall{ControlCapability::kPrompt, "POST", "/prompt/rollback", "", "prompt", "", ""};
  return ControlCall{ControlCapability::kPrompt, "PUT", "/prompt", Json{{"version", version}}.dump(), "prompt", "", version};
}

}  // namespace

ControlCall control_call_for(const StepSpec& step, const std::string& primary_route) {
  switch (step.kind) {
    case StepKind::kFlagSet: return flag_call(step.flag, step.variant);
    case StepKind::kModeFallback: return flag_call("safe-mode", step.enabled ? "on" : "off");
    case StepKind::kModelFailover:
    case StepKind::kModelRollback: {
      const std::string to = step.kind == StepKind::kModelRollback ? primary_route : step.to;
      return ControlCall{ControlCapability::kRoute, "PUT", "/route", Json{{"vendor", to}}.dump(), "route", "", to};
    }
    case StepKind::kPromptDeploy:
    case StepKind::kPromptRollback:
      return prompt_call(step.version);
    case StepKind::kTrafficShed:
      return ControlCall{ControlCapability::kShed, "PUT", "/shed", Json{{"share", step.share}}.dump(), "shed", "",
                         share_text(step.share)};
    default:
      return ControlCall{};
  }
}

ControlCall control_call_for(const FaultSpec& fault) {
  if (const auto* change = fault.as<ConfigChangeFault>()) return flag_call(change->flag, change->variant);
  if (const auto* deploy = fault.as<PromptDeployFault>()) return prompt_call(deploy->prompt_version);
  return ControlCall{};
}

std::vector<UnreachableChange> unreachable_changes(const std::vector<Playbook>& playbooks,
                                                   const std::vector<FaultSpec>& faults,
                                                   const std::optional<ServiceControlState>& state) {
  std::vector<UnreachableChange> out;
  auto reaches = [&](ControlCapability c) { return state && state->covers(c); };
  for (const auto& pb : playbooks) {
    for (const char* list : {"steps", "rollback"}) {
      const auto& steps = std::string(list) == "steps" ? pb.steps : pb.rollback;
      for (std::size_t i = 0; i < steps.size(); ++i) {
        const auto c = capability_of(steps[i].kind);
        if (!c || reaches(*c)) continue;
        out.push_back(UnreachableChange{pb.name, list, i, steps[i].name, to_name(steps[i].kind), steps[i].loc,
                                        control_call_for(steps[i], "primary")});
      }
    }
  }
  for (std::size_t i = 0; i < faults.size(); ++i) {
    const auto c = capability_of(faults[i].kind());
    if (!c || faults[i].target != "assistant" || reaches(*c)) continue;
    out.push_back(UnreachableChange{"", "", i, faults[i].id, to_name(faults[i].kind()), faults[i].loc,
                                    control_call_for(faults[i])});
  }
  return out;
}

std::string describe_unreachable(const UnreachableChange& u, const std::string& why_absent) {
  std::string where;
  if (!u.loc.file.empty()) {
    where = u.loc.file + ":" + std::to_string(u.loc.line) + ":" + std::to_string(u.loc.col) + ": ";
  }
  std::string what = u.playbook.empty()
                         ? "fault '" + u.name + "' (" + u.kind + ", target assistant)"
                         : "playbook '" + u.playbook + "' " + u.list + "[" + std::to_string(u.index) + "] '" +
                               u.name + "' (" + u.kind + ")";
  const std::string why = why_absent.empty()
                              ? "the service's GET /v1/control does not list '" + to_name(u.call.capability) +
                                    "' in \"supports\""
                              : why_absent;
  return where + what + " cannot reach the --sut service: " + why + ". Fix: implement " + u.call.endpoint() +
         " of the control contract (docs/live.md) and list '" + to_name(u.call.capability) +
         "' in \"supports\", pass --sut-control URL where the service serves it, or --allow-unreachable-steps "
         "to run anyway (" + (u.playbook.empty() ? "the fault is then not injected)" : "the step then fails as unreachable)");
}

// ---------------------------------------------------------------- ServiceControl

ServiceControl::ServiceControl(ServiceControlSetup setup, Scheduler& scheduler, Journal& journal,
                               StepEffects* effects)
    : setup_(std::move(setup)), scheduler_(scheduler), journal_(journal), effects_(effects) {}

namespace {

// The work in flight of a change that is no step's (a change fault): it has no control API.
class NoControl final : public ControlHandler {
 public:
  ControlResponse handle(const ControlRequest&) override {
    return ControlResponse{404, R"({"error": "a change fault has no control API"})"};
  }
};

}  // namespace

void ServiceControl::send(const ControlCall& call, const std::string& by, std::shared_ptr<ControlHandler> handle,
                          Duration timeout, Done done, std::function<void()> applied) {
  if (!handle) handle = std::make_shared<NoControl>();
  if (!covers(call.capability)) {
    return done(false, "unreachable: the service has no control endpoint for " + call.endpoint(), true);
  }
  if (effects_ == nullptr) return done(false, "no step effects configured: cannot reach the service", true);
  HttpRequest req;
  req.method = call.method;
  req.url = setup_.root + call.path;
  req.body = call.body;
  if (!req.body.empty()) req.headers.emplace_back("Content-Type", "application/json");
  req.timeout = timeout;
  effects_->http(req, std::move(handle),
                 [this, call, by, done = std::move(done), applied = std::move(applied)](HttpResult r) {
                   answered(call, by, r, done, applied);
                 });
}

void ServiceControl::answered(const ControlCall& call, const std::string& by, const HttpResult& r,
                              const Done& done, const std::function<void()>& applied) {
  // Reasons name the endpoint and the status, never the URL (it may carry a token).
  const std::string what = call.endpoint();
  if (r.status == 0) return done(false, what + " got no answer from the service: " + r.error, true);
  const std::string got = "the service answered " + what + " with HTTP " + std::to_string(r.status);
  if (r.status < 200 || r.status >= 300) {
    const std::string message = error_text(r.body);
    return done(false, got + (message.empty() ? "" : ": " + message), false);
  }
  std::string error;
  const auto after = parse_control_state(r.body, &error);
  if (!after) return done(false, got + ", but not with its control state (" + error + ")", false);
  const ServiceControlState before = *setup_.state;
  const std::string now = shown(call, *after);
  const std::string was = shown(call, before);
  // A change counts only when the service's own answer shows it.
  const bool shows_change = call.to.empty() ? !now.empty() && now != was : now == call.to;
  ServiceControlState next = *after;
  if (next.supports.empty()) next.supports = before.supports;  // a change's answer may omit it
  setup_.state = next;
  if (!shows_change) {
    return done(false, got + ", but its " + call.what + (call.key.empty() ? "" : " " + call.key) + " is " +
                           (now.empty() ? "not reported" : "still " + now),
                false);
  }
  if (applied) applied();
  journal_change(call, before, next, by);
  const std::string label = call.what == "flag" ? call.key : call.what;
  done(true, "service: " + label + " " + (was.empty() ? "?" : was) + " -> " + now + " (HTTP " + std::to_string(r.status) + ")",
       false);
}

void ServiceControl::journal_change(const ControlCall& call, const ServiceControlState& before,
                                    const ServiceControlState& after, const std::string& by) {
  const std::string from = shown(call, before);
  const std::string to = shown(call, after);
  journal_.append(scheduler_.now(), ControlChangeEvent{call.what, call.key, from, to, by, from == to});
  if (call.what == "flag" && call.key == "safe-mode") {
    // Fallback mode is the safe-mode flag (as the built-in's mode.fallback journals it).
    const auto mode = [](const std::string& v) { return std::string(v == "on" ? "fallback" : "normal"); };
    journal_.append(scheduler_.now(), ControlChangeEvent{"mode", "", mode(from), mode(to), by, mode(from) == mode(to)});
  }
}

}  // namespace gameday
