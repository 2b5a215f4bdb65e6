// End-to-end: how `gameday report` treats journals cut short or malformed, and the command
// line's output options (--json, -v after the command, NO_COLOR).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>

#include "e2e_support.hpp"

using e2e::gameday;
using e2e::slurp;
using e2e::TempDir;
using nlohmann::json;

namespace {

// Runs the embedded default scenario into dir/run and returns its journal text.
std::string default_journal(const TempDir& dir) {
  const auto r = gameday("run -q --out '" + (dir / "run").string() + "'", dir.path());
  REQUIRE(r.code == 0);
  return slurp(dir / "run/journal.jsonl");
}

// The 1-based number of the line of `text` that holds byte `pos`.
std::size_t line_at(const std::string& text, std::size_t pos) {
  return static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<long>(pos), '\n')) + 1;
}

}  // namespace

TEST_CASE("gameday report drops a cut last line with a warning and says the run did not finish", "[e2e][report][truncated]") {
  TempDir dir;
  const std::string journal = default_journal(dir);
  // A run killed mid-write: the file ends inside a line.
  const std::size_t cut = journal.find('\n', journal.size() / 2) + 40;
  dir.write("cut/journal.jsonl", journal.substr(0, cut));
  const auto r = gameday("report '" + (dir / "cut/journal.jsonl").string() + "'");
  INFO(r.err);
  REQUIRE(r.code <= 1);
  CHECK(r.err.find("journal.jsonl:" + std::to_string(line_at(journal, cut)) + ": dropped the last line") !=
        std::string::npos);
  CHECK(r.out.find("the run did not finish") != std::string::npos);
  const json report = json::parse(slurp(dir / "cut/report.json"));
  CHECK(report["interrupted"] == true);
  CHECK(report["ended"].is_null());
  CHECK(slurp(dir / "cut/report.md").find("**Cut short.** The journal ends at T+") != std::string::npos);
}

TEST_CASE("A completed run's report says it was not interrupted", "[e2e][report]") {
  TempDir dir;
  default_journal(dir);
  const json report = json::parse(slurp(dir / "run/report.json"));
  CHECK(report["interrupted"] == false);
  CHECK(report["ended"] == "completed");
  CHECK(slurp(dir / "run/report.md").find("Cut short") == std::string::npos);
}

TEST_CASE("A bad line in the middle of a journal is invalid input naming its line", "[e2e][report][errors]") {
  TempDir dir;
  const std::string journal = default_journal(dir);
  const std::size_t third = journal.find('\n', journal.find('\n', journal.find('\n') + 1) + 1) + 1;
  dir.write("bad/journal.jsonl", journal.substr(0, third) + "{\"t_us\":oops}\n" + journal.substr(third));
  const auto r = gameday("report -q '" + (dir / "bad/journal.jsonl").string() + "'");
  CHECK(r.code == 2);
  CHECK(r.err.find("journal.jsonl:4:1: invalid JSON") != std::string::npos);
}

TEST_CASE("An empty journal is invalid input", "[e2e][report][errors]") {
  TempDir dir;
  dir.write("journal.jsonl", "");
  const auto r = gameday("report -q '" + (dir / "journal.jsonl").string() + "'");
  CHECK(r.code == 2);
  CHECK(r.err.find("journal.jsonl:1:1: the journal holds no events") != std::string::npos);
}

TEST_CASE("A journal that does not begin with run_start is invalid input naming its first line", "[e2e][report][errors]") {
  TempDir dir;
  dir.write("journal.jsonl", "\n{\"t_us\":5,\"type\":\"run_end\",\"reason\":\"completed\"}\n");
  const auto r = gameday("report -q '" + (dir / "journal.jsonl").string() + "'");
  CHECK(r.code == 2);
  CHECK(r.err.find("journal.jsonl:2:1: the journal begins with a run_end event, not run_start") !=
        std::string::npos);
}

TEST_CASE("gameday run --json prints the report summary as one JSON line on stdout", "[e2e][run][json]") {
  TempDir dir;
  const auto r = gameday("run --json --out '" + (dir / "run").string() + "'", dir.path());
  INFO(r.err);
  REQUIRE(r.code == 0);
  REQUIRE(std::count(r.out.begin(), r.out.end(), '\n') == 1);
  const json summary = json::parse(r.out);
  const json report = json::parse(slurp(dir / "run/report.json"));
  for (const char* key : {"scenario", "seed", "verdict", "interrupted", "incidents", "metrics", "timeline"}) {
    INFO(key);
    CHECK(summary[key] == report[key]);
  }
  CHECK(summary["incidents"].size() >= 1);
  const auto again = gameday("report --json '" + (dir / "run/journal.jsonl").string() + "'");
  CHECK(again.code == 0);
  CHECK(again.out == r.out);
}

TEST_CASE("The verbose flag works after the command as well as before it", "[e2e][cli]") {
  TempDir dir;
  const auto after = gameday("run -q -v --out '" + (dir / "a").string() + "'", dir.path());
  const auto before = gameday("-v run -q --out '" + (dir / "b").string() + "'", dir.path());
  INFO(after.err);
  REQUIRE(after.code == 0);
  REQUIRE(before.code == 0);
  // -q alone logs nothing at info level: -v is what brings the lines back.
  CHECK(after.err.find("info: running") != std::string::npos);
  CHECK(before.err.find("info: running") != std::string::npos);
}

TEST_CASE("NO_COLOR turns off colour in the log even on a terminal", "[e2e][cli]") {
  if (const auto why = e2e::missing("script", "bsdutils"); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  // script(1) gives gameday a terminal, where the log would be coloured.
  const std::string run = "'" + std::string(GAMEDAY_BIN) + "' run --out out";
  const std::string coloured = "cd '" + dir.path().string() + "' && TERM=xterm script -qec \"" + run +
                               "\" /dev/null > tty.out";
  const std::string plain = "cd '" + dir.path().string() + "' && NO_COLOR=1 TERM=xterm script -qec \"" + run +
                            "\" /dev/null > tty-plain.out";
  REQUIRE(std::system(coloured.c_str()) == 0);
  REQUIRE(std::system(plain.c_str()) == 0);
  CHECK(slurp(dir / "tty.out").find("\x1b[") != std::string::npos);
  CHECK(slurp(dir / "tty-plain.out").find("\x1b[") == std::string::npos);
  CHECK(slurp(dir / "tty-plain.out").find("info: running") != std::string::npos);
}

TEST_CASE("gameday ci --json prints the summary JSON it writes and nothing else", "[e2e][ci][json]") {
  TempDir dir;
  const std::string summary = (dir / "summary.json").string();
  const auto r = gameday("ci scenarios/vendor-latency-spike.yaml --seeds 1 --jobs 1 --json --summary '" + summary + "'");
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(json::parse(r.out) == json::parse(slurp(summary)));
  CHECK(r.out.find("result:") == std::string::npos);
}
