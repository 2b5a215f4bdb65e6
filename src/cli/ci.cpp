// `gameday ci`: every scenario × seed in simulated time on a pool of threads. Each run owns its
// Journal and its step effects (control API, flags file) and shares only the loaded (read-only)
// bundles; results land in a slot per work item, so nothing printed or written depends on
// thread timing (except the live progress line).
#include "cli/ci.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>

#include "ci/baseline.hpp"
#include "ci/junit.hpp"
#include "ci/plan.hpp"
#include "ci/text.hpp"
#include "cli/bundle.hpp"
#include "cli/common.hpp"
#include "cli/traces.hpp"
#include "load/error.hpp"
#include "load/files.hpp"
#include "load/loader.hpp"
#include "engine/simulation.hpp"
#include "net/step_effects.hpp"
#include "report/html.hpp"
#include "report/report.hpp"
#include "score/digest.hpp"
#include "score/invariants.hpp"
#include "score/score.hpp"
#include "sim/journal.hpp"
#include "sim/zstd_stream.hpp"

namespace gameday {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path, 1, 1, "cannot read file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Reads a summary file; a malformed one is invalid input naming the file.
CiSummary load_summary(const std::string& path) {
  const std::string text = read_file(path);
  try {
    return parse_summary_json(text);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(path, 1, 1, e.what());
  }
}

/// Per-scenario tolerance overrides from the scenario file (`ci: {tolerance: {...}}`).
std::map<std::string, double> scenario_tolerance(const Scenario& scenario) { return scenario.ci_tolerance; }

bool is_yaml(const std::string& path) {
  const auto ext = std::filesystem::path(path).extension().string();
  return ext == ".yaml" || ext == ".yml";
}

/// The scenario files of `dir` (or `dir` itself when it is a file). Playbooks and golden sets
/// directly in the directory are skipped; anything else is treated as a scenario, so a broken
/// file is reported rather than silently left out.
std::optional<std::vector<std::string>> scenario_files(const std::string& dir, const FileSource& files) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(dir, ec)) return std::vector<std::string>{dir};
  if (!std::filesystem::is_directory(dir, ec)) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& path : files.list(dir)) {
    if (!is_yaml(path)) continue;
    const FileKind kind = detect_kind(path, files);
    if (kind == FileKind::kPlaybook || kind == FileKind::kGoldenSet) continue;
    out.push_back(path);
  }
  return out;
}

/// Validates `paths` as scenarios; prints every problem ("file:line:col: message") in file
/// order, each once (scenarios sharing fakes or playbooks would repeat their problems), and
/// every warning once. False when there is a problem.
bool validate_scenarios(const std::vector<std::string>& paths, const FileSource& files) {
  std::vector<std::string> problems;
  std::set<std::string> seen;
  for (const auto& p : paths) {
    std::vector<std::string> mine;
    std::vector<std::string> warnings;
    if (detect_kind(p, files) == FileKind::kScenario) {
      mine = validate_files({p}, files, &warnings);
    } else {
      // Not recognisable as a scenario (unparsable YAML, or none of its keys): the scenario
      // loader names the first problem with its position.
      try {
        load_scenario(p, files);
        mine = validate_files({p}, files, &warnings);
      } catch (const ConfigError& e) {
        mine.push_back(e.what());
      }
    }
    // Warnings (printed, each once) do not stop the sweep.
    for (const auto& w : warnings) {
      if (seen.insert(w).second) std::cerr << w << "\n";
    }
    for (auto& m : mine) {
      if (seen.insert(m).second) problems.push_back(std::move(m));
    }
  }
  for (const auto& p : problems) std::cerr << p << "\n";
  return problems.empty();
}

/// The one-line progress display: on a terminal only, and never under CI.
class Progress {
 public:
  Progress(bool enabled, std::size_t total) : enabled_(enabled), total_(total) {}
  void done(const RunRecord& r) {
    if (!enabled_) return;
    const std::lock_guard<std::mutex> lock(mutex_);
    ++count_;
    std::printf("\r\033[K[%zu/%zu] %s seed %llu %s", count_, total_, r.scenario.c_str(),
                static_cast<unsigned long long>(r.seed), r.pass ? "PASS" : "FAIL");
    std::fflush(stdout);
  }
  void clear() {
    if (!enabled_ || count_ == 0) return;
    std::printf("\r\033[K");
    std::fflush(stdout);
  }

