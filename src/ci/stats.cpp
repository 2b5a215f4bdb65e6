#include "ci/stats.hpp"

#include <algorithm>
#include <cmath>

namespace gameday {

std::optional<double> percentile(std::vector<double> values, double p) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  const double n = static_cast<double>(values.size());
  long rank = static_cast<long>(std::ceil(p * n / 100.0 - kCiEpsilon));
  rank = std::clamp(rank, 1L, static_cast<long>(values.size()));
  return values[static_cast<std::size_t>(rank - 1)];
}

MetricStats metric_stats(const std::vector<double>& values, int missing) {
  MetricStats st;
  st.samples = static_cast<int>(values.size());
  st.missing = missing;
  st.p50 = percentile(values, 50);
  st.p90 = percentile(values, 90);
  return st;
}

}  // namespace gameday
