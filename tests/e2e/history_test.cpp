// End-to-end: the run history. `run`, `ci` and `drill` append to it; `gameday history` lists,
// shows, trends and exports it; a history that cannot be written never costs a run its reports
// or changes its exit code.
#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "e2e_support.hpp"

using e2e::gameday;
using e2e::slurp;
using e2e::TempDir;

namespace {

const std::string kSpike = "scenarios/vendor-latency-spike.yaml";

std::string q(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

/// RFC 4180 records: quoted fields may hold commas, doubled quotes and line breaks; CRLF ends
/// a record. Throws on a stray quote or a missing final CRLF.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '"') {
      for (++i;; ++i) {
        if (i >= text.size()) throw std::runtime_error("unterminated quoted field");
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field += '"';
            ++i;
            continue;
          }
          ++i;
          break;
        }
        field += text[i];
      }
    }
    while (i < text.size() && text[i] != ',' && text[i] != '\r') {
      if (text[i] == '"' || text[i] == '\n') throw std::runtime_error("stray quote or bare LF at " + std::to_string(i));
      field += text[i++];
    }
    if (i >= text.size()) throw std::runtime_error("no CRLF after the last record");
    row.push_back(std::move(field));
    field.clear();
    if (text[i] == ',') {
      ++i;
      continue;
    }
    if (text.compare(i, 2, "\r\n") != 0) throw std::runtime_error("CR without LF");
    i += 2;
    rows.push_back(std::move(row));
    row.clear();
  }
  return rows;
}

