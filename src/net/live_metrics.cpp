#include "net/live_metrics.hpp"

#include <algorithm>
#include <cstdio>

#include "slo/prom_rules.hpp"
#include "trace/otlp.hpp"

namespace gameday::net {
namespace {

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

std::string labels_text(const std::map<std::string, std::string>& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ',';
    first = false;
    out += k + "=\"" + prometheus_label_value(v) + "\"";
  }
  return out + "}";
}

// Adds `seconds` (or any value) to a histogram series with bucket bounds `b`.
void add_sample(LiveMetrics::Series& d, const std::vector<double>& b, double v) {
  if (d.buckets.empty()) d.buckets.assign(b.size(), 0);
  ++d.count;
  d.sum += v;
  const auto it = std::lower_bound(b.begin(), b.end(), v);
  if (it != b.end()) ++d.buckets[static_cast<std::size_t>(it - b.begin())];
}

// One histogram series: its buckets (cumulative), sum and count.
void render_series(std::string& out, const std::string& name, std::map<std::string, std::string> labels,
                   const LiveMetrics::Series& d, const std::vector<double>& b) {
  const std::string plain = labels_text(labels);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    cumulative += i < d.buckets.size() ? d.buckets[i] : 0;
    labels["le"] = number(b[i]);
    out += name + "_bucket" + labels_text(labels) + " " + std::to_string(cumulative) + "\n";
  }
  labels["le"] = "+Inf";
  out += name + "_bucket" + labels_text(labels) + " " + std::to_string(d.count) + "\n";
  out += name + "_sum" + plain + " " + number(d.sum) + "\n";
  out += name + "_count" + plain + " " + std::to_string(d.count) + "\n";
}

// The OpenTelemetry GenAI semantic conventions' explicit bucket boundaries.
const std::vector<double>& gen_ai_duration_buckets() {
  static const std::vector<double> b = {0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64,
                                        1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92};
  return b;
}
const std::vector<double>& gen_ai_token_buckets() {
  static const std::vector<double> b = {1,      4,       16,      64,       256,      1024,     4096,
                                        16384,  65536,   262144,  1048576,  4194304,  16777216, 67108864};
  return b;
}
const std::vector<double>& gen_ai_first_chunk_buckets() {
  static const std::vector<double> b = {0.01, 0.02, 0.04, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0};
  return b;
}

}  // namespace

GenAiCall gen_ai_call(const DependencyCall& c, std::string operation, std::string provider,
                      std::string request_model) {
  GenAiCall g;
  g.operation = std::move(operation);
  g.provider = std::move(provider);
  g.request_model = std::move(request_model);
  g.duration = c.latency;
  if (c.failed()) {
    g.error_type = call_error_type(c);
    return g;
  }
  g.response_model = c.resource;
  g.input_tokens = c.input_tokens;
  g.output_tokens = c.output_tokens;
  return g;
}

GenAiCall gen_ai_call(const ServedCall& c) {
  GenAiCall g = gen_ai_call(c.call, c.operation, c.provider, c.request_model);
  g.first_chunk = c.first_chunk;
  return g;
}

