#include "score/series.hpp"

#include <algorithm>
#include <cmath>

#include "spec/names.hpp"
#include "spec/slo.hpp"

namespace gameday {
namespace {

/// Nearest-rank percentile of `v` (sorted in place as needed), in seconds.
std::optional<double> percentile_s(std::vector<Duration>& v, double p) {
  if (v.empty()) return std::nullopt;
  auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size())));
  if (rank == 0) rank = 1;
  const auto nth = v.begin() + static_cast<std::ptrdiff_t>(rank - 1);
  std::nth_element(v.begin(), nth, v.end());
  return static_cast<double>(*nth) / static_cast<double>(kSecond);
}

/// Whether a request counts toward the numerator of a ratio SLI over user requests.
bool ratio_hit(Sli sli, const RequestEvent& r) {
  switch (sli) {
    case Sli::kErrorRatio: return r.status != RequestStatus::kOk;
    case Sli::kCitationInvalidRatio: return !r.citations_valid;
    case Sli::kSchemaInvalidRatio: return !r.schema_valid;
    case Sli::kCanaryRatio: return r.canary_seen;
    case Sli::kPhiOutputRatio: return r.phi_detected;
    case Sli::kRefusalRatio: return r.refused;
    case Sli::kPhiLogRatio: return r.phi_in_logs;
    default: return false;
  }
}

bool is_request_ratio(Sli sli) {
  switch (sli) {
    case Sli::kErrorRatio: case Sli::kCitationInvalidRatio: case Sli::kSchemaInvalidRatio:
    case Sli::kCanaryRatio: case Sli::kPhiOutputRatio: case Sli::kRefusalRatio: case Sli::kPhiLogRatio:
      return true;
    default:
      return false;
  }
}

/// A threshold rule being measured: per-second numerator and denominator counts.
struct RuleAcc {
  Sli sli = Sli::kErrorRatio;
  std::size_t series = 0;
  std::vector<long> num;
  std::vector<long> den;
};

/// Sum of v[begin, end) from its prefix sums.
long window_sum(const std::vector<long>& prefix, std::size_t begin, std::size_t end) {
  return prefix[end] - prefix[begin];
}

std::vector<long> prefix_of(const std::vector<long>& v) {
  std::vector<long> p(v.size() + 1, 0);
  for (std::size_t i = 0; i < v.size(); ++i) p[i + 1] = p[i] + v[i];
  return p;
}

}  // namespace

struct MinuteSeriesBuilder::State {
  RunStartEvent run;
  // Per minute (index = whole minutes from the start), grown as events come; the run's span is
  // known at finish(), where anything past it folds into its last minute.
  std::vector<long> requests, ok, failed, unsafe, probes;
  std::map<std::string, std::vector<long>> failed_by_status;
  std::map<std::string, std::vector<long>> unsafe_by_kind;
  std::vector<std::vector<long>> slo_good, slo_total;  // per SLO, per minute
  std::vector<std::vector<Duration>> latencies;        // per minute
  // Per second: burn-rate rules' bad and total user requests, threshold rules' counts.
  struct Burn {
    std::size_t slo = 0;
    std::string alert;
    Duration window = 0;
  };
  std::vector<Burn> burns;
  std::vector<std::vector<long>> bad_per_second;  // per SLO (only those a burn rule reads)
  std::vector<char> burned;                        // per SLO: whether a burn rule reads it
  std::vector<long> total_per_second;
  struct Rule {
    std::size_t alert = 0;  // index into run.alerts
    RuleAcc acc;
  };
  std::vector<Rule> rules;
  std::vector<std::pair<SimTime, bool>> probe_results;  // golden results by the probes

  template <class T>
  static T& at(std::vector<T>& v, std::size_t i) {
    if (v.size() <= i) v.resize(i + 1);
    return v[i];
  }

  explicit State(const RunStartEvent& r) : run(r) {
    slo_good.resize(run.slos.size());
    slo_total.resize(run.slos.size());
    bad_per_second.resize(run.slos.size());
    burned.assign(run.slos.size(), 0);
    for (const auto& rule : run.alerts) {
      if (rule.slo_kind.empty()) continue;
      for (std::size_t i = 0; i < run.slos.size(); ++i) {
        if (run.slos[i].sli != rule.slo_kind) continue;
        burns.push_back(Burn{i, rule.name, rule.window});
        burned[i] = 1;
        break;
      }
    }
    for (std::size_t a = 0; a < run.alerts.size(); ++a) {
      const auto& rule = run.alerts[a];
      if (!rule.slo_kind.empty() || rule.sli.empty()) continue;
      const auto sli = parse_name<Sli>(rule.sli);
      if (!sli) continue;
      switch (*sli) {
        case Sli::kEhrErrorRatio: case Sli::kEhrLatency: case Sli::kVendorErrorRatio:
        case Sli::kVendorThrottleRatio: case Sli::kEmbeddingErrorRatio:
          continue;  // dependency calls are not in the journal
        default:
          break;
      }
      Rule made;
      made.alert = a;
      made.acc.sli = *sli;
      rules.push_back(std::move(made));
    }
  }

