#pragma once
// How production watches the assistant: SLO kinds, the SLIs alert rules and playbook conditions
// read, alert types and burn-rate presets (closed vocabularies, see spec/names.hpp), and the
// SLO and alert specs of a scenario.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/time.hpp"
#include "spec/names.hpp"
#include "spec/source.hpp"

namespace gameday {

/// How many vendors the detector counts one by one for vendor-filtered SLIs (`vendor:` on an
/// alert, SLO or condition). A scenario whose fakes define more vendors cannot filter by vendor
/// (the loader says so).
inline constexpr std::size_t kMaxVendorFilterVendors = 4;

/// What a good request is for an SLO (every kind counts all user requests, judged on the
/// fields production observes).
enum class SloKind : std::uint8_t {
  kAvailability,      // status ok
  kLatency,           // ok and no slower than the SLO's threshold
  kCitationValidity,  // citations valid
  kSchemaValidity,    // schema valid
  kSafety,            // no canary token and no PHI pattern in the output
  kRefusal,           // not refused
  // Dependency SLOs count the assistant's calls to a dependency instead of user requests.
  kEhrAvailability,        // EHR calls answered 2xx
  kEhrLatency,             // EHR calls answered 2xx no slower than the SLO's threshold
  kVendorAvailability,     // chat calls to a vendor answered 2xx (optionally one vendor)
  kVendorThrottle,         // chat calls to a vendor not answered 429 (optionally one vendor)
  kEmbeddingAvailability,  // embeddings calls answered 2xx (optionally one vendor)
};

constexpr std::string_view name_of(SloKind k) {
  switch (k) {
    case SloKind::kAvailability: return "availability";
    case SloKind::kLatency: return "latency";
    case SloKind::kCitationValidity: return "citation_validity";
    case SloKind::kSchemaValidity: return "schema_validity";
    case SloKind::kSafety: return "safety";
    case SloKind::kRefusal: return "refusal";
    case SloKind::kEhrAvailability: return "ehr_availability";
    case SloKind::kEhrLatency: return "ehr_latency";
    case SloKind::kVendorAvailability: return "vendor_availability";
    case SloKind::kVendorThrottle: return "vendor_throttle";
    case SloKind::kEmbeddingAvailability: return "embedding_availability";
  }
  return {};
}

/// Whether SLOs of kind `k` count calls to a model vendor (and may name one with `vendor`).
constexpr bool is_vendor_slo(SloKind k) {
  return k == SloKind::kVendorAvailability || k == SloKind::kVendorThrottle ||
         k == SloKind::kEmbeddingAvailability;
}

/// Whether SLOs of kind `k` count dependency calls rather than user requests.
constexpr bool is_dependency_slo(SloKind k) {
  return k == SloKind::kEhrAvailability || k == SloKind::kEhrLatency || is_vendor_slo(k);
}

/// Whether SLOs of kind `k` have a latency threshold.
constexpr bool has_threshold(SloKind k) { return k == SloKind::kLatency || k == SloKind::kEhrLatency; }

/// A service-level indicator the detector computes over a trailing window.
enum class Sli : std::uint8_t {
  kLatencyP95,            // seconds
  kLatencyP99,            // seconds
  kErrorRatio,            // share of user requests not ok
  kCitationInvalidRatio,  // share with invalid (or no) citations
  kSchemaInvalidRatio,    // share whose JSON output broke its schema
  kCanaryRatio,           // share whose output holds a canary token
  kPhiOutputRatio,        // share whose output matches a PHI pattern
  kRefusalRatio,          // share refused
  kRequestRate,           // user requests per second
  kCorrectionRate,        // clinician corrections per minute
  kCorrectionCount,       // clinician corrections
  kProbeFailure,          // 1 when the latest golden probe failed, 0 when it passed
  kProbeFailureRatio,     // failed probe cases / probe cases
  kPhiLogRatio,           // share whose log lines a DLP scan flags
  // Dependency SLIs: the assistant's calls to its dependencies (client spans), not user outcomes.
  kEhrErrorRatio,        // share of EHR calls not answered 2xx (timeouts included)
  kEhrLatency,           // p95 of EHR call latency, seconds
  kVendorErrorRatio,     // share of chat calls not answered 2xx (429s and timeouts included)
  kVendorThrottleRatio,  // share of chat calls answered 429
  kEmbeddingErrorRatio,  // share of embeddings calls not answered 2xx
};

constexpr std::string_view name_of(Sli s) {
  switch (s) {
    case Sli::kLatencyP95: return "latency_p95";
    case Sli::kLatencyP99: return "latency_p99";
    case Sli::kErrorRatio: return "error_ratio";
    case Sli::kCitationInvalidRatio: return "citation_invalid_ratio";
    case Sli::kSchemaInvalidRatio: return "schema_invalid_ratio";
    case Sli::kCanaryRatio: return "canary_ratio";
    case Sli::kPhiOutputRatio: return "phi_output_ratio";
    case Sli::kRefusalRatio: return "refusal_ratio";
    case Sli::kRequestRate: return "request_rate";
    case Sli::kCorrectionRate: return "correction_rate";
    case Sli::kCorrectionCount: return "correction_count";
    case Sli::kProbeFailure: return "probe_failure";
    case Sli::kProbeFailureRatio: return "probe_failure_ratio";
    case Sli::kPhiLogRatio: return "phi_log_ratio";
    case Sli::kEhrErrorRatio: return "ehr_error_ratio";
    case Sli::kEhrLatency: return "ehr_latency";
    case Sli::kVendorErrorRatio: return "vendor_error_ratio";
    case Sli::kVendorThrottleRatio: return "vendor_throttle_ratio";
    case Sli::kEmbeddingErrorRatio: return "embedding_error_ratio";
  }
  return {};
}

/// The unit of an SLI's value, which is also the unit of a threshold on it.
enum class SliUnit : std::uint8_t { kSeconds, kRatio, kPerSecond, kPerMinute, kCount, kFlag };

constexpr SliUnit unit_of(Sli s) {
  switch (s) {
    case Sli::kLatencyP95:
    case Sli::kLatencyP99:
    case Sli::kEhrLatency:
      return SliUnit::kSeconds;
    case Sli::kErrorRatio:
    case Sli::kCitationInvalidRatio:
    case Sli::kSchemaInvalidRatio:
    case Sli::kCanaryRatio:
    case Sli::kPhiOutputRatio:
    case Sli::kRefusalRatio:
    case Sli::kProbeFailureRatio:
    case Sli::kPhiLogRatio:
    case Sli::kEhrErrorRatio:
    case Sli::kVendorErrorRatio:
    case Sli::kVendorThrottleRatio:
    case Sli::kEmbeddingErrorRatio:
      return SliUnit::kRatio;
    case Sli::kRequestRate: return SliUnit::kPerSecond;
    case Sli::kCorrectionRate: return SliUnit::kPerMinute;
    case Sli::kCorrectionCount: return SliUnit::kCount;
    case Sli::kProbeFailure: return SliUnit::kFlag;
  }
  return SliUnit::kRatio;
}

/// Whether the SLI is a latency percentile (thresholds are durations).
constexpr bool is_latency(Sli s) { return unit_of(s) == SliUnit::kSeconds; }

/// Whether the SLI counts calls to model vendors (and may be narrowed to one with `vendor`).
constexpr bool is_vendor_sli(Sli s) {
  return s == Sli::kVendorErrorRatio || s == Sli::kVendorThrottleRatio || s == Sli::kEmbeddingErrorRatio;
}

/// Whether the SLI reads dependency calls rather than user requests.
constexpr bool is_dependency_sli(Sli s) { return s == Sli::kEhrErrorRatio || s == Sli::kEhrLatency || is_vendor_sli(s); }

/// How an alert rule decides.
enum class AlertType : std::uint8_t {
  kThreshold,  // an SLI over a window above a value
  kBurnRate,   // an SLO's error budget burning faster than factors over window pairs
};

constexpr std::string_view name_of(AlertType t) {
  switch (t) {
    case AlertType::kThreshold: return "threshold";
    case AlertType::kBurnRate: return "burn_rate";
  }
  return {};
}

/// A named set of burn-rate rows (the SRE-workbook table: 1h/5m x14.4, 6h/30m x6, 3d/6h x1).
enum class BurnPreset : std::uint8_t {
  kNone,            // no preset: only explicit windows
  kStandard,        // all three rows
  kStandardPage,    // the two page rows
  kStandardTicket,  // the ticket row
};

/// "standard", "standard_page", "standard_ticket"; kNone has the name "none" (never written in
/// files: leaving `preset` out means none).
constexpr std::string_view name_of(BurnPreset p) {
  switch (p) {
    case BurnPreset::kNone: return "none";
    case BurnPreset::kStandard: return "standard";
    case BurnPreset::kStandardPage: return "standard_page";
    case BurnPreset::kStandardTicket: return "standard_ticket";
  }
  return {};
}

/// The severity that pages a human (scenario alerts are `page` or `ticket`; alerts arriving
/// from a team's Alertmanager keep whatever severity label they carry, so it stays a string).
inline constexpr std::string_view kSeverityPage = "page";
/// The severity of alerts that open a ticket instead of paging.
inline constexpr std::string_view kSeverityTicket = "ticket";

/// A service level objective over the user requests.
struct SloSpec {
  std::string name;
  SloKind sli = SloKind::kAvailability;  // what a good request is
  double objective = 0.99;               // target share of good requests
  Duration threshold = 0;                // latency and ehr_latency SLOs only
  Duration window = 30 * 24 * kHour;     // compliance period for error-budget arithmetic
  std::string vendor;                    // vendor SLOs: only calls to this vendor ("" = all)
};

/// One (long, short, factor) row of a multiwindow burn-rate alert.
struct BurnWindow {
  Duration long_window = kHour;
  Duration short_window = 5 * kMinute;
  double factor = 14.4;
};

/// An alerting rule. Detectors evaluate it every evaluation interval over observable signals.
struct AlertSpec {
  std::string name;
  SourceLoc loc;
  AlertType type = AlertType::kThreshold;
  std::string severity = "page";  // page | ticket
  // --- threshold
  Sli sli = Sli::kErrorRatio;
  Duration window = 2 * kMinute;
  /// In the SLI's unit: a share in [0, 1] for ratios, seconds for latency, per second for
  /// request_rate, per minute for correction_rate, a count for correction_count, 0 for
  /// probe_failure (fire when the latest probe in the window failed).
  double above = 0;
  Duration for_duration = 0;  // "for": the condition must hold this long before firing (not scaled)
  /// `runbook`: where a paged person reads what to do (an http(s) URL; "" = none). The drill
  /// room shows it with the firing alert.
  std::string runbook;
  /// Vendor SLIs (is_vendor_sli): only calls to this vendor id ("" = every vendor).
  std::string vendor;
  // --- burn_rate
  std::string slo;  // the SLO's name
  std::vector<BurnWindow> windows;
  /// Rows added before `windows` (see slo/burn_windows.hpp).
  BurnPreset preset = BurnPreset::kNone;
  /// Every window (preset and explicit) is multiplied by this factor, so 1/60 turns 1h/5m into
  /// 1m/5s for a drill. Must be > 0. Burn-rate factors are not scaled.
  double scale = 1.0;
};

}  // namespace gameday
