// The assistant's HTTP API: its request and response bodies, how a --sut service's answer is
// rebuilt for the scorer, and the libcurl multi client the drill's workload sends with.
#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <nlohmann/json.hpp>
#include <thread>
#include <mutex>

#include "net/assistant_server.hpp"
#include "net/async_http_client.hpp"
#include "net/http_client.hpp"
#include "net/http_server.hpp"
#include "sim/realtime_scheduler.hpp"
#include "quality/judge.hpp"
#include "support/fixtures.hpp"
#include "support/wait.hpp"
#include "workload/task.hpp"

using namespace gameday;
using namespace gameday::net;

namespace {

// A discharge-summary task for some patient, and another patient's discharge summary.
struct TwoPatients {
  World world = World::generate(testing::small_world());
  TaskFactory factory{world};
  Task task;
  const Document* own = nullptr;
  const Document* other = nullptr;

  TwoPatients() {
    Rng rng(1);
    for (const auto& p : world.patients()) {
      auto t = factory.make(TaskType::kDischargeSummary, p.id, rng);
      if (!t) continue;
      if (own == nullptr) {
        task = std::move(*t);
        own = world.document(task.truth.supporting_docs.at(0));
      } else {
        other = world.document(t->truth.supporting_docs.at(0));
        break;
      }
    }
    REQUIRE(own != nullptr);
    REQUIRE(other != nullptr);
  }
};

std::string first_sentence(const std::string& text) { return text.substr(0, text.find(". ")); }

std::string response(const std::string& answer, const std::string& status = "ok") {
  return nlohmann::json{{"status", status}, {"answer", answer}}.dump();
}

// Waits for `n` callbacks.
struct Latch {
  std::mutex mu;
  std::condition_variable cv;
  int left;
  explicit Latch(int n) : left(n) {}
  void done() {
    std::lock_guard<std::mutex> lock(mu);
    --left;
    cv.notify_all();
  }
  bool wait() {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, test_support::kHangLimit, [this] { return left <= 0; });
  }
};

}  // namespace

TEST_CASE("An answer request body is parsed, and a bad one names its field", "[net][assistant]") {
  AskBody b;
  std::string error, field;
  REQUIRE(parse_ask_body(R"({"task_type":"discharge_summary","patient":"pat-0001","question":"Why?"})", b, error, field));
  REQUIRE(b.task_type == "discharge_summary");
  REQUIRE(b.patient == "pat-0001");
  REQUIRE(b.question == "Why?");

  REQUIRE_FALSE(parse_ask_body("not json", b, error, field));
  REQUIRE(error.find("JSON") != std::string::npos);
  REQUIRE_FALSE(parse_ask_body(R"({"task_type":"discharge_summary"})", b, error, field));
  REQUIRE(field == "patient");
  REQUIRE_FALSE(parse_ask_body(R"({"task_type":"discharge_summary","patient":7})", b, error, field));
  REQUIRE(field == "patient");
  REQUIRE(error.find("string") != std::string::npos);
  REQUIRE_FALSE(parse_ask_body(R"({"task_type":"haiku","patient":"pat-0001"})", b, error, field));
  REQUIRE(field == "task_type");
  REQUIRE(error.find("haiku") != std::string::npos);
}

TEST_CASE("An answer travels as JSON with its citations and status", "[net][assistant]") {
  Answer a;
  a.text = "Discharged home. [doc:note-1]";
  a.citations = {"note-1"};
  a.status = RequestStatus::kOk;
  a.model = "m";
  a.latency = 1500 * kMillisecond;
  const auto j = nlohmann::json::parse(answer_json(a, 9));
  REQUIRE(j["id"] == "ans-9");
  REQUIRE(j["status"] == "ok");
  REQUIRE(j["citations"] == nlohmann::json::array({"note-1"}));
  REQUIRE(j["latency_ms"] == 1500.0);
  Task t;
  t.type = TaskType::kBenefitsQuestion;
  t.patient_id = "pat-0003";
  t.question = "Is an MRI covered?";
  const auto q = nlohmann::json::parse(ask_body_json(t));
  REQUIRE(q["task_type"] == "benefits_question");
  REQUIRE(q["patient"] == "pat-0003");
}

