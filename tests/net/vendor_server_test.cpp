// The fake vendor over real HTTP on 127.0.0.1 (OS-assigned ports): routes, faults acted out on
// the wire (delays, 429 with retry headers, hangs, resets, broken and stalled streams) and the
// 4xx answers to bad requests. Raw sockets where libcurl would hide what came on the wire.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "load/loader.hpp"
#include "fakes/vendor.hpp"
#include "net/http_client.hpp"
#include "net/vendor_server.hpp"
#include "support/raw_http.hpp"
#include "support/fixtures.hpp"
#include "support/live_vendor.hpp"
#include "support/wait.hpp"

using namespace gameday;
using namespace gameday::net;
using Json = nlohmann::json;
using gameday::testing::Raw;
using gameday::testing::raw;
using test_support::kHangLimitUs;
using test_support::wait_until;

namespace {

const char* kQuestion =
    "Question: How many physical therapy visits per year does the plan cover?\n"
    "[doc:policy-gold-pt-v2] Physical therapy is covered up to 20 visits per year. The copay for "
    "physical therapy is $30 per visit.";

std::string chat_body(bool stream, const std::string& extra = "") {
  Json j = {{"model", "nw-clinical-large"},
            {"messages", Json::array({{{"role", "system"}, {"content", "Answer only from the context."}},
                                      {{"role", "user"}, {"content", kQuestion}}})}};
  if (stream) {
    j["stream"] = true;
    j["stream_options"] = {{"include_usage", true}};
  }
  std::string s = j.dump();
  if (!extra.empty()) s = s.substr(0, s.size() - 1) + "," + extra + "}";
  return s;
}

// A vendor server on loopback with its own context; `ttft` and `tps` tune the profile.
struct Live : testing::LiveVendor {
  explicit Live(Duration ttft = 5 * kMillisecond, double tps = 0, ServerOptions options = {})
      : LiveVendor(ttft, tps, {}, std::move(options)) {}
  std::string url(const std::string& path) const { return server.base_url() + path; }
};

HttpResult post(const std::string& url, const std::string& body, Duration timeout = kHangLimitUs) {
  HttpRequest r;
  r.method = "POST";
  r.url = url;
  r.body = body;
  r.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer sk-anything"}};
  r.timeout = timeout;
  return http_request(r);
}

HttpResult get(const std::string& url) {
  HttpRequest r;
  r.url = url;
  r.timeout = kHangLimitUs;
  return http_request(r);
}

std::string http_post(const std::string& path, const std::string& body) {
  return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
         "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Sends `request` on a new connection to `port` and waits up to `wait` for the first bytes back.
// False when the connection was refused. Usable from any thread (no test assertions).
bool send_and_glance(std::uint16_t port, const std::string& request, std::chrono::milliseconds wait) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool sent = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    sent = ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size());
    pollfd p{fd, POLLIN, 0};
    if (sent) ::poll(&p, 1, static_cast<int>(wait.count()));
  }
  ::close(fd);
  return sent;
}

}  // namespace

TEST_CASE("The vendor server answers a chat completion in the OpenAI shape", "[net][vendor]") {
  Live live;
  const HttpResult r = post(live.url("/chat/completions"), chat_body(false, R"("metadata":{"task_type":"benefits"})"));
  REQUIRE(r.status == 200);
  const Json j = Json::parse(r.body);
  REQUIRE(j["object"] == "chat.completion");
  REQUIRE(j["model"] == "nw-clinical-large");
  REQUIRE(j["choices"][0]["message"]["role"] == "assistant");
  REQUIRE(contains(j["choices"][0]["message"]["content"].get<std::string>(), "20 visits"));
  REQUIRE(j["choices"][0]["finish_reason"] == "stop");
  REQUIRE(j["usage"]["total_tokens"].get<int>() > 0);
  REQUIRE(contains(live.metrics.prometheus_text(), "route=\"/v1/chat/completions\""));
}

