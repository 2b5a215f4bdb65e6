#include "slo/prom_rules.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "slo/burn_windows.hpp"

namespace gameday {
namespace {

// sum(rate(METRIC{SELECTOR}[W]))
std::string sum_rate(const std::string& metric, const std::string& selector, Duration window) {
  return "sum(rate(" + metric + (selector.empty() ? "" : "{" + selector + "}") + "[" +
         prometheus_duration(window) + "]))";
}

// The share of `label`=`value` events that are bad over `window`.
std::string bad_share(const char* metric, const char* label, const std::string& value, Duration window) {
  const std::string sel = std::string(label) + "=" + promql_string(value);
  return "(" + sum_rate(metric, sel + ",good=\"false\"", window) + " / " + sum_rate(metric, sel, window) + ")";
}

// The share of a dependency's calls with outcome `bad` ("!ok": any failure) over `window`.
std::string call_share(const AlertSpec& a, const char* dependency, const std::string& bad) {
  std::string sel = std::string("dependency=\"") + dependency + "\"";
  if (!a.vendor.empty() && is_vendor_sli(a.sli)) sel += ",vendor=" + promql_string(a.vendor);
  const std::string bad_sel = bad == "!ok" ? ",outcome!=\"ok\"" : ",outcome=" + promql_string(bad);
  return "(" + sum_rate(kMetricDependencyCalls, sel + bad_sel, a.window) + " / " +
         sum_rate(kMetricDependencyCalls, sel, a.window) + ")";
}

std::string threshold_expr(const AlertSpec& a) {
  const std::string above = prometheus_number(a.above);
  const std::string w = prometheus_duration(a.window);
  if (const auto signal = signal_of_ratio_sli(a.sli)) {
    return bad_share(kMetricSliEvents, "sli", to_name(*signal), a.window) + " > " + above;
  }
  switch (a.sli) {
    case Sli::kLatencyP95:
    case Sli::kLatencyP99:
      return "histogram_quantile(" + std::string(a.sli == Sli::kLatencyP95 ? "0.95" : "0.99") +
             ", sum by (le) (rate(" + kMetricAssistantDuration + "_bucket[" + w + "]))) > " + above;
    case Sli::kRequestRate:
      return sum_rate(kMetricAssistantRequests, "", a.window) + " > " + above;
    case Sli::kCorrectionRate:
      return "60 * " + sum_rate(kMetricCorrections, "", a.window) + " > " + above;
    case Sli::kCorrectionCount:
      return "sum(increase(" + std::string(kMetricCorrections) + "[" + w + "])) > " + above;
    case Sli::kProbeFailure:
      // The latest probe failed and finished at most `window` ago.
      return "max(" + std::string(kMetricProbeLastFailed) + ") > " + above + " and on() (time() - max(" +
             kMetricProbeLastTime + ")) <= " + prometheus_number(to_seconds(a.window));
    case Sli::kProbeFailureRatio:
      return "(" + sum_rate(kMetricProbeCases, "result=\"failed\"", a.window) + " / " +
             sum_rate(kMetricProbeCases, "", a.window) + ") > " + above;
    case Sli::kEhrErrorRatio: return call_share(a, "ehr", "!ok") + " > " + above;
    case Sli::kVendorErrorRatio: return call_share(a, "vendor", "!ok") + " > " + above;
    case Sli::kVendorThrottleRatio: return call_share(a, "vendor", "throttled") + " > " + above;
    case Sli::kEmbeddingErrorRatio: return call_share(a, "embeddings", "!ok") + " > " + above;
    case Sli::kEhrLatency:
      return "histogram_quantile(0.95, sum by (le) (rate(" + std::string(kMetricDependencyDuration) +
             "_bucket{dependency=\"ehr\"}[" + w + "]))) > " + above;
    case Sli::kErrorRatio:
    case Sli::kCitationInvalidRatio:
    case Sli::kSchemaInvalidRatio:
    case Sli::kCanaryRatio:
    case Sli::kPhiOutputRatio:
    case Sli::kRefusalRatio:
    case Sli::kPhiLogRatio:
      break;  // ratios of request signals, above
  }
  throw std::logic_error("alert '" + a.name + "': no PromQL for sli '" + to_name(a.sli) + "'");
}

const SloSpec& slo_of(const AlertSpec& a, const Scenario& scenario) {
  for (const auto& s : scenario.slos) {
    if (s.name == a.slo) return s;
  }
  throw std::invalid_argument("alert '" + a.name + "': unknown slo '" + a.slo + "'");
}

std::string burn_expr(const AlertSpec& a, const Scenario& scenario) {
  const SloSpec& slo = slo_of(a, scenario);
  const auto rows = effective_burn_windows(a);
  if (rows.empty()) throw std::invalid_argument("alert '" + a.name + "': burn_rate alert has no windows");
  // ratio > factor × budget, i.e. burn rate > factor; with a 100 % objective any error fires,
  // as in the detector.
  const std::string budget = "(1 - " + prometheus_number(slo.objective) + ")";
  std::string out;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& w = rows[i];
    const std::string limit = prometheus_number(w.factor) + " * " + budget;
    const std::string row = "(" + bad_share(kMetricSloEvents, "slo", slo.name, w.long_window) + " > " + limit +
                            " and " + bad_share(kMetricSloEvents, "slo", slo.name, w.short_window) + " > " +
                            limit + ")";
    out += (i ? " or " : "") + row;
  }
  return out;
}

std::string compact(Duration d) { return prometheus_duration(d); }

std::string alert_summary(const AlertSpec& a) {
  if (a.type == AlertType::kBurnRate) {
    std::string s = a.slo + " SLO burn rate";
    for (const auto& w : effective_burn_windows(a)) {
      s += " > " + prometheus_number(w.factor) + "x over " + compact(w.long_window) + " and " +
           compact(w.short_window) + ";";
    }
    s.pop_back();
    return s;
  }
  const std::string who = a.vendor.empty() || !is_vendor_sli(a.sli) ? "" : " (vendor " + a.vendor + ")";
  return to_name(a.sli) + who + " > " + prometheus_number(a.above) + " over " + compact(a.window);
}

}  // namespace

