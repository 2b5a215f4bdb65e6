// gameday: a chaos and playbook simulator for AI-assisted healthcare systems.
// Exit codes (cli/exit_codes.hpp): 0 expectations hold, 1 they do not, 2 invalid input,
// 3 internal error or interrupted.
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "cli/bundle.hpp"
#include "cli/ci.hpp"
#include "cli/common.hpp"
#include "cli/drill.hpp"
#include "cli/history.hpp"
#include "cli/serve.hpp"
#include "cli/slo.hpp"
#include "cli/sut.hpp"
#include "cli/traces.hpp"
#include "load/error.hpp"
#include "load/files.hpp"
#include "load/limits.hpp"
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

namespace {

using namespace gameday;

/// What a command prints on stdout once a run is scored.
enum class Summary { kText, kQuiet, kJson };

/// Where a scored run goes in the run history (write_reports records it there).
struct HistoryTarget {
  HistoryFlags flags;
  std::string mode;           ///< simulated | drill
  std::string scenario_file;  ///< "" for the embedded default
};

/// Writes report.json, report.md and report.html of a scored journal into `out_dir`, then, with `history`,
/// appends the run to the run history (a failure there is a warning: the reports and the exit
/// code stay), then prints the terminal summary (or, with kJson, the machine-readable summary);
/// throws InvariantError (exit 3) after writing them when the run breaks an invariant.
int write_reports(const JournalDigestResult& digest, const std::filesystem::path& out_dir,
                  Summary summary, const HistoryTarget* history = nullptr) {
  const Score& score = digest.score;
  write_file(out_dir / "report.json", report_json(score));
  write_file(out_dir / "report.md", report_markdown(score));
  write_file(out_dir / "report.html", report_html(score, digest.series));
  if (history != nullptr) {
    HistoryRun run = history_run_from(score);
    run.mode = history->mode;
    run.scenario_file = history->scenario_file;
    run.reports = out_dir.string();
    if (history->mode == "drill") run.participants = participants_of(score);
    record_runs(history->flags, {std::move(run)});
  }
  // After writing: a broken invariant is an internal error (exit 3), and the reports show it.
  require_invariants(digest.violations);
  if (summary == Summary::kJson) std::cout << report_summary_json(score);
  if (summary == Summary::kText) std::cout << terminal_summary(score) << "reports: " << out_dir.string() << "/\n";
  return score.pass ? kExitPass : kExitFail;
}

Summary summary_of(bool quiet, bool json) {
  return json ? Summary::kJson : (quiet ? Summary::kQuiet : Summary::kText);
}

int cmd_run(const std::string& scenario_path, std::optional<std::uint64_t> seed,
            std::string out_dir, bool no_playbooks, bool zstd, const TraceFlags& trace_flags, Summary summary,
            const HistoryFlags& history_flags) {
  const DiskFiles disk;
  const bool embedded = scenario_path.empty();
  const FileSource& files = embedded ? static_cast<const FileSource&>(embedded_files()) : disk;
  const std::string path = embedded ? kDefaultScenario : scenario_path;
  // Cross-file checks (alerts named by triggers, vendors, flags, patients) before anything runs.
  std::vector<std::string> warnings;
  const auto problems = validate_files({path}, files, &warnings);
  for (const auto& w : warnings) std::cerr << w << "\n";
  if (!problems.empty()) {
    for (const auto& p : problems) std::cerr << p << "\n";
    return kExitInvalid;
  }
  const ScenarioBundle bundle = load_bundle(path, files);
  SimOptions options;
  options.seed = seed.value_or(bundle.scenario.seed);
  options.playbooks_enabled = !no_playbooks;
  // Three threads share the work: this one simulates, one builds the tasks ahead, and the
  // journal's writer (below) judges, writes and scores.
  options.tasks_ahead = true;
  // exec/http/notify playbook steps: real processes and HTTP, and the control API they use
  // (started at the first such step, on 127.0.0.1, for the rest of the run). Ctrl-C (or
  // SIGTERM): stop, run the rollbacks, write what happened, exit 3.
  net::NetStepEffects step_effects;
  step_effects.attach(options, install_interrupt_handler(), second_interrupt_flag());
  if (out_dir.empty()) out_dir = "reports/" + bundle.scenario.name;
  std::filesystem::create_directories(out_dir);
  spdlog::info("running {}{} (seed {}, {}) in simulated time", path, embedded ? " (embedded)" : "",
               options.seed, options.playbooks_enabled ? "playbooks on" : "playbooks off");
  // journal.jsonl, or with --zstd journal.jsonl.zst (`gameday report` reads either).
  const std::unique_ptr<std::ostream> journal_file =
      open_journal_output((std::filesystem::path(out_dir) / (zstd ? "journal.jsonl.zst" : "journal.jsonl")).string());
  // The journal goes to its file and to the scorer as it is appended, never held: memory stays
  // bounded by what is in flight, however long the run.
  Journal journal;
  journal.set_sink(journal_file.get());
  journal.keep_events(false);
  JournalDigest digest;
  journal.subscribe_behind([&digest](const Event& e) { digest.add(e); });
  RunTraces traces(out_dir, bundle, trace_flags, journal);
  // The journal's lines, the scorer and the traces run on a second thread, a batch of events
  // behind the simulation: the same bytes, written while the next requests are simulated.
  const JournalBackground background(journal);
  const SimStats stats = run_simulation(bundle, options, journal);
  journal.flush();
  finish_journal_output(*journal_file);
  traces.finish();
  spdlog::info("simulated {} requests, {} events", stats.requests, stats.events);
  const HistoryTarget history{history_flags, "simulated", embedded ? "" : scenario_path};
  const int code = write_reports(digest.finish(), out_dir, summary, &history);
  if (stats.interrupted) {
    spdlog::warn("interrupted: partial journal and reports in {}/", out_dir);
    return kExitInterrupted;
  }
  return code;
}

int cmd_validate(const std::vector<std::string>& paths) {
  const DiskFiles disk;
  std::vector<std::string> warnings;
  const auto problems = validate_files(paths, disk, &warnings);
  for (const auto& w : warnings) std::cerr << w << "\n";
  for (const auto& p : problems) std::cerr << p << "\n";
  if (!problems.empty()) return kExitInvalid;
  std::cout << "ok: " << paths.size() << (paths.size() == 1 ? " file" : " files") << " valid\n";
  return kExitPass;
}

/// Why an event of a journal cannot come from a run (nullopt when it can): a time past the
/// longest run plus a day (the rollbacks and late events after a run's end), a run longer than
/// runs may be, an evaluation interval shorter than scenarios allow. Scoring sizes its buckets
/// and per-minute series from these times, so they are checked before anything is scored.
std::optional<std::string> out_of_bounds(const Event& e) {
  constexpr Duration kLatest = limits::kMaxRunDuration + 24 * kHour;
  if (e.t > kLatest) {
    return std::string(event_type(e.body)) + ": t_us " + std::to_string(e.t) + " is past " +
           format_duration_exact(kLatest) + " from the start, later than any run ends";
  }
  if (const auto* run = std::get_if<RunStartEvent>(&e.body)) {
    if (run->duration > limits::kMaxRunDuration || run->duration < 0) {
      return "run_start: duration_us " + std::to_string(run->duration) + " is not a run's duration (0 to " +
             format_duration_exact(limits::kMaxRunDuration) + ")";
    }
    if (run->evaluation_interval != 0 &&
        (run->evaluation_interval < limits::kMinEvaluationInterval || run->evaluation_interval > limits::kMaxRunDuration)) {
      return "run_start: evaluation_interval_us " + std::to_string(run->evaluation_interval) +
             " is outside 1s to " + format_duration_exact(limits::kMaxRunDuration);
    }
  }
  return std::nullopt;
}

/// Scores a journal file for `gameday report` as it reads it (a journal in time order, as runs
/// write them, is never held in memory; a shuffled one is read again and sorted). A cut last line
/// (a run killed mid-write) is dropped with a warning; any other bad line, an empty journal or
/// one that does not begin with run_start is a ConfigError naming file:line.
JournalDigestResult digest_journal_file(const std::string& journal_path) {
  // Plain or zstd-compressed (told apart by the file's first bytes).
  const auto open = [&] {
    try {
      return open_journal_input(journal_path);
    } catch (const std::runtime_error&) {
      throw ConfigError(journal_path, 1, 1, "cannot read file");
    }
  };
  JournalDigest digest;
  JournalScan scan;
  bool truncated = false;
  try {
    const auto in = open();
    scan = scan_journal(*in, [&](const Event& e, std::size_t line) {
      if (digest.events() == 0 && !std::holds_alternative<RunStartEvent>(e.body)) {
        throw ConfigError(journal_path, static_cast<int>(line), 1,
                          std::string("the journal begins with a ") + event_type(e.body) + " event, not run_start");
      }
      if (const auto why = out_of_bounds(e)) throw ConfigError(journal_path, static_cast<int>(line), 1, *why);
      digest.add(e);
    });
    truncated = journal_input_truncated(*in);
  } catch (const JournalError& e) {
    throw ConfigError(journal_path, static_cast<int>(e.line()), 1, e.message());
  } catch (const ZstdError& e) {
    throw ConfigError(journal_path, 1, 1, e.what());
  }
  if (truncated) {
    spdlog::warn("{}: the compressed journal ends inside a frame (the run did not finish writing it): "
                 "scored what it holds", journal_path);
  }
  if (scan.dropped_line != 0) {
    spdlog::warn("{}:{}: dropped the last line: it is cut short ({}); the run did not finish writing it",
                 journal_path, scan.dropped_line, scan.dropped_why);
  }
  if (scan.events == 0) {
    throw ConfigError(journal_path, 1, 1, "the journal holds no events (expected run_start first)");
  }
  if (digest.in_order()) return digest.finish();
  // Out of time order (a hand-merged journal): read it whole and let the scorer sort it.
  const auto in = open();
  return digest_journal(read_journal_tolerant(*in).events);
}

int cmd_report(const std::string& journal_path, std::string out_dir, Summary summary) {
  JournalDigestResult digest = digest_journal_file(journal_path);
  if (out_dir.empty()) out_dir = std::filesystem::path(journal_path).parent_path().string();
  if (out_dir.empty()) out_dir = ".";
  std::filesystem::create_directories(out_dir);
  return write_reports(digest, out_dir, summary);
}

/// Whether the environment asks for no colour (https://no-color.org: NO_COLOR set and not empty).
bool no_color() {
  const char* v = std::getenv("NO_COLOR");
  return v != nullptr && *v != '\0';
}

}  // namespace

