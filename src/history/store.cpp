// The history file: schema, appends and queries over the SQLite C API.
#include "history/store.hpp"

#include <sqlite3.h>

#include <filesystem>
#include <utility>

namespace gameday {
namespace {

// Tables: meta (schema_version), runs, incidents (per run), participants (per run).
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  recorded_at TEXT NOT NULL,
  scenario TEXT NOT NULL,
  scenario_file TEXT,
  seed INTEGER NOT NULL,
  mode TEXT NOT NULL,
  version TEXT NOT NULL,
  git_commit TEXT,
  verdict TEXT NOT NULL CHECK (verdict IN ('pass', 'fail')),
  interrupted INTEGER NOT NULL,
  playbooks_enabled INTEGER NOT NULL,
  duration_s REAL NOT NULL,
  ttd_s REAL, tta_s REAL, ttm_s REAL, ttr_s REAL,
  requests INTEGER NOT NULL,
  failed INTEGER NOT NULL,
  unsafe INTEGER NOT NULL,
  failed_ratio REAL NOT NULL,
  unsafe_ratio REAL NOT NULL,
  false_alerts INTEGER NOT NULL,
  failures TEXT NOT NULL,
  reports TEXT
);
CREATE INDEX IF NOT EXISTS runs_scenario ON runs (scenario, recorded_at);
CREATE TABLE IF NOT EXISTS incidents (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  incident TEXT NOT NULL,
  faults TEXT NOT NULL,
  relapse_of TEXT,
  ttd_s REAL, tta_s REAL, ttm_s REAL, ttr_s REAL,
  detected_by TEXT,
  mitigated_by TEXT,
  harmed INTEGER NOT NULL,
  failed INTEGER NOT NULL,
  slow INTEGER NOT NULL,
  unsafe INTEGER NOT NULL,
  patients_affected INTEGER NOT NULL,
  PRIMARY KEY (run_id, idx)
);
CREATE TABLE IF NOT EXISTS participants (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  who TEXT NOT NULL,
  PRIMARY KEY (run_id, idx)
);
)sql";

// Version 2: a drill room's trainee per run (a version-1 file gets it on first open).
constexpr const char* kTrainees = R"sql(
CREATE TABLE IF NOT EXISTS trainees (
  run_id INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  points INTEGER NOT NULL,
  suspected TEXT,
  cause_right INTEGER NOT NULL,
  helped INTEGER NOT NULL,
  no_effect INTEGER NOT NULL,
  harmed INTEGER NOT NULL,
  hints INTEGER NOT NULL,
  unsafe INTEGER NOT NULL,
  tta_s REAL, first_useful_s REAL, ttm_s REAL, ttr_s REAL
);
CREATE INDEX IF NOT EXISTS trainees_name ON trainees (name);
)sql";

// Lists stored in one text column ("faults", "failures"): a unit separator never typed.
constexpr char kListSep = '\x1f';

std::string join(const std::vector<std::string>& items, char sep) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t at = text.find(sep, start);
    out.push_back(text.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) return out;
    start = at + 1;
  }
}

