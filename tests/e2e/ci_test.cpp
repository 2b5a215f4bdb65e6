// End-to-end: `gameday ci` (JUnit, summary, shards and merge, baseline) and `gameday golden`.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cctype>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "e2e_support.hpp"

using e2e::gameday;
using e2e::slurp;
using e2e::TempDir;
using nlohmann::json;

namespace {

/// A small XML 1.0 well-formedness check (prolog, nesting, quoted attributes, entity and
/// character references, no stray '<' or '&'). Returns element counts by name; throws
/// std::runtime_error naming the offset of the first problem.
class XmlCheck {
 public:
  explicit XmlCheck(std::string text) : s_(std::move(text)) {}

  std::map<std::string, int> run() {
    if (s_.rfind("<?xml", 0) == 0) {
      const auto end = s_.find("?>");
      if (end == std::string::npos) fail("unterminated prolog");
      i_ = end + 2;
    }
    skip_space();
    element();
    skip_space();
    if (i_ != s_.size()) fail("content after the root element");
    return counts_;
  }

 private:
  [[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error("XML at byte " + std::to_string(i_) + ": " + what);
  }
  void skip_space() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  std::string name() {
    const auto start = i_;
    while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '_' ||
                              s_[i_] == '-' || s_[i_] == ':' || s_[i_] == '.')) {
      ++i_;
    }
    if (i_ == start) fail("expected a name");
    return s_.substr(start, i_ - start);
  }
  void reference() {
    const auto end = s_.find(';', i_);
    if (end == std::string::npos) fail("unterminated reference");
    const std::string ref = s_.substr(i_ + 1, end - i_ - 1);
    static const char* kNamed[] = {"amp", "lt", "gt", "quot", "apos"};
    bool ok = false;
    for (const char* n : kNamed) ok = ok || ref == n;
    if (!ok && ref.size() > 1 && ref[0] == '#') {
      ok = true;
      for (std::size_t k = 1; k < ref.size(); ++k) ok = ok && std::isdigit(static_cast<unsigned char>(ref[k]));
    }
    if (!ok) fail("bad reference &" + ref + ";");
    i_ = end + 1;
  }
  void text_until_tag() {
    while (i_ < s_.size() && s_[i_] != '<') {
      if (s_[i_] == '&') {
        reference();
      } else {
        ++i_;
      }
    }
  }
  void element() {
    if (i_ >= s_.size() || s_[i_] != '<') fail("expected '<'");
    ++i_;
    const std::string tag = name();
    ++counts_[tag];
    std::map<std::string, bool> attrs;
    for (;;) {
      skip_space();
      if (i_ >= s_.size()) fail("unterminated tag");
      if (s_.compare(i_, 2, "/>") == 0) {
        i_ += 2;
        return;
      }
      if (s_[i_] == '>') {
        ++i_;
        break;
      }
      const std::string attr = name();
      if (attrs[attr]) fail("duplicate attribute " + attr);
      attrs[attr] = true;
      skip_space();
      if (i_ >= s_.size() || s_[i_] != '=') fail("expected '='");
      ++i_;
      skip_space();
      if (i_ >= s_.size() || (s_[i_] != '"' && s_[i_] != '\'')) fail("expected a quoted value");
      const char quote = s_[i_++];
      while (i_ < s_.size() && s_[i_] != quote) {
        if (s_[i_] == '<') fail("'<' in an attribute value");
        if (s_[i_] == '&') {
          reference();
        } else {
          ++i_;
        }
      }
      if (i_ >= s_.size()) fail("unterminated attribute value");
      ++i_;
    }
    for (;;) {
      text_until_tag();
      if (i_ >= s_.size()) fail("unclosed <" + tag + ">");
      if (s_.compare(i_, 2, "</") == 0) {
        i_ += 2;
        if (name() != tag) fail("mismatched end tag for <" + tag + ">");
        skip_space();
        if (i_ >= s_.size() || s_[i_] != '>') fail("expected '>'");
        ++i_;
        return;
      }
      element();
    }
  }

  std::string s_;
  std::size_t i_ = 0;
  std::map<std::string, int> counts_;
};

std::string q(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

const std::string kSpike = "scenarios/vendor-latency-spike.yaml";
// The two latency-spike scenarios: one passes, one fails its expectations.
const std::string kPair = kSpike + " examples/vendor-latency-spike-no-playbook.yaml";

}  // namespace

