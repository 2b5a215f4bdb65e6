// The run history store: schema, appends, queries, the --since grammar and the CSV export.
#include <catch2/catch.hpp>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "history/store.hpp"
#include "score/journal_builder.hpp"
#include "score/score.hpp"

namespace fs = std::filesystem;
using namespace gameday;

namespace {

/// A fresh directory under the system temp directory, removed afterwards.
class HistoryDir {
 public:
  HistoryDir() {
    std::string pattern = (fs::temp_directory_path() / "gameday-history-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~HistoryDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name = "history.sqlite") const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

HistoryRun sample_run(const std::string& scenario, std::uint64_t seed, const std::string& mode, bool pass,
                      const std::string& at) {
  HistoryRun r;
  r.recorded_at = at;
  r.scenario = scenario;
  r.scenario_file = "scenarios/" + scenario + ".yaml";
  r.seed = seed;
  r.mode = mode;
  r.version = "0.1.0";
  r.pass = pass;
  r.duration_s = 1800;
  r.ttd_s = 40 + static_cast<double>(seed);
  r.ttm_s = 300;
  r.requests = 1000;
  r.failed = 12;
  r.unsafe = static_cast<long>(seed);
  if (!pass) r.failures = {"ttm <= 2m (actual 5m00s)"};
  HistoryIncident x;
  x.id = "primary-latency";
  x.faults = {"primary-latency", "ehr-slow"};
  x.ttd_s = r.ttd_s;
  x.ttm_s = 300;
  x.detected_by = "LatencyHigh";
  x.mitigated_by = "route primary -> secondary by playbook:failover";
  x.failed = 12;
  r.incidents.push_back(x);
  return r;
}

}  // namespace

TEST_CASE("History store appends a run with its incidents and participants and shows it back") {
  HistoryDir dir;
  HistoryStore store(dir.file());
  HistoryRun run = sample_run("vendor-latency-spike", 7, "drill", false, "2026-12-01T08:00:00Z");
  run.participants = {"alice", "playbook:failover"};
  run.git_commit = std::string(40, 'a');
  const auto id = store.append(run);
  REQUIRE(id == 1);
  const auto back = store.show(id);
  REQUIRE(back);
  CHECK(back->scenario == "vendor-latency-spike");
  CHECK(back->scenario_file == "scenarios/vendor-latency-spike.yaml");
  CHECK(back->seed == 7);
  CHECK(back->mode == "drill");
  CHECK(back->git_commit == std::string(40, 'a'));
  CHECK_FALSE(back->pass);
  CHECK(back->ttd_s == Approx(47));
  CHECK_FALSE(back->tta_s);
  CHECK(back->failures == run.failures);
  CHECK(back->participants == run.participants);
  REQUIRE(back->incidents.size() == 1);
  CHECK(back->incidents[0].faults == std::vector<std::string>{"primary-latency", "ehr-slow"});
  CHECK(back->incidents[0].mitigated_by == run.incidents[0].mitigated_by);
  CHECK_FALSE(back->incidents[0].relapse_of);
  CHECK_FALSE(store.show(2));
}

TEST_CASE("History store lists runs oldest first through the scenario, mode, verdict, since and limit filters") {
  HistoryDir dir;
  HistoryStore store(dir.file());
  store.append(sample_run("spike", 1, "simulated", true, "2026-11-01T00:00:00Z"));
  store.append(sample_run("spike", 2, "ci", false, "2026-11-15T00:00:00Z"));
  store.append(sample_run("outage", 3, "ci", true, "2026-12-01T00:00:00Z"));
  store.append(sample_run("spike", 4, "drill", true, "2026-12-02T00:00:00Z"));
  auto seeds = [&](const HistoryFilter& f) {
    std::vector<std::uint64_t> out;
    for (const auto& r : store.list(f)) out.push_back(r.seed);
    return out;
  };
  CHECK(seeds({}) == std::vector<std::uint64_t>{1, 2, 3, 4});
  CHECK(seeds({.scenario = "spike"}) == std::vector<std::uint64_t>{1, 2, 4});
  CHECK(seeds({.mode = "ci"}) == std::vector<std::uint64_t>{2, 3});
  CHECK(seeds({.verdict = "fail"}) == std::vector<std::uint64_t>{2});
  CHECK(seeds({.since = "2026-11-15T00:00:00Z"}) == std::vector<std::uint64_t>{2, 3, 4});
  CHECK(seeds({.scenario = "spike", .limit = 2}) == std::vector<std::uint64_t>{2, 4});
  CHECK(seeds({.scenario = "nothing"}).empty());
}

TEST_CASE("History store writes its schema version and refuses a newer one") {
  HistoryDir dir;
  { HistoryStore store(dir.file()); }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(dir.file().c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &st, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))) == std::to_string(kHistorySchemaVersion));
  sqlite3_finalize(st);
  REQUIRE(sqlite3_exec(db, "UPDATE meta SET value = '99' WHERE key = 'schema_version'", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  try {
    HistoryStore again(dir.file());
    FAIL("a newer schema opened");
  } catch (const HistoryError& e) {
    CHECK_THAT(e.what(), Catch::Contains(dir.file()) && Catch::Contains("schema version 99"));
  }
}

TEST_CASE("History store opens in WAL mode") {
  HistoryDir dir;
  { HistoryStore store(dir.file()); }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(dir.file().c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))) == "wal");
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST_CASE("History store names the file and SQLite's message for a corrupt file or a directory") {
  HistoryDir dir;
  std::ofstream(dir.file("junk.sqlite"), std::ios::binary) << std::string(4096, 'x');
  try {
    HistoryStore store(dir.file("junk.sqlite"));
    FAIL("a corrupt file opened");
  } catch (const HistoryError& e) {
    CHECK_THAT(e.what(), Catch::Contains(dir.file("junk.sqlite")) && Catch::Contains("not a database"));
  }
  fs::create_directories(dir.file("adir"));
  CHECK_THROWS_WITH(HistoryStore(dir.file("adir")), Catch::Contains("is a directory"));
}