/// A prepared statement, finalized on scope exit; binds by 1-based position in call order.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) stmt_ = nullptr;
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  bool ok() const { return stmt_ != nullptr; }

  Statement& text(const std::string& v) {
    sqlite3_bind_text(stmt_, ++bound_, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& text_or_null(const std::string& v) { return v.empty() ? null() : text(v); }
  Statement& integer(std::int64_t v) {
    sqlite3_bind_int64(stmt_, ++bound_, v);
    return *this;
  }
  Statement& real(double v) {
    sqlite3_bind_double(stmt_, ++bound_, v);
    return *this;
  }
  Statement& real(const std::optional<double>& v) { return v ? real(*v) : null(); }
  Statement& null() {
    sqlite3_bind_null(stmt_, ++bound_);
    return *this;
  }
  /// SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(stmt_); }

  std::string col_text(int i) const {
    const auto* p = sqlite3_column_text(stmt_, i);
    return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(stmt_, i)) : std::string();
  }
  std::int64_t col_int(int i) const { return sqlite3_column_int64(stmt_, i); }
  double col_real(int i) const { return sqlite3_column_double(stmt_, i); }
  std::optional<double> col_opt(int i) const {
    if (sqlite3_column_type(stmt_, i) == SQLITE_NULL) return std::nullopt;
    return sqlite3_column_double(stmt_, i);
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int bound_ = 0;
};

constexpr const char* kRunColumns =
    "id, recorded_at, scenario, scenario_file, seed, mode, version, git_commit, verdict, "
    "interrupted, playbooks_enabled, duration_s, ttd_s, tta_s, ttm_s, ttr_s, requests, failed, "
    "unsafe, failed_ratio, unsafe_ratio, false_alerts, failures, reports";

HistoryRun read_run(const Statement& st) {
  HistoryRun r;
  r.id = st.col_int(0);
  r.recorded_at = st.col_text(1);
  r.scenario = st.col_text(2);
  r.scenario_file = st.col_text(3);
  r.seed = static_cast<std::uint64_t>(st.col_int(4));
  r.mode = st.col_text(5);
  r.version = st.col_text(6);
  r.git_commit = st.col_text(7);
  r.pass = st.col_text(8) == "pass";
  r.interrupted = st.col_int(9) != 0;
  r.playbooks_enabled = st.col_int(10) != 0;
  r.duration_s = st.col_real(11);
  r.ttd_s = st.col_opt(12);
  r.tta_s = st.col_opt(13);
  r.ttm_s = st.col_opt(14);
  r.ttr_s = st.col_opt(15);
  r.requests = st.col_int(16);
  r.failed = st.col_int(17);
  r.unsafe = st.col_int(18);
  r.failed_ratio = st.col_real(19);
  r.unsafe_ratio = st.col_real(20);
  r.false_alerts = st.col_int(21);
  r.failures = split(st.col_text(22), kListSep);
  r.reports = st.col_text(23);
  return r;
}

}  // namespace

HistoryStore::HistoryStore(const std::string& path, int busy_timeout_ms) : path_(path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw HistoryError(path + ": is a directory, not a history file");
  }
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  const int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                                         SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    const std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw HistoryError(path + ": " + msg);
  }
  try {
    sqlite3_busy_timeout(db_, busy_timeout_ms);
    // WAL: readers never block the writer; one writer at a time, the others wait (busy timeout).
    set_wal(busy_timeout_ms);
    exec("PRAGMA synchronous=NORMAL");
    exec("PRAGMA foreign_keys=ON");
    create_or_check_schema();
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

HistoryStore::~HistoryStore() { sqlite3_close(db_); }

void HistoryStore::fail(const std::string& what) const {
  throw HistoryError(path_ + ": " + what + ": " + sqlite3_errmsg(db_));
}

void HistoryStore::set_wal(int busy_timeout_ms) {
  // Switching a new file to WAL can answer SQLITE_BUSY without waiting while another process
  // does the same (the busy handler does not cover it): retry for as long as the busy timeout.
  for (int waited = 0;; waited += 10) {
    const int rc = sqlite3_exec(db_, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return;
    // Not a database, not writable, ...: SQLite's message as it is.
    if ((rc & 0xff) != SQLITE_BUSY) throw HistoryError(path_ + ": " + sqlite3_errmsg(db_));
    if (waited >= busy_timeout_ms) fail("switching to WAL");
    sqlite3_sleep(10);
  }
}

void HistoryStore::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    throw HistoryError(path_ + ": " + msg);
  }
}

std::optional<std::string> HistoryStore::schema_version() {
  Statement get(db_, "SELECT value FROM meta WHERE key = 'schema_version'");
  // No meta table yet: a new (or empty) file.
  if (!get.ok()) return std::nullopt;
  const int rc = get.step();
  if (rc == SQLITE_ROW) return get.col_text(0);
  if (rc != SQLITE_DONE) fail("reading the schema version");
  return std::nullopt;
}

void HistoryStore::check_version(const std::string& found) const {
  if (found != std::to_string(kHistorySchemaVersion)) {
    throw HistoryError(path_ + ": schema version " + found + ", this gameday reads version " +
                       std::to_string(kHistorySchemaVersion));
  }
}

