// `gameday serve` under a lowered RLIMIT_NOFILE: EHR timeout faults hold connections that
// their clients abandon; the control API must still answer, and the descriptors must come back
// when the clients leave, when the fault ends and on /reset.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "e2e_support.hpp"
#include "serve_process.hpp"

namespace {

constexpr rlim_t kFdLimit = 128;
// More than the limit allows: the server must refuse some rather than run out.
constexpr int kClients = 160;

// "http://127.0.0.1:PORT/..." -> PORT.
std::uint16_t port_of(const std::string& url) {
  const auto colon = url.find(':', url.find("//"));
  return static_cast<std::uint16_t>(std::stoi(url.substr(colon + 1)));
}

// A loopback socket connected to `port` (-1 when it cannot connect).
int connect_to(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void send_all(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<std::size_t>(n);
  }
}

// One request on a fresh connection; the whole answer (the server closes after it), or what
// came within 10 s.
std::string request(std::uint16_t port, const std::string& method, const std::string& target,
                    const std::string& body = "") {
  const int fd = connect_to(port);
  if (fd < 0) return "";
  send_all(fd, method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
                   "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                   "\r\n\r\n" + body);
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[4096];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

// Opens `n` connections to the EHR, each asking for a patient (held by the timeout fault, or
// refused with 503 when the server is near its limit).
std::vector<int> abandoned_requests(std::uint16_t ehr_port, int n) {
  std::vector<int> fds;
  for (int i = 0; i < n; ++i) {
    const int fd = connect_to(ehr_port);
    if (fd < 0) continue;
    send_all(fd, "GET /fhir/Patient/pat-0001 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    fds.push_back(fd);
  }
  return fds;
}

void close_all(std::vector<int>& fds) {
  for (const int fd : fds) ::close(fd);
  fds.clear();
}

std::size_t open_fds(pid_t pid) {
  std::error_code ec;
  std::size_t n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

// Waits (30 s at most) until the server holds at most `target` descriptors; returns its count.
std::size_t settle(pid_t pid, std::size_t target) {
  std::size_t n = open_fds(pid);
  for (int i = 0; i < 600 && n > target; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    n = open_fds(pid);
  }
  return n;
}

// Waits (30 s at most) until the server holds at least `target` descriptors.
std::size_t fill(pid_t pid, std::size_t target) {
  std::size_t n = open_fds(pid);
  for (int i = 0; i < 600 && n < target; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    n = open_fds(pid);
  }
  return n;
}

bool answers_200(const std::string& response) { return response.rfind("HTTP/1.1 200", 0) == 0; }

const std::string kTimeoutFault = R"({"id":"again","target":"ehr","kind":"timeout"})";

}  // namespace

TEST_CASE("Serve keeps its control API answering when abandoned EHR timeouts exceed the descriptor limit",
          "[e2e][serve][fd]") {
  e2e::TempDir dir;
  dir.write("faults.yaml", "faults:\n  - {id: stuck, target: ehr, kind: timeout}\n");
  e2e::ServeProcess serve(dir, {"--faults", (dir / "faults.yaml").string()}, kFdLimit);
  const std::uint16_t ehr = port_of(serve.url("ehr"));
  const std::uint16_t control = port_of(serve.url("control"));
  REQUIRE(ehr != 0);
  REQUIRE(control != 0);
  const pid_t pid = serve.pid();
  const std::size_t idle = open_fds(pid);
  INFO("descriptors at rest: " << idle);

  std::vector<int> clients = abandoned_requests(ehr, kClients);
  // The server fills up to its budget (below the limit) and refuses the rest.
  const std::size_t held = fill(pid, kFdLimit / 2);
  CHECK(held < kFdLimit);
  CHECK(held > idle + 32);
  // Before any client gives up: on a busy machine the server may still be accepting the backlog.
  for (int i = 0; i < 600 && serve.stderr_text().find("refusing new connections") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(answers_200(request(control, "GET", "/faults")));

  SECTION("the descriptors return when the clients give up") {
    close_all(clients);
    CHECK(settle(pid, idle + 2) <= idle + 2);
  }
  SECTION("the descriptors return on /reset while the clients still wait") {
    CHECK(answers_200(request(control, "POST", "/reset")));
    CHECK(settle(pid, idle + 2) <= idle + 2);
    close_all(clients);
  }
  SECTION("the descriptors return when the fault ends while the clients still wait") {
    CHECK(request(control, "DELETE", "/faults/stuck").rfind("HTTP/1.1 204", 0) == 0);
    CHECK(settle(pid, idle + 2) <= idle + 2);
    close_all(clients);
  }
  // After all that, it still serves and holds again.
  CHECK(request(control, "POST", "/faults", kTimeoutFault).rfind("HTTP/1.1 201", 0) == 0);
  std::vector<int> again = abandoned_requests(ehr, 8);
  CHECK(fill(pid, idle + 8) >= idle + 8);
  close_all(again);
  CHECK(settle(pid, idle + 2) <= idle + 2);
  CHECK(serve.stop() == 0);
  CHECK_THAT(serve.stderr_text(), Catch::Contains("refusing new connections"));
}
