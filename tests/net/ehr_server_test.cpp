// The live EHR: a real FHIR server on 127.0.0.1 (OS-assigned port), exercised with the libcurl
// client, with live faults added and removed while it runs. A raw socket where the response
// headers matter (the libcurl client keeps only status and body).
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "net/ehr_server.hpp"
#include "support/raw_http.hpp"
#include "net/fhir_wire.hpp"
#include "net/http_client.hpp"
#include "support/fixtures.hpp"
#include "support/wait.hpp"

using namespace gameday;
using namespace gameday::net;
using nlohmann::json;

namespace {

// Everything a live EHR needs, with a small world.
struct LiveEhr {
  LiveEhr() : fakes(testing::small_fakes()), world(World::generate(fakes.world)) {}

  HttpResult get(const std::string& path, const std::string& task_type = "",
                 Duration timeout = test_support::kHangLimitUs) {
    return send("GET", path, task_type, timeout);
  }
  HttpResult send(const std::string& method, const std::string& path,
                  const std::string& task_type = "", Duration timeout = test_support::kHangLimitUs) {
    HttpRequest r;
    r.method = method;
    r.url = path.starts_with("http") ? path : server.base_url() + path;
    r.timeout = timeout;
    if (!task_type.empty()) r.headers.emplace_back(kTaskTypeHeader, task_type);
    return http_request(r);
  }

  // A patient with at least `n` chart notes.
  const Patient& patient_with_notes(std::size_t n) const {
    for (const Patient& p : world.patients()) {
      if (world.notes_of(p.id).size() >= n) return p;
    }
    FAIL("no patient with enough notes");
    return world.patients().front();
  }

  Fakes fakes;
  World world;
  LiveFaults faults;
  LiveMetrics metrics;
  EhrServer server{LiveContext{fakes, world, faults, metrics, 7}, ServerOptions{}};
};

FaultSpec ehr_fault(const std::string& id, const std::string& kind) {
  FaultSpec f;
  f.id = id;
  f.target = "ehr";
  f.params = default_params(parse_name<FaultKind>(kind).value());
  return f;
}

json body(const HttpResult& r) {
  INFO("status " << r.status << " error " << r.error);
  REQUIRE_FALSE(r.body.empty());
  return json::parse(r.body);
}

const json* link(const json& bundle, const std::string& relation) {
  for (const auto& l : bundle["link"]) {
    if (l["relation"] == relation) return &l;
  }
  return nullptr;
}

// A response read off a raw connection: status line, headers (names lowercased) and body.
struct RawResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  const std::string* header(const std::string& lower_name) const {
    for (const auto& [k, v] : headers) {
      if (k == lower_name) return &v;
    }
    return nullptr;
  }
};

// Sends "GET <target>" with Connection: close and reads until the server closes (at most 3s).
RawResponse raw_get(std::uint16_t port, const std::string& target) {
  const std::string data =
      testing::raw(port, "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").data;
  RawResponse out;
  const std::size_t end = data.find("\r\n\r\n");
  REQUIRE(end != std::string::npos);
  out.body = data.substr(end + 4);
  std::size_t line_end = data.find("\r\n");
  REQUIRE(data.rfind("HTTP/1.1 ", 0) == 0);
  out.status = std::stoi(data.substr(9, 3));
  while (line_end < end) {
    const std::size_t start = line_end + 2;
    line_end = data.find("\r\n", start);
    const std::string line = data.substr(start, line_end - start);
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::size_t v = colon + 1;
    while (v < line.size() && line[v] == ' ') ++v;
    out.headers.emplace_back(std::move(name), line.substr(v));
  }
  return out;
}

// GET `url` for `task_type` on another thread; its status (0: no answer) when it ends.
std::future<int> ask_in_background(const std::string& url, const std::string& task_type) {
  return std::async(std::launch::async, [url, task_type] {
    HttpRequest r;
    r.url = url;
    r.timeout = test_support::kHangLimitUs;
    r.headers.emplace_back(kTaskTypeHeader, task_type);
    return http_request(r).status;
  });
}

