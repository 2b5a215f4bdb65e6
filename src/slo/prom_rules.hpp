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
