#pragma once
// Run history from the command line: the --history / --no-history flags of `run`, `ci` and
// `drill`, recording their runs (history/store.hpp), and `gameday history` with its
// subcommands (list, show, trend, export). A history that cannot be written never changes a
// run's reports or exit code: it is a warning on stderr naming the file.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "history/store.hpp"

namespace CLI {
class App;
}

namespace gameday {

/// The default history file (relative to the working directory).
inline constexpr const char* kDefaultHistory = "reports/history.sqlite";

/// Where a command records its runs.
struct HistoryFlags {
  std::string file;  ///< --history FILE ("" = GAMEDAY_HISTORY, else kDefaultHistory)
  bool off = false;  ///< --no-history
};

/// Adds --history FILE and --no-history to `cmd`.
void add_history_flags(CLI::App& cmd, HistoryFlags& flags);

/// The history file `flags` name: --history, else GAMEDAY_HISTORY when set and not empty,
/// else kDefaultHistory; nullopt with --no-history.
std::optional<std::string> history_file(const HistoryFlags& flags);

/// The last git commit that touched `scenario_file` ("" when git, a repository or a commit is
/// missing, or the file is embedded: `scenario_file` empty). Never throws.
std::string scenario_commit(const std::string& scenario_file);

/// Appends `runs` (each in its own transaction, in order) to the history `flags` name, after
/// filling each run's version and, from its scenario_file, git_commit. Returns the number
/// appended. Any failure (a corrupt or locked file, a directory) is a warning on stderr naming
/// the file and SQLite's message: nothing is thrown.
std::size_t record_runs(const HistoryFlags& flags, std::vector<HistoryRun> runs);

/// Options of `gameday history` and its subcommands.
struct HistoryOptions {
  std::string file;        ///< --history FILE ("" as for HistoryFlags)
  std::string scenario;    ///< --scenario (list, export), or trend's SCENARIO
  std::string since;       ///< --since
  std::string mode;        ///< --mode
  std::string verdict;     ///< --verdict
  std::optional<long> limit;  ///< --limit N
  std::int64_t id = 0;     ///< show's ID
  std::string out;         ///< export --out FILE ("" = stdout)
  bool incidents = false;  ///< export --incidents: one row per incident
  std::string html;        ///< trend --html FILE: also write the trend as a page ("" = none)
  std::string trainee;     ///< trainee's NAME: one person's drills
};

/// What `gameday history` was asked to do.
struct HistoryCommands {
  CLI::App* history = nullptr;
  CLI::App* show = nullptr;
  CLI::App* trend = nullptr;
  CLI::App* export_csv = nullptr;
  CLI::App* trainee = nullptr;
};

/// Registers `history` and its subcommands on `app`, filling `options` when parsed.
HistoryCommands add_history_command(CLI::App& app, HistoryOptions& options);

/// Runs `gameday history` (whichever subcommand was parsed): 0 on success (also for a history
/// with no runs), 2 for a bad filter, an unknown run id, or a file that is not a readable
/// history (the message names the file).
int cmd_history(const HistoryCommands& commands, const HistoryOptions& options);

}  // namespace gameday