TEST_CASE("The vendor server streams SSE chunks ending with usage and DONE", "[net][vendor]") {
  Live live(5 * kMillisecond, 500);
  const Raw r = raw(live.server.port(), http_post("/v1/chat/completions", chat_body(true)));
  REQUIRE(r.eof);
  REQUIRE(contains(r.data, "HTTP/1.1 200"));
  REQUIRE(contains(r.data, "Content-Type: text/event-stream"));
  REQUIRE(contains(r.data, "Transfer-Encoding: chunked"));
  REQUIRE(contains(r.data, "\"role\":\"assistant\""));
  REQUIRE(contains(r.data, "\"finish_reason\":\"stop\""));
  REQUIRE(contains(r.data, "\"choices\":[],\"usage\":{"));
  REQUIRE(contains(r.data, "data: [DONE]\n\n"));
  REQUIRE(r.data.size() >= 5);
  REQUIRE(r.data.substr(r.data.size() - 5) == "0\r\n\r\n");
}

TEST_CASE("A latency fault delays the answer without blocking other requests", "[net][vendor][faults]") {
  SECTION("the answer comes after the delay") {
    Live live;
    live.fault(R"({"id":"slow","target":"vendor:primary","kind":"latency","delay":"400ms","first_n":1})");
    const auto t0 = std::chrono::steady_clock::now();
    REQUIRE(post(live.url("/chat/completions"), chat_body(false)).status == 200);
    REQUIRE(seconds_since(t0) >= 0.4);
  }
  SECTION("other requests are served while a delayed one waits on its timer") {
    auto live = std::make_unique<Live>();
    // An hour: the delayed answer cannot come first however slow the machine is.
    live->fault(R"({"id":"slow","target":"vendor:primary","kind":"latency","delay":"1h","first_n":1})");
    const std::string url = live->url("/chat/completions");
    auto slow = std::async(std::launch::async, [url] { return post(url, chat_body(false)).status; });
    REQUIRE(wait_until([&] { return live->faults.matched("slow") >= 1; }));
    REQUIRE(post(url, chat_body(false)).status == 200);
    REQUIRE(slow.wait_for(std::chrono::seconds(0)) == std::future_status::timeout);
    live.reset();  // the server stops and closes the delayed request's connection
    REQUIRE(slow.get() == 0);
  }
}

TEST_CASE("A 429 fault answers an OpenAI error with retry-after headers", "[net][vendor][faults]") {
  Live live;
  live.fault(R"({"id":"rl","target":"vendor:primary","kind":"error","status":429,"retry_after":"1500ms","first_n":1})");
  const Raw r = raw(live.server.port(), http_post("/v1/chat/completions", chat_body(false)));
  REQUIRE(contains(r.data, "HTTP/1.1 429"));
  REQUIRE(contains(r.data, "retry-after: 2\r\n"));
  REQUIRE(contains(r.data, "retry-after-ms: 1500\r\n"));
  const Json j = Json::parse(r.data.substr(r.data.find("\r\n\r\n") + 4));
  REQUIRE(j["error"]["type"] == "rate_limit_error");
  REQUIRE(j["error"].contains("param"));
  // first_n: 1, so the next request goes through.
  REQUIRE(post(live.url("/chat/completions"), chat_body(false)).status == 200);
}

TEST_CASE("A hang fault never answers and the client's timeout decides", "[net][vendor][faults]") {
  ServerOptions options;
  options.io_timeout = 200 * kMillisecond;  // a hang outlives the io timeout
  Live live(5 * kMillisecond, 0, options);
  live.fault(R"({"id":"h","target":"vendor:primary","kind":"hang","first_n":1})");
  const auto t0 = std::chrono::steady_clock::now();
  const Raw hung = raw(live.server.port(), http_post("/v1/chat/completions", chat_body(false)),
                       std::chrono::milliseconds(700));
  REQUIRE(hung.timed_out);
  REQUIRE(hung.data.empty());
  REQUIRE(seconds_since(t0) >= 0.6);
  const HttpResult ok = post(live.url("/chat/completions"), chat_body(false));
  REQUIRE(ok.status == 200);
}

