// report.md: for the people in the debrief. Every sentence is generated from the Score.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "ci/text.hpp"
#include "report/report.hpp"
#include "report/text.hpp"
#include "sim/json_text.hpp"
#include "spec/verdict.hpp"

namespace gameday {
namespace {

// Journal text (fault details, reasons, descriptions) may hold bytes that are not UTF-8 (a
// hand-edited file): each such byte becomes U+FFFD, so report.md is always valid UTF-8.
std::string valid_utf8(std::string s) {
  if (is_valid_utf8(s)) return s;
  std::string out;
  out.reserve(s.size() + 16);
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out.push_back(s[i++]);
    } else if (const std::size_t n = utf8_sequence_length(s, i); n > 0) {
      out.append(s, i, n);
      i += n;
    } else {
      out.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  return out;
}

namespace rt = report_text;

// Table cells: a '|' would split the cell and a newline would end the row.
std::string cell(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n' || c == '\r') out += ' ';
    else out += c;
  }
  return out;
}

std::string code(const std::string& s) { return "`" + s + "`"; }

struct Row {
  SimTime t;
  std::string text;
};

// How an incident was mitigated, in words.
std::string mitigation_words(const Incident& x) {
  if (x.mitigated_by == "fault_end") return "its faults ended; nobody acted";
  if (x.mitigated_by == "automatic") return "contained while its faults were active, with no change";
  return "by " + x.mitigated_by;
}

std::vector<Row> timeline_rows(const Score& s) {
  std::vector<Row> rows;
  for (const auto& f : s.faults) {
    std::string text = "Fault " + code(f.id) + " started: " + f.kind + " on " + f.target;
    if (!f.detail.empty()) text += " (" + f.detail + ")";
    rows.push_back({f.start, text});
    if (f.end) rows.push_back({*f.end, "Fault " + code(f.id) + " ended"});
  }
  const bool several = s.incidents.size() > 1;
  for (const auto& x : s.incidents) {
    const std::string who = several ? " (incident " + code(x.id) + ")" : "";
    rows.push_back({x.t_i, "**Impact**" + who + ": first failed, slow or unsafe answer to a user"});
  }
  for (const auto& a : s.alerts) {
    std::string text = "Alert **" + a.name + "** (" + a.severity + ") fired";
    if (!a.summary.empty()) text += ": " + a.summary;
    for (const auto& f : s.false_alert_list) {
      if (f.name == a.name && f.fired_at == a.fired_at) text += " (detected no incident: false alert)";
    }
    rows.push_back({a.fired_at, text});
    if (a.resolved_at) rows.push_back({*a.resolved_at, "Alert **" + a.name + "** resolved"});
  }
  for (const auto& a : s.acks) {
    std::string text = "Acknowledged by " + a.who;
    if (!a.alert.empty()) text += " (" + a.alert + ")";
    rows.push_back({a.at, text});
  }
  for (const auto& p : s.playbooks) {
    std::string text = "Playbook " + code(p.playbook) + " run " + std::to_string(p.run) + " started";
    if (!p.trigger.empty()) text += " (trigger " + p.trigger + ")";
    rows.push_back({p.started_at, text});
    for (const auto& st : p.steps) {
      std::string step = std::string(st.rollback ? "Rollback step " : "Step ") +
                         std::to_string(st.index) + " " + code(st.name) + " (" + st.kind + ")";
      if (st.ended_at) {
        step += ": " + st.outcome;
        if (*st.ended_at > st.started_at) step += " after " + format_duration(*st.ended_at - st.started_at);
        if (!st.reason.empty()) step += ", " + st.reason;
        rows.push_back({*st.ended_at, step});
      } else {
        rows.push_back({st.started_at, step + ": started, never finished"});
      }
    }
    if (p.ended_at) {
      std::string end = "Playbook " + code(p.playbook) + " run " + std::to_string(p.run) + " " + p.outcome;
      if (!p.reason.empty()) end += ": " + p.reason;
      rows.push_back({*p.ended_at, end});
    }
  }
  for (const auto& c : s.changes) {
    std::string what = c.what + (c.key.empty() ? "" : " " + code(c.key));
    rows.push_back({c.at, "Change: " + what + " " + (c.from.empty() ? "(unset)" : c.from) + " → " +
                              c.to + (c.by.empty() ? "" : " by " + c.by)});
  }
  for (const auto& g : s.golden) {
    rows.push_back({g.at, std::string(g.ok ? "✅" : "❌") + " Golden set " + code(g.set) + ": " +
                              std::to_string(g.passed) + "/" + std::to_string(g.total) +
                              " passed (needs " + rt::percent(g.min_pass_rate) + ")"});
  }
  for (const auto& x : s.incidents) {
    const std::string who = several ? " (incident " + code(x.id) + ")" : "";
    if (x.t_m) {
      rows.push_back({*x.t_m, "**Mitigated**" + who + ": its harm within the SLOs' allowance, no unsafe answer, for " +
                                  format_duration(s.run.sustain) + " (" + mitigation_words(x) + ")"});
    }
    if (x.t_r) {
      rows.push_back({*x.t_r, "**Recovered**" + who + ": its alert resolved, no harm for " +
                                  format_duration(s.run.sustain) + ", golden check green"});
    }
  }
  // Same-time rows keep the order above (fault, impact, alert, ack, playbook, change, golden,
  // mitigation, recovery), which reads as cause before effect.
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.t < b.t; });
  return rows;
}

