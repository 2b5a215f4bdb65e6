#include "cli/common.hpp"

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <iostream>
#include <stdexcept>

#include <unistd.h>

#include "load/ports.hpp"

namespace gameday {

int invalid(std::string_view command, const std::string& message) {
  std::cerr << "gameday " << command << ": " << message << "\n";
  return kExitInvalid;
}

void write_file(const std::filesystem::path& path, const std::string& contents) {
  if (path.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) throw std::runtime_error("cannot write " + path.string() + ": " + ec.message());
  }
  std::ofstream out(path, std::ios::binary);
  out << contents;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::optional<std::string> output_problem(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return path.string() + ": is a directory";
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  std::filesystem::create_directories(dir, ec);
  if (ec) return path.string() + ": cannot create " + dir.string() + ": " + ec.message();
  if (::access(dir.c_str(), W_OK) != 0) return path.string() + ": " + dir.string() + " is not writable";
  return std::nullopt;
}

std::optional<std::string> resolve_token(const std::string& token, const std::string& token_file,
                                         std::string& out) {
  out.clear();
  if (!token.empty() && !token_file.empty()) return "--token and --token-file: give one of them";
  if (!token.empty()) {
    out = token;
    return std::nullopt;
  }
  if (!token_file.empty()) {
    std::ifstream in(token_file, std::ios::binary);
    if (!in) return "--token-file " + token_file + ": cannot read it";
    std::ostringstream text;
    text << in.rdbuf();
    out = text.str();
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' ' || out.back() == '\t')) {
      out.pop_back();
    }
    if (out.empty()) return "--token-file " + token_file + ": the file is empty";
    if (out.find_first_of("\r\n") != std::string::npos) {
      out.clear();
      return "--token-file " + token_file + ": expected one line (the token)";
    }
    return std::nullopt;
  }
  if (const char* env = std::getenv("GAMEDAY_TOKEN")) out = env;
  return std::nullopt;
}

bool valid_listen_host(const std::string& flag, const std::string& host, std::string& error) {
  if (is_ip_literal(host)) return true;
  error = flag + ": '" + host + "' is not an IPv4 or IPv6 address (e.g. 127.0.0.1, [::1], localhost)";
  return false;
}

namespace {
std::atomic<bool> g_interrupted{false};
std::atomic<bool> g_interrupted_again{false};
}  // namespace

// A signal handler: only an atomic store (lock-free), nothing else is safe here.
extern "C" void gameday_on_interrupt(int) {
  if (g_interrupted.exchange(true)) g_interrupted_again.store(true);
}

const std::atomic<bool>* install_interrupt_handler() {
  struct sigaction sa {};
  sa.sa_handler = gameday_on_interrupt;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  return &g_interrupted;
}

const std::atomic<bool>* second_interrupt_flag() { return &g_interrupted_again; }

}  // namespace gameday
