#include "score/incidents.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "spec/fault.hpp"
#include "spec/slo.hpp"

namespace gameday {
namespace {

// ---------------------------------------------------------------- faults and attribution

// One fault id with all its activations.
struct Fault {
  std::string id;
  std::string target;
  std::optional<FaultKind> kind;  // nullopt: a kind this build does not know
  std::string incident;
  SimTime first_start = 0;
  std::vector<std::pair<SimTime, SimTime>> windows;  // [start, end], end = run end while active
};

struct FaultTable {
  std::vector<Fault> faults;
  std::map<std::string, std::size_t> by_id;
};

FaultTable fault_table(const IncidentInput& in) {
  FaultTable t;
  for (const auto& a : in.faults) {
    auto [it, fresh] = t.by_id.emplace(a.id, t.faults.size());
    if (fresh) {
      t.faults.push_back(Fault{a.id, a.target, parse_name<FaultKind>(a.kind), a.incident, a.start, {}});
    }
    Fault& f = t.faults[it->second];
    if (f.incident.empty()) f.incident = a.incident;
    f.windows.emplace_back(a.start, a.end.value_or(in.end));
  }
  return t;
}

// Which kinds of fault can cause which harm.
bool fails_with_status(FaultKind k) {
  return k == FaultKind::kError || k == FaultKind::kReset || k == FaultKind::kStreamBreak;
}
bool delays_or_fails(FaultKind k) { return effect_of(k) == FaultEffect::kDelaysOrFails; }
bool bends_or_changes(FaultKind k) { return effect_of(k) != FaultEffect::kDelaysOrFails; }
bool changes_config(FaultKind k) { return effect_of(k) == FaultEffect::kChangesConfig; }

bool ends_with(const std::string& s, const char* suffix) {
  const std::string_view x(suffix);
  return s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0;
}

// The harms a request can suffer, as bits.
enum HarmBit : std::uint8_t { kFailed = 1, kSlow = 2, kUnsafe = 4, kPhi = 8 };
constexpr std::uint8_t kHarmBits[] = {kFailed, kSlow, kUnsafe, kPhi};

// The faults of a request's spans that can cause each of its harms (see find_incidents()).
struct Attribution {
  std::map<std::uint8_t, std::vector<std::size_t>> by_harm;  // harm bit -> fault indices
};

// The attributions of the harmed requests only (most requests are unharmed: a long run would
// otherwise hold an empty map per request), by request index.
class Attributions {
 public:
  void add(std::size_t req, Attribution a) {
    if (a.by_harm.empty()) return;
    index_.push_back(req);
    list_.push_back(std::move(a));
  }
  const Attribution& of(std::size_t req) const {
    const auto it = std::lower_bound(index_.begin(), index_.end(), req);
    if (it == index_.end() || *it != req) return none_;
    return list_[static_cast<std::size_t>(it - index_.begin())];
  }
  const std::vector<Attribution>& all() const { return list_; }