std::string verdict_paragraph(const Score& s) {
  std::string out = std::string("**Verdict: ") + (s.pass ? "PASS" : "FAIL") + ".** ";
  if (!s.run.description.empty()) out += s.run.description + " ";
  out += "Seed " + std::to_string(s.run.seed) + ", " + (s.run.mode.empty() ? "simulated" : s.run.mode) +
         " run of " + format_duration(s.end) + ", playbooks " +
         (s.run.playbooks_enabled ? "enabled" : "disabled") + ". ";
  long failed = 0;
  for (const auto& e : s.expectations) failed += e.pass ? 0 : 1;
  const long total = static_cast<long>(s.expectations.size());
  if (total == 0) {
    out += "The scenario states no expectations.";
  } else if (failed == 0) {
    out += total == 1 ? "Its one expectation held." : "All " + std::to_string(total) + " expectations held.";
  } else {
    out += std::to_string(failed) + " of " + std::to_string(total) + " expectations failed: ";
    bool first = true;
    for (const auto& e : s.expectations) {
      if (e.pass) continue;
      out += (first ? "" : "; ") + code(e.text) + " (actual " + rt::actual(e) + ")";
      first = false;
    }
    out += ".";
  }
  return out;
}

std::string what_happened(const Score& s) {
  const Timeline& tl = s.timeline;
  const Metrics& m = s.metrics;
  std::vector<std::string> parts;
  if (s.faults.empty()) {
    parts.push_back("No fault was injected.");
  } else {
    const auto& f = s.faults.front();
    std::string p = "The first fault, " + code(f.id) + " (" + f.kind + " on " + f.target +
                    "), began at " + format_offset(f.start);
    if (s.faults.size() > 1) p += "; " + std::to_string(s.faults.size()) + " faults were injected in all";
    parts.push_back(p + ".");
  }
  if (tl.t_i) {
    parts.push_back("Users were first affected at " + format_offset(*tl.t_i) + ".");
  } else {
    parts.push_back("No user request was affected.");
  }
  if (tl.t_d) {
    std::string name;
    for (const auto& a : s.alerts) {
      if (a.fired_at == *tl.t_d) {
        name = a.name;
        break;
      }
    }
    std::string p = "The first alert, " + name + ", fired at " + format_offset(*tl.t_d);
    if (m.ttd_s) p += ", " + rt::seconds(m.ttd_s) + " after impact";
    p += ".";
    if (tl.t_a) {
      p += " It was acknowledged " + rt::seconds(m.tta_s) + " later.";
    } else {
      p += " Nobody acknowledged it.";
    }
    parts.push_back(p);
  } else {
    parts.push_back(tl.t_i ? "No alert fired: the impact went undetected."
                           : "No alert fired.");
  }
  if (s.false_alerts > 0) {
    parts.push_back(rt::count(s.false_alerts, "alert", "alerts") + " fired before any fault (" +
                    (s.false_alerts == 1 ? "a false alarm" : "false alarms") + ").");
  }
  if (s.playbooks.empty()) {
    parts.push_back(s.run.playbooks_enabled ? "No playbook ran." : "Playbooks were disabled.");
  } else {
    long steps = 0, failed_steps = 0;
    std::string list;
    for (std::size_t i = 0; i < s.playbooks.size(); ++i) {
      const auto& p = s.playbooks[i];
      for (const auto& st : p.steps) {
        ++steps;
        if (st.ended_at && st.outcome != "ok" && st.outcome != "skipped") ++failed_steps;
      }
      if (i < 3) {
        list += (i ? ", " : "") + code(p.playbook) + " " + (p.ended_at ? p.outcome : "still running");
      }
    }
    if (s.playbooks.size() > 3) list += ", …";
    std::string p = rt::count(static_cast<long>(s.playbooks.size()), "playbook run", "playbook runs") +
                    " (" + list + ") took " + rt::count(steps, "step", "steps");
    if (failed_steps > 0) p += ", " + std::to_string(failed_steps) + " of which did not succeed";
    parts.push_back(p + ".");
  }
  if (!s.changes.empty()) {
    std::string p = rt::count(static_cast<long>(s.changes.size()), "change was", "changes were") +
                    " made to the assistant";
    const auto& c = s.changes.front();
    p += " (first: " + c.what + (c.key.empty() ? "" : " " + code(c.key)) + " to " + c.to + " at " +
         format_offset(c.at) + ").";
    parts.push_back(p);
  }
  if (tl.t_m) {
    parts.push_back("Service was back within its SLOs, with no unsafe answers, from " +
                    format_offset(*tl.t_m) + " (" + rt::seconds(m.ttm_s) + " after impact).");
    if (tl.t_r) {
      parts.push_back("It was fully recovered at " + format_offset(*tl.t_r) + " (" +
                      rt::seconds(m.ttr_s) + " after impact).");
    } else {
      parts.push_back("Full recovery (alerts clear, playbooks done, golden set green) was not "
                      "reached before the run ended.");
    }
  } else if (tl.t_i) {
    parts.push_back("Service did not stay within its SLOs for " + format_duration(s.run.sustain) +
                    " before the run ended.");
  }
  std::string totals = "Of " + rt::count(m.requests, "user request", "user requests") + ", " +
                       std::to_string(m.failed) + " failed, " + std::to_string(m.slow) +
                       (m.slow == 1 ? " was" : " were") + " slow and " +
                       std::to_string(m.unsafe) + " unsafe " +
                       (m.unsafe == 1 ? "answer" : "answers") + " reached users";
  if (!m.unsafe_by_kind.empty()) {
    totals += " (";
    bool first = true;
    for (const auto& [kind, n] : m.unsafe_by_kind) {
      totals += (first ? "" : ", ") + kind + ": " + std::to_string(n);
      first = false;
    }
    totals += ")";
  }
  parts.push_back(totals + ".");
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : " ") + p;
  return out;
}

