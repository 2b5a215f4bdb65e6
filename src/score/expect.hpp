#pragma once
// Scenario expectations: parsing and the kinds of their values. Grammar (one per `expect` item):
//
//   expectation := subject OP value | "alert(" NAME ").fired"
//   subject     := METRIC                          the run: ttd, unsafe, exposure, incidents, ...
//                | "incident(" ID ")." METRIC      one incident: ttd, ttm, unsafe, failed, ...
//                | "background." METRIC            harm with no fault: failed, slow, unsafe, harmed
//                | "alert(" NAME ").count"         how many times it fired
//                | "playbook(" NAME ").outcome"    completed | aborted | rolled_back |
//                                                  interrupted | failed (= did not complete) |
//                                                  the outcome of one of its end steps
//                | "playbook(" NAME ").runs"
//                | "final.route" | "final.prompt" | "final.mode" | "final.flag(" NAME ")"
//   OP          := <= | < | >= | > | == | !=       (named values: == and != only)
//   value       := a duration (3m) for time metrics, or `none` (a time that never came);
//                  a number for counts and ratios; a name for outcomes and final state
//
// ID is an incident id (a fault id or an `incident:` name; a relapse is ID#2, ID#3, ...) or
// the id of a fault: the first incident whose harm that fault caused.
#include <optional>
#include <string>
#include <string_view>

#include "spec/model.hpp"

namespace gameday {

/// The metrics an expectation may name and what kind of value each takes.
enum class MetricKind { kDuration, kCount, kRatio, kName, kFlag };

/// The kind of `metric` within `scope`, or nullopt when that scope has no such metric.
std::optional<MetricKind> metric_kind(ExpectScope scope, std::string_view metric);
/// The kind of a run-level metric (ci summaries and baselines use run metrics only).
std::optional<MetricKind> metric_kind(std::string_view metric);

/// The metric names of `scope`, comma-separated, for error messages.
std::string known_metrics(ExpectScope scope = ExpectScope::kRun);

/// Parses an expectation (see the grammar above). On failure returns nullopt and sets `error`
/// to a one-line reason naming what was expected.
std::optional<Expectation> parse_expectation(std::string_view text, std::string* error);

/// Whether `actual op expected` holds for a numeric or time metric. A missing actual (the event
/// never happened) fails, except against `none`: `== none` holds exactly when it is missing.
bool expectation_holds(const Expectation& e, std::optional<double> actual);

/// Whether a named value holds: `actual == word` or `!=`; a missing actual fails `==`.
bool expectation_holds(const Expectation& e, const std::optional<std::string>& actual);

}  // namespace gameday
