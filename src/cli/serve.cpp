#include "cli/serve.hpp"

#include <csignal>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <pthread.h>
#include <utility>
#include <spdlog/spdlog.h>

#include "cli/common.hpp"
#include "cli/exit_codes.hpp"
#include "load/error.hpp"
#include "load/files.hpp"
#include "load/loader.hpp"
#include "net/control_server.hpp"
#include "net/ehr_server.hpp"
#include "net/vendor_server.hpp"

namespace gameday {
namespace {

bool is_loopback(const std::string& host) { return host == "127.0.0.1" || host == "::1" || host == "localhost"; }

}  // namespace

bool split_host_port(const std::string& text, std::string& host, std::uint16_t& port) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= text.size()) return false;
  host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host == "localhost") host = "127.0.0.1";
  unsigned long p = 0;
  for (std::size_t i = colon + 1; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    p = p * 10 + static_cast<unsigned long>(text[i] - '0');
    if (p > 65535) return false;
  }
  port = static_cast<std::uint16_t>(p);
  return true;
}

CLI::App* add_serve_command(CLI::App& app, ServeOptions& o) {
  auto* serve = app.add_subcommand("serve", "serve the fake vendor and fake EHR over HTTP, with a control API, until interrupted");
  serve->add_option("--vendor", o.vendor, "ADDR:PORT of the fake vendor (port 0: any free port)")->capture_default_str();
  serve->add_option("--vendor-id", o.vendor_id, "vendor profile to serve (fakes/vendors.yaml id)")->capture_default_str();
  serve->add_option("--ehr", o.ehr, "ADDR:PORT of the fake EHR")->capture_default_str();
  serve->add_option("--control", o.control, "ADDR:PORT of the control API")->capture_default_str();
  serve->add_option("--faults", o.faults, "fault file (a 'faults:' list) to apply at start");
  serve->add_option("--fakes", o.fakes, "fakes directory (default: ./fakes when present, else the embedded copy)");
  serve->add_option("--token", o.token,
                    "bearer token for the control API (required when it is not on loopback; "
                    "default: $GAMEDAY_TOKEN)");
  serve->add_option("--token-file", o.token_file, "read the control API's bearer token from FILE (not visible in ps)");
  serve->add_option("--seed", o.seed, "random seed of the fakes")->capture_default_str();
  serve->add_option("--io-threads", o.io_threads, "threads serving the fake vendor (the EHR and control API use one each)")
      ->check(CLI::Range(1u, 64u))
      ->capture_default_str();
  return serve;
}

int cmd_serve(const ServeOptions& o) {
  std::string vendor_host, ehr_host, control_host;
  std::uint16_t vendor_port = 0, ehr_port = 0, control_port = 0;
  if (!split_host_port(o.vendor, vendor_host, vendor_port)) {
    std::cerr << "gameday serve: --vendor: expected ADDR:PORT, got '" << o.vendor << "'\n";
    return kExitInvalid;
  }
  if (!split_host_port(o.ehr, ehr_host, ehr_port)) {
    std::cerr << "gameday serve: --ehr: expected ADDR:PORT, got '" << o.ehr << "'\n";
    return kExitInvalid;
  }
  if (!split_host_port(o.control, control_host, control_port)) {
    std::cerr << "gameday serve: --control: expected ADDR:PORT, got '" << o.control << "'\n";
    return kExitInvalid;
  }
  std::string error;
  const std::pair<const char*, const std::string*> hosts[] = {
      {"--vendor", &vendor_host}, {"--ehr", &ehr_host}, {"--control", &control_host}};
  for (const auto& [flag, host] : hosts) {
    if (!valid_listen_host(flag, *host, error)) return invalid("serve", error);
  }
  std::string token;
  if (const auto bad = resolve_token(o.token, o.token_file, token)) return invalid("serve", *bad);
  if (!is_loopback(control_host) && token.empty()) {
    std::cerr << "gameday serve: --control on " << control_host
              << " is reachable from other machines: give it a --token (or --token-file, or GAMEDAY_TOKEN)\n";
    return kExitInvalid;
  }

  const DiskFiles disk;
  std::error_code ec;
  const std::string fakes_dir = o.fakes.empty() ? "fakes" : o.fakes;
  const bool embedded = o.fakes.empty() && !std::filesystem::is_directory(fakes_dir, ec);
  if (!o.fakes.empty() && !std::filesystem::is_directory(fakes_dir, ec)) {
    std::cerr << "gameday serve: --fakes " << fakes_dir << ": no such directory\n";
    return kExitInvalid;
  }
  const Fakes fakes = embedded ? load_fakes(fakes_dir, embedded_files()) : load_fakes(fakes_dir, disk);
  std::vector<FaultSpec> initial;
  if (!o.faults.empty()) initial = load_fault_file(o.faults, disk);  // ConfigError: exit 2

  // Block the signals in every thread (the servers' too), and wait for them below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  const World world = World::generate(fakes.world);
  net::LiveFaults faults;
  net::LiveMetrics metrics;
  net::LiveContext ctx{fakes, world, faults, metrics, o.seed};
  for (const auto& f : initial) faults.add(f);

  auto options = [](const std::string& host, std::uint16_t port) {
    net::ServerOptions s;
    s.address = host;
    s.port = port;
    return s;
  };
  net::ServerOptions vendor_options = options(vendor_host, vendor_port);
  vendor_options.io_threads = o.io_threads;
  std::unique_ptr<net::VendorServer> vendor;
  std::unique_ptr<net::EhrServer> ehr;
  std::unique_ptr<net::ControlServer> control;
  try {
    vendor = std::make_unique<net::VendorServer>(ctx, o.vendor_id, vendor_options);
    ehr = std::make_unique<net::EhrServer>(ctx, options(ehr_host, ehr_port));
    control = std::make_unique<net::ControlServer>(ctx, options(control_host, control_port), token,
                                                   std::map<std::string, std::string>{
                                                       {"vendor", vendor->base_url()}, {"ehr", ehr->base_url()}});
  } catch (const net::ListenError& e) {
    return invalid("serve", e.what());  // a port in use, an address not on this machine
  }
  std::cout << "vendor " << vendor->base_url() << "\n"
            << "ehr " << ehr->base_url() << "\n"
            << "control " << control->url() << std::endl;
  spdlog::info("serving until interrupted ({} fault{} active)", initial.size(), initial.size() == 1 ? "" : "s");

  // Wait for a stop signal; meanwhile end the faults whose `for` has passed (within 100 ms).
  const timespec tick{0, 100'000'000};
  while (sigtimedwait(&stop_signals, nullptr, &tick) < 0) faults.expire_due();
  const std::size_t reverted = faults.reset();
  spdlog::info("stopping: {} fault{} reverted", reverted, reverted == 1 ? "" : "s");
  return kExitPass;
}

}  // namespace gameday
