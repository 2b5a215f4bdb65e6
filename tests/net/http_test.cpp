// The Beast server and the libcurl client against each other, on 127.0.0.1 with OS-assigned
// ports. Short timeouts only where a timeout is what is tested.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "support/skip.hpp"
#include "net/http_client.hpp"
#include "net/http_server.hpp"
#include "support/wait.hpp"

using namespace gameday;
using namespace gameday::net;
using test_support::kHangLimit;
using test_support::kHangLimitUs;
using test_support::wait_until;

namespace {

// Records requests and answers each with a fixed response.
struct Recorder {
  std::mutex mu;
  std::vector<ServerRequest> requests;
  ServerResponse response{200, "application/json", R"({"ok":true})"};

  RequestHandler handler() {
    return [this](ServerRequest req, ReplyFn reply) {
      ServerResponse r;
      {
        std::lock_guard<std::mutex> lock(mu);
        requests.push_back(std::move(req));
        r = response;
      }
      reply(r);
    };
  }
};

std::string header(const ServerRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

HttpRequest request(const std::string& method, const std::string& url, const std::string& body = "") {
  HttpRequest r;
  r.method = method;
  r.url = url;
  r.body = body;
  r.timeout = kHangLimitUs;
  return r;
}

}  // namespace

TEST_CASE("HttpServer listens on an OS-assigned loopback port", "[net][server]") {
  Recorder rec;
  HttpServer server(rec.handler());
  REQUIRE(server.port() != 0);
  REQUIRE(server.url() == "http://127.0.0.1:" + std::to_string(server.port()));
}

TEST_CASE("http_request sends method, headers and body and reads the response", "[net][client]") {
  Recorder rec;
  rec.response = ServerResponse{201, "application/json", R"({"id":7})"};
  HttpServer server(rec.handler());
  HttpRequest req = request("PUT", server.url() + "/v1/things/7?x=1", R"({"name":"seven"})");
  req.headers = {{"Content-Type", "application/json"}, {"X-Team", "sre"}};
  const HttpResult r = http_request(req);
  REQUIRE(r.status == 201);
  REQUIRE(r.body == R"({"id":7})");
  REQUIRE(rec.requests.size() == 1);
  const ServerRequest& got = rec.requests[0];
  REQUIRE(got.method == "PUT");
  REQUIRE(got.target == "/v1/things/7?x=1");
  REQUIRE(got.body == R"({"name":"seven"})");
  REQUIRE(header(got, "X-Team") == "sre");
  REQUIRE(header(got, "Content-Type") == "application/json");
}

TEST_CASE("http_request covers GET, POST, DELETE and HEAD", "[net][client]") {
  Recorder rec;
  HttpServer server(rec.handler());
  REQUIRE(http_request(request("GET", server.url() + "/a")).status == 200);
  REQUIRE(http_request(request("POST", server.url() + "/b", "x")).status == 200);
  REQUIRE(http_request(request("DELETE", server.url() + "/c")).status == 200);
  const HttpResult head = http_request(request("HEAD", server.url() + "/d"));
  REQUIRE(head.status == 200);
  REQUIRE(head.body.empty());
  REQUIRE(rec.requests.size() == 4);
  REQUIRE(rec.requests[0].method == "GET");
  REQUIRE(rec.requests[1].method == "POST");
  REQUIRE(rec.requests[1].body == "x");
  REQUIRE(rec.requests[2].method == "DELETE");
  REQUIRE(rec.requests[3].method == "HEAD");
}

TEST_CASE("A reply may come later from another thread while the client keeps its idle loop", "[net][server]") {
  std::mutex mu;
  std::vector<ReplyFn> pending;
  HttpServer server([&](ServerRequest, ReplyFn reply) {
    std::lock_guard<std::mutex> lock(mu);
    pending.push_back(std::move(reply));
  });
  int idles = 0;
  // The idle callback plays the simulation thread: it answers what the server queued.
  const HttpResult r = http_request(request("GET", server.url() + "/slow"), [&] {
    ++idles;
    std::lock_guard<std::mutex> lock(mu);
    for (auto& reply : pending) reply(ServerResponse{202, "application/json", R"({"queued":true})"});
    pending.clear();
    return true;
  });
  REQUIRE(r.status == 202);
  REQUIRE(r.body == R"({"queued":true})");
  REQUIRE(idles > 0);
}

TEST_CASE("http_request drops a request when its idle callback says to give up", "[net][http]") {
  std::mutex mu;
  std::vector<ReplyFn> pending;  // never answered while the client waits
  HttpServer server([&](ServerRequest, ReplyFn reply) {
    std::lock_guard<std::mutex> lock(mu);
    pending.push_back(std::move(reply));
  });
  int idles = 0;
  HttpRequest req = request("GET", server.url() + "/never");
  req.timeout = kHangLimitUs;
  const HttpResult r = http_request(req, [&] { return ++idles < 5; });
  REQUIRE(r.status == 0);
  REQUIRE(r.error == "cancelled");
  REQUIRE(idles == 5);
  std::lock_guard<std::mutex> lock(mu);
  for (auto& reply : pending) reply(ServerResponse{200, "text/plain", "late"});
}

TEST_CASE("http_request reports a refused connection as status 0 with a reason", "[net][client]") {
  std::string url;
  {
    Recorder rec;
    HttpServer server(rec.handler());
    url = server.url();
  }  // closed: nothing listens on that port any more
  const HttpResult r = http_request(request("GET", url + "/x"));
  REQUIRE(r.status == 0);
  REQUIRE_FALSE(r.error.empty());
}

TEST_CASE("http_request gives up after its timeout when no reply comes", "[net][client]") {
  HttpServer server([](ServerRequest, ReplyFn) { /* never replies */ });
  HttpRequest req = request("GET", server.url() + "/hang");
  req.timeout = 300 * kMillisecond;
  const HttpResult r = http_request(req);  // without its timeout it would hang the test
  REQUIRE(r.status == 0);
  REQUIRE(r.error.find("imeout") != std::string::npos);
}

TEST_CASE("http_request rejects URLs that are not http or https", "[net][client]") {
  REQUIRE(http_request(request("GET", "file:///etc/passwd")).error == "not an http(s) URL");
  REQUIRE(http_request(request("GET", "ftp://example.test/")).status == 0);
}

TEST_CASE("HttpServer answers 413 to a body over its limit", "[net][server]") {
  Recorder rec;
  ServerOptions options;
  options.body_limit = 16;
  HttpServer server(rec.handler(), options);
  const HttpResult r = http_request(request("POST", server.url() + "/big", std::string(1000, 'x')));
  REQUIRE(r.status == 413);
  REQUIRE(rec.requests.empty());
}

TEST_CASE("HttpServer serves keep-alive and concurrent clients", "[net][server]") {
  Recorder rec;
  HttpServer server(rec.handler());
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 4; ++i) {
    clients.emplace_back([&] {
      for (int k = 0; k < 5; ++k) {
        if (http_request(request("GET", server.url() + "/n")).status == 200) ++ok;
      }
    });
  }
  for (auto& t : clients) t.join();
  REQUIRE(ok == 20);
}