 private:
  bool enabled_;
  std::size_t total_;
  std::size_t count_ = 0;
  std::mutex mutex_;
};

/// The value of the environment variable `name`, nullopt when it is unset (set but empty is "").
std::optional<std::string_view> env_value(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) return std::nullopt;
  return std::string_view(v);
}

/// The shard to run: `--shard` when given (the environment is then not read), else the one a
/// Kubernetes Indexed Job's pod is given (JOB_COMPLETION_INDEX, JOB_COMPLETIONS; see
/// shard_from_env), else none. Returns an exit code (invalid input) instead when either is bad.
std::optional<int> choose_shard(const CiOptions& o, std::optional<Shard>& shard) {
  if (!o.shard.empty()) {
    std::string error;
    shard = parse_shard(o.shard, &error);
    if (!shard) return invalid("ci", "--shard: " + error);
    return std::nullopt;
  }
  const auto index = env_value(kJobCompletionIndexEnv);
  const auto count = env_value(kJobCompletionsEnv);
  try {
    shard = shard_from_env(index, count);
  } catch (const std::invalid_argument& e) {
    return invalid("ci", e.what());
  }
  if (shard) {
    spdlog::info("running shard {}/{} from the environment: {}={}, {}={}", shard->index, shard->count,
                 kJobCompletionIndexEnv, *index, kJobCompletionsEnv, *count);
  } else if (count) {
    // Alone it selects nothing, but a Job whose pods all run everything is probably not meant.
    spdlog::warn("{} is set but {} is not: running all the work, not a shard (an Indexed Job, "
                 "completionMode: Indexed, sets {} in each pod)",
                 kJobCompletionsEnv, kJobCompletionIndexEnv, kJobCompletionIndexEnv);
  }
  return std::nullopt;
}

bool progress_wanted(bool allowed) {
  const char* ci = std::getenv("CI");
  return allowed && isatty(STDOUT_FILENO) && !(ci && *ci);
}

/// What one work item produced.
struct RunOutcome {
  RunRecord record;
  HistoryRun history;  ///< what the run history keeps of it (scenario_file filled later)
  bool interrupted = false;  ///< the stop flag ended it early (its record is partial)
};

/// Runs one work item as `gameday run` runs it; writes its journal and reports under `out`
/// when given.
RunOutcome run_one(const ScenarioBundle& bundle, std::uint64_t seed, const std::string& out, bool zstd,
                   const TraceFlags& trace_flags, const std::atomic<bool>* stop) {
  SimOptions options;
  options.seed = seed;
  // exec/http/notify steps run for real, set up as `gameday run` sets them up: this run's own
  // control API (127.0.0.1, a port the OS picks, started at its first such step) and its own
  // flags file, both handed to each process in its own environment, so concurrent runs share
  // nothing.
  net::NetStepEffects step_effects;
  step_effects.attach(options, stop, second_interrupt_flag());
  // As in `gameday run`: the journal goes to its file and the scorer, never held in memory.
  Journal journal;
  journal.keep_events(false);
  JournalDigest digest(/*series=*/!out.empty());
  // No background writer (JournalBackground): `--jobs` already gives each core a run.
  journal.subscribe_behind([&digest](const Event& e) { digest.add(e); });
  std::unique_ptr<std::ostream> sink;
  std::filesystem::path dir;
  if (!out.empty()) {
    dir = std::filesystem::path(out) / (bundle.scenario.name + "-" + std::to_string(seed));
    std::filesystem::create_directories(dir);
    sink = open_journal_output((dir / (zstd ? "journal.jsonl.zst" : "journal.jsonl")).string());
    journal.set_sink(sink.get());
  }
  // Traces go with the journal: only runs written under --out have them.
  std::optional<RunTraces> traces;
  if (!out.empty()) traces.emplace(dir, bundle, trace_flags, journal);
  const SimStats stats = run_simulation(bundle, options, journal);
  journal.flush();
  if (sink) finish_journal_output(*sink);
  if (traces) traces->finish();
  const JournalDigestResult scored = digest.finish();
  const Score& score = scored.score;
  if (!out.empty()) {
    write_file(dir / "report.json", report_json(score));
    write_file(dir / "report.md", report_markdown(score));
    write_file(dir / "report.html", report_html(score, scored.series));
  }
  require_invariants(scored.violations);
  RunOutcome outcome{make_run_record(score), history_run_from(score), stats.interrupted};
  outcome.history.mode = "ci";
  if (!out.empty()) outcome.history.reports = dir.string();
  for (const auto& step : stats.steps_not_run) {
    outcome.record.steps_not_run.push_back(describe_step_not_run(step));
  }
  return outcome;
}