int main(int argc, char** argv) {
  auto logger = spdlog::stderr_color_mt(
      "gameday", no_color() ? spdlog::color_mode::never : spdlog::color_mode::automatic);
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%^%l%$: %v");

  CLI::App app{"gameday: chaos and playbook simulator for AI-assisted healthcare systems"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "gameday " GAMEDAY_VERSION);
  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "log more (also accepted after the command)");
  // Options a command does not know are looked up here: `gameday run -v` works as `gameday -v run`.
  app.fallthrough();

  auto* run = app.add_subcommand("run", "run a scenario in simulated time and score it");
  std::string scenario;
  std::optional<std::uint64_t> seed;
  std::string out_dir;
  bool no_playbooks = false;
  bool quiet = false;
  run->add_option("scenario", scenario, "scenario file (default: the embedded vendor-latency-spike)");
  run->add_option("--seed", seed, "random seed (default: the scenario's)");
  run->add_option("--out", out_dir, "output directory (default: reports/<scenario name>)");
  run->add_flag("--no-playbooks", no_playbooks, "run without playbooks (the unmitigated incident)");
  run->add_flag("-q,--quiet", quiet, "print nothing on success");
  bool zstd = false;
  run->add_flag("--zstd", zstd, "write the journal zstd-compressed, as journal.jsonl.zst (about 20x smaller)");
  bool json = false;
  run->add_flag("--json", json, "print the report.json summary (verdict, incidents, metrics) as JSON on stdout");
  TraceFlags trace_flags;
  add_trace_flags(*run, trace_flags.off, trace_flags.sample);
  HistoryFlags run_history;
  add_history_flags(*run, run_history);

  auto* validate = app.add_subcommand("validate", "check scenarios, playbooks and golden sets");
  std::vector<std::string> validate_paths;
  validate->add_option("files", validate_paths, "files to check")->required();

  auto* report = app.add_subcommand("report", "rebuild report.json, report.md and report.html from a journal");
  std::string journal_path;
  std::string report_out;
  report->add_option("journal", journal_path, "journal.jsonl (or journal.jsonl.zst) of a run")->required();
  report->add_option("--out", report_out, "output directory (default: the journal's)");
  report->add_flag("-q,--quiet", quiet, "print nothing on success");
  report->add_flag("--json", json, "print the report.json summary as JSON on stdout");

  CiOptions ci_options;
  auto* ci = add_ci_command(app, ci_options);
  GoldenOptions golden_options;
  auto* golden = add_golden_command(app, golden_options);
  ServeOptions serve_options;
  auto* serve = add_serve_command(app, serve_options);
  SloOptions slo_options;
  auto* slo = add_slo_command(app, slo_options);
  DrillOptions drill_options;
  auto* drill = add_drill_command(app, drill_options);
  SutOptions sut_options;
  const auto [sut_check, sut_validate] = add_sut_command(app, sut_options);
  HistoryFlags drill_history;
  add_history_flags(*drill, drill_history);
  HistoryOptions history_options;
  const HistoryCommands history_commands = add_history_command(app, history_options);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitInvalid;
  }
  if (*drill) quiet = quiet || drill_options.quiet;
  // --json keeps stdout for the JSON; logs go to stderr as ever.
  spdlog::set_level(verbose ? spdlog::level::debug : (quiet ? spdlog::level::warn : spdlog::level::info));

  try {
    if (*run) return cmd_run(scenario, seed, out_dir, no_playbooks, zstd, trace_flags, summary_of(quiet, json), run_history);
    if (*validate) return cmd_validate(validate_paths);
    if (*report) return cmd_report(journal_path, report_out, summary_of(quiet, json));
    if (*ci) return cmd_ci(ci_options);
    if (*golden) return cmd_golden(golden_options);
    if (*serve) return cmd_serve(serve_options);
    if (*slo) return cmd_slo(slo_options);
    if (*sut_check) return cmd_sut_check(sut_options);
    if (*sut_validate) return cmd_sut_validate(sut_options);
    if (*history_commands.history) return cmd_history(history_commands, history_options);
    if (*drill) {
      const HistoryTarget history{drill_history, "drill", drill_options.scenario};
      const ReportWriter writer = [&history](const std::vector<Event>& events, const std::filesystem::path& dir,
                                             bool drill_quiet) {
        return write_reports(digest_journal(events), dir, drill_quiet ? Summary::kQuiet : Summary::kText, &history);
      };
      return cmd_drill(drill_options, install_interrupt_handler(), writer);
    }
  } catch (const ConfigError& e) {
    std::cerr << e.what() << "\n";
    return kExitInvalid;
  } catch (const std::exception& e) {
    std::cerr << "internal error: " << e.what() << "\n";
    return kExitInternal;
  }
  return kExitInternal;
}