TEST_CASE("Stopping a server with a request waiting for its reply does not hang", "[net][server]") {
  std::atomic<bool> got{false};
  std::thread client;
  {
    HttpServer server([&](ServerRequest, ReplyFn) { got = true; });
    const std::string url = server.url();
    client = std::thread([url] {
      HttpRequest req;
      req.url = url + "/wait";
      req.timeout = kHangLimitUs;
      http_request(req);
    });
    REQUIRE(wait_until([&] { return got.load(); }));
  }
  client.join();
}

namespace {

// Sends `request` on a raw connection and reads until the peer closes or `wait` passes; sets
// `closed` when it closed.
std::string raw_exchange(std::uint16_t port, const std::string& request, std::chrono::milliseconds wait,
                         bool& closed) {
  closed = false;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == ssize_t(request.size()));
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + wait;
  char buf[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) == 0) break;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      closed = true;
      break;
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace

TEST_CASE("An exchange streams a chunked body written over time", "[net][server]") {
  HttpServer* self = nullptr;
  HttpServer server(ExchangeHandler([&](ServerRequest, std::shared_ptr<Exchange> ex) {
    ex->begin(200, "text/event-stream", {{"x-stream", "yes"}});
    ex->write("data: 1\n\n");
    self->after(30 * kMillisecond, [ex] {
      ex->write("data: 2\n\n");
      ex->end();
    });
  }));
  self = &server;
  HttpRequest req = request("GET", server.url() + "/events");
  const HttpResult r = http_request(req);
  REQUIRE(r.status == 200);
  REQUIRE(r.body == "data: 1\n\ndata: 2\n\n");
}