  static std::size_t minute_of(SimTime t) { return static_cast<std::size_t>(std::max<SimTime>(t, 0) / kMinute); }
  static std::size_t second_of(SimTime t) { return static_cast<std::size_t>(std::max<SimTime>(t, 0) / kSecond); }

  void add(const Event& e) {
    if (const auto* c = std::get_if<CorrectionEvent>(&e.body); c != nullptr) {
      for (auto& r : rules) {
        if (r.acc.sli == Sli::kCorrectionRate || r.acc.sli == Sli::kCorrectionCount) ++at(r.acc.num, second_of(e.t));
      }
      return;
    }
    if (const auto* g = std::get_if<GoldenResultEvent>(&e.body); g != nullptr) {
      if (g->by != "probe") return;
      probe_results.emplace_back(e.t, g->ok);
      for (auto& r : rules) {
        if (r.acc.sli != Sli::kProbeFailureRatio) continue;
        const int cases = std::max(g->total, 0);
        at(r.acc.num, second_of(e.t)) += std::clamp(g->total - g->passed, 0, cases);
        at(r.acc.den, second_of(e.t)) += cases;
      }
      return;
    }
    const auto* r = std::get_if<RequestEvent>(&e.body);
    if (r == nullptr) return;
    const std::size_t m = minute_of(e.t);
    if (r->probe) {
      ++at(probes, m);
      return;
    }
    ++at(requests, m);
    at(latencies, m).push_back(r->latency);
    if (r->status == RequestStatus::kOk) {
      ++at(ok, m);
    } else {
      ++at(failed, m);
      ++at(failed_by_status[to_string(r->status)], m);
    }
    if (r->unsafe) {
      ++at(unsafe, m);
      ++at(unsafe_by_kind[r->unsafe_kind.empty() ? "unspecified" : r->unsafe_kind], m);
    }
    const auto sec = second_of(e.t);
    if (!burns.empty()) ++at(total_per_second, sec);
    for (auto& rule : rules) {
      if (is_request_ratio(rule.acc.sli)) {
        ++at(rule.acc.den, sec);
        if (ratio_hit(rule.acc.sli, *r)) ++at(rule.acc.num, sec);
      } else if (rule.acc.sli == Sli::kRequestRate) {
        ++at(rule.acc.num, sec);
      }
    }
    for (std::size_t i = 0; i < run.slos.size(); ++i) {
      const bool good = slo_request_good(run.slos[i], *r);
      ++at(slo_total[i], m);
      if (good) {
        ++at(slo_good[i], m);
      } else if (burned[i]) {
        ++at(bad_per_second[i], sec);
      }
    }
  }

  // `raw` resized to `n` entries, anything at or past the last folded into it.
  static std::vector<long> fold(std::vector<long>&& raw, std::size_t n) {
    if (raw.size() > n) {
      long tail = 0;
      for (std::size_t i = n - 1; i < raw.size(); ++i) tail += raw[i];
      raw.resize(n);
      raw[n - 1] = tail;
    }
    raw.resize(n, 0);
    return std::move(raw);
  }

