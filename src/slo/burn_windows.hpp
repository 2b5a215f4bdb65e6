#pragma once
// Burn-rate window sets: the SRE-workbook table as named presets, and the scaling that turns
// production windows (hours, days) into drill windows (minutes, seconds).
#include <optional>
#include <string_view>
#include <vector>

#include "spec/model.hpp"

namespace gameday {

/// The rows of a preset, unscaled: standard = {1h, 5m, 14.4}, {6h, 30m, 6}, {3d, 6h, 1};
/// standard_page = its first two rows; standard_ticket = its last row; none = no rows.
std::vector<BurnWindow> burn_window_preset(BurnPreset preset);

/// Parses a scale as a scenario writes it: a positive decimal ("0.5", "2") or a fraction of two
/// positive numbers ("1/60"); nullopt for anything else (zero, negative, non-finite, malformed).
std::optional<double> parse_burn_scale(std::string_view text);

/// The (long, short, factor) rows a burn_rate alert evaluates: its preset's rows, then its
/// explicit `windows`, each window multiplied by `scale` (rounded to the microsecond, at least
/// 1 µs; factors unchanged). Throws std::invalid_argument for a scale that is not a positive
/// finite number.
std::vector<BurnWindow> effective_burn_windows(const AlertSpec& alert);

}  // namespace gameday
