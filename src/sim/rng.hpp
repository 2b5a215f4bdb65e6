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

/// FNV-1a 64-bit's offset basis and prime (pseudonyms hash with the full basis).
inline constexpr std::uint64_t kFnvOffsetBasis = 14695981039346656037ULL;
inline constexpr std::uint64_t kFnvPrime = 1099511628211ULL;

/// The basis random stream names hash with: one digit short of kFnvOffsetBasis since the first
/// release, and kept so. Every synthetic world (which patients exist, their coverage, prior
/// auths and notes) is drawn from streams named with it, and golden sets, ours and users', name
/// the patients whose records they expect: with the full basis the embedded default's golden
/// check fails ("cannot build a prior_auth_status task for ...") and so would every user's.
inline constexpr std::uint64_t kStreamNameBasis = 1469598103934665603ULL;

/// FNV-1a 64-bit hash; stable across platforms. The default basis is the stream names' (above).
std::uint64_t fnv1a64(std::string_view s, std::uint64_t basis = kStreamNameBasis);

/// SplitMix64's finalizer: every bit of `x` moves every bit of the result. FNV-1a alone leaves
/// the high bits of hashes of strings that differ only at the end nearly equal.
std::uint64_t mix64(std::uint64_t x);

}  // namespace gameday