void require_outcome(const HttpResult& r, int status, const std::string& code) {
  REQUIRE(r.status == status);
  const json j = body(r);
  REQUIRE(j["resourceType"] == "OperationOutcome");
  REQUIRE(j["issue"][0]["severity"] == "error");
  REQUIRE(j["issue"][0]["code"] == code);
}

}  // namespace

TEST_CASE("Live EHR serves its capability statement at /fhir/metadata", "[net][ehr]") {
  LiveEhr ehr;
  REQUIRE(ehr.server.port() != 0);
  REQUIRE(ehr.server.base_url() == "http://127.0.0.1:" + std::to_string(ehr.server.port()) + "/fhir");
  const HttpResult r = ehr.get("/metadata");
  REQUIRE(r.status == 200);
  const json c = body(r);
  REQUIRE(c["resourceType"] == "CapabilityStatement");
  REQUIRE(c["fhirVersion"] == "4.0.1");
  REQUIRE(c["implementation"]["url"] == ehr.server.base_url());
  REQUIRE(c["rest"][0]["resource"].size() == 4);
}

TEST_CASE("Live EHR reads a Patient by id and answers 404 for an unknown id", "[net][ehr]") {
  LiveEhr ehr;
  const Patient& p = ehr.world.patients().at(1);
  const HttpResult r = ehr.get("/Patient/" + p.id);
  REQUIRE(r.status == 200);
  const json pat = body(r);
  REQUIRE(pat["resourceType"] == "Patient");
  REQUIRE(pat["id"] == p.id);
  REQUIRE(pat["name"][0]["family"] == p.family);

  const HttpResult missing = ehr.get("/ClaimResponse/pa-999999");
  require_outcome(missing, 404, "not-found");
}

TEST_CASE("Live EHR search pages through DocumentReferences by following the next link", "[net][ehr]") {
  LiveEhr ehr;
  const Patient& p = ehr.patient_with_notes(3);
  const std::size_t total = ehr.world.notes_of(p.id).size();
  std::string url = ehr.server.base_url() + "/DocumentReference?patient=Patient/" + p.id + "&_count=2";
  std::vector<std::string> ids;
  int pages = 0;
  while (!url.empty()) {
    REQUIRE(++pages <= 10);
    const HttpResult r = ehr.get(url);
    REQUIRE(r.status == 200);
    const json b = body(r);
    REQUIRE(b["resourceType"] == "Bundle");
    REQUIRE(b["type"] == "searchset");
    REQUIRE(b["total"] == total);
    for (const auto& e : b["entry"]) {
      REQUIRE(e["resource"]["subject"]["reference"] == "Patient/" + p.id);
      REQUIRE(e["fullUrl"].get<std::string>().starts_with(ehr.server.base_url() + "/DocumentReference/"));
      ids.push_back(e["resource"]["id"]);
    }
    const json* next = link(b, "next");
    url = next ? (*next)["url"].get<std::string>() : "";
  }
  REQUIRE(pages == static_cast<int>((total + 1) / 2));
  REQUIRE(ids.size() == total);
  std::vector<std::string> expected;
  for (const Document* d : ehr.world.notes_of(p.id)) expected.push_back(d->id);
  REQUIRE(ids == expected);
}

TEST_CASE("Live EHR searches coverage and prior auths and policies", "[net][ehr]") {
  LiveEhr ehr;
  const Patient& p = ehr.world.patients().at(0);
  const json cov = body(ehr.get("/Coverage?patient=" + p.id));
  REQUIRE(cov["total"] == 1);
  REQUIRE(cov["entry"][0]["resource"]["beneficiary"]["reference"] == "Patient/" + p.id);
  const PriorAuth& pa = ehr.world.prior_auths().front();
  const json pas = body(ehr.get("/ClaimResponse?patient=" + pa.patient_id));
  REQUIRE(pas["total"] == ehr.world.prior_auths_of(pa.patient_id).size());
  REQUIRE(pas["entry"].size() == ehr.world.prior_auths_of(pa.patient_id).size());
  for (const auto& e : pas["entry"]) REQUIRE(e["resource"]["use"] == "preauthorization");
  const json pol = body(ehr.get("/DocumentReference?category=policy&plan=GOLD-PPO&status=current"));
  REQUIRE(pol["total"] == 2);
  // The fake's own validation: Coverage needs a patient.
  require_outcome(ehr.get("/Coverage"), 400, "invalid");
}