bool sli_signal_good(RequestSignal signal, const RequestEvent& r) {
  switch (signal) {
    case RequestSignal::kAvailability: return r.status == RequestStatus::kOk;
    case RequestSignal::kCitationValidity: return r.citations_valid;
    case RequestSignal::kSchemaValidity: return r.schema_valid;
    case RequestSignal::kSafety: return !r.canary_seen && !r.phi_detected;
    case RequestSignal::kRefusal: return !r.refused;
    case RequestSignal::kCanary: return !r.canary_seen;
    case RequestSignal::kPhiOutput: return !r.phi_detected;
    case RequestSignal::kPhiLog: return !r.phi_in_logs;
  }
  return false;
}

bool slo_good(const SloSpec& slo, const RequestEvent& r) {
  switch (slo.sli) {
    case SloKind::kLatency: return r.status == RequestStatus::kOk && r.latency <= slo.threshold;
    case SloKind::kAvailability: return sli_signal_good(RequestSignal::kAvailability, r);
    case SloKind::kCitationValidity: return sli_signal_good(RequestSignal::kCitationValidity, r);
    case SloKind::kSchemaValidity: return sli_signal_good(RequestSignal::kSchemaValidity, r);
    case SloKind::kSafety: return sli_signal_good(RequestSignal::kSafety, r);
    case SloKind::kRefusal: return sli_signal_good(RequestSignal::kRefusal, r);
    // Dependency SLOs count calls (slo_call_good), not requests.
    case SloKind::kEhrAvailability:
    case SloKind::kEhrLatency:
    case SloKind::kVendorAvailability:
    case SloKind::kVendorThrottle:
    case SloKind::kEmbeddingAvailability:
      return true;
  }
  return false;
}

std::string_view call_outcome(const DependencyCall& call) {
  if (call.status == 429) return "throttled";
  return call.failed() ? "error" : "ok";
}

std::optional<bool> slo_call_good(const SloSpec& slo, const DependencyCall& call) {
  const auto vendor_matches = [&] { return slo.vendor.empty() || slo.vendor == call.vendor; };
  switch (slo.sli) {
    case SloKind::kEhrAvailability:
      if (call.dependency != Dependency::kEhr) return std::nullopt;
      return !call.failed();
    case SloKind::kEhrLatency:
      if (call.dependency != Dependency::kEhr) return std::nullopt;
      return !call.failed() && call.latency <= slo.threshold;
    case SloKind::kVendorAvailability:
      if (call.dependency != Dependency::kVendor || !vendor_matches()) return std::nullopt;
      return !call.failed();
    case SloKind::kVendorThrottle:
      if (call.dependency != Dependency::kVendor || !vendor_matches()) return std::nullopt;
      return call.status != 429;
    case SloKind::kEmbeddingAvailability:
      if (call.dependency != Dependency::kEmbeddings || !vendor_matches()) return std::nullopt;
      return !call.failed();
    case SloKind::kAvailability:
    case SloKind::kLatency:
    case SloKind::kCitationValidity:
    case SloKind::kSchemaValidity:
    case SloKind::kSafety:
    case SloKind::kRefusal:
      return std::nullopt;
  }
  return std::nullopt;
}

