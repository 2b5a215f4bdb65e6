#pragma once
// A fixed log-scale latency histogram layout: percentiles over any window are computed by adding
// the per-bucket counts, so the layout must be the same everywhere.
#include <array>
#include <cstdint>

#include "sim/time.hpp"

namespace gameday {

/// Latency bins: bin 0 holds latencies below 1 ms; then 8 bins per doubling from 1 ms up to
/// 2^20 ms (about 17.5 min); the last bin holds everything above. Relative bin width is
/// 2^(1/8) ≈ 9 %, so a percentile read from the bins is within about 4.5 % of the true value.
class LatencyBins {
 public:
  /// Bins per doubling of latency.
  static constexpr int kPerDoubling = 8;
  /// Number of doublings covered above 1 ms.
  static constexpr int kDoublings = 20;
  /// Total number of bins (underflow + log bins + overflow).
  static constexpr int kCount = kPerDoubling * kDoublings + 2;

  /// The bin holding `latency` (negative latencies go to bin 0). O(log kCount), no allocation.
  static int bin_of(Duration latency);
  /// Inclusive lower bound of `bin` (0 for bin 0).
  static Duration lower(int bin);
  /// Exclusive upper bound of `bin` (the lower bound for the overflow bin).
  static Duration upper(int bin);
  /// The value reported for a percentile that falls into `bin`: the geometric middle of a log
  /// bin, 1 ms for the underflow bin, the lower bound for the overflow bin.
  static Duration representative(int bin);
};

/// Counts per latency bin.
using LatencyCounts = std::array<std::uint64_t, LatencyBins::kCount>;

/// The q-quantile (0 < q <= 1, e.g. 0.95) of the latencies counted in `counts` (nearest rank,
/// reported as the bin's representative value); -1 when the counts are empty.
Duration latency_quantile(const LatencyCounts& counts, double q);

}  // namespace gameday