TEST_CASE("Live EHR answers an error fault with its status and an OperationOutcome", "[net][ehr][faults]") {
  LiveEhr ehr;
  FaultSpec down = ehr_fault("down", "error");
  down.as<ErrorFault>()->status = 503;
  down.task_types = {"prior_auth_status"};
  REQUIRE(ehr.faults.add(down));
  const std::string path = "/ClaimResponse?patient=" + ehr.world.patients().at(0).id;

  // Filtered on the task type header.
  REQUIRE(ehr.get(path).status == 200);
  const HttpResult hit = ehr.get(path, "prior_auth_status");
  require_outcome(hit, 503, "exception");
  REQUIRE_THAT(body(hit)["issue"][0]["diagnostics"].get<std::string>(), Catch::Contains("503"));
  REQUIRE(ehr.faults.matched("down") == 1);
  // The capability statement is never faulted.
  REQUIRE(ehr.get("/metadata", "prior_auth_status").status == 200);

  REQUIRE(ehr.faults.remove("down"));
  REQUIRE(ehr.get(path, "prior_auth_status").status == 200);
}

TEST_CASE("Live EHR sends Retry-After in whole seconds with an error fault that sets retry_after", "[net][ehr][faults]") {
  LiveEhr ehr;
  FaultSpec busy = ehr_fault("busy", "error");
  busy.as<ErrorFault>()->status = 503;
  busy.as<ErrorFault>()->retry_after = 2 * kSecond;
  busy.first_n = 1;
  REQUIRE(ehr.faults.add(busy));
  const std::string target = "/fhir/Coverage?patient=" + ehr.world.patients().at(0).id;

  const RawResponse r = raw_get(ehr.server.port(), target);
  REQUIRE(r.status == 503);
  const std::string* retry_after = r.header("retry-after");
  REQUIRE(retry_after != nullptr);
  REQUIRE(*retry_after == "2");
  const json j = json::parse(r.body);
  REQUIRE(j["resourceType"] == "OperationOutcome");
  REQUIRE(j["issue"][0]["code"] == "exception");

  // first_n: 1, so the next request succeeds, without the header.
  const RawResponse ok = raw_get(ehr.server.port(), target);
  REQUIRE(ok.status == 200);
  REQUIRE(ok.header("retry-after") == nullptr);
}

TEST_CASE("Live EHR sends no Retry-After with an error fault without retry_after", "[net][ehr][faults]") {
  LiveEhr ehr;
  FaultSpec down = ehr_fault("down", "error");
  down.as<ErrorFault>()->status = 503;
  REQUIRE(ehr.faults.add(down));
  const RawResponse r = raw_get(ehr.server.port(), "/fhir/Coverage?patient=" + ehr.world.patients().at(0).id);
  REQUIRE(r.status == 503);
  REQUIRE(json::parse(r.body)["resourceType"] == "OperationOutcome");
  REQUIRE(r.header("retry-after") == nullptr);
}

TEST_CASE("Live EHR delays a reply under a latency fault without blocking other requests", "[net][ehr][faults]") {
  using Clock = std::chrono::steady_clock;
  FaultSpec slow = ehr_fault("slow", "latency");
  slow.task_types = {"discharge_summary"};
  SECTION("the reply comes after the delay") {
    LiveEhr ehr;
    slow.as<LatencyFault>()->delay = testing::fixed(800 * kMillisecond);
    REQUIRE(ehr.faults.add(slow));
    const auto started = Clock::now();
    REQUIRE(ehr.get("/Patient/" + ehr.world.patients().at(0).id, "discharge_summary").status == 200);
    REQUIRE(Clock::now() - started >= std::chrono::milliseconds(800));
  }
  SECTION("other requests are served while a delayed reply waits on its timer") {
    auto ehr = std::make_unique<LiveEhr>();
    // An hour: the delayed reply cannot come first however slow the machine is.
    slow.as<LatencyFault>()->delay = testing::fixed(kHour);
    REQUIRE(ehr->faults.add(slow));
    const std::string url = ehr->server.base_url() + "/Patient/" + ehr->world.patients().at(0).id;
    auto delayed = ask_in_background(url, "discharge_summary");
    REQUIRE(test_support::wait_until([&] { return ehr->faults.matched("slow") >= 1; }));
    REQUIRE(ehr->get(url).status == 200);
    REQUIRE(delayed.wait_for(std::chrono::seconds(0)) == std::future_status::timeout);
    ehr.reset();  // the server stops and closes the delayed request's connection
    REQUIRE(delayed.get() == 0);
  }
}

