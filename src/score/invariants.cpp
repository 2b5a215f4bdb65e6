#include "score/invariants.hpp"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <type_traits>

namespace gameday {

namespace {

std::string at(SimTime t) { return format_duration(t); }

// The journal's own invariants, checked event by event: time_monotone, request_once and
// alert_pairs each keep their first violation.
struct JournalChecks {
  std::size_t count = 0;
  const char* last_type = nullptr;
  SimTime last_t = 0;
  std::optional<InvariantViolation> time_monotone, request_once, alert_pairs;
  // Request ids seen, user requests and probes apart: a bit per id (ids count up from 1), a
  // set for ids too large for that.
  std::vector<bool> seen_bits[2];
  std::set<std::uint64_t> seen_large[2];
  std::set<std::string> firing;

  bool first_sight(bool probe, std::uint64_t id) {
    constexpr std::uint64_t kBitLimit = std::uint64_t{1} << 28;
    if (id >= kBitLimit) return seen_large[probe].insert(id).second;
    auto& bits = seen_bits[probe];
    if (bits.size() <= id) bits.resize(std::max<std::size_t>(id + 1, bits.size() * 2));
    if (bits[id]) return false;
    bits[id] = true;
    return true;
  }

  void add(const Event& e) {
    ++count;
    if (last_type && e.t < last_t && !time_monotone) {
      time_monotone = InvariantViolation{
          "time_monotone", std::string(event_type(e.body)) + " at " + at(e.t) + " follows " + last_type +
                               " at " + at(last_t) + " (event " + std::to_string(count) + ")"};
    }
    last_type = event_type(e.body);
    last_t = e.t;
    if (const auto* r = std::get_if<RequestEvent>(&e.body); r != nullptr && !request_once) {
      // User requests and golden probes are numbered separately.
      const auto name = [&] { return (r->probe ? "probe " : "request ") + std::to_string(r->id); };
      if (!first_sight(r->probe, r->id)) {
        request_once = InvariantViolation{"request_once", name() + " ends twice (again at " + at(e.t) + ")"};
      } else if (r->arrival > e.t || r->latency < 0) {
        // In a drill the clock moves between timing a request and journaling it: at or after
        // its arrival, not exactly at arrival plus latency.
        request_once = InvariantViolation{"request_once", name() + " ends at " + at(e.t) + ", before its arrival " +
                                                              at(r->arrival) + " or with a negative latency"};
      }
    } else if (const auto* f = std::get_if<AlertFireEvent>(&e.body)) {
      firing.insert(f->name);
    } else if (const auto* q = std::get_if<AlertResolveEvent>(&e.body); q != nullptr && !alert_pairs) {
      if (firing.erase(q->name) == 0) {
        alert_pairs = InvariantViolation{"alert_pairs", "alert " + q->name + " resolves at " + at(e.t) + " without firing"};
      }
    }
  }
};

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

}  // namespace

struct InvariantChecker::State {
  JournalChecks journal;
};

InvariantChecker::InvariantChecker() : state_(std::make_unique<State>()) {}
InvariantChecker::~InvariantChecker() = default;
void InvariantChecker::add(const Event& e) { state_->journal.add(e); }

std::vector<InvariantViolation> InvariantChecker::check(const Score& s) const {
  std::vector<InvariantViolation> out;
  const JournalChecks& j = state_->journal;
  if (j.time_monotone) out.push_back(*j.time_monotone);
  if (j.request_once) out.push_back(*j.request_once);
  incident_order(s, out);
  harm_accounted(s, out);
  if (j.alert_pairs) out.push_back(*j.alert_pairs);
  return out;
}

void InvariantChecker::require(const Score& s) const { require_invariants(check(s)); }

std::vector<InvariantViolation> check_invariants(const std::vector<Event>& events, const Score& s) {
  InvariantChecker checker;
  for (const Event& e : events) checker.add(e);
  return checker.check(s);
}

void require_invariants(const std::vector<InvariantViolation>& violations) {
  if (violations.empty()) return;
  std::string what = "invariant violated:";
  for (const auto& v : violations) what += "\n  " + v.invariant + ": " + v.detail;
  throw InvariantError(what);
}

void require_invariants(const std::vector<Event>& events, const Score& s) {
  require_invariants(check_invariants(events, s));
}

}  // namespace gameday
