#pragma once
// The scripts and styles the HTML pages inline, compiled into the binary (cmake/embed_assets.cmake):
// uPlot (third_party/uplot) and the pages' own code (src/report/html).
#include <string_view>

namespace gameday {

/// The asset at `name` (its path in the source tree, e.g. "third_party/uplot/uPlot.iife.min.js"),
/// or an empty view when there is none.
std::string_view report_asset(std::string_view name);

}  // namespace gameday
