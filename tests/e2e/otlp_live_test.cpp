// End-to-end: spans pushed live over OTLP/HTTP. `gameday drill --otlp URL` sends the drill's spans
// (in real time) to a collector while it runs, and its control port takes a service's own spans
// on POST /v1/traces (JSON only); `gameday serve --otlp URL` sends each call the fakes serve as a
// SERVER span under the caller's traceparent. The collector is a stand-in built on gameday's
// intake parser (which also checks that nothing exported holds PHI).
#include <catch2/catch.hpp>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "drill_support.hpp"
#include "e2e_support.hpp"
#include "net/http_client.hpp"
#include "otlp_collector.hpp"
#include "serve_process.hpp"
#include "support/wait.hpp"

using e2e::kCurl;
using e2e::slurp;
using e2e::TempDir;
using e2e::with_drill;

namespace {

std::uint64_t unix_nanos() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

const char* kServiceSpan =
    R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"team-answers"}}]},)"
    R"("scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",)"
    R"("name":"POST /v1/answers","kind":2,"startTimeUnixNano":"1700000000000000000",)"
    R"("endTimeUnixNano":"1700000000500000000","attributes":[{"key":"http.route","value":{"stringValue":"/v1/answers"}},)"
    R"({"key":"url.full","value":{"stringValue":"http://x/v1/answers?patient=pat-0001"}}]}]}]}]})";

}  // namespace

