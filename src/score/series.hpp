#pragma once
// Per-minute series of a run for charts (report.html): request rate, availability, latency
// percentiles, failed and unsafe answers by kind, each SLO's compliance and each burn-rate
// alert's burn rate. A pure function of the journal, like the Score: the same journal gives the
// same series. A day at 20 requests/s is 1,440 points per series, whatever the request count.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "score/score.hpp"
#include "sim/journal.hpp"

namespace gameday {

/// One SLO's good and total user requests per minute.
struct SloSeries {
  std::string name;
  std::string sli;
  double objective = 0;
  Duration threshold = 0;  ///< latency SLOs: the threshold
  std::vector<long> good;
  std::vector<long> total;
};

/// A burn-rate alert rule's burn rate at the end of each minute: the share of bad user requests
/// in the trailing `window` (the rule's longest short window, rounded up to whole seconds)
/// divided by its SLO's error budget (1 − objective). 1 spends the budget exactly over the SLO
/// period; the rule fires when every row of it is above its factor. nullopt for a minute whose
/// window held no request.
struct BurnSeries {
  std::string alert;
  std::string slo;  ///< the SLO of the rule's kind (the first such SLO of the run)
  Duration window = 0;
  std::vector<std::optional<double>> rate;
};

/// A threshold alert rule's SLI as the rule measured it, at the end of each minute: ratios,
/// request and correction rates, correction counts and probe results over the rule's window
/// (as the detector computes them, from the journal's requests, corrections and probe results);
/// latency percentiles per minute (`per_minute`). nullopt for a minute with nothing to measure.
/// Rules on dependency SLIs (EHR, vendor and embeddings calls) have none: the journal does not
/// keep the assistant's calls.
struct RuleSeries {
  std::string alert;
  std::string sli;   ///< its name ("citation_invalid_ratio", ...)
  Duration window = 0;
  double above = 0;  ///< the rule's threshold, in the SLI's unit
  bool per_minute = false;
  std::vector<std::optional<double>> value;
};

/// A run's user requests bucketed by completion minute: bucket m covers [m, m + 1) minutes from
/// the run start. Probes are counted apart and in no other series.
struct MinuteSeries {
  int minutes = 0;  ///< buckets: the run's end (or planned duration, if longer) in whole minutes
  std::vector<long> requests;
  std::vector<long> ok;
  std::vector<long> failed;
  std::vector<long> unsafe;
  std::vector<long> probes;
  /// Latency of every user request completed in the minute (nearest rank); nullopt without one.
  std::vector<std::optional<double>> p50_s;
  std::vector<std::optional<double>> p95_s;
  /// Failed user requests per status (fallback, error, timeout), only statuses seen.
  std::map<std::string, std::vector<long>> failed_by_status;
  /// Unsafe user requests per unsafe_kind, only kinds seen.
  std::map<std::string, std::vector<long>> unsafe_by_kind;
  std::vector<SloSeries> slos;   ///< in run.slos order
  std::vector<BurnSeries> burn;  ///< burn-rate rules in run.alerts order whose SLO the run has
  std::vector<RuleSeries> rules; ///< threshold rules in run.alerts order, but dependency SLIs
};

/// Buckets `events` (a whole journal, as scored into `score`) per minute.
MinuteSeries minute_series(const std::vector<Event>& events, const Score& score);

/// minute_series() fed one event at a time, for a journal too long to hold: it keeps counts per
/// minute and per second, and each user request's latency until finish().
class MinuteSeriesBuilder {
 public:
  /// For the run `run` (its SLOs and alert rules); add its events after.
  explicit MinuteSeriesBuilder(const RunStartEvent& run);
  ~MinuteSeriesBuilder();
  MinuteSeriesBuilder(const MinuteSeriesBuilder&) = delete;
  MinuteSeriesBuilder& operator=(const MinuteSeriesBuilder&) = delete;
  /// Adds an event of the run (any order; run_start and events it does not chart are ignored).
  void add(const Event& e);
  /// The series, bucketed up to the end of the run as `score` (the same journal's) has it.
  /// Call once.
  MinuteSeries finish(const Score& score);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace gameday
