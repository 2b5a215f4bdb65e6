#include "score/invariants.hpp"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <type_traits>

namespace gameday {

namespace {

std::string at(SimTime t) { return format_duration(t); }

void time_monotone(const std::vector<Event>& events, std::vector<InvariantViolation>& out) {
  for (std::size_t i = 1; i < events.size(); ++i) {
    if (events[i].t < events[i - 1].t) {
      out.push_back({"time_monotone", std::string(event_type(events[i].body)) + " at " + at(events[i].t) +
                                          " follows " + event_type(events[i - 1].body) + " at " +
                                          at(events[i - 1].t) + " (event " + std::to_string(i + 1) + ")"});
      return;  // one is enough: the rest would repeat it
    }
  }
}

void request_once(const std::vector<Event>& events, std::vector<InvariantViolation>& out) {
  // User requests and golden probes are numbered separately.
  std::set<std::pair<bool, std::uint64_t>> seen;
  for (const Event& e : events) {
    const auto* r = std::get_if<RequestEvent>(&e.body);
    if (r == nullptr) continue;
    const std::string name = (r->probe ? "probe " : "request ") + std::to_string(r->id);
    if (!seen.insert({r->probe, r->id}).second) {
      out.push_back({"request_once", name + " ends twice (again at " + at(e.t) + ")"});
      return;
    }
    // In a drill the clock moves between timing a request and journaling it: at or after its
    // arrival, not exactly at arrival plus latency.
    if (r->arrival > e.t || r->latency < 0) {
      out.push_back({"request_once", name + " ends at " + at(e.t) + ", before its arrival " + at(r->arrival) +
                                         " or with a negative latency"});
      return;
    }
  }
}

void incident_order(const Score& s, std::vector<InvariantViolation>& out) {
  for (const Incident& x : s.incidents) {
    std::vector<std::string> broken;
    const auto before = [&](std::optional<SimTime> a, const char* an, std::optional<SimTime> b, const char* bn) {
      if (a && b && *a > *b) broken.push_back(std::string(an) + " " + at(*a) + " > " + bn + " " + at(*b));
    };
    before(x.t_f, "t_f", x.t_i, "t_i");
    before(x.t_f, "t_f", x.t_d, "t_d");
    before(x.t_d, "t_d", x.t_a, "t_a");
    before(x.t_i, "t_i", x.t_m, "t_m");
    before(x.t_m, "t_m", x.t_r, "t_r");
    if (x.t_r && !x.t_m) broken.push_back("t_r without t_m");
    for (const auto& b : broken) out.push_back({"incident_order", "incident " + x.id + ": " + b});
  }
}

void harm_accounted(const Score& s, std::vector<InvariantViolation>& out) {
  long failed = s.background.failed, slow = s.background.slow, unsafe = s.background.unsafe;
  std::map<std::string, long> by_kind = s.background.by_kind;
  for (const Incident& x : s.incidents) {
    failed += x.failed;
    slow += x.slow;
    unsafe += x.unsafe;
    for (const auto& [kind, n] : x.unsafe_by_kind) by_kind[kind] += n;
  }
  const auto check = [&](const char* what, long sum, long total) {
    if (sum != total) {
      out.push_back({"harm_accounted", std::string(what) + ": incidents and background hold " + std::to_string(sum) +
                                           ", the run " + std::to_string(total)});
    }
  };
  check("failed", failed, s.metrics.failed);
  check("slow", slow, s.metrics.slow);
  check("unsafe", unsafe, s.metrics.unsafe);
  std::map<std::string, long> run_kinds;
  for (const auto& [kind, n] : s.metrics.unsafe_by_kind) {
    if (n != 0) run_kinds[kind] = n;
  }
  std::erase_if(by_kind, [](const auto& kv) { return kv.second == 0; });
  if (by_kind != run_kinds) out.push_back({"harm_accounted", "unsafe answers by kind differ from the run's"});
}

void alert_pairs(const std::vector<Event>& events, std::vector<InvariantViolation>& out) {
  std::set<std::string> firing;
  for (const Event& e : events) {
    if (const auto* f = std::get_if<AlertFireEvent>(&e.body)) {
      firing.insert(f->name);
    } else if (const auto* r = std::get_if<AlertResolveEvent>(&e.body)) {
      if (firing.erase(r->name) == 0) {
        out.push_back({"alert_pairs", "alert " + r->name + " resolves at " + at(e.t) + " without firing"});
        return;
      }
    }
  }
}

}  // namespace

std::vector<InvariantViolation> check_invariants(const std::vector<Event>& events, const Score& s) {
  std::vector<InvariantViolation> out;
  time_monotone(events, out);
  request_once(events, out);
  incident_order(s, out);
  harm_accounted(s, out);
  alert_pairs(events, out);
  return out;
}

void require_invariants(const std::vector<Event>& events, const Score& s) {
  const auto violations = check_invariants(events, s);
  if (violations.empty()) return;
  std::string what = "invariant violated:";
  for (const auto& v : violations) what += "\n  " + v.invariant + ": " + v.detail;
  throw InvariantError(what);
}

}  // namespace gameday
