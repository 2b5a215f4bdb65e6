// The few lines printed after a run. ASCII only: CI logs and dumb terminals must show it intact.
#include <string>

#include "report/report.hpp"
#include "report/text.hpp"

namespace gameday {

std::string terminal_summary(const Score& s) {
  namespace rt = report_text;
  const Timeline& tl = s.timeline;
  const Metrics& m = s.metrics;
  std::string out;
  out += "gameday: " + s.run.scenario + " (seed " + std::to_string(s.run.seed) + ", " +
         (s.run.mode.empty() ? "simulated" : s.run.mode) + "): " + (s.pass ? "PASS" : "FAIL") + "\n";

  if (s.cut_short()) out += "  cut short: " + rt::cut_short(s) + "\n";
  out += "  fault:     ";
  if (s.faults.empty()) {
    out += "none\n";
  } else {
    const auto& f = s.faults.front();
    out += f.id + " (" + f.kind + " on " + f.target + ") at " + format_offset(f.start);
    if (s.faults.size() > 1) out += " +" + std::to_string(s.faults.size() - 1) + " more";
    out += "\n";
  }

  out += "  alert:     ";
  if (tl.t_d) {
    for (const auto& a : s.alerts) {
      if (a.fired_at == *tl.t_d) {
        out += a.name + " (" + a.severity + ") at " + format_offset(a.fired_at);
        break;
      }
    }
  } else {
    out += s.faults.empty() ? "none fired" : "none fired after the fault";
  }
  if (s.false_alerts > 0) out += "; " + rt::count(s.false_alerts, "false alert", "false alerts");
  out += "\n";

  out += "  playbooks: ";
  if (s.playbooks.empty()) {
    out += s.run.playbooks_enabled ? "none ran\n" : "disabled\n";
  } else {
    long steps = 0;
    for (const auto& p : s.playbooks) steps += static_cast<long>(p.steps.size());
    out += rt::count(static_cast<long>(s.playbooks.size()), "run", "runs") + ", " +
           rt::count(steps, "step", "steps") + ":";
    for (std::size_t i = 0; i < s.playbooks.size() && i < 3; ++i) {
      const auto& p = s.playbooks[i];
      out += std::string(i ? ", " : " ") + p.playbook + " " + (p.ended_at ? p.outcome : "running");
    }
    if (s.playbooks.size() > 3) out += ", ...";
    out += "\n";
  }

  out += "  times:     TTD " + rt::seconds(m.ttd_s) + "  TTA " + rt::seconds(m.tta_s) + "  TTM " +
         rt::seconds(m.ttm_s) + "  TTR " + rt::seconds(m.ttr_s) + "\n";
  // Several incidents: the times above are the worst one's; each gets its own line.
  if (s.incidents.size() > 1) {
    out += "  incidents: " + std::to_string(s.incidents.size()) + " (times above: the worst, " +
           s.incidents[*s.worst].id + ")\n";
    for (const auto& x : s.incidents) {
      out += "    " + x.id + ": TTD " + rt::seconds(x.ttd_s) + "  TTM " + rt::seconds(x.ttm_s) + "  TTR " +
             rt::seconds(x.ttr_s) + "; " + std::to_string(x.failed) + " failed, " + std::to_string(x.unsafe) +
             " unsafe" + (x.detected_by.empty() ? "; undetected" : "; detected by " + x.detected_by) + "\n";
    }
  }
  out += "  requests:  " + std::to_string(m.requests) + " user, " + std::to_string(m.failed) +
         " failed (" + rt::percent(m.failed_ratio) + "), " + std::to_string(m.unsafe) + " unsafe\n";

  if (s.trainee) {
    const TraineeScore& t = *s.trainee;
    out += "  trainee:   " + t.name + " " + std::to_string(t.points) + " points; suspected " +
           (t.suspected.empty() ? std::string("nothing") : t.suspected) +
           (t.truth.empty() ? "" : (t.cause_right ? " (right)" : " (wrong)")) + "; " + std::to_string(t.helped) +
           " helped, " + std::to_string(t.no_effect) + " did nothing, " + std::to_string(t.harmed) + " did harm; " +
           rt::count(t.hints, "hint", "hints") + " (scorecard in report.md)\n";
  }

  std::string failing;
  for (const auto& e : s.expectations) {
    if (e.pass) continue;
    failing += (failing.empty() ? "" : "; ") + e.text + " (actual " + rt::actual(e) + ")";
  }
  if (!failing.empty()) out += "  failing:   " + failing + "\n";
  return out;
}

}  // namespace gameday
