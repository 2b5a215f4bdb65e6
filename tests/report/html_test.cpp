// HTML pages (report/html): self-contained, escaped, deterministic, holding the data the scripts draw.
#include <catch2/catch.hpp>
#include <dlfcn.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "report/assets.hpp"
#include "report/html.hpp"
#include "score/journal_builder.hpp"

using namespace gameday;
using namespace gameday::test;
using nlohmann::json;

// cmark-gfm's own registration, counted. This definition stands in for the shared library's in
// this binary (an object file's symbol wins at link time) and forwards to it, so a test can see
// how many times the process registered the extensions: cmark-gfm guards it with a plain flag,
// and two threads that both pass that flag register the table node type twice; a table parsed
// under one registration then aborts in the other's renderer.
namespace {
std::atomic<int> g_registrations{0};
}  // namespace
extern "C" void cmark_gfm_core_extensions_ensure_registered(void) {
  ++g_registrations;
  using Fn = void (*)();
  static const auto real = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "cmark_gfm_core_extensions_ensure_registered"));
  if (real == nullptr) std::abort();
  real();
}

namespace {

/// The JSON of a page's data block.
json page_data(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"gameday-data\">";
  const auto from = html.find(open);
  REQUIRE(from != std::string::npos);
  const auto start = from + open.size();
  const auto end = html.find("</script>", start);
  REQUIRE(end != std::string::npos);
  return json::parse(html.substr(start, end - start));
}

}  // namespace

TEST_CASE("The embedded assets hold uPlot and the page scripts", "[report][html]") {
  CHECK(report_asset("third_party/uplot/uPlot.iife.min.js").find("uPlot") != std::string_view::npos);
  CHECK_FALSE(report_asset("third_party/uplot/uPlot.min.css").empty());
  for (const char* name : {"page.css", "charts.js", "report.js", "dashboard.js", "trend.js"}) {
    INFO(name);
    CHECK_FALSE(report_asset(std::string("src/report/html/") + name).empty());
  }
  CHECK(report_asset("no/such/file").empty());
}

TEST_CASE("report.html inlines everything and carries the timeline and per-minute series", "[report][html]") {
  const auto events = reference_incident({"ttd <= 1m"});
  const Score s = score_journal(events);
  const std::string html = report_html(s, events);
  CHECK(html.rfind("<!doctype html>", 0) == 0);
  CHECK(html.find("default-src 'none'") != std::string::npos);  // the page may load nothing
  CHECK(html.find("<script src") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
  // report.md's tables, rendered.
  CHECK(html.find("<table>") != std::string::npos);
  const json data = page_data(html);
  CHECK(data["run"]["scenario"] == "vendor-errors");
  CHECK(data["run"]["verdict"] == (s.pass ? "pass" : "fail"));
  REQUIRE(data["timeline"]["faults"].size() == 1);
  CHECK(data["timeline"]["faults"][0]["start"] == 100);
  CHECK(data["timeline"]["faults"][0]["end"] == 300);
  REQUIRE(data["timeline"]["incidents"].size() == 1);
  CHECK(data["timeline"]["incidents"][0]["t_i"] == 110);
  CHECK(data["timeline"]["incidents"][0]["t_d"] == 125);
  CHECK(data["timeline"]["alerts"].size() == s.alerts.size());
  CHECK(data["timeline"]["golden"].size() == 2);
  CHECK(data["series"]["t"].size() == 10);
  CHECK(data["series"]["t"][1] == 60);
  CHECK(data["series"]["availability"].size() == 10);
  // Same journal, same bytes.
  CHECK(report_html(score_journal(events), events) == html);
}

TEST_CASE("Scenario text cannot break out of the page", "[report][html]") {
  RunStartEvent run = standard_run();
  run.scenario = "x</script><script>alert(1)</script>";
  run.description = "<img src=x onerror=alert(1)> & more";
  JournalBuilder b(run);
  b.request(10 * kSecond);
  b.end(60 * kSecond);
  const std::string html = report_html(score_journal(b.events()), b.events());
  CHECK(html.find("</script><script>alert(1)") == std::string::npos);
  CHECK(html.find("<img src=x") == std::string::npos);
  CHECK(page_data(html)["run"]["scenario"] == run.scenario);  // the data keeps the exact text
  // Bytes that are not UTF-8 do not stop the page.
  RunStartEvent odd = standard_run();
  odd.scenario = std::string("bad\xff\xfe");
  JournalBuilder b2(odd);
  b2.end(60 * kSecond);
  CHECK(page_data(report_html(score_journal(b2.events()), b2.events()))["run"]["scenario"] == "bad\xef\xbf\xbd\xef\xbf\xbd");
}

TEST_CASE("Markdown tables become HTML tables and raw HTML is dropped", "[report][html]") {
  const std::string html = markdown_html("# T\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n<script>x()</script>\n");
  CHECK(html.find("<table>") != std::string::npos);
  CHECK(html.find("<td>2</td>") != std::string::npos);
  CHECK(html.find("<script>") == std::string::npos);
}

TEST_CASE("Markdown is rendered from many threads at once and cmark-gfm is registered once per process", "[report][html]") {
  constexpr int kThreads = 8;
  std::atomic<int> ready{0};
  std::atomic<int> tables{0};
  std::vector<std::thread> threads;
  for (int k = 0; k < kThreads; ++k) {
    threads.emplace_back([&] {
      ++ready;
      while (ready.load() < kThreads) std::this_thread::yield();
      for (int n = 0; n < 4; ++n) {
        if (markdown_html("| a | b |\n|---|---|\n| 1 | 2 |\n").find("<td>2</td>") != std::string::npos) ++tables;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(tables.load() == kThreads * 4);
  // Whichever test rendered first, the process registered once: the guard is ours, not the flag.
  CHECK(g_registrations.load() == 1);
}

TEST_CASE("The CI dashboard carries each run, its replay command and its report link", "[report][html]") {
  PlannedScenario plan;
  plan.name = "spike";
  plan.file = "scenarios/spike.yaml";
  plan.seeds = {7, 8};
  RunRecord ok;
  ok.scenario = "spike";
  ok.seed = 7;
  ok.metrics = {{"ttd", 60.0}, {"tta", std::nullopt}, {"ttm", 120.0}, {"ttr", 300.0},
                {"failed", 3.0}, {"unsafe", 0.0}, {"failed_ratio", 0.01}};
  RunRecord bad = ok;
  bad.seed = 8;
  bad.pass = false;
  bad.failures = {"ttm <= 1m (actual 2m00s)"};
  const CiSummary summary = summarize({plan}, {bad, ok});
  const json data = page_data(ci_dashboard_html(summary, "../runs"));
  REQUIRE(data["scenarios"].size() == 1);
  const json& runs = data["scenarios"][0]["results"];
  REQUIRE(runs.size() == 2);
  CHECK(runs[1]["seed"] == 8);
  CHECK(runs[1]["pass"] == false);
  CHECK(runs[1]["report"] == "../runs/spike-8/report.html");
  CHECK(runs[1]["replay"] == replay_command(plan, 8));
  CHECK(runs[0]["metrics"]["ttm"] == 120);
  CHECK(runs[0]["metrics"]["tta"].is_null());
  CHECK(data["pass"] == false);
  // Without --out there is nothing to link to.
  CHECK_FALSE(page_data(ci_dashboard_html(summary, ""))["scenarios"][0]["results"][0].contains("report"));
}
