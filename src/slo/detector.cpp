#include "slo/detector.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "slo/burn_windows.hpp"
#include "slo/histogram.hpp"

namespace gameday {
namespace {

// Counter layout of the count rings; latency-SLO bad counters follow.
constexpr std::size_t kTotal = 0;            // user requests
constexpr std::size_t kErrors = 1;           // status != ok
constexpr std::size_t kCitationInvalid = 2;  // !citations_valid
constexpr std::size_t kSchemaInvalid = 3;    // !schema_valid
constexpr std::size_t kRefused = 4;          // refused
constexpr std::size_t kCanary = 5;           // canary_seen
constexpr std::size_t kPhi = 6;              // phi_detected
constexpr std::size_t kUnsafeOutput = 7;     // canary_seen || phi_detected (safety SLO)
constexpr std::size_t kCorrections = 8;      // clinician corrections received
constexpr std::size_t kProbeCases = 9;       // golden probe cases run
constexpr std::size_t kProbeFailedCases = 10;
constexpr std::size_t kPhiLogged = 11;        // phi_in_logs (the log DLP scanner's finding)
// Dependency calls (RequestEvent::calls), every vendor together.
constexpr std::size_t kEhrCalls = 12;
constexpr std::size_t kEhrFailed = 13;
constexpr std::size_t kVendorCalls = 14;      // chat calls
constexpr std::size_t kVendorFailed = 15;
constexpr std::size_t kVendorThrottled = 16;  // answered 429
constexpr std::size_t kEmbedCalls = 17;
constexpr std::size_t kEmbedFailed = 18;
// Then per vendor slot: calls, failed, throttled, embeddings calls, embeddings failed.
constexpr std::size_t kVendorSlotBase = 19;
constexpr std::size_t kPerVendor = 5;
constexpr std::size_t kSlotCalls = 0, kSlotFailed = 1, kSlotThrottled = 2, kSlotEmbedCalls = 3,
                      kSlotEmbedFailed = 4;
constexpr std::size_t kFixedCounters = kVendorSlotBase + Detector::kVendorSlots * kPerVendor;

std::size_t slot_counter(std::size_t slot, std::size_t which) {
  return kVendorSlotBase + slot * kPerVendor + which;
}

// History floors so sli() can answer typical wait_for windows even when no rule needs them, and
// bucket caps that bound memory and evaluation cost whatever the windows are.
constexpr Duration kMinCountHistory = kHour;
constexpr Duration kMinLatencyHistory = 10 * kMinute;
constexpr std::size_t kMaxCountBuckets = 4096;
constexpr std::size_t kMaxLatencyBuckets = 1024;
// The fine ring answers windows up to this at 1 s resolution.
constexpr Duration kFineLimit = static_cast<Duration>(kMaxCountBuckets) * kSecond;

// Counter index of the bad requests of an SLO kind (latency SLOs get one counter each).
std::size_t bad_counter_of(SloKind k) {
  switch (k) {
    case SloKind::kAvailability: return kErrors;
    case SloKind::kLatency: return 0;  // per SLO, see the constructor
    case SloKind::kCitationValidity: return kCitationInvalid;
    case SloKind::kSchemaValidity: return kSchemaInvalid;
    case SloKind::kSafety: return kUnsafeOutput;
    case SloKind::kRefusal: return kRefused;
    case SloKind::kEhrAvailability: return kEhrFailed;
    case SloKind::kEhrLatency: return 0;  // per SLO, see the constructor
    case SloKind::kVendorAvailability: return kVendorFailed;
    case SloKind::kVendorThrottle: return kVendorThrottled;
    case SloKind::kEmbeddingAvailability: return kEmbedFailed;
  }
  return kErrors;
}

// What an SLO kind counts (user requests, or calls to a dependency).
std::size_t total_counter_of(SloKind k) {
  switch (k) {
    case SloKind::kAvailability:
    case SloKind::kLatency:
    case SloKind::kCitationValidity:
    case SloKind::kSchemaValidity:
    case SloKind::kSafety:
    case SloKind::kRefusal:
      return kTotal;
    case SloKind::kEhrAvailability:
    case SloKind::kEhrLatency:
      return kEhrCalls;
    case SloKind::kVendorAvailability:
    case SloKind::kVendorThrottle:
      return kVendorCalls;
    case SloKind::kEmbeddingAvailability:
      return kEmbedCalls;
  }
  return kTotal;
}

// The per-vendor (bad, total) slot counters of a vendor SLO kind.
std::pair<std::size_t, std::size_t> slot_counters_of(SloKind k) {
  if (k == SloKind::kVendorThrottle) return {kSlotThrottled, kSlotCalls};
  if (k == SloKind::kEmbeddingAvailability) return {kSlotEmbedFailed, kSlotEmbedCalls};
  return {kSlotFailed, kSlotCalls};
}

Duration longest_count_window(const Scenario& sc) {
  Duration d = kMinCountHistory;
  for (const auto& a : sc.alerts) {
    if (a.type == AlertType::kThreshold && !is_latency(a.sli)) d = std::max(d, a.window);
    if (a.type == AlertType::kBurnRate) {
      for (const auto& w : effective_burn_windows(a)) d = std::max({d, w.long_window, w.short_window});
    }
  }
  return d;
}

Duration longest_latency_window(const Scenario& sc) {
  Duration d = kMinLatencyHistory;
  for (const auto& a : sc.alerts) {
    if (a.type == AlertType::kThreshold && is_latency(a.sli)) d = std::max(d, a.window);
  }
  return d;
}

BucketRing make_ring(Duration longest, std::size_t max_buckets, std::size_t stride) {
  const Duration width = bucket_width_for(longest, max_buckets);
  // One spare bucket: the newest bucket is partial, and late events land one bucket back.
  const auto buckets = static_cast<std::size_t>((longest + width - 1) / width) + 1;
  return BucketRing(width, buckets, stride);
}

std::optional<BucketRing> make_coarse_ring(Duration longest, std::size_t stride) {
  if (longest <= kFineLimit) return std::nullopt;
  return make_ring(longest, kMaxCountBuckets, stride);
}

std::size_t count_latency_slos(const Scenario& sc) {
  std::size_t n = 0;
  for (const auto& s : sc.slos) n += has_threshold(s.sli) ? 1 : 0;
  return n;
}

// "2m", "1h30m", "90s"; falls back to format_duration for odd values.
std::string compact(Duration d) {
  if (d > 0 && d % kSecond == 0) {
    std::string out;
    Duration rest = d;
    if (rest >= kHour) {
      out += std::to_string(rest / kHour) + "h";
      rest %= kHour;
    }
    if (rest >= kMinute) {
      out += std::to_string(rest / kMinute) + "m";
      rest %= kMinute;
    }
    if (rest > 0) out += std::to_string(rest / kSecond) + "s";
    return out;
  }
  return format_duration(d);
}

std::string fmt_seconds(double s) { return format_duration(std::llround(s * 1e6)); }

std::string fmt_number(double v, const char* suffix) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g%s", v, suffix);
  return buf;
}

}  // namespace