TEST_CASE("A hang fault makes libcurl time out", "[net][vendor][faults]") {
  Live live;
  live.fault(R"({"id":"h","target":"vendor:primary","kind":"hang"})");
  const HttpResult r = post(live.url("/chat/completions"), chat_body(false), 300 * kMillisecond);
  REQUIRE(r.status == 0);
  REQUIRE(contains(r.error, "imeout"));
}

TEST_CASE("A reset fault drops the connection without a response", "[net][vendor][faults]") {
  Live live;
  live.fault(R"({"id":"rst","target":"vendor:primary","kind":"reset","first_n":1})");
  const Raw r = raw(live.server.port(), http_post("/v1/chat/completions", chat_body(false)));
  REQUIRE(r.data.empty());
  REQUIRE((r.reset || r.eof));
  REQUIRE_FALSE(r.timed_out);
  REQUIRE(post(live.url("/chat/completions"), chat_body(false)).status == 200);
}

TEST_CASE("A stream_break fault closes the stream after some tokens", "[net][vendor][faults]") {
  Live live(5 * kMillisecond, 500);
  live.fault(R"({"id":"sb","target":"vendor:primary","kind":"stream_break","after_tokens":2})");
  const Raw r = raw(live.server.port(), http_post("/v1/chat/completions", chat_body(true)));
  REQUIRE(r.eof);
  REQUIRE(contains(r.data, "HTTP/1.1 200"));
  REQUIRE(contains(r.data, "\"content\":\""));
  REQUIRE_FALSE(contains(r.data, "[DONE]"));
  REQUIRE_FALSE(contains(r.data, "finish_reason\":\"stop"));
  REQUIRE_FALSE(contains(r.data, "\r\n0\r\n\r\n"));  // no last chunk: a broken body
  std::size_t contents = 0;
  for (std::size_t p = r.data.find("\"content\":\""); p != std::string::npos; p = r.data.find("\"content\":\"", p + 1)) ++contents;
  REQUIRE(contents == 3);  // the role chunk's empty content and two tokens
}

TEST_CASE("A stream_stall fault sends some tokens and then nothing, the connection open", "[net][vendor][faults]") {
  Live live(5 * kMillisecond, 500);
  live.fault(R"({"id":"ss","target":"vendor:primary","kind":"stream_stall","after_tokens":1})");
  const Raw r = raw(live.server.port(), http_post("/v1/chat/completions", chat_body(true)),
                    std::chrono::milliseconds(600));
  REQUIRE(r.timed_out);
  REQUIRE(contains(r.data, "HTTP/1.1 200"));
  REQUIRE(contains(r.data, "data: {"));
  REQUIRE_FALSE(contains(r.data, "[DONE]"));
}

TEST_CASE("A stream_break on a plain request cuts the body short of its Content-Length", "[net][vendor][faults]") {
  Live live;
  live.fault(R"({"id":"sb","target":"vendor:primary","kind":"stream_break","after_tokens":2})");
  const HttpResult r = post(live.url("/chat/completions"), chat_body(false));
  REQUIRE(r.status == 0);
  REQUIRE_FALSE(r.error.empty());
}

