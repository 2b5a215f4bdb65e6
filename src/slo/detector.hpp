#pragma once
// Detection: SLIs over trailing windows and the scenario's alert rules, computed only from what
// production can see (completion time, latency, status, citation validity). The truth fields of a
// request (correct, unsafe, unsafe_kind, cause) are never read here.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/model.hpp"
#include "sim/journal.hpp"
#include "sim/scheduler.hpp"
#include "slo/ring.hpp"

namespace gameday {

/// Evaluates a scenario's alert rules over the user requests it is fed. Memory is bounded (two
/// rings of time buckets sized from the longest alert window) and observe() is O(1).
///
/// A window of length w ending now covers [now − w, now) at bucket resolution: 1 s buckets,
/// coarser (whole seconds) only when the longest window exceeds 4096 s for counts or 1024 s for
/// latency percentiles.
///
/// Alert semantics (Prometheus-like): at each evaluation a rule's condition is computed; a rule
/// whose condition holds goes pending and fires once it has held continuously for its
/// `for_duration` (0 = at the first true evaluation); a firing rule resolves at the first
/// evaluation where the condition is false. Fire/resolve events are appended to the journal at
/// evaluation time, then the callbacks run.
///
/// - threshold: condition = sli over `window` > `above` (latency SLIs in seconds). An empty
///   window (no requests) never satisfies the condition.
/// - burn_rate: burn(w) = error_ratio(w) / (1 − objective), where an error is status != ok for
///   an availability SLO, and status != ok or latency > threshold for a latency SLO; condition =
///   any BurnWindow with burn(long) > factor and burn(short) > factor. The reported value is the
///   largest min(burn(long), burn(short)) over the pairs that hold.
class Detector {
 public:
  /// Builds the rules of `scenario` (which need not outlive the detector; `scheduler` and
  /// `journal` must). Throws std::invalid_argument for a rule the detector cannot evaluate: an
  /// unknown type or SLI, a burn_rate rule naming a missing SLO or having no windows, or a
  /// non-positive evaluation interval.
  Detector(const Scenario& scenario, Scheduler& scheduler, Journal& journal);
  Detector(const Detector&) = delete;
  Detector& operator=(const Detector&) = delete;

  /// Feeds one completed user request; probe requests are ignored. Uses only observable fields:
  /// completion time (`completed_at`), latency, status, citations_valid. O(1). Requests older
  /// than the history the detector keeps are dropped.
  void observe(SimTime completed_at, const RequestEvent& r);

  /// Schedules an evaluation every scenario.evaluation_interval, at multiples of it from 0 (or
  /// from the first multiple at or after now) until `end` (exclusive). Call once.
  void start(SimTime end);

  /// Evaluates every rule at the scheduler's current time. start() calls this; exposed for
  /// drivers that evaluate on their own schedule and for tests.
  void evaluate();

  /// Adds a callback run when an alert starts firing (after its journal event is appended).
  void on_fire(std::function<void(const AlertSpec&)> fn);
  /// Adds a callback run when an alert resolves (after its journal event is appended).
  void on_resolve(std::function<void(const AlertSpec&)> fn);

  /// The current value of an SLI over the trailing `window` ending now: "latency_p95" and
  /// "latency_p99" (seconds), "error_ratio" (status != ok), "citation_invalid_ratio" (share of
  /// requests whose citations were invalid), "request_rate" (per second). nullopt for an unknown
  /// name or when the window holds no requests (request_rate is then 0). Windows longer than the
  /// kept history are clamped to it (see history()).
  std::optional<double> sli(const std::string& name, Duration window) const;

  /// Names of the alerts currently firing, in the scenario's rule order.
  std::vector<std::string> firing() const;

  /// Whether `name` is an SLI that sli() and threshold rules understand.
  static bool known_sli(std::string_view name);

  /// The longest window answerable for counting SLIs (error ratios, request rate, burn rates):
  /// at least 1 h and the longest such window of the scenario's rules.
  Duration history() const { return counts_.span(); }
  /// The longest window answerable for latency percentiles: at least 10 min and the longest
  /// latency window of the scenario's rules.
  Duration latency_history() const { return latencies_.span(); }

 private:
  enum class Sli { kP95, kP99, kErrorRatio, kCitationInvalidRatio, kRequestRate };
  struct Rule {
    AlertSpec spec;
    bool burn = false;
    Sli sli = Sli::kErrorRatio;   // threshold rules
    std::size_t bad_counter = 0;  // burn rules: counter index of the SLO's errors
    double objective = 0.99;
    std::string slo_label;        // e.g. "availability 99%"
    bool pending = false;
    bool firing = false;
    SimTime pending_since = 0;
  };
  struct Reading {
    bool holds = false;
    double value = 0;
    std::string summary;
  };

  std::optional<double> sli_value(Sli sli, Duration window) const;
  std::optional<double> ratio(std::size_t counter, Duration window) const;
  Reading read(const Rule& rule) const;
  void schedule(SimTime t, SimTime end);

  Scheduler& scheduler_;
  Journal& journal_;
  Duration interval_;
  std::vector<Rule> rules_;
  std::vector<Duration> latency_thresholds_;  // one extra counter per latency SLO
  BucketRing counts_;     // [total, errors, citation_invalid, latency-SLO errors...]
  BucketRing latencies_;  // LatencyBins::kCount counters
  std::vector<std::function<void(const AlertSpec&)>> on_fire_;
  std::vector<std::function<void(const AlertSpec&)>> on_resolve_;
};

}  // namespace gameday
