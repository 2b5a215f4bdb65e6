#pragma once
// Raw HTTP over a loopback socket, for tests that look at bytes a client library hides (exact
// headers, resets, closes, hangs).
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

#include "support/wait.hpp"

namespace gameday::testing {

// What came back on a raw connection.
struct Raw {
  std::string data;
  bool eof = false;        // orderly close (FIN)
  bool reset = false;      // ECONNRESET
  bool timed_out = false;  // still open when we stopped waiting
};

// Sends `request` as is and reads until the peer closes or `wait` passes without an end. Pass a
// short `wait` only to see that nothing more comes; the default is for answers that must come.
inline Raw raw(std::uint16_t port, const std::string& request, std::chrono::milliseconds wait = test_support::kHangLimit,
        std::chrono::milliseconds pause_after_send = std::chrono::milliseconds(0)) {
  Raw out;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  if (!request.empty()) REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == ssize_t(request.size()));
  if (pause_after_send.count() > 0) std::this_thread::sleep_for(pause_after_send);
  const auto deadline = std::chrono::steady_clock::now() + wait;
  char buf[8192];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      out.timed_out = true;
      break;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) == 0) {
      out.timed_out = true;
      break;
    }
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      out.data.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) {
      out.eof = true;
    } else if (errno == ECONNRESET) {
      out.reset = true;
    }
    break;
  }
  ::close(fd);
  return out;
}

}  // namespace gameday::testing