TEST_CASE("Ending a latency fault answers the requests it was delaying at once, and ending another fault does not", "[net][ehr][faults]") {
  LiveEhr ehr;
  FaultSpec slow = ehr_fault("slow", "latency");
  slow.task_types = {"discharge_summary"};
  slow.as<LatencyFault>()->delay = testing::fixed(kHour);
  REQUIRE(ehr.faults.add(slow));
  FaultSpec unrelated = ehr_fault("unrelated", "latency");  // for other requests
  unrelated.task_types = {"benefits_question"};
  REQUIRE(ehr.faults.add(unrelated));
  const std::string url = ehr.server.base_url() + "/Patient/" + ehr.world.patients().at(0).id;
  auto delayed = ask_in_background(url, "discharge_summary");
  REQUIRE(test_support::wait_until([&] { return ehr.faults.matched("slow") >= 1; }));
  REQUIRE(ehr.faults.remove("unrelated"));
  // One io thread: this answer means the delayed request's handler has set its timer.
  REQUIRE(ehr.get(url).status == 200);
  REQUIRE(delayed.wait_for(std::chrono::milliseconds(200)) == std::future_status::timeout);
  REQUIRE(ehr.faults.remove("slow"));
  REQUIRE(delayed.wait_for(test_support::kHangLimit) == std::future_status::ready);
  REQUIRE(delayed.get() == 200);  // answered, not dropped
}

TEST_CASE("A timeout fault's hung requests are released by its own end or a reset, not by another fault's", "[net][ehr][faults]") {
  LiveEhr ehr;
  FaultSpec stuck = ehr_fault("stuck", "timeout");
  stuck.task_types = {"discharge_summary"};
  REQUIRE(ehr.faults.add(stuck));
  FaultSpec unrelated = ehr_fault("unrelated", "latency");  // for other requests
  unrelated.task_types = {"benefits_question"};
  REQUIRE(ehr.faults.add(unrelated));
  const std::string url = ehr.server.base_url() + "/Patient/" + ehr.world.patients().at(0).id;
  auto ask = [url] { return ask_in_background(url, "discharge_summary"); };
  auto hung = ask();
  REQUIRE(test_support::wait_until([&] { return ehr.faults.matched("stuck") >= 1; }));
  REQUIRE(ehr.faults.remove("unrelated"));
  REQUIRE(ehr.get(url).status == 200);  // one io thread: the hang is in place
  REQUIRE(hung.wait_for(std::chrono::milliseconds(200)) == std::future_status::timeout);
  REQUIRE(ehr.faults.remove("stuck"));
  REQUIRE(hung.wait_for(test_support::kHangLimit) == std::future_status::ready);
  REQUIRE(hung.get() == 0);  // closed without an answer, as a timed-out upstream does
  // A reset releases every hold.
  REQUIRE(ehr.faults.add(stuck));
  auto again = ask();
  REQUIRE(test_support::wait_until([&] { return ehr.faults.matched("stuck") >= 1; }));
  REQUIRE(ehr.get(url).status == 200);
  REQUIRE(ehr.faults.reset() == 1);
  REQUIRE(again.wait_for(test_support::kHangLimit) == std::future_status::ready);
  REQUIRE(again.get() == 0);
}