TEST_CASE("The XML check accepts well-formed documents and rejects broken ones", "[e2e][ci]") {
  CHECK(XmlCheck("<?xml version=\"1.0\"?>\n<a x=\"1 &amp; 2\"><b/><b>t&#10;</b></a>\n").run().at("b") == 2);
  CHECK_THROWS(XmlCheck("<a><b></a></b>").run());
  CHECK_THROWS(XmlCheck("<a x=\"<\"/>").run());
  CHECK_THROWS(XmlCheck("<a>&nope;</a>").run());
  CHECK_THROWS(XmlCheck("<a x=1/>").run());
}

TEST_CASE("gameday ci runs every scenario x seed and writes JUnit and a summary", "[e2e][ci]") {
  TempDir dir;
  const auto r = gameday("ci " + kPair + " --seeds 2 --summary " + q(dir / "summary.json") + " --junit " +
                         q(dir / "junit.xml"));
  INFO(r.out << r.err);
  // The no-playbook scenario cannot meet its expectations: the sweep fails.
  REQUIRE(r.code == 1);
  // Not a terminal: no progress line, only the table and the failures.
  CHECK(r.out.find('\r') == std::string::npos);
  CHECK(r.out.find("vendor-latency-spike ") != std::string::npos);
  // Each scenario's incident beneath it, with the runs its figures rest on.
  CHECK(r.out.find("\n  incident primary-latency: in 2/2 runs; failed p90 ") != std::string::npos);
  CHECK(r.out.find("    p50/p90  TTD ") != std::string::npos);
  CHECK(r.out.find("(2/2 runs)\n") != std::string::npos);
  CHECK(r.out.find("FAIL vendor-latency-spike-no-playbook seed 7: ttm <= 10m") != std::string::npos);
  CHECK(r.out.find("replay: gameday run examples/vendor-latency-spike-no-playbook.yaml --seed 8 "
                   "--out reports/vendor-latency-spike-no-playbook-8") != std::string::npos);
  CHECK(r.err.empty());

  const auto counts = XmlCheck(slurp(dir / "junit.xml")).run();
  CHECK(counts.at("testsuites") == 1);
  CHECK(counts.at("testsuite") == 2);
  CHECK(counts.at("testcase") == 4);
  CHECK(counts.at("failure") == 2);

  const json s = json::parse(slurp(dir / "summary.json"));
  CHECK(s["format"] == "gameday-ci-summary");
  CHECK(s["pass"] == false);
  REQUIRE(s["scenarios"].size() == 2);
  CHECK(s["scenarios"][0]["scenario"] == "vendor-latency-spike");
  CHECK(s["scenarios"][0]["passed"] == 2);
  CHECK(s["scenarios"][0]["seeds"] == json::array({7, 8}));
  CHECK(s["scenarios"][1]["scenario"] == "vendor-latency-spike-no-playbook");
  CHECK(s["scenarios"][1]["failed"] == 2);
  CHECK(s["scenarios"][0]["metrics"]["ttm"]["p90"].is_number());
  REQUIRE(s["scenarios"][0]["incidents"].size() == 1);
  CHECK(s["scenarios"][0]["incidents"][0]["id"] == "primary-latency");
  CHECK(s["scenarios"][0]["incidents"][0]["runs"] == 2);
  CHECK(s["scenarios"][0]["incidents"][0]["metrics"]["ttr"]["samples"] == 2);
  CHECK(s["runs"][0]["incidents"][0]["id"] == "primary-latency");
  REQUIRE(s["runs"].size() == 4);
  CHECK(s["runs"][0]["seed"] == 7);
  CHECK(s["runs"][3]["verdict"] == "fail");
}

TEST_CASE("Seed 0 of ci is the scenario's own seed, as gameday run uses", "[e2e][ci]") {
  TempDir dir;
  REQUIRE(gameday("run " + kSpike + " -q --out " + q(dir / "run")).code == 0);
  REQUIRE(gameday("ci " + kSpike + " --seeds 1 --summary " + q(dir / "s.json")).code == 0);
  const json report = json::parse(slurp(dir / "run/report.json"));
  const json s = json::parse(slurp(dir / "s.json"));
  CHECK(s["runs"][0]["seed"] == report["seed"]);
  CHECK(s["runs"][0]["metrics"]["ttm"] == report["metrics"]["ttm_s"]);
}