/// The runs of a sweep, in item order; when interrupted, only those that finished.
struct Sweep {
  std::vector<RunRecord> records;
  std::vector<HistoryRun> history;  ///< the same runs, for the run history
  bool interrupted = false;
};

/// Runs `items` on `jobs` threads. Results are in item order whatever the timing. When `stop`
/// turns true no further item starts and the runs in flight stop (after their rollbacks).
Sweep run_all(const std::vector<ScenarioBundle>& bundles, const std::vector<WorkItem>& items, int jobs,
              const std::string& out, bool zstd, const TraceFlags& trace_flags, const std::atomic<bool>* stop,
              Progress& progress) {
  std::vector<std::optional<RunOutcome>> results(items.size());
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex error_mutex;
  std::string error;
  auto worker = [&] {
    while (!failed.load() && !(stop != nullptr && stop->load())) {
      const std::size_t k = next.fetch_add(1);
      if (k >= items.size()) return;
      const WorkItem& item = items[k];
      try {
        results[k] = run_one(bundles[item.scenario], item.seed, out, zstd, trace_flags, stop);
        progress.done(results[k]->record);
      } catch (const std::exception& e) {
        const std::lock_guard<std::mutex> lock(error_mutex);
        if (!failed.exchange(true)) {
          error = bundles[item.scenario].scenario.name + " seed " + std::to_string(item.seed) +
                  ": " + e.what();
        }
      }
    }
  };
  const int threads = std::max(1, std::min<int>(jobs, static_cast<int>(items.size())));
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  progress.clear();
  if (failed) throw std::runtime_error(error);
  Sweep sweep;
  sweep.records.reserve(results.size());
  for (auto& r : results) {
    if (!r || r->interrupted) {
      sweep.interrupted = true;
      continue;
    }
    sweep.records.push_back(std::move(r->record));
    sweep.history.push_back(std::move(r->history));
  }
  return sweep;
}

std::string pad(std::string s, std::size_t width, bool right = false) {
  if (s.size() >= width) return s;
  const std::string fill(width - s.size(), ' ');
  return right ? fill + s : s + fill;
}

std::string p50_p90(const ScenarioSummary& s, const char* metric) {
  const MetricStats& st = s.metrics.at(metric);
  return format_metric(metric, st.p50) + "/" + format_metric(metric, st.p90);
}

/// A "STEP NOT RUN" line per step that could not run, in run order; adds their number to `count`.
/// Loud on purpose: a sweep must not pass over a mitigation that never ran.
std::string not_run_lines(const CiSummary& s, std::size_t* count) {
  std::string out;
  for (const auto& r : s.runs) {
    for (const auto& step : r.steps_not_run) {
      ++*count;
      out += "STEP NOT RUN " + r.scenario + " seed " + std::to_string(r.seed) + ": " + step + "\n";
    }
  }
  return out;
}