TEST_CASE("A hung exchange outlives the io timeout and a reset one closes at once", "[net][server]") {
  ServerOptions options;
  options.io_timeout = 100 * kMillisecond;
  HttpServer server(ExchangeHandler([](ServerRequest req, std::shared_ptr<Exchange> ex) {
    if (req.target == "/hang") {
      ex->hang();
    } else {
      ex->reset();
    }
  }), options);
  bool closed = false;
  const std::string get_hang = "GET /hang HTTP/1.1\r\nHost: x\r\n\r\n";
  REQUIRE(raw_exchange(server.port(), get_hang, std::chrono::milliseconds(400), closed).empty());
  REQUIRE_FALSE(closed);
  const std::string get_reset = "GET /reset HTTP/1.1\r\nHost: x\r\n\r\n";
  REQUIRE(raw_exchange(server.port(), get_reset, kHangLimit, closed).empty());
  REQUIRE(closed);
}

TEST_CASE("HttpServer answers malformed requests with 400 in the owner's error shape", "[net][server]") {
  Recorder rec;
  ServerOptions options;
  options.error_response = [](int status, const std::string& message) {
    return ServerResponse{status, "application/problem+json", "{\"problem\":\"" + message + "\"}"};
  };
  HttpServer server(rec.handler(), options);
  bool closed = false;
  const std::string r = raw_exchange(server.port(), "BAD REQUEST LINE\r\n\r\n", kHangLimit, closed);
  REQUIRE(r.rfind("HTTP/1.1 400", 0) == 0);
  REQUIRE(r.find("application/problem+json") != std::string::npos);
  REQUIRE(closed);
  REQUIRE(rec.requests.empty());
}

TEST_CASE("HttpServer with several io threads serves concurrent clients, delayed and streamed replies, and stops", "[net][server]") {
  ServerOptions options;
  options.io_threads = 3;
  std::mutex mu;
  std::set<std::thread::id> handler_threads;
  std::thread client_hold;
  std::atomic<bool> waiting{false};
  {
    HttpServer* self = nullptr;
    HttpServer server(ExchangeHandler([&](ServerRequest req, std::shared_ptr<Exchange> ex) {
      {
        std::lock_guard<std::mutex> lock(mu);
        handler_threads.insert(std::this_thread::get_id());
      }
      if (req.target == "/later") {
        self->after(5 * kMillisecond, [ex] { ex->reply(ServerResponse{200, "text/plain", "later"}); });
      } else if (req.target == "/stream") {
        ex->begin(200, "text/plain");
        self->after(2 * kMillisecond, [self, ex] {
          ex->write("a");
          self->after(2 * kMillisecond, [ex] {
            ex->write("b");
            ex->end();
          });
        });
      } else if (req.target == "/wait") {
        waiting = true;  // never answered: the server stops with it pending
      } else {
        ex->reply(ServerResponse{200, "text/plain", "now"});
      }
    }), options);
    self = &server;
    std::atomic<int> ok{0};
    std::vector<std::thread> clients;
    for (int i = 0; i < 6; ++i) {
      clients.emplace_back([&] {
        for (int k = 0; k < 10; ++k) {
          const HttpResult now = http_request(request("GET", server.url() + "/now"));
          const HttpResult later = http_request(request("GET", server.url() + "/later"));
          const HttpResult stream = http_request(request("GET", server.url() + "/stream"));
          if (now.body == "now" && later.body == "later" && stream.body == "ab") ++ok;
        }
      });
    }
    for (auto& t : clients) t.join();
    REQUIRE(ok == 60);
    const std::string url = server.url();
    client_hold = std::thread([url] { http_request(request("GET", url + "/wait")); });
    REQUIRE(wait_until([&] { return waiting.load(); }));
  }
  client_hold.join();
  // Connections are spread over the io threads.
  REQUIRE(handler_threads.size() > 1);
}