// ---------------------------------------------------------------- detectors vs truth

// Why answers can cite valid documents and still be wrong, by the dominant unsafe kind.
std::string why_citations_miss(const std::string& kind) {
  const auto k = parse_name<UnsafeKind>(kind);
  if (!k) return "a citation check cannot tell a faithful citation of the wrong record from a right answer.";
  switch (*k) {
    case UnsafeKind::kWrongPatient:
      return "retrieval returned another patient's records, and the answers cited them faithfully.";
    case UnsafeKind::kStale:
      return "retrieval returned a superseded policy, and the answers cited it faithfully.";
    case UnsafeKind::kHallucination:
      return "the model added facts its sources did not support, next to citations that were real.";
    case UnsafeKind::kInjectionFollowed:
      return "answers obeyed instructions planted in the records and cited the very notes that "
             "carried them.";
    case UnsafeKind::kUnofferedToolCall:
      return "answers were calls of tools the assistant never offered, which carry no citations.";
    case UnsafeKind::kIncorrect:
      return "the cited documents were real but did not hold the right facts (stale, irrelevant or "
             "incomplete records).";
    case UnsafeKind::kPhiLeak:
      return "answers repeated identifiers from their sources, which citations cannot show.";
    case UnsafeKind::kInvalidSchema:
      return "outputs broke their schema while citing valid documents.";
  }
  return "";
}

std::string kinds_list(const std::map<std::string, long>& by_kind) {
  std::string out;
  for (const auto& [kind, n] : by_kind) out += (out.empty() ? "" : ", ") + kind + ": " + std::to_string(n);
  return out;
}