TEST_CASE("A drill pushes its spans live to an OTLP collector and takes a service's spans on its control port", "[e2e][drill][otlp]") {
  if (const auto why = e2e::missing("curl", "curl"); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  dir.write("span.json", kServiceSpan);
  e2e::OtlpCollector collector;
  const std::uint64_t began = unix_nanos();
  const std::string c = kCurl;
  const std::string post = c + " -X POST -w ' %{http_code}' \"$CONTROL/v1/traces\" ";
  const std::string body =
      "poll '" + std::string(e2e::kDrillRunning) + "'; " +
      post + "-H 'Content-Type: application/x-protobuf' --data-binary 'x' > protobuf.out; " +
      post + "-H 'Content-Type: application/json' -d '{\"resourceSpans\": [' > bad.out; " +
      post + "-H 'Content-Type: application/json' --data-binary @span.json > good.out; " +
      // What the export did so far is on /metrics once a batch went.
      "poll '" + c + " \"$CONTROL/metrics\" | grep -q \"^gameday_otlp_export_spans{outcome=.sent.} [1-9]\"'";
  REQUIRE(with_drill(dir,
                     "'" + std::string(GAMEDAY_SOURCE_DIR) + "/scenarios/vendor-latency-spike.yaml' --duration 1m " +
                         "--speed 6 -q --out out --otlp " + collector.server.url(),
                     body) == 0);
  INFO(slurp(dir / "drill.err"));
  REQUIRE((slurp(dir / "drill.code") == "0\n" || slurp(dir / "drill.code") == "1\n"));
  // The intake: JSON only, a body that is not an export request named, a good one accepted.
  CHECK(slurp(dir / "protobuf.out").find(" 415") != std::string::npos);
  CHECK(slurp(dir / "protobuf.out").find("http/json") != std::string::npos);
  CHECK(slurp(dir / "bad.out").find(" 400") != std::string::npos);
  CHECK(slurp(dir / "bad.out").find("line 1") != std::string::npos);
  CHECK(slurp(dir / "good.out") == "{} 200");
  // The service's span joined the drill's traces file, without its URL (not on the allow-list).
  const std::string traces = slurp(dir / "out/traces.otlp.jsonl");
  CHECK(traces.find("5b8efff798038103d269b633813fc60c") != std::string::npos);
  CHECK(traces.find("\"team-answers\"") != std::string::npos);
  CHECK(traces.find("pat-0001") == std::string::npos);

  // The collector got the drill's requests and the service's span, in real time, with no PHI
  // (its intake would have dropped any).
  std::lock_guard<std::mutex> lock(collector.mu);
  int answers = 0, chats = 0, service = 0;
  for (const auto& s : collector.batch.spans) {
    answers += s.name.rfind("answer ", 0) == 0;
    chats += s.name.rfind("chat ", 0) == 0;
    service += s.trace_id == "5b8efff798038103d269b633813fc60c";
    if (s.name.rfind("answer ", 0) == 0) {
      CHECK(s.start_unix_nano >= began - 1'000'000'000ULL);
      CHECK(s.start_unix_nano <= unix_nanos());
    }
  }
  CHECK(answers > 20);
  CHECK(chats > 20);
  CHECK(service == 1);
  CHECK(collector.batch.rejected == 0);
  for (const auto& t : collector.content_types) CHECK(t == "application/json");
}

TEST_CASE("gameday serve --otlp sends each call the fakes serve as a server span under the caller's traceparent", "[e2e][serve][otlp]") {
  TempDir dir;
  e2e::OtlpCollector collector;
  e2e::ServeProcess serve(dir, std::vector<std::string>{"--otlp", collector.server.url()});
  gameday::HttpRequest r;
  r.method = "POST";
  r.url = serve.url("vendor") + "/chat/completions";
  r.headers = {{"Content-Type", "application/json"},
               {"Authorization", "Bearer sk-test"},
               {"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}};
  r.body = R"({"model":"nw-clinical-large","messages":[{"role":"user","content":"Question: what is covered?\n[doc:d1] Physical therapy is covered."}]})";
  r.timeout = 10 * gameday::kSecond;
  REQUIRE(gameday::net::http_request(r).status == 200);
  gameday::HttpRequest fhir;
  fhir.url = serve.url("ehr") + "/Coverage?patient=pat-0001";
  fhir.timeout = 10 * gameday::kSecond;
  REQUIRE(gameday::net::http_request(fhir).status == 200);
  // Batches go within a second; stopping sends what is left.
  REQUIRE(test_support::wait_until([&] { return collector.spans() >= 2; }));
  // The export's counts and the GenAI metrics of the call are on /metrics.
  gameday::HttpRequest metrics;
  metrics.url = serve.url("control") + "/metrics";
  metrics.timeout = 10 * gameday::kSecond;
  REQUIRE(test_support::wait_until([&] {
    return gameday::net::http_request(metrics).body.find("gameday_otlp_export_spans{outcome=\"sent\"} 2") !=
           std::string::npos;
  }));
  CHECK(gameday::net::http_request(metrics).body.find("gen_ai_client_token_usage_count{") != std::string::npos);
  REQUIRE(serve.stop() == 0);
  std::lock_guard<std::mutex> lock(collector.mu);
  const gameday::IntakeSpan* chat = nullptr;
  const gameday::IntakeSpan* ehr = nullptr;
  for (const auto& s : collector.batch.spans) {
    if (s.name == "chat nw-clinical-large") chat = &s;
    if (s.name == "GET") ehr = &s;  // the intake keeps no path in a name
  }
  REQUIRE(chat != nullptr);
  CHECK(chat->trace_id == "4bf92f3577b34da6a3ce929d0e0e4736");
  CHECK(chat->parent_span_id == "00f067aa0ba902b7");
  CHECK(chat->kind == 2);
  CHECK(chat->service_name == "gameday-fakes");
  bool tokens = false;
  for (const auto& a : chat->attributes) tokens = tokens || a.key == "gen_ai.usage.output_tokens";
  CHECK(tokens);
  REQUIRE(ehr != nullptr);
  CHECK(ehr->parent_span_id.empty());  // no traceparent: a trace of its own
  CHECK(ehr->trace_id.size() == 32);
}

TEST_CASE("drill and serve refuse an --otlp that is not an http URL, and drill a bad --trace-sample, with exit 2", "[e2e][otlp][errors]") {
  const auto drill = e2e::gameday("drill scenarios/vendor-latency-spike.yaml --otlp ftp://collector:4318");
  CHECK(drill.code == 2);
  CHECK(drill.err.find("--otlp: expected an http:// or https:// URL, got 'ftp://collector:4318'") != std::string::npos);
  const auto serve = e2e::gameday("serve --otlp collector:4318");
  CHECK(serve.code == 2);
  CHECK(serve.err.find("--otlp") != std::string::npos);
  const auto sample = e2e::gameday("drill scenarios/vendor-latency-spike.yaml --trace-sample 1.5");
  CHECK(sample.code == 2);
  CHECK(sample.err.find("--trace-sample") != std::string::npos);
}
