#pragma once
// The control API's routes as a pure function over the assistant's control interface (no I/O):
// the HTTP server (src/net) only moves bytes. Also the flagd JSON a script sees in
// $GAMEDAY_FLAGS_FILE, and applying a script's edits of it.
//
//   GET  /v1/assistant                   {"flags": {name: variant}, "prompt_version", "route", ...}
//   GET  /v1/assistant/flags/{name}      {"flag": name, "variant": v}
//   PUT  /v1/assistant/flags/{name}      {"variant": "on"}
//   PUT  /v1/assistant/prompt            {"version": "v1"}
//   POST /v1/assistant/prompt/rollback   (no body): back to the last known-good version
//   PUT  /v1/assistant/route             {"vendor": "secondary"}
//   PUT  /v1/assistant/shed              {"share": 0.25}
//
// Changes answer 200 with the new state; bad input answers 400 (404 for an unknown flag, 409
// when there is nothing to roll back to) with {"error": "...", "field": "<the field>"};
// unknown paths 404 and wrong methods 405.
#include <string>
#include <vector>

#include "assistant/assistant.hpp"
#include "playbook/effects.hpp"

namespace gameday {

/// Serves one control API request against `assistant`; changes are journaled with `by`.
ControlResponse handle_control_request(Assistant& assistant, const ControlRequest& request,
                                       const std::string& by);

/// The assistant's flags as a flagd flag-definition document (current variant as
/// defaultVariant).
std::string flags_to_flagd_json(const Assistant& assistant);

/// Applies the defaultVariant of each flag in a flagd document that differs from the
/// assistant's, journaled with `by`. Validates the whole document first: on error (invalid JSON,
/// unknown flag or variant) nothing changes and false is returned with `error`. `changes`
/// receives "name from -> to" for each change. With `before` (the document as it was handed
/// out), only flags whose variant differs from `before` are applied, so a stale copy does not
/// undo changes made meanwhile through the control API.
bool apply_flagd_json(Assistant& assistant, const std::string& json, const std::string& by,
                      std::vector<std::string>* changes, std::string* error,
                      const std::string* before = nullptr);

}  // namespace gameday