std::string dominant_kind(const std::map<std::string, long>& by_kind) {
  std::string best;
  long n_best = 0;
  for (const auto& [kind, n] : by_kind) {
    if (n > n_best) {
      best = kind;
      n_best = n;
    }
  }
  return best;
}

std::string cause_words(const std::string& cause) {
  if (cause == "prompt_config") return "the prompt or configuration";
  if (cause == "model") return "the model";
  if (cause == "ehr_dependency") return "the EHR dependency";
  if (cause == "unattributed") return "no recorded cause";
  if (cause == "no_trace_context") return "no trace context";
  return cause;
}

std::string signal_table(const Score& s) {
  const Metrics& m = s.metrics;
  const DetectorView& dv = m.detectors;
  const auto pct = [](const std::optional<double>& v) { return v ? rt::percent(*v) : std::string("n/a"); };
  std::string out = "| Signal | Detectors saw | The truth says |\n|---|---|---|\n";
  out += "| Answers | citation validity " + pct(dv.citation_validity) + ", schema validity " +
         pct(dv.schema_validity) + " | " + pct(m.correctness.correct_ratio) + " of " +
         rt::count(m.correctness.served, "served answer", "served answers") + " correct |\n";
  std::string unsafe = std::to_string(m.unsafe) + " unsafe";
  if (!m.unsafe_by_kind.empty()) unsafe += " (" + kinds_list(m.unsafe_by_kind) + ")";
  out += "| Unsafe answers | " + std::to_string(dv.unsafe_flagged) + " flagged by output checks | " +
         unsafe + " |\n";
  std::string attack = std::to_string(m.attack.attempted) + " attempted";
  if (m.attack.attempted > 0) {
    attack += ", " + std::to_string(m.attack.succeeded) + " succeeded (" + pct(m.attack.success_rate) +
              "); " + pct(m.attack.utility_under_attack) + " still answered correctly";
  }
  out += "| Prompt injection | " + rt::count(dv.canary_outputs, "output", "outputs") +
         " with a canary token | " + attack + " |\n";
  out += "| PHI | " + rt::count(dv.phi_pattern_outputs, "output", "outputs") +
         " matched a PHI pattern | requests with identifiers sent to the vendor: " +
         std::to_string(m.phi.to_vendor) + ", kept in logs: " + std::to_string(m.phi.in_logs) +
         "; answers showing PHI to users: " + std::to_string(m.phi.leaked_to_users) + " |\n";
  out += "| Refusals | " + std::to_string(dv.refusals) + " (" + pct(dv.refusal_ratio) + " of requests) | - |\n";
  std::string corrections = rt::count(dv.corrections, "report", "reports");
  if (dv.first_correction) corrections += ", first at " + format_offset(*dv.first_correction);
  out += "| Clinician corrections | " + corrections + " | - |\n";
  std::string probes = dv.probe_runs == 0 ? std::string("none ran")
                                           : std::to_string(dv.probe_failures) + " of " +
                                                 rt::count(dv.probe_runs, "run", "runs") + " failed";
  if (dv.first_probe_failure) probes += ", first at " + format_offset(*dv.first_probe_failure);
  out += "| Golden probes | " + probes + " | - |\n";
  return out;
}

