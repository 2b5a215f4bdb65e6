#include "cli/common.hpp"

#include <csignal>
#include <fstream>
#include <iostream>
#include <stdexcept>

namespace gameday {

int invalid(std::string_view command, const std::string& message) {
  std::cerr << "gameday " << command << ": " << message << "\n";
  return kExitInvalid;
}

void write_file(const std::filesystem::path& path, const std::string& contents) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << contents;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

namespace {
std::atomic<bool> g_interrupted{false};
}  // namespace

// A signal handler: only an atomic store (lock-free), nothing else is safe here.
extern "C" void gameday_on_interrupt(int) { g_interrupted.store(true); }

const std::atomic<bool>* install_interrupt_handler() {
  struct sigaction sa {};
  sa.sa_handler = gameday_on_interrupt;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  return &g_interrupted;
}

}  // namespace gameday
