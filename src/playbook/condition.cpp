#include "playbook/condition.hpp"

#include <cstdio>

namespace gameday {
namespace {

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

// "2m", "90s", "250ms" the way a playbook would write them.
std::string compact_duration(Duration d) {
  if (d > 0 && d % kHour == 0) return std::to_string(d / kHour) + "h";
  if (d > 0 && d % kMinute == 0) return std::to_string(d / kMinute) + "m";
  if (d > 0 && d % kSecond == 0) return std::to_string(d / kSecond) + "s";
  if (d > 0 && d % kMillisecond == 0) return std::to_string(d / kMillisecond) + "ms";
  return format_duration(d);
}

std::string value_text(Sli sli, double v) {
  if (is_latency(sli)) return compact_duration(static_cast<Duration>(v * 1e6 + (v >= 0 ? 0.5 : -0.5)));
  return number_text(v);
}

// "vendor_error_ratio(secondary)" for a vendor SLI narrowed to one vendor, else the SLI's name.
std::string sli_label(const ConditionSpec& c) {
  if (c.vendor.empty() || !is_vendor_sli(c.sli)) return to_name(c.sli);
  return to_name(c.sli) + "(" + c.vendor + ")";
}

}  // namespace

std::string describe_condition(const ConditionSpec& c) {
  if (!c.text.empty()) return c.text;
  if (!c.alert.empty()) return "alert " + c.alert + (c.firing ? " firing" : " resolved");
  return sli_label(c) + " " + to_name(c.op) + " " + value_text(c.sli, c.value) + " over " + compact_duration(c.window);
}

ConditionReading evaluate_condition(const ConditionSpec& c, const ConditionSignals* signals) {
  ConditionReading r;
  if (!signals) {
    r.observed = "no signals";
    return r;
  }
  if (!c.alert.empty()) {
    const bool on = signals->firing(c.alert);
    r.holds = on == c.firing;
    r.observed = c.alert + (on ? " firing" : " not firing");
    return r;
  }
  const bool narrowed = !c.vendor.empty() && is_vendor_sli(c.sli);
  const auto v = narrowed ? signals->vendor_sli(c.sli, c.window, c.vendor) : signals->sli(c.sli, c.window);
  if (!v) {
    r.observed = (is_dependency_sli(c.sli) ? "no calls in " : "no requests in ") + format_duration(c.window);
    return r;
  }
  r.observed = sli_label(c) + " " + value_text(c.sli, *v);
  r.holds = compare(*v, c.op, c.value);
  return r;
}

}  // namespace gameday
