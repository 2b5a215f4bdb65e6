#pragma once
// Detection: SLIs over trailing windows and the scenario's alert rules, computed only from what
// production can see: completion time, latency, status, citation and schema validity, refusals,
// canary tokens and PHI patterns in outputs, clinician corrections, golden-probe results. The
// truth fields of a request (correct, unsafe, unsafe_kind, grounded, injection_*, phi_to_vendor,
// phi_in_logs, root_cause, faults, cause) are never read here.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "spec/model.hpp"
#include "sim/journal.hpp"
#include "sim/scheduler.hpp"
#include "slo/ring.hpp"

namespace gameday {

/// Evaluates a scenario's alert rules over the signals it is fed. Memory is bounded (rings of
/// time buckets sized from the longest alert window) and every observe call is O(1).
///
/// A window of length w ending now covers [now − w, now) at bucket resolution. Counting SLIs use
/// 1 s buckets for windows up to 4096 s; when a rule needs a longer window a second, coarser
/// ring (whole seconds, at most 4096 buckets) answers the windows longer than that, so a short
/// burn-rate window stays exact next to a days-long one. Latency percentiles use one ring of at
/// most 1024 buckets (1 s while the longest latency window is at most 1024 s). A window shorter
/// than a bucket is read as one bucket.
///
/// Alert semantics (Prometheus-like): at each evaluation a rule's condition is computed; a rule
/// whose condition holds goes pending and fires once it has held continuously for its
/// `for_duration` (0 = at the first true evaluation); a firing rule resolves at the first
/// evaluation where the condition is false. Fire/resolve events are appended to the journal at
/// evaluation time, then the callbacks run.
///
/// - threshold: condition = sli over `window` > `above` (see sli() for units). An SLI with no
///   value (no requests, or no probe, in the window) never satisfies the condition, so
///   `above: 0` on canary_ratio pages on the first output carrying a canary.
/// - burn_rate: the rule's rows are effective_burn_windows() (preset rows, then explicit
///   windows, all multiplied by `scale`). burn(w) = bad_ratio(w) / (1 − objective), where bad
///   depends on the SLO's sli (see slo_kinds()); condition = any row with burn(long) > factor and
///   burn(short) > factor. The reported value is the largest min(burn(long), burn(short)) over
///   the rows that hold.
class Detector {
 public:
  /// Builds the rules of `scenario` (which need not outlive the detector; `scheduler` and
  /// `journal` must). Throws std::invalid_argument for a rule the detector cannot evaluate: an
  /// unknown type or SLI, an SLO of unknown kind, a burn_rate rule naming a missing SLO, having
  /// no rows, an unknown preset or a non-positive scale, or a non-positive evaluation interval.
  Detector(const Scenario& scenario, Scheduler& scheduler, Journal& journal);
  Detector(const Detector&) = delete;
  Detector& operator=(const Detector&) = delete;

  /// Feeds one completed user request; probe requests are ignored. Uses only observable fields:
  /// completion time (`completed_at`), latency, status, citations_valid, schema_valid, refused,
  /// canary_seen, phi_detected (counted as reported, whatever the status). O(1). Requests older
  /// than the history the detector keeps are dropped.
  void observe(SimTime completed_at, const RequestEvent& r) { observe(completed_at, r, r.calls); }
  /// observe() with the request's dependency calls given apart from its event (the engine
  /// counts them from the answer, before the event's own copy of them is filled in).
  void observe(SimTime completed_at, const RequestEvent& r, const std::vector<DependencyCall>& calls);

  /// Feeds one clinician correction (a served answer reported as wrong) received at `t`. O(1).
  void observe_correction(SimTime t);

  /// Feeds one scheduled golden-set probe result finished at `t`: whether the run passed its
  /// threshold, and how many of its cases passed. O(1).
  void observe_probe(SimTime t, bool ok, int passed, int total);

  /// Convenience dispatcher for a journal observer: a RequestEvent goes to observe(), a
  /// CorrectionEvent to observe_correction() and a GoldenResultEvent with by == "probe" to
  /// observe_probe(), at the event's time; anything else is ignored. Use either this or the
  /// direct calls for a given event, not both.
  void observe_event(const Event& e);

  /// Schedules an evaluation every scenario.evaluation_interval, at multiples of it from 0 (or
  /// from the first multiple at or after now) until `end` (exclusive). Call once.
  void start(SimTime end);

  /// Evaluates every rule at the scheduler's current time. start() calls this; exposed for
  /// drivers that evaluate on their own schedule and for tests.
  void evaluate();

  /// Adds a callback run when an alert starts firing (after its journal event is appended).
  void on_fire(std::function<void(const AlertSpec&)> fn);
  /// Asks `grouped` (before journaling each firing) whether the firing is grouped with an
  /// earlier page; its alert_fire event then says so. Unset: no firing is grouped.
  void set_grouping(std::function<bool(const AlertSpec&)> grouped) { grouped_ = std::move(grouped); }
  /// Adds a callback run when an alert resolves (after its journal event is appended).
  void on_resolve(std::function<void(const AlertSpec&)> fn);