const std::vector<double>& dependency_latency_buckets() {
  static const std::vector<double> b = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75,
                                        1,     1.5,  2,     2.5,  3,   4,    5,   10, 30};
  return b;
}

std::optional<RequestSignal> signal_of_ratio_sli(Sli sli) {
  switch (sli) {
    case Sli::kErrorRatio: return RequestSignal::kAvailability;
    case Sli::kCitationInvalidRatio: return RequestSignal::kCitationValidity;
    case Sli::kSchemaInvalidRatio: return RequestSignal::kSchemaValidity;
    case Sli::kCanaryRatio: return RequestSignal::kCanary;
    case Sli::kPhiOutputRatio: return RequestSignal::kPhiOutput;
    case Sli::kRefusalRatio: return RequestSignal::kRefusal;
    case Sli::kPhiLogRatio: return RequestSignal::kPhiLog;
    case Sli::kLatencyP95:
    case Sli::kLatencyP99:
    case Sli::kRequestRate:
    case Sli::kCorrectionRate:
    case Sli::kCorrectionCount:
    case Sli::kProbeFailure:
    case Sli::kProbeFailureRatio:
    case Sli::kEhrErrorRatio:
    case Sli::kEhrLatency:
    case Sli::kVendorErrorRatio:
    case Sli::kVendorThrottleRatio:
    case Sli::kEmbeddingErrorRatio:
      return std::nullopt;
  }
  return std::nullopt;
}

const std::vector<double>& assistant_latency_buckets() {
  static const std::vector<double> b = {0.05, 0.1, 0.25, 0.5, 0.75, 1,  1.5, 2,  2.5, 3,  4,  5,   6,
                                        7.5,  8,   10,   12,  15,   20, 25,  30, 45,  60, 90, 120};
  return b;
}

std::string prometheus_alert_expr(const AlertSpec& alert, const Scenario& scenario) {
  switch (alert.type) {
    case AlertType::kThreshold: return threshold_expr(alert);
    case AlertType::kBurnRate: return burn_expr(alert, scenario);
  }
  throw std::logic_error("alert '" + alert.name + "': unknown type");
}

std::string prometheus_rules_yaml(const Scenario& scenario) {
  std::string out;
  out += "# Prometheus alerting rules generated by `gameday slo rules` from scenario " + scenario.name + ".\n";
  out += "# They read the metrics a gameday drill exports on its control port's /metrics.\n";
  out += "groups:\n";
  out += "  - name: " + yaml_quote("gameday." + scenario.name) + "\n";
  if (scenario.alerts.empty()) {
    out += "    rules: []\n";
    return out;
  }
  out += "    rules:\n";
  for (const auto& a : scenario.alerts) {
    out += "      - alert: " + yaml_quote(a.name) + "\n";
    out += "        expr: " + yaml_quote(prometheus_alert_expr(a, scenario)) + "\n";
    out += "        for: " + yaml_quote(prometheus_duration(a.for_duration)) + "\n";
    out += "        labels:\n";
    out += "          severity: " + yaml_quote(a.severity) + "\n";
    out += "          scenario: " + yaml_quote(scenario.name) + "\n";
    out += "        annotations:\n";
    out += "          summary: " + yaml_quote(alert_summary(a)) + "\n";
    out += "          description: " +
           yaml_quote("gameday scenario " + scenario.name + ", " + to_name(a.type) + " alert " + a.name) + "\n";
  }
  return out;
}

std::string prometheus_duration(Duration d) {
  if (d <= 0) return "0s";
  Duration ms = (d + kMillisecond / 2) / kMillisecond;
  if (ms < 1) ms = 1;
  struct Unit {
    Duration ms;
    const char* suffix;
  };
  constexpr Unit kUnits[] = {{3600 * 1000, "h"}, {60 * 1000, "m"}, {1000, "s"}};
  for (const auto& u : kUnits) {
    if (ms % u.ms == 0) return std::to_string(ms / u.ms) + u.suffix;
  }
  return std::to_string(ms) + "ms";
}

std::string prometheus_number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string yaml_quote(std::string_view s) {
  bool plain_line = true;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) plain_line = false;
  }
  std::string out;
  if (plain_line) {
    out += '\'';
    for (char c : s) {
      if (c == '\'') out += '\'';
      out += c;
    }
    out += '\'';
    return out;
  }
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

std::string promql_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

}  // namespace gameday
