#pragma once
// How CI writes values and commands for people: metrics in their units, numbers, lists and
// shell words.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

}  // namespace gameday