/// The data lines of `gameday history` (the header and its rows; "no runs" is none).
std::vector<std::string> table_rows(const std::string& out) {
  std::vector<std::string> rows;
  std::size_t start = 0;
  while (start < out.size()) {
    const auto end = out.find('\n', start);
    rows.push_back(out.substr(start, end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  if (!rows.empty()) rows.erase(rows.begin());  // header
  return rows;
}

}  // namespace

TEST_CASE("Two runs and a ci sweep on 4 threads are all in the history, which lists, shows, trends and exports them", "[e2e][history]") {
  TempDir dir;
  const std::string h = " --history " + q(dir / "h.sqlite");
  REQUIRE(gameday("run " + kSpike + " --seed 1 -q --out " + q(dir / "a") + h).code == 0);
  REQUIRE(gameday("run " + kSpike + " --seed 2 -q --out " + q(dir / "b") + h).code == 0);
  const auto ci = gameday("ci " + kSpike + " --seeds 8 --jobs 4 --summary " + q(dir / "summary.json") + h);
  INFO(ci.err);
  REQUIRE(ci.code == 0);

  const auto all = gameday("history" + h);
  INFO(all.out << all.err);
  REQUIRE(all.code == 0);
  REQUIRE(all.out.rfind("id  recorded_at", 0) == 0);
  CHECK(table_rows(all.out).size() == 10);
  CHECK(table_rows(gameday("history --mode ci" + h).out).size() == 8);
  CHECK(table_rows(gameday("history --mode simulated --scenario vendor-latency-spike" + h).out).size() == 2);
  CHECK(table_rows(gameday("history --verdict pass --since 1h --limit 3" + h).out).size() == 3);
  CHECK(gameday("history --verdict fail" + h).out.find("no runs recorded") == 0);

  const auto show = gameday("history show 1" + h);
  INFO(show.err);
  REQUIRE(show.code == 0);
  CHECK(show.out.find("vendor-latency-spike (" + kSpike + ")\n") != std::string::npos);
  CHECK(std::regex_search(show.out, std::regex("\nmode: +simulated\n")));
  CHECK(show.out.find(" " + (dir / "a").string() + "/\n") != std::string::npos);
  // The source tree is a git checkout: the scenario file's last commit is recorded.
  CHECK(std::regex_search(show.out, std::regex("\ngit commit: +[0-9a-f]{40}\n")));
  CHECK(show.out.find("incidents:\nincident") != std::string::npos);

  const auto trend = gameday("history trend vendor-latency-spike" + h);
  REQUIRE(trend.code == 0);
  REQUIRE(trend.out.rfind("id  recorded_at", 0) == 0);
  CHECK(table_rows(trend.out).size() == 10);
  CHECK(trend.out.find("TTD") != std::string::npos);

  const auto csv = gameday("history export --out " + q(dir / "runs.csv") + h);
  REQUIRE(csv.code == 0);
  const auto rows = parse_csv(slurp(dir / "runs.csv"));
  REQUIRE(rows.size() == 11);
  CHECK(rows[0][0] == "id");
  for (const auto& r : rows) CHECK(r.size() == rows[0].size());
  CHECK(rows[3][4] == "ci");
  const auto incidents = parse_csv(gameday("history export --incidents --mode ci" + h).out);
  REQUIRE(incidents.size() >= 2);
  CHECK(incidents[0][5] == "incident");
}

TEST_CASE("Runs written at once by several processes are all in the history", "[e2e][history]") {
  TempDir dir;
  std::string cmd = "cd '" + std::string(GAMEDAY_SOURCE_DIR) + "' && for s in 1 2 3 4; do '" + GAMEDAY_BIN +
                    "' run " + kSpike + " --seed $s -q --out " + q(dir / "run") + "-$s --history " +
                    q(dir / "h.sqlite") + " & done; wait";
  REQUIRE(std::system(cmd.c_str()) == 0);
  CHECK(table_rows(gameday("history --history " + q(dir / "h.sqlite")).out).size() == 4);
}

TEST_CASE("With --no-history nothing is written, and without flags the history is reports/history.sqlite or GAMEDAY_HISTORY", "[e2e][history]") {
  TempDir dir;
  const std::string scenario = q(std::filesystem::path(GAMEDAY_SOURCE_DIR) / kSpike);
  REQUIRE(gameday("run " + scenario + " -q --no-history --out out", dir.path()).code == 0);
  REQUIRE(std::filesystem::exists(dir / "out/report.json"));
  CHECK_FALSE(std::filesystem::exists(dir / "reports"));
  CHECK_FALSE(std::filesystem::exists(dir / "env.sqlite"));
  // An empty GAMEDAY_HISTORY is no setting: the default, under the working directory.
  REQUIRE(gameday("run " + scenario + " -q --out out", dir.path(), "GAMEDAY_HISTORY=").code == 0);
  CHECK(std::filesystem::exists(dir / "reports/history.sqlite"));
  REQUIRE(gameday("run " + scenario + " -q --out out", dir.path(), "GAMEDAY_HISTORY=env.sqlite").code == 0);
  CHECK(table_rows(gameday("history", dir.path(), "GAMEDAY_HISTORY=env.sqlite").out).size() == 1);
  CHECK(table_rows(gameday("history", dir.path(), "GAMEDAY_HISTORY=").out).size() == 1);
  const auto none = gameday("history --history nowhere.sqlite", dir.path());
  CHECK(none.code == 0);
  CHECK(none.out.find("no runs recorded in nowhere.sqlite") == 0);
  CHECK_FALSE(std::filesystem::exists(dir / "nowhere.sqlite"));
}

TEST_CASE("A corrupt or unusable history is a warning: the run still writes its reports and keeps its exit code", "[e2e][history]") {
  TempDir dir;
  const auto junk = dir.write("junk.sqlite", std::string(8192, 'x'));
  std::filesystem::create_directories(dir / "adir.sqlite");
  for (const std::string flags : {"", " --no-playbooks"}) {
    const auto clean = gameday("run " + kSpike + " -q --no-history --out " + q(dir / "clean") + flags);
    for (const auto& bad : {junk, dir / "adir.sqlite"}) {
      std::filesystem::remove_all(dir / "out");
      const auto r = gameday("run " + kSpike + " -q --out " + q(dir / "out") + " --history " + q(bad) + flags);
      INFO(r.err);
      CHECK(r.code == clean.code);
      CHECK(std::filesystem::exists(dir / "out/report.json"));
      CHECK(r.err.find(bad.string()) != std::string::npos);
      CHECK(r.err.find("not recorded") != std::string::npos);
    }
  }
  CHECK(slurp(junk) == std::string(8192, 'x'));
  const auto ci = gameday("ci " + kSpike + " --seeds 2 --summary " + q(dir / "s.json") + " --history " + q(junk));
  CHECK(ci.code == 0);
  CHECK(ci.err.find("not a database") != std::string::npos);
  const auto read = gameday("history --history " + q(junk));
  CHECK(read.code == 2);
  CHECK(read.err.find(junk.string() + ": file is not a database") != std::string::npos);
}

TEST_CASE("gameday history rejects bad filters and an unknown run id with exit 2", "[e2e][history][errors]") {
  TempDir dir;
  const std::string h = " --history " + q(dir / "h.sqlite");
  const auto since = gameday("history --since yesterday-ish" + h);
  CHECK(since.code == 2);
  CHECK(since.err.find("--since: 'yesterday-ish' is neither a UTC date") != std::string::npos);
  const auto mode = gameday("history --mode live" + h);
  CHECK(mode.code == 2);
  CHECK(mode.err.find("--mode: 'live' is not one of simulated, ci, drill") != std::string::npos);
  CHECK(gameday("history --verdict maybe" + h).code == 2);
  CHECK(gameday("history --limit 0" + h).code == 2);
  CHECK(gameday("history trend" + h).code == 2);
  const auto show = gameday("history show 42" + h);
  CHECK(show.code == 2);
  CHECK(show.err.find("no run 42 in ") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "h.sqlite"));
}
