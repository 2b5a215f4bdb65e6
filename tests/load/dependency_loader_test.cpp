// Scenario files naming the per-dependency signals: alerts and SLOs with a vendor, the dependency
// SLO kinds, and the assistant's retrieval option, with their errors.
#include <catch2/catch.hpp>

#include "load/loader.hpp"
#include "config_fixture.hpp"

using namespace gameday;
using gameday::config_test::error_of;
using gameday::config_test::scenario_body_error;
using gameday::config_test::scenario_files_with;


TEST_CASE("Scenario loader reads dependency SLOs and alerts with a vendor", "[config][scenario][dependency]") {
  const MemoryFiles files = scenario_files_with(R"(assistant:
  retrieval: {rank: embeddings, top_k: 3, timeout: 1s}
slos:
  - {name: emb, sli: embedding_availability, vendor: primary, objective: 0.99}
  - {name: ehr-fast, sli: ehr_latency, threshold: 800ms, objective: 0.95}
alerts:
  - {name: Emb, type: threshold, sli: embedding_error_ratio, vendor: primary, above: 0.2}
  - {name: EhrSlow, type: threshold, sli: ehr_latency, above: 2s}
  - {name: EmbBurn, type: burn_rate, slo: emb, preset: standard_page}
)");
  const Scenario s = load_scenario("scenarios/s.yaml", files);
  REQUIRE(s.slos.size() == 2);
  CHECK(s.slos[0].sli == SloKind::kEmbeddingAvailability);
  CHECK(s.slos[0].vendor == "primary");
  CHECK(s.slos[1].threshold == 800 * kMillisecond);
  REQUIRE(s.alerts.size() == 3);
  CHECK(s.alerts[0].vendor == "primary");
  CHECK(s.alerts[1].above == Approx(2.0));
  REQUIRE(s.assistant);
  CHECK(s.assistant->retrieval.rank == RetrievalRank::kEmbeddings);
  CHECK(s.assistant->retrieval.top_k == 3);
  CHECK(s.assistant->retrieval.timeout == kSecond);
  CHECK(validate_files({"scenarios/s.yaml"}, files).empty());
}

TEST_CASE("Scenario loader rejects a vendor where it cannot apply", "[config][scenario][dependency][errors]") {
  CHECK(scenario_body_error("alerts:\n  - {name: A, type: threshold, sli: error_ratio, vendor: primary, above: 0.1}\n") ==
        "scenarios/s.yaml:5:58: key 'vendor' applies only to vendor_error_ratio, vendor_throttle_ratio and "
        "embedding_error_ratio");
  CHECK(scenario_body_error("slos:\n  - {name: a, sli: availability, vendor: primary, objective: 0.99}\n") ==
        "scenarios/s.yaml:5:34: key 'vendor' applies only to vendor_availability, vendor_throttle and "
        "embedding_availability SLOs");
  CHECK(scenario_body_error("slos:\n  - {name: a, sli: ehr_latency, objective: 0.99}\n") ==
        "scenarios/s.yaml:5:5: missing required key 'threshold'");
  CHECK(scenario_body_error("assistant:\n  retrieval: {rank: bm25}\n").find("scenarios/s.yaml:5:21: unknown retrieval rank 'bm25'") == 0);
}

TEST_CASE("validate names an alert's or SLO's unknown vendor", "[config][scenario][dependency][validate]") {
  const MemoryFiles files = scenario_files_with(R"(slos:
  - {name: v, sli: vendor_throttle, vendor: tertiary, objective: 0.99}
alerts:
  - {name: A, type: threshold, sli: vendor_error_ratio, vendor: primry, above: 0.1}
)");
  const auto problems = validate_files({"scenarios/s.yaml"}, files);
  REQUIRE(problems.size() == 2);
  CHECK(problems[0].find("scenarios/s.yaml:") == 0);
  CHECK((problems[0] + problems[1]).find("did you mean 'primary'") != std::string::npos);
}

TEST_CASE("validate refuses a vendor filter when the fakes define more vendors than the detector counts one by one", "[config][scenario][dependency][validate]") {
  MemoryFiles files = scenario_files_with(R"(alerts:
  - {name: A, type: threshold, sli: vendor_error_ratio, vendor: primary, above: 0.1}
  - {name: B, type: threshold, sli: vendor_error_ratio, above: 0.1}
)");
  std::string vendors = "vendors:\n";
  for (const char* id : {"primary", "secondary", "third", "fourth", "fifth"}) {
    vendors += "  - {id: " + std::string(id) + ", name: V, models: [m-" + id + "], ttft: 700ms, tokens_per_second: 40}\n";
  }
  files.add("fakes/vendors.yaml", vendors);
  const auto problems = validate_files({"scenarios/s.yaml"}, files);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].find("scenarios/s.yaml:5:") == 0);
  CHECK(problems[0].find("a vendor filter needs the fakes to define at most 4 vendors; these define 5") !=
        std::string::npos);
}
