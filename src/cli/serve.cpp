#include "cli/serve.hpp"

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <pthread.h>
#include <utility>
#include <spdlog/spdlog.h>

#include "cli/common.hpp"
#include "cli/listen.hpp"
#include "cli/traces.hpp"
#include "cli/exit_codes.hpp"
#include "load/error.hpp"
#include "load/files.hpp"
#include "load/loader.hpp"
#include "net/control_server.hpp"
#include "net/ehr_server.hpp"
#include "net/otlp_exporter.hpp"
#include "net/served_exporter.hpp"
#include "net/vendor_server.hpp"

namespace gameday {
namespace {

bool is_loopback(const std::string& host) { return host == "127.0.0.1" || host == "::1" || host == "localhost"; }

}  // namespace

CLI::App* add_serve_command(CLI::App& app, ServeOptions& o) {
  auto* serve = app.add_subcommand("serve", "serve the fake vendor and fake EHR over HTTP, with a control API, until interrupted");
  serve->add_option("--ports", o.ports,
                    "YAML file of fixed ADDR:PORTs (vendor, vendors: {ID: ...}, ehr, control); the ADDR:PORT "
                    "options override it");
  serve->add_option("--vendor", o.vendors,
                    "[ID=]ADDR:PORT of a fake vendor: without ID the --vendor-id profile, with ID that profile "
                    "(repeatable; default 127.0.0.1:0, any free port)");
  serve->add_option("--vendor-id", o.vendor_id, "the vendor profile of the `vendor URL` line and of --vendor ADDR:PORT")
      ->capture_default_str();
  serve->add_option("--ehr", o.ehr, "ADDR:PORT of the fake EHR (default 127.0.0.1:0)");
  serve->add_option("--control", o.control, "ADDR:PORT of the control API (default 127.0.0.1:0)");
  serve->add_option("--faults", o.faults, "fault file (a 'faults:' list) to apply at start");
  serve->add_option("--fakes", o.fakes, "fakes directory (default: ./fakes when present, else the embedded copy)");
  serve->add_option("--token", o.token,
                    "bearer token for the control API (required when it is not on loopback; "
                    "default: $GAMEDAY_TOKEN)");
  serve->add_option("--token-file", o.token_file, "read the control API's bearer token from FILE (not visible in ps)");
  serve->add_option("--seed", o.seed, "random seed of the fakes")->capture_default_str();
  serve->add_option("--otlp", o.otlp,
                    "OTLP/HTTP collector URL: every call the fakes serve goes there as a span (POST URL/v1/traces)");
  serve->add_option("--io-threads", o.io_threads, "threads serving each fake vendor profile (the EHR and control API use one each)")
      ->check(CLI::Range(1u, 64u))
      ->capture_default_str();
  return serve;
}

int cmd_serve(const ServeOptions& o) {
  ListenPlan plan;
  const ListenOptions listen{o.ports, o.vendors, {{"--ehr", o.ehr}, {"--control", o.control}}};
  if (const auto bad = plan_listen(listen, plan)) return invalid("serve", *bad);  // a bad file: ConfigError
  const Endpoint ehr_at = plan.servers.at("--ehr");
  const Endpoint control_at = plan.servers.at("--control");
  std::string token;
  if (const auto bad = resolve_token(o.token, o.token_file, token)) return invalid("serve", *bad);
  if (!o.otlp.empty()) {
    if (auto bad = net::check_otlp_url(o.otlp)) return invalid("serve", *bad);
  }
  if (!is_loopback(control_at.host) && token.empty()) {
    std::cerr << "gameday serve: --control on " << control_at.host
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
  std::vector<std::string> vendor_ids;
  for (const auto& v : fakes.vendors) vendor_ids.push_back(v.id);
  if (std::find(vendor_ids.begin(), vendor_ids.end(), o.vendor_id) == vendor_ids.end()) {
    return invalid("serve", "--vendor-id " + o.vendor_id + ": the fakes define no vendor profile '" + o.vendor_id + "'");
  }
  if (const auto bad = check_vendor_ids(plan, vendor_ids)) return invalid("serve", *bad);
  std::vector<FaultSpec> initial;
  if (!o.faults.empty()) initial = load_fault_file(o.faults, disk);  // ConfigError: exit 2
  for (const auto& f : initial) {
    if (auto bad = net::unknown_vendor_target(fakes, f)) return invalid("serve", "--faults " + o.faults + ": " + *bad);
  }

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
  // --otlp: the calls served, as spans, from threads of their own (declared before the servers,
  // which report to them, so they outlive them).
  std::unique_ptr<net::OtlpExporter> exporter;
  std::unique_ptr<net::ServedSpanExporter> spans;
  if (!o.otlp.empty()) {
    exporter = std::make_unique<net::OtlpExporter>(net::OtlpExporterOptions{o.otlp});
    spans = std::make_unique<net::ServedSpanExporter>(*exporter, "gameday-fakes");
    ctx.calls = spans.get();
  }

  auto options = [](const Endpoint& at) {
    net::ServerOptions s;
    s.address = at.host;
    s.port = at.port;
    return s;
  };
  // A server per vendor profile, each on its own port; the control API's /status lists them.
  std::vector<std::unique_ptr<net::VendorServer>> vendors;
  std::map<std::string, std::string> servers;
  std::unique_ptr<net::EhrServer> ehr;
  std::unique_ptr<net::ControlServer> control;
  try {
    for (const auto& id : vendor_ids) {
      net::ServerOptions vendor_options = options(plan.vendors.at(id, o.vendor_id));
      vendor_options.io_threads = o.io_threads;
      vendors.push_back(std::make_unique<net::VendorServer>(ctx, id, vendor_options));
      servers["vendor:" + id] = vendors.back()->base_url();
    }
    servers["vendor"] = servers.at("vendor:" + o.vendor_id);
    ehr = std::make_unique<net::EhrServer>(ctx, options(ehr_at));
    servers["ehr"] = ehr->base_url();
    control = std::make_unique<net::ControlServer>(ctx, options(control_at), token, servers);
  } catch (const net::ListenError& e) {
    return invalid("serve", e.what());  // a port in use, an address not on this machine
  }
  // One write: a reader that has the control line has every line.
  std::string lines = "vendor " + servers.at("vendor") + "\nehr " + ehr->base_url() + "\ncontrol " + control->url() + "\n";
  for (const auto& id : vendor_ids) lines += "vendor:" + id + " " + servers.at("vendor:" + id) + "\n";
  std::cout << lines << std::flush;
  spdlog::info("serving until interrupted ({} fault{} active)", initial.size(), initial.size() == 1 ? "" : "s");

  // Wait for a stop signal; meanwhile end the faults whose `for` has passed (within 100 ms).
  const timespec tick{0, 100'000'000};
  while (sigtimedwait(&stop_signals, nullptr, &tick) < 0) {
    faults.expire_due();
    if (exporter) show_otlp_export(metrics, exporter->stats());
  }
  const std::size_t reverted = faults.reset();
  spdlog::info("stopping: {} fault{} reverted", reverted, reverted == 1 ? "" : "s");
  vendors.clear();
  ehr.reset();
  control.reset();
  if (exporter) {
    spans.reset();  // sends its last batch
    exporter->close(2 * kSecond);
    log_otlp_export(exporter->stats());
  }
  return kExitPass;
}

}  // namespace gameday
