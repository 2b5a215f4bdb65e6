#pragma once
// Time-bucketed counters with bounded memory: a ring of fixed-width buckets, each a small array
// of counters. Adding is O(1); a window sum adds the buckets it covers.
#include <cstdint>
#include <vector>

#include "sim/time.hpp"

namespace gameday {

/// A ring of `buckets` time buckets of `width` each, every bucket holding `stride` counters.
/// Bucket k covers [k*width, (k+1)*width). Buckets older than the ring's span are forgotten.
class BucketRing {
 public:
  /// `width` > 0, `buckets` > 0, `stride` > 0.
  BucketRing(Duration width, std::size_t buckets, std::size_t stride);

  /// The counters of the bucket holding time `t`, zeroed first if the slot held an older bucket;
  /// nullptr when `t` is older than what the ring still holds (the event is dropped).
  std::uint32_t* at(SimTime t);

  /// Adds into `out` (stride values) the counters of the window ending at `now`: the
  /// `n = max(1, ceil(window / width))` buckets that start before `now` (n clamped to the ring's
  /// span). When `now` is a bucket boundary this is exactly [now − n·width, now); otherwise the
  /// newest bucket is the partial one holding `now`. Returns the span covered (n * width).
  Duration sum(SimTime now, Duration window, std::uint64_t* out) const;

  /// Like sum() over the same buckets, but adds only the `n` counters whose indexes are in
  /// `idx` into out[0..n): cheaper when a rule needs two counters of a wide bucket.
  Duration sum_some(SimTime now, Duration window, const std::size_t* idx, std::size_t n,
                    std::uint64_t* out) const;

  /// Bucket width.
  Duration width() const { return width_; }
  /// The longest window the ring can answer (width * buckets).
  Duration span() const { return width_ * static_cast<Duration>(epochs_.size()); }
  /// Counters per bucket.
  std::size_t stride() const { return stride_; }

 private:
  Duration width_;
  std::size_t stride_;
  std::vector<std::int64_t> epochs_;  // bucket index held by each slot, -1 = empty
  std::vector<std::uint32_t> counts_;
};

/// A bucket width for a ring that must answer windows up to `longest` with at most
/// `max_buckets` buckets: whole seconds, at least `min_width`.
Duration bucket_width_for(Duration longest, std::size_t max_buckets, Duration min_width = kSecond);

}  // namespace gameday
