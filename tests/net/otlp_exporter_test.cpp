// The OTLP/HTTP exporter against a collector stand-in (net::HttpServer on 127.0.0.1, port 0) that
// parses what it receives with the intake. Backoffs are a millisecond; waits are for conditions.
#include <catch2/catch.hpp>

#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "net/http_server.hpp"
#include "net/otlp_exporter.hpp"
#include "net/otlp_intake.hpp"
#include "support/wait.hpp"

using namespace gameday;
using namespace gameday::net;
using test_support::kHangLimitUs;
using test_support::wait_until;

namespace {

// An export request of `spans` spans of one trace (ids derived from `seed`).
std::string export_body(int seed, int spans) {
  std::string out = R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},"scopeSpans":[{"scope":{"name":"t"},"spans":[)";
  char trace[33];
  std::snprintf(trace, sizeof trace, "%032x", seed);
  for (int i = 0; i < spans; ++i) {
    char span[17];
    std::snprintf(span, sizeof span, "%016x", i + 1);
    if (i > 0) out += ",";
    out += std::string(R"({"traceId":")") + trace + R"(","spanId":")" + span +
           R"(","name":"work","kind":1,"startTimeUnixNano":"1","endTimeUnixNano":"2"})";
  }
  return out + "]}]}]}";
}

std::string header(const ServerRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

// A collector: answers from a script (then 200 "{}"), or never (hang), and keeps what it got.
struct Collector {
  std::mutex mu;
  std::vector<ServerRequest> requests;
  std::deque<ServerResponse> script;
  bool hang = false;
  std::unique_ptr<HttpServer> server;

  Collector() {
    server = std::make_unique<HttpServer>(ExchangeHandler([this](ServerRequest req, std::shared_ptr<Exchange> ex) {
      std::unique_lock<std::mutex> lock(mu);
      requests.push_back(std::move(req));
      if (hang) {
        lock.unlock();
        ex->hang();
        return;
      }
      ServerResponse r{200, "application/json", "{}"};
      if (!script.empty()) {
        r = script.front();
        script.pop_front();
      }
      lock.unlock();
      ex->reply(r);
    }));
  }
  std::size_t received() {
    std::lock_guard<std::mutex> lock(mu);
    return requests.size();
  }
};

OtlpExporterOptions fast_options(const std::string& url) {
  OtlpExporterOptions o;
  o.url = url;
  o.timeout = kHangLimitUs;
  o.initial_backoff = kMillisecond;
  o.max_backoff = 2 * kMillisecond;
  return o;
}

// A port nobody listens on: a server's, once it has stopped.
std::string dead_url() {
  HttpServer s([](ServerRequest, ReplyFn reply) { reply({}); });
  return s.url();
}

}  // namespace

TEST_CASE("The OTLP exporter posts each export request as JSON to the collector's traces path", "[net][otlp]") {
  Collector c;
  auto o = fast_options(c.server->url() + "/");
  o.headers.emplace_back("Authorization", "Bearer token-1");
  OtlpExporter exporter(o);
  REQUIRE(exporter.submit(export_body(1, 3), 3));
  REQUIRE(exporter.submit(export_body(2, 2), 2));
  exporter.close(kHangLimitUs);
  const auto s = exporter.stats();
  CHECK(s.requests_sent == 2);
  CHECK(s.spans_sent == 5);
  CHECK(s.spans_failed == 0);
  CHECK(s.spans_dropped == 0);
  CHECK(s.retries == 0);
  REQUIRE(c.requests.size() == 2);
  IntakeBatch batch;
  for (const auto& r : c.requests) {
    CHECK(r.method == "POST");
    CHECK(r.target == "/v1/traces");
    CHECK(header(r, "Content-Type") == "application/json");
    CHECK(header(r, "Authorization") == "Bearer token-1");
    std::string error;
    REQUIRE(parse_otlp_traces(r.body, batch, error));
  }
  REQUIRE(batch.spans.size() == 5);
  CHECK(batch.spans[0].trace_id == "00000000000000000000000000000001");
  CHECK(batch.spans[3].trace_id == "00000000000000000000000000000002");
  CHECK(batch.spans[0].service_name == "svc");
}

TEST_CASE("The OTLP exporter retries a 503 after its Retry-After and counts the retries", "[net][otlp]") {
  Collector c;
  const ServerResponse busy{503, "application/json", R"({"error":"busy"})", {{"Retry-After", "0"}}};
  c.script = {busy, busy};
  OtlpExporter exporter(fast_options(c.server->url()));
  REQUIRE(exporter.submit(export_body(1, 4), 4));
  REQUIRE(wait_until([&] { return exporter.stats().requests_sent == 1; }));
  const auto s = exporter.stats();
  CHECK(s.retries == 2);
  CHECK(s.spans_sent == 4);
  CHECK(s.spans_failed == 0);
  CHECK(s.last_error == "503 Service Unavailable");
  CHECK(c.received() == 3);
}

TEST_CASE("The OTLP exporter retries 429, 502 and 504 too", "[net][otlp]") {
  Collector c;
  c.script = {ServerResponse{429, "application/json", "{}"}, ServerResponse{502, "application/json", "{}"},
              ServerResponse{504, "application/json", "{}"}};
  OtlpExporter exporter(fast_options(c.server->url()));
  REQUIRE(exporter.submit(export_body(1, 1), 1));
  REQUIRE(wait_until([&] { return exporter.stats().requests_sent == 1; }));
  CHECK(exporter.stats().retries == 3);
  CHECK(c.received() == 4);
}

