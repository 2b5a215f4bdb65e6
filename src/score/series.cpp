#include "score/series.hpp"

#include <algorithm>
#include <cmath>

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

  const auto minute_of = [&](SimTime t) {
    const auto m = static_cast<std::size_t>(std::max<SimTime>(t, 0) / kMinute);
    return std::min(m, n - 1);
  };
  for (const auto& e : events) {
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
    const auto sec = std::min(static_cast<std::size_t>(std::max<SimTime>(e.t, 0) / kSecond), seconds - 1);
    if (!total_per_second.empty()) ++total_per_second[sec];
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
  for (std::size_t m = 0; m < n; ++m) {
    out.p50_s[m] = percentile_s(latencies[m], 0.50);
    out.p95_s[m] = percentile_s(latencies[m], 0.95);
  }
  // Burn rate at each minute's end over the trailing window, from prefix sums per second.
  if (!burns.empty()) {
    std::vector<long> total_prefix(seconds + 1, 0);
    for (std::size_t s = 0; s < seconds; ++s) total_prefix[s + 1] = total_prefix[s] + total_per_second[s];
    std::vector<std::vector<long>> bad_prefix(score.run.slos.size());
    for (const auto& b : burns) {
      auto& p = bad_prefix[b.slo];
      if (!p.empty()) continue;
      p.assign(seconds + 1, 0);
      for (std::size_t s = 0; s < seconds; ++s) p[s + 1] = p[s] + bad_per_second[b.slo][s];
    }
    for (const auto& b : burns) {
      BurnSeries& bs = out.burn[b.series];
      const auto window_s = static_cast<std::size_t>(std::max<Duration>(1, (bs.window + kSecond - 1) / kSecond));
      const double budget = 1.0 - score.run.slos[b.slo].objective;
      for (std::size_t m = 0; m < n; ++m) {
        const std::size_t end = std::min((m + 1) * 60, seconds);
        const std::size_t begin = end > window_s ? end - window_s : 0;
        const long total = total_prefix[end] - total_prefix[begin];
        if (total == 0) continue;
        const long bad = bad_prefix[b.slo][end] - bad_prefix[b.slo][begin];
        const double ratio = static_cast<double>(bad) / static_cast<double>(total);
        // A 100 % objective has no budget: show the bad share itself rather than infinity.
        bs.rate[m] = budget > 0 ? ratio / budget : ratio;
      }
    }
  }
  return out;
}

}  // namespace gameday
