#include "sim/time.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace gameday {

std::string format_duration(Duration d) {
  std::string sign = d < 0 ? "-" : "";
  const long long u = std::llabs(d);
  char buf[48];
  if (u < kSecond) {
    if (u % kMillisecond == 0) {
      std::snprintf(buf, sizeof buf, "%lldms", u / kMillisecond);
    } else {
      std::snprintf(buf, sizeof buf, "%.3fms", static_cast<double>(u) / kMillisecond);
    }
  } else if (u < kMinute) {
    if (u % kSecond == 0) {
      std::snprintf(buf, sizeof buf, "%llds", u / kSecond);
    } else {
      std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(u) / kSecond);
    }
  } else if (u < kHour) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", u / kMinute, (u % kMinute) / kSecond);
  } else {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm%02llds", u / kHour, (u % kHour) / kMinute,
                  (u % kMinute) / kSecond);
  }
  return sign + buf;
}

std::string format_duration_exact(Duration d) {
  if (d == 0) return "0s";
  const std::string sign = d < 0 ? "-" : "";
  const long long u = std::llabs(d);
  if (u % kHour == 0) return sign + std::to_string(u / kHour) + "h";
  if (u % kMinute == 0) return sign + std::to_string(u / kMinute) + "m";
  if (u % kSecond == 0) return sign + std::to_string(u / kSecond) + "s";
  if (u % kMillisecond == 0) return sign + std::to_string(u / kMillisecond) + "ms";
  return sign + std::to_string(u) + "us";
}

std::string format_offset(SimTime t) {
  const long long u = std::llabs(t);
  const long long s = u / kSecond;
  char buf[48];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "T%s%lld:%02lld:%02lld", t < 0 ? "-" : "+", s / 3600,
                  (s % 3600) / 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "T%s%02lld:%02lld", t < 0 ? "-" : "+", s / 60, s % 60);
  }
  return buf;
}

}  // namespace gameday

namespace gameday {

std::optional<Duration> parse_duration(std::string_view text) {
  return parse_duration(text, nullptr);
}

std::optional<Duration> parse_duration(std::string_view text, std::string* error) {
  auto fail = [error](const char* why) -> std::optional<Duration> {
    if (error != nullptr) *error = why;
    return std::nullopt;
  };
  constexpr const char* kNotDuration = "is not a duration";
  constexpr const char* kTooLong = "is longer than the limit of 3650d";
  if (text.empty()) return fail(kNotDuration);
  if (text == "0") return 0;
  Duration total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    // number: digits with an optional fraction
    const std::size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    if (i == start) return fail(kNotDuration);
    const std::string num(text.substr(start, i - start));
    if (num.find('.') != num.rfind('.') || num.front() == '.' || num.back() == '.') return fail(kNotDuration);
    // unit
    const std::size_t ustart = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    const std::string_view unit = text.substr(ustart, i - ustart);
    Duration scale = 0;
    if (unit == "us") scale = kMicrosecond;
    else if (unit == "ms") scale = kMillisecond;
    else if (unit == "s") scale = kSecond;
    else if (unit == "m") scale = kMinute;
    else if (unit == "h") scale = kHour;
    else if (unit == "d") scale = 24 * kHour;
    else return fail(kNotDuration);
    // Compare in floating point before converting: a part over the limit would overflow
    // (or be undefined behaviour) as an integer. The sum of parts each <= the limit, checked
    // after every addition, stays far below INT64_MAX.
    const double part = std::strtod(num.c_str(), nullptr) * static_cast<double>(scale);
    if (!(part <= static_cast<double>(kMaxDuration))) return fail(kTooLong);
    total += static_cast<Duration>(std::llround(part));
    if (total > kMaxDuration) return fail(kTooLong);
  }
  return total;
}

}  // namespace gameday
