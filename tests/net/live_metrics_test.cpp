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

TEST_CASE("Live metrics export the OpenTelemetry GenAI client metrics in Prometheus naming", "[net][metrics][genai]") {
  LiveMetrics m;
  CHECK(m.prometheus_text().find("gen_ai_") == std::string::npos);  // no family before a model call
  GenAiCall ok;
  ok.operation = "chat";
  ok.provider = "openai";
  ok.request_model = "nw-clinical-large";
  ok.response_model = "nw-clinical-large-0613";
  ok.duration = 300 * kMillisecond;
  ok.input_tokens = 100;
  ok.output_tokens = 20;
  ok.first_chunk = 50 * kMillisecond;
  m.observe_gen_ai(ok);
  GenAiCall throttled = ok;
  throttled.response_model.clear();
  throttled.error_type = "rate_limit_error";
  throttled.input_tokens = throttled.output_tokens = 0;
  throttled.first_chunk = -1;
  m.observe_gen_ai(throttled);
  const std::string text = m.prometheus_text();
  const std::string labels =
      "gen_ai_operation_name=\"chat\",gen_ai_provider_name=\"openai\",gen_ai_request_model=\"nw-clinical-large\"";
  CHECK(text.find("# TYPE gen_ai_client_operation_duration_seconds histogram") != std::string::npos);
  // The semantic conventions' buckets: 0.32 s holds the 300 ms call, 0.16 s does not.
  CHECK(text.find("gen_ai_client_operation_duration_seconds_bucket{" + labels +
                  ",gen_ai_response_model=\"nw-clinical-large-0613\",le=\"0.16\"} 0") != std::string::npos);
  CHECK(text.find("gen_ai_client_operation_duration_seconds_bucket{" + labels +
                  ",gen_ai_response_model=\"nw-clinical-large-0613\",le=\"0.32\"} 1") != std::string::npos);
  CHECK(text.find("gen_ai_client_operation_duration_seconds_count{error_type=\"rate_limit_error\"," + labels + "} 1") !=
        std::string::npos);
  CHECK(text.find("gen_ai_client_token_usage_sum{" + labels +
                  ",gen_ai_response_model=\"nw-clinical-large-0613\",gen_ai_token_type=\"input\"} 100") !=
        std::string::npos);
  CHECK(text.find("gen_ai_client_token_usage_sum{" + labels +
                  ",gen_ai_response_model=\"nw-clinical-large-0613\",gen_ai_token_type=\"output\"} 20") !=
        std::string::npos);
  CHECK(text.find("gen_ai_client_operation_time_to_first_chunk_seconds_count{" + labels +
                  ",gen_ai_response_model=\"nw-clinical-large-0613\"} 1") != std::string::npos);
}

TEST_CASE("A failed model call counts as its error body's type, else its status, else a timeout", "[net][metrics][genai]") {
  DependencyCall c;
  c.status = 503;
  CHECK(gen_ai_call(c, "chat", "openai", "m").error_type == "503");
  c.error_type = "server_error";
  CHECK(gen_ai_call(c, "chat", "openai", "m").error_type == "server_error");
  c = DependencyCall{};
  c.status = 0;
  CHECK(gen_ai_call(c, "chat", "openai", "m").error_type == "timeout");
  c.status = 200;
  c.resource = "m-1";
  c.input_tokens = 3;
  const GenAiCall g = gen_ai_call(c, "embeddings", "openai", "m");
  CHECK(g.error_type.empty());
  CHECK(g.response_model == "m-1");
  CHECK(g.input_tokens == 3);
}