Detector::Detector(const Scenario& scenario, Scheduler& scheduler, Journal& journal)
    : scheduler_(scheduler),
      journal_(journal),
      interval_(scenario.evaluation_interval),
      fine_(make_ring(std::min(longest_count_window(scenario), kFineLimit), kMaxCountBuckets,
                      kFixedCounters + count_latency_slos(scenario))),
      coarse_(make_coarse_ring(longest_count_window(scenario),
                               kFixedCounters + count_latency_slos(scenario))),
      fine_limit_(std::min(longest_count_window(scenario), kFineLimit)),
      latencies_(make_ring(longest_latency_window(scenario), kMaxLatencyBuckets,
                           LatencyBins::kCount)),
      ehr_latencies_(make_ring(longest_latency_window(scenario), kMaxLatencyBuckets,
                               LatencyBins::kCount)) {
  if (interval_ <= 0) {
    throw std::invalid_argument("evaluation interval must be positive, got " +
                                format_duration(interval_));
  }
  // Counter index of each SLO's bad requests; each latency SLO gets its own counter because
  // "slow" depends on its threshold.
  // Vendors the rules name are counted one by one from the start (in the order named).
  for (const auto& s : scenario.slos) {
    if (is_vendor_slo(s.sli) && !s.vendor.empty()) vendor_slot(s.vendor, true);
  }
  for (const auto& a : scenario.alerts) {
    if (a.type == AlertType::kThreshold && is_vendor_sli(a.sli) && !a.vendor.empty()) vendor_slot(a.vendor, true);
  }
  // Latency SLOs first, then ehr_latency SLOs: their own counters follow the fixed ones.
  std::size_t own = kFixedCounters;
  std::vector<std::size_t> own_counter(scenario.slos.size(), 0);
  for (std::size_t i = 0; i < scenario.slos.size(); ++i) {
    if (scenario.slos[i].sli != SloKind::kLatency) continue;
    own_counter[i] = own++;
    latency_thresholds_.push_back(scenario.slos[i].threshold);
  }
  for (std::size_t i = 0; i < scenario.slos.size(); ++i) {
    if (scenario.slos[i].sli != SloKind::kEhrLatency) continue;
    own_counter[i] = own++;
    ehr_latency_thresholds_.push_back(scenario.slos[i].threshold);
  }
  std::vector<std::pair<std::size_t, std::size_t>> slo_counter;
  for (std::size_t i = 0; i < scenario.slos.size(); ++i) {
    slo_counter.push_back(slo_counters(scenario.slos[i], own_counter[i]));
  }
  for (const auto& a : scenario.alerts) {
    Rule r;
    r.spec = a;
    switch (a.type) {
      case AlertType::kThreshold:
        r.sli = a.sli;
        break;
      case AlertType::kBurnRate: {
      r.burn = true;
      std::size_t i = 0;
      while (i < scenario.slos.size() && scenario.slos[i].name != a.slo) ++i;
      if (i == scenario.slos.size()) {
        throw std::invalid_argument("alert '" + a.name + "': unknown slo '" + a.slo + "'");
      }
      r.rows = effective_burn_windows(a);
      if (r.rows.empty()) {
        throw std::invalid_argument("alert '" + a.name + "': burn_rate alert has no windows");
      }
      const auto& slo = scenario.slos[i];
      r.bad_counter = slo_counter[i].first;
      r.total_counter = slo_counter[i].second;
      r.objective = slo.objective;
      r.slo_label = slo.name + " " + fmt_number(slo.objective * 100, "%");
      break;
      }
    }
    rules_.push_back(std::move(r));
  }
}

