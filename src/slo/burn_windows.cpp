#include "slo/burn_windows.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace gameday {
namespace {

// REFERENCE.md "SLO alerting": budget consumed over 30 days of 2 %, 5 % and 10 %.
const std::vector<BurnWindow>& standard_rows() {
  static const std::vector<BurnWindow> rows = {
      {kHour, 5 * kMinute, 14.4},
      {6 * kHour, 30 * kMinute, 6},
      {3 * 24 * kHour, 6 * kHour, 1},
  };
  return rows;
}

Duration scaled(Duration d, double scale) {
  const double v = std::round(static_cast<double>(d) * scale);
  return std::max<Duration>(1, static_cast<Duration>(v));
}

// A positive finite decimal filling all of `text`.
std::optional<double> positive_number(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  const std::string s(text);
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v) || v <= 0) return std::nullopt;
  return v;
}

}  // namespace

std::optional<double> parse_burn_scale(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return positive_number(text);
  const auto num = positive_number(text.substr(0, slash));
  const auto den = positive_number(text.substr(slash + 1));
  if (!num || !den) return std::nullopt;
  const double v = *num / *den;
  if (!std::isfinite(v) || v <= 0) return std::nullopt;
  return v;
}

std::vector<BurnWindow> burn_window_preset(BurnPreset preset) {
  const auto& rows = standard_rows();
  switch (preset) {
    case BurnPreset::kNone: return {};
    case BurnPreset::kStandard: return rows;
    case BurnPreset::kStandardPage: return std::vector<BurnWindow>(rows.begin(), rows.begin() + 2);
    case BurnPreset::kStandardTicket: return std::vector<BurnWindow>(rows.begin() + 2, rows.end());
  }
  return {};
}

std::vector<BurnWindow> effective_burn_windows(const AlertSpec& alert) {
  if (!std::isfinite(alert.scale) || alert.scale <= 0) {
    throw std::invalid_argument("alert '" + alert.name + "': scale must be a positive number, got " +
                                std::to_string(alert.scale));
  }
  std::vector<BurnWindow> out = burn_window_preset(alert.preset);
  out.insert(out.end(), alert.windows.begin(), alert.windows.end());
  if (alert.scale != 1.0) {
    for (auto& w : out) {
      w.long_window = scaled(w.long_window, alert.scale);
      w.short_window = scaled(w.short_window, alert.scale);
    }
  }
  return out;
}

}  // namespace gameday
