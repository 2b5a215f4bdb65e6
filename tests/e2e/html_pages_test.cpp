// End-to-end: the HTML pages (report.html of every shipped scenario, the CI dashboard, a run
// history trend) opened in Debian's headless Chromium through puppeteer-core
// (tests/node/html_pages.mjs): charts drawn with data, the timeline's fault bands and alerts, no
// console error, no network request; screenshots kept in the test's temp dir.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <set>

#include "e2e_support.hpp"
#include "node_clients.hpp"

using e2e::gameday;
using e2e::kLibrary;
using e2e::slurp;
using e2e::TempDir;
using nlohmann::json;

namespace {

std::string q(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

/// Why the browser tests cannot run here ("" when they can).
std::string missing_browser() {
  if (auto why = e2e::missing_node({"puppeteer-core"}); !why.empty()) return why;
  return e2e::missing("chromium", "chromium");
}

/// Opens `pages` (objects as tests/node/html_pages.mjs takes them) and returns its result per page.
json browse(const TempDir& dir, const json& pages) {
  const auto manifest = dir.write("pages.json", json{{"pages", pages}}.dump());
  const auto out = dir / "browse.stdout";
  const auto err = dir / "browse.stderr";
  const std::string cmd = "cd " + q(e2e::kNodeDir) + " && timeout 300 node html_pages.mjs " + q(manifest) + " > " +
                          q(out) + " 2> " + q(err) + " < /dev/null";
  const int status = std::system(cmd.c_str());
  INFO("html_pages.mjs: " << slurp(err));
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  return json::parse(slurp(out))["pages"];
}

/// What every page must show whatever its kind: rendered, quiet, offline.
void check_clean(const json& page) {
  INFO(page["file"].get<std::string>());
  CHECK(page["rendered"] == true);
  CHECK(page["error"].is_null());
  CHECK(page["console_errors"].empty());
  CHECK(page["page_errors"].empty());
  CHECK(page["requests"].empty());
  CHECK(page["charts"].get<int>() >= 1);
  CHECK(page["charts_with_data"] == page["charts"]);
  CHECK(page["canvases"] == page["charts"]);
}

long count_type(const std::vector<json>& events, const std::string& type) {
  return static_cast<long>(e2e::of_type(events, type).size());
}

}  // namespace

TEST_CASE("report.html of every shipped scenario shows its timeline and charts in headless Chromium",
          "[e2e][html][browser][slow]") {
  if (auto why = missing_browser(); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  // The library on disk has one file per scenario: the test must cover each of them.
  std::set<std::string> on_disk;
  for (const auto& f : std::filesystem::directory_iterator(std::filesystem::path(GAMEDAY_SOURCE_DIR) / "scenarios")) {
    if (f.path().extension() == ".yaml") on_disk.insert(f.path().stem().string());
  }
  CHECK(on_disk == std::set<std::string>(kLibrary.begin(), kLibrary.end()));

  json pages = json::array();
  // The embedded default, as the README's first command runs it; its screenshot is the README's.
  REQUIRE(gameday("run -q --no-traces --out " + q(dir / "demo")).code == 0);
  pages.push_back({{"file", (dir / "demo" / "report.html").string()}, {"kind", "report"},
                   {"screenshot", (dir / "demo.png").string()}, {"full_page", false},
                   {"print_pdf", (dir / "demo.pdf").string()}});
  for (const auto& name : kLibrary) {
    const auto out = dir / name;
    const auto r = gameday("run scenarios/" + name + ".yaml -q --no-traces --out " + q(out));
    INFO(name << ": " << r.err);
    REQUIRE((r.code == 0 || r.code == 1));
    pages.push_back({{"file", (out / "report.html").string()}, {"kind", "report"},
                     {"screenshot", (dir / (name + ".png")).string()}});
  }
  const json result = browse(dir, pages);
  REQUIRE(result.size() == pages.size());

  for (std::size_t i = 0; i < result.size(); ++i) {
    const json& page = result[i];
    const std::string name = i == 0 ? std::string("demo") : kLibrary[i - 1];
    INFO(name);
    check_clean(page);
    const auto events = e2e::journal(dir / name / "journal.jsonl");
    // One band per fault activation, one bar per alert firing, one bar per incident.
    const json report = json::parse(slurp(dir / name / "report.json"));
    CHECK(page["timeline"] == 1);
    CHECK(page["faults"].get<long>() == count_type(events, "fault_start"));
    CHECK(page["alerts"].get<long>() == count_type(events, "alert_fire"));
    CHECK(page["incidents"].get<std::size_t>() == report["incidents"].size());
    CHECK(page["golden"].get<long>() == count_type(events, "golden_result"));
    CHECK(page["steps"].get<long>() == count_type(events, "step_start"));
    // Request rate, availability, latency, failed, unsafe, and one per SLO other than availability.
    CHECK(page["charts"].get<int>() >= 6);
    CHECK(page["tables"].get<int>() >= 3);
    CHECK(std::filesystem::file_size(dir / (name == "demo" ? "demo.png" : name + ".png")) > 10000);
  }

  // The default run: a fault band with its detail, both alerts, every incident mark.
  const json& demo = result[0];
  CHECK(demo["faults"] == 1);
  CHECK(demo["fault_titles"][0].get<std::string>().find("fault primary-latency (latency) on vendor:primary") == 0);
  CHECK(demo["alerts"].get<int>() >= 1);
  CHECK(demo["marks"] == json::array({"f", "i", "d", "a", "m", "r"}));
  // Hovering one chart shows exact values in every chart's legend at the same minute.
  REQUIRE(demo["hover"].size() == demo["charts"].get<std::size_t>());
  for (const auto& legend : demo["hover"]) {
    REQUIRE(legend.size() >= 2);
    CHECK(legend[0] == demo["hover"][0][0]);  // the same time everywhere
    CHECK(legend[0].get<std::string>().rfind("T+", 0) == 0);
    CHECK(legend[1] != "-");
  }
  // Dragging over a chart zooms every chart to the same narrower range; the button resets it.
  const json& ranges = demo["zoom"]["ranges"];
  REQUIRE(ranges.size() == demo["charts"].get<std::size_t>());
  for (const auto& r : ranges) CHECK(r == ranges[0]);
  CHECK(ranges[0][0].get<double>() > 0);
  CHECK(ranges[0][1].get<double>() < 3600);
  for (const auto& r : demo["reset"]) CHECK(r == json::array({0, 3600}));
  CHECK(std::filesystem::file_size(dir / "demo.pdf") > 10000);

  // `scripts/readme-screenshot.sh` sets GAMEDAY_DOCS_IMG to refresh the README's screenshot.
  if (const char* img = std::getenv("GAMEDAY_DOCS_IMG"); img != nullptr && *img != '\0') {
    std::filesystem::copy_file(dir / "demo.png", img, std::filesystem::copy_options::overwrite_existing);
  }
}

TEST_CASE("report.html is the same bytes for the same journal and needs nothing beside it",
          "[e2e][html]") {
  TempDir dir;
  REQUIRE(gameday("run -q --no-traces --out " + q(dir / "a")).code == 0);
  REQUIRE(gameday("report " + q(dir / "a" / "journal.jsonl") + " -q --out " + q(dir / "b")).code == 0);
  const std::string html = slurp(dir / "a" / "report.html");
  CHECK(html == slurp(dir / "b" / "report.html"));
  // Self-contained: no external script, style, font or image.
  for (const char* ref : {"src=\"http", "href=\"http", "url(http", "<link ", "@import", "//cdn"}) {
    INFO(ref);
    CHECK(html.find(ref) == std::string::npos);
  }
  // Pseudonyms only: no identifier of the synthetic world (MRNs, member ids) reaches the page.
  for (const char* id : {"SYN-", "SYNM-"}) {
    INFO(id);
    CHECK(html.find(id) == std::string::npos);
  }
}

TEST_CASE("The CI dashboard shows strip plots, regressions and links to the failing runs' reports",
          "[e2e][html][browser][ci]") {
  if (auto why = missing_browser(); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  const std::string pair = "scenarios/vendor-latency-spike.yaml examples/vendor-latency-spike-no-playbook.yaml";
  REQUIRE(gameday("ci " + pair + " --seeds 3 --no-progress --summary " + q(dir / "base.json")).code == 1);
  json doctored = json::parse(slurp(dir / "base.json"));
  for (auto& sc : doctored["scenarios"]) {
    if (sc["scenario"] != "vendor-latency-spike") continue;
    sc["metrics"]["ttm"]["p50"] = 1.0;
    sc["metrics"]["ttm"]["p90"] = 2.0;
  }
  dir.write("doctored.json", doctored.dump(2));
  const auto r = gameday("ci " + pair + " --seeds 3 --no-progress --baseline " + q(dir / "doctored.json") +
                         " --summary " + q(dir / "now.json") + " --out " + q(dir / "runs") + " --html " +
                         q(dir / "dash" / "ci.html"));
  INFO(r.out << r.err);
  REQUIRE(r.code == 1);
  CHECK(r.out.find("dashboard: " + (dir / "dash" / "ci.html").string()) != std::string::npos);
  const json summary = json::parse(slurp(dir / "now.json"));
  long failed_runs = 0;
  for (const auto& run : summary["runs"]) failed_runs += run["verdict"] == "fail" ? 1 : 0;
  REQUIRE(failed_runs > 0);

  const json result = browse(dir, json::array({{{"file", (dir / "dash" / "ci.html").string()}, {"kind", "dashboard"},
                                                {"screenshot", (dir / "dashboard.png").string()}}}));
  REQUIRE(result.size() == 1);
  const json& page = result[0];
  INFO(page.dump());
  CHECK(page["rendered"] == true);
  CHECK(page["console_errors"].empty());
  CHECK(page["page_errors"].empty());
  CHECK(page["requests"].empty());
  CHECK(page["scenarios"] == 2);
  CHECK(page["strips"] == 8);  // TTD, TTM, TTR, unsafe per scenario
  CHECK(page["dots"].get<int>() >= 6);
  CHECK(page["failed_dots"].get<int>() >= 1);
  CHECK(page["regressed"] == 1);  // vendor-latency-spike's TTM
  // One link per failing run, relative to the dashboard, to a report that exists.
  REQUIRE(page["report_links"].size() == static_cast<std::size_t>(failed_runs));
  for (const auto& link : page["report_links"]) {
    const std::string rel = link.get<std::string>();
    CHECK(rel.rfind("../runs/", 0) == 0);
    CHECK(std::filesystem::exists(dir / "dash" / rel));
  }
  for (const auto& replay : page["replays"]) {
    CHECK(replay.get<std::string>().rfind("gameday run examples/vendor-latency-spike-no-playbook.yaml --seed ", 0) == 0);
  }
  CHECK(std::filesystem::file_size(dir / "dashboard.png") > 10000);
}

TEST_CASE("history trend --html charts a scenario's recorded runs", "[e2e][html][browser][history]") {
  if (auto why = missing_browser(); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  const std::string history = "--history " + q(dir / "h.sqlite");
  for (int seed : {7, 8, 9}) {
    REQUIRE(gameday("run -q --no-traces --seed " + std::to_string(seed) + " --out " + q(dir / "r") + " " + history)
                .code == 0);
  }
  const auto r = gameday("history trend vendor-latency-spike " + history + " --html " + q(dir / "trend.html"));
  INFO(r.out << r.err);
  REQUIRE(r.code == 0);
  CHECK(r.out.find("TTD") != std::string::npos);
  const json result = browse(dir, json::array({{{"file", (dir / "trend.html").string()}, {"kind", "trend"},
                                                {"screenshot", (dir / "trend.png").string()}}}));
  REQUIRE(result.size() == 1);
  INFO(result[0].dump());
  check_clean(result[0]);
  CHECK(result[0]["chart_ids"] == json::array({"trend"}));
  CHECK(slurp(dir / "trend.html").find("seed") != std::string::npos);
}

TEST_CASE("ci and history trend refuse an --html they cannot write before running anything", "[e2e][html]") {
  TempDir dir;
  dir.write("file", "x");
  const std::string blocked = (dir / "file" / "ci.html").string();  // a file where a directory must be
  const auto ci = gameday("ci scenarios/vendor-latency-spike.yaml --seeds 1 --no-progress --summary " +
                          q(dir / "s.json") + " --html " + q(blocked));
  INFO(ci.err);
  CHECK(ci.code == 2);
  CHECK(ci.err.find("gameday ci: --html " + blocked + ": cannot create") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "s.json"));  // nothing ran
  const auto dir_as_file = gameday("ci scenarios/vendor-latency-spike.yaml --seeds 1 --no-progress --summary " +
                                   q(dir / "s.json") + " --html " + q(dir.path()));
  CHECK(dir_as_file.code == 2);
  CHECK(dir_as_file.err.find("is a directory") != std::string::npos);
  const auto trend = gameday("history trend vendor-latency-spike --history " + q(dir / "h.sqlite") + " --html " +
                             q(blocked));
  INFO(trend.err);
  CHECK(trend.code == 2);
  CHECK(trend.err.find("gameday history: --html " + blocked) != std::string::npos);
}
