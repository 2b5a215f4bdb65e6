#pragma once
// Request counters and latency histograms of the live servers, rendered in the Prometheus text
// exposition format for /metrics. Thread-safe: every server thread records into one instance.
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "sim/time.hpp"

namespace gameday::net {

/// Counters and histograms keyed by (server, route, status).
class LiveMetrics {
 public:
  /// Records one finished request: `server` "vendor" | "ehr" | "assistant" | "control",
  /// `route` a low-cardinality route name ("/v1/chat/completions", "/fhir/Patient"), the HTTP
  /// status sent (0 when the connection was dropped or reset), and how long it took.
  void observe(const std::string& server, const std::string& route, int status, Duration latency);
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
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t> requests_;
  std::map<std::pair<std::string, std::string>, Series> durations_;  // (server, route)
  std::map<std::string, std::map<std::map<std::string, std::string>, double>> gauges_;
};

/// Escapes a Prometheus label value (backslash, double quote, newline).
std::string prometheus_label_value(const std::string& v);

}  // namespace gameday::net