TEST_CASE("gameday ci journals and scores each run as gameday run does", "[e2e][ci]") {
  // `run` judges requests on its journal's writer thread (unless clinician corrections need the
  // verdict at once) and builds tasks on a third; `ci` does both in place. The runs must be the
  // same: with corrections (bad-prompt-deploy), with callers giving up (the latency spike with
  // an 8 s client timeout, against its 12 s delay), and with neither.
  TempDir dir;
  const std::string src = GAMEDAY_SOURCE_DIR;
  std::string impatient = slurp(src + "/scenarios/vendor-latency-spike.yaml");
  const auto replace = [&](const std::string& from, const std::string& to) {
    const auto at = impatient.find(from);
    REQUIRE(at != std::string::npos);
    impatient.replace(at, from.size(), to);
  };
  replace("name: vendor-latency-spike", "name: impatient-callers");
  replace("client_timeout: 30s", "client_timeout: 8s");
  replace("fakes: ../fakes", "fakes: " + src + "/fakes");
  replace("../playbooks/", src + "/playbooks/");
  const std::map<std::string, std::string> scenarios = {
      {"bad-prompt-deploy", src + "/scenarios/bad-prompt-deploy.yaml"},
      {"impatient-callers", dir.write("impatient-callers.yaml", impatient).string()},
      {"vendor-latency-spike", src + "/scenarios/vendor-latency-spike.yaml"}};
  std::string files;
  for (const auto& [name, file] : scenarios) files += " " + q(file);
  const auto ci = gameday("ci" + files + " --seeds 2 -j 2 --summary " + q(dir / "s.json") + " --out " + q(dir / "ci"));
  INFO(ci.out << ci.err);
  REQUIRE(ci.code <= 1);
  for (const auto& [name, file] : scenarios) {
    for (const int seed : {7, 8}) {
      const std::string run_dir = "run-" + name + "-" + std::to_string(seed);
      const auto run = gameday("run " + q(file) + " --seed " + std::to_string(seed) + " -q --no-history --out " +
                               q(dir / run_dir));
      INFO(name << " seed " << seed << "\n" << run.err);
      REQUIRE(run.code <= 1);
      const auto ci_dir = dir / "ci" / (name + "-" + std::to_string(seed));
      CHECK(slurp(ci_dir / "journal.jsonl") == slurp(dir / run_dir / "journal.jsonl"));
      CHECK(slurp(ci_dir / "report.json") == slurp(dir / run_dir / "report.json"));
    }
  }
  // The cases the journals must hold for this to test anything.
  CHECK(slurp(dir / "ci" / "bad-prompt-deploy-7" / "journal.jsonl").find("\"type\":\"correction\"") !=
        std::string::npos);
  CHECK(slurp(dir / "ci" / "impatient-callers-7" / "journal.jsonl").find("\"status\":\"timeout\"") !=
        std::string::npos);
}

TEST_CASE("Shard summaries merge into the unsharded summary and JUnit byte for byte", "[e2e][ci]") {
  TempDir dir;
  const auto whole = gameday("ci " + kPair + " --seeds 2 -j 2 --summary " + q(dir / "all.json") +
                             " --junit " + q(dir / "all.xml"));
  REQUIRE(whole.code == 1);
  for (int i = 1; i <= 2; ++i) {
    const auto r = gameday("ci " + kPair + " --seeds 2 -j 1 --shard " + std::to_string(i) + "/2 --summary " +
                           q(dir / ("part" + std::to_string(i) + ".json")));
    INFO(r.out << r.err);
    REQUIRE(r.code <= 1);
    const json part = json::parse(slurp(dir / ("part" + std::to_string(i) + ".json")));
    CHECK(part["runs"].size() == 2);
    CHECK(part["shard"]["index"] == i);
  }
  const auto merged = gameday("ci --merge " + q(dir / "part2.json") + " " + q(dir / "part1.json") +
                              " --summary " + q(dir / "merged.json") + " --junit " + q(dir / "merged.xml"));
  INFO(merged.out << merged.err);
  REQUIRE(merged.code == 1);
  CHECK(slurp(dir / "merged.json") == slurp(dir / "all.json"));
  CHECK(slurp(dir / "merged.xml") == slurp(dir / "all.xml"));
  CHECK(merged.out.find("replay: gameday run examples/vendor-latency-spike-no-playbook.yaml --seed 7") !=
        std::string::npos);

  // One shard alone is not the whole result.
  const auto partial = gameday("ci --merge " + q(dir / "part1.json") + " --summary " + q(dir / "x.json"));
  CHECK(partial.code == 2);
  CHECK(partial.err.find("in no summary") != std::string::npos);
}