/// The final table (a row per scenario, its incidents beneath), the failures with replay
/// commands, and the result line naming every file or directory written.
void print_result(const CiSummary& s, const std::string& summary_path, const std::string& junit_path,
                  const std::string& html_path,
                  const std::string& runs_dir) {
  std::size_t width = 8;
  for (const auto& sc : s.scenarios) width = std::max(width, sc.plan.name.size());
  std::string out = pad("scenario", width) + "  " + pad("passed", 7, true) + "  " +
                    pad("TTD p50/p90", 15) + "  " + pad("TTM p50/p90", 15) + "  " +
                    pad("failed p90", 10, true) + "  " + pad("unsafe p90", 10, true) + "\n";
  for (const auto& sc : s.scenarios) {
    if (sc.runs == 0) continue;
    out += pad(sc.plan.name, width) + "  " +
           pad(std::to_string(sc.passed) + "/" + std::to_string(sc.runs), 7, true) + "  " +
           pad(p50_p90(sc, "ttd"), 15) + "  " + pad(p50_p90(sc, "ttm"), 15) + "  " +
           pad(format_metric("failed", sc.metrics.at("failed").p90), 10, true) + "  " +
           pad(format_metric("unsafe", sc.metrics.at("unsafe").p90), 10, true) + "\n";
    out += incident_rows(sc);
  }
  auto plan_of = [&](const std::string& name) -> const PlannedScenario& {
    for (const auto& sc : s.scenarios) {
      if (sc.plan.name == name) return sc.plan;
    }
    throw std::logic_error("no scenario " + name);
  };
  std::size_t not_run = 0;
  out += not_run_lines(s, &not_run);
  long failed_runs = 0;
  for (const auto& r : s.runs) {
    if (r.pass) continue;
    ++failed_runs;
    std::string reasons;
    for (const auto& f : r.failures) reasons += (reasons.empty() ? "" : "; ") + f;
    out += "FAIL " + r.scenario + " seed " + std::to_string(r.seed) + ": " + reasons + "\n";
    out += "  replay: " + replay_command(plan_of(r.scenario), r.seed) + "\n";
  }
  for (const auto& g : s.regressions) {
    out += "REGRESSION " + g.scenario + " " + g.metric + ": " + g.detail + "\n";
    out += "  replay: " + replay_command(plan_of(g.scenario), g.replay_seed) + "\n";
  }
  out += std::string("result: ") + (s.pass() ? "PASS" : "FAIL") + " (" +
         std::to_string(s.runs.size() - failed_runs) + "/" + std::to_string(s.runs.size()) +
         " runs passed, " + std::to_string(s.regressions.size()) +
         (s.regressions.size() == 1 ? " regression" : " regressions") +
         (not_run == 0 ? std::string()
                       : ", " + std::to_string(not_run) + (not_run == 1 ? " step" : " steps") + " could not run") +
         "); summary: " + summary_path;
  if (!junit_path.empty()) out += "; junit: " + junit_path;
  if (!html_path.empty()) out += "; dashboard: " + html_path;
  if (!runs_dir.empty()) out += "; runs: " + runs_dir + "/";
  std::cout << out << "\n";
}

/// The runs directory `out` as the dashboard at `html` links to it: relative to the dashboard's
/// directory ("" without --out).
std::string reports_link(const std::string& out, const std::string& html) {
  if (out.empty()) return "";
  namespace fs = std::filesystem;
  const fs::path base = fs::absolute(html).parent_path();
  const fs::path rel = fs::absolute(out).lexically_normal().lexically_relative(base.lexically_normal());
  return rel.empty() ? fs::absolute(out).string() : rel.generic_string();
}

/// Writes the outputs, prints the result and returns the exit code.
int finish(CiSummary& summary, const CiOptions& o, const std::optional<CiSummary>& baseline,
           std::string summary_path) {
  if (baseline) compare_with_baseline(summary, *baseline);
  const std::string json = summary_json(summary);
  write_file(summary_path, json);
  if (!o.junit.empty()) write_file(o.junit, junit_xml(summary));
  if (!o.html.empty()) write_file(o.html, ci_dashboard_html(summary, reports_link(o.out, o.html)));
  if (o.json) {
    std::cout << json;
    if (json.empty() || json.back() != '\n') std::cout << "\n";
  } else {
    print_result(summary, summary_path, o.junit, o.html, o.out);
  }
  return summary.pass() ? kExitPass : kExitFail;
}