std::string detectors_vs_truth_words(const Score& s) {
  const Metrics& m = s.metrics;
  const DetectorView& dv = m.detectors;
  std::vector<std::string> parts;
  const auto& cv = dv.citation_validity;
  const auto& cr = m.correctness.correct_ratio;
  if (cv && cr && *cv >= 0.9 && *cv - *cr >= 0.2) {
    parts.push_back("Citation validity stayed at " + rt::percent(*cv) + " while only " +
                    rt::percent(*cr) + " of answers were correct: " +
                    why_citations_miss(dominant_kind(m.unsafe_by_kind)));
  } else if (cr && m.unsafe > 0) {
    parts.push_back(rt::percent(*cr) + " of served answers were correct; citation validity was " +
                    (cv ? rt::percent(*cv) : std::string("n/a")) + ".");
  }
  if (m.unsafe == 0) {
    parts.push_back("The truth marks no answer unsafe.");
  } else if (dv.unsafe_flagged == 0) {
    parts.push_back("No output check (citations, schema, canary, PHI pattern) flagged any of the " +
                    rt::count(m.unsafe, "unsafe answer", "unsafe answers") +
                    ": from outside they looked fine.");
  } else {
    parts.push_back("Output checks (citations, schema, canary, PHI pattern) flagged " +
                    std::to_string(dv.unsafe_flagged) + " of the " +
                    rt::count(m.unsafe, "unsafe answer", "unsafe answers") + " (" +
                    rt::percent(static_cast<double>(dv.unsafe_flagged) / static_cast<double>(m.unsafe)) +
                    ")" + (dv.unsafe_flagged < m.unsafe ? "; the rest looked fine from outside." : "."));
  }
  if (m.attack.attempted > 0) {
    std::string p = rt::count(m.attack.attempted, "request", "requests") +
                    " carried an injected instruction; " + std::to_string(m.attack.succeeded) +
                    (m.attack.succeeded == 1 ? " answer" : " answers") + " obeyed it (attack success rate " +
                    rt::percent(m.attack.success_rate.value_or(0)) + "), and " +
                    rt::percent(m.attack.utility_under_attack.value_or(0)) +
                    " of attacked requests were still answered correctly. The canary detector saw " +
                    rt::count(dv.canary_outputs, "output", "outputs") + " with a canary token";
    p += dv.canary_outputs < m.attack.succeeded
             ? ": an injection that acts without echoing its canary leaves no trace in the output."
             : ".";
    parts.push_back(p);
  }
  if (m.phi.to_vendor > 0 || m.phi.in_logs > 0) {
    parts.push_back("Unredacted identifiers reached the model vendor in " +
                    rt::count(m.phi.to_vendor, "request", "requests") +
                    " and would sit in the assistant's logs for " + std::to_string(m.phi.in_logs) +
                    "; no output check can see either.");
  }
  if (m.phi.leaked_to_users > 0 || dv.phi_pattern_outputs > 0) {
    parts.push_back(rt::count(m.phi.leaked_to_users, "answer", "answers") +
                    " showed PHI to users; the PHI pattern detector matched " +
                    rt::count(dv.phi_pattern_outputs, "output", "outputs") + ".");
  }
  if (dv.corrections > 0) {
    std::string p = "Clinicians reported " + rt::count(dv.corrections, "answer", "answers") +
                    " as wrong; the first report arrived at " + format_offset(*dv.first_correction);
    if (s.timeline.t_i && *dv.first_correction >= *s.timeline.t_i) {
      p += ", " + format_duration(*dv.first_correction - *s.timeline.t_i) + " after impact";
    }
    parts.push_back(p + ".");
  } else if (m.unsafe > 0) {
    parts.push_back("No clinician reported a wrong answer before the run ended.");
  }
  if (dv.probe_runs > 0) {
    std::string p = "Scheduled golden probes ran " + rt::count(dv.probe_runs, "time", "times");
    if (dv.probe_failures == 0) {
      p += " and all passed.";
    } else {
      p += "; " + std::to_string(dv.probe_failures) + " failed, the first at " +
           format_offset(*dv.first_probe_failure) + ".";
    }
    parts.push_back(p);
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : " ") + p;
  return out;
}

constexpr std::size_t kPatientsShown = 10;

std::string patient_table(const std::vector<PatientExposure>& patients) {
  std::string out = "| Patient (pseudonym) | Unsafe answers |\n|---|---|\n";
  for (std::size_t i = 0; i < patients.size() && i < kPatientsShown; ++i) {
    out += "| " + code(patients[i].patient_ref) + " | " + std::to_string(patients[i].count) + " |\n";
  }
  if (patients.size() > kPatientsShown) {
    out += "\n…and " + rt::count(static_cast<long>(patients.size() - kPatientsShown), "more patient",
                                 "more patients") + " (see report.json).\n";
  }
  return out;
}

// Why the judge called answers unsafe (the journal's `judge` reasons), the most frequent first.
std::string reasons_table(const Metrics& m) {
  constexpr std::size_t kRows = 8;
  const std::vector<UnsafeReason> reasons = unsafe_reasons(m);
  if (reasons.empty()) return "";
  std::string out = "Why the judge called them unsafe (each answer's `judge` reason in journal.jsonl):\n\n"
                    "| Kind | Reason | Answers |\n|---|---|---|\n";
  for (std::size_t i = 0; i < reasons.size() && i < kRows; ++i) {
    const UnsafeReason& r = reasons[i];
    out += "| " + r.kind + " | " + cell(r.reason.empty() ? "(not recorded)" : r.reason) + " | " +
           std::to_string(r.count) + " |\n";
  }
  if (reasons.size() > kRows) {
    out += "\n" + std::to_string(reasons.size() - kRows) + " more reasons are in report.json (`unsafe_reasons`).\n";
  }
  return out + "\n";
}

