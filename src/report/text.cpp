#include "report/text.hpp"

#include <cmath>
#include <cstdio>

#include "score/expect.hpp"

namespace gameday::report_text {

std::string seconds(const std::optional<double>& s, const char* none) {
  if (!s) return none;
  return format_duration(std::llround(*s * 1e6));
}

std::string offset(const std::optional<SimTime>& t, const char* none) {
  if (!t) return none;
  return format_offset(*t);
}

std::string percent(double ratio) {
  if (!std::isfinite(ratio)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g%%", ratio * 100);
  return buf;
}

std::string number(double v) {
  if (!std::isfinite(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

std::string actual(const ExpectationResult& e) {
  if (!e.actual) return "n/a";
  const auto kind = metric_kind(e.metric);
  if (kind == MetricKind::kDuration) return seconds(e.actual);
  if (kind == MetricKind::kCount) return std::to_string(std::llround(*e.actual));
  return number(*e.actual);
}

std::string count(long n, const char* singular, const char* plural) {
  return std::to_string(n) + " " + (n == 1 ? singular : plural);
}

std::string cut_short(const Score& s) {
  if (!s.cut_short()) return "";
  const std::string at = format_offset(s.end);
  const std::string planned = s.run.duration > 0 ? " of a planned " + format_duration(s.run.duration) : "";
  const std::string covers = "; the results cover only what happened until then.";
  if (s.ended == "interrupted") return "The run was interrupted at " + at + planned + covers;
  if (s.ended.empty()) return "The journal ends at " + at + planned + ": the run did not finish" + covers;
  return "The run ended early (" + s.ended + ") at " + at + planned + covers;
}

}  // namespace gameday::report_text