/// Says what an interrupted sweep leaves behind and returns its exit code.
int report_interrupted(const Sweep& sweep, std::size_t total, const CiOptions& o) {
  spdlog::warn("interrupted: {} of {} runs finished; no summary{} written{}", sweep.records.size(), total,
               o.junit.empty() ? "" : " or JUnit",
               o.out.empty() ? "" : " (the runs' journals and reports are in " + o.out + "/)");
  return kExitInterrupted;
}

int cmd_merge(const CiOptions& o) {
  if (!o.shard.empty()) return invalid("ci", "--merge combines shard summaries: it takes no --shard");
  // A merge runs nothing, so it has no journals or reports to keep.
  if (!o.out.empty()) {
    return invalid("ci", "--merge runs nothing and writes no per-run files: it takes no --out "
                         "(pass --out to the runs of each shard)");
  }
  std::optional<CiSummary> baseline;
  if (!o.baseline.empty()) baseline = load_summary(o.baseline);
  std::vector<CiSummary> parts;
  for (const auto& path : o.merge) parts.push_back(load_summary(path));
  CiSummary merged;
  try {
    merged = merge_summaries(parts);
  } catch (const std::invalid_argument& e) {
    return invalid("ci", std::string("--merge: ") + e.what());
  }
  if (!o.json) std::cout << "gameday ci: merged " << parts.size() << (parts.size() == 1 ? " summary" : " summaries")
            << ": " << merged.scenarios.size() << (merged.scenarios.size() == 1 ? " scenario, " : " scenarios, ")
            << merged.runs.size() << " runs\n";
  return finish(merged, o, baseline, o.summary.empty() ? "reports/ci/summary.json" : o.summary);
}

}  // namespace

CLI::App* add_ci_command(CLI::App& app, CiOptions& o) {
  auto* ci = app.add_subcommand(
      "ci", "run every scenario x seed in simulated time, in parallel; JUnit, summary, baseline");
  ci->add_option("paths", o.paths, "scenario directories and files (default: scenarios)");
  ci->add_option("--seeds", o.seeds, "seeds per scenario: its own seed, +1, ... (default 10)")
      ->check(CLI::Range(1, 100000));
  ci->add_option("--junit", o.junit, "write JUnit XML here");
  ci->add_option("--html", o.html,
                 "write the CI dashboard here (strip plots per scenario, regressions, failing runs; "
                 "links to their report.html with --out)");
  ci->add_option("--summary", o.summary,
                 "write the summary JSON here (default reports/ci/summary.json, "
                 "reports/ci/summary-I-of-N.json for a shard)");
  ci->add_option("--baseline", o.baseline, "compare p50/p90 with this earlier summary");
  ci->add_option("--shard", o.shard,
                 "run only shard I of N (1-based, e.g. 2/4; default: shard JOB_COMPLETION_INDEX+1 of "
                 "JOB_COMPLETIONS when JOB_COMPLETION_INDEX is set, as in a Kubernetes Indexed Job)");
  ci->add_option("--jobs,-j", o.jobs, "worker threads (default: the number of cores)")
      ->check(CLI::Range(0, 1024));
  ci->add_option("--out", o.out, "also write each run's journal and reports to OUT/<scenario>-<seed>/");
  ci->add_flag("--zstd", o.zstd, "with --out: write each journal zstd-compressed, as journal.jsonl.zst");
  ci->add_option("--merge", o.merge, "combine shard summaries instead of running (SUMMARY...)");
  ci->add_flag_callback("--no-progress", [&o] { o.progress = false; }, "never show the progress line");
  add_trace_flags(*ci, o.no_traces, o.trace_sample);
  add_history_flags(*ci, o.history);
  ci->add_flag("--json", o.json, "print the summary JSON (as written to --summary) on stdout instead of the text result");
  return ci;
}

