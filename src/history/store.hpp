#pragma once
// Run history: one SQLite file (WAL mode) that every `run`, `ci` run and `drill` appends to,
// and the queries behind `gameday history`. The history is a side file: nothing in it feeds a
// report, so its wall-clock timestamps never touch the simulated path. Each HistoryStore owns
// one connection; use one per thread. Concurrent writers (threads or processes) wait for each
// other up to the busy timeout, so no row is lost.
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "score/score.hpp"

struct sqlite3;

namespace gameday {

/// The schema this build writes and reads (meta.schema_version).
inline constexpr int kHistorySchemaVersion = 2;  ///< 2 added `trainees` (a version-1 file is upgraded)

/// The modes a run is recorded under.
inline constexpr const char* kHistoryModes[] = {"simulated", "ci", "drill"};

/// A history file that cannot be opened, read or written: what() names the file and gives
/// SQLite's own message ("reports/history.sqlite: file is not a database").
class HistoryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One incident of a recorded run (the scorer's Incident, reduced to what trends need).
struct HistoryIncident {
  std::string id;                   ///< the scorer's incident id
  std::vector<std::string> faults;  ///< fault ids, in start order
  std::optional<std::string> relapse_of;
  std::optional<double> ttd_s, tta_s, ttm_s, ttr_s;
  std::string detected_by;   ///< "" when undetected
  std::string mitigated_by;  ///< "" when never mitigated
  long harmed = 0;
  long failed = 0;
  long slow = 0;
  long unsafe = 0;
  long patients_affected = 0;
};

/// A drill room's trainee as a recorded drill keeps them (score/trainee.hpp's scorecard).
struct HistoryTrainee {
  std::string name;
  int points = 0;
  std::string suspected;  ///< "" when none
  bool cause_right = false;
  long helped = 0, no_effect = 0, harmed = 0, hints = 0, unsafe = 0;
  /// The first incident's: acknowledgement after detection, first useful action, mitigation
  /// and recovery after first harm.
  std::optional<double> tta_s, first_useful_s, ttm_s, ttr_s;
};

/// One recorded run.
struct HistoryRun {
  std::int64_t id = 0;       ///< assigned by append (0 before)
  std::string recorded_at;   ///< UTC wall clock, "2026-12-05T15:14:16Z" (set by append when empty)
  std::string scenario;      ///< scenario name
  std::string scenario_file; ///< path as given ("" for the embedded default)
  std::uint64_t seed = 0;
  std::string mode;          ///< simulated | ci | drill
  std::string version;       ///< gameday version that ran it
  std::string git_commit;    ///< last commit of the scenario file ("" when unknown)
  bool pass = true;
  bool interrupted = false;
  bool playbooks_enabled = true;
  double duration_s = 0;
  std::optional<double> ttd_s, tta_s, ttm_s, ttr_s;  ///< the worst incident's
  long requests = 0;
  long failed = 0;
  long unsafe = 0;
  double failed_ratio = 0;
  double unsafe_ratio = 0;
  long false_alerts = 0;
  std::vector<std::string> failures;      ///< failing expectations, "text (actual X)"
  std::string reports;                    ///< directory of its reports ("" when none were written)
  std::vector<HistoryIncident> incidents; ///< by first harm
  std::vector<std::string> participants;  ///< drills: who acknowledged or changed something
  std::optional<HistoryTrainee> trainee;  ///< drill rooms: the trainee's scorecard
};

/// Which runs a query returns; every set field must match.
struct HistoryFilter {
  std::string scenario;  ///< "" = any
  std::string mode;      ///< "" = any
  std::string verdict;   ///< "pass" | "fail" | "" = any
  std::string since;     ///< recorded_at >= this UTC timestamp ("" = any)
  std::string trainee;   ///< drills whose trainee was this person ("" = any run)
  std::optional<long> limit;  ///< the newest N (still returned oldest first)
};

/// What a recorded run holds, from its score: scenario, seed, verdict, interrupted, the
/// worst incident's durations, request counts, false alerts, failing expectations and every
/// incident. mode, version, scenario_file, git_commit and reports are the caller's.
HistoryRun history_run_from(const Score& score);

/// The distinct people or actors of a run: each acknowledgement's `who`, then each control
/// change's `by` (the scenario's own changes, "scenario" and change faults' "deploy:...",
/// excluded), in first-seen order.
std::vector<std::string> participants_of(const Score& score);

/// The current UTC wall-clock time as "YYYY-MM-DDTHH:MM:SSZ".
std::string utc_now();

/// Parses a --since value into a UTC timestamp comparable with recorded_at: a date
/// ("2026-12-01"), a date and time ("2026-12-01T08:00", "...:00", "...Z"), or an age before
/// `now` ("90m", "36h", "7d", "2w"). nullopt (with `error` set) for anything else.
std::optional<std::string> parse_since(const std::string& text, const std::string& now, std::string& error);

/// An open history file.
class HistoryStore {
 public:
  /// Opens (creating it and its parent directory when missing) the history at `path`: WAL
  /// journal mode, a busy timeout of `busy_timeout_ms`, the schema created or checked. Throws
  /// HistoryError for a file that is not a database, one written by a newer schema, one that
  /// stays locked, or a path that cannot be a file (a directory).
  explicit HistoryStore(const std::string& path, int busy_timeout_ms = 10000);
  ~HistoryStore();
  HistoryStore(const HistoryStore&) = delete;
  HistoryStore& operator=(const HistoryStore&) = delete;

  /// Appends `run` with its incidents and participants in one transaction; returns its id.
  /// Throws HistoryError (nothing appended) when the write fails.
  std::int64_t append(const HistoryRun& run);

  /// The runs `filter` selects, oldest first (by id), with their incidents and participants.
  std::vector<HistoryRun> list(const HistoryFilter& filter);

  /// The run with `id`, nullopt when there is none.
  std::optional<HistoryRun> show(std::int64_t id);

  /// The file this store opened.
  const std::string& path() const { return path_; }

 private:
  void exec(const std::string& sql);
  void set_wal(int busy_timeout_ms);
  void create_or_check_schema();
  std::optional<std::string> schema_version();
  void check_version(const std::string& found) const;
  void load_details(HistoryRun& run);
  [[noreturn]] void fail(const std::string& what) const;

  std::string path_;
  sqlite3* db_ = nullptr;
};

/// The runs as CSV (RFC 4180: a header line, fields with a comma, quote or line break quoted,
/// quotes doubled, CRLF line ends): id, recorded_at, scenario, seed, mode, version, git_commit,
/// verdict, interrupted, duration_s, ttd_s, tta_s, ttm_s, ttr_s, requests, failed, unsafe,
/// failed_ratio, unsafe_ratio, incidents, false_alerts, participants (";"-joined), failures
/// (";"-joined), scenario_file, reports. Missing values are empty fields.
std::string history_csv(const std::vector<HistoryRun>& runs);

/// One row per incident as CSV (same quoting): run_id, recorded_at, scenario, seed, mode,
/// incident, faults (";"-joined), relapse_of, ttd_s, tta_s, ttm_s, ttr_s, detected_by,
/// mitigated_by, harmed, failed, slow, unsafe, patients_affected.
std::string history_incidents_csv(const std::vector<HistoryRun>& runs);

/// One CSV field, quoted when it holds a comma, quote, CR or LF.
std::string csv_field(const std::string& value);

}  // namespace gameday
