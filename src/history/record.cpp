// What a run appends (from its Score), the --since grammar and the CSV export.
#include <cstdio>
#include <ctime>
#include <regex>
#include <set>

#include "history/store.hpp"
#include "ci/record.hpp"

namespace gameday {
namespace {

HistoryIncident history_incident(const Incident& x) {
  HistoryIncident h;
  h.id = x.id;
  h.faults = x.faults;
  h.relapse_of = x.relapse_of;
  h.ttd_s = x.ttd_s;
  h.tta_s = x.tta_s;
  h.ttm_s = x.ttm_s;
  h.ttr_s = x.ttr_s;
  h.detected_by = x.detected_by;
  h.mitigated_by = x.mitigated_by;
  h.harmed = x.harmed;
  h.failed = x.failed;
  h.slow = x.slow;
  h.unsafe = x.unsafe;
  h.patients_affected = x.patients_affected;
  return h;
}

std::string format_utc(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// "2026-12-05T15:14:16Z" -> seconds since the epoch (recorded_at's own format only).
std::optional<std::time_t> parse_utc(const std::string& s) {
  std::tm tm{};
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec) != 6) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return timegm(&tm);
}

// A calendar date and time that exists (timegm normalizes 2026-02-31 into March: reject it).
bool valid_calendar(int y, int mo, int d, int h, int mi, int s) {
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  const std::time_t t = timegm(&tm);
  std::tm back{};
  gmtime_r(&t, &back);
  return back.tm_year == y - 1900 && back.tm_mon == mo - 1 && back.tm_mday == d && back.tm_hour == h &&
         back.tm_min == mi && back.tm_sec == s;
}

std::string opt_csv(const std::optional<double>& v) {
  if (!v) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", *v);
  return buf;
}

std::string num_csv(double v) { return opt_csv(v); }

std::string csv_line(const std::vector<std::string>& fields) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) out += ',';
    out += csv_field(fields[i]);
  }
  return out + "\r\n";
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ";") + s;
  return out;
}

}  // namespace

HistoryRun history_run_from(const Score& score) {
  HistoryRun r;
  r.scenario = score.run.scenario;
  r.seed = score.run.seed;
  r.pass = score.pass;
  r.interrupted = score.cut_short();
  r.playbooks_enabled = score.run.playbooks_enabled;
  r.duration_s = to_seconds(score.end);
  const Metrics& m = score.metrics;
  r.ttd_s = m.ttd_s;
  r.tta_s = m.tta_s;
  r.ttm_s = m.ttm_s;
  r.ttr_s = m.ttr_s;
  r.requests = m.requests;
  r.failed = m.failed;
  r.unsafe = m.unsafe;
  r.failed_ratio = m.failed_ratio;
  r.unsafe_ratio = m.unsafe_ratio;
  r.false_alerts = score.false_alerts;
  // The same words as CI's failures: "ttm <= 10m (actual 31m05s)".
  r.failures = make_run_record(score).failures;
  for (const auto& x : score.incidents) r.incidents.push_back(history_incident(x));
  if (const auto& t = score.trainee) {
    HistoryTrainee h;
    h.name = t->name;
    h.points = t->points;
    h.suspected = t->suspected;
    h.cause_right = t->cause_right;
    h.helped = t->helped;
    h.no_effect = t->no_effect;
    h.harmed = t->harmed;
    h.hints = t->hints;
    h.unsafe = t->unsafe;
    if (!t->incidents.empty()) {
      const auto& i = t->incidents.front();
      h.tta_s = i.tta_s;
      h.first_useful_s = i.first_useful_s;
      h.ttm_s = i.ttm_s;
      h.ttr_s = i.ttr_s;
    }
    r.trainee = std::move(h);
  }
  return r;
}

std::vector<std::string> participants_of(const Score& score) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto add = [&](const std::string& who) {
    if (!who.empty() && seen.insert(who).second) out.push_back(who);
  };
  for (const auto& a : score.acks) add(a.who);
  for (const auto& c : score.changes) {
    if (c.by != "scenario" && c.by.rfind("deploy:", 0) != 0) add(c.by);
  }
  return out;
}