void LiveMetrics::observe_gen_ai(const GenAiCall& c) {
  std::string key;
  key.reserve(c.operation.size() + c.provider.size() + c.request_model.size() + c.response_model.size() +
              c.error_type.size() + 4);
  for (const std::string* part : {&c.operation, &c.provider, &c.request_model, &c.response_model, &c.error_type}) {
    key += *part;
    key += '\x1f';
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = gen_ai_.find(key);
  if (it == gen_ai_.end()) {
    GenAiSeries s;
    s.labels = {{"gen_ai_operation_name", c.operation},
                {"gen_ai_provider_name", c.provider},
                {"gen_ai_request_model", c.request_model}};
    if (!c.response_model.empty()) s.labels["gen_ai_response_model"] = c.response_model;
    s.error_type = c.error_type;
    it = gen_ai_.emplace(std::move(key), std::move(s)).first;
  }
  GenAiSeries& s = it->second;
  add_sample(s.duration, gen_ai_duration_buckets(), to_seconds(c.duration));
  if (c.first_chunk >= 0) add_sample(s.first_chunk, gen_ai_first_chunk_buckets(), to_seconds(c.first_chunk));
  if (c.input_tokens > 0) add_sample(s.input_tokens, gen_ai_token_buckets(), c.input_tokens);
  if (c.output_tokens > 0) add_sample(s.output_tokens, gen_ai_token_buckets(), c.output_tokens);
}

void LiveMetrics::observe_served(const ServedCall& call) {
  if (call.call.dependency == Dependency::kEhr || call.unfinished) return;
  observe_gen_ai(gen_ai_call(call));
}

void LiveMetrics::render_gen_ai(std::string& out) const {
  // Each family's series in label order (the exposition is stable whatever the hash order).
  std::map<Labels, const Series*> duration, tokens, first_chunk;
  for (const auto& [key, s] : gen_ai_) {
    Labels labels = s.labels;
    if (s.first_chunk.count > 0) first_chunk[labels] = &s.first_chunk;
    for (const auto& [type, series] : {std::pair<const char*, const Series*>{"input", &s.input_tokens},
                                       {"output", &s.output_tokens}}) {
      if (series->count == 0) continue;
      Labels typed = labels;
      typed["gen_ai_token_type"] = type;
      tokens[typed] = series;
    }
    if (!s.error_type.empty()) labels["error_type"] = s.error_type;
    duration[labels] = &s.duration;
  }
  const auto family = [&out](const std::string& name, const char* help, const std::map<Labels, const Series*>& series,
                             const std::vector<double>& b) {
    if (series.empty()) return;
    out += "# HELP " + name + " " + help + "\n";
    out += "# TYPE " + name + " histogram\n";
    for (const auto& [labels, d] : series) render_series(out, name, labels, *d, b);
  };
  family("gen_ai_client_operation_duration_seconds", "GenAI operation duration (OpenTelemetry gen_ai.client.operation.duration).",
         duration, gen_ai_duration_buckets());
  family("gen_ai_client_token_usage", "Tokens used per GenAI operation (OpenTelemetry gen_ai.client.token.usage).",
         tokens, gen_ai_token_buckets());
  family("gen_ai_client_operation_time_to_first_chunk_seconds",
         "Time to the first chunk of a streamed answer (OpenTelemetry gen_ai.client.operation.time_to_first_chunk).",
         first_chunk, gen_ai_first_chunk_buckets());
}

const std::vector<double>& LiveMetrics::buckets() {
  static const std::vector<double> b = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  return b;
}

std::string prometheus_label_value(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void LiveMetrics::observe(const std::string& server, const std::string& route, int status, Duration latency) {
  const double s = to_seconds(latency);
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = requests_.find(std::forward_as_tuple(server, route, status)); it != requests_.end()) {
    ++it->second;
  } else {
    requests_.emplace(std::make_tuple(server, route, status), 1);
  }
  auto di = durations_.find(std::forward_as_tuple(server, route));
  if (di == durations_.end()) di = durations_.emplace(std::make_tuple(server, route), Series{}).first;
  add_sample(di->second, buckets(), s);
}

void LiveMetrics::set_slos(const std::vector<SloSpec>& slos, const std::vector<std::string>& vendors) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const char* outcome : {"ok", "error", "throttled"}) {
    dependency_calls_.emplace(std::make_tuple(std::string("ehr"), std::string(), std::string(outcome)), 0);
    for (const auto& v : vendors) {
      dependency_calls_.emplace(std::make_tuple(std::string("vendor"), v, std::string(outcome)), 0);
      dependency_calls_.emplace(std::make_tuple(std::string("embeddings"), v, std::string(outcome)), 0);
    }
  }
  dependency_latency_["ehr"].buckets.assign(dependency_latency_buckets().size(), 0);
  assistant_ = true;
  slos_ = slos;
  for (const char* outcome : {"ok", "fallback", "error", "timeout"}) outcomes_.emplace(outcome, 0);
  assistant_latency_.buckets.assign(assistant_latency_buckets().size(), 0);
  for (const RequestSignal signal : values_of<RequestSignal>()) {
    sli_events_.emplace(std::make_pair(to_name(signal), true), 0);
    sli_events_.emplace(std::make_pair(to_name(signal), false), 0);
  }
  for (const auto& slo : slos_) {
    slo_events_.emplace(std::make_pair(slo.name, true), 0);
    slo_events_.emplace(std::make_pair(slo.name, false), 0);
  }
}

void LiveMetrics::observe_request(const RequestEvent& r) {
  if (r.probe) return;
  const double s = to_seconds(r.latency);
  std::lock_guard<std::mutex> lock(mu_);
  if (!assistant_) return;
  ++outcomes_[to_string(r.status)];
  add_sample(assistant_latency_, assistant_latency_buckets(), s);
  for (const RequestSignal signal : values_of<RequestSignal>()) {
    ++sli_events_[{to_name(signal), sli_signal_good(signal, r)}];
  }
  for (const auto& slo : slos_) {
    if (is_dependency_slo(slo.sli)) continue;
    ++slo_events_[{slo.name, slo_good(slo, r)}];
  }
  for (const DependencyCall& call : r.calls) {
    count_call(call);
    for (const auto& slo : slos_) {
      if (const auto good = slo_call_good(slo, call)) ++slo_events_[{slo.name, *good}];
    }
  }
}

void LiveMetrics::count_call(const DependencyCall& call) {
  const std::string dependency(name_of(call.dependency));
  ++dependency_calls_[std::make_tuple(dependency, call.vendor, std::string(call_outcome(call)))];
  add_sample(dependency_latency_[dependency], dependency_latency_buckets(), to_seconds(call.latency));
}

