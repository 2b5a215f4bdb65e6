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
#include <unordered_map>
#include <vector>

#include "net/served_call.hpp"
#include "spec/model.hpp"
#include "sim/journal.hpp"
#include "sim/time.hpp"

namespace gameday::net {

/// One model call as the OpenTelemetry GenAI client metrics count it.
struct GenAiCall {
  std::string operation;       ///< gen_ai.operation.name: "chat", "embeddings"
  std::string provider;        ///< gen_ai.provider.name: "openai", "azure.ai.openai", "anthropic"
  std::string request_model;   ///< gen_ai.request.model
  std::string response_model;  ///< gen_ai.response.model ("" when no answer came)
  std::string error_type;      ///< error.type ("" when it succeeded)
  Duration duration = 0;
  int input_tokens = 0;        ///< 0: not counted (no answer, or no usage)
  int output_tokens = 0;
  Duration first_chunk = -1;   ///< streamed answers: time to the first chunk (-1: not streamed)
};

/// A model call as its GenAI client metrics see it. error.type: the error body's type, else the
/// status code, else "timeout" for a call that was reset, cut or never answered.
GenAiCall gen_ai_call(const DependencyCall& call, std::string operation, std::string provider,
                      std::string request_model);
/// A served call as its GenAI client metrics see it (the fakes time a call from receipt to the
/// last byte: what the client measures, less the network).
GenAiCall gen_ai_call(const ServedCall& call);

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
  /// Records one model call in the OpenTelemetry GenAI client metrics:
  /// gen_ai_client_operation_duration_seconds, gen_ai_client_token_usage{gen_ai_token_type} and
  /// (streams) gen_ai_client_operation_time_to_first_chunk_seconds, labelled by operation,
  /// provider, request and response model (and error.type when it failed).
  void observe_gen_ai(const GenAiCall& call);
  /// Records a call a fake served: its model calls go to observe_gen_ai (EHR calls are counted
  /// by observe()).
  void observe_served(const ServedCall& call);
  /// Sets a gauge (e.g. "gameday_faults_active", labels {"target": "vendor:primary"}).
  void set_gauge(const std::string& name, const std::map<std::string, std::string>& labels, double value);
  /// Everything in the Prometheus text format (version 0.0.4): gameday_http_requests_total,
  /// gameday_http_request_duration_seconds (histogram) and the gauges, with HELP and TYPE lines.
  std::string prometheus_text() const;

  /// Histogram bucket upper bounds, seconds.
  static const std::vector<double>& buckets();

 /// One histogram series: per-bucket counts (made cumulative when rendered), sum and count.
  struct Series {
    std::uint64_t count = 0;
    double sum = 0;
    std::vector<std::uint64_t> buckets;
  };

 private:
  // Appends the assistant SLI families (mu_ held).
  void render_assistant(std::string& out) const;
  // Appends the dependency call families (mu_ held).
  void render_dependencies(std::string& out) const;
  // Counts one dependency call (mu_ held).
  void count_call(const DependencyCall& call);
  // Appends the GenAI client families (mu_ held).
  void render_gen_ai(std::string& out) const;

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
  // GenAI client metrics: one entry per label set, found by a compact key (the label values
  // joined; one allocation per call on the vendor's hot path) and rendered in label order.
  using Labels = std::map<std::string, std::string>;
  struct GenAiSeries {
    Series duration;
    Series first_chunk;
    Series input_tokens;
    Series output_tokens;
    Labels labels;  // without error_type and gen_ai_token_type (added when rendered)
    std::string error_type;
  };
  std::unordered_map<std::string, GenAiSeries> gen_ai_;
};

/// Escapes a Prometheus label value (backslash, double quote, newline).
std::string prometheus_label_value(const std::string& v);

}  // namespace gameday::net