TEST_CASE("History store loses no run when threads append at once, each with its own connection") {
  HistoryDir dir;
  constexpr int kThreads = 8;
  constexpr int kRuns = 25;
  { HistoryStore create(dir.file()); }
  std::vector<std::thread> pool;
  std::vector<std::string> errors(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    pool.emplace_back([&, t] {
      try {
        HistoryStore store(dir.file());
        for (int i = 0; i < kRuns; ++i) store.append(sample_run("spike", static_cast<std::uint64_t>(t * 1000 + i), "ci", true, ""));
      } catch (const std::exception& e) {
        errors[t] = e.what();
      }
    });
  }
  for (auto& th : pool) th.join();
  for (const auto& e : errors) CHECK(e.empty());
  HistoryStore store(dir.file());
  const auto runs = store.list({});
  CHECK(runs.size() == kThreads * kRuns);
  std::size_t incidents = 0;
  for (const auto& r : runs) incidents += r.incidents.size();
  CHECK(incidents == kThreads * kRuns);
}

TEST_CASE("History run from a score keeps the worst incident's times, every incident and the failures") {
  const Score s = score_journal(test::reference_incident({"ttm <= 10s", "failed <= 100"}));
  const HistoryRun r = history_run_from(s);
  CHECK(r.scenario == "vendor-errors");
  CHECK(r.seed == 42);
  CHECK_FALSE(r.pass);
  CHECK(r.ttd_s == s.metrics.ttd_s);
  CHECK(r.ttm_s == s.metrics.ttm_s);
  CHECK(r.requests == s.metrics.requests);
  REQUIRE(r.incidents.size() == s.incidents.size());
  CHECK(r.incidents[0].id == s.incidents[0].id);
  REQUIRE(r.failures.size() == 1);
  CHECK_THAT(r.failures[0], Catch::StartsWith("ttm <= 10s (actual"));
  CHECK(participants_of(s) == std::vector<std::string>{"on-call", "playbook:failover"});
}

TEST_CASE("History since accepts UTC dates and ages and rejects anything else") {
  std::string error;
  const std::string now = "2026-12-05T15:00:00Z";
  CHECK(parse_since("2026-12-01", now, error) == "2026-12-01T00:00:00Z");
  CHECK(parse_since("2026-12-01T08:30", now, error) == "2026-12-01T08:30:00Z");
  CHECK(parse_since("2026-12-01T08:30:15Z", now, error) == "2026-12-01T08:30:15Z");
  CHECK(parse_since("90m", now, error) == "2026-12-05T13:30:00Z");
  CHECK(parse_since("36h", now, error) == "2026-12-04T03:00:00Z");
  CHECK(parse_since("7d", now, error) == "2026-11-28T15:00:00Z");
  CHECK(parse_since("2w", now, error) == "2026-11-21T15:00:00Z");
  CHECK_FALSE(parse_since("yesterday-ish", now, error));
  CHECK_THAT(error, Catch::Contains("yesterday-ish") && Catch::Contains("7d"));
  CHECK_FALSE(parse_since("2026-02-31", now, error));
  CHECK_THAT(error, Catch::Contains("not a date that exists"));
  CHECK_FALSE(parse_since("", now, error));
}