TEST_CASE("The vendor server answers bad requests with OpenAI errors and stays up", "[net][vendor][errors]") {
  ServerOptions options;
  options.io_timeout = 300 * kMillisecond;
  Live live(5 * kMillisecond, 0, options);
  const std::uint16_t port = live.server.port();
  SECTION("unknown route: 404") {
    const HttpResult r = get(live.url("/nothing/here"));
    REQUIRE(r.status == 404);
    REQUIRE(Json::parse(r.body)["error"]["code"] == "unknown_url");
  }
  SECTION("wrong method: 405") {
    const HttpResult r = get(live.url("/chat/completions"));
    REQUIRE(r.status == 405);
    REQUIRE(Json::parse(r.body)["error"]["type"] == "invalid_request_error");
  }
  SECTION("invalid JSON: 400") {
    const HttpResult r = post(live.url("/chat/completions"), "{not json");
    REQUIRE(r.status == 400);
    REQUIRE(Json::parse(r.body)["error"]["type"] == "invalid_request_error");
  }
  SECTION("a missing field: 400 naming it") {
    const HttpResult r = post(live.url("/chat/completions"), R"({"model":"nw-clinical-large"})");
    REQUIRE(r.status == 400);
    REQUIRE(Json::parse(r.body)["error"]["param"] == "messages");
  }
  SECTION("a body over 1 MiB: 413") {
    const HttpResult r = post(live.url("/chat/completions"), std::string(1024 * 1024 + 10, 'x'));
    REQUIRE(r.status == 413);
    REQUIRE(Json::parse(r.body)["error"]["code"] == "request_too_large");
  }
  SECTION("malformed HTTP: 400") {
    const Raw r = raw(port, "NOT AN HTTP REQUEST\r\n\r\n");
    REQUIRE(contains(r.data, "HTTP/1.1 400"));
    REQUIRE(contains(r.data, "\"error\":{"));
  }
  SECTION("a client too slow to send its request: 408") {
    const Raw r = raw(port, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Le");
    REQUIRE(contains(r.data, "HTTP/1.1 408"));
    REQUIRE(r.eof);
  }
  SECTION("an idle connection is closed silently") {
    const Raw r = raw(port, "");
    REQUIRE(r.data.empty());
    REQUIRE(r.eof);
  }
  REQUIRE(post(live.url("/chat/completions"), chat_body(false)).status == 200);
}

TEST_CASE("The vendor server serves embeddings and its models", "[net][vendor]") {
  Live live;
  const HttpResult e = post(live.url("/embeddings"), R"({"model":"emb","input":["a b","c"],"dimensions":16})");
  REQUIRE(e.status == 200);
  const Json j = Json::parse(e.body);
  REQUIRE(j["data"].size() == 2);
  REQUIRE(j["data"][0]["embedding"].size() == 16);
  const HttpResult again = post(live.url("/embeddings"), R"({"model":"emb","input":["a b","c"],"dimensions":16})");
  REQUIRE(again.body == e.body);
  const HttpResult m = get(live.url("/models"));
  REQUIRE(m.status == 200);
  REQUIRE(Json::parse(m.body)["data"][0]["id"] == "nw-clinical-large");
  REQUIRE(get(live.url("/models/nw-clinical-large")).status == 200);
  REQUIRE(get(live.url("/models/other")).status == 404);
}

TEST_CASE("The vendor server answers 400 naming the field for an embeddings request over the limits", "[net][vendor]") {
  Live live;
  // 40 KB of body: 10,000 one-letter inputs at 8192 dimensions would be 82 million floats.
  std::string inputs;
  for (int k = 0; k < 10000; ++k) inputs += k ? ",\"a\"" : "\"a\"";
  const HttpResult many = post(live.url("/embeddings"), R"({"model":"emb","dimensions":8192,"input":[)" + inputs + "]}");
  REQUIRE(many.status == 400);
  const Json m = Json::parse(many.body);
  CHECK(m["error"]["param"] == "input");
  CHECK(m["error"]["type"] == "invalid_request_error");
  CHECK_THAT(m["error"]["message"].get<std::string>(), Catch::Contains("maximum length 2048"));
  std::string some;
  for (int k = 0; k < 2048; ++k) some += k ? ",\"a\"" : "\"a\"";
  const HttpResult wide = post(live.url("/embeddings"), R"({"model":"emb","dimensions":8192,"input":[)" + some + "]}");
  REQUIRE(wide.status == 400);
  CHECK(Json::parse(wide.body)["error"]["param"] == "dimensions");
}

TEST_CASE("The vendor server refuses an unknown vendor id", "[net][vendor]") {
  Fakes fakes = testing::small_fakes();
  const World world = World::generate(fakes.world);
  LiveFaults faults;
  LiveMetrics metrics;
  LiveContext ctx{fakes, world, faults, metrics, 1};
  REQUIRE_THROWS_AS(VendorServer(ctx, "nobody", ServerOptions{}), std::runtime_error);
}

TEST_CASE("The simulated vendor fails without a status under reset and stream faults", "[net][vendor][faults]") {
  Fakes fakes = testing::small_fakes();
  const FakeVendor vendor(fakes.vendors[0]);
  ChatRequest req;
  req.messages = {{"system", "Answer only from the context."}, {"user", kQuestion}};
  auto outcome = [&](const std::string& fault_json) {
    const FaultSpec f = parse_fault(fault_json);
    Rng rng(3);
    return vendor.respond(req, 0, rng, {&f});
  };
  const VendorOutcome reset = outcome(R"({"id":"r","target":"vendor:primary","kind":"reset"})");
  REQUIRE(reset.status == 0);
  REQUIRE_FALSE(reset.hang);
  REQUIRE(reset.disconnect == Disconnect::kReset);
  REQUIRE(reset.delay == reset.ttft);
  REQUIRE(reset.fault_ids == std::vector<std::string>{"r"});

  const VendorOutcome brk = outcome(R"({"id":"b","target":"vendor:primary","kind":"stream_break","after_tokens":3})");
  REQUIRE(brk.status == 0);
  REQUIRE_FALSE(brk.hang);
  REQUIRE(brk.disconnect == Disconnect::kStreamBreak);
  REQUIRE(brk.after_tokens == 3);
  REQUIRE_FALSE(brk.response.content.empty());  // what the live server starts to send
  // The break comes once three tokens would have arrived (50 tokens/s in the fixture).
  REQUIRE(brk.delay == brk.ttft + 60 * kMillisecond);

  const VendorOutcome stall = outcome(R"({"id":"s","target":"vendor:primary","kind":"stream_stall"})");
  REQUIRE(stall.hang);
  REQUIRE(stall.disconnect == Disconnect::kStreamStall);
  REQUIRE(stall.after_tokens == 5);

  // A hang wins over a reset, a reset over an error.
  const FaultSpec hang = parse_fault(R"({"id":"h","target":"vendor:primary","kind":"hang"})");
  const FaultSpec rst = parse_fault(R"({"id":"r","target":"vendor:primary","kind":"reset"})");
  const FaultSpec err = parse_fault(R"({"id":"e","target":"vendor:primary","kind":"error","status":429})");
  Rng rng(3);
  REQUIRE(vendor.respond(req, 0, rng, {&rst, &hang}).disconnect == Disconnect::kNone);
  REQUIRE(vendor.respond(req, 0, rng, {&err, &rst}).disconnect == Disconnect::kReset);
}

TEST_CASE("The vendor server's embeddings meet the faults on their route and chat does not", "[net][vendor][routes]") {
  Live live;
  live.fault(R"({"id": "emb-down", "target": "vendor:primary", "kind": "error", "status": 503, "routes": ["embeddings"]})");
  const std::string body = R"({"model":"emb","input":["a b"],"dimensions":8})";
  const HttpResult e = post(live.url("/embeddings"), body);
  REQUIRE(e.status == 503);
  REQUIRE(Json::parse(e.body)["error"]["type"] == "server_error");
  REQUIRE(post(live.url("/chat/completions"), chat_body(false)).status == 200);
  // A chat-only fault leaves embeddings alone.
  live.faults.remove("emb-down");
  live.fault(R"({"id": "chat-down", "target": "vendor:primary", "kind": "error", "status": 500, "routes": ["chat"]})");
  REQUIRE(post(live.url("/embeddings"), body).status == 200);
  REQUIRE(post(live.url("/chat/completions"), chat_body(false)).status == 500);
}

TEST_CASE("The vendor server answers 404 model_not_found for a model its profile does not serve", "[net][vendor][errors]") {
  Live live;
  const HttpResult r = post(live.url("/chat/completions"),
                            R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"q"}]})");
  REQUIRE(r.status == 404);
  const Json e = Json::parse(r.body)["error"];
  REQUIRE(e["code"] == "model_not_found");
  REQUIRE(e["type"] == "invalid_request_error");
  REQUIRE(e["message"] == "The model `gpt-4o-mini` does not exist or you do not have access to it.");
  const HttpResult none = post(live.url("/chat/completions"), R"({"messages":[{"role":"user","content":"q"}]})");
  REQUIRE(none.status == 400);
  REQUIRE(Json::parse(none.body)["error"]["message"] == "you must provide a model parameter");
}