std::string exposure_section(const Score& s) {
  const Exposure& x = s.metrics.exposure;
  std::string out = "### Unsafe exposure\n\n";
  if (!x.from) return out + "No incident harmed a user, so there was no exposure.\n\n";
  const std::string window = "Over " + rt::count(static_cast<long>(s.incidents.size()), "incident", "incidents") +
                             ", from the first impact at " + format_offset(*x.from) +
                             (x.mitigated ? "" : " (not every incident was mitigated)");
  if (x.total == 0) return out + window + ", no unsafe answer was served.\n\n";
  out += window + ", " + rt::count(x.total, "unsafe answer", "unsafe answers") + " reached " +
         rt::count(x.patients_affected, "patient", "patients") + " (" + kinds_list(x.by_kind) +
         "). Patients are listed by pseudonym only.\n\n";
  return out + patient_table(x.per_patient) + "\n" + reasons_table(s.metrics);
}

std::string time_cell(const std::optional<SimTime>& t) { return t ? format_offset(*t) : "never"; }

std::string incident_section(const Incident& x, const Score& s) {
  std::string out = "### Incident " + code(x.id) + "\n\n";
  std::string faults;
  for (const auto& f : x.faults) faults += (faults.empty() ? "" : ", ") + code(f);
  out += "Faults: " + faults + ".";
  if (x.relapse_of) out += " A relapse of " + code(*x.relapse_of) + ": its harm came back after mitigation.";
  out += "\n\n| | Time | Since impact |\n|---|---|---|\n";
  out += "| Fault start | " + time_cell(x.t_f) + " | |\n";
  out += "| Impact | " + format_offset(x.t_i) + " | |\n";
  out += "| Detected" + std::string(x.detected_by.empty() ? "" : " by **" + x.detected_by + "**") + " | " +
         time_cell(x.t_d) + " | " + rt::seconds(x.ttd_s) + " |\n";
  out += "| Acknowledged | " + time_cell(x.t_a) + " | " +
         (x.tta_s ? rt::seconds(x.tta_s) + " after detection" : std::string("n/a")) + " |\n";
  out += "| Mitigated | " + time_cell(x.t_m) + " | " + rt::seconds(x.ttm_s) + " |\n";
  out += "| Recovered | " + time_cell(x.t_r) + " | " + rt::seconds(x.ttr_s) + " |\n\n";
  if (x.t_m) out += "Mitigated " + mitigation_words(x) + ". ";
  out += "It harmed " + rt::count(x.harmed, "request", "requests") + ": " + std::to_string(x.failed) +
         " failed, " + std::to_string(x.slow) + " slow, " + std::to_string(x.unsafe) + " unsafe";
  if (x.phi_to_vendor + x.phi_in_logs > 0) {
    out += ", PHI to the vendor in " + std::to_string(x.phi_to_vendor) + " and in logs in " +
           std::to_string(x.phi_in_logs);
  }
  out += ".";
  if (x.unsafe == 0) return out + "\n\n";
  out += " Its unsafe answers (" + kinds_list(x.unsafe_by_kind) + ") reached " +
         rt::count(x.patients_affected, "patient", "patients") + ", listed by pseudonym only:\n\n";
  (void)s;
  return out + patient_table(x.per_patient) + "\n";
}

std::string incidents_section(const Score& s) {
  std::string out = "## Incidents\n\n";
  if (s.incidents.empty()) {
    out += "No fault harmed a request: the run had no incident.\n\n";
  } else {
    out += rt::count(static_cast<long>(s.incidents.size()), "incident", "incidents") +
           ": harm attributed by cause to the faults in each request's spans.\n\n";
    for (const auto& x : s.incidents) out += incident_section(x, s);
  }
  const Background& b = s.background;
  out += "### Background\n\n";
  if (b.harmed == 0) {
    out += "No harm without a fault behind it.\n\n";
  } else {
    out += rt::count(b.harmed, "request was", "requests were") + " harmed with no fault behind it (" +
           std::to_string(b.failed) + " failed, " + std::to_string(b.slow) + " slow, " +
           std::to_string(b.unsafe) + " unsafe" + (b.by_kind.empty() ? "" : ": " + kinds_list(b.by_kind)) +
           "): the system's normal noise, never an incident.\n\n";
  }
  if (!s.false_alert_list.empty()) {
    out += "### False alerts\n\n";
    for (const auto& a : s.false_alert_list) {
      out += "- **" + a.name + "** at " + format_offset(a.fired_at) +
             (a.sli.empty() ? "" : " (" + a.sli + ")") + ": counted no incident's requests" +
             (a.summary.empty() ? "" : " — " + a.summary) + "\n";
    }
    out += "\n";
  }
  return out;
}

