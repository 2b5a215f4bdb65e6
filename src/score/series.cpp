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

MinuteSeries minute_series(const std::vector<Event>& events, const Score& score) {
  MinuteSeries out;
  const SimTime span = std::max<SimTime>(score.end, score.run.duration);
  out.minutes = std::max<int>(1, static_cast<int>((span + kMinute - 1) / kMinute));
  const auto n = static_cast<std::size_t>(out.minutes);
  const auto seconds = static_cast<std::size_t>((span + kSecond - 1) / kSecond) + 1;
  out.requests.assign(n, 0);
  out.ok.assign(n, 0);
  out.failed.assign(n, 0);
  out.unsafe.assign(n, 0);
  out.probes.assign(n, 0);
  for (const auto& slo : score.run.slos) {
    out.slos.push_back(SloSeries{slo.name, slo.sli, slo.objective, slo.threshold,
                                 std::vector<long>(n, 0), std::vector<long>(n, 0)});
  }
  // Burn-rate rules: bad and total user requests per second of their SLO, summed over windows.
  struct Burn {
    std::size_t slo = 0;
    std::size_t series = 0;
  };
  std::vector<Burn> burns;
  for (const auto& rule : score.run.alerts) {
    if (rule.slo_kind.empty()) continue;
    for (std::size_t i = 0; i < score.run.slos.size(); ++i) {
      if (score.run.slos[i].sli != rule.slo_kind) continue;
      burns.push_back(Burn{i, out.burn.size()});
      out.burn.push_back(BurnSeries{rule.name, score.run.slos[i].name, rule.window,
                                    std::vector<std::optional<double>>(n)});
      break;
    }
  }
  std::vector<std::vector<long>> bad_per_second(score.run.slos.size());
  std::vector<long> total_per_second;
  if (!burns.empty()) {
    total_per_second.assign(seconds, 0);
    for (const auto& b : burns) bad_per_second[b.slo].assign(seconds, 0);
  }
  std::vector<std::vector<Duration>> latencies(n);

  // Threshold rules: what each needs counted per second.
  std::vector<RuleAcc> rules;
  std::vector<std::pair<SimTime, bool>> probe_results;  // golden results by the probes
  for (const auto& rule : score.run.alerts) {
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
    const bool per_minute = *sli == Sli::kLatencyP95 || *sli == Sli::kLatencyP99;
    out.rules.push_back(RuleSeries{rule.name, rule.sli, rule.window, rule.above, per_minute,
                                   std::vector<std::optional<double>>(n)});
    RuleAcc acc;
    acc.sli = *sli;
    acc.series = out.rules.size() - 1;
    acc.num.assign(seconds, 0);
    acc.den.assign(seconds, 0);
    rules.push_back(std::move(acc));
  }

  const auto minute_of = [&](SimTime t) {
    const auto m = static_cast<std::size_t>(std::max<SimTime>(t, 0) / kMinute);
    return std::min(m, n - 1);
  };
  const auto second_of = [&](SimTime t) {
    return std::min(static_cast<std::size_t>(std::max<SimTime>(t, 0) / kSecond), seconds - 1);
  };
  for (const auto& e : events) {
    if (const auto* c = std::get_if<CorrectionEvent>(&e.body); c != nullptr) {
      for (auto& acc : rules) {
        if (acc.sli == Sli::kCorrectionRate || acc.sli == Sli::kCorrectionCount) ++acc.num[second_of(e.t)];
      }
      continue;
    }
    if (const auto* g = std::get_if<GoldenResultEvent>(&e.body); g != nullptr) {
      if (g->by != "probe") continue;
      probe_results.emplace_back(e.t, g->ok);
      for (auto& acc : rules) {
        if (acc.sli != Sli::kProbeFailureRatio) continue;
        const int cases = std::max(g->total, 0);
        acc.num[second_of(e.t)] += std::clamp(g->total - g->passed, 0, cases);
        acc.den[second_of(e.t)] += cases;
      }
      continue;
    }
    const auto* r = std::get_if<RequestEvent>(&e.body);
    if (r == nullptr) continue;
    const std::size_t m = minute_of(e.t);
    if (r->probe) {
      ++out.probes[m];
      continue;
    }
    ++out.requests[m];
    latencies[m].push_back(r->latency);
    if (r->status == RequestStatus::kOk) {
      ++out.ok[m];
    } else {
      ++out.failed[m];
      auto& v = out.failed_by_status[to_string(r->status)];
      if (v.empty()) v.assign(n, 0);
      ++v[m];
    }
    if (r->unsafe) {
      ++out.unsafe[m];
      auto& v = out.unsafe_by_kind[r->unsafe_kind.empty() ? "unspecified" : r->unsafe_kind];
      if (v.empty()) v.assign(n, 0);
      ++v[m];
    }
    const auto sec = second_of(e.t);
    if (!total_per_second.empty()) ++total_per_second[sec];
    for (auto& acc : rules) {
      if (is_request_ratio(acc.sli)) {
        ++acc.den[sec];
        if (ratio_hit(acc.sli, *r)) ++acc.num[sec];
      } else if (acc.sli == Sli::kRequestRate) {
        ++acc.num[sec];
      }
    }
    for (std::size_t i = 0; i < score.run.slos.size(); ++i) {
      const bool good = slo_request_good(score.run.slos[i], *r);
      ++out.slos[i].total[m];
      if (good) {
        ++out.slos[i].good[m];
      } else if (!bad_per_second[i].empty()) {
        ++bad_per_second[i][sec];
      }
    }
  }
  out.p50_s.resize(n);
  out.p95_s.resize(n);
  std::vector<std::optional<double>> p99(n);
  for (std::size_t m = 0; m < n; ++m) {
    out.p50_s[m] = percentile_s(latencies[m], 0.50);
    out.p95_s[m] = percentile_s(latencies[m], 0.95);
    p99[m] = percentile_s(latencies[m], 0.99);
  }
  // Threshold rules at each minute's end over their window (whole seconds, at least one).
  for (const auto& acc : rules) {
    RuleSeries& rs = out.rules[acc.series];
    if (acc.sli == Sli::kLatencyP95) { rs.value = out.p95_s; continue; }
    if (acc.sli == Sli::kLatencyP99) { rs.value = p99; continue; }
    const auto num = prefix_of(acc.num);
    const auto den = prefix_of(acc.den);
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
    const std::vector<long> total_prefix = prefix_of(total_per_second);
    std::vector<std::vector<long>> bad_prefix(score.run.slos.size());
    for (const auto& b : burns) {
      if (bad_prefix[b.slo].empty()) bad_prefix[b.slo] = prefix_of(bad_per_second[b.slo]);
    }
    for (const auto& b : burns) {
      BurnSeries& bs = out.burn[b.series];
      const auto window_s = static_cast<std::size_t>(std::max<Duration>(1, (bs.window + kSecond - 1) / kSecond));
      const double budget = 1.0 - score.run.slos[b.slo].objective;
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

}  // namespace gameday
