#include "fakes/embeddings.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <string>

#include "sim/rng.hpp"

namespace gameday {
namespace {

// SplitMix64's finalizer: spreads a word's hash over the buckets.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

}  // namespace

std::vector<float> embedding_vector(std::string_view input, int dimensions) {
  const std::size_t dims = static_cast<std::size_t>(std::max(1, dimensions));
  std::vector<double> v(dims, 0.0);
  bool any = false;
  std::string word;
  auto flush = [&] {
    if (word.empty()) return;
    const std::uint64_t h = mix(fnv1a64(word));
    v[h % dims] += (h >> 63) ? -1.0 : 1.0;
    // A second, weaker bucket keeps words from colliding into the same vector.
    const std::uint64_t h2 = mix(h);
    v[h2 % dims] += (h2 >> 63) ? -0.5 : 0.5;
    any = true;
    word.clear();
  };
  for (char c : input) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || u >= 0x80) {
      word += static_cast<char>(std::tolower(u));
    } else {
      flush();
    }
  }
  flush();
  double norm = 0;
  for (double x : v) norm += x * x;
  if (!any || norm == 0) {
    const std::uint64_t seed = fnv1a64(input);
    for (std::size_t i = 0; i < dims; ++i) {
      v[i] = static_cast<double>(mix(seed + i) >> 11) / 9007199254740992.0 * 2.0 - 1.0;
    }
    norm = 0;
    for (double x : v) norm += x * x;
  }
  const double scale = norm > 0 ? 1.0 / std::sqrt(norm) : 0.0;
  std::vector<float> out(dims);
  for (std::size_t i = 0; i < dims; ++i) out[i] = static_cast<float>(v[i] * scale);
  return out;
}

double cosine_similarity(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.empty() || a.size() != b.size()) return 0;
  double dot = 0, na = 0, nb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
  }
  if (na <= 0 || nb <= 0) return 0;
  return dot / std::sqrt(na * nb);
}

std::vector<std::size_t> top_k_by_similarity(const std::vector<float>& query,
                                             const std::vector<std::vector<float>>& candidates,
                                             std::size_t k) {
  std::vector<double> score(candidates.size());
  for (std::size_t i = 0; i < candidates.size(); ++i) score[i] = cosine_similarity(query, candidates[i]);
  std::vector<std::size_t> order(candidates.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  // stable_sort keeps the earlier candidate first on a tie.
  std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return score[x] > score[y]; });
  if (order.size() > k) order.resize(k);
  return order;
}

}  // namespace gameday