TEST_CASE("A --sut answer quoting the patient's own cited record is judged correct and grounded", "[net][assistant][sut]") {
  TwoPatients w;
  std::string text;
  for (const auto& fact : w.task.truth.facts) REQUIRE(w.own->text.find(fact) != std::string::npos);
  text = w.own->text + " [doc:" + w.own->id + "]";
  Answer a;
  std::string error;
  REQUIRE(answer_from_response(response(text), w.task, w.world, a, error));
  REQUIRE(a.status == RequestStatus::kOk);
  REQUIRE(a.citations == std::vector<std::string>{w.own->id});
  REQUIRE(a.retrieved_ids == a.citations);
  REQUIRE(a.citations_valid);
  REQUIRE(a.other_patient_docs.empty());
  const Judgement j = judge(w.task, a);
  REQUIRE(j.grounded);
  REQUIRE(j.correct);
  REQUIRE_FALSE(j.unsafe);
}

TEST_CASE("A --sut answer resting on another patient's record is judged wrong-patient", "[net][assistant][sut]") {
  TwoPatients w;
  const std::string text = first_sentence(w.other->text) + ". [doc:" + w.other->id + "]";
  Answer a;
  std::string error;
  REQUIRE(answer_from_response(response(text), w.task, w.world, a, error));
  REQUIRE(a.other_patient_docs == std::vector<std::string>{w.other->id});
  const Judgement j = judge(w.task, a);
  REQUIRE(j.unsafe);
  REQUIRE(j.wrong_patient);
}

TEST_CASE("A --sut answer citing a record that does not exist is an invalid citation and a hallucination", "[net][assistant][sut]") {
  TwoPatients w;
  Answer a;
  std::string error;
  REQUIRE(answer_from_response(response("The patient was discharged on day 3. [doc:note-9999-zz]"), w.task, w.world, a, error));
  REQUIRE_FALSE(a.citations_valid);
  REQUIRE(a.retrieved_ids.empty());
  const Judgement j = judge(w.task, a);
  REQUIRE(j.hallucinated);
  REQUIRE(j.unsafe);
}

TEST_CASE("A --sut fallback is never unsafe, and a body that is not an answer is refused", "[net][assistant][sut]") {
  TwoPatients w;
  Answer a;
  std::string error;
  REQUIRE(answer_from_response(R"({"status":"fallback","cause":"vendor_error"})", w.task, w.world, a, error));
  REQUIRE(a.status == RequestStatus::kFallback);
  REQUIRE(a.cause == "vendor_error");
  REQUIRE_FALSE(judge(w.task, a).unsafe);
  Answer b;
  REQUIRE_FALSE(answer_from_response("<html>", w.task, w.world, b, error));
  REQUIRE_FALSE(answer_from_response(R"({"status":"maybe","answer":"x"})", w.task, w.world, b, error));
  REQUIRE(error.find("maybe") != std::string::npos);
  REQUIRE_FALSE(answer_from_response(R"({"status":"ok"})", w.task, w.world, b, error));
  REQUIRE(error.find("answer") != std::string::npos);
}

