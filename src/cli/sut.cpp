// `gameday sut check URL` and `gameday sut validate FILE...`: the CLI glue (options, files, the
// fakes' servers, output). Asking, judging and the report: net/sut_check.
#include "cli/sut.hpp"

#include <CLI/CLI.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "cli/common.hpp"
#include "cli/listen.hpp"
#include "cli/serve.hpp"
#include "load/error.hpp"
#include "load/files.hpp"
#include "load/json_schema.hpp"
#include "load/loader.hpp"
#include "net/ehr_server.hpp"
#include "net/http_server.hpp"
#include "net/live.hpp"
#include "net/sut_check.hpp"
#include "quality/judge.hpp"
#include "net/vendor_server.hpp"

namespace gameday {
namespace {

net::ServerOptions server_options(const Endpoint& at) {
  net::ServerOptions s;
  s.address = at.host;
  s.port = at.port;
  return s;
}

// The fake vendor (every profile) and EHR over HTTP, and their lines as `gameday drill` prints
// them. Throws net::ListenError when one cannot listen.
struct FakeServers {
  std::vector<std::unique_ptr<net::VendorServer>> vendors;
  std::unique_ptr<net::EhrServer> ehr;
  std::vector<std::string> lines;  // "vendor URL/v1", "vendor:ID URL/v1"..., "ehr URL/fhir"
};

FakeServers start_fakes(const net::LiveContext& ctx, const ListenPlan& plan) {
  FakeServers s;
  const std::string& route = ctx.fakes.assistant.primary_route;
  for (const auto& v : ctx.fakes.vendors) {
    s.vendors.push_back(std::make_unique<net::VendorServer>(ctx, v.id, server_options(plan.vendors.at(v.id, route))));
    if (v.id == route) s.lines.insert(s.lines.begin(), "vendor " + s.vendors.back()->base_url());
  }
  for (std::size_t i = 0; i < s.vendors.size(); ++i) {
    s.lines.push_back("vendor:" + ctx.fakes.vendors[i].id + " " + s.vendors[i]->base_url());
  }
  s.ehr = std::make_unique<net::EhrServer>(ctx, server_options(plan.servers.at("--ehr")));
  s.lines.push_back("ehr " + s.ehr->base_url());
  return s;
}

// The fakes: ./fakes when present (or --fakes), else the embedded copy. The vendors' baseline
// error rate is switched off: a check with no faults answers every request.
std::optional<Fakes> fakes_for(const SutOptions& o, std::string& source) {
  std::error_code ec;
  const std::string dir = o.fakes.empty() ? "fakes" : o.fakes;
  if (!o.fakes.empty() && !std::filesystem::is_directory(dir, ec)) return std::nullopt;
  const bool embedded = o.fakes.empty() && !std::filesystem::is_directory(dir, ec);
  source = embedded ? "the embedded fakes" : dir + "/";
  Fakes fakes = embedded ? load_fakes(dir, embedded_files()) : load_fakes(dir, DiskFiles());
  for (auto& v : fakes.vendors) v.error_rate = 0;
  return fakes;
}

// The golden sets: the files given, else every set shipped in scenarios/golden/ (embedded).
// nullopt, with each problem on stderr ("file:line:col: message"), when a file is not a valid
// golden set.
std::optional<std::vector<net::SutGoldenSet>> golden_sets(const SutOptions& o) {
  std::vector<net::SutGoldenSet> sets;
  if (o.golden.empty()) {
    const MemoryFiles& files = embedded_files();
    for (const auto& path : files.list("scenarios/golden")) {
      if (path.size() > 5 && path.compare(path.size() - 5, 5, ".yaml") == 0) {
        sets.push_back({path, load_golden_set(path, files)});
      }
    }
    return sets;
  }
  const DiskFiles disk;
  for (const auto& path : o.golden) {
    const auto problems = validate_files({path}, disk);
    for (const auto& p : problems) std::cerr << p << "\n";
    if (!problems.empty()) return std::nullopt;
    if (detect_kind(path, disk) != FileKind::kGoldenSet) {
      std::cerr << path << ":1:1: not a golden set (a golden set has 'cases')\n";
      return std::nullopt;
    }
    sets.push_back({path, load_golden_set(path, disk)});
  }
  return sets;
}

std::string set_names(const std::vector<net::SutGoldenSet>& sets) {
  std::string out;
  for (const auto& s : sets) out += (out.empty() ? "" : ", ") + s.set.name + " (" + s.path + ")";
  return out;
}

}  // namespace

std::pair<CLI::App*, CLI::App*> add_sut_command(CLI::App& app, SutOptions& o) {
  auto* sut = app.add_subcommand("sut", "check your own answer service against the published contract");
  sut->require_subcommand(1);
  auto* check = sut->add_subcommand(
      "check", "run the golden sets against your service (fake vendor and EHR, no faults) and judge each answer");
  check->add_option("url", o.url, "your service's base URL (it serves POST /v1/answers)")->required();
  check->add_option("--golden", o.golden, "golden set files (default: the shipped scenarios/golden/*.yaml)");
  check->add_option("--seed", o.seed, "random seed (default 1)");
  check->add_option("--vendor", o.vendors,
                    "ADDR:PORT of the assistant's route's fake vendor, or ID=ADDR:PORT of vendor profile ID (repeatable)");
  check->add_option("--ehr", o.ehr, "ADDR:PORT of the fake EHR (default 127.0.0.1:0, any free port)");
  check->add_option("--ports", o.ports, "a ports file fixing the fakes' ports (as for gameday drill; options win)");
  check->add_option("--fakes", o.fakes, "fakes directory (default: ./fakes when present, else the embedded copy)");
  check->add_option("--timeout", o.timeout_s, "seconds one request may take (default 30)");
  check->add_flag("--json", o.json, "print the result as one JSON object");
  auto* validate = sut->add_subcommand("validate", "check saved response bodies against the contract's schema");
  validate->add_option("files", o.files, "response bodies (JSON files)")->required();
  validate->add_option("--task-type", o.task_type, "the request's task_type (message_triage also checks the answer's JSON)");
  validate->add_flag("--json", o.json, "print the problems as JSON");
  return {check, validate};
}

int cmd_sut_check(const SutOptions& o) {
  std::string url = o.url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    return invalid("sut check", "expected an http:// or https:// URL, got '" + o.url + "'");
  }
  if (!std::isfinite(o.timeout_s) || o.timeout_s <= 0) {
    return invalid("sut check", "--timeout: expected a positive number of seconds");
  }
  std::string fakes_source;
  const std::optional<Fakes> fakes = fakes_for(o, fakes_source);
  if (!fakes) return invalid("sut check", "--fakes " + o.fakes + ": no such directory");
  // Where the fakes listen, as for `gameday drill` (a bad ports file throws ConfigError: exit 2).
  ListenPlan plan;
  if (auto bad = plan_listen(ListenOptions{o.ports, o.vendors, {{"--ehr", o.ehr}}}, plan)) {
    return invalid("sut check", *bad);
  }
  std::vector<std::string> vendor_ids;
  for (const auto& v : fakes->vendors) vendor_ids.push_back(v.id);
  if (auto bad = check_vendor_ids(plan, vendor_ids)) return invalid("sut check", *bad);
  const auto loaded = golden_sets(o);
  if (!loaded) return kExitInvalid;
  const std::vector<net::SutGoldenSet>& sets = *loaded;