int cmd_ci(const CiOptions& o) {
  // Where the results go must be writable before anything runs.
  for (const auto& [flag, path] : {std::pair<const char*, const std::string&>{"--summary", o.summary},
                                   {"--junit", o.junit}, {"--html", o.html}}) {
    if (path.empty()) continue;
    if (const auto problem = output_problem(path)) return invalid("ci", std::string(flag) + " " + *problem);
  }
  if (!o.merge.empty()) return cmd_merge(o);
  if (o.zstd && o.out.empty()) return invalid("ci", "--zstd compresses the journals written under --out: pass --out too");
  std::optional<Shard> shard;
  if (const auto code = choose_shard(o, shard)) return *code;
  // Percentiles of a shard's share of the seeds are not comparable with a whole baseline.
  if (shard && !o.baseline.empty()) {
    const std::string why = o.shard.empty() ? std::string(" (") + kJobCompletionIndexEnv + " makes this run one)" : "";
    return invalid("ci", "--baseline compares whole results: pass it to `gameday ci --merge` instead of a shard" + why);
  }
  std::optional<CiSummary> baseline;
  if (!o.baseline.empty()) baseline = load_summary(o.baseline);

  const DiskFiles disk;
  std::vector<std::string> all;
  for (const auto& p : o.paths) {
    const auto found = scenario_files(p, disk);
    if (!found) return invalid("ci", p + ": no such file or directory");
    if (found->empty()) return invalid("ci", p + ": no scenario files (*.yaml) in it");
    for (const auto& f : *found) {
      if (std::find(all.begin(), all.end(), f) == all.end()) all.push_back(f);
    }
  }
  const auto* paths = &all;
  if (!validate_scenarios(*paths, disk)) return kExitInvalid;

  std::vector<ScenarioBundle> bundles;
  std::vector<PlannedScenario> plan;
  std::map<std::string, std::string> names;
  for (const auto& path : *paths) {
    bundles.push_back(load_bundle(path, disk));
    const Scenario& s = bundles.back().scenario;
    if (auto [it, fresh] = names.emplace(s.name, path); !fresh) {
      throw ConfigError(path, 1, 1, "scenario name '" + s.name + "' is also used by " + it->second +
                                        " (names identify results in CI)");
    }
    plan.push_back(PlannedScenario{s.name, path, ci_seeds(s.seed, o.seeds), scenario_tolerance(s)});
  }

  std::vector<WorkItem> items = work_items(plan);
  if (shard) items = select_shard(items, *shard);
  int jobs = o.jobs > 0 ? o.jobs : static_cast<int>(std::thread::hardware_concurrency());
  if (jobs < 1) jobs = 1;

  Progress progress(progress_wanted(o.progress && !o.json), items.size());
  // Ctrl-C (or SIGTERM): no run starts after it, the runs in flight stop as `gameday run`
  // stops (their processes killed, their rollbacks run), and nothing is summarized.
  const std::atomic<bool>* stop = install_interrupt_handler();
  const auto t0 = std::chrono::steady_clock::now();
  Sweep sweep = run_all(bundles, items, jobs, o.out, o.zstd, TraceFlags{o.no_traces, o.trace_sample}, stop, progress);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // From this thread, after the sweep, in item order; other processes' appends take turns.
  for (auto& h : sweep.history) h.scenario_file = names.at(h.scenario);
  record_runs(o.history, std::move(sweep.history));
  if (sweep.interrupted) return report_interrupted(sweep, items.size(), o);

  CiSummary summary = summarize(plan, std::move(sweep.records), shard);
  const int threads = std::clamp(jobs, 1, std::max(1, static_cast<int>(items.size())));
  const std::string shard_label =
      shard ? std::to_string(shard->index) + "/" + std::to_string(shard->count) : std::string();
  char header[256];
  std::snprintf(header, sizeof header, "gameday ci: %zu scenario%s x %d seed%s%s%s: %zu runs on %d thread%s in %.2f s\n",
                plan.size(), plan.size() == 1 ? "" : "s", o.seeds, o.seeds == 1 ? "" : "s",
                shard ? ", shard " : "", shard_label.c_str(), items.size(), threads,
                threads == 1 ? "" : "s", wall);
  if (!o.json) std::cout << header;
  std::string summary_path = o.summary;
  if (summary_path.empty()) {
    summary_path = shard ? "reports/ci/summary-" + std::to_string(shard->index) + "-of-" +
                               std::to_string(shard->count) + ".json"
                         : "reports/ci/summary.json";
  }
  return finish(summary, o, baseline, summary_path);
}

}  // namespace gameday