namespace {

// A raw loopback connection that sends `request` and stays open (-1 on failure).
int send_and_keep(std::uint16_t port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return -1;
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  return fd;
}

// Whether the server closed `fd` (EOF or reset) within kHangLimit.
bool closed_by_server(int fd) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(std::chrono::milliseconds(kHangLimit).count())) <= 0) return false;
  char buf[256];
  return ::recv(fd, buf, sizeof buf, 0) <= 0;
}

// Keeps the exchanges the handler saw, by target.
struct Held {
  std::mutex mu;
  std::map<std::string, std::shared_ptr<Exchange>> by_target;

  std::shared_ptr<Exchange> get(const std::string& target) {
    std::lock_guard<std::mutex> lock(mu);
    const auto it = by_target.find(target);
    return it == by_target.end() ? nullptr : it->second;
  }
};

}  // namespace

TEST_CASE("A client that leaves while its answer is delayed frees its connection at once", "[net][server]") {
  Held held;
  HttpServer server(ExchangeHandler([&](ServerRequest req, std::shared_ptr<Exchange> ex) {
    std::lock_guard<std::mutex> lock(held.mu);
    held.by_target[req.target] = std::move(ex);  // answered never: a long latency fault
  }));
  const int fd = send_and_keep(server.port(), "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(fd >= 0);
  REQUIRE(wait_until([&] { return held.get("/slow") != nullptr; }));
  CHECK(held.get("/slow")->alive());
  ::close(fd);
  CHECK(wait_until([&] { return !held.get("/slow")->alive(); }));
}

TEST_CASE("release_held closes hung exchanges and leaves pending ones alone", "[net][server]") {
  Held held;
  HttpServer server(ExchangeHandler([&](ServerRequest req, std::shared_ptr<Exchange> ex) {
    if (req.target == "/hang") ex->hang();
    std::lock_guard<std::mutex> lock(held.mu);
    held.by_target[req.target] = std::move(ex);
  }));
  const int hung = send_and_keep(server.port(), "GET /hang HTTP/1.1\r\nHost: x\r\n\r\n");
  const int pending = send_and_keep(server.port(), "GET /pending HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(wait_until([&] { return held.get("/hang") && held.get("/pending"); }));
  server.release_held();
  CHECK(closed_by_server(hung));
  CHECK(held.get("/pending")->alive());
  held.get("/pending")->reply(ServerResponse{200, "text/plain", "late"});
  pollfd p{pending, POLLIN, 0};
  REQUIRE(::poll(&p, 1, static_cast<int>(std::chrono::milliseconds(kHangLimit).count())) == 1);
  char buf[512];
  const ssize_t n = ::recv(pending, buf, sizeof buf, 0);
  REQUIRE(n > 0);
  CHECK(std::string(buf, static_cast<std::size_t>(n)).find("late") != std::string::npos);
  ::close(hung);
  ::close(pending);
}

TEST_CASE("release_held ends only the holds of the faults it names", "[net][server]") {
  Held held;
  HttpServer* self = nullptr;
  std::atomic<int> delayed_ran{0};
  HttpServer server(ExchangeHandler([&](ServerRequest req, std::shared_ptr<Exchange> ex) {
    if (req.target == "/hang-a") ex->hang({"a"});
    if (req.target == "/hang-b") ex->hang({"b"});
    if (req.target == "/slow-a") {
      self->after(kHour, {"a"}, [ex, &delayed_ran] {
        ++delayed_ran;
        ex->reply(ServerResponse{200, "text/plain", "released"});
      });
    }
    std::lock_guard<std::mutex> lock(held.mu);
    held.by_target[req.target] = std::move(ex);
  }));
  self = &server;
  const int a = send_and_keep(server.port(), "GET /hang-a HTTP/1.1\r\nHost: x\r\n\r\n");
  const int b = send_and_keep(server.port(), "GET /hang-b HTTP/1.1\r\nHost: x\r\n\r\n");
  const int slow = send_and_keep(server.port(), "GET /slow-a HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(wait_until([&] { return held.get("/hang-a") && held.get("/hang-b") && held.get("/slow-a"); }));
  server.release_held(HoldRelease{false, {"c"}});  // nobody's
  server.release_held(HoldRelease{false, {"a"}});
  CHECK(closed_by_server(a));
  CHECK(wait_until([&] { return delayed_ran.load() == 1; }));  // an hour early
  pollfd p{slow, POLLIN, 0};
  REQUIRE(::poll(&p, 1, static_cast<int>(std::chrono::milliseconds(kHangLimit).count())) == 1);
  char buf[512];
  const ssize_t n = ::recv(slow, buf, sizeof buf, 0);
  REQUIRE(n > 0);
  CHECK(std::string(buf, static_cast<std::size_t>(n)).find("released") != std::string::npos);
  CHECK(held.get("/hang-b")->alive());
  server.release_held();  // a reset: everything
  CHECK(closed_by_server(b));
  ::close(a);
  ::close(b);
  ::close(slow);
}

TEST_CASE("A request pipelined behind a delayed answer is served after it", "[net][server]") {
  HttpServer* self = nullptr;
  HttpServer server(ExchangeHandler([&](ServerRequest req, std::shared_ptr<Exchange> ex) {
    const std::string target = req.target;
    if (target == "/first") {
      self->after(50 * kMillisecond, [ex] { ex->reply(ServerResponse{200, "text/plain", "one"}); });
    } else {
      ex->reply(ServerResponse{200, "text/plain", "two"});
    }
  }));
  self = &server;
  bool closed = false;
  const std::string two = "GET /first HTTP/1.1\r\nHost: x\r\n\r\nGET /second HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  const std::string out = raw_exchange(server.port(), two, kHangLimit, closed);
  CHECK(closed);
  const auto one_at = out.find("one");
  const auto two_at = out.find("two");
  REQUIRE(one_at != std::string::npos);
  REQUIRE(two_at != std::string::npos);
  CHECK(one_at < two_at);
}

TEST_CASE("HttpServer refuses a bad address with ListenError", "[net][server]") {
  ServerOptions bad;
  bad.address = "999.1.1.1";
  CHECK_THROWS_AS(HttpServer(RequestHandler([](ServerRequest, ReplyFn) {}), bad), ListenError);
}

TEST_CASE("HttpServer prints an IPv6 address in brackets", "[net][server]") {
  ServerOptions v6;
  v6.address = "::1";
  std::unique_ptr<HttpServer> server;
  try {
    server = std::make_unique<HttpServer>(RequestHandler([](ServerRequest, ReplyFn reply) { reply(ServerResponse{}); }), v6);
  } catch (const ListenError& e) {
    return test_support::skip_because(std::string("no IPv6 loopback here: ") + e.what());
  }
  CHECK(server->url() == "http://[::1]:" + std::to_string(server->port()));
}

TEST_CASE("The descriptor reserve is a sixteenth of the limit within 16 and 256", "[net][server]") {
  const std::size_t r = fd_reserve();
  CHECK(r >= 16);
  CHECK(r <= 256);
}
