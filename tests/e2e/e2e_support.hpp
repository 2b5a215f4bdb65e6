#pragma once
// Helpers for end-to-end tests: run the real gameday binary and read what it wrote.
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "support/skip.hpp"

namespace e2e {

using test_support::find_tool;
using test_support::skip_because;

/// "" when `program` is in $PATH, else a skip reason naming the Debian package that has it.
inline std::string missing(std::string_view program, std::string_view package) {
  if (!find_tool({program}).empty()) return "";
  return std::string(program) + " not found in PATH (apt-get install " + std::string(package) + ")";
}

/// "" when node and the npm `packages` the tests/node scripts import are installed, else why not.
inline std::string missing_node(std::initializer_list<std::string_view> packages) {
  if (auto why = missing("node", "nodejs npm"); !why.empty()) return why;
  const auto modules = std::filesystem::path(GAMEDAY_SOURCE_DIR) / "tests" / "node" / "node_modules";
  for (const std::string_view p : packages) {
    if (!std::filesystem::exists(modules / p)) {
      return "npm package " + std::string(p) + " not installed (run `npm ci` in tests/node)";
    }
  }
  return "";
}

/// Every gameday this process starts records its runs in the build directory's
/// e2e-history.sqlite (GAMEDAY_HISTORY, unless the environment already names a history), not in
/// the source tree's reports/: the tests running at once share that one file.
inline const bool kHistoryInBuildDir = [] {
  ::setenv("GAMEDAY_HISTORY", GAMEDAY_E2E_HISTORY, 0);
  return true;
}();

/// Every gameday this process starts runs all of `gameday ci`'s work unless the test itself sets
/// JOB_COMPLETION_INDEX and JOB_COMPLETIONS: the tests may run in a Kubernetes Indexed Job.
inline const bool kNoJobShardFromEnv = [] {
  ::unsetenv("JOB_COMPLETION_INDEX");
  ::unsetenv("JOB_COMPLETIONS");
  return true;
}();

/// The shipped scenario library (scenarios/*.yaml), by name; the library and browser tests check
/// that it matches the directory.
inline const std::vector<std::string> kLibrary = {
    "vendor-latency-spike",     "vendor-429-storm",        "hallucinated-cpt-codes",
    "indirect-prompt-injection", "wrong-patient-retrieval", "stale-benefits-policy",
    "bad-prompt-deploy",         "phi-redaction-regression", "silent-model-drift",
    "ehr-timeout-cascade",       "json-schema-break-triage", "vendor-slowdown-then-bad-prompt",
    "prompt-redeploy-relapse",   "flapping-vendor-errors",  "prompt-relapse-while-firing",
    "approval-timeout-escalation", "vendor-error-ramp",     "flapping-ehr",
    "embeddings-outage",         "ehr-errors-per-dependency", "tool-call-faults"};

/// Result of running a command.
struct Result {
  int code = -1;
  std::string out;
  std::string err;
};

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// A request line's fields that are left out at their default (docs/file-formats.md), with
/// those defaults: what a reader of the journal fills in.
inline const nlohmann::json& request_defaults() {
  static const nlohmann::json d = {
      {"probe", false},        {"vendor", ""},          {"model", ""},
      {"cause", ""},           {"citations_valid", true}, {"schema_valid", true},
      {"refused", false},      {"canary_seen", false},  {"phi_detected", false},
      {"correct", false},      {"unsafe", false},       {"unsafe_kind", ""},
      {"judge", ""},           {"grounded", true},      {"injection_attempted", false},
      {"injection_followed", false}, {"phi_to_vendor", false}, {"phi_in_logs", false},
      {"root_cause", ""},      {"faults", nlohmann::json::array()},
      {"attempts", 1},         {"ehr_calls", 1},        {"citations", 1}};
  return d;
}

/// The events of a journal.jsonl, one JSON object per line; request events with the fields
/// left out at their default filled in.
inline std::vector<nlohmann::json> journal(const std::filesystem::path& p) {
  std::vector<nlohmann::json> out;
  std::ifstream in(p);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    nlohmann::json e = nlohmann::json::parse(line);
    if (e.value("type", "") == "request") {
      for (const auto& [key, value] : request_defaults().items()) {
        if (!e.contains(key)) e[key] = value;
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

/// The events of one type ("request", "fault_start", ...), in journal order.
inline std::vector<nlohmann::json> of_type(const std::vector<nlohmann::json>& events, const std::string& type) {
  std::vector<nlohmann::json> out;
  for (const auto& e : events) {
    if (e["type"] == type) out.push_back(e);
  }
  return out;
}

/// A fresh temporary directory, removed when the object dies.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "gameday-e2e-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& s) const { return path_ / s; }
  /// Writes a file (creating parent directories) and returns its path.
  std::filesystem::path write(const std::string& rel, const std::string& contents) const {
    const auto p = path_ / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << contents;
    return p;
  }

 private:
  std::filesystem::path path_;
};

/// Runs `gameday ARGS` from `cwd` (default: the source tree) with the shell assignments `env`
/// ("NAME=value ...", e.g. "GAMEDAY_HISTORY=h.sqlite") and captures its output.
inline Result gameday(const std::string& args, const std::filesystem::path& cwd = GAMEDAY_SOURCE_DIR,
                      const std::string& env = "") {
  TempDir io;
  const auto out = io / "stdout";
  const auto err = io / "stderr";
  const std::string cmd = "cd '" + cwd.string() + "' && " + env + " '" + std::string(GAMEDAY_BIN) + "' " + args +
                          " > '" + out.string() + "' 2> '" + err.string() + "' < /dev/null";
  const int status = std::system(cmd.c_str());
  Result r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

}  // namespace e2e