std::pair<std::size_t, std::size_t> Detector::slo_counters(const SloSpec& slo, std::size_t own) {
  const std::size_t total = total_counter_of(slo.sli);
  if (has_threshold(slo.sli)) return {own, total};
  if (is_vendor_slo(slo.sli) && !slo.vendor.empty()) {
    const auto slot = vendor_slot(slo.vendor, true);
    if (slot) {
      const auto [bad, all] = slot_counters_of(slo.sli);
      return {slot_counter(*slot, bad), slot_counter(*slot, all)};
    }
    throw std::invalid_argument("slo '" + slo.name + "': more than " + std::to_string(kVendorSlots) +
                                " vendors named by the scenario's rules");
  }
  return {bad_counter_of(slo.sli), total};
}

std::optional<std::size_t> Detector::vendor_slot(std::string_view vendor) const {
  for (std::size_t i = 0; i < vendor_slots_.size(); ++i) {
    if (vendor_slots_[i] == vendor) return i;
  }
  return std::nullopt;
}

std::optional<std::size_t> Detector::vendor_slot(std::string_view vendor, bool assign) {
  if (auto slot = std::as_const(*this).vendor_slot(vendor)) return slot;
  if (!assign || vendor.empty() || vendor_slots_.size() >= kVendorSlots) return std::nullopt;
  vendor_slots_.emplace_back(vendor);
  return vendor_slots_.size() - 1;
}

void Detector::count_calls(std::uint32_t* c, const std::vector<DependencyCall>& calls) {
  const std::size_t ehr_own = kFixedCounters + latency_thresholds_.size();
  for (const DependencyCall& call : calls) {
    const bool failed = call.failed();
    if (call.dependency == Dependency::kEhr) {
      ++c[kEhrCalls];
      c[kEhrFailed] += failed;
      for (std::size_t i = 0; i < ehr_latency_thresholds_.size(); ++i) {
        c[ehr_own + i] += failed || call.latency > ehr_latency_thresholds_[i];
      }
      continue;
    }
    const auto slot = vendor_slot(call.vendor, true);
    if (call.dependency == Dependency::kVendor) {
      ++c[kVendorCalls];
      c[kVendorFailed] += failed;
      c[kVendorThrottled] += call.status == 429;
      if (slot) {
        ++c[slot_counter(*slot, kSlotCalls)];
        c[slot_counter(*slot, kSlotFailed)] += failed;
        c[slot_counter(*slot, kSlotThrottled)] += call.status == 429;
      }
    } else {
      ++c[kEmbedCalls];
      c[kEmbedFailed] += failed;
      if (slot) {
        ++c[slot_counter(*slot, kSlotEmbedCalls)];
        c[slot_counter(*slot, kSlotEmbedFailed)] += failed;
      }
    }
  }
}

