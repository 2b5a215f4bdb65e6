#pragma once
// A metric's distribution across a scenario's runs: nearest-rank percentiles.
#include <optional>
#include <vector>

namespace gameday {

/// Slack for comparisons of derived doubles (a rank p × n / 100, baseline × 1.1 + slack), so
/// they do not flip on rounding noise.
inline constexpr double kCiEpsilon = 1e-9;

/// The nearest-rank percentile (`p` in (0, 100]) of `values`: the smallest value such that at
/// least p% of the values are <= it (always one of the values). nullopt when `values` is empty.
std::optional<double> percentile(std::vector<double> values, double p);

/// A metric's distribution across a scenario's runs.
struct MetricStats {
  std::optional<double> p50;
  std::optional<double> p90;
  int samples = 0;  ///< runs in which it happened
  int missing = 0;  ///< runs in which it did not (excluded from the percentiles)
};

/// The stats of one metric: p50 and p90 of `values` (the runs in which it happened), and
/// `missing` runs in which it did not.
MetricStats metric_stats(const std::vector<double>& values, int missing);

}  // namespace gameday
