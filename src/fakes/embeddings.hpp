#pragma once
// The fake vendor's embeddings: deterministic hashed word vectors (the live /v1/embeddings and
// the simulated vendor serve the same ones), and the cosine ranking the reference assistant's
// retrieval uses, so a simulated run and a live drill rank documents alike.
#include <cstddef>
#include <string_view>
#include <vector>

namespace gameday {

/// Dimensions of the vectors the reference assistant asks for.
inline constexpr int kAssistantEmbeddingDimensions = 64;

/// A deterministic unit vector for `input`: its lowercase words hashed into `dimensions` signed
/// buckets (so texts sharing words point the same way), or, for text without words, hashed
/// noise. The same input and dimensions always give the same vector.
std::vector<float> embedding_vector(std::string_view input, int dimensions);

/// The cosine similarity of two vectors (0 when either is empty or zero, or their sizes differ).
double cosine_similarity(const std::vector<float>& a, const std::vector<float>& b);

/// The indices of the `k` candidates most similar to `query`, most similar first (ties: the
/// earlier candidate); every index when there are at most k. Deterministic.
std::vector<std::size_t> top_k_by_similarity(const std::vector<float>& query,
                                             const std::vector<std::vector<float>>& candidates,
                                             std::size_t k);

}  // namespace gameday