std::string utc_now() { return format_utc(std::time(nullptr)); }

std::optional<std::string> parse_since(const std::string& text, const std::string& now, std::string& error) {
  static const std::regex age(R"(([0-9]{1,6})([mhdw]))");
  static const std::regex when(R"(([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?Z?)?)");
  std::smatch m;
  if (std::regex_match(text, m, age)) {
    const auto base = parse_utc(now);
    if (!base) {
      error = "cannot read the current time '" + now + "'";
      return std::nullopt;
    }
    const long n = std::stol(m[1].str());
    const long unit = m[2] == "m" ? 60 : m[2] == "h" ? 3600 : m[2] == "d" ? 86400 : 7 * 86400;
    return format_utc(*base - static_cast<std::time_t>(n * unit));
  }
  if (std::regex_match(text, m, when)) {
    auto num = [&](int i) { return m[i].matched ? std::stoi(m[i].str()) : 0; };
    if (!valid_calendar(num(1), num(2), num(3), num(4), num(5), num(6))) {
      error = "'" + text + "' is not a date that exists";
      return std::nullopt;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", num(1), num(2), num(3), num(4), num(5), num(6));
    return std::string(buf);
  }
  error = "'" + text + "' is neither a UTC date (2026-12-01, 2026-12-01T08:00) nor an age (90m, 36h, 7d, 2w)";
  return std::nullopt;
}

std::string csv_field(const std::string& value) {
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string out = "\"";
  for (const char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string history_csv(const std::vector<HistoryRun>& runs) {
  std::string out = csv_line({"id", "recorded_at", "scenario", "seed", "mode", "version", "git_commit", "verdict",
                              "interrupted", "duration_s", "ttd_s", "tta_s", "ttm_s", "ttr_s", "requests",
                              "failed", "unsafe", "failed_ratio", "unsafe_ratio", "incidents", "false_alerts",
                              "participants", "failures", "scenario_file", "reports"});
  for (const auto& r : runs) {
    out += csv_line({std::to_string(r.id), r.recorded_at, r.scenario, std::to_string(r.seed), r.mode, r.version,
                     r.git_commit, r.pass ? "pass" : "fail", r.interrupted ? "1" : "0", num_csv(r.duration_s),
                     opt_csv(r.ttd_s), opt_csv(r.tta_s), opt_csv(r.ttm_s), opt_csv(r.ttr_s),
                     std::to_string(r.requests), std::to_string(r.failed), std::to_string(r.unsafe),
                     num_csv(r.failed_ratio), num_csv(r.unsafe_ratio), std::to_string(r.incidents.size()),
                     std::to_string(r.false_alerts), joined(r.participants), joined(r.failures),
                     r.scenario_file, r.reports});
  }
  return out;
}

std::string history_incidents_csv(const std::vector<HistoryRun>& runs) {
  std::string out = csv_line({"run_id", "recorded_at", "scenario", "seed", "mode", "incident", "faults",
                              "relapse_of", "ttd_s", "tta_s", "ttm_s", "ttr_s", "detected_by", "mitigated_by",
                              "harmed", "failed", "slow", "unsafe", "patients_affected"});
  for (const auto& r : runs) {
    for (const auto& x : r.incidents) {
      out += csv_line({std::to_string(r.id), r.recorded_at, r.scenario, std::to_string(r.seed), r.mode, x.id,
                       joined(x.faults), x.relapse_of.value_or(""), opt_csv(x.ttd_s), opt_csv(x.tta_s),
                       opt_csv(x.ttm_s), opt_csv(x.ttr_s), x.detected_by, x.mitigated_by,
                       std::to_string(x.harmed), std::to_string(x.failed), std::to_string(x.slow),
                       std::to_string(x.unsafe), std::to_string(x.patients_affected)});
    }
  }
  return out;
}

}  // namespace gameday
