#include "sim/distribution.hpp"

#include <cmath>
#include <cstdio>

namespace gameday {

Duration sample(const DurationDist& d, Rng& rng) {
  double v = 0;
  switch (d.kind) {
    case DistKind::kFixed:
      return d.value < 0 ? 0 : d.value;
    case DistKind::kUniform:
      v = rng.uniform(static_cast<double>(d.min), static_cast<double>(d.max));
      break;
    case DistKind::kExponential:
      v = d.mean > 0 ? rng.exponential(1.0 / static_cast<double>(d.mean)) : 0;
      break;
    case DistKind::kLognormal:
      v = d.median > 0 ? rng.lognormal(std::log(static_cast<double>(d.median)), d.sigma) : 0;
      break;
  }
  if (v < 0) v = 0;
  return static_cast<Duration>(std::llround(v));
}

std::string describe(const DurationDist& d) {
  switch (d.kind) {
    case DistKind::kFixed:
      return format_duration(d.value);
    case DistKind::kUniform:
      return "uniform(" + format_duration(d.min) + ".." + format_duration(d.max) + ")";
    case DistKind::kExponential:
      return "exponential(mean=" + format_duration(d.mean) + ")";
    case DistKind::kLognormal: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g", d.sigma);
      return "lognormal(median=" + format_duration(d.median) + ", sigma=" + buf + ")";
    }
  }
  return "?";
}

}  // namespace gameday
