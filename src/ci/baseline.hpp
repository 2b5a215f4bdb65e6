#pragma once
// Comparison of a CI summary with an earlier one (the baseline): a metric regresses when its
// p50 or p90 got worse beyond a tolerance, or when it stopped happening in more runs.
#include <string_view>

#include "ci/summary.hpp"

namespace gameday {

/// How much worse than the baseline a metric may get before it is a regression:
/// allowed = baseline × (1 + relative) + absolute.
struct Tolerance {
  double relative = 0.1;
  double absolute = 0;
};

/// The default tolerance of a CI metric: 10% relative plus 30 s (ttd, tta), 60 s (ttm, ttr),
/// 5 failed requests, 0 unsafe answers, 0.005 for failed_ratio.
Tolerance default_tolerance(std::string_view metric);

/// The tolerance `s` allows for `metric`: its override as an absolute slack (no relative part)
/// when it has one, else the default.
Tolerance tolerance_for(const ScenarioSummary& s, std::string_view metric);

/// Compares `current` with `baseline` scenario by scenario (scenarios missing from either side
/// are skipped) and records the outcome in `current` (regressions, baseline_ok). A metric
/// regresses when its p50 or p90 exceeds the baseline's by more than the tolerance, or when it
/// is missing (never happened) in a larger share of runs than in the baseline. Tolerances come
/// from `current`'s plan first, then the baseline scenario's overrides (copied into `current`'s
/// plan, so they carry on to the next baseline), then the defaults.
void compare_with_baseline(CiSummary& current, const CiSummary& baseline);

}  // namespace gameday
