#pragma once
// A random duration (or number) described as data, e.g. a human's reaction time or a fault delay.
#include <string>
#include <string_view>

#include "sim/rng.hpp"
#include "sim/time.hpp"

namespace gameday {

/// The shape of a distribution.
enum class DistKind { kFixed, kUniform, kExponential, kLognormal };

/// "fixed", "uniform", "exponential", "lognormal" (the `dist` of a distribution in files; a
/// vocabulary in the sense of spec/names.hpp).
constexpr std::string_view name_of(DistKind k) {
  switch (k) {
    case DistKind::kFixed: return "fixed";
    case DistKind::kUniform: return "uniform";
    case DistKind::kExponential: return "exponential";
    case DistKind::kLognormal: return "lognormal";
  }
  return {};
}

/// A distribution of durations. Fields used per kind:
/// fixed: `value`; uniform: `min`..`max`; exponential: `mean`; lognormal: `median`, `sigma`.
struct DurationDist {
  DistKind kind = DistKind::kFixed;
  Duration value = 0;
  Duration min = 0;
  Duration max = 0;
  Duration mean = 0;
  Duration median = 0;
  double sigma = 0;
};

/// Draws one duration (never negative) from `d` using `rng`.
Duration sample(const DurationDist& d, Rng& rng);

/// A one-line description, e.g. "lognormal(median=2m, sigma=0.5)".
std::string describe(const DurationDist& d);

}  // namespace gameday
