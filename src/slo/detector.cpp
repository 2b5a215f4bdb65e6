#include "slo/detector.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "slo/histogram.hpp"

namespace gameday {
namespace {

// Counter layout of the counts ring; latency-SLO error counters follow.
constexpr std::size_t kTotal = 0;
constexpr std::size_t kErrors = 1;
constexpr std::size_t kCitationInvalid = 2;
constexpr std::size_t kFixedCounters = 3;

// History floors so sli() can answer typical wait_for windows even when no rule needs them, and
// bucket caps that bound memory and evaluation cost whatever the windows are.
constexpr Duration kMinCountHistory = kHour;
constexpr Duration kMinLatencyHistory = 10 * kMinute;
constexpr std::size_t kMaxCountBuckets = 4096;
constexpr std::size_t kMaxLatencyBuckets = 1024;

bool is_latency_sli(std::string_view s) { return s == "latency_p95" || s == "latency_p99"; }

Duration longest_count_window(const Scenario& sc) {
  Duration d = kMinCountHistory;
  for (const auto& a : sc.alerts) {
    if (a.type == "threshold" && !is_latency_sli(a.sli)) d = std::max(d, a.window);
    for (const auto& w : a.windows) d = std::max({d, w.long_window, w.short_window});
  }
  return d;
}

Duration longest_latency_window(const Scenario& sc) {
  Duration d = kMinLatencyHistory;
  for (const auto& a : sc.alerts) {
    if (a.type == "threshold" && is_latency_sli(a.sli)) d = std::max(d, a.window);
  }
  return d;
}

BucketRing make_ring(Duration longest, std::size_t max_buckets, std::size_t stride) {
  const Duration width = bucket_width_for(longest, max_buckets);
  // One spare bucket: the newest bucket is partial, and late events land one bucket back.
  const auto buckets = static_cast<std::size_t>((longest + width - 1) / width) + 1;
  return BucketRing(width, buckets, stride);
}

std::size_t count_latency_slos(const Scenario& sc) {
  std::size_t n = 0;
  for (const auto& s : sc.slos) n += s.sli == "latency" ? 1 : 0;
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

bool Detector::known_sli(std::string_view name) {
  return is_latency_sli(name) || name == "error_ratio" || name == "citation_invalid_ratio" ||
         name == "request_rate";
}

Detector::Detector(const Scenario& scenario, Scheduler& scheduler, Journal& journal)
    : scheduler_(scheduler),
      journal_(journal),
      interval_(scenario.evaluation_interval),
      counts_(make_ring(longest_count_window(scenario), kMaxCountBuckets,
                        kFixedCounters + count_latency_slos(scenario))),
      latencies_(make_ring(longest_latency_window(scenario), kMaxLatencyBuckets,
                           LatencyBins::kCount)) {
  if (interval_ <= 0) {
    throw std::invalid_argument("evaluation interval must be positive, got " +
                                format_duration(interval_));
  }
  // Counter index of each SLO's errors: availability errors are plain errors; each latency SLO
  // gets its own counter because "slow" depends on its threshold.
  std::vector<std::size_t> slo_counter;
  for (const auto& s : scenario.slos) {
    if (s.sli == "latency") {
      slo_counter.push_back(kFixedCounters + latency_thresholds_.size());
      latency_thresholds_.push_back(s.threshold);
    } else {
      slo_counter.push_back(kErrors);
    }
  }
  for (const auto& a : scenario.alerts) {
    Rule r;
    r.spec = a;
    if (a.type == "threshold") {
      if (a.sli == "latency_p95") r.sli = Sli::kP95;
      else if (a.sli == "latency_p99") r.sli = Sli::kP99;
      else if (a.sli == "error_ratio") r.sli = Sli::kErrorRatio;
      else if (a.sli == "citation_invalid_ratio") r.sli = Sli::kCitationInvalidRatio;
      else if (a.sli == "request_rate") r.sli = Sli::kRequestRate;
      else throw std::invalid_argument("alert '" + a.name + "': unknown sli '" + a.sli + "'");
    } else if (a.type == "burn_rate") {
      r.burn = true;
      std::size_t i = 0;
      while (i < scenario.slos.size() && scenario.slos[i].name != a.slo) ++i;
      if (i == scenario.slos.size()) {
        throw std::invalid_argument("alert '" + a.name + "': unknown slo '" + a.slo + "'");
      }
      if (a.windows.empty()) {
        throw std::invalid_argument("alert '" + a.name + "': burn_rate alert has no windows");
      }
      const auto& slo = scenario.slos[i];
      r.bad_counter = slo_counter[i];
      r.objective = slo.objective;
      r.slo_label = slo.name + " " + fmt_number(slo.objective * 100, "%");
    } else {
      throw std::invalid_argument("alert '" + a.name + "': unknown type '" + a.type + "'");
    }
    rules_.push_back(std::move(r));
  }
}

void Detector::observe(SimTime completed_at, const RequestEvent& r) {
  if (r.probe) return;
  const bool error = r.status != RequestStatus::kOk;
  if (std::uint32_t* c = counts_.at(completed_at)) {
    ++c[kTotal];
    if (error) ++c[kErrors];
    if (!r.citations_valid) ++c[kCitationInvalid];
    for (std::size_t i = 0; i < latency_thresholds_.size(); ++i) {
      if (error || r.latency > latency_thresholds_[i]) ++c[kFixedCounters + i];
    }
  }
  if (std::uint32_t* h = latencies_.at(completed_at)) ++h[LatencyBins::bin_of(r.latency)];
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

std::optional<double> Detector::ratio(std::size_t counter, Duration window) const {
  std::vector<std::uint64_t> sums(counts_.stride(), 0);
  counts_.sum(scheduler_.now(), window, sums.data());
  if (sums[kTotal] == 0) return std::nullopt;
  return static_cast<double>(sums[counter]) / static_cast<double>(sums[kTotal]);
}

std::optional<double> Detector::sli_value(Sli sli, Duration window) const {
  switch (sli) {
    case Sli::kP95:
    case Sli::kP99: {
      LatencyCounts counts{};
      latencies_.sum(scheduler_.now(), window, counts.data());
      const Duration q = latency_quantile(counts, sli == Sli::kP95 ? 0.95 : 0.99);
      if (q < 0) return std::nullopt;
      return to_seconds(q);
    }
    case Sli::kErrorRatio:
      return ratio(kErrors, window);
    case Sli::kCitationInvalidRatio:
      return ratio(kCitationInvalid, window);
    case Sli::kRequestRate: {
      std::vector<std::uint64_t> sums(counts_.stride(), 0);
      const Duration covered = counts_.sum(scheduler_.now(), window, sums.data());
      // Early in a run the window reaches back before the start; divide by the elapsed time.
      Duration span = std::min(covered, scheduler_.now());
      if (span <= 0) span = covered;
      return static_cast<double>(sums[kTotal]) / to_seconds(span);
    }
  }
  return std::nullopt;
}

std::optional<double> Detector::sli(const std::string& name, Duration window) const {
  if (name == "latency_p95") return sli_value(Sli::kP95, window);
  if (name == "latency_p99") return sli_value(Sli::kP99, window);
  if (name == "error_ratio") return sli_value(Sli::kErrorRatio, window);
  if (name == "citation_invalid_ratio") return sli_value(Sli::kCitationInvalidRatio, window);
  if (name == "request_rate") return sli_value(Sli::kRequestRate, window);
  return std::nullopt;
}

Detector::Reading Detector::read(const Rule& rule) const {
  Reading out;
  const AlertSpec& a = rule.spec;
  if (!rule.burn) {
    const auto v = sli_value(rule.sli, a.window);
    if (!v || !(*v > a.above)) return out;
    out.holds = true;
    out.value = *v;
    std::string shown, limit;
    switch (rule.sli) {
      case Sli::kP95:
      case Sli::kP99:
        shown = fmt_seconds(*v);
        limit = fmt_seconds(a.above);
        break;
      case Sli::kRequestRate:
        shown = fmt_number(*v, "/s");
        limit = fmt_number(a.above, "/s");
        break;
      default:
        shown = fmt_number(*v * 100, "%");
        limit = fmt_number(a.above * 100, "%");
    }
    out.summary = a.sli + " " + shown + " > " + limit + " over " + compact(a.window);
    return out;
  }
  const double budget = 1.0 - rule.objective;
  const BurnWindow* best = nullptr;
  double best_long = 0, best_short = 0;
  for (const auto& w : a.windows) {
    const auto long_ratio = ratio(rule.bad_counter, w.long_window);
    const auto short_ratio = ratio(rule.bad_counter, w.short_window);
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
      journal_.append(now, AlertFireEvent{rule.spec.name, rule.spec.severity, rd.value, rd.summary});
      for (const auto& fn : on_fire_) fn(rule.spec);
    } else {
      rule.pending = false;
      if (!rule.firing) continue;
      rule.firing = false;
      journal_.append(now, AlertResolveEvent{rule.spec.name});
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
