#pragma once
// A CI summary as JUnit XML, the format CI systems show test results in.
#include <string>
#include <string_view>

#include "ci/summary.hpp"

namespace gameday {

/// JUnit XML: one <testsuite> per scenario with runs, one <testcase> per seed ("seed 7") and,
/// when the scenario was compared with a baseline, one "baseline" testcase; failures carry the
/// reasons and the replay command. Times are 0 so the output is deterministic.
std::string junit_xml(const CiSummary& s);

/// Escapes text for an XML attribute value or element content: & < > " ' and the line breaks
/// and tabs (as character references); other control characters, invalid in XML 1.0, become '?'.
std::string xml_escape(std::string_view text);

}  // namespace gameday
