#pragma once
// Scenario expectations such as "ttd <= 3m" or "unsafe <= 0": parsing and evaluation.
#include <optional>
#include <string>
#include <string_view>

#include "spec/model.hpp"

namespace gameday {

/// The metrics an expectation may name and what kind of value each takes.
enum class MetricKind { kDuration, kCount, kRatio };

/// The kind of `metric`, or nullopt when gameday has no such metric.
std::optional<MetricKind> metric_kind(std::string_view metric);

/// Every metric name, comma-separated, for error messages.
const char* known_metrics();

/// Parses "metric op value" (value: a duration like 3m for time metrics, a number otherwise).
/// On failure returns nullopt and sets `error` to a one-line reason.
std::optional<Expectation> parse_expectation(std::string_view text, std::string* error);

/// Whether `actual op expected` holds. A missing actual (the event never happened) fails.
bool expectation_holds(const Expectation& e, std::optional<double> actual);

}  // namespace gameday