 private:
  std::vector<std::size_t> index_;  // ascending
  std::vector<Attribution> list_;
  Attribution none_;
};

// Whether a fault of kind `kind` can cause harm `bit` of a request whose failure cause is `cause`.
bool can_cause(std::optional<FaultKind> kind, std::uint8_t bit, const std::string& cause) {
  if (!kind) return true;  // a kind this build does not know may have done anything
  switch (bit) {
    case kFailed:
      if (ends_with(cause, "_error") || ends_with(cause, "_rate_limited")) return fails_with_status(*kind);
      if (cause == "citation_invalid" || cause == "invalid_schema") return bends_or_changes(*kind);
      if (cause == "shed" || cause == "safe_mode") return changes_config(*kind);
      return delays_or_fails(*kind);  // timeouts and anything else
    case kSlow: return delays_or_fails(*kind);
    case kUnsafe: return bends_or_changes(*kind);
    case kPhi: return changes_config(*kind);
    default: return false;
  }
}

std::uint8_t harm_bits(const ScoredRequest& r) {
  return static_cast<std::uint8_t>((r.failed ? kFailed : 0) | (r.slow ? kSlow : 0) |
                                   (r.unsafe ? kUnsafe : 0) | (r.phi ? kPhi : 0));
}

Attribution attributed(const ScoredRequest& r, const FaultTable& t) {
  Attribution out;
  const std::uint8_t bits = harm_bits(r);
  if (bits == 0) return out;
  for (const auto& id : r.traits->faults) {
    const auto it = t.by_id.find(id);
    if (it == t.by_id.end()) continue;
    for (std::uint8_t bit : kHarmBits) {
      if (!(bits & bit) || !can_cause(t.faults[it->second].kind, bit, r.traits->cause)) continue;
      auto& list = out.by_harm[bit];
      if (std::find(list.begin(), list.end(), it->second) == list.end()) list.push_back(it->second);
    }
  }
  // An unsafe answer whose retrieval went wrong with no fault that bends answers on it: a vendor
  // fault failed its embeddings call and the context went in unranked.
  if ((bits & kUnsafe) && !out.by_harm.count(kUnsafe) && r.traits->root_cause == "retrieval") {
    for (const auto& id : r.traits->faults) {
      const auto it = t.by_id.find(id);
      if (it == t.by_id.end()) continue;
      const Fault& f = t.faults[it->second];
      if (!f.kind || !delays_or_fails(*f.kind) || f.target.rfind("vendor:", 0) != 0) continue;
      auto& list = out.by_harm[kUnsafe];
      if (std::find(list.begin(), list.end(), it->second) == list.end()) list.push_back(it->second);
    }
  }
  return out;
}

// Whether the request's spans hold any fault of `group` (for detection linking).
bool touched_by(const ScoredRequest& r, const FaultTable& t, const std::vector<std::size_t>& group_of,
                std::size_t group) {
  for (const auto& id : r.traits->faults) {
    const auto it = t.by_id.find(id);
    if (it != t.by_id.end() && group_of[it->second] == group) return true;
  }
  return false;
}

// Whether a bad request touched by `group` is its evidence for a rule that counts the harms
// `counted`: unless those harms of the request are attributed only to other groups' faults (a
// request failed by a vendor fault is no sign of a stale index that also touched it).
bool evidence_for(const ScoredRequest& r, const FaultTable& t, const std::vector<std::size_t>& group_of,
                  std::size_t group, std::uint8_t counted) {
  bool attributed_elsewhere = false;
  for (const auto& [bit, faults] : attributed(r, t).by_harm) {
    if (!(bit & counted)) continue;
    for (std::size_t f : faults) {
      if (group_of[f] == group) return true;
    }
    attributed_elsewhere = true;
  }
  return !attributed_elsewhere;
}

// ---------------------------------------------------------------- grouping

struct UnionFind {
  std::vector<std::size_t> parent;
  explicit UnionFind(std::size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  std::size_t find(std::size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  }
  void unite(std::size_t a, std::size_t b) {
    a = find(a);
    b = find(b);
    if (a != b) parent[std::max(a, b)] = std::min(a, b);  // the earlier fault names the group
  }
};

bool windows_touch(const Fault& a, const Fault& b) {
  for (const auto& [s1, e1] : a.windows) {
    for (const auto& [s2, e2] : b.windows) {
      if (s1 <= e2 && s2 <= e1) return true;
    }
  }
  return false;
}

// The group (root fault index) of every fault. Faults that caused the same harm of one
// request (a poisoned note and the model that obeyed it) are united; faults behind different
// harms of one request (a slow answer from a vendor fault, wrong content from an EHR fault) are
// not, by that request alone.
std::vector<std::size_t> group_faults(const FaultTable& t, const Attributions& attribution) {
  UnionFind uf(t.faults.size());
  for (const auto& a : attribution.all()) {
    for (const auto& [bit, faults] : a.by_harm) {
      for (std::size_t k = 1; k < faults.size(); ++k) uf.unite(faults[0], faults[k]);
    }
  }
  for (std::size_t a = 0; a < t.faults.size(); ++a) {
    for (std::size_t b = a + 1; b < t.faults.size(); ++b) {
      const Fault& x = t.faults[a];
      const Fault& y = t.faults[b];
      const bool named = !x.incident.empty() && x.incident == y.incident;
      if (named || (x.target == y.target && windows_touch(x, y))) uf.unite(a, b);
    }
  }
  std::vector<std::size_t> group(t.faults.size());
  for (std::size_t i = 0; i < group.size(); ++i) group[i] = uf.find(i);
  return group;
}

// ---------------------------------------------------------------- buckets and mitigation

// Per evaluation bucket, a group's harm and the run's request count.
struct BucketHarm {
  long requests = 0;
  long transport = 0;  // attributed failed or slow
  long severe = 0;     // attributed unsafe or PHI exposure
};

struct Buckets {
  Duration width = 15 * kSecond;
  std::vector<BucketHarm> harm;
  std::size_t index(SimTime t) const { return static_cast<std::size_t>(std::max<SimTime>(0, t) / width); }
  SimTime start(std::size_t b) const { return static_cast<SimTime>(b) * width; }
  bool breaks(std::size_t b, double allowance) const {
    if (b >= harm.size()) return false;
    const BucketHarm& h = harm[b];
    if (h.severe > 0) return true;
    return static_cast<double>(h.transport) > allowance * static_cast<double>(h.requests) + 1e-9;
  }
};

// One request's harms attributed to one group.
struct Harm {
  std::size_t req = 0;     // index into in.requests
  std::uint8_t bits = 0;   // HarmBit set
};

// The harm of `members` per bucket.
Buckets bucket_harm(const IncidentInput& in, const std::vector<Harm>& members) {
  Buckets b;
  b.width = in.interval > 0 ? in.interval : 15 * kSecond;
  b.harm.resize(b.index(in.end) + 1);
  for (const auto& r : in.requests) {
    if (b.index(r.t) < b.harm.size()) ++b.harm[b.index(r.t)].requests;
  }
  for (const Harm& m : members) {
    const ScoredRequest& r = in.requests[m.req];
    BucketHarm& h = b.harm[std::min(b.index(r.t), b.harm.size() - 1)];
    if (m.bits & (kUnsafe | kPhi)) ++h.severe;
    if (m.bits & (kFailed | kSlow)) ++h.transport;
  }
  return b;
}

// Whether [from, from + sustain) breaks no bucket and holds requests (a window without traffic
// is no evidence that the harm stopped).
bool quiet_window(const Buckets& b, SimTime from, Duration sustain, double allowance) {
  const std::size_t first = b.index(from);
  const std::size_t last = std::min(b.index(from + sustain - 1), b.harm.size() - 1);
  long requests = 0;
  for (std::size_t k = first; k <= last; ++k) {
    if (b.breaks(k, allowance)) return false;
    requests += b.harm[k].requests;
  }
  return requests > 0;
}

// The first T ≥ t_i (t_i, then bucket boundaries) that starts a window in budget.
std::optional<SimTime> first_quiet(const IncidentInput& in, const Buckets& b, SimTime t_i) {
  for (SimTime t = t_i; t + in.sustain <= in.end; t = b.start(b.index(t) + 1)) {
    if (quiet_window(b, t, in.sustain, in.allowance)) return t;
  }
  return std::nullopt;
}

// The first bucket at or after `from` that breaks the budget.
std::optional<std::size_t> first_breaking(const Buckets& b, SimTime from, double allowance) {
  for (std::size_t k = b.index(from); k < b.harm.size(); ++k) {
    if (b.start(k) >= from && b.breaks(k, allowance)) return k;
  }
  return std::nullopt;
}

std::string describe_change(const ChangeAt& c) {
  std::string what = c.what + (c.key.empty() ? "" : " " + c.key);
  return what + " " + c.from + " -> " + c.to + " by " + c.by;
}

bool is_fault_change(const ChangeAt& c) { return c.by.rfind("deploy:", 0) == 0; }

// Whether harm of the group that arrived more than one bucket after `at` still broke the budget
// before `quiet_from`: then a change at `at` did not end it (its harm went on without it). One
// bucket of grace covers requests already in flight when the change landed.
bool harm_outlived(const IncidentInput& in, const Buckets& b, const std::vector<Harm>& members, SimTime at,
                   SimTime quiet_from) {
  for (const Harm& m : members) {
    const ScoredRequest& r = in.requests[m.req];
    if (r.t >= quiet_from) break;
    if (r.arrival > at + in.interval && b.breaks(b.index(r.t), in.allowance)) return true;
  }
  return false;
}

// Why the window at `t` is in budget: the latest change or fault end of the group at or before
// t + one bucket; a change the group's harm outlived explains nothing. Sets incident.t_m and
// mitigated_by.
void explain_mitigation(const IncidentInput& in, const FaultTable& t, const std::vector<std::size_t>& faults,
                        const Buckets& b, const std::vector<Harm>& members, SimTime quiet_from, Incident& x) {
  const SimTime horizon = quiet_from + in.interval;
  std::optional<SimTime> change_at;
  const ChangeAt* change = nullptr;
  for (const auto& c : in.changes) {
    if (c.at < x.t_i || c.at > horizon || is_fault_change(c)) continue;
    change_at = c.at;
    change = &c;
  }
  // Harm that outlived the latest change outlived every earlier one too.
  if (change && harm_outlived(in, b, members, *change_at, quiet_from)) {
    change = nullptr;
    change_at.reset();
  }
  std::optional<SimTime> ended_at;
  bool all_ended = true;
  for (std::size_t f : faults) {
    for (const auto& [s, e] : t.faults[f].windows) {
      if (s > horizon) continue;
      if (e >= in.end || e > horizon) {
        all_ended = false;
      } else if (e >= x.t_i) {
        ended_at = std::max(ended_at.value_or(e), e);
      }
    }
  }
  if (change && (!ended_at || *change_at >= *ended_at || !all_ended)) {
    x.t_m = std::max(quiet_from, *change_at);
    x.mitigated_by = describe_change(*change);
  } else if (all_ended && ended_at) {
    x.t_m = std::max(quiet_from, *ended_at);
    x.mitigated_by = "fault_end";
  } else {
    x.t_m = quiet_from;
    x.mitigated_by = "automatic";
  }
}

// ---------------------------------------------------------------- detection

// Whether alert rule `rule` counted request `r` as bad.
bool bad_for_rule(const AlertRuleRecord& rule, const ScoredRequest& r) {
  const ScoredRequest& e = r;
  const std::string& cause = r.traits->cause;
  if (!rule.sli.empty()) {
    const auto sli = parse_name<Sli>(rule.sli);
    if (!sli) return r.harmful();
    switch (*sli) {
      case Sli::kLatencyP95:
      case Sli::kLatencyP99:
        return to_seconds(e.latency) > rule.above;
      case Sli::kErrorRatio: return r.failed;
      case Sli::kCitationInvalidRatio: return !e.citations_valid;
      case Sli::kSchemaInvalidRatio: return !e.schema_valid;
      case Sli::kCanaryRatio: return e.canary_seen;
      case Sli::kPhiOutputRatio: return e.phi_detected;
      case Sli::kRefusalRatio: return e.refused;
      case Sli::kPhiLogRatio: return e.phi_in_logs;
      case Sli::kRequestRate: return r.harmful();
      case Sli::kProbeFailure:
      case Sli::kProbeFailureRatio:
        return r.failed || r.unsafe;  // probe requests
      case Sli::kCorrectionRate:
      case Sli::kCorrectionCount:
        return true;  // corrected requests
      // Journals do not carry dependency calls: the requests that failed on that dependency.
      case Sli::kEhrErrorRatio:
      case Sli::kEhrLatency:
        return cause.rfind("ehr_", 0) == 0;
      case Sli::kVendorErrorRatio: return cause.rfind("vendor_", 0) == 0;
      case Sli::kVendorThrottleRatio: return cause == "vendor_rate_limited";
      case Sli::kEmbeddingErrorRatio: return r.harmful();
    }
  }
  switch (parse_name<SloKind>(rule.slo_kind).value_or(SloKind::kAvailability)) {
    case SloKind::kAvailability: return r.failed;
    case SloKind::kLatency: return r.failed || e.latency > rule.threshold;
    case SloKind::kCitationValidity: return !e.citations_valid;
    case SloKind::kSchemaValidity: return !e.schema_valid;
    case SloKind::kSafety: return e.canary_seen || e.phi_detected;
    case SloKind::kRefusal: return e.refused;
    case SloKind::kEhrAvailability:
    case SloKind::kEhrLatency:
      return cause.rfind("ehr_", 0) == 0;
    case SloKind::kVendorAvailability: return cause.rfind("vendor_", 0) == 0;
    case SloKind::kVendorThrottle: return cause == "vendor_rate_limited";
    case SloKind::kEmbeddingAvailability: return r.harmful();
  }
  return r.failed;
}

// The harms whose requests a rule counts as bad (an alert from outside: any).
std::uint8_t counted_harm(const std::optional<AlertRuleRecord>& rule) {
  constexpr std::uint8_t kAny = kFailed | kSlow | kUnsafe | kPhi;
  constexpr std::uint8_t kContent = kFailed | kUnsafe | kPhi;  // rejected (fallback) or served
  if (!rule) return kAny;
  if (!rule->sli.empty()) {
    const auto sli = parse_name<Sli>(rule->sli);
    if (!sli) return kAny;
    switch (*sli) {
      case Sli::kLatencyP95:
      case Sli::kLatencyP99: return kFailed | kSlow;
      case Sli::kErrorRatio: return kFailed;
      case Sli::kProbeFailure:
      case Sli::kProbeFailureRatio: return kFailed | kUnsafe;
      case Sli::kCorrectionRate:
      case Sli::kCorrectionCount: return kUnsafe;
      case Sli::kRequestRate: return kAny;
      default: return kContent;
    }
  }
  switch (parse_name<SloKind>(rule->slo_kind).value_or(SloKind::kAvailability)) {
    case SloKind::kAvailability: return kFailed;
    case SloKind::kLatency: return kFailed | kSlow;
    default: return kContent;
  }
}

enum class Evidence { kRequests, kProbes, kCorrections };

Evidence evidence_of(const std::optional<AlertRuleRecord>& rule) {
  if (!rule || rule->sli.empty()) return Evidence::kRequests;
  const auto sli = parse_name<Sli>(rule->sli);
  if (sli == Sli::kProbeFailure || sli == Sli::kProbeFailureRatio) return Evidence::kProbes;
  if (sli == Sli::kCorrectionRate || sli == Sli::kCorrectionCount) return Evidence::kCorrections;
  return Evidence::kRequests;
}

// A timed piece of evidence an alert may have counted: (time, request).
using Sample = std::pair<SimTime, const ScoredRequest*>;

// The evidence of one kind touched by `group` within [from, to] of the incident.
std::vector<Sample> samples(const IncidentInput& in, Evidence ev, const FaultTable& t,
                            const std::vector<std::size_t>& group_of, std::size_t group) {
  std::vector<Sample> out;
  if (ev == Evidence::kCorrections) {
    // Only the corrected requests are looked up (a long run has a million others).
    std::map<std::uint64_t, const ScoredRequest*> by_id;
    for (const auto& c : in.corrections) by_id.emplace(c.second, nullptr);
    for (const auto& r : in.requests) {
      const auto it = by_id.find(r.id);
      if (it != by_id.end()) it->second = &r;
    }
    std::erase_if(by_id, [](const auto& kv) { return kv.second == nullptr; });
    for (const auto& [at, id] : in.corrections) {
      const auto it = by_id.find(id);
      if (it != by_id.end() && touched_by(*it->second, t, group_of, group)) out.emplace_back(at, it->second);
    }
    return out;
  }
  for (const auto& r : ev == Evidence::kProbes ? in.probes : in.requests) {
    if (touched_by(r, t, group_of, group)) out.emplace_back(r.t, &r);
  }
  return out;
}

// When alert `a` detected an incident whose evidence is `ev` within [from, until]: the firing
// time when its window then held bad evidence, else the first bad evidence while it fired.
std::optional<SimTime> detection_time(const AlertFiring& a, const std::vector<Sample>& ev, SimTime from,
                                      SimTime until, Duration fallback_window, SimTime end,
                                      const FaultTable& t, const std::vector<std::size_t>& group_of,
                                      std::size_t group) {
  const Duration window = a.rule ? std::max<Duration>(a.rule->window, 1) : fallback_window;
  const SimTime stop = std::min(a.resolved_at.value_or(end), until);
  const std::uint8_t counted = counted_harm(a.rule);
  std::optional<SimTime> first;
  for (const auto& [at, r] : ev) {
    if (at < from || at > until) continue;
    const bool bad = a.rule ? bad_for_rule(*a.rule, *r) : r->harmful();
    if (!bad || !evidence_for(*r, t, group_of, group, counted)) continue;
    if (at < a.fired_at && at >= a.fired_at - window) return a.fired_at;
    if (at >= a.fired_at && at < stop) {
      first = at;
      break;
    }
  }
  return first;
}

// ---------------------------------------------------------------- incidents

// The harmed requests of one group split into incidents at relapses.
struct Segment {
  std::vector<Harm> members;  // in time order
  std::optional<std::size_t> relapse_of;
  std::optional<SimTime> split;  // a relapse: the start of the bucket that broke the budget
};

void count_harm(const IncidentInput& in, Incident& x, const std::vector<Harm>& members) {
  std::map<std::string, long> by_patient;
  for (const Harm& m : members) {
    const ScoredRequest& r = in.requests[m.req];
    ++x.harmed;
    x.failed += (m.bits & kFailed) != 0;
    x.slow += (m.bits & kSlow) != 0;
    if (m.bits & kPhi) {
      x.phi_to_vendor += r.phi_to_vendor;
      x.phi_in_logs += r.phi_in_logs;
    }
    x.harm_until = r.t;
    if (!(m.bits & kUnsafe)) continue;
    ++x.unsafe;
    ++x.unsafe_by_kind[r.traits->unsafe_kind.empty() ? "unspecified" : r.traits->unsafe_kind];
    ++by_patient[r.traits->patient_ref.empty() ? "unknown" : r.traits->patient_ref];
  }
  for (const auto& [ref, n] : by_patient) x.per_patient.push_back(PatientExposure{ref, n});
  std::stable_sort(x.per_patient.begin(), x.per_patient.end(),
                   [](const PatientExposure& a, const PatientExposure& b) { return a.count > b.count; });
  x.patients_affected = static_cast<long>(x.per_patient.size());
}

// The faults (indices, in start order) to which some harm of `members` is attributed.
std::set<std::size_t> harming_faults(const Attributions& attribution, const std::vector<Harm>& members) {
  std::set<std::size_t> harming;
  for (const Harm& m : members) {
    for (const auto& [bit, faults] : attribution.of(m.req).by_harm) {
      if (m.bits & bit) harming.insert(faults.begin(), faults.end());
    }
  }
  return harming;
}

// t_f: the latest start, at or before t_i, of a fault whose harm the incident holds.
std::optional<SimTime> fault_start_of(const FaultTable& t, const std::set<std::size_t>& harming, SimTime t_i) {
  std::optional<SimTime> latest;
  for (std::size_t f : harming) {
    for (const auto& window : t.faults[f].windows) {
      if (window.first <= t_i) latest = std::max(latest.value_or(window.first), window.first);
    }
  }
  return latest;
}

// Evidence from `from` (the incident's fault start, or a relapse's breaking bucket) to `until`
// counts: a probe may catch a fault before any user is harmed.
void detect(const IncidentInput& in, const FaultTable& t, const std::vector<std::size_t>& group_of,
            std::size_t group, SimTime from, SimTime until, Incident& x, std::vector<bool>& detected_any) {
  std::map<Evidence, std::vector<Sample>> evidence;
  for (std::size_t a = 0; a < in.alerts.size(); ++a) {
    const AlertFiring& alert = in.alerts[a];
    if (alert.fired_at > until) break;
    const Evidence ev = evidence_of(alert.rule);
    if (!evidence.count(ev)) evidence[ev] = samples(in, ev, t, group_of, group);
    const auto d = detection_time(alert, evidence[ev], from, until, in.sustain, in.end, t, group_of, group);
    if (!d) continue;
    detected_any[a] = true;
    if (x.t_d && *x.t_d <= *d) continue;
    x.t_d = d;
    x.detected_by = alert.name;
    x.t_a.reset();
    for (std::size_t k = 0; k < in.ack_events.size(); ++k) {
      if (in.ack_events[k].alert == alert.name && in.ack_times[k] >= alert.fired_at) {
        x.t_a = std::max(in.ack_times[k], *d);
        break;
      }
    }
  }
}

// When the alert interval that detected `x` resolved; nullopt while it still fires at the end.
// Without a detection there is no alert to wait for: t_m.
std::optional<SimTime> detecting_alert_resolved(const IncidentInput& in, const Incident& x) {
  if (!x.t_d) return x.t_m;
  for (const auto& a : in.alerts) {
    if (a.name != x.detected_by || a.fired_at > *x.t_d) continue;
    if (!a.resolved_at) return std::nullopt;
    if (*a.resolved_at >= *x.t_d) return *a.resolved_at;
  }
  return x.t_m;
}

// The first passing golden result after the incident's last change up to `t`; `t` itself when
// no result came after that change; nullopt when results came and none passed.
std::optional<SimTime> golden_gate(const IncidentInput& in, const Incident& x, SimTime t) {
  std::optional<SimTime> last_change;
  for (const auto& c : in.changes) {
    if (c.at >= x.t_i && c.at <= t && !is_fault_change(c)) last_change = c.at;
  }
  if (!last_change) return t;
  bool any_after = false;
  for (const auto& [at, ok] : in.golden) {
    if (at < *last_change) continue;
    any_after = true;
    if (ok) return std::max(at, t);
  }
  return any_after ? std::nullopt : std::optional<SimTime>(t);
}

// Recovery: see find_incidents().
void recover(const IncidentInput& in, const std::vector<Harm>& group_members, Incident& x) {
  if (!x.t_m) return;
  const auto resolved = detecting_alert_resolved(in, x);
  if (!resolved) return;
  SimTime t = std::max(*x.t_m, *resolved);
  for (;;) {
    const auto gate = golden_gate(in, x, t);
    if (!gate) return;
    const SimTime candidate = *gate;
    if (candidate + in.sustain > in.end) return;
    // Harm-free for `sustain` after the candidate; else try again after the last harm in it.
    std::optional<SimTime> harm;
    for (const Harm& m : group_members) {
      const SimTime h = in.requests[m.req].t;
      if (h > candidate && h <= candidate + in.sustain) harm = h;
    }
    if (!harm) {
      x.t_r = candidate;
      return;
    }
    t = *harm;
  }
}

void durations(Incident& x) {
  const auto secs = [](std::optional<SimTime> a, std::optional<SimTime> b) -> std::optional<double> {
    if (!a || !b) return std::nullopt;
    return to_seconds(*b - *a);
  };
  // A probe can catch a fault before any user is harmed: detection then counts as immediate.
  if (x.t_d) x.ttd_s = std::max(0.0, to_seconds(*x.t_d - x.t_i));
  x.ttd_from_fault_s = secs(x.t_f, x.t_d);
  x.tta_s = secs(x.t_d, x.t_a);
  x.ttm_s = secs(x.t_i, x.t_m);
  x.ttr_s = secs(x.t_i, x.t_r);
}

// Splits a group's harmed requests at relapses; computes t_m (and mitigated_by) of each piece.
std::vector<std::pair<Segment, Incident>> segments(const IncidentInput& in, const FaultTable& t,
                                                   const std::vector<std::size_t>& faults,
                                                   const std::vector<Harm>& members) {
  std::vector<std::pair<Segment, Incident>> out;
  const Buckets b = bucket_harm(in, members);
  std::size_t next = 0;
  std::optional<SimTime> relapse_at;
  while (next < members.size()) {
    Segment seg;
    if (!out.empty()) {
      seg.relapse_of = out.size() - 1;
      seg.split = relapse_at;
    }
    Incident x;
    x.t_i = in.requests[members[next].req].t;
    std::optional<SimTime> split;
    if (const auto quiet = first_quiet(in, b, x.t_i)) {
      explain_mitigation(in, t, faults, b, members, *quiet, x);
      if (const auto k = first_breaking(b, *x.t_m + in.sustain, in.allowance)) split = b.start(*k);
    }
    while (next < members.size() && (!split || in.requests[members[next].req].t < *split)) {
      seg.members.push_back(members[next++]);
    }
    out.emplace_back(std::move(seg), std::move(x));
    if (!split) break;
    relapse_at = split;
    // The relapse starts at its first harmed request in the breaking bucket or after.
    while (next < members.size() && in.requests[members[next].req].t < *split) ++next;
  }
  return out;
}

}  // namespace

IncidentResult find_incidents(const IncidentInput& in) {
  IncidentResult res;
  const FaultTable table = fault_table(in);
  Attributions attribution;
  for (std::size_t k = 0; k < in.requests.size(); ++k) attribution.add(k, attributed(in.requests[k], table));
  const std::vector<std::size_t> group_of = group_faults(table, attribution);

  // Each harm of each request goes to the group of its faults, or to the background.
  std::map<std::size_t, std::vector<Harm>> members;
  for (std::size_t k = 0; k < in.requests.size(); ++k) {
    const ScoredRequest& r = in.requests[k];
    const std::uint8_t bits = harm_bits(r);
    if (bits == 0) continue;
    std::uint8_t background = 0;
    for (std::uint8_t bit : kHarmBits) {
      if (!(bits & bit)) continue;
      const auto& by_harm = attribution.of(k).by_harm;
      const auto it = by_harm.find(bit);
      if (it == by_harm.end()) {
        background |= bit;
        continue;
      }
      auto& list = members[group_of[it->second.front()]];
      if (list.empty() || list.back().req != k) list.push_back(Harm{k, 0});
      list.back().bits |= bit;
    }
    if (background == 0) continue;
    Background& bg = res.background;
    ++bg.harmed;
    bg.failed += (background & kFailed) != 0;
    bg.slow += (background & kSlow) != 0;
    if (background & kUnsafe) {
      ++bg.unsafe;
      ++bg.by_kind[r.traits->unsafe_kind.empty() ? "unspecified" : r.traits->unsafe_kind];
    }
  }

  std::vector<bool> detected_any(in.alerts.size(), false);
  for (const auto& [group, harmed] : members) {
    std::vector<std::size_t> faults;
    for (std::size_t f = 0; f < table.faults.size(); ++f) {
      if (group_of[f] == group) faults.push_back(f);
    }
    const std::string base = table.faults[group].incident.empty() ? table.faults[group].id
                                                                   : table.faults[group].incident;
    auto pieces = segments(in, table, faults, harmed);
    const std::size_t first_index = res.incidents.size();
    for (std::size_t p = 0; p < pieces.size(); ++p) {
      auto& [seg, x] = pieces[p];
      x.id = p == 0 ? base : base + "#" + std::to_string(p + 1);
      // Its faults are those that harmed in it: a relapse lists the redeploy that brought the
      // harm back, not the first deploy as well.
      const std::set<std::size_t> harming = harming_faults(attribution, seg.members);
      for (std::size_t f : harming) x.faults.push_back(table.faults[f].id);
      if (seg.relapse_of) x.relapse_of = res.incidents[first_index + *seg.relapse_of].id;
      x.t_f = fault_start_of(table, harming, x.t_i);
      count_harm(in, x, seg.members);
      const SimTime until = p + 1 < pieces.size() ? pieces[p + 1].second.t_i - 1 : in.end;
      const SimTime from = seg.split ? *seg.split : x.t_f.value_or(x.t_i);
      detect(in, table, group_of, group, from, until, x, detected_any);
      recover(in, harmed, x);
      durations(x);
      res.incidents.push_back(std::move(x));
    }
  }
  std::stable_sort(res.incidents.begin(), res.incidents.end(),
                   [](const Incident& a, const Incident& b) { return a.t_i < b.t_i; });

  for (std::size_t a = 0; a < in.alerts.size(); ++a) {
    if (detected_any[a]) continue;
    const AlertFiring& al = in.alerts[a];
    const std::string sli = !al.rule ? "" : !al.rule->sli.empty() ? al.rule->sli : al.rule->slo_kind + " burn rate";
    res.false_alerts.push_back(FalseAlert{al.name, sli, al.fired_at, al.value, al.summary});
  }
  return res;
}

}  // namespace gameday
