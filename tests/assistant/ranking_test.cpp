// Retrieval ranked by the vendor's embeddings (`retrieval: {rank: embeddings}`): the documents
// kept, their order, the fallback to unranked retrieval when the embeddings call fails, and the
// spans the request carries.
#include <catch2/catch.hpp>

#include <algorithm>

#include "fakes/embeddings.hpp"
#include "quality/judge.hpp"
#include "support/world_harness.hpp"

using namespace gameday;
using namespace gameday::testing;

namespace {

Fakes ranking_fakes(int top_k) {
  Fakes f = small_fakes();
  f.assistant.retrieval.rank = RetrievalRank::kEmbeddings;
  f.assistant.retrieval.top_k = top_k;
  return f;
}

// The policies retrieved for a benefits question (the coverage step retrieves none).
std::vector<std::string> policies(const Answer& a) { return a.retrieved_ids; }

std::size_t count_calls(const Answer& a, Dependency d) {
  return static_cast<std::size_t>(
      std::count_if(a.calls.begin(), a.calls.end(), [d](const DependencyCall& c) { return c.dependency == d; }));
}

}  // namespace

TEST_CASE("Cosine ranking keeps the k most similar candidates, ties in input order", "[assistant][ranking]") {
  const auto q = embedding_vector("physical therapy visits per year", 64);
  const std::vector<std::vector<float>> candidates = {
      embedding_vector("MRI needs prior authorization", 64),
      embedding_vector("Physical therapy: 20 visits per year are covered", 64),
      embedding_vector("MRI needs prior authorization", 64),
      embedding_vector("Dental cleaning twice a year", 64)};
  const auto top = top_k_by_similarity(q, candidates, 2);
  REQUIRE(top.size() == 2);
  CHECK(top[0] == 1);
  CHECK(top_k_by_similarity(q, candidates, 2) == top);
  // Equal vectors tie: the earlier one comes first.
  const auto mri = top_k_by_similarity(embedding_vector("MRI prior authorization", 64), candidates, 2);
  CHECK(mri == std::vector<std::size_t>{0, 2});
  CHECK(top_k_by_similarity(q, candidates, 9).size() == 4);
}

TEST_CASE("Ranked retrieval keeps the top_k policies, the one that answers among them", "[assistant][ranking]") {
  Harness h(ranking_fakes(1));
  Harness again(ranking_fakes(1));
  Rng rng(5), rng_again(5);
  int ranked = 0;
  for (int i = 0; i < 20; ++i) {
    const Task task = h.factory.random(TaskType::kBenefitsQuestion, rng);
    const Answer a = h.ask(task);
    const Answer b = again.ask(again.factory.random(TaskType::kBenefitsQuestion, rng_again));
    // The same seed ranks the same documents in the same order.
    REQUIRE(policies(a) == policies(b));
    if (a.ranking.empty()) continue;  // a plan with at most top_k policies: nothing to rank
    ++ranked;
    CHECK(a.ranking == "embeddings");
    CHECK(policies(a).size() == 1);
    CHECK(count_calls(a, Dependency::kEmbeddings) == 1);
    for (const auto& id : task.truth.supporting_docs) {
      CHECK(std::find(a.retrieved_ids.begin(), a.retrieved_ids.end(), id) != a.retrieved_ids.end());
    }
    CHECK(judge(task, a).correct);
  }
  CHECK(ranked > 0);
}

TEST_CASE("An embeddings error falls back to the first top_k documents and the span says so", "[assistant][ranking]") {
  Harness h(ranking_fakes(1));
  FaultSpec& f = h.fault("vendor:primary", "error");
  f.routes = {"embeddings"};
  h.board.activate(&f, h.scheduler.now());
  Rng rng(5);
  int unranked = 0;
  for (int i = 0; i < 20; ++i) {
    const Task task = h.factory.random(TaskType::kBenefitsQuestion, rng);
    const Answer a = h.ask(task);
    // Chat is not on the fault's routes: every answer still comes from the primary.
    REQUIRE(a.status == RequestStatus::kOk);
    REQUIRE(a.vendor == "primary");
    if (a.ranking.empty()) continue;
    ++unranked;
    CHECK(a.ranking == "unranked");
    CHECK(policies(a).size() == 1);
    CHECK(a.embedding_fault_ids == std::vector<std::string>{f.id});
    CHECK(a.model_fault_ids.empty());
    const auto embed = std::find_if(a.calls.begin(), a.calls.end(),
                                    [](const DependencyCall& c) { return c.dependency == Dependency::kEmbeddings; });
    REQUIRE(embed != a.calls.end());
    CHECK(embed->status == 503);
    CHECK(embed->vendor == "primary");
    const RequestEvent r = make_request_event(task, a, judge(task, a), 0, a.status, a.latency);
    CHECK(std::find(r.faults.begin(), r.faults.end(), f.id) != r.faults.end());
    CHECK(r.calls.size() == a.calls.size());
  }
  CHECK(unranked > 0);
}

TEST_CASE("A chat-only fault leaves embeddings alone and an embeddings fault leaves chat alone", "[assistant][ranking]") {
  Harness h(ranking_fakes(1));
  FaultSpec& chat = h.fault("vendor:primary", "error");
  chat.routes = {"chat"};
  h.board.activate(&chat, h.scheduler.now());
  Rng rng(5);
  bool saw_ranked = false;
  for (int i = 0; i < 10; ++i) {
    const Answer a = h.ask(h.factory.random(TaskType::kBenefitsQuestion, rng));
    CHECK(a.status == RequestStatus::kFallback);
    CHECK(a.cause == "vendor_error");
    if (a.ranking == "embeddings") saw_ranked = true;
    CHECK(a.embedding_fault_ids.empty());
  }
  CHECK(saw_ranked);
}

TEST_CASE("Without the retrieval option nothing is ranked and no embeddings are asked for", "[assistant][ranking]") {
  Harness h;
  Rng rng(5);
  for (int i = 0; i < 10; ++i) {
    const Answer a = h.ask(h.factory.random(TaskType::kBenefitsQuestion, rng));
    CHECK(a.ranking.empty());
    CHECK(count_calls(a, Dependency::kEmbeddings) == 0);
    CHECK(count_calls(a, Dependency::kVendor) == static_cast<std::size_t>(a.attempts));
    CHECK(count_calls(a, Dependency::kEhr) == static_cast<std::size_t>(a.ehr_calls));
  }
}
