#pragma once
// Virtual and real time share one representation: integer microseconds since scenario start.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gameday {

/// Microseconds since the scenario started. Simulation and live mode both use it.
using SimTime = std::int64_t;
/// A signed span of time in microseconds.
using Duration = std::int64_t;

inline constexpr Duration kMicrosecond = 1;
inline constexpr Duration kMillisecond = 1000;
inline constexpr Duration kSecond = 1000 * kMillisecond;
inline constexpr Duration kMinute = 60 * kSecond;
inline constexpr Duration kHour = 60 * kMinute;
/// A time that never comes; used for "not yet" and "never".
inline constexpr SimTime kNever = INT64_MAX;

/// Converts microseconds to (fractional) seconds for reports.
inline double to_seconds(Duration d) { return static_cast<double>(d) / 1e6; }

/// Formats a time as a compact human duration: "1h02m03s", "4m05s", "12.5s", "250ms".
std::string format_duration(Duration d);

/// Formats a duration exactly, in the largest unit that divides it ("2h", "90s", "250ms",
/// "1500us", "0s"), so that parse_duration reads back the same value.
std::string format_duration_exact(Duration d);

/// The longest duration any input may spell: 3650 days. Sums of two such values (a fault's
/// `at` + `for`) cannot overflow SimTime.
inline constexpr Duration kMaxDuration = 3650LL * 24 * kHour;

/// Parses a duration such as "250ms", "30s", "5m", "1h", "1h30m", "1.5s" or "0".
/// Returns nullopt for anything else ("5 minutes", "-3s", "") and for values over
/// kMaxDuration (checked before any arithmetic can overflow).
std::optional<Duration> parse_duration(std::string_view text);

/// As parse_duration; on failure sets `*error` (when given) to why: "is not a duration" or
/// "is longer than the limit of 3650d".
std::optional<Duration> parse_duration(std::string_view text, std::string* error);

/// Formats a time since start as "T+mm:ss" (or "T+h:mm:ss") for timelines.
std::string format_offset(SimTime t);

}  // namespace gameday
