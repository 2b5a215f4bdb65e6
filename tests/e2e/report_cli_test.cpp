// End-to-end: how `gameday report` treats journals cut short or malformed, and the command
// line's output options (--json, -v after the command, NO_COLOR).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <vector>

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

TEST_CASE("A journal line with a number too large for JSON is invalid input naming its line", "[e2e][report][errors]") {
  TempDir dir;
  const std::string journal = default_journal(dir);
  const std::size_t second = journal.find('\n') + 1;
  dir.write("big/journal.jsonl", journal.substr(0, second) + "{\"t_us\":682e9841,\"type\":\"run_end\",\"reason\":\"x\"}\n" +
                                     journal.substr(second));
  const auto r = gameday("report -q '" + (dir / "big/journal.jsonl").string() + "'");
  INFO(r.err);
  CHECK(r.code == 2);
  CHECK(r.err.find("journal.jsonl:2:1: invalid JSON: a number out of range") != std::string::npos);
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

TEST_CASE("run --zstd writes journal.jsonl.zst, and report rebuilds the same reports from it", "[e2e][report][zstd]") {
  TempDir dir;
  const std::string plain = default_journal(dir);
  const auto z = gameday("run -q --zstd --out '" + (dir / "z").string() + "'", dir.path());
  REQUIRE(z.code == 0);
  CHECK_FALSE(std::filesystem::exists(dir / "z/journal.jsonl"));
  const std::string compressed = slurp(dir / "z/journal.jsonl.zst");
  REQUIRE(compressed.size() > 4);
  CHECK(compressed.compare(0, 4, "\x28\xb5\x2f\xfd") == 0);
  CHECK(compressed.size() * 5 < plain.size());
  for (const char* f : {"report.json", "report.md", "report.html"}) {
    INFO(f);
    CHECK(slurp(dir / "z" / f) == slurp(dir / "run" / f));
  }
  const auto r = gameday("report -q '" + (dir / "z/journal.jsonl.zst").string() + "' --out '" + (dir / "again").string() + "'");
  INFO(r.err);
  REQUIRE(r.code == 0);
  for (const char* f : {"report.json", "report.md", "report.html"}) {
    INFO(f);
    CHECK(slurp(dir / "again" / f) == slurp(dir / "run" / f));
  }
  // The zstd tool reads it too: the same lines as the plain journal.
  if (const auto why = e2e::missing("zstd", "zstd"); !why.empty()) return e2e::skip_because(why);
  const auto decoded = dir / "decoded.jsonl";
  REQUIRE(std::system(("zstd -dcq '" + (dir / "z/journal.jsonl.zst").string() + "' > '" + decoded.string() + "'").c_str()) == 0);
  CHECK(slurp(decoded) == plain);
}

TEST_CASE("A compressed journal cut short is scored as far as it goes, with a warning", "[e2e][report][zstd]") {
  TempDir dir;
  REQUIRE(gameday("run -q --zstd --out '" + (dir / "z").string() + "'", dir.path()).code == 0);
  const std::string compressed = slurp(dir / "z/journal.jsonl.zst");
  dir.write("cut/journal.jsonl.zst", compressed.substr(0, compressed.size() / 2));
  const auto r = gameday("report '" + (dir / "cut/journal.jsonl.zst").string() + "'");
  INFO(r.err);
  REQUIRE(r.code <= 1);
  CHECK(r.err.find("ends inside a frame") != std::string::npos);
  const json report = json::parse(slurp(dir / "cut/report.json"));
  CHECK(report["interrupted"] == true);
  CHECK(report["metrics"]["requests"].get<long>() > 0);
}

TEST_CASE("A corrupt compressed journal is invalid input naming the file", "[e2e][report][zstd][errors]") {
  TempDir dir;
  REQUIRE(gameday("run -q --zstd --out '" + (dir / "z").string() + "'", dir.path()).code == 0);
  const std::string compressed = slurp(dir / "z/journal.jsonl.zst");
  // A damaged frame header: zstd refuses it, naming the offset.
  std::string header = compressed;
  for (std::size_t i = 4; i < 8; ++i) header[i] = static_cast<char>(0xff);
  dir.write("header/journal.jsonl.zst", header);
  const auto r = gameday("report -q '" + (dir / "header/journal.jsonl.zst").string() + "'");
  CHECK(r.code == 2);
  CHECK(r.err.find("journal.jsonl.zst:1:1:") != std::string::npos);
  CHECK(r.err.find("corrupt zstd data at byte offset") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "header/report.json"));
  // Damage inside a block: whichever notices first (zstd, or the JSON of a garbled line) names
  // the file, and nothing is written.
  std::string middle = compressed;
  for (std::size_t i = middle.size() / 3; i < middle.size() / 3 + 64; ++i) middle[i] = static_cast<char>(~middle[i]);
  dir.write("middle/journal.jsonl.zst", middle);
  const auto m = gameday("report -q '" + (dir / "middle/journal.jsonl.zst").string() + "'");
  CHECK(m.code == 2);
  CHECK(m.err.find("middle/journal.jsonl.zst:") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "middle/report.json"));
}

