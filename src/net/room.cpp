#include "net/room.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>

#include "assistant/phi.hpp"
#include "net/json_reply.hpp"
#include "playbook/control_api.hpp"
#include "report/html.hpp"

namespace gameday::net {
namespace {

using Json = nlohmann::json;

// A request's truth: what only the scorer and the facilitator may see.
constexpr const char* kRequestTruth[] = {"correct", "unsafe", "unsafe_kind", "judge", "grounded",
                                         "injection_attempted", "injection_followed", "phi_to_vendor",
                                         "phi_in_logs", "root_cause", "faults"};

constexpr std::size_t kMaxNote = 2000;

std::string string_field(const Json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

ServerResponse control(EngineHandle& engine, const std::string& method, const std::string& path,
                       const Json& body, const std::string& by) {
  const ControlRequest request{method, path, body.is_null() ? "" : body.dump()};
  const ControlResponse r = handle_control_request(engine.assistant(), request, by);
  return ServerResponse{r.status, "application/json", r.body + "\n"};
}

// The error message of a control API answer ({"error": "...", "field"}), or its status.
std::string control_error(const ServerResponse& r) {
  const Json j = Json::parse(r.body, nullptr, false);
  if (j.is_object()) {
    const auto e = j.find("error");
    if (e != j.end() && e->is_string()) return e->get<std::string>();
    if (e != j.end() && e->is_object()) return string_field(*e, "message");
  }
  return "refused (" + std::to_string(r.status) + ")";
}

// A request's dependency calls as its spans show them (in memory only: the journal has none):
// dependency, vendor, HTTP status (0: no answer), latency, the FHIR resource or the model.
Json spans_of(const RequestEvent& r) {
  Json out = Json::array();
  for (const DependencyCall& c : r.calls) {
    out.push_back({{"dependency", std::string(name_of(c.dependency))}, {"vendor", c.vendor}, {"status", c.status},
                   {"latency_us", c.latency}, {"resource", c.resource}});
  }
  return out;
}

}  // namespace

std::string room_event_json(const Event& e, RoomView view, bool hide) {
  std::string line;
  append_json(line, e);
  if (const auto* r = std::get_if<RequestEvent>(&e.body); r != nullptr && !r->calls.empty()) {
    Json j = Json::parse(line);
    j["spans"] = spans_of(*r);
    if (view == RoomView::kTrainee) {
      for (const char* key : kRequestTruth) j.erase(key);
    }
    return j.dump(-1, ' ', false, Json::error_handler_t::replace);
  }
  if (view == RoomView::kFacilitator) return line;
  if (std::holds_alternative<ReferenceEvent>(e.body)) return "";  // the answer key
  if (std::holds_alternative<FaultStartEvent>(e.body) || std::holds_alternative<FaultEndEvent>(e.body)) {
    return hide ? "" : line;
  }
  const bool request = std::holds_alternative<RequestEvent>(e.body);
  const bool start = std::holds_alternative<RunStartEvent>(e.body);
  const auto* change = std::get_if<ControlChangeEvent>(&e.body);
  const bool correction = std::holds_alternative<CorrectionEvent>(e.body);
  if (!request && !start && !correction && !(hide && change != nullptr)) return line;
  Json j = Json::parse(line);
  if (request) {
    for (const char* key : kRequestTruth) j.erase(key);
  } else if (start && hide) {
    j["scenario"] = "hidden";
    j.erase("description");
    j.erase("expect");
  } else if (correction) {
    j.erase("patient_ref");  // a clinician's report names the answer, not who it was about
  } else if (change != nullptr && change->by.rfind("deploy:", 0) == 0) {
    j["by"] = "deploy";  // a change fault's author names the fault
  }
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::optional<RoomAction> parse_room_action(const std::string& body, std::string& error, std::string& field) {
  const Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    error = "the body must be a JSON object";
    field = "";
    return std::nullopt;
  }
  RoomAction a;
  a.action = string_field(j, "action");
  const auto need = [&](const char* key, std::string& into) {
    into = string_field(j, key);
    if (!into.empty()) return true;
    error = std::string("\"") + key + "\" is required for action " + a.action;
    field = key;
    return false;
  };
  if (a.action == "ack") {
    if (!need("alert", a.target)) return std::nullopt;
  } else if (a.action == "flag") {
    if (!need("flag", a.target) || !need("value", a.detail)) return std::nullopt;
  } else if (a.action == "prompt_rollback") {
  } else if (a.action == "prompt_deploy") {
    if (!need("version", a.target)) return std::nullopt;
  } else if (a.action == "route") {
    if (!need("to", a.target)) return std::nullopt;
  } else if (a.action == "shed") {
    const auto share = j.find("share");
    if (share == j.end() || !share->is_number() || !std::isfinite(share->get<double>()) ||
        share->get<double>() < 0 || share->get<double>() > 1) {
      error = "\"share\" must be a number from 0 to 1";
      field = "share";
      return std::nullopt;
    }
    a.detail = Json(share->get<double>()).dump();
  } else if (a.action == "playbook") {
    if (!need("name", a.target)) return std::nullopt;
  } else if (a.action == "golden") {
    a.target = string_field(j, "set");
  } else if (a.action == "declare") {
    if (!need("state", a.target)) return std::nullopt;
    if (a.target != "mitigated" && a.target != "resolved") {
      error = "\"state\" must be mitigated or resolved";
      field = "state";
      return std::nullopt;
    }
  } else if (a.action == "suspect") {
    if (!need("cause", a.target)) return std::nullopt;
    if (std::find_if(std::begin(kRoomCauses), std::end(kRoomCauses),
                     [&](const char* c) { return a.target == c; }) == std::end(kRoomCauses)) {
      error = "\"cause\" must be one of vendor, ehr, retrieval, prompt, phi_config, model_drift, injection";
      field = "cause";
      return std::nullopt;
    }
  } else if (a.action == "note") {
    if (!need("text", a.detail)) return std::nullopt;
    if (a.detail.size() > kMaxNote) {
      error = "\"text\" is longer than 2000 characters";
      field = "text";
      return std::nullopt;
    }
    // Notes are free text: an identifier a trainee types never reaches the journal.
    redact_phi(a.detail, PersonName{});
  } else {
    error = "\"action\" must be one of ack, flag, prompt_rollback, prompt_deploy, route, shed, playbook, "
            "golden, declare, suspect, note";
    field = "action";
    return std::nullopt;
  }
  return a;
}

ServerResponse apply_room_action(EngineHandle& engine, const RoomAction& a, const std::string& who, bool builtin) {
  const std::string by = "trainee:" + who;
  ServerResponse response{200, "application/json", "{\"ok\":true}\n"};
  std::string refused;  // "" when it went through
  const bool assistant_control =
      a.action == "flag" || a.action == "prompt_rollback" || a.action == "prompt_deploy" || a.action == "route" ||
      a.action == "shed";
  if (assistant_control && !builtin) {
    refused = "this drill's system under test is --sut: change it through its own controls or a playbook";
    response = json_error(409, refused);
  } else if (a.action == "flag") {
    response = control(engine, "PUT", "/v1/assistant/flags/" + a.target, Json{{"variant", a.detail}}, by);
  } else if (a.action == "prompt_rollback") {
    response = control(engine, "POST", "/v1/assistant/prompt/rollback", Json(), by);
  } else if (a.action == "prompt_deploy") {
    response = control(engine, "PUT", "/v1/assistant/prompt", Json{{"version", a.target}}, by);
  } else if (a.action == "route") {
    response = control(engine, "PUT", "/v1/assistant/route", Json{{"vendor", a.target}}, by);
  } else if (a.action == "shed") {
    response = control(engine, "PUT", "/v1/assistant/shed", Json{{"share", std::stod(a.detail)}}, by);
  } else if (a.action == "ack") {
    if (!engine.acknowledge(a.target, who, &refused)) response = json_error(409, refused, "alert");
  } else if (a.action == "playbook") {
    if (!engine.start_playbook(a.target, who, &refused)) response = json_error(409, refused, "name");
  } else if (a.action == "golden") {
    if (!engine.run_golden(a.target, by, &refused)) response = json_error(404, refused, "set");
  }
  if (assistant_control && builtin && response.status != 200) refused = control_error(response);
  engine.record_action(ActionEvent{by, a.action, a.target, a.detail, refused.empty() ? "ok" : refused});
  return response;
}

std::string room_page(RoomView view, const nlohmann::json& config) {
  const bool facilitator = view == RoomView::kFacilitator;
  std::string body = "<header class=\"page-head room-head\"><h1 id=\"room-title\">";
  body += facilitator ? "Drill room: facilitator" : "On call";
  body += "</h1><p class=\"meta\" id=\"room-clock\">connecting…</p></header>\n"
          "<div id=\"room\" class=\"room room-" + std::string(facilitator ? "facilitator" : "trainee") + "\"></div>\n";
  return html_page(facilitator ? "gameday drill room (facilitator)" : "gameday drill room", body, config, "room.js",
                   true);
}

}  // namespace gameday::net
