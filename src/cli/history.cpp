// `--history` / `--no-history`, recording runs, and `gameday history` (list, show, trend,
// export). The store and the CSV are history/store; this is files, flags and tables.
#include "cli/history.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>

#include "ci/junit.hpp"
#include "ci/text.hpp"
#include "cli/common.hpp"
#include "report/html.hpp"

#ifndef GAMEDAY_VERSION
#define GAMEDAY_VERSION "0.1.0"
#endif

namespace gameday {
namespace {

/// Runs `command` through the shell and returns its stdout ("" when it fails).
std::string capture(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return "";
  std::string out;
  char buf[256];
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) out += buf;
  if (pclose(pipe) != 0) return "";
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

/// Columns padded to the widest cell, two spaces apart, no trailing spaces.
std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& row : rows) {
    if (width.size() < row.size()) width.resize(row.size(), 0);
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) line += (i ? "  " : "") + pad(row[i], width[i]);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

const char* verdict_word(const HistoryRun& r) {
  if (r.interrupted) return r.pass ? "pass*" : "fail*";
  return r.pass ? "pass" : "fail";
}

std::string list_table(const std::vector<HistoryRun>& runs) {
  std::vector<std::vector<std::string>> rows = {
      {"id", "recorded_at", "scenario", "seed", "mode", "verdict", "TTD", "TTM", "unsafe", "incidents"}};
  for (const auto& r : runs) {
    rows.push_back({std::to_string(r.id), r.recorded_at, r.scenario, std::to_string(r.seed), r.mode,
                    verdict_word(r), format_metric("ttd", r.ttd_s), format_metric("ttm", r.ttm_s),
                    std::to_string(r.unsafe), std::to_string(r.incidents.size())});
  }
  return table(rows);
}

/// TTD/TTM/unsafe of every run of one scenario, oldest first, then the medians.
std::string trend_table(const std::vector<HistoryRun>& runs) {
  std::vector<std::vector<std::string>> rows = {
      {"id", "recorded_at", "seed", "mode", "version", "commit", "verdict", "TTD", "TTM", "TTR", "unsafe"}};
  for (const auto& r : runs) {
    rows.push_back({std::to_string(r.id), r.recorded_at, std::to_string(r.seed), r.mode, r.version,
                    r.git_commit.empty() ? "-" : r.git_commit.substr(0, 10), verdict_word(r),
                    format_metric("ttd", r.ttd_s), format_metric("ttm", r.ttm_s), format_metric("ttr", r.ttr_s),
                    std::to_string(r.unsafe)});
  }
  return table(rows);
}

/// The trend as a page: a chart of TTD/TTM/TTR and unsafe answers per run, and the trend table.
std::string trend_html(const std::string& scenario, const std::vector<HistoryRun>& runs) {
  using nlohmann::json;
  const auto opt = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  json rows = json::array();
  for (const auto& r : runs) {
    rows.push_back({{"id", r.id}, {"recorded_at", r.recorded_at}, {"seed", r.seed}, {"mode", r.mode},
                    {"verdict", verdict_word(r)}, {"ttd_s", opt(r.ttd_s)}, {"ttm_s", opt(r.ttm_s)},
                    {"ttr_s", opt(r.ttr_s)}, {"unsafe", r.unsafe}});
  }
  std::string body = "<header class=\"page-head\"><h1>" + xml_escape(scenario) +
                     ": run history</h1><p class=\"meta\">" + std::to_string(runs.size()) +
                     (runs.size() == 1 ? " run" : " runs") +
                     " recorded, oldest first</p></header>\n<div id=\"trend\"></div>\n<pre>" +
                     xml_escape(runs.empty() ? "no runs recorded\n" : trend_table(runs)) + "</pre>\n";
  return html_page("gameday history: " + scenario, body, json{{"scenario", scenario}, {"runs", std::move(rows)}},
                   "trend.js");
}

/// One trainee's drills, oldest first: their points, cause, changes, hints and times.
std::string trainee_table(const std::vector<HistoryRun>& runs) {
  std::vector<std::vector<std::string>> rows = {{"id", "recorded_at", "scenario", "seed", "points", "suspected",
                                                 "helped", "no_effect", "harmed", "hints", "TTA", "first_useful",
                                                 "TTM", "unsafe"}};
  for (const auto& r : runs) {
    if (!r.trainee) continue;
    const HistoryTrainee& t = *r.trainee;
    rows.push_back({std::to_string(r.id), r.recorded_at, r.scenario, std::to_string(r.seed), std::to_string(t.points),
                    t.suspected.empty() ? "-" : t.suspected + (t.cause_right ? " (right)" : " (wrong)"),
                    std::to_string(t.helped), std::to_string(t.no_effect), std::to_string(t.harmed),
                    std::to_string(t.hints), format_metric("tta", t.tta_s), format_metric("ttd", t.first_useful_s),
                    format_metric("ttm", t.ttm_s), std::to_string(t.unsafe)});
  }
  return table(rows);
}

std::string show_text(const HistoryRun& r) {
  std::string out;
  auto line = [&](const std::string& key, const std::string& value) { out += pad(key + ":", 17) + value + "\n"; };
  line("run", std::to_string(r.id));
  line("recorded_at", r.recorded_at);
  line("scenario", r.scenario + (r.scenario_file.empty() ? " (embedded)" : " (" + r.scenario_file + ")"));
  line("seed", std::to_string(r.seed));
  line("mode", r.mode + (r.playbooks_enabled ? "" : ", playbooks off"));
  line("version", r.version);
  line("git commit", r.git_commit.empty() ? "-" : r.git_commit);
  line("verdict", std::string(r.pass ? "PASS" : "FAIL") + (r.interrupted ? " (cut short)" : ""));
  line("duration", format_metric("ttd", r.duration_s));
  line("TTD/TTA/TTM/TTR", format_metric("ttd", r.ttd_s) + " / " + format_metric("tta", r.tta_s) + " / " +
                              format_metric("ttm", r.ttm_s) + " / " + format_metric("ttr", r.ttr_s));
  line("requests", std::to_string(r.requests) + " (failed " + std::to_string(r.failed) + ", unsafe " +
                       std::to_string(r.unsafe) + ")");
  line("false alerts", std::to_string(r.false_alerts));
  if (!r.participants.empty()) line("participants", join(r.participants, ", "));
  if (!r.reports.empty()) line("reports", r.reports + "/");
  for (const auto& f : r.failures) out += "FAIL " + f + "\n";
  if (r.incidents.empty()) return out + "incidents: none\n";
  std::vector<std::vector<std::string>> rows = {
      {"incident", "faults", "TTD", "TTA", "TTM", "TTR", "detected_by", "mitigated_by", "failed", "unsafe"}};
  for (const auto& x : r.incidents) {
    rows.push_back({x.id, join(x.faults, ","), format_metric("ttd", x.ttd_s), format_metric("tta", x.tta_s),
                    format_metric("ttm", x.ttm_s), format_metric("ttr", x.ttr_s),
                    x.detected_by.empty() ? "-" : x.detected_by, x.mitigated_by.empty() ? "-" : x.mitigated_by,
                    std::to_string(x.failed), std::to_string(x.unsafe)});
  }
  return out + "incidents:\n" + table(rows);
}

/// The filter of `o`; an error message (for exit 2) when a value is not one the filter knows.
std::optional<HistoryFilter> make_filter(const HistoryOptions& o, std::string& error) {
  HistoryFilter f;
  f.scenario = o.scenario;
  f.trainee = o.trainee;
  f.mode = o.mode;
  f.verdict = o.verdict;
  f.limit = o.limit;
  if (!o.mode.empty() && std::none_of(std::begin(kHistoryModes), std::end(kHistoryModes),
                                      [&](const char* m) { return o.mode == m; })) {
    error = "--mode: '" + o.mode + "' is not one of simulated, ci, drill";
    return std::nullopt;
  }
  if (!o.verdict.empty() && o.verdict != "pass" && o.verdict != "fail") {
    error = "--verdict: '" + o.verdict + "' is not pass or fail";
    return std::nullopt;
  }
  if (o.limit && *o.limit < 1) {
    error = "--limit: must be at least 1";
    return std::nullopt;
  }
  if (!o.since.empty()) {
    std::string why;
    const auto since = parse_since(o.since, utc_now(), why);
    if (!since) {
      error = "--since: " + why;
      return std::nullopt;
    }
    f.since = *since;
  }
  return f;
}

void add_filters(CLI::App& cmd, HistoryOptions& o, bool scenario) {
  if (scenario) cmd.add_option("--scenario", o.scenario, "only this scenario (its name)");
  cmd.add_option("--since", o.since, "only runs recorded since a UTC date (2026-12-01[T08:00]) or an age (90m, 36h, 7d, 2w)");
  cmd.add_option("--mode", o.mode, "only runs of this mode: simulated (run), ci, drill");
  cmd.add_option("--verdict", o.verdict, "only runs with this verdict: pass, fail");
  cmd.add_option("--limit", o.limit, "only the newest N runs");
}

}  // namespace