  const World world = World::generate(fakes->world);
  net::LiveFaults faults;  // none: the service is checked against a healthy world
  net::LiveMetrics metrics;
  const net::LiveContext ctx{*fakes, world, faults, metrics, o.seed};
  FakeServers servers;
  try {
    servers = start_fakes(ctx, plan);
  } catch (const net::ListenError& e) {
    return invalid("sut check", e.what());  // a port in use, an address not on this machine
  }
  net::SutCheckResult result;
  result.servers = servers.lines;
  if (!o.json) {
    for (const auto& line : result.servers) std::cout << line << "\n";
    std::cout << std::flush;
  }

  const JudgeLexicon lexicon(fakes->hallucinations);  // what these fakes' vendor makes up
  net::SutCheckOptions options;
  options.url = url;
  options.lexicon = &lexicon;
  options.seed = o.seed;
  options.timeout = static_cast<Duration>(o.timeout_s * kSecond);
  std::vector<std::string> notes;
  if (const std::string why = net::probe_sut(options, notes); !why.empty()) {
    return invalid("sut check", "cannot reach the service at " + url + ": " + why +
                                    " (is it running, and listening on that address?)");
  }
  std::size_t cases = 0;
  for (const auto& s : sets) cases += s.set.cases.size();
  if (!o.json) {
    std::cout << "sut check " << url << ": " << cases << (cases == 1 ? " case" : " cases") << " from "
              << set_names(sets) << ", " << fakes_source << ", seed " << o.seed << ", no faults" << std::endl;
  }
  net::SutCheckResult run = net::run_sut_check(world, sets, options);
  run.servers = std::move(result.servers);
  run.notes = std::move(notes);
  if (o.json) {
    std::cout << net::sut_check_json(run).dump() << "\n";
  } else {
    std::cout << net::sut_check_text(run);
    if (!run.ok) std::cout << "the contract and how answers are judged: docs/sut.md\n";
  }
  return run.ok ? kExitPass : kExitFail;
}

int cmd_sut_validate(const SutOptions& o) {
  const bool triage = o.task_type == "message_triage";
  nlohmann::ordered_json report = nlohmann::ordered_json::array();
  bool all_valid = true;
  for (const auto& path : o.files) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return invalid("sut validate", path + ": cannot read file");
    std::ostringstream text;
    text << in.rdbuf();
    // A body that is not JSON at all: where it stops parsing.
    std::optional<JsonSyntaxError> syntax;
    try {
      [[maybe_unused]] const auto parsed = nlohmann::json::parse(text.str());
    } catch (const nlohmann::json::parse_error& e) {
      syntax = json_syntax_error(text.str(), e);
    } catch (const nlohmann::json::out_of_range& e) {
      syntax = json_syntax_error(text.str(), e);
    }
    if (syntax) {
      const JsonSyntaxError& at = *syntax;
      const std::string where = path + ":" + std::to_string(at.line) + ":" + std::to_string(at.column);
      all_valid = false;
      if (o.json) {
        report.push_back({{"file", path}, {"valid", false}, {"problems", {where + ": invalid JSON: " + at.message}}});
      } else {
        std::cout << where << ": invalid JSON: " << at.message << "\n";
      }
      continue;
    }
    const std::vector<std::string> problems = net::sut_response_problems(text.str(), triage);
    all_valid = all_valid && problems.empty();
    if (o.json) {
      report.push_back({{"file", path}, {"valid", problems.empty()}, {"problems", problems}});
      continue;
    }
    if (problems.empty()) std::cout << path << ": ok\n";
    for (const auto& p : problems) std::cout << path << ": " << p << "\n";
  }
  if (o.json) std::cout << report.dump() << "\n";
  return all_valid ? kExitPass : kExitFail;
}

}  // namespace gameday