TEST_CASE("The vendor server calls a forced tool and answers from its result with citations", "[net][vendor][tools]") {
  Live live;
  const Json tools = Json::parse(R"([{"type":"function","function":{"name":"get_prior_auth_status",
      "description":"Look up the status of a prior authorization request for a patient.",
      "parameters":{"type":"object","properties":{"mrn":{"type":"string"}},"required":["mrn"],
                    "additionalProperties":false},"strict":true}}])");
  Json body = {{"model", "nw-clinical-large"},
               {"messages", Json::array({{{"role", "system"}, {"content", "Answer only from the context and cite [doc:ID]."}},
                                         {{"role", "user"}, {"content", "Question: What is the prior authorization status for SYN-0001234?"}}})},
               {"tools", tools},
               {"tool_choice", "required"}};
  const HttpResult first = post(live.url("/chat/completions"), body.dump());
  REQUIRE(first.status == 200);
  const Json j = Json::parse(first.body);
  REQUIRE(j["choices"][0]["finish_reason"] == "tool_calls");
  const Json call = j["choices"][0]["message"]["tool_calls"][0];
  REQUIRE(call["function"]["name"] == "get_prior_auth_status");
  REQUIRE(Json::parse(call["function"]["arguments"].get<std::string>()) == Json{{"mrn", "SYN-0001234"}});
  body["messages"].push_back(j["choices"][0]["message"]);
  body["messages"].push_back({{"role", "tool"}, {"tool_call_id", call["id"]},
                              {"content", R"({"id":"pa-77","status":"approved"})"}});
  body["tool_choice"] = "auto";
  const HttpResult second = post(live.url("/chat/completions"), body.dump());
  REQUIRE(second.status == 200);
  const Json k = Json::parse(second.body);
  REQUIRE(k["choices"][0]["finish_reason"] == "stop");
  REQUIRE(k["choices"][0]["message"]["content"] == "status: approved. [doc:pa-77]");
}

