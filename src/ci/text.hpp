#pragma once
// How CI writes values and commands for people: metrics in their units, numbers, lists, shell
// words and the per-incident figures of a scenario.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ci/summary.hpp"

namespace gameday {

/// A metric value in its unit for people: "1m15s" for durations, "12" for counts, "0.0123"
/// for ratios, "-" when missing.
std::string format_metric(std::string_view metric, std::optional<double> value);

/// A number with at most four significant digits ("%.4g"): "10", "0.01235".
std::string format_significant(double value);

/// The parts joined with `separator` between them ("" for none).
std::string join(const std::vector<std::string>& parts, std::string_view separator);

/// `word` as one shell word: unchanged when it is made only of letters, digits and the
/// characters _ . / : = @ % + - , (and is not empty); otherwise in single quotes, a quote
/// inside written as '\''.
std::string shell_quote(const std::string& word);

/// An incident metric's p50/p90 and the runs it rests on, out of the `runs` in which the
/// incident occurred: "TTD 42.6s/43.3s (48/50 runs)", "TTR -/- (0/3 runs)".
std::string incident_figure(const IncidentSummary& incident, const char* metric);

/// Two lines per incident of `sc`, in its order, for the terminal and JUnit (empty without
/// incidents):
///   "  incident ID: in 48/50 runs; failed p90 12, unsafe p90 0"
///   "    p50/p90  TTD 42.6s/43.3s (48/48 runs)  TTM ... (46/48 runs)  TTR ... (45/48 runs)"
/// The first counts the runs in which the incident occurred out of the scenario's runs; each
/// time counts the runs that reached it out of those.
std::string incident_rows(const ScenarioSummary& sc);

}  // namespace gameday
