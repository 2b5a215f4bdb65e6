#include "ci/text.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

#include "score/expect.hpp"
#include "sim/time.hpp"

namespace gameday {

std::string format_metric(std::string_view metric, std::optional<double> value) {
  if (!value || !std::isfinite(*value)) return "-";
  const auto kind = metric_kind(metric);
  if (kind == MetricKind::kDuration) return format_duration(std::llround(*value * 1e6));
  if (kind == MetricKind::kCount) return std::to_string(std::llround(*value));
  return format_significant(*value);
}

std::string format_significant(double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g", value);
  return buf;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += separator;
    out += p;
  }
  return out;
}

std::string shell_quote(const std::string& word) {
  const bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("_./:=@%+-,").find(c) != std::string_view::npos;
  });
  if (plain) return word;
  std::string q = "'";
  for (char c : word) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string incident_figure(const IncidentSummary& incident, const char* metric) {
  const auto it = incident.metrics.find(metric);
  const MetricStats st = it == incident.metrics.end() ? MetricStats{} : it->second;
  std::string name = metric;
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name + " " + format_metric(metric, st.p50) + "/" + format_metric(metric, st.p90) + " (" +
         std::to_string(st.samples) + "/" + std::to_string(incident.runs) + " runs)";
}

std::string incident_rows(const ScenarioSummary& sc) {
  std::string out;
  for (const IncidentSummary& x : sc.incidents) {
    auto p90 = [&](const char* m) {
      const auto it = x.metrics.find(m);
      return format_metric(m, it == x.metrics.end() ? std::nullopt : it->second.p90);
    };
    out += "  incident " + x.id + ": in " + std::to_string(x.runs) + "/" + std::to_string(sc.runs) +
           " runs; failed p90 " + p90("failed") + ", unsafe p90 " + p90("unsafe") + "\n";
    out += "    p50/p90  " + incident_figure(x, "ttd") + "  " + incident_figure(x, "ttm") + "  " +
           incident_figure(x, "ttr") + "\n";
  }
  return out;
}

}  // namespace gameday
