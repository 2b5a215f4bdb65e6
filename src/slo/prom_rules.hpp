#pragma once
// Prometheus alerting rules for a scenario's alerts, over the metrics gameday exports on
// /metrics in live mode (net/live_metrics.hpp), so a team can page through its own Prometheus
// and Alertmanager in a drill. YAML is written here by hand (the core links no yaml-cpp), every
// string quoted. The metric names and the good/bad classification of a request live here too,
// so the exporter and the rules cannot drift apart.
//
// Metrics (user requests only; golden probes are counted apart):
//   gameday_assistant_requests_total{outcome}      outcome: ok | fallback | error | timeout
//   gameday_assistant_request_duration_seconds     histogram of latency (every outcome)
//   gameday_sli_events_total{sli, good}            one per request and signal (see sli_signals())
//   gameday_slo_events_total{slo, good}            one per request and scenario SLO (by name)
//   gameday_clinician_corrections_total            corrections received
//   gameday_golden_probe_cases_total{result}       result: passed | failed
//   gameday_golden_probe_last_failed               1 when the latest probe failed, else 0
//   gameday_golden_probe_last_timestamp_seconds    Unix time of the latest probe
//   gameday_dependency_calls_total{dependency, vendor, outcome}
//                                                  the assistant's calls to its dependencies:
//                                                  dependency ehr | vendor | embeddings, vendor
//                                                  the vendor id ("" for the EHR), outcome ok |
//                                                  throttled (429) | error (any other failure)
//   gameday_dependency_call_duration_seconds{dependency}
//                                                  histogram of dependency call latency
//
// Dependency SLIs: ehr_error_ratio, vendor_error_ratio and embedding_error_ratio are the share
// of their calls with outcome != "ok", vendor_throttle_ratio the share "throttled" (a `vendor`
// on the alert adds vendor="<id>" to both sides), ehr_latency a histogram_quantile(0.95) of
// the EHR's call durations; dependency SLOs count calls in gameday_slo_events_total.
//
// How each alert becomes PromQL (windows as the detector reads them):
// - threshold on a ratio SLI: bad/all of its signal over `window` > above, e.g. error_ratio =
//   sum(rate(gameday_sli_events_total{sli="availability",good="false"}[2m])) /
//   sum(rate(gameday_sli_events_total{sli="availability"}[2m])) > 0.05;
// - latency_p95/p99: histogram_quantile over the duration histogram (bucket resolution: exact
//   when `above` is a bucket bound);
// - request_rate (per s), correction_rate (per min), correction_count, probe_failure (latest
//   probe failed and is at most `window` old), probe_failure_ratio;
// - burn_rate: for each effective_burn_windows() row, bad/all of gameday_slo_events_total for
//   the SLO over the long and the short window both > factor × (1 − objective); rows or-ed.
// `for` is the alert's for_duration; labels carry severity and scenario.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spec/model.hpp"
#include "sim/journal.hpp"

namespace gameday {

inline constexpr const char* kMetricAssistantRequests = "gameday_assistant_requests_total";
inline constexpr const char* kMetricAssistantDuration = "gameday_assistant_request_duration_seconds";
inline constexpr const char* kMetricSliEvents = "gameday_sli_events_total";
inline constexpr const char* kMetricSloEvents = "gameday_slo_events_total";
inline constexpr const char* kMetricCorrections = "gameday_clinician_corrections_total";
inline constexpr const char* kMetricProbeCases = "gameday_golden_probe_cases_total";
inline constexpr const char* kMetricProbeLastFailed = "gameday_golden_probe_last_failed";
inline constexpr const char* kMetricProbeLastTime = "gameday_golden_probe_last_timestamp_seconds";
inline constexpr const char* kMetricDependencyCalls = "gameday_dependency_calls_total";
inline constexpr const char* kMetricDependencyDuration = "gameday_dependency_call_duration_seconds";

/// The `outcome` label of a dependency call: "ok" (2xx), "throttled" (429) or "error".
std::string_view call_outcome(const DependencyCall& call);

/// Whether `call` counts for dependency SLO `slo` (its dependency, and its vendor when the SLO
/// names one): nullopt when it does not, else whether it is good as the Detector counts it.
std::optional<bool> slo_call_good(const SloSpec& slo, const DependencyCall& call);

/// Bucket upper bounds (seconds) of gameday_dependency_call_duration_seconds.
const std::vector<double>& dependency_latency_buckets();

/// The `sli` label values of gameday_sli_events_total: what one request is good or bad for.
enum class RequestSignal : std::uint8_t {
  kAvailability,      // good: status ok
  kCitationValidity,  // citations valid
  kSchemaValidity,    // schema valid
  kSafety,            // no canary and no PHI pattern in the output
  kRefusal,           // not refused
  kCanary,            // no canary token
  kPhiOutput,         // no PHI pattern in the output
  kPhiLog,            // log lines clean
};

constexpr std::string_view name_of(RequestSignal s) {
  switch (s) {
    case RequestSignal::kAvailability: return "availability";
    case RequestSignal::kCitationValidity: return "citation_validity";
    case RequestSignal::kSchemaValidity: return "schema_validity";
    case RequestSignal::kSafety: return "safety";
    case RequestSignal::kRefusal: return "refusal";
    case RequestSignal::kCanary: return "canary";
    case RequestSignal::kPhiOutput: return "phi_output";
    case RequestSignal::kPhiLog: return "phi_log";
  }
  return {};
}

/// Whether request `r` is good for `signal`. Observable fields only, as the Detector counts them.
bool sli_signal_good(RequestSignal signal, const RequestEvent& r);

/// Whether request `r` is good for `slo` as the Detector's burn-rate rules count it (latency:
/// ok and latency <= threshold).
bool slo_good(const SloSpec& slo, const RequestEvent& r);

/// The signal whose bad share a ratio threshold SLI is (error_ratio -> availability); nullopt
/// when `sli` is not a ratio of request signals.
std::optional<RequestSignal> signal_of_ratio_sli(Sli sli);

/// Bucket upper bounds (seconds) of gameday_assistant_request_duration_seconds.
const std::vector<double>& assistant_latency_buckets();

/// The PromQL condition of `alert` (the rule's `expr`). Throws std::invalid_argument for an
/// alert the detector could not evaluate either (unknown type or SLI, missing SLO, no windows).
std::string prometheus_alert_expr(const AlertSpec& alert, const Scenario& scenario);

/// A Prometheus rule file (`groups:` → one group named "gameday.<scenario>" → `rules:`) with one
/// alerting rule per scenario alert, in order. Throws std::invalid_argument as above.
std::string prometheus_rules_yaml(const Scenario& scenario);

/// A duration in Prometheus syntax with one unit: "90s", "5m", "2h", "1500ms" ("0s" for 0;
/// rounded to the millisecond, at least 1ms when positive).
std::string prometheus_duration(Duration d);

/// A number as PromQL and YAML read it back exactly (shortest round-trip form: "0.05", "14.4").
std::string prometheus_number(double v);

/// `s` as a quoted YAML scalar: single-quoted when it is printable on one line, else
/// double-quoted with escapes. Safe for any input (reserved words, ':', '#', quotes).
std::string yaml_quote(std::string_view s);

/// `s` as a PromQL string literal (double quotes, backslash escapes).
std::string promql_string(std::string_view s);

}  // namespace gameday