TEST_CASE("A journal out of time order is reported as the same journal in order", "[e2e][report]") {
  TempDir dir;
  const std::string journal = default_journal(dir);
  // Swap two request lines in the middle (a hand-merged journal): the scorer sorts by time.
  std::vector<std::string> lines;
  std::istringstream in(journal);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::size_t k = lines.size() / 2;
  while (lines[k].find("\"type\":\"request\"") == std::string::npos ||
         lines[k + 1].find("\"type\":\"request\"") == std::string::npos) {
    ++k;
  }
  std::swap(lines[k], lines[k + 1]);
  std::string shuffled;
  for (const auto& line : lines) shuffled += line + "\n";
  REQUIRE(shuffled != journal);
  dir.write("shuffled/journal.jsonl", shuffled);
  const auto r = gameday("report -q '" + (dir / "shuffled/journal.jsonl").string() + "'");
  // Out of order breaks time_monotone (exit 3), and the reports are written before it says so.
  CHECK(r.code == 3);
  CHECK(r.err.find("time_monotone") != std::string::npos);
  CHECK(slurp(dir / "shuffled/report.md") == slurp(dir / "run/report.md"));
}

TEST_CASE("ci --zstd compresses the journals under --out, and needs --out", "[e2e][ci][zstd]") {
  TempDir dir;
  const auto bad = gameday("ci scenarios/vendor-latency-spike.yaml --seeds 1 --zstd --no-history --no-progress");
  CHECK(bad.code == 2);
  CHECK(bad.err.find("--zstd") != std::string::npos);
  const auto r = gameday("ci scenarios/vendor-latency-spike.yaml --seeds 1 --zstd --no-traces --no-history --no-progress "
                         "--summary '" + (dir / "s.json").string() + "' --out '" + (dir / "runs").string() + "'");
  INFO(r.err);
  REQUIRE(r.code <= 1);
  CHECK(std::filesystem::exists(dir / "runs/vendor-latency-spike-7/journal.jsonl.zst"));
  CHECK_FALSE(std::filesystem::exists(dir / "runs/vendor-latency-spike-7/journal.jsonl"));
  const auto again = gameday("report -q '" + (dir / "runs/vendor-latency-spike-7/journal.jsonl.zst").string() +
                             "' --out '" + (dir / "again").string() + "'");
  REQUIRE(again.code <= 1);
  CHECK(slurp(dir / "again/report.json") == slurp(dir / "runs/vendor-latency-spike-7/report.json"));
}

TEST_CASE("A journal whose times no run could have is invalid input naming the line, before scoring", "[e2e][report][errors]") {
  TempDir dir;
  const std::string journal = default_journal(dir);
  const std::string start = journal.substr(0, journal.find('\n') + 1);
  // A time past the longest run (30 days) plus a day: scoring would size its series from it.
  dir.write("late/journal.jsonl", start + R"({"t_us":4000000000000000000,"type":"run_end","reason":"completed"})" "\n");
  const auto late = gameday("report -q '" + (dir / "late/journal.jsonl").string() + "'");
  CHECK(late.code == 2);
  CHECK(late.err.find("late/journal.jsonl:2:1: run_end: t_us 4000000000000000000 is past 744h from the start") !=
        std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "late/report.json"));
  // An evaluation interval no scenario may have, and a run longer than any may last.
  std::string tiny = start;
  tiny.replace(tiny.find("\"evaluation_interval_us\":15000000"), 33, "\"evaluation_interval_us\":1");
  dir.write("tiny/journal.jsonl", tiny);
  const auto t = gameday("report -q '" + (dir / "tiny/journal.jsonl").string() + "'");
  CHECK(t.code == 2);
  CHECK(t.err.find("tiny/journal.jsonl:1:1: run_start: evaluation_interval_us 1 is outside 1s to 720h") !=
        std::string::npos);
  std::string endless = start;
  endless.replace(endless.find("\"duration_us\":3600000000"), 24, "\"duration_us\":9000000000000000");
  dir.write("endless/journal.jsonl", endless);
  const auto e = gameday("report -q '" + (dir / "endless/journal.jsonl").string() + "'");
  CHECK(e.code == 2);
  CHECK(e.err.find("endless/journal.jsonl:1:1: run_start: duration_us 9000000000000000 is not a run's duration") !=
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