std::string root_cause_section(const Score& s) {
  const Metrics& m = s.metrics;
  std::string out = "### Root cause\n\n";
  if (m.bad == 0) return out + "No request failed or was unsafe.\n\n";
  std::vector<RootCauseShare> shares;
  for (const auto& c : m.root_cause) {
    if (c.count > 0) shares.push_back(c);
  }
  std::stable_sort(shares.begin(), shares.end(),
                   [](const RootCauseShare& a, const RootCauseShare& b) { return a.count > b.count; });
  out += "Of " + rt::count(m.bad, "bad request", "bad requests") + " (failed or unsafe), ";
  for (std::size_t i = 0; i < shares.size(); ++i) {
    if (i > 0) out += i + 1 == shares.size() ? " and " : ", ";
    const bool none = shares[i].cause == "unattributed" || shares[i].cause == "no_trace_context";
    out += rt::percent(shares[i].share) + (none ? " had " : " trace to ") + cause_words(shares[i].cause) + " (" +
           std::to_string(shares[i].count) + ")";
  }
  out += ".\n\n";
  for (const auto& c : shares) {
    if (c.cause != "no_trace_context") continue;
    out += "No trace context: root cause unavailable for " + rt::count(c.count, "answer", "answers") +
           ". None of their service's calls to the fake vendor or EHR carried the `traceparent` gameday "
           "sent with the request; a service that propagates W3C trace context (OpenTelemetry's HTTP "
           "instrumentation does by default) gets root causes (docs/observability.md).\n\n";
  }
  return out;
}

// A drill room's trainee: their incidents against the two references, then their actions.
std::string trainee_section(const TraineeScore& t) {
  std::string out = "## Trainee scorecard: " + t.name + "\n\n";
  out += "**" + std::to_string(t.points) + " points.** Suspected cause: " +
         (t.suspected.empty() ? std::string("none given") : code(t.suspected)) + "; the truth: " +
         (t.truth.empty() ? std::string("no incident") : code(join(t.truth, ", "))) +
         (t.truth.empty() ? "" : (t.cause_right ? " (right)" : " (wrong)")) + ". Changes: " +
         std::to_string(t.helped) + " helped, " + std::to_string(t.no_effect) + " did nothing, " +
         std::to_string(t.harmed) + " did harm" + (t.refused ? ", " + std::to_string(t.refused) + " refused" : "") +
         ". Hints: " + std::to_string(t.hints) + ". Unsafe answers while on call: " + std::to_string(t.unsafe) +
         ".\n\n";
  if (!t.incidents.empty()) {
    out += "| Incident | Truth | Acknowledged | First useful action | TTM | TTR | Unsafe | TTM with the playbooks | TTM with nobody acting |\n";
    out += "|---|---|---|---|---|---|---|---|---|\n";
    for (const auto& i : t.incidents) {
      const auto ref = [](const ReferenceFigures& r) {
        return r.present ? rt::seconds(r.ttm_s, "never") + " (" + std::to_string(r.unsafe) + " unsafe)"
                         : std::string("-");
      };
      out += "| " + code(i.id) + " | " + (i.truth.empty() ? "-" : i.truth) + " | " + rt::seconds(i.tta_s) + " | " +
             rt::seconds(i.first_useful_s) + " | " + rt::seconds(i.ttm_s, "never") + " | " +
             rt::seconds(i.ttr_s, "never") + " | " + std::to_string(i.unsafe) + " | " + ref(i.playbooks) + " | " +
             ref(i.nobody) + " |\n";
    }
    out += "\nTimes are from the incident's first harm, acknowledgement from its detection.\n\n";
  }
  if (!t.actions.empty()) {
    out += "| Time | Action | Verdict | Why |\n|---|---|---|---|\n";
    for (const auto& a : t.actions) {
      std::string what = a.action + (a.target.empty() ? "" : " " + a.target);
      if (!a.detail.empty()) what += a.action == "note" ? ": " + a.detail : " " + a.detail;
      out += "| " + format_offset(a.at) + " | " + cell(what) + " | " + (a.verdict.empty() ? "-" : a.verdict) + " | " +
             cell(a.why) + " |\n";
    }
    out += "\n";
  }
  return out;
}

}  // namespace

