// End-to-end: `gameday ci` as the pods of a Kubernetes Indexed Job run it: the shard comes from
// JOB_COMPLETION_INDEX (0-based) and JOB_COMPLETIONS, the shards write their summaries into one
// shared directory, and `gameday ci --merge` combines them into the unsharded result.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "e2e_support.hpp"

using e2e::gameday;
using e2e::slurp;
using e2e::TempDir;
using nlohmann::json;

namespace {

std::string q(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

// The two latency-spike scenarios (one passes, one fails its expectations), by absolute path:
// the tests run gameday from a temporary directory, whose reports/ci/ stands in for the Job's
// shared volume.
const std::string kSrc = GAMEDAY_SOURCE_DIR;
const std::string kPair = q(kSrc + "/scenarios/vendor-latency-spike.yaml") + " " +
                          q(kSrc + "/examples/vendor-latency-spike-no-playbook.yaml");
const std::string kQuiet = " --no-traces --no-history --no-progress";

std::string job_env(const std::string& index, const std::string& count) {
  return "JOB_COMPLETION_INDEX=" + index + " JOB_COMPLETIONS=" + count;
}

}  // namespace

TEST_CASE("Indexed Job shards from JOB_COMPLETION_INDEX merge into the unsharded summary and JUnit", "[e2e][ci]") {
  TempDir shared;
  const auto whole = gameday("ci " + kPair + " --seeds 2 -j 1 --summary all.json --junit all.xml" + kQuiet,
                             shared.path());
  INFO(whole.out << whole.err);
  REQUIRE(whole.code == 1);

  // The three pods at once, as Kubernetes starts them (parallelism 3), no --shard, no --summary:
  // each writes its default reports/ci/summary-I-of-3.json into the shared directory.
  std::vector<e2e::Result> pods(3);
  {
    std::vector<std::thread> threads;
    for (int i = 0; i < 3; ++i) {
      threads.emplace_back([&pods, &shared, i] {
        pods[i] = gameday("ci " + kPair + " --seeds 2 -j 1" + kQuiet, shared.path(), job_env(std::to_string(i), "3"));
      });
    }
    for (auto& t : threads) t.join();
  }
  const std::vector<std::size_t> runs_per_shard = {2, 1, 1};  // 4 pairs, position k to shard k mod 3 + 1
  for (int i = 0; i < 3; ++i) {
    const std::string shard = std::to_string(i + 1) + "/3";
    INFO("pod " << i << ": " << pods[i].out << pods[i].err);
    REQUIRE(pods[i].code <= 1);
    CHECK(pods[i].err.find("running shard " + shard + " from the environment: JOB_COMPLETION_INDEX=" +
                           std::to_string(i) + ", JOB_COMPLETIONS=3") != std::string::npos);
    CHECK(pods[i].out.find(", shard " + shard + ": ") != std::string::npos);
    const auto file = shared / ("reports/ci/summary-" + std::to_string(i + 1) + "-of-3.json");
    REQUIRE(std::filesystem::exists(file));
    const json part = json::parse(slurp(file));
    CHECK(part["shard"]["index"] == i + 1);
    CHECK(part["shard"]["count"] == 3);
    CHECK(part["runs"].size() == runs_per_shard[i]);
  }

  // The merge Job may carry the same environment: merging is not a shard, so it writes the
  // whole summary to the default reports/ci/summary.json.
  const auto merged = gameday("ci --merge reports/ci/summary-3-of-3.json reports/ci/summary-1-of-3.json "
                              "reports/ci/summary-2-of-3.json --junit merged.xml",
                              shared.path(), job_env("0", "3"));
  INFO(merged.out << merged.err);
  REQUIRE(merged.code == 1);
  CHECK(merged.err.find("running shard") == std::string::npos);
  CHECK(slurp(shared / "reports/ci/summary.json") == slurp(shared / "all.json"));
  CHECK(slurp(shared / "merged.xml") == slurp(shared / "all.xml"));
}

TEST_CASE("gameday ci rejects a bad JOB_COMPLETION_INDEX or JOB_COMPLETIONS with exit 2 naming it", "[e2e][ci]") {
  TempDir dir;
  const std::string args = "ci " + kPair + " --seeds 2 --summary s.json" + kQuiet;
  struct Bad {
    std::string env;
    std::string message;
  };
  for (const auto& bad : std::vector<Bad>{
           {job_env("x", "3"), "gameday ci: JOB_COMPLETION_INDEX must be a whole number"},
           {job_env("-1", "3"), "gameday ci: JOB_COMPLETION_INDEX must be a whole number"},
           {job_env("3", "3"), "gameday ci: JOB_COMPLETION_INDEX=3 is out of range for JOB_COMPLETIONS=3"},
           {job_env("0", "0"), "gameday ci: JOB_COMPLETIONS must be a whole number of at least 1"},
           {job_env("0", "three"), "gameday ci: JOB_COMPLETIONS must be a whole number of at least 1"},
           {"JOB_COMPLETION_INDEX=1", "gameday ci: JOB_COMPLETION_INDEX=1 is set but JOB_COMPLETIONS is not"},
       }) {
    const auto r = gameday(args, dir.path(), bad.env);
    INFO(bad.env << ": " << r.out << r.err);
    CHECK(r.code == 2);
    CHECK(r.err.find(bad.message) != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir / "s.json"));
  }
  // A shard from the environment takes no --baseline either.
  dir.write("base.json", "{}");
  const auto baseline = gameday(args + " --baseline base.json", dir.path(), job_env("0", "2"));
  CHECK(baseline.code == 2);
  CHECK(baseline.err.find("--baseline compares whole results") != std::string::npos);
  CHECK(baseline.err.find("JOB_COMPLETION_INDEX") != std::string::npos);
}

TEST_CASE("An explicit --shard wins over JOB_COMPLETION_INDEX, and JOB_COMPLETIONS alone shards nothing", "[e2e][ci]") {
  TempDir dir;
  const std::string spike = q(kSrc + "/scenarios/vendor-latency-spike.yaml");
  // The environment is not even read: a bad index does not matter.
  const auto flag = gameday("ci " + spike + " --seeds 2 --shard 2/2 --summary s.json" + kQuiet, dir.path(),
                            job_env("x", "3"));
  INFO(flag.out << flag.err);
  REQUIRE(flag.code == 0);
  const json part = json::parse(slurp(dir / "s.json"));
  CHECK(part["shard"]["index"] == 2);
  CHECK(part["shard"]["count"] == 2);
  CHECK(part["runs"].size() == 1);

  const auto alone = gameday("ci " + spike + " --seeds 1 --summary all.json" + kQuiet, dir.path(), "JOB_COMPLETIONS=3");
  INFO(alone.out << alone.err);
  REQUIRE(alone.code == 0);
  CHECK(alone.err.find("warning: JOB_COMPLETIONS is set but JOB_COMPLETION_INDEX is not: running all the work") !=
        std::string::npos);
  const json all = json::parse(slurp(dir / "all.json"));
  CHECK_FALSE(all.contains("shard"));
  CHECK(all["runs"].size() == 1);
}
