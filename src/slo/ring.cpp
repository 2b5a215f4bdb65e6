#include "slo/ring.hpp"

#include <algorithm>
#include <stdexcept>

namespace gameday {

BucketRing::BucketRing(Duration width, std::size_t buckets, std::size_t stride)
    : width_(width), stride_(stride), epochs_(buckets, -1), counts_(buckets * stride, 0) {
  if (width <= 0 || buckets == 0 || stride == 0) {
    throw std::invalid_argument("BucketRing needs a positive width, bucket count and stride");
  }
}

std::uint32_t* BucketRing::at(SimTime t) {
  const std::int64_t idx = (t < 0 ? 0 : t) / width_;
  const std::size_t slot = static_cast<std::size_t>(idx) % epochs_.size();
  std::uint32_t* c = counts_.data() + slot * stride_;
  if (epochs_[slot] == idx) return c;
  // A late event whose bucket has already been reused by a newer one: too old to keep.
  if (epochs_[slot] > idx) return nullptr;
  epochs_[slot] = idx;
  std::fill(c, c + stride_, 0u);
  return c;
}

Duration BucketRing::sum(SimTime now, Duration window, std::uint64_t* out) const {
  const std::int64_t n_max = static_cast<std::int64_t>(epochs_.size());
  std::int64_t n = window <= 0 ? 1 : (window + width_ - 1) / width_;
  n = std::clamp<std::int64_t>(n, 1, n_max);
  // The newest bucket that starts before `now`: evaluations at bucket boundaries then see
  // exactly [now - window, now) rather than a window one bucket short.
  const std::int64_t hi = ((now < 0 ? 0 : now) + width_ - 1) / width_ - 1;
  for (std::int64_t idx = std::max<std::int64_t>(0, hi - n + 1); idx <= hi; ++idx) {
    const std::size_t slot = static_cast<std::size_t>(idx) % epochs_.size();
    if (epochs_[slot] != idx) continue;
    const std::uint32_t* c = counts_.data() + slot * stride_;
    for (std::size_t i = 0; i < stride_; ++i) out[i] += c[i];
  }
  return n * width_;
}

Duration BucketRing::sum_some(SimTime now, Duration window, const std::size_t* idx,
                              std::size_t n, std::uint64_t* out) const {
  const std::int64_t n_max = static_cast<std::int64_t>(epochs_.size());
  std::int64_t buckets = window <= 0 ? 1 : (window + width_ - 1) / width_;
  buckets = std::clamp<std::int64_t>(buckets, 1, n_max);
  const std::int64_t hi = ((now < 0 ? 0 : now) + width_ - 1) / width_ - 1;
  for (std::int64_t b = std::max<std::int64_t>(0, hi - buckets + 1); b <= hi; ++b) {
    const std::size_t slot = static_cast<std::size_t>(b) % epochs_.size();
    if (epochs_[slot] != b) continue;
    const std::uint32_t* c = counts_.data() + slot * stride_;
    for (std::size_t i = 0; i < n; ++i) out[i] += c[idx[i]];
  }
  return buckets * width_;
}

Duration bucket_width_for(Duration longest, std::size_t max_buckets, Duration min_width) {
  const Duration raw = (longest + static_cast<Duration>(max_buckets) - 1) /
                       static_cast<Duration>(max_buckets);
  // Round up to whole seconds so windows like 5m divide evenly.
  Duration w = ((std::max(raw, Duration{1}) + kSecond - 1) / kSecond) * kSecond;
  return std::max(w, min_width);
}

}  // namespace gameday
