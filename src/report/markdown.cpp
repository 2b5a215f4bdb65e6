// report.md: for the people in the debrief. Every sentence is generated from the Score.
#include <algorithm>
#include <string>
#include <vector>

#include "report/report.hpp"
#include "report/text.hpp"

namespace gameday {
namespace {

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

std::vector<Row> timeline_rows(const Score& s) {
  std::vector<Row> rows;
  for (const auto& f : s.faults) {
    std::string text = "Fault " + code(f.id) + " started: " + f.kind + " on " + f.target;
    if (!f.detail.empty()) text += " (" + f.detail + ")";
    rows.push_back({f.start, text});
    if (f.end) rows.push_back({*f.end, "Fault " + code(f.id) + " ended"});
  }
  if (s.timeline.t_i) {
    rows.push_back({*s.timeline.t_i, "**Impact**: first failed, slow or unsafe answer to a user"});
  }
  for (const auto& a : s.alerts) {
    std::string text = "Alert **" + a.name + "** (" + a.severity + ") fired";
    if (!a.summary.empty()) text += ": " + a.summary;
    if (s.timeline.t_f && a.fired_at < *s.timeline.t_f) text += " (before any fault: false alert)";
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
  if (s.timeline.t_m) {
    rows.push_back({*s.timeline.t_m, "**Mitigated**: SLIs back inside SLOs with no unsafe answers for " +
                                         format_duration(s.run.sustain)});
  }
  if (s.timeline.t_r) {
    rows.push_back({*s.timeline.t_r,
                    "**Recovered**: no alert firing, no playbook running, golden set green"});
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

}  // namespace

std::string report_markdown(const Score& s) {
  const Metrics& m = s.metrics;
  std::string out;
  out += "# Game day report: " + s.run.scenario + "\n\n";
  out += verdict_paragraph(s) + "\n\n";

  out += "## Timeline\n\n";
  const auto rows = timeline_rows(s);
  if (rows.empty()) {
    out += "Nothing happened: no fault, impact, alert or action was recorded.\n\n";
  } else {
    out += "| Time | Event |\n|---|---|\n";
    for (const auto& r : rows) out += "| " + format_offset(r.t) + " | " + cell(r.text) + " |\n";
    out += "\n";
  }

  out += "## Metrics\n\n| Metric | Value |\n|---|---|\n";
  out += "| TTD (impact → first alert) | " + rt::seconds(m.ttd_s) + " |\n";
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

  out += "## What happened\n\n" + what_happened(s) + "\n";
  return out;
}

}  // namespace gameday
