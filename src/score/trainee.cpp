#include "score/trainee.hpp"

#include <algorithm>
#include <cmath>
#include <set>

namespace gameday {
namespace {

// Requests still in flight when a change is made finish under the old state: the "after"
// window starts this long after the change.
constexpr Duration kSettle = 30 * kSecond;

// Share of harmed user requests completed in [from, to); nullopt without requests.
std::optional<double> harm_share(const std::vector<std::pair<SimTime, bool>>& harm, SimTime from, SimTime to) {
  const auto lo = std::lower_bound(harm.begin(), harm.end(), from,
                                   [](const auto& h, SimTime t) { return h.first < t; });
  long n = 0, bad = 0;
  for (auto it = lo; it != harm.end() && it->first < to; ++it) {
    ++n;
    bad += it->second ? 1 : 0;
  }
  if (n == 0) return std::nullopt;
  return static_cast<double>(bad) / static_cast<double>(n);
}

bool is_change(const std::string& action) {
  return action == "flag" || action == "prompt_rollback" || action == "prompt_deploy" || action == "route" ||
         action == "shed" || action == "playbook";
}

std::string percent(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", v * 100);
  return buf;
}

ReferenceFigures reference_for(const std::vector<ReferenceIncident>& ref, const std::string& run,
                               const std::string& id) {
  ReferenceFigures out;
  for (const auto& r : ref) {
    if (r.run != run || r.incident != id) continue;
    out.present = true;
    if (r.ttm >= 0) out.ttm_s = static_cast<double>(r.ttm) / static_cast<double>(kSecond);
    if (r.ttr >= 0) out.ttr_s = static_cast<double>(r.ttr) / static_cast<double>(kSecond);
    out.unsafe = r.unsafe;
  }
  return out;
}

}  // namespace

std::string fault_cause(const std::string& kind, const std::string& target, const std::string& detail) {
  if (kind == "drift") return "model_drift";
  if (kind == "injection_following" || kind == "poisoned_note") return "injection";
  if (kind == "prompt_deploy") return "prompt";
  if (kind == "config_change") return detail.find("phi-redaction") != std::string::npos ? "phi_config" : "prompt";
  if (kind == "wrong_patient" || kind == "irrelevant_docs" || kind == "stale_docs") return "retrieval";
  if (target.rfind("ehr", 0) == 0) return "ehr";
  return "vendor";
}

std::optional<TraineeScore> score_trainee(const TraineeInput& in, const std::vector<Incident>& incidents) {
  TraineeScore s;
  for (const auto& [t, a] : in.actions) {
    if (a.by.rfind("trainee:", 0) == 0) {
      s.name = a.by.substr(8);
      break;
    }
  }
  if (s.name.empty()) return std::nullopt;
  const std::string by = "trainee:" + s.name;
  for (const auto& [t, a] : in.actions) {
    if (a.by == "facilitator" && a.action == "hint") ++s.hints;
    if (a.by != by) continue;
    JudgedAction j{t, a.action, a.target, a.detail, "", ""};
    if (a.outcome != "ok") {
      j.verdict = "refused";
      j.why = a.outcome;
      ++s.refused;
    } else if (is_change(a.action)) {
      const auto before = harm_share(in.harm, t - in.window, t);
      const auto after = harm_share(in.harm, t + kSettle, t + kSettle + in.window);
      if (!after) {
        j.verdict = "no_effect";
        j.why = "no request finished after it";
      } else {
        const double b = before.value_or(0), x = *after;
        j.why = "harmed answers " + percent(b) + " in the " + std::to_string(in.window / kMinute) +
                " min before, " + percent(x) + " after";
        if (b > 0 && x <= 0.5 * b) {
          j.verdict = "helped";
        } else if (x > b + std::max(0.02, 0.5 * b)) {
          j.verdict = "harmed";
        } else {
          j.verdict = "no_effect";
        }
      }
      if (j.verdict == "helped") ++s.helped;
      if (j.verdict == "harmed") ++s.harmed;
      if (j.verdict == "no_effect") ++s.no_effect;
    }
    if (a.action == "suspect") s.suspected = a.target;
    s.actions.push_back(std::move(j));
  }

  std::set<std::string> truth;
  for (const auto& inc : incidents) {
    TraineeIncident ti;
    ti.id = inc.id;
    if (!inc.faults.empty()) {
      const auto f = in.faults.find(inc.faults.front());
      if (f != in.faults.end() && f->second.size() == 3) ti.truth = fault_cause(f->second[0], f->second[1], f->second[2]);
    }
    if (!ti.truth.empty()) truth.insert(ti.truth);
    const SimTime end = inc.t_r.value_or(std::numeric_limits<SimTime>::max());
    const auto secs = [](Duration d) { return static_cast<double>(d) / static_cast<double>(kSecond); };
    for (const auto& a : s.actions) {
      if (a.at < inc.t_i || a.at > end) continue;
      if (a.action == "ack" && a.verdict.empty() && !ti.tta_s && inc.t_d && a.at >= *inc.t_d) {
        ti.tta_s = secs(a.at - *inc.t_d);
      }
      if (a.verdict == "helped" && !ti.first_useful_s) ti.first_useful_s = secs(a.at - inc.t_i);
      if (a.action == "declare" && a.target == "mitigated" && !ti.declared_mitigated_s) {
        ti.declared_mitigated_s = secs(a.at - inc.t_i);
      }
      if (a.action == "declare" && a.target == "resolved" && !ti.declared_resolved_s) {
        ti.declared_resolved_s = secs(a.at - inc.t_i);
      }
    }
    ti.ttm_s = inc.ttm_s;
    ti.ttr_s = inc.ttr_s;
    ti.unsafe = inc.unsafe;
    ti.failed = inc.failed;
    ti.playbooks = reference_for(in.reference, "playbooks", inc.id);
    ti.nobody = reference_for(in.reference, "nobody", inc.id);
    s.unsafe += inc.unsafe;
    s.incidents.push_back(std::move(ti));
  }
  s.truth.assign(truth.begin(), truth.end());
  s.cause_right = !s.suspected.empty() && truth.count(s.suspected) > 0;

  // Points (docs/drills.md): 100, less 15 per harmful change, 5 per hint, 10 for a wrong or
  // missing suspected cause, and per incident 20 when never mitigated, else a point per minute
  // mitigation took beyond the scenario's own playbooks (at most 40).
  double points = 100 - 15.0 * static_cast<double>(s.harmed) - 5.0 * static_cast<double>(s.hints);
  if (!s.incidents.empty() && !s.cause_right) points -= 10;
  for (const auto& ti : s.incidents) {
    if (!ti.ttm_s) {
      points -= 20;
    } else if (ti.playbooks.ttm_s) {
      points -= std::min(40.0, std::max(0.0, std::floor((*ti.ttm_s - *ti.playbooks.ttm_s) / 60.0)));
    }
  }
  s.points = static_cast<int>(std::clamp(points, 0.0, 100.0));
  return s;
}

}  // namespace gameday