TEST_CASE("AsyncHttpClient keeps many requests in flight on one thread", "[net][client][async]") {
  std::atomic<int> outstanding{0}, peak{0};
  std::unique_ptr<HttpServer> server;
  server = std::make_unique<HttpServer>([&](ServerRequest req, ReplyFn reply) {
    const int now = ++outstanding;
    int seen = peak.load();
    while (now > seen && !peak.compare_exchange_weak(seen, now)) {}
    server->after(100 * kMillisecond, [&, body = req.body, reply = std::move(reply)] {
      --outstanding;
      reply(ServerResponse{200, "text/plain", "echo " + body});
    });
  });
  constexpr int kRequests = 40;
  AsyncHttpClient client;
  Latch latch(kRequests);
  std::mutex mu;
  int ok = 0;
  for (int i = 0; i < kRequests; ++i) {
    HttpRequest r;
    r.method = "POST";
    r.url = server->url() + "/x";
    r.body = std::to_string(i);
    r.timeout = test_support::kHangLimitUs;
    client.submit(std::move(r), [&, i](HttpResult res) {
      {
        std::lock_guard<std::mutex> lock(mu);
        ok += res.status == 200 && res.body == "echo " + std::to_string(i);
      }
      latch.done();
    });
  }
  REQUIRE(latch.wait());
  REQUIRE(ok == kRequests);
  REQUIRE(peak.load() > 10);  // not one at a time
  REQUIRE(client.in_flight() == 0);
}

TEST_CASE("AsyncHttpClient reports an unreachable server, a bad URL and a client stopped mid-request as status 0", "[net][client][async]") {
  // A port nobody listens on: bind a server, note its port, stop it.
  std::string dead;
  {
    HttpServer gone([](ServerRequest, ReplyFn reply) { reply(ServerResponse{}); });
    dead = gone.url();
  }
  std::atomic<bool> arrived{false};
  HttpServer hangs([&](ServerRequest, std::shared_ptr<Exchange> ex) {
    arrived = true;
    ex->hang();
  });
  std::vector<HttpResult> results(3);
  {
    AsyncHttpClient client;
    Latch latch(2);
    HttpRequest a;
    a.url = dead + "/";
    a.timeout = 2 * kSecond;
    client.submit(a, [&](HttpResult r) {
      results[0] = std::move(r);
      latch.done();
    });
    HttpRequest b;
    b.url = "ftp://127.0.0.1/";
    client.submit(b, [&](HttpResult r) {
      results[1] = std::move(r);
      latch.done();
    });
    REQUIRE(latch.wait());
    HttpRequest c;
    c.url = hangs.url() + "/";
    c.timeout = 30 * kSecond;
    client.submit(c, [&](HttpResult r) { results[2] = std::move(r); });
    REQUIRE(test_support::wait_until([&] { return arrived.load(); }));
  }  // the client stops with the hanging request in flight
  REQUIRE(results[0].status == 0);
  REQUIRE_FALSE(results[0].error.empty());
  REQUIRE(results[1].status == 0);
  REQUIRE(results[1].error.find("http") != std::string::npos);
  REQUIRE(results[2].status == 0);
  REQUIRE(results[2].error == "client stopped");
}

TEST_CASE("The assistant's server answers bad requests itself with JSON errors and stays up", "[net][assistant]") {
  RealTimeScheduler scheduler;  // not running: nothing here needs the engine
  BuiltinExchange exchange;
  AssistantServer server(scheduler, exchange, ServerOptions{});
  auto send = [&](const std::string& method, const std::string& path, const std::string& body) {
    HttpRequest r;
    r.method = method;
    r.url = server.url() + path;
    r.body = body;
    r.headers = {{"Content-Type", "application/json"}};
    r.timeout = test_support::kHangLimitUs;
    return http_request(r);
  };
  const HttpResult bad = send("POST", "/v1/answers", "{\"task_type\": 3}");
  REQUIRE(bad.status == 400);
  REQUIRE(nlohmann::json::parse(bad.body)["error"]["field"] == "task_type");
  const HttpResult big = send("POST", "/v1/answers", std::string(2 * 1024 * 1024, 'x'));
  REQUIRE(big.status == 413);
  REQUIRE(nlohmann::json::parse(big.body)["error"]["message"].is_string());
  REQUIRE(send("GET", "/v1/answers", "").status == 405);
  REQUIRE(send("GET", "/v1/nothing", "").status == 404);
  // Still serving.
  REQUIRE(send("POST", "/v1/answers", "not json").status == 400);
}