TEST_CASE("A baseline much better than reality fails ci with a regression", "[e2e][ci]") {
  TempDir dir;
  REQUIRE(gameday("ci " + kSpike + " --seeds 2 --summary " + q(dir / "base.json")).code == 0);
  // The same results as a baseline: no regression.
  const auto same = gameday("ci " + kSpike + " --seeds 2 --baseline " + q(dir / "base.json") +
                            " --summary " + q(dir / "again.json"));
  INFO(same.out << same.err);
  REQUIRE(same.code == 0);

  json doctored = json::parse(slurp(dir / "base.json"));
  doctored["scenarios"][0]["metrics"]["ttm"]["p50"] = 1.0;
  doctored["scenarios"][0]["metrics"]["ttm"]["p90"] = 2.0;
  dir.write("doctored.json", doctored.dump(2));
  const auto r = gameday("ci " + kSpike + " --seeds 2 --baseline " + q(dir / "doctored.json") +
                         " --summary " + q(dir / "now.json") + " --junit " + q(dir / "now.xml"));
  INFO(r.out << r.err);
  REQUIRE(r.code == 1);
  CHECK(r.out.find("REGRESSION vendor-latency-spike ttm: p50") != std::string::npos);
  CHECK(r.out.find("replay: gameday run scenarios/vendor-latency-spike.yaml --seed ") != std::string::npos);
  const json now = json::parse(slurp(dir / "now.json"));
  CHECK(now["pass"] == false);
  REQUIRE(now["regressions"].size() == 1);
  CHECK(now["regressions"][0]["metric"] == "ttm");
  CHECK(now["scenarios"][0]["baseline"] == "regression");
  const auto counts = XmlCheck(slurp(dir / "now.xml")).run();
  CHECK(counts.at("testcase") == 3);  // two seeds and the baseline comparison
  CHECK(counts.at("failure") == 1);
}

TEST_CASE("gameday ci rejects bad shards, baselines and directories with exit 2", "[e2e][ci]") {
  TempDir dir;
  auto bad_shard = gameday("ci " + kPair + " --shard 3/2 --summary " + q(dir / "s.json"));
  CHECK(bad_shard.code == 2);
  CHECK(bad_shard.err.find("--shard") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "s.json"));

  dir.write("junk.json", "{\"not\": \"a summary\"}");
  auto bad_baseline = gameday("ci " + kSpike + " --seeds 1 --baseline " + q(dir / "junk.json") +
                              " --summary " + q(dir / "s.json"));
  CHECK(bad_baseline.code == 2);
  CHECK(bad_baseline.err.find("junk.json:1:1: not a gameday ci summary") != std::string::npos);

  CHECK(gameday("ci " + q(dir / "nowhere") + " --summary " + q(dir / "s.json")).code == 2);
  CHECK(gameday("ci " + kPair + " --shard 1/2 --baseline " + q(dir / "junk.json")).code == 2);
}

TEST_CASE("gameday ci on a directory runs its scenarios, skips golden sets, and names a broken file", "[e2e][ci]") {
  TempDir dir;
  const std::string src = GAMEDAY_SOURCE_DIR;
  // A self-contained copy of the library: scenarios refer to ../fakes and ../playbooks.
  std::filesystem::copy(src + "/fakes", dir / "fakes", std::filesystem::copy_options::recursive);
  std::filesystem::copy(src + "/playbooks", dir / "playbooks", std::filesystem::copy_options::recursive);
  std::filesystem::create_directories(dir / "scenarios");
  std::filesystem::copy(src + "/scenarios/golden", dir / "scenarios/golden", std::filesystem::copy_options::recursive);
  std::filesystem::copy_file(src + "/" + kSpike, dir / kSpike);
  std::filesystem::copy_file(src + "/scenarios/golden/core.yaml", dir / "scenarios/core-golden.yaml");

  const auto ok = gameday("ci --seeds 1 --summary out.json", dir.path());
  INFO(ok.out << ok.err);
  REQUIRE(ok.code == 0);
  const json s = json::parse(slurp(dir / "out.json"));
  REQUIRE(s["scenarios"].size() == 1);
  CHECK(s["scenarios"][0]["file"] == "scenarios/vendor-latency-spike.yaml");

  dir.write("scenarios/broken.yaml", "name: broken\nduration: 10 minutes\nfakes: ../fakes\n");
  const auto bad = gameday("ci --seeds 1 --summary out2.json", dir.path());
  INFO(bad.err);
  CHECK(bad.code == 2);
  CHECK(bad.err.find("scenarios/broken.yaml:2:") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "out2.json"));
}

