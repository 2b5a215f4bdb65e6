#pragma once
// Seeded random streams with our own sampling functions: std:: distributions differ between
// standard libraries, and a replay must be byte-identical everywhere.
#include <cstdint>
#include <string_view>

namespace gameday {

/// One independent random stream (xoshiro256**), seeded by SplitMix64.
class Rng {
 public:
  /// A stream from a 64-bit seed.
  explicit Rng(std::uint64_t seed = 0);
  /// A stream for a named component: independent of every other name under the same root seed,
  /// so adding a draw in one component does not shift the others.
  static Rng for_component(std::uint64_t root_seed, std::string_view component);

  /// The next raw 64 random bits.
  std::uint64_t next_u64();
  /// Uniform in [0, 1).
  double uniform01();
  /// Uniform in [lo, hi).
  double uniform(double lo, double hi);
  /// Uniform integer in [0, n); n must be > 0.
  std::uint64_t below(std::uint64_t n);
  /// True with probability p.
  bool bernoulli(double p);
  /// Exponential with the given rate (mean 1/rate); rate must be > 0.
  double exponential(double rate);
  /// Standard normal (Box-Muller, both halves used).
  double normal();
  /// Normal with mean and standard deviation.
  double normal(double mean, double stddev) { return mean + stddev * normal(); }
  /// Lognormal: exp(N(mu, sigma)). The median is exp(mu).
  double lognormal(double mu, double sigma);

 private:
  std::uint64_t s_[4];
  double spare_ = 0;
  bool has_spare_ = false;
};

/// FNV-1a 64-bit hash; stable across platforms, used for stream names and pseudonyms. The
/// default basis is one digit short of FNV's offset basis (14695981039346656037); every random
/// stream's name hashes with it, so it stays (changing it would change every simulated run);
/// pseudonyms pass the full basis.
std::uint64_t fnv1a64(std::string_view s, std::uint64_t basis = 1469598103934665603ULL);

}  // namespace gameday
