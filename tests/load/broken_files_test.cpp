#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "load/limits.hpp"
#include "load/loader.hpp"
#include "config_fixture.hpp"

using namespace gameday;
using gameday::config_test::error_of;
using gameday::config_test::small_fakes;

namespace {

namespace fs = std::filesystem;

const std::string kBrokenDir = std::string(GAMEDAY_SOURCE_DIR) + "/tests/data/broken";
// The message proper is bounded (load/loader_detail.hpp: kMaxMessageChars); the file name
// and position come on top.
constexpr std::size_t kMaxMessage = 1024;

// The "# expect: LINE:COL fragment" first line of a corpus file.
struct Expected {
  std::string position;
  std::string fragment;
};

Expected expected_of(const std::string& path) {
  std::ifstream in(path);
  std::string first;
  std::getline(in, first);
  static const std::regex kLine(R"(# expect: (\d+:\d+) (.*))");
  std::smatch m;
  REQUIRE(std::regex_match(first, m, kLine));
  return {m[1], m[2]};
}

// A scratch directory removed at the end of the test.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "gameday-broken-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    const std::string p = (path_ / name).string();
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }

 private:
  fs::path path_;
};

// A scenario that is valid apart from what `extra` adds.
std::string scenario_with(const std::string& extra) {
  return "name: generated\nduration: 10m\nfakes: " + std::string(GAMEDAY_SOURCE_DIR) +
         "/fakes\nworkload: {rate: 1}\n" + extra;
}

}  // namespace

TEST_CASE("Every file of the broken-input corpus is refused at the position it names") {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(kBrokenDir)) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 20);
  for (const auto& path : files) {
    const Expected want = expected_of(path);
    const auto problems = validate_files({path}, DiskFiles());
    INFO(path);
    REQUIRE_FALSE(problems.empty());
    CHECK_THAT(problems.front(), Catch::StartsWith(path + ":" + want.position + ": ") &&
                                     Catch::Contains(want.fragment));
    for (const auto& p : problems) CHECK(p.size() <= path.size() + 24 + kMaxMessage);
  }
}

TEST_CASE("A file over the size limit is refused before it is read, naming the file") {
  ScratchDir dir;
  const std::string comment(limits::kMaxInputFileBytes, '#');
  const std::string path = dir.write("big.yaml", scenario_with(comment + "\n"));
  const std::string err = error_of([&] { load_scenario(path, DiskFiles()); });
  CHECK_THAT(err, Catch::StartsWith(path + ":1:1: file is ") &&
                      Catch::Contains("over the limit of 4194304 bytes"));
}

TEST_CASE("A 5 MB key is refused by the file size limit") {
  ScratchDir dir;
  const std::string path = dir.write("key.yaml", scenario_with(std::string(5u << 20, 'k') + ": 1\n"));
  CHECK_THAT(error_of([&] { load_scenario(path, DiskFiles()); }),
             Catch::StartsWith(path + ":1:1: file is ") && Catch::Contains("over the limit"));
}

TEST_CASE("A 3 MB unknown key is reported without suggestions and with its text cut short") {
  ScratchDir dir;
  // An explicit key ("? key"): YAML limits implicit keys to 1024 characters.
  const std::string path = dir.write("key.yaml", scenario_with("? " + std::string(3u << 20, 'k') + "\n: 1\n"));
  const std::string err = error_of([&] { load_scenario(path, DiskFiles()); });
  CHECK_THAT(err, Catch::StartsWith(path + ":5:3: unknown key 'kkkk") &&
                      Catch::Contains("\u2026 (3145728 bytes)' (expected one of: name,"));
  CHECK(err.size() <= path.size() + 24 + kMaxMessage);
}

TEST_CASE("A long value is echoed cut short in the error message") {
  MemoryFiles files = small_fakes();
  files.add("scenarios/s.yaml", "name: s\nduration: 10m\nworkload: {rate: " + std::string(100000, '9') + "x}\n");
  const std::string err = error_of([&] { load_scenario("scenarios/s.yaml", files); });
  CHECK_THAT(err, Catch::StartsWith("scenarios/s.yaml:3:18: expected a number for 'rate', got '9999") &&
                      Catch::EndsWith("\u2026 (100001 bytes)'"));
  CHECK(err.size() < 200);
}

TEST_CASE("A day-long run at several hundred requests per second is within the limits") {
  MemoryFiles files = small_fakes();
  files.add("scenarios/s.yaml", R"(name: hospital-network.day_1
duration: 5h
workload: {rate: 500}
evaluation_interval: 1s
)");
  CHECK(load_scenario("scenarios/s.yaml", files).workload.rate_per_s == 500);
}

TEST_CASE("Small YAML anchors and aliases still load") {
  MemoryFiles files = small_fakes();
  files.add("scenarios/s.yaml", R"(name: s
duration: 10m
workload: {rate: 1}
alerts:
  - &latency {name: A, type: threshold, sli: latency_p95, above: 6s}
  - {name: C, type: threshold, sli: error_ratio, above: 0.1, window: &w 5m, for: *w}
)");
  const Scenario sc = load_scenario("scenarios/s.yaml", files);
  CHECK(sc.alerts.at(1).for_duration == 5 * kMinute);
}

TEST_CASE("Many probe runs and evaluations over a long run are refused at their keys") {
  MemoryFiles files = small_fakes();
  files.add("scenarios/golden.yaml", "name: g\ncases:\n  - {id: a, task: benefits_question, patient: pat-0001}\n");
  files.add("scenarios/s.yaml", R"(name: s
duration: 30d
workload: {rate: 0.01}
evaluation_interval: 1s
)");
  CHECK_THAT(error_of([&] { load_scenario("scenarios/s.yaml", files); }),
             Catch::StartsWith("scenarios/s.yaml:4:22: 'evaluation_interval' 1s over 'duration'"));
  files.add("scenarios/s.yaml", R"(name: s
duration: 30d
workload: {rate: 0.01}
probes: {set: golden.yaml, every: 10s}
)");
  CHECK_THAT(error_of([&] { load_scenario("scenarios/s.yaml", files); }),
             Catch::StartsWith("scenarios/s.yaml:4:35: 'every' 10s over 'duration' ") &&
                 Catch::Contains("over the limit of 100000"));
}
