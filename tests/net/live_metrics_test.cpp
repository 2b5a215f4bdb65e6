// The dependency-call series a drill exports on /metrics: the names and labels the rules of
// `gameday slo rules` read, started at 0 and counted from each request's calls.
#include <catch2/catch.hpp>

#include <string>

#include "net/live_metrics.hpp"
#include "slo/prom_rules.hpp"

using namespace gameday;
using namespace gameday::net;

TEST_CASE("Live metrics count each request's dependency calls by dependency, vendor and outcome", "[net][metrics][dependency]") {
  LiveMetrics m;
  const std::vector<SloSpec> slos = {SloSpec{"emb", SloKind::kEmbeddingAvailability, 0.99, 0, kHour, "primary"},
                                     SloSpec{"availability", SloKind::kAvailability, 0.99, 0, kHour}};
  m.set_slos(slos, {"primary", "secondary"});
  const std::string before = m.prometheus_text();
  // Every series the rules read exists before the first call, at 0.
  CHECK(before.find("gameday_dependency_calls_total{dependency=\"embeddings\",outcome=\"error\",vendor=\"primary\"} 0") !=
        std::string::npos);
  CHECK(before.find("gameday_dependency_calls_total{dependency=\"ehr\",outcome=\"ok\",vendor=\"\"} 0") != std::string::npos);
  CHECK(before.find("gameday_dependency_calls_total{dependency=\"vendor\",outcome=\"throttled\",vendor=\"secondary\"} 0") !=
        std::string::npos);
  RequestEvent r;
  r.calls = {DependencyCall{Dependency::kEhr, "", 200, 40 * kMillisecond},
             DependencyCall{Dependency::kEmbeddings, "primary", 503, 10 * kMillisecond},
             DependencyCall{Dependency::kVendor, "primary", 429, kSecond},
             DependencyCall{Dependency::kVendor, "secondary", 200, kSecond}};
  m.observe_request(r);
  const std::string after = m.prometheus_text();
  CHECK(after.find("gameday_dependency_calls_total{dependency=\"embeddings\",outcome=\"error\",vendor=\"primary\"} 1") !=
        std::string::npos);
  CHECK(after.find("gameday_dependency_calls_total{dependency=\"vendor\",outcome=\"throttled\",vendor=\"primary\"} 1") !=
        std::string::npos);
  CHECK(after.find("gameday_dependency_calls_total{dependency=\"vendor\",outcome=\"ok\",vendor=\"secondary\"} 1") !=
        std::string::npos);
  CHECK(after.find("gameday_dependency_call_duration_seconds_count{dependency=\"ehr\"} 1") != std::string::npos);
  // The dependency SLO counts calls (one bad embeddings call); the user SLO counts the request.
  CHECK(after.find("gameday_slo_events_total{good=\"false\",slo=\"emb\"} 1") != std::string::npos);
  CHECK(after.find("gameday_slo_events_total{good=\"true\",slo=\"emb\"} 0") != std::string::npos);
  CHECK(after.find("gameday_slo_events_total{good=\"true\",slo=\"availability\"} 1") != std::string::npos);
}
