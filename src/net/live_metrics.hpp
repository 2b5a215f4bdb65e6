#pragma once
// Request counters and latency histograms of the live servers, rendered in the Prometheus text
// exposition format for /metrics. Thread-safe: every server thread records into one instance.
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "spec/model.hpp"
#include "sim/journal.hpp"
#include "sim/time.hpp"

namespace gameday::net {

/// Counters and histograms keyed by (server, route, status).
class LiveMetrics {
 public:
  /// Records one finished request: `server` "vendor" | "ehr" | "assistant" | "control",
  /// `route` a low-cardinality route name ("/v1/chat/completions", "/fhir/Patient"), the HTTP
  /// status sent (0 when the connection was dropped or reset), and how long it took.
  void observe(const std::string& server, const std::string& route, int status, Duration latency);
  /// Starts the assistant SLI families a drill exports (names in slo/prom_rules.hpp, which the
  /// rules of `gameday slo rules` read): gameday_assistant_requests_total{outcome},
  /// gameday_assistant_request_duration_seconds, gameday_sli_events_total{sli,good},
  /// gameday_slo_events_total{slo,good} for `slos`, gameday_clinician_corrections_total and the
  /// golden-probe series. Every counter series starts at 0, so the first bad request is an
  /// increase Prometheus sees. Call once, before the observe_* calls below. Also starts
  /// gameday_dependency_calls_total{dependency, vendor, outcome} (the EHR's, and each of
  /// `vendors`' chat and embeddings calls, at 0) and gameday_dependency_call_duration_seconds.
  void set_slos(const std::vector<SloSpec>& slos, const std::vector<std::string>& vendors = {});
  /// Records one finished user request (probes are ignored) from its observable fields only:
  /// outcome, latency, and good/bad per signal and per SLO as the detector counts them, and
  /// its dependency calls (RequestEvent::calls; each counts once for each dependency SLO).
  void observe_request(const RequestEvent& r);
  /// Records one clinician correction.
  void observe_correction();
  /// Records one golden probe run: pass/fail, its cases, and when it finished (Unix seconds).
  void observe_probe(bool ok, int passed, int total, double unix_seconds);
  /// Sets a gauge (e.g. "gameday_faults_active", labels {"target": "vendor:primary"}).
  void set_gauge(const std::string& name, const std::map<std::string, std::string>& labels, double value);
  /// Everything in the Prometheus text format (version 0.0.4): gameday_http_requests_total,
  /// gameday_http_request_duration_seconds (histogram) and the gauges, with HELP and TYPE lines.
  std::string prometheus_text() const;

  /// Histogram bucket upper bounds, seconds.
  static const std::vector<double>& buckets();

 private:
  struct Series {
    std::uint64_t count = 0;
    double sum = 0;
    std::vector<std::uint64_t> buckets;  // cumulative at render time; per-bucket here
  };
  // Appends the assistant SLI families (mu_ held).
  void render_assistant(std::string& out) const;
  // Appends the dependency call families (mu_ held).
  void render_dependencies(std::string& out) const;
  // Counts one dependency call (mu_ held).
  void count_call(const DependencyCall& call);

  mutable std::mutex mu_;
  // Transparent comparators: observe() looks series up without building key strings.
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t, std::less<>> requests_;
  std::map<std::tuple<std::string, std::string>, Series, std::less<>> durations_;  // (server, route)
  std::map<std::string, std::map<std::map<std::string, std::string>, double>> gauges_;
  // Assistant SLI families (rendered only after set_slos()).
  bool assistant_ = false;
  std::vector<SloSpec> slos_;
  std::map<std::string, std::uint64_t> outcomes_;                         // outcome -> n
  Series assistant_latency_;
  std::map<std::pair<std::string, bool>, std::uint64_t> sli_events_;     // (signal, good)
  std::map<std::pair<std::string, bool>, std::uint64_t> slo_events_;     // (slo name, good)
  std::uint64_t corrections_ = 0;
  std::uint64_t probe_passed_ = 0;
  std::uint64_t probe_failed_ = 0;
  std::optional<std::pair<bool, double>> last_probe_;                     // (failed, unix time)
  // (dependency, vendor, outcome) -> calls; dependency -> latency histogram.
  std::map<std::tuple<std::string, std::string, std::string>, std::uint64_t> dependency_calls_;
  std::map<std::string, Series> dependency_latency_;
};

/// Escapes a Prometheus label value (backslash, double quote, newline).
std::string prometheus_label_value(const std::string& v);

}  // namespace gameday::net