void Detector::observe(SimTime completed_at, const RequestEvent& r, const std::vector<DependencyCall>& calls) {
  if (r.probe) return;
  const bool error = r.status != RequestStatus::kOk;
  const auto count = [&](std::uint32_t* c) {
    if (!calls.empty()) count_calls(c, calls);
    ++c[kTotal];
    c[kErrors] += error;
    c[kCitationInvalid] += !r.citations_valid;
    c[kSchemaInvalid] += !r.schema_valid;
    c[kRefused] += r.refused;
    c[kCanary] += r.canary_seen;
    c[kPhi] += r.phi_detected;
    c[kPhiLogged] += r.phi_in_logs;
    c[kUnsafeOutput] += r.canary_seen || r.phi_detected;
    for (std::size_t i = 0; i < latency_thresholds_.size(); ++i) {
      c[kFixedCounters + i] += error || r.latency > latency_thresholds_[i];
    }
  };
  if (std::uint32_t* c = fine_.at(completed_at)) count(c);
  if (coarse_) {
    if (std::uint32_t* c = coarse_->at(completed_at)) count(c);
  }
  if (std::uint32_t* h = latencies_.at(completed_at)) ++h[LatencyBins::bin_of(r.latency)];
  if (calls.empty()) return;
  if (std::uint32_t* h = ehr_latencies_.at(completed_at)) {
    for (const DependencyCall& call : calls) {
      if (call.dependency == Dependency::kEhr) ++h[LatencyBins::bin_of(call.latency)];
    }
  }
}

void Detector::bump(SimTime t, std::size_t counter, std::uint32_t by) {
  if (std::uint32_t* c = fine_.at(t)) c[counter] += by;
  if (coarse_) {
    if (std::uint32_t* c = coarse_->at(t)) c[counter] += by;
  }
}

void Detector::observe_correction(SimTime t) { bump(t, kCorrections); }

void Detector::observe_probe(SimTime t, bool ok, int passed, int total) {
  const int cases = std::max(total, 0);
  const int failed = std::clamp(total - passed, 0, cases);
  bump(t, kProbeCases, static_cast<std::uint32_t>(cases));
  bump(t, kProbeFailedCases, static_cast<std::uint32_t>(failed));
  // Results arrive in time order; an out-of-order older one does not replace the latest.
  if (!probe_at_ || t >= *probe_at_) {
    probe_at_ = t;
    probe_ok_ = ok;
    probe_passed_ = passed;
    probe_total_ = total;
  }
}

void Detector::observe_event(const Event& e) {
  if (const auto* r = std::get_if<RequestEvent>(&e.body)) {
    observe(e.t, *r);
  } else if (std::holds_alternative<CorrectionEvent>(e.body)) {
    observe_correction(e.t);
  } else if (const auto* g = std::get_if<GoldenResultEvent>(&e.body); g && g->by == "probe") {
    observe_probe(e.t, g->ok, g->passed, g->total);
  }
}

void Detector::start(SimTime end) {
  const SimTime now = scheduler_.now();
  schedule(((now + interval_ - 1) / interval_) * interval_, end);
}

void Detector::schedule(SimTime t, SimTime end) {
  if (t >= end) return;
  scheduler_.at(t, [this, t, end] {
    evaluate();
    schedule(t + interval_, end);
  });
}

void Detector::on_fire(std::function<void(const AlertSpec&)> fn) { on_fire_.push_back(std::move(fn)); }

void Detector::on_resolve(std::function<void(const AlertSpec&)> fn) {
  on_resolve_.push_back(std::move(fn));
}

Duration Detector::sum_counts(Duration window, const std::size_t* idx, std::size_t n,
                              std::uint64_t* out) const {
  const BucketRing& ring = coarse_ && window > fine_limit_ ? *coarse_ : fine_;
  return ring.sum_some(scheduler_.now(), window, idx, n, out);
}

std::optional<double> Detector::ratio(std::size_t counter, std::size_t total,
                                      Duration window) const {
  const std::size_t idx[2] = {total, counter};
  std::uint64_t sums[2] = {0, 0};
  sum_counts(window, idx, 2, sums);
  if (sums[0] == 0) return std::nullopt;
  return static_cast<double>(sums[1]) / static_cast<double>(sums[0]);
}