TEST_CASE("gameday ci --out keeps each run's journal and reports", "[e2e][ci]") {
  TempDir dir;
  const auto r = gameday("ci " + kSpike + " --seeds 1 --summary " + q(dir / "s.json") + " --out " +
                         q(dir / "runs"));
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  // The result line names where the runs went as well as the summary.
  CHECK(r.out.find("summary: " + (dir / "s.json").string() + "; runs: " + (dir / "runs").string() + "/\n") !=
        std::string::npos);
  CHECK(std::filesystem::exists(dir / "runs/vendor-latency-spike-7/journal.jsonl"));
  CHECK(std::filesystem::exists(dir / "runs/vendor-latency-spike-7/report.md"));
  CHECK(std::filesystem::exists(dir / "runs/vendor-latency-spike-7/report.html"));
  const json report = json::parse(slurp(dir / "runs/vendor-latency-spike-7/report.json"));
  CHECK(report["verdict"] == "pass");
}

TEST_CASE("gameday ci rejects --out with --merge and options it does not know with exit 2", "[e2e][ci]") {
  TempDir dir;
  REQUIRE(gameday("ci " + kSpike + " --seeds 1 --summary " + q(dir / "s.json")).code == 0);
  // A merge runs nothing: an --out it would ignore is an error, and nothing is written.
  const auto merge = gameday("ci --merge " + q(dir / "s.json") + " --summary " + q(dir / "m.json") + " --out " +
                             q(dir / "runs"));
  CHECK(merge.code == 2);
  CHECK(merge.err.find("--merge runs nothing and writes no per-run files: it takes no --out") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "m.json"));
  // An option of no command, or before the command, is not silently taken.
  const auto unknown = gameday("ci " + kSpike + " --seeds 1 --outdir " + q(dir / "runs") + " --summary " +
                               q(dir / "u.json"));
  CHECK(unknown.code == 2);
  CHECK(unknown.err.find("--outdir") != std::string::npos);
  const auto misplaced = gameday("--out " + q(dir / "runs") + " ci " + kSpike + " --seeds 1 --summary " +
                                 q(dir / "v.json"));
  CHECK(misplaced.code == 2);
  CHECK_FALSE(std::filesystem::exists(dir / "u.json"));
  CHECK_FALSE(std::filesystem::exists(dir / "v.json"));
  CHECK_FALSE(std::filesystem::exists(dir / "runs"));
}

TEST_CASE("gameday golden runs a golden set and prints each case and the pass rate", "[e2e][ci][golden]") {
  const auto r = gameday("golden scenarios/golden/core.yaml");
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK(r.out.find("PASS  prior-auth-approved") != std::string::npos);
  CHECK(r.out.find("pass rate ") != std::string::npos);
  CHECK(r.out.find(": PASS\n") != std::string::npos);

  // From a directory without fakes/, the embedded copy answers.
  TempDir dir;
  std::filesystem::copy_file(std::string(GAMEDAY_SOURCE_DIR) + "/scenarios/golden/core.yaml", dir / "core.yaml");
  const auto embedded = gameday("golden core.yaml", dir.path());
  INFO(embedded.out << embedded.err);
  CHECK(embedded.code == 0);
  CHECK(embedded.out.find("the embedded fakes") != std::string::npos);

  // A set nobody can pass fails with exit 1.
  dir.write("hard.yaml",
            "name: hard\nmin_pass_rate: 1.0\ncases:\n"
            "  - id: must-say-banana\n    task: prior_auth_status\n    patient: pat-0002\n"
            "    expect: {must_contain: [banana]}\n");
  const auto hard = gameday("golden hard.yaml", dir.path());
  INFO(hard.out << hard.err);
  CHECK(hard.code == 1);
  CHECK(hard.out.find("FAIL  must-say-banana") != std::string::npos);
  CHECK(hard.out.find("missing 'banana'") != std::string::npos);

  CHECK(gameday("golden no-such-set.yaml", dir.path()).code == 2);
}
