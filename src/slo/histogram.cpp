#include "slo/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace gameday {
namespace {

constexpr int kBounds = LatencyBins::kPerDoubling * LatencyBins::kDoublings + 1;

// bounds[k] = 1 ms * 2^(k/8), rounded to whole microseconds. Rounding to integers keeps the
// layout identical across standard libraries even if pow() differs in the last ulp.
struct Bounds {
  std::array<Duration, kBounds> b{};
  std::array<Duration, kBounds> mid{};  // geometric middle of [b[k], b[k+1])
  Bounds() {
    for (int k = 0; k < kBounds; ++k) {
      b[k] = std::llround(static_cast<double>(kMillisecond) *
                          std::pow(2.0, static_cast<double>(k) / LatencyBins::kPerDoubling));
      mid[k] = std::llround(static_cast<double>(kMillisecond) *
                            std::pow(2.0, (k + 0.5) / LatencyBins::kPerDoubling));
    }
  }
};

const Bounds& bounds() {
  static const Bounds kTable;
  return kTable;
}

}  // namespace

int LatencyBins::bin_of(Duration latency) {
  const auto& b = bounds().b;
  // Bin i (1..kBounds) holds [b[i-1], b[i]); upper_bound gives the count of bounds <= latency.
  return static_cast<int>(std::upper_bound(b.begin(), b.end(), latency) - b.begin());
}

Duration LatencyBins::lower(int bin) {
  if (bin <= 0) return 0;
  return bounds().b[std::min(bin, kBounds) - 1];
}

Duration LatencyBins::upper(int bin) {
  if (bin >= kBounds) return bounds().b[kBounds - 1];
  return bounds().b[std::max(bin, 0)];
}

Duration LatencyBins::representative(int bin) {
  if (bin <= 0) return kMillisecond;
  if (bin >= kBounds) return bounds().b[kBounds - 1];
  return bounds().mid[bin - 1];
}

Duration latency_quantile(const LatencyCounts& counts, double q) {
  std::uint64_t n = 0;
  for (auto c : counts) n += c;
  if (n == 0) return -1;
  // Nearest rank: the smallest value with at least ceil(q * n) observations at or below it.
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(n)));
  rank = std::clamp<std::uint64_t>(rank, 1, n);
  std::uint64_t seen = 0;
  for (int i = 0; i < LatencyBins::kCount; ++i) {
    seen += counts[i];
    if (seen >= rank) return LatencyBins::representative(i);
  }
  return LatencyBins::representative(LatencyBins::kCount - 1);
}

}  // namespace gameday
