// End-to-end: the official OpenTelemetry JS SDK and its OTLP/HTTP JSON exporter (tests/node) send
// spans to gameday's OTLP intake (net/otlp_intake.hpp) served on a net::HttpServer, and a Node
// service started with tests/node/otel_register.mjs propagates W3C traceparent on its calls.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sys/wait.h>

#include <cstdlib>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "assistant/phi.hpp"
#include "e2e_support.hpp"
#include "net/http_client.hpp"
#include "net/http_server.hpp"
#include "net/otlp_intake.hpp"
#include "otlp_collector.hpp"
#include "node_clients.hpp"
#include "support/wait.hpp"

using e2e::slurp;
using e2e::TempDir;
using nlohmann::json;

namespace {

bool lowercase_hex(const std::string& s, std::size_t size) {
  return s.size() == size && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

TEST_CASE("The official OpenTelemetry exporter's spans reach the intake with hex ids, allow-listed attributes and no PHI",
          "[e2e][otlp][node]") {
  if (const auto why = e2e::missing_node({"@opentelemetry/exporter-trace-otlp-http", "@opentelemetry/sdk-trace-base",
                                          "@opentelemetry/resources", "@opentelemetry/api"});
      !why.empty()) {
    return e2e::skip_because(why);
  }
  TempDir dir;
  e2e::OtlpCollector intake;
  const std::string cmd = "cd '" + e2e::kNodeDir.string() + "' && timeout 120 node otlp_export.mjs '" +
                          intake.server.url() + "' > '" + (dir / "node.out").string() + "' 2> '" +
                          (dir / "node.err").string() + "' < /dev/null";
  const int status = std::system(cmd.c_str());
  const std::string out = slurp(dir / "node.out");
  INFO("stdout:\n" << out << "\nstderr:\n" << slurp(dir / "node.err"));
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  const json printed = json::parse(out);
  CHECK(printed["warnings"].empty());  // no partial success, no export error
  std::lock_guard<std::mutex> lock(intake.mu);
  for (const auto& t : intake.content_types) CHECK(t == "application/json");
  const auto& spans = intake.batch.spans;
  REQUIRE(spans.size() == printed["sent"].size());
  CHECK(intake.batch.rejected == 0);
  std::set<std::string> names;
  for (const auto& s : spans) {
    INFO(s.name);
    names.insert(s.name);
    CHECK(lowercase_hex(s.trace_id, 32));
    CHECK(lowercase_hex(s.span_id, 16));
    CHECK((s.parent_span_id.empty() || lowercase_hex(s.parent_span_id, 16)));
    CHECK(s.service_name == "team-answers");
    CHECK_FALSE(gameday::contains_phi(s.name));
    CHECK_FALSE(gameday::contains_phi(s.status_message));
    bool sent = false;
    for (const auto& p : printed["sent"]) sent = sent || (p["traceId"] == s.trace_id && p["spanId"] == s.span_id);
    CHECK(sent);
    for (const auto& a : s.attributes) {
      INFO(a.key << " = " << a.value);
      CHECK(gameday::intake_attribute_allowed(a.key));
      CHECK_FALSE(gameday::contains_phi(a.value));
    }
  }
  CHECK(names == std::set<std::string>{"GET /fhir/{type}/{id}", "chat nw-clinical-large", "redacted"});
  for (const auto& s : spans) {
    if (s.name != "chat nw-clinical-large") continue;
    CHECK(s.kind == 3);
    CHECK(s.status_code == 2);
    CHECK(s.status_message.empty());
    std::set<std::string> keys;
    for (const auto& a : s.attributes) keys.insert(a.key + "=" + a.value);
    CHECK(keys == std::set<std::string>{"service.name=team-answers", "service.version=1.4.2", "gen_ai.operation.name=chat",
                                        "gen_ai.provider.name=openai", "gen_ai.request.model=nw-clinical-large",
                                        "gen_ai.usage.input_tokens=812", R"(gen_ai.response.finish_reasons=["stop"])",
                                        "error.type=rate_limit_error"});
  }
}

namespace {

// A stand-in for the fake EHR and vendor that keeps every request's headers: an empty FHIR
// search, one model, one chat completion.
struct Recorder {
  std::mutex mu;
  std::vector<gameday::net::ServerRequest> requests;
  gameday::net::HttpServer server{[this](gameday::net::ServerRequest req, gameday::net::ReplyFn reply) {
    const std::string target = req.target;
    {
      std::lock_guard<std::mutex> lock(mu);
      requests.push_back(std::move(req));
    }
    if (target.rfind("/fhir/", 0) == 0) {
      return reply({200, "application/fhir+json", R"({"resourceType":"Bundle","type":"searchset","entry":[]})"});
    }
    if (target == "/v1/models") return reply({200, "application/json", R"({"object":"list","data":[{"id":"m1","object":"model"}]})"});
    reply({200, "application/json",
           R"({"id":"c1","object":"chat.completion","created":1,"model":"m1","choices":[{"index":0,"message":{"role":"assistant","content":"No records."},"finish_reason":"stop"}]})"});
  }};
};

}  // namespace

TEST_CASE("A Node service started with otel_register propagates traceparent on its http and fetch calls and exports its spans",
          "[e2e][otlp][node]") {
  if (const auto why = e2e::missing_node({"@opentelemetry/sdk-node", "@opentelemetry/instrumentation-http",
                                          "@opentelemetry/instrumentation-undici", "openai", "fhir-kit-client"});
      !why.empty()) {
    return e2e::skip_because(why);
  }
  TempDir dir;
  e2e::OtlpCollector intake;
  Recorder fakes;
  const std::string node = e2e::kNodeDir.string();
  const std::string start = "cd '" + node +
                            "' && OTEL_EXPORTER_OTLP_ENDPOINT='" + intake.server.url() +
                            "' OTEL_SERVICE_NAME=team-sut GAMEDAY_VENDOR_URL='" + fakes.server.url() +
                            "/v1' GAMEDAY_EHR_URL='" + fakes.server.url() + "/fhir' timeout 120 node --import ./otel_register.mjs sut.mjs > '" +
                            (dir / "sut.out").string() + "' 2> '" + (dir / "sut.err").string() + "' < /dev/null & echo $! > '" +
                            (dir / "sut.pid").string() + "'";
  REQUIRE(std::system(start.c_str()) == 0);
  struct Stop {
    const TempDir& dir;
    ~Stop() { std::system(("kill -TERM $(cat '" + (dir / "sut.pid").string() + "') 2> /dev/null").c_str()); }
  } stop{dir};
  REQUIRE(test_support::wait_until([&] { return slurp(dir / "sut.out").rfind("sut http://127.0.0.1:", 0) == 0; }));
  INFO("sut stderr:\n" << slurp(dir / "sut.err"));
  const std::string line = slurp(dir / "sut.out");
  const std::string sut_url = line.substr(4, line.find('\n') - 4);

  const std::string trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  gameday::HttpRequest request;
  request.method = "POST";
  request.url = sut_url + "/v1/answers";
  request.headers = {{"Content-Type", "application/json"}, {"traceparent", "00-" + trace_id + "-00f067aa0ba902b7-01"}};
  request.body = R"({"task_type":"prior_auth_status","patient":"pat-0001","question":"Is the prior auth approved?"})";
  request.timeout = test_support::kHangLimitUs;
  const auto answer = gameday::net::http_request(request);
  INFO(answer.body << answer.error);
  REQUIRE(answer.status == 200);
  CHECK(json::parse(answer.body)["status"] == "ok");

  {
    std::lock_guard<std::mutex> lock(fakes.mu);
    std::set<std::string> kinds;
    for (const auto& r : fakes.requests) {
      INFO(r.method << " " << r.target);
      kinds.insert(r.target.substr(0, r.target.find('/', 1)));
      const std::string tp(gameday::net::request_header(r, "traceparent"));
      REQUIRE(tp.size() == 55);
      CHECK(tp.substr(3, 32) == trace_id);  // the caller's trace goes on
    }
    CHECK(kinds == std::set<std::string>{"/fhir", "/v1"});  // node:http (fhir-kit-client) and fetch (openai)
  }
  // The service's spans arrive within its batch delay: its server span and its client calls.
  REQUIRE(test_support::wait_until([&] {
    std::lock_guard<std::mutex> lock(intake.mu);
    std::set<int> kinds;
    for (const auto& s : intake.batch.spans) {
      if (s.trace_id == trace_id) kinds.insert(s.kind);
    }
    return kinds.count(2) == 1 && kinds.count(3) == 1;
  }));
  std::lock_guard<std::mutex> lock(intake.mu);
  for (const auto& s : intake.batch.spans) {
    CHECK(s.service_name == "team-sut");
    for (const auto& a : s.attributes) CHECK(gameday::intake_attribute_allowed(a.key));
  }
}