std::optional<double> Detector::rate(std::size_t counter, Duration window, Duration per,
                                     bool elapsed_only) const {
  std::uint64_t sum = 0;
  const Duration covered = sum_counts(window, &counter, 1, &sum);
  Duration span = covered;
  if (elapsed_only) {
    // Early in a run the window reaches back before the start; divide by the elapsed time.
    span = std::min(covered, scheduler_.now());
    if (span <= 0) span = covered;
  }
  return static_cast<double>(sum) * static_cast<double>(per) / static_cast<double>(span);
}

std::optional<double> Detector::dependency_sli(Sli sli, Duration window, std::string_view vendor) const {
  if (sli == Sli::kEhrLatency) {
    LatencyCounts counts{};
    ehr_latencies_.sum(scheduler_.now(), window, counts.data());
    const Duration q = latency_quantile(counts, 0.95);
    if (q < 0) return std::nullopt;
    return to_seconds(q);
  }
  if (sli == Sli::kEhrErrorRatio) return ratio(kEhrFailed, kEhrCalls, window);
  std::size_t bad = kVendorFailed, total = kVendorCalls;
  if (sli == Sli::kVendorThrottleRatio) bad = kVendorThrottled;
  if (sli == Sli::kEmbeddingErrorRatio) {
    bad = kEmbedFailed;
    total = kEmbedCalls;
  }
  if (vendor.empty()) return ratio(bad, total, window);
  const auto slot = vendor_slot(vendor);
  if (!slot) return std::nullopt;
  std::size_t slot_bad = kSlotFailed, slot_total = kSlotCalls;
  if (sli == Sli::kVendorThrottleRatio) slot_bad = kSlotThrottled;
  if (sli == Sli::kEmbeddingErrorRatio) {
    slot_bad = kSlotEmbedFailed;
    slot_total = kSlotEmbedCalls;
  }
  return ratio(slot_counter(*slot, slot_bad), slot_counter(*slot, slot_total), window);
}

std::optional<double> Detector::sli_value(Sli sli, Duration window, std::string_view vendor) const {
  switch (sli) {
    case Sli::kEhrErrorRatio:
    case Sli::kEhrLatency:
    case Sli::kVendorErrorRatio:
    case Sli::kVendorThrottleRatio:
    case Sli::kEmbeddingErrorRatio:
      return dependency_sli(sli, window, vendor);
    case Sli::kLatencyP95:
    case Sli::kLatencyP99: {
      LatencyCounts counts{};
      latencies_.sum(scheduler_.now(), window, counts.data());
      const Duration q = latency_quantile(counts, sli == Sli::kLatencyP95 ? 0.95 : 0.99);
      if (q < 0) return std::nullopt;
      return to_seconds(q);
    }
    case Sli::kErrorRatio:
      return ratio(kErrors, kTotal, window);
    case Sli::kCitationInvalidRatio:
      return ratio(kCitationInvalid, kTotal, window);
    case Sli::kSchemaInvalidRatio:
      return ratio(kSchemaInvalid, kTotal, window);
    case Sli::kCanaryRatio:
      return ratio(kCanary, kTotal, window);
    case Sli::kPhiOutputRatio:
      return ratio(kPhi, kTotal, window);
    case Sli::kRefusalRatio:
      return ratio(kRefused, kTotal, window);
    case Sli::kRequestRate:
      return rate(kTotal, window, kSecond, true);
    case Sli::kCorrectionRate:
      // Corrections are sparse: one early in a run must not read as a burst, so the rate is
      // always over the whole window.
      return rate(kCorrections, window, kMinute, false);
    case Sli::kCorrectionCount: {
      std::uint64_t sum = 0;
      const std::size_t idx = kCorrections;
      sum_counts(window, &idx, 1, &sum);
      return static_cast<double>(sum);
    }
    case Sli::kProbeFailure: {
      if (!probe_at_ || scheduler_.now() - *probe_at_ > window) return std::nullopt;
      return probe_ok_ ? 0.0 : 1.0;
    }
    case Sli::kProbeFailureRatio:
      return ratio(kProbeFailedCases, kProbeCases, window);
    case Sli::kPhiLogRatio:
      return ratio(kPhiLogged, kTotal, window);
  }
  return std::nullopt;
}

std::optional<double> Detector::sli(Sli s, Duration window, std::string_view vendor) const {
  return sli_value(s, window, vendor);
}