TEST_CASE("History CSV quotes commas, quotes and line breaks and leaves missing values empty") {
  CHECK(csv_field("plain") == "plain");
  CHECK(csv_field("a,b") == "\"a,b\"");
  CHECK(csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(csv_field("two\nlines") == "\"two\nlines\"");
  HistoryRun r = sample_run("spike", 3, "ci", false, "2026-12-01T00:00:00Z");
  r.id = 9;
  r.failures = {"ttm <= 2m (actual 5m00s)", "alert(\"X\").fired, really"};
  const std::string csv = history_csv({r});
  const auto header_end = csv.find("\r\n");
  REQUIRE(header_end != std::string::npos);
  CHECK(csv.substr(0, header_end).rfind("id,recorded_at,scenario,seed,mode,", 0) == 0);
  const std::string row = csv.substr(header_end + 2);
  CHECK(row.rfind("9,2026-12-01T00:00:00Z,spike,3,ci,0.1.0,,fail,0,1800,43,,300,,1000,12,3,0,0,1,0,,", 0) == 0);
  CHECK_THAT(row, Catch::Contains("\"ttm <= 2m (actual 5m00s);alert(\"\"X\"\").fired, really\""));
  const std::string incidents = history_incidents_csv({r});
  CHECK_THAT(incidents, Catch::Contains("9,2026-12-01T00:00:00Z,spike,3,ci,primary-latency,primary-latency;ehr-slow,,43,,300,,LatencyHigh,"
                                        "route primary -> secondary by playbook:failover,0,12,0,0,0\r\n"));
}

TEST_CASE("History store reports a lock held past its busy timeout as an error naming the file") {
  HistoryDir dir;
  HistoryStore store(dir.file(), 20);
  sqlite3* holder = nullptr;
  REQUIRE(sqlite3_open(dir.file().c_str(), &holder) == SQLITE_OK);
  REQUIRE(sqlite3_exec(holder, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  CHECK_THROWS_WITH(store.append(sample_run("spike", 1, "ci", true, "")),
                    Catch::Contains(dir.file()) && Catch::Contains("database is locked"));
  REQUIRE(sqlite3_exec(holder, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(holder);
  // Nothing half-written, and the store works once the lock is gone.
  CHECK(store.list({}).empty());
  CHECK(store.append(sample_run("spike", 2, "ci", true, "")) == 1);
}

TEST_CASE("History store keeps a drill's trainee and lists one person's drills") {
  HistoryDir dir;
  HistoryStore store(dir.file());
  HistoryRun run = sample_run("spike", 7, "drill", true, "2026-12-01T08:00:00Z");
  HistoryTrainee t;
  t.name = "alex";
  t.points = 85;
  t.suspected = "vendor";
  t.cause_right = true;
  t.helped = 1;
  t.harmed = 0;
  t.hints = 1;
  t.tta_s = 34.5;
  t.ttm_s = 142;
  run.trainee = t;
  store.append(run);
  store.append(sample_run("spike", 8, "drill", true, "2026-12-02T08:00:00Z"));  // nobody in the room
  HistoryFilter f;
  f.trainee = "alex";
  const auto runs = store.list(f);
  REQUIRE(runs.size() == 1);
  REQUIRE(runs[0].trainee);
  CHECK(runs[0].trainee->points == 85);
  CHECK(runs[0].trainee->suspected == "vendor");
  CHECK(runs[0].trainee->cause_right);
  CHECK(*runs[0].trainee->tta_s == Approx(34.5));
  CHECK_FALSE(runs[0].trainee->first_useful_s.has_value());
  f.trainee = "sam";
  CHECK(store.list(f).empty());
  CHECK_FALSE(store.list(HistoryFilter{})[1].trainee.has_value());
}

TEST_CASE("History store upgrades a version-1 file, keeping its runs") {
  HistoryDir dir;
  {
    HistoryStore store(dir.file());
    store.append(sample_run("spike", 1, "simulated", true, "2026-11-01T00:00:00Z"));
  }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(dir.file().c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "DROP TABLE trainees; UPDATE meta SET value = '1' WHERE key = 'schema_version'", nullptr,
                       nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  HistoryStore upgraded(dir.file());
  CHECK(upgraded.list(HistoryFilter{}).size() == 1);
  HistoryRun run = sample_run("spike", 2, "drill", true, "2026-11-02T00:00:00Z");
  run.trainee = HistoryTrainee{};
  run.trainee->name = "kim";
  upgraded.append(run);
  HistoryFilter f;
  f.trainee = "kim";
  CHECK(upgraded.list(f).size() == 1);
}