std::string report_markdown(const Score& s) {
  const Metrics& m = s.metrics;
  std::string out;
  out += "# Game day report: " + s.run.scenario + "\n\n";
  out += verdict_paragraph(s) + "\n\n";
  if (s.cut_short()) out += "**Cut short.** " + rt::cut_short(s) + "\n\n";

  out += "## Timeline\n\n";
  const auto rows = timeline_rows(s);
  if (rows.empty()) {
    out += "Nothing happened: no fault, impact, alert or action was recorded.\n\n";
  } else {
    out += "| Time | Event |\n|---|---|\n";
    for (const auto& r : rows) out += "| " + format_offset(r.t) + " | " + cell(r.text) + " |\n";
    out += "\n";
  }

  out += "## Metrics\n\n";
  if (s.incidents.size() > 1) out += "Times are the worst incident's (" + code(s.incidents[*s.worst].id) + ").\n\n";
  out += "| Metric | Value |\n|---|---|\n";
  out += "| Incidents | " + std::to_string(s.incidents.size()) + " |\n";
  out += "| TTD (impact → detecting alert) | " + rt::seconds(m.ttd_s) + " |\n";
  out += "| TTD from fault start | " + rt::seconds(m.ttd_from_fault_s) + " |\n";
  out += "| TTA (alert → acknowledged) | " + rt::seconds(m.tta_s) + " |\n";
  out += "| TTM (impact → mitigated) | " + rt::seconds(m.ttm_s) + " |\n";
  out += "| TTR (impact → recovered) | " + rt::seconds(m.ttr_s) + " |\n";
  out += "| User requests | " + std::to_string(m.requests) + " |\n";
  out += "| Failed | " + std::to_string(m.failed) + " (" + rt::percent(m.failed_ratio) + ") |\n";
  out += "| Slow | " + std::to_string(m.slow) + " |\n";
  out += "| Unsafe answers | " + std::to_string(m.unsafe) + " (" + rt::percent(m.unsafe_ratio) + ") |\n";
  out += "| Probe requests | " + std::to_string(m.probes) + " |\n";
  out += "| False alerts | " + std::to_string(s.false_alerts) + " |\n\n";

  out += incidents_section(s);

  out += "## SLOs and error budget\n\n";
  if (s.slos.empty()) {
    out += "No SLOs defined.\n\n";
  } else {
    out += "| SLO | SLI | Objective | Good / total | Compliance | Budget consumed |\n"
           "|---|---|---|---|---|---|\n";
    for (const auto& slo : s.slos) {
      out += "| " + cell(slo.name) + " | " + cell(slo.sli) + " | " + rt::percent(slo.objective) +
             " | " + std::to_string(slo.good) + " / " + std::to_string(slo.total) + " | " +
             rt::percent(slo.compliance) + " | " + rt::percent(slo.budget_consumed) + " |\n";
    }
    out += "\n";
  }

  out += "## What the detectors saw vs what the truth says\n\n";
  out += "Detectors see only what production sees; the truth comes from each task's ground truth.\n\n";
  out += signal_table(s) + "\n" + detectors_vs_truth_words(s) + "\n\n";
  out += exposure_section(s);
  out += root_cause_section(s);

  out += "## Expectations\n\n";
  if (s.expectations.empty()) {
    out += "None stated.\n\n";
  } else {
    for (const auto& e : s.expectations) {
      out += std::string("- ") + (e.pass ? "✅ " : "❌ ") + code(e.text) + ": actual " + rt::actual(e);
      if (e.metric.empty()) out += " (could not parse)";
      out += "\n";
    }
    out += "\n";
  }

  if (s.trainee) out += trainee_section(*s.trainee);

  out += "## What happened\n\n" + what_happened(s) + "\n";
  return valid_utf8(std::move(out));
}

}  // namespace gameday