TEST_CASE("The OTLP exporter does not retry a 400 or a 500 and counts their spans as failed", "[net][otlp]") {
  Collector c;
  c.script = {ServerResponse{400, "application/json", R"({"message":"bad"})"},
              ServerResponse{500, "application/json", R"({"message":"broken"})"}};
  OtlpExporter exporter(fast_options(c.server->url()));
  REQUIRE(exporter.submit(export_body(1, 3), 3));
  REQUIRE(exporter.submit(export_body(2, 2), 2));
  REQUIRE(exporter.submit(export_body(3, 1), 1));  // the next request goes on
  REQUIRE(wait_until([&] { return exporter.stats().requests_sent == 1; }));
  const auto s = exporter.stats();
  CHECK(s.spans_failed == 5);
  CHECK(s.spans_sent == 1);
  CHECK(s.retries == 0);
  CHECK(s.last_error == "500 Internal Server Error");
  CHECK(c.received() == 3);
}

TEST_CASE("The OTLP exporter counts the spans a partial success rejected as failed", "[net][otlp]") {
  Collector c;
  c.script = {ServerResponse{200, "application/json", R"({"partialSuccess":{"rejectedSpans":"2","errorMessage":"x"}})"}};
  OtlpExporter exporter(fast_options(c.server->url()));
  REQUIRE(exporter.submit(export_body(1, 5), 5));
  exporter.close(kHangLimitUs);
  const auto s = exporter.stats();
  CHECK(s.requests_sent == 1);
  CHECK(s.spans_sent == 3);
  CHECK(s.spans_failed == 2);
}

TEST_CASE("The OTLP exporter gives up on a collector nobody listens on after its attempts and still closes",
          "[net][otlp]") {
  auto o = fast_options(dead_url());
  o.max_attempts = 3;
  OtlpExporter exporter(o);
  REQUIRE(exporter.submit(export_body(1, 2), 2));
  REQUIRE(wait_until([&] { return exporter.stats().spans_failed == 2; }));
  CHECK(exporter.stats().retries == 2);
  CHECK_FALSE(exporter.stats().last_error.empty());
  exporter.close(kHangLimitUs);
  CHECK(exporter.stats().spans_dropped == 0);
  CHECK(exporter.stats().requests_sent == 0);
}

TEST_CASE("The OTLP exporter drops a submit beyond its queue and counts the spans", "[net][otlp]") {
  Collector c;
  c.hang = true;  // the first request never gets an answer: the sender stays busy
  auto o = fast_options(c.server->url());
  o.max_queue = 2;
  OtlpExporter exporter(o);
  REQUIRE(exporter.submit(export_body(1, 1), 1));
  REQUIRE(wait_until([&] { return c.received() == 1; }));
  REQUIRE(exporter.submit(export_body(2, 2), 2));
  REQUIRE(exporter.submit(export_body(3, 3), 3));
  CHECK_FALSE(exporter.submit(export_body(4, 4), 4));
  CHECK(exporter.stats().spans_dropped == 4);
  // close() gives up on the hung request within its grace: everything unsent counts as dropped.
  exporter.close(10 * kMillisecond);
  CHECK(exporter.stats().spans_dropped == 10);
  CHECK(exporter.stats().requests_sent == 0);
  CHECK_FALSE(exporter.submit(export_body(5, 5), 5));
  CHECK(exporter.stats().spans_dropped == 15);
}

TEST_CASE("The OTLP exporter's close ends a wait for a long Retry-After and counts the spans dropped", "[net][otlp]") {
  Collector c;
  c.script = {ServerResponse{503, "application/json", "{}", {{"Retry-After", "3600"}}}};
  OtlpExporter exporter(fast_options(c.server->url()));
  REQUIRE(exporter.submit(export_body(1, 3), 3));
  REQUIRE(wait_until([&] { return exporter.stats().retries == 1; }));
  exporter.close(10 * kMillisecond);
  CHECK(exporter.stats().spans_dropped == 3);
  CHECK(c.received() == 1);
}

TEST_CASE("The OTLP exporter's destructor closes it", "[net][otlp]") {
  Collector c;
  {
    OtlpExporter exporter(fast_options(c.server->url()));
    REQUIRE(exporter.submit(export_body(1, 1), 1));
  }
  CHECK(c.received() <= 1);
}

TEST_CASE("An OTLP collector URL must be http or https", "[net][otlp]") {
  CHECK_FALSE(check_otlp_url("http://localhost:4318").has_value());
  CHECK_FALSE(check_otlp_url("https://otel.example.com/v1/traces").has_value());
  for (const char* bad : {"", "localhost:4318", "ftp://x", "http://", "http:///x", "grpc://localhost:4317"}) {
    INFO(bad);
    const auto why = check_otlp_url(bad);
    REQUIRE(why.has_value());
    CHECK(*why == std::string("--otlp: expected an http:// or https:// URL, got '") + bad + "'");
  }
}

TEST_CASE("The OTLP traces endpoint is the collector URL with /v1/traces unless it already ends so", "[net][otlp]") {
  CHECK(otlp_traces_endpoint("http://h:4318") == "http://h:4318/v1/traces");
  CHECK(otlp_traces_endpoint("http://h:4318/") == "http://h:4318/v1/traces");
  CHECK(otlp_traces_endpoint("http://h/otel") == "http://h/otel/v1/traces");
  CHECK(otlp_traces_endpoint("http://h:4318/v1/traces") == "http://h:4318/v1/traces");
}
