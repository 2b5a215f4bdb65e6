#pragma once
// The limits the loader enforces on input files, so that a small file cannot ask for unbounded
// memory or time. Each is listed, with what a user sees on hitting it, in docs/limits.md.
#include <cstddef>
#include <cstdint>

#include "sim/time.hpp"

namespace gameday::limits {

/// Largest input file (scenario, playbook, golden set, fakes file) read at all: 4 MiB. The
/// shipped files are all under 16 KiB.
inline constexpr std::uintmax_t kMaxInputFileBytes = 4u << 20;
/// Most nodes plus characters that YAML aliases may add to a document when expanded (each
/// `*name` counts the whole subtree it repeats): 1 Mi. Stops "billion laughs" documents.
inline constexpr std::uint64_t kMaxAliasExpansion = 1u << 20;

/// Highest `workload.rate`, in requests per second.
inline constexpr double kMaxRatePerSecond = 10000;
/// Longest scenario `duration`.
inline constexpr Duration kMaxRunDuration = 30LL * 24 * kHour;
/// Most user requests a run may expect (`rate` × `duration`): 10 million, e.g. 500 req/s for
/// five and a half hours. Each costs about 650 bytes of memory and 600 bytes of journal.
inline constexpr double kMaxExpectedRequests = 10e6;
/// Shortest `evaluation_interval`.
inline constexpr Duration kMinEvaluationInterval = kSecond;
/// Most detector evaluations in a run (`duration` / `evaluation_interval`).
inline constexpr std::int64_t kMaxEvaluations = 1000000;
/// Shortest `probes.every`.
inline constexpr Duration kMinProbeInterval = kSecond;
/// Most scheduled probe runs in a run (`duration` / `probes.every`); each runs a golden set.
inline constexpr std::int64_t kMaxProbeRuns = 100000;

/// Most windows of one fault's `repeat` (`times`); each window journals a fault_start and a
/// fault_end and schedules two events.
inline constexpr long long kMaxFaultRepeats = 10000;

/// Longest value echoed back in an error message; longer ones are cut with "…".
inline constexpr std::size_t kMaxEchoedChars = 80;
/// Longest unknown key or value for which "did you mean" suggestions are computed (the edit
/// distance is quadratic in length).
inline constexpr std::size_t kMaxSuggestionLength = 64;
/// Longest scenario `name` (it names the reports directory).
inline constexpr std::size_t kMaxNameLength = 128;

}  // namespace gameday::limits