TEST_CASE("Live EHR never answers under a timeout fault", "[net][ehr][faults]") {
  LiveEhr ehr;
  REQUIRE(ehr.faults.add(ehr_fault("hang", "timeout")));
  const HttpResult r = ehr.get("/Patient/" + ehr.world.patients().at(0).id, "", 300 * kMillisecond);
  REQUIRE(r.status == 0);
  REQUIRE_THAT(r.error, Catch::Contains("imeout"));
  REQUIRE_THAT(ehr.metrics.prometheus_text(), Catch::Contains("status=\"0\""));
  // Still serving others once the fault is gone.
  REQUIRE(ehr.faults.remove("hang"));
  REQUIRE(ehr.get("/Patient/" + ehr.world.patients().at(0).id).status == 200);
}

TEST_CASE("Live EHR bends searches with data faults", "[net][ehr][faults]") {
  LiveEhr ehr;
  REQUIRE(ehr.faults.add(ehr_fault("empty", "empty_results")));
  const Patient& p = ehr.patient_with_notes(2);
  const json b = body(ehr.get("/DocumentReference?patient=" + p.id));
  REQUIRE(b["total"] == 0);
  REQUIRE_FALSE(b.contains("entry"));
  // Reads are never bent.
  REQUIRE(ehr.get("/Patient/" + p.id).status == 200);
}

TEST_CASE("Live EHR answers 405 for other methods and 404 for unknown routes and 400 naming a bad parameter", "[net][ehr][errors]") {
  LiveEhr ehr;
  require_outcome(ehr.send("POST", "/Patient"), 405, "not-supported");
  require_outcome(ehr.send("DELETE", "/Patient/pat-0001"), 405, "not-supported");
  require_outcome(ehr.get(ehr.server.base_url().substr(0, ehr.server.base_url().size() - 5) + "/nothing"),
                  404, "not-found");
  require_outcome(ehr.get("/Patient/pat-0001/_history"), 404, "not-found");

  const HttpResult bad = ehr.get("/DocumentReference?patient=pat-0001&colour=red");
  require_outcome(bad, 400, "invalid");
  REQUIRE_THAT(body(bad)["issue"][0]["diagnostics"].get<std::string>(), Catch::Contains("'colour'"));
  const HttpResult count = ehr.get("/Patient?_count=lots");
  require_outcome(count, 400, "invalid");
  REQUIRE_THAT(body(count)["issue"][0]["diagnostics"].get<std::string>(), Catch::Contains("_count"));
  require_outcome(ehr.get("/Observation?patient=pat-0001"), 400, "invalid");
  require_outcome(ehr.get("/Patient?_id=%G1"), 400, "invalid");
}

TEST_CASE("Live EHR records each request in the metrics by route and status", "[net][ehr]") {
  LiveEhr ehr;
  REQUIRE(ehr.get("/metadata").status == 200);
  REQUIRE(ehr.get("/Patient/pat-0001").status == 200);
  REQUIRE(ehr.get("/Patient/nobody").status == 404);
  REQUIRE(ehr.get("/Coverage?patient=pat-0001").status == 200);
  const std::string text = ehr.metrics.prometheus_text();
  REQUIRE_THAT(text, Catch::Contains("route=\"/fhir/metadata\""));
  REQUIRE_THAT(text, Catch::Contains("route=\"/fhir/Patient/{id}\""));
  REQUIRE_THAT(text, Catch::Contains("route=\"/fhir/Coverage\""));
  REQUIRE_THAT(text, Catch::Contains("status=\"404\""));
  // No identifier reaches a label.
  REQUIRE(text.find("pat-0001") == std::string::npos);
}

TEST_CASE("Live EHR answers the HTTP layer's own errors with an OperationOutcome", "[net][ehr][errors]") {
  LiveEhr ehr;
  HttpRequest r;
  r.method = "POST";
  r.url = ehr.server.base_url() + "/Patient";
  r.body = std::string(1100 * 1024, 'x');  // over the 1 MiB body limit
  r.timeout = test_support::kHangLimitUs;
  const HttpResult res = http_request(r);
  REQUIRE(res.status == 413);
  REQUIRE(body(res)["resourceType"] == "OperationOutcome");
}
