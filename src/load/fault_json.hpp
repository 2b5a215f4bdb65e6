#pragma once
// A fault written back in the scenario syntax (the inverse of parse_fault), for the control
// APIs' fault listings: what GET /faults returns can be POSTed again unchanged.
#include <nlohmann/json.hpp>

#include "spec/fault.hpp"

namespace gameday {

/// The fault as a JSON object in the scenario syntax: id, target, kind, `for` (when set),
/// probability, every_nth / first_n / task_types / models (when set), then the parameters of
/// its kind from the kind's field table (durations as exact duration strings, distributions as
/// a duration or a {dist: ...} mapping, enums by name; empty strings left out).
/// parse_fault(fault_to_json(f).dump()) gives back f (without `at` and source positions).
nlohmann::ordered_json fault_to_json(const FaultSpec& f);

/// A duration distribution in the scenario syntax: "12s" when fixed, else a mapping such as
/// {"dist": "lognormal", "median": "12s", "sigma": 0.3}.
nlohmann::ordered_json dist_to_json(const DurationDist& d);

}  // namespace gameday
