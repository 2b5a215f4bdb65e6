#pragma once
// The drill room (`gameday drill --room`): the pages a trainee and a facilitator open in a
// browser, what each may see of the journal, and the trainee's actions. The HTTP wiring is the
// drill's (cli/drill_rig); these are pure functions over the journal and the engine handle.
//
//   GET  /room                      the trainee's page (what production would show)
//   GET  /room/facilitator?key=K    the facilitator's page (the truth too)
//   GET  /room/api/stream[?key=K]   the journal so far, then live, as server-sent events,
//                                   filtered for the view the key gives
//   POST /room/api/action           a trainee's action (below), journaled with its author
//   GET  /room/api/marks?key=K      the incident model's marks so far (the facilitator's)
//   POST /room/api/facilitator?key=K  hint | pause | resume | speed
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/simulation.hpp"
#include "net/live.hpp"
#include "sim/journal.hpp"

namespace gameday::net {

/// Who is looking: the trainee sees what production would show; the facilitator also sees
/// the truth (faults, unsafe answers, every field of the journal).
enum class RoomView { kTrainee, kFacilitator };

/// One journal event as `view` sees it: one JSON object (no newline), or "" when the view does
/// not see it. The trainee never sees a request's truth (correct, unsafe, unsafe_kind, judge,
/// grounded, injection_*, phi_to_vendor, phi_in_logs, root_cause, faults), clinician
/// corrections' patients, or anything naming a fault when `hide` is set (fault events, the
/// scenario's name, description and expectations in run_start, "deploy:<fault id>" authors).
std::string room_event_json(const Event& e, RoomView view, bool hide);

/// A trainee's action as POST /room/api/action carries it:
///   {"action": "ack", "alert": NAME}
///   {"action": "flag", "flag": NAME, "value": "on" | "off" | variant}
///   {"action": "prompt_rollback"}           {"action": "prompt_deploy", "version": V}
///   {"action": "route", "to": VENDOR}       {"action": "shed", "share": 0..1}
///   {"action": "playbook", "name": NAME}    {"action": "golden", "set": FILE (optional)}
///   {"action": "declare", "state": "mitigated" | "resolved"}
///   {"action": "suspect", "cause": vendor | ehr | retrieval | prompt | phi_config | model_drift | injection}
///   {"action": "note", "text": TEXT (at most 2,000 characters; identifiers are redacted)}
struct RoomAction {
  std::string action;
  std::string target;  ///< alert, flag, version, route, playbook, golden set, state, cause
  std::string detail;  ///< flag value, shed share, note text
};

/// The causes a trainee may suspect, in the order the page lists them.
inline constexpr const char* kRoomCauses[] = {"vendor", "ehr", "retrieval", "prompt", "phi_config",
                                              "model_drift", "injection"};

/// Parses an action body. nullopt with `error` and `field` (the request field at fault) when
/// it is not one of the actions above.
std::optional<RoomAction> parse_room_action(const std::string& body, std::string& error, std::string& field);

/// Carries out `action` for trainee `who` on the engine (its thread): the change itself
/// (journaled by "trainee:WHO", as any actor's), then an action event with its outcome. The
/// assistant's controls (flag, prompt, route, shed) act on the built-in assistant only
/// (`builtin` false: 409). Answers 200 {"ok": true, ...} or 4xx with the reason (journaled as
/// the action's outcome, nothing changed).
ServerResponse apply_room_action(EngineHandle& engine, const RoomAction& action, const std::string& who,
                                 bool builtin);

/// The room's page for `view`: the shared page shell (report/html.hpp) with `config` as its
/// data and the room script, which reads the stream and posts actions.
std::string room_page(RoomView view, const nlohmann::json& config);

}  // namespace gameday::net
