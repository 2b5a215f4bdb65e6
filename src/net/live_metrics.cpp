#include "net/live_metrics.hpp"

#include <algorithm>
#include <cstdio>

#include "slo/prom_rules.hpp"

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

}  // namespace

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
  Series& d = di->second;
  if (d.buckets.empty()) d.buckets.assign(buckets().size(), 0);
  ++d.count;
  d.sum += s;
  const auto& b = buckets();
  const auto it = std::lower_bound(b.begin(), b.end(), s);
  if (it != b.end()) ++d.buckets[static_cast<std::size_t>(it - b.begin())];
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
  Series& d = assistant_latency_;
  ++d.count;
  d.sum += s;
  const auto& b = assistant_latency_buckets();
  const auto it = std::lower_bound(b.begin(), b.end(), s);
  if (it != b.end()) ++d.buckets[static_cast<std::size_t>(it - b.begin())];
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
  Series& d = dependency_latency_[dependency];
  const auto& b = dependency_latency_buckets();
  if (d.buckets.empty()) d.buckets.assign(b.size(), 0);
  const double s = to_seconds(call.latency);
  ++d.count;
  d.sum += s;
  const auto it = std::lower_bound(b.begin(), b.end(), s);
  if (it != b.end()) ++d.buckets[static_cast<std::size_t>(it - b.begin())];
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
  const auto& b = dependency_latency_buckets();
  for (const auto& [dependency, d] : dependency_latency_) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < b.size(); ++i) {
      cumulative += d.buckets[i];
      out += name + "_bucket" + labels_text({{"dependency", dependency}, {"le", number(b[i])}}) + " " +
             std::to_string(cumulative) + "\n";
    }
    out += name + "_bucket" + labels_text({{"dependency", dependency}, {"le", "+Inf"}}) + " " +
           std::to_string(d.count) + "\n";
    out += name + "_sum" + labels_text({{"dependency", dependency}}) + " " + number(d.sum) + "\n";
    out += name + "_count" + labels_text({{"dependency", dependency}}) + " " + std::to_string(d.count) + "\n";
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
  const auto& b = assistant_latency_buckets();
  std::uint64_t cumulative = 0;
  const std::string name = kMetricAssistantDuration;
  for (std::size_t i = 0; i < b.size(); ++i) {
    cumulative += assistant_latency_.buckets[i];
    out += name + "_bucket" + labels_text({{"le", number(b[i])}}) + " " + std::to_string(cumulative) + "\n";
  }
  out += name + "_bucket{le=\"+Inf\"} " + std::to_string(assistant_latency_.count) + "\n";
  out += name + "_sum " + number(assistant_latency_.sum) + "\n";
  out += name + "_count " + std::to_string(assistant_latency_.count) + "\n";
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
  const auto& b = buckets();
  for (const auto& [key, d] : durations_) {
    const auto& [server, route] = key;
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < b.size(); ++i) {
      cumulative += d.buckets[i];
      out += "gameday_http_request_duration_seconds_bucket" +
             labels_text({{"server", server}, {"route", route}, {"le", number(b[i])}}) + " " +
             std::to_string(cumulative) + "\n";
    }
    out += "gameday_http_request_duration_seconds_bucket" +
           labels_text({{"server", server}, {"route", route}, {"le", "+Inf"}}) + " " + std::to_string(d.count) + "\n";
    out += "gameday_http_request_duration_seconds_sum" + labels_text({{"server", server}, {"route", route}}) +
           " " + number(d.sum) + "\n";
    out += "gameday_http_request_duration_seconds_count" + labels_text({{"server", server}, {"route", route}}) +
           " " + std::to_string(d.count) + "\n";
  }
  if (assistant_) {
    render_assistant(out);
    render_dependencies(out);
  }
  for (const auto& [name, series] : gauges_) {
    out += "# TYPE " + name + " gauge\n";
    for (const auto& [labels, v] : series) out += name + labels_text(labels) + " " + number(v) + "\n";
  }
  return out;
}

}  // namespace gameday::net