std::string Detector::threshold_summary(const Rule& rule, double v) const {
  const AlertSpec& a = rule.spec;
  const std::string over = " over " + compact(a.window);
  std::string shown, limit;
  switch (unit_of(a.sli)) {
    case SliUnit::kSeconds:
      shown = fmt_seconds(v);
      limit = fmt_seconds(a.above);
      break;
    case SliUnit::kPerSecond:
      shown = fmt_number(v, "/s");
      limit = fmt_number(a.above, "/s");
      break;
    case SliUnit::kPerMinute:
      shown = fmt_number(v, "/min");
      limit = fmt_number(a.above, "/min");
      break;
    case SliUnit::kCount:
      shown = fmt_number(v, "");
      limit = fmt_number(a.above, "");
      break;
    case SliUnit::kFlag:
      // probe_failure: say what failed rather than "1 > 0".
      return "latest golden probe failed (" + std::to_string(probe_passed_) + "/" +
             std::to_string(probe_total_) + " passed) within " + compact(a.window);
    case SliUnit::kRatio:
      shown = fmt_number(v * 100, "%");
      limit = fmt_number(a.above * 100, "%");
      break;
  }
  const std::string who = a.vendor.empty() || !is_vendor_sli(a.sli) ? "" : "(" + a.vendor + ")";
  return to_name(a.sli) + who + " " + shown + " > " + limit + over;
}

Detector::Reading Detector::read(const Rule& rule) const {
  Reading out;
  const AlertSpec& a = rule.spec;
  if (!rule.burn) {
    const auto v = sli_value(rule.sli, a.window, a.vendor);
    if (!v || !(*v > a.above)) return out;
    out.holds = true;
    out.value = *v;
    out.summary = threshold_summary(rule, *v);
    return out;
  }
  const double budget = 1.0 - rule.objective;
  const BurnWindow* best = nullptr;
  double best_long = 0, best_short = 0;
  for (const auto& w : rule.rows) {
    const auto long_ratio = ratio(rule.bad_counter, rule.total_counter, w.long_window);
    const auto short_ratio = ratio(rule.bad_counter, rule.total_counter, w.short_window);
    if (!long_ratio || !short_ratio) continue;
    // An objective of 100 % has no budget: any error burns infinitely fast.
    const auto burn = [budget](double r) {
      return budget > 0 ? r / budget : (r > 0 ? INFINITY : 0.0);
    };
    const double bl = burn(*long_ratio);
    const double bs = burn(*short_ratio);
    if (!(bl > w.factor && bs > w.factor)) continue;
    if (!best || std::min(bl, bs) > std::min(best_long, best_short)) {
      best = &w;
      best_long = bl;
      best_short = bs;
    }
  }
  if (!best) return out;
  out.holds = true;
  out.value = std::min(best_long, best_short);
  out.summary = rule.slo_label + " burn " + fmt_number(best_long, "x") + " over " +
                compact(best->long_window) + " and " + fmt_number(best_short, "x") + " over " +
                compact(best->short_window) + " > " + fmt_number(best->factor, "x");
  return out;
}

void Detector::evaluate() {
  const SimTime now = scheduler_.now();
  for (auto& rule : rules_) {
    const Reading rd = read(rule);
    if (rd.holds) {
      if (rule.firing) continue;
      if (!rule.pending) {
        rule.pending = true;
        rule.pending_since = now;
      }
      if (now - rule.pending_since < rule.spec.for_duration) continue;
      rule.pending = false;
      rule.firing = true;
      const bool grouped = grouped_ && grouped_(rule.spec);
      // The time of the append, not of the evaluation: in real time an earlier rule's firing
      // (a playbook starting) has journaled events since, and journal times never go back.
      journal_.append(scheduler_.now(), AlertFireEvent{rule.spec.name, rule.spec.severity, rd.value, rd.summary,
                                          "detector", grouped});
      for (const auto& fn : on_fire_) fn(rule.spec);
    } else {
      rule.pending = false;
      if (!rule.firing) continue;
      rule.firing = false;
      journal_.append(scheduler_.now(), AlertResolveEvent{rule.spec.name});
      for (const auto& fn : on_resolve_) fn(rule.spec);
    }
  }
}

std::vector<std::string> Detector::firing() const {
  std::vector<std::string> out;
  for (const auto& r : rules_) {
    if (r.firing) out.push_back(r.spec.name);
  }
  return out;
}

}  // namespace gameday
