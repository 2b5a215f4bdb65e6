#pragma once
// Formatting helpers shared by the renderers (internal to src/report).
#include <optional>
#include <string>

#include "score/score.hpp"

namespace gameday::report_text {

/// A duration given in seconds as "2m12s", "45s", "250ms"; `none` when missing.
std::string seconds(const std::optional<double>& s, const char* none = "-");

/// "T+mm:ss" for an instant; `none` when missing.
std::string offset(const std::optional<SimTime>& t, const char* none = "-");

/// A share as a percentage with up to 4 significant digits: 0.0454 -> "4.54%".
std::string percent(double ratio);

/// A number with up to 4 significant digits: 14.4 -> "14.4", 1e-5 -> "1e-05".
std::string number(double v);

/// An expectation's actual value in its metric's units (duration, count or ratio); "n/a" when
/// missing.
std::string actual(const ExpectationResult& e);

/// One sentence saying the run was cut short, naming when ("The run was interrupted at T+03:10
/// of a planned 30m: ..." or "The journal ends at T+03:10 ...: the run did not finish"); ""
/// for a run that completed. ASCII only.
std::string cut_short(const Score& s);

/// Plural helper: "1 run", "2 runs".
std::string count(long n, const char* singular, const char* plural);

}  // namespace gameday::report_text