void LiveMetrics::render_dependencies(std::string& out) const {
  out += std::string("# HELP ") + kMetricDependencyCalls +
         " The assistant's calls to its dependencies, by dependency, vendor and outcome.\n";
  out += std::string("# TYPE ") + kMetricDependencyCalls + " counter\n";
  for (const auto& [key, n] : dependency_calls_) {
    const auto& [dependency, vendor, outcome] = key;
    out += kMetricDependencyCalls +
           labels_text({{"dependency", dependency}, {"vendor", vendor}, {"outcome", outcome}}) + " " +
           std::to_string(n) + "\n";
  }
  const std::string name = kMetricDependencyDuration;
  out += "# HELP " + name + " Latency of the assistant's dependency calls.\n";
  out += "# TYPE " + name + " histogram\n";
  for (const auto& [dependency, d] : dependency_latency_) {
    render_series(out, name, {{"dependency", dependency}}, d, dependency_latency_buckets());
  }
}

void LiveMetrics::observe_correction() {
  std::lock_guard<std::mutex> lock(mu_);
  ++corrections_;
}

void LiveMetrics::observe_probe(bool ok, int passed, int total, double unix_seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  probe_passed_ += static_cast<std::uint64_t>(std::max(passed, 0));
  probe_failed_ += static_cast<std::uint64_t>(std::max(total - passed, 0));
  last_probe_ = std::make_pair(!ok, unix_seconds);
}

void LiveMetrics::set_gauge(const std::string& name, const std::map<std::string, std::string>& labels,
                            double value) {
  std::lock_guard<std::mutex> lock(mu_);
  gauges_[name][labels] = value;
}

void LiveMetrics::render_assistant(std::string& out) const {
  const auto family = [&out](const char* name, const char* type, const char* help) {
    out += std::string("# HELP ") + name + " " + help + "\n";
    out += std::string("# TYPE ") + name + " " + type + "\n";
  };
  family(kMetricAssistantRequests, "counter", "User requests the drill's assistant finished, by outcome.");
  for (const auto& [outcome, n] : outcomes_) {
    out += kMetricAssistantRequests + labels_text({{"outcome", outcome}}) + " " + std::to_string(n) + "\n";
  }
  family(kMetricAssistantDuration, "histogram", "Latency of user requests as the caller saw it.");
  render_series(out, kMetricAssistantDuration, {}, assistant_latency_, assistant_latency_buckets());
  family(kMetricSliEvents, "counter", "User requests by signal, good or bad (observable fields only).");
  for (const auto& [key, n] : sli_events_) {
    out += kMetricSliEvents + labels_text({{"sli", key.first}, {"good", key.second ? "true" : "false"}}) + " " +
           std::to_string(n) + "\n";
  }
  family(kMetricSloEvents, "counter", "User requests by scenario SLO, good or bad.");
  for (const auto& [key, n] : slo_events_) {
    out += kMetricSloEvents + labels_text({{"slo", key.first}, {"good", key.second ? "true" : "false"}}) + " " +
           std::to_string(n) + "\n";
  }
  family(kMetricCorrections, "counter", "Clinician corrections received.");
  out += std::string(kMetricCorrections) + " " + std::to_string(corrections_) + "\n";
  family(kMetricProbeCases, "counter", "Golden probe cases run, by result.");
  out += kMetricProbeCases + labels_text({{"result", "failed"}}) + " " + std::to_string(probe_failed_) + "\n";
  out += kMetricProbeCases + labels_text({{"result", "passed"}}) + " " + std::to_string(probe_passed_) + "\n";
  if (last_probe_) {
    family(kMetricProbeLastFailed, "gauge", "1 when the latest golden probe failed.");
    out += std::string(kMetricProbeLastFailed) + " " + (last_probe_->first ? "1" : "0") + "\n";
    family(kMetricProbeLastTime, "gauge", "When the latest golden probe finished (Unix time).");
    char when[64];
    std::snprintf(when, sizeof when, "%.3f", last_probe_->second);  // %.9g would drop seconds
    out += std::string(kMetricProbeLastTime) + " " + when + "\n";
  }
}

std::string LiveMetrics::prometheus_text() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  out += "# HELP gameday_http_requests_total HTTP requests served by gameday's live servers.\n";
  out += "# TYPE gameday_http_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    const auto& [server, route, status] = key;
    out += "gameday_http_requests_total" +
           labels_text({{"server", server}, {"route", route}, {"status", std::to_string(status)}}) + " " +
           std::to_string(n) + "\n";
  }
  out += "# HELP gameday_http_request_duration_seconds Time to serve a request.\n";
  out += "# TYPE gameday_http_request_duration_seconds histogram\n";
  for (const auto& [key, d] : durations_) {
    const auto& [server, route] = key;
    render_series(out, "gameday_http_request_duration_seconds", {{"server", server}, {"route", route}}, d, buckets());
  }
  if (assistant_) {
    render_assistant(out);
    render_dependencies(out);
  }
  render_gen_ai(out);
  for (const auto& [name, series] : gauges_) {
    out += "# TYPE " + name + " gauge\n";
    for (const auto& [labels, v] : series) out += name + labels_text(labels) + " " + number(v) + "\n";
  }
  return out;
}

}  // namespace gameday::net