void add_history_flags(CLI::App& cmd, HistoryFlags& flags) {
  cmd.add_option("--history", flags.file,
                 std::string("append the run to this history file (default: $GAMEDAY_HISTORY, else ") +
                     kDefaultHistory + ")");
  cmd.add_flag("--no-history", flags.off, "record nothing in the run history");
}

std::optional<std::string> history_file(const HistoryFlags& flags) {
  if (flags.off) return std::nullopt;
  if (!flags.file.empty()) return flags.file;
  const char* env = std::getenv("GAMEDAY_HISTORY");
  if (env != nullptr && *env != '\0') return std::string(env);
  return std::string(kDefaultHistory);
}

std::string scenario_commit(const std::string& scenario_file) {
  if (scenario_file.empty()) return "";
  std::error_code ec;
  const std::filesystem::path file = std::filesystem::absolute(scenario_file, ec);
  if (ec || !std::filesystem::is_regular_file(file, ec)) return "";
  const std::string commit = capture("git -C " + shell_quote(file.parent_path().string()) +
                                     " log -1 --format=%H -- " + shell_quote(file.filename().string()) +
                                     " 2>/dev/null");
  // A full hexadecimal SHA-1 or SHA-256 id, else nothing (never a message taken for one).
  const bool hex = std::all_of(commit.begin(), commit.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
  return hex && (commit.size() == 40 || commit.size() == 64) ? commit : "";
}

std::size_t record_runs(const HistoryFlags& flags, std::vector<HistoryRun> runs) {
  const auto path = history_file(flags);
  if (!path || runs.empty()) return 0;
  std::map<std::string, std::string> commits;  // one git call per scenario file
  for (auto& r : runs) {
    r.version = GAMEDAY_VERSION;
    auto it = commits.find(r.scenario_file);
    if (it == commits.end()) it = commits.emplace(r.scenario_file, scenario_commit(r.scenario_file)).first;
    r.git_commit = it->second;
  }
  std::size_t appended = 0;
  try {
    HistoryStore store(*path);
    for (const auto& r : runs) {
      store.append(r);
      ++appended;
    }
  } catch (const std::exception& e) {
    spdlog::warn("run history: {} of {} run{} not recorded: {} (the reports are written; --no-history skips the history)",
                 runs.size() - appended, runs.size(), runs.size() == 1 ? "" : "s", e.what());
  }
  return appended;
}

HistoryCommands add_history_command(CLI::App& app, HistoryOptions& o) {
  HistoryCommands c;
  c.history = app.add_subcommand("history", "list recorded runs (run, ci, drill); show, trend, export");
  c.history->add_option("--history", o.file,
                        std::string("history file (default: $GAMEDAY_HISTORY, else ") + kDefaultHistory + ")");
  c.history->fallthrough();
  add_filters(*c.history, o, true);
  c.show = c.history->add_subcommand("show", "one run: metrics, incidents, participants, failures");
  c.show->add_option("id", o.id, "run id (from `gameday history`)")->required();
  c.trend = c.history->add_subcommand("trend", "TTD, TTM, TTR and unsafe answers of a scenario over time");
  c.trend->add_option("scenario", o.scenario, "scenario name")->required();
  c.trend->add_option("--html", o.html, "also write the trend as a chart page here");
  c.trainee = c.history->add_subcommand("trainee", "one person's drill-room drills over time: their scorecards");
  c.trainee->add_option("name", o.trainee, "the trainee's name (drill --trainee)")->required();
  c.export_csv = c.history->add_subcommand("export", "the runs as CSV (one row per run, or per incident)");
  c.export_csv->add_option("--out", o.out, "CSV file to write (default: stdout)");
  c.export_csv->add_flag("--incidents", o.incidents, "one row per incident instead of per run");
  // The filters and --history are history's: accepted after a subcommand too.
  for (auto* sub : {c.show, c.trend, c.export_csv, c.trainee}) sub->fallthrough();
  return c;
}

int cmd_history(const HistoryCommands& c, const HistoryOptions& o) {
  std::string error;
  const auto filter = make_filter(o, error);
  if (!filter) return invalid("history", error);
  if (*c.trend && !o.html.empty()) {
    if (const auto problem = output_problem(o.html)) return invalid("history", "--html " + *problem);
  }
  const std::string path = *history_file(HistoryFlags{o.file, false});
  std::error_code ec;
  // Reading never creates the file: a missing history is one with no runs.
  const bool exists = std::filesystem::exists(path, ec);
  std::optional<HistoryStore> store;
  try {
    if (exists) store.emplace(path);
    if (*c.show) {
      const auto run = store ? store->show(o.id) : std::nullopt;
      if (!run) return invalid("history", "no run " + std::to_string(o.id) + " in " + path);
      std::cout << show_text(*run);
      return kExitPass;
    }
    const std::vector<HistoryRun> runs = store ? store->list(*filter) : std::vector<HistoryRun>{};
    if (*c.export_csv) {
      const std::string csv = o.incidents ? history_incidents_csv(runs) : history_csv(runs);
      if (o.out.empty() || o.out == "-") {
        std::cout << csv;
      } else {
        write_file(o.out, csv);
      }
      return kExitPass;
    }
    if (*c.trend && !o.html.empty()) write_file(o.html, trend_html(o.scenario, runs));
    if (runs.empty()) {
      std::cout << "no runs recorded in " << path << (o.scenario.empty() ? "" : " for " + o.scenario) << (o.trainee.empty() ? "" : " with trainee " + o.trainee)
                << (exists ? "" : " (no such file yet)") << "\n";
      return kExitPass;
    }
    std::cout << (*c.trend ? trend_table(runs) : *c.trainee ? trainee_table(runs) : list_table(runs));
    return kExitPass;
  } catch (const HistoryError& e) {
    return invalid("history", e.what());
  }
}

}  // namespace gameday