TEST_CASE("The vendor server answers n choices and stops at a stop sequence", "[net][vendor]") {
  Live live;
  const HttpResult r = post(live.url("/chat/completions"), chat_body(false, R"("n":2,"stop":["20"])"));
  REQUIRE(r.status == 200);
  const Json j = Json::parse(r.body);
  REQUIRE(j["choices"].size() == 2);
  REQUIRE(j["choices"][1]["index"] == 1);
  REQUIRE(j["choices"][0]["message"]["content"] == "Physical therapy is covered up to ");
  REQUIRE(j["choices"][1]["message"] == j["choices"][0]["message"]);
  REQUIRE(j["choices"][1]["finish_reason"] == "stop");
  REQUIRE(j["system_fingerprint"].get<std::string>().rfind("fp_", 0) == 0);
  const HttpResult lp = post(live.url("/chat/completions"), chat_body(false, R"("logprobs":true)"));
  REQUIRE(lp.status == 400);
  REQUIRE(Json::parse(lp.body)["error"]["param"] == "logprobs");
}

TEST_CASE("The vendor server stops while clients keep sending it requests", "[net][vendor]") {
  // Its handler schedules each delayed answer on the server itself: a server being destroyed
  // must still be there for the requests its io threads are handling while it stops.
  const std::string request = http_post("/v1/chat/completions", chat_body(false));
  for (int round = 0; round < 10; ++round) {
    auto live = std::make_unique<Live>(2 * kMillisecond);
    const std::uint16_t port = live->server.port();
    std::atomic<bool> stop{false};
    std::atomic<int> sent{0};
    std::vector<std::thread> clients;
    for (int c = 0; c < 4; ++c) {
      clients.emplace_back([&] {
        while (!stop.load()) {
          if (send_and_glance(port, request, std::chrono::milliseconds(1))) ++sent;
        }
      });
    }
    REQUIRE(wait_until([&] { return sent.load() >= 8; }));
    stop = true;  // no new connection after this one's requests; those in flight go on
    live.reset();
    for (auto& t : clients) t.join();
    CHECK(sent.load() >= 8);
  }
}