void HistoryStore::create_or_check_schema() {
  // An existing history needs no write lock to open: readers never wait for a sweep.
  if (const auto found = schema_version(); found && *found != "1") return check_version(*found);
  // BEGIN IMMEDIATE: two processes creating (or upgrading) a file at once take turns.
  exec("BEGIN IMMEDIATE");
  try {
    exec(kSchema);
    exec(kTrainees);
    if (const auto found = schema_version(); found && *found == "1") {
      // Version 1 lacked only the trainees table, created above.
      exec("UPDATE meta SET value = '" + std::to_string(kHistorySchemaVersion) + "' WHERE key = 'schema_version'");
    } else if (found) {
      check_version(*found);
    } else {
      Statement put(db_, "INSERT INTO meta (key, value) VALUES ('schema_version', ?)");
      put.text(std::to_string(kHistorySchemaVersion));
      if (put.step() != SQLITE_DONE) fail("writing the schema version");
    }
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

std::int64_t HistoryStore::append(const HistoryRun& run) {
  exec("BEGIN IMMEDIATE");
  try {
    Statement ins(db_, std::string("INSERT INTO runs (") + (kRunColumns + 4) +
                           ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!ins.ok()) fail("preparing the run");
    ins.text(run.recorded_at.empty() ? utc_now() : run.recorded_at)
        .text(run.scenario).text_or_null(run.scenario_file)
        .integer(static_cast<std::int64_t>(run.seed)).text(run.mode).text(run.version)
        .text_or_null(run.git_commit).text(run.pass ? "pass" : "fail")
        .integer(run.interrupted).integer(run.playbooks_enabled).real(run.duration_s)
        .real(run.ttd_s).real(run.tta_s).real(run.ttm_s).real(run.ttr_s)
        .integer(run.requests).integer(run.failed).integer(run.unsafe)
        .real(run.failed_ratio).real(run.unsafe_ratio).integer(run.false_alerts)
        .text(join(run.failures, kListSep)).text_or_null(run.reports);
    if (ins.step() != SQLITE_DONE) fail("appending the run");
    const std::int64_t id = sqlite3_last_insert_rowid(db_);
    for (std::size_t i = 0; i < run.incidents.size(); ++i) {
      const HistoryIncident& x = run.incidents[i];
      Statement inc(db_, "INSERT INTO incidents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
      inc.integer(id).integer(static_cast<std::int64_t>(i)).text(x.id).text(join(x.faults, kListSep))
          .text_or_null(x.relapse_of.value_or("")).real(x.ttd_s).real(x.tta_s).real(x.ttm_s).real(x.ttr_s)
          .text_or_null(x.detected_by).text_or_null(x.mitigated_by).integer(x.harmed).integer(x.failed)
          .integer(x.slow).integer(x.unsafe).integer(x.patients_affected);
      if (inc.step() != SQLITE_DONE) fail("appending an incident");
    }
    for (std::size_t i = 0; i < run.participants.size(); ++i) {
      Statement p(db_, "INSERT INTO participants VALUES (?,?,?)");
      p.integer(id).integer(static_cast<std::int64_t>(i)).text(run.participants[i]);
      if (p.step() != SQLITE_DONE) fail("appending a participant");
    }
    if (const auto& t = run.trainee) {
      Statement tr(db_, "INSERT INTO trainees VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
      tr.integer(id).text(t->name).integer(t->points).text_or_null(t->suspected).integer(t->cause_right ? 1 : 0)
          .integer(t->helped).integer(t->no_effect).integer(t->harmed).integer(t->hints).integer(t->unsafe)
          .real(t->tta_s).real(t->first_useful_s).real(t->ttm_s).real(t->ttr_s);
      if (tr.step() != SQLITE_DONE) fail("appending the trainee");
    }
    exec("COMMIT");
    return id;
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

void HistoryStore::load_details(HistoryRun& run) {
  Statement inc(db_, "SELECT incident, faults, relapse_of, ttd_s, tta_s, ttm_s, ttr_s, detected_by, "
                     "mitigated_by, harmed, failed, slow, unsafe, patients_affected FROM incidents "
                     "WHERE run_id = ? ORDER BY idx");
  if (!inc.ok()) fail("reading incidents");
  inc.integer(run.id);
  int rc;
  while ((rc = inc.step()) == SQLITE_ROW) {
    HistoryIncident x;
    x.id = inc.col_text(0);
    x.faults = split(inc.col_text(1), kListSep);
    if (const std::string r = inc.col_text(2); !r.empty()) x.relapse_of = r;
    x.ttd_s = inc.col_opt(3);
    x.tta_s = inc.col_opt(4);
    x.ttm_s = inc.col_opt(5);
    x.ttr_s = inc.col_opt(6);
    x.detected_by = inc.col_text(7);
    x.mitigated_by = inc.col_text(8);
    x.harmed = inc.col_int(9);
    x.failed = inc.col_int(10);
    x.slow = inc.col_int(11);
    x.unsafe = inc.col_int(12);
    x.patients_affected = inc.col_int(13);
    run.incidents.push_back(std::move(x));
  }
  if (rc != SQLITE_DONE) fail("reading incidents");
  Statement p(db_, "SELECT who FROM participants WHERE run_id = ? ORDER BY idx");
  if (!p.ok()) fail("reading participants");
  p.integer(run.id);
  while ((rc = p.step()) == SQLITE_ROW) run.participants.push_back(p.col_text(0));
  if (rc != SQLITE_DONE) fail("reading participants");
  Statement tr(db_, "SELECT name, points, suspected, cause_right, helped, no_effect, harmed, hints, unsafe, "
                    "tta_s, first_useful_s, ttm_s, ttr_s FROM trainees WHERE run_id = ?");
  if (!tr.ok()) fail("reading the trainee");
  tr.integer(run.id);
  rc = tr.step();
  if (rc == SQLITE_ROW) {
    HistoryTrainee t;
    t.name = tr.col_text(0);
    t.points = static_cast<int>(tr.col_int(1));
    t.suspected = tr.col_text(2);
    t.cause_right = tr.col_int(3) != 0;
    t.helped = tr.col_int(4);
    t.no_effect = tr.col_int(5);
    t.harmed = tr.col_int(6);
    t.hints = tr.col_int(7);
    t.unsafe = tr.col_int(8);
    t.tta_s = tr.col_opt(9);
    t.first_useful_s = tr.col_opt(10);
    t.ttm_s = tr.col_opt(11);
    t.ttr_s = tr.col_opt(12);
    run.trainee = std::move(t);
  } else if (rc != SQLITE_DONE) {
    fail("reading the trainee");
  }
}

std::vector<HistoryRun> HistoryStore::list(const HistoryFilter& f) {
  std::string where = " WHERE 1";
  if (!f.scenario.empty()) where += " AND scenario = ?";
  if (!f.mode.empty()) where += " AND mode = ?";
  if (!f.verdict.empty()) where += " AND verdict = ?";
  if (!f.since.empty()) where += " AND recorded_at >= ?";
  if (!f.trainee.empty()) where += " AND id IN (SELECT run_id FROM trainees WHERE name = ?)";
  // The newest `limit` runs, returned oldest first.
  std::string sql = std::string("SELECT ") + kRunColumns + " FROM runs" + where + " ORDER BY id DESC";
  if (f.limit) sql += " LIMIT " + std::to_string(*f.limit);
  Statement st(db_, "SELECT * FROM (" + sql + ") ORDER BY id");
  if (!st.ok()) fail("listing runs");
  if (!f.scenario.empty()) st.text(f.scenario);
  if (!f.mode.empty()) st.text(f.mode);
  if (!f.verdict.empty()) st.text(f.verdict);
  if (!f.since.empty()) st.text(f.since);
  if (!f.trainee.empty()) st.text(f.trainee);
  std::vector<HistoryRun> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) out.push_back(read_run(st));
  if (rc != SQLITE_DONE) fail("listing runs");
  for (auto& r : out) load_details(r);
  return out;
}

std::optional<HistoryRun> HistoryStore::show(std::int64_t id) {
  Statement st(db_, std::string("SELECT ") + kRunColumns + " FROM runs WHERE id = ?");
  if (!st.ok()) fail("reading a run");
  st.integer(id);
  const int rc = st.step();
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) fail("reading a run");
  HistoryRun run = read_run(st);
  load_details(run);
  return run;
}

}  // namespace gameday