  MinuteSeries finish(const Score& score) {
    MinuteSeries out;
    const SimTime span = std::max<SimTime>(score.end, score.run.duration);
    out.minutes = std::max<int>(1, static_cast<int>((span + kMinute - 1) / kMinute));
    const auto n = static_cast<std::size_t>(out.minutes);
    const auto seconds = static_cast<std::size_t>((span + kSecond - 1) / kSecond) + 1;
    out.requests = fold(std::move(requests), n);
    out.ok = fold(std::move(ok), n);
    out.failed = fold(std::move(failed), n);
    out.unsafe = fold(std::move(unsafe), n);
    out.probes = fold(std::move(probes), n);
    for (auto& [status, v] : failed_by_status) out.failed_by_status[status] = fold(std::move(v), n);
    for (auto& [kind, v] : unsafe_by_kind) out.unsafe_by_kind[kind] = fold(std::move(v), n);
    for (std::size_t i = 0; i < run.slos.size(); ++i) {
      const SloRecord& slo = run.slos[i];
      out.slos.push_back(SloSeries{slo.name, slo.sli, slo.objective, slo.threshold,
                                   fold(std::move(slo_good[i]), n), fold(std::move(slo_total[i]), n)});
    }
    if (latencies.size() > n) {
      for (std::size_t i = n; i < latencies.size(); ++i) {
        latencies[n - 1].insert(latencies[n - 1].end(), latencies[i].begin(), latencies[i].end());
      }
    }
    latencies.resize(n);
    out.p50_s.resize(n);
    out.p95_s.resize(n);
    std::vector<std::optional<double>> p99(n);
    for (std::size_t m = 0; m < n; ++m) {
      out.p50_s[m] = percentile_s(latencies[m], 0.50);
      out.p95_s[m] = percentile_s(latencies[m], 0.95);
      p99[m] = percentile_s(latencies[m], 0.99);
    }
    // Threshold rules at each minute's end over their window (whole seconds, at least one).
    for (auto& rule : rules) {
      const AlertRuleRecord& a = run.alerts[rule.alert];
      const bool per_minute = rule.acc.sli == Sli::kLatencyP95 || rule.acc.sli == Sli::kLatencyP99;
      out.rules.push_back(RuleSeries{a.name, a.sli, a.window, a.above, per_minute,
                                     std::vector<std::optional<double>>(n)});
      RuleSeries& rs = out.rules.back();
      const RuleAcc& acc = rule.acc;
      if (acc.sli == Sli::kLatencyP95) { rs.value = out.p95_s; continue; }
      if (acc.sli == Sli::kLatencyP99) { rs.value = p99; continue; }
      const auto num = prefix_of(fold(std::move(rule.acc.num), seconds));
      const auto den = prefix_of(fold(std::move(rule.acc.den), seconds));
      const auto window_s = static_cast<std::size_t>(std::max<Duration>(1, (rs.window + kSecond - 1) / kSecond));
      std::size_t next_probe = 0;
      std::optional<std::pair<SimTime, bool>> latest_probe;
      for (std::size_t m = 0; m < n; ++m) {
        const std::size_t end = std::min((m + 1) * 60, seconds);
        const std::size_t begin = end > window_s ? end - window_s : 0;
        const long hits = window_sum(num, begin, end);
        switch (acc.sli) {
          case Sli::kRequestRate:
            rs.value[m] = static_cast<double>(hits) / static_cast<double>(window_s);
            break;
          case Sli::kCorrectionRate:
            rs.value[m] = static_cast<double>(hits) / (static_cast<double>(window_s) / 60.0);
            break;
          case Sli::kCorrectionCount:
            rs.value[m] = static_cast<double>(hits);
            break;
          case Sli::kProbeFailure: {
            const SimTime minute_end = static_cast<SimTime>(m + 1) * kMinute;
            while (next_probe < probe_results.size() && probe_results[next_probe].first < minute_end) {
              latest_probe = probe_results[next_probe++];
            }
            if (latest_probe && minute_end - latest_probe->first <= rs.window) {
              rs.value[m] = latest_probe->second ? 0.0 : 1.0;
            }
            break;
          }
          default: {
            const long total = window_sum(den, begin, end);
            if (total > 0) rs.value[m] = static_cast<double>(hits) / static_cast<double>(total);
          }
        }
      }
    }
    // Burn rate at each minute's end over the trailing window, from prefix sums per second.
    if (!burns.empty()) {
      const std::vector<long> total_prefix = prefix_of(fold(std::move(total_per_second), seconds));
      std::vector<std::vector<long>> bad_prefix(run.slos.size());
      for (const auto& b : burns) {
        if (bad_prefix[b.slo].empty()) bad_prefix[b.slo] = prefix_of(fold(std::move(bad_per_second[b.slo]), seconds));
      }
      for (const auto& b : burns) {
        out.burn.push_back(BurnSeries{b.alert, run.slos[b.slo].name, b.window, std::vector<std::optional<double>>(n)});
        BurnSeries& bs = out.burn.back();
        const auto window_s = static_cast<std::size_t>(std::max<Duration>(1, (bs.window + kSecond - 1) / kSecond));
        const double budget = 1.0 - run.slos[b.slo].objective;
        for (std::size_t m = 0; m < n; ++m) {
          const std::size_t end = std::min((m + 1) * 60, seconds);
          const std::size_t begin = end > window_s ? end - window_s : 0;
          const long total = window_sum(total_prefix, begin, end);
          if (total == 0) continue;
          const long bad = window_sum(bad_prefix[b.slo], begin, end);
          const double ratio = static_cast<double>(bad) / static_cast<double>(total);
          // A 100 % objective has no budget: show the bad share itself rather than infinity.
          bs.rate[m] = budget > 0 ? ratio / budget : ratio;
        }
      }
    }
    return out;
  }
};

MinuteSeriesBuilder::MinuteSeriesBuilder(const RunStartEvent& run) : state_(std::make_unique<State>(run)) {}
MinuteSeriesBuilder::~MinuteSeriesBuilder() = default;
void MinuteSeriesBuilder::add(const Event& e) { state_->add(e); }
MinuteSeries MinuteSeriesBuilder::finish(const Score& score) { return state_->finish(score); }

MinuteSeries minute_series(const std::vector<Event>& events, const Score& score) {
  MinuteSeriesBuilder builder(score.run);
  for (const auto& e : events) builder.add(e);
  return builder.finish(score);
}

}  // namespace gameday
