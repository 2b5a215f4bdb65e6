#include "net/live_metrics.hpp"

#include <algorithm>
#include <cstdio>

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
  ++requests_[{server, route, status}];
  Series& d = durations_[{server, route}];
  if (d.buckets.empty()) d.buckets.assign(buckets().size(), 0);
  ++d.count;
  d.sum += s;
  const auto& b = buckets();
  const auto it = std::lower_bound(b.begin(), b.end(), s);
  if (it != b.end()) ++d.buckets[static_cast<std::size_t>(it - b.begin())];
}

void LiveMetrics::set_gauge(const std::string& name, const std::map<std::string, std::string>& labels,
                            double value) {
  std::lock_guard<std::mutex> lock(mu_);
  gauges_[name][labels] = value;
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
  for (const auto& [name, series] : gauges_) {
    out += "# TYPE " + name + " gauge\n";
    for (const auto& [labels, v] : series) out += name + labels_text(labels) + " " + number(v) + "\n";
  }
  return out;
}

}  // namespace gameday::net