  /// The current value of an SLI over the trailing `window` ending now:
  /// - "latency_p95", "latency_p99": seconds;
  /// - shares of user requests: "error_ratio" (status != ok), "citation_invalid_ratio",
  ///   "schema_invalid_ratio", "canary_ratio" (output holds a canary token), "phi_output_ratio"
  ///   (output matches a PHI pattern), "refusal_ratio";
  /// - "request_rate": user requests per second (early in a run, over the elapsed time);
  ///   "correction_rate": clinician corrections per minute over the whole window;
  ///   "correction_count": corrections in the window (these three are 0, not nullopt, when
  ///   nothing arrived);
  /// - "probe_failure": 1 when the latest golden probe at most `window` old failed, 0 when it
  ///   passed; "probe_failure_ratio": failed probe cases / probe cases in the window.
  /// nullopt for an unknown name, or when the window holds no requests (no probe for the probe
  /// SLIs). Windows longer than the kept history are clamped to it (see history()).
  ///
  /// Dependency SLIs read the dependency calls each request carries (RequestEvent::calls),
  /// counted when the request completes: "ehr_error_ratio" (EHR calls not answered 2xx, the
  /// assistant's timeouts included), "ehr_latency" (p95 of EHR call latency, seconds),
  /// "vendor_error_ratio" (chat calls not answered 2xx), "vendor_throttle_ratio" (chat calls
  /// answered 429), "embedding_error_ratio" (embeddings calls not answered 2xx); nullopt when
  /// the window holds no such call. `vendor` narrows the vendor SLIs to one vendor id ("" =
  /// every vendor; ignored by the others); the detector keeps per-vendor counts for the first
  /// kVendorSlots vendor ids it meets (those its rules name first), nullopt for any other.
  std::optional<double> sli(Sli sli, Duration window, std::string_view vendor = {}) const;

  /// How many vendors the detector counts one by one.
  static constexpr std::size_t kVendorSlots = kMaxVendorFilterVendors;

  /// Names of the alerts currently firing, in the scenario's rule order.
  std::vector<std::string> firing() const;

  /// The longest window answerable for counting SLIs (ratios, rates, burn rates): at least 1 h
  /// and the longest such window of the scenario's rules (after scaling).
  Duration history() const { return coarse_ ? coarse_->span() : fine_.span(); }
  /// The longest window answerable for latency percentiles: at least 10 min and the longest
  /// latency window of the scenario's rules.
  Duration latency_history() const { return latencies_.span(); }

 private:
  struct Rule {
    AlertSpec spec;
    bool burn = false;
    Sli sli = Sli::kErrorRatio;    // threshold rules
    std::vector<BurnWindow> rows;  // burn rules: effective (scaled) windows
    std::size_t bad_counter = 0;   // burn rules: counter index of the SLO's bad requests
    std::size_t total_counter = 0; // burn rules: counter index of what the SLO counts
    double objective = 0.99;
    std::string slo_label;         // e.g. "availability 99%"
    bool pending = false;
    bool firing = false;
    SimTime pending_since = 0;
  };
  struct Reading {
    bool holds = false;
    double value = 0;
    std::string summary;
  };

  std::optional<double> sli_value(Sli sli, Duration window, std::string_view vendor) const;
  std::optional<double> dependency_sli(Sli sli, Duration window, std::string_view vendor) const;
  // The slot of `vendor` (assigning the next free one when `assign`); nullopt when it has none.
  std::optional<std::size_t> vendor_slot(std::string_view vendor) const;
  std::optional<std::size_t> vendor_slot(std::string_view vendor, bool assign);
  // Counts one request's dependency calls into the count buckets `c`.
  void count_calls(std::uint32_t* c, const std::vector<DependencyCall>& calls);
  // The (bad, total) counters of an SLO (latency kinds: its own bad counter, `own`).
  std::pair<std::size_t, std::size_t> slo_counters(const SloSpec& slo, std::size_t own);
  std::optional<double> ratio(std::size_t counter, std::size_t total, Duration window) const;
  std::optional<double> rate(std::size_t counter, Duration window, Duration per,
                             bool elapsed_only) const;
  // Sums the counters `idx` over the window from the finest ring that covers it.
  Duration sum_counts(Duration window, const std::size_t* idx, std::size_t n,
                      std::uint64_t* out) const;
  void bump(SimTime t, std::size_t counter, std::uint32_t by = 1);
  Reading read(const Rule& rule) const;
  std::string threshold_summary(const Rule& rule, double v) const;
  void schedule(SimTime t, SimTime end);

  Scheduler& scheduler_;
  Journal& journal_;
  Duration interval_;
  std::vector<Rule> rules_;
  std::vector<Duration> latency_thresholds_;  // one extra counter per latency SLO
  // Counter layout: see detector.cpp (kTotal ...), then one counter per latency SLO.
  BucketRing fine_;                   // 1 s buckets
  std::optional<BucketRing> coarse_;  // only when a window exceeds fine_limit_
  Duration fine_limit_;               // longest window fine_ answers
  BucketRing latencies_;              // LatencyBins::kCount counters
  BucketRing ehr_latencies_;          // LatencyBins::kCount counters, of EHR calls
  std::vector<Duration> ehr_latency_thresholds_;  // one extra counter per ehr_latency SLO
  std::vector<std::string> vendor_slots_;         // vendor ids counted one by one, in slot order
  std::optional<SimTime> probe_at_;   // latest golden probe
  bool probe_ok_ = true;
  int probe_passed_ = 0;
  int probe_total_ = 0;
  std::vector<std::function<void(const AlertSpec&)>> on_fire_;
  std::vector<std::function<void(const AlertSpec&)>> on_resolve_;
  std::function<bool(const AlertSpec&)> grouped_;
};

}  // namespace gameday
