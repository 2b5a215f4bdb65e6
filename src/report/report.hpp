#pragma once
// Renderers of a Score: machine-readable JSON, a Markdown report for people, and a terminal
// summary. All are pure functions of the Score (itself a pure function of the journal), so the
// same journal always renders byte-identical reports. Journals hold pseudonyms only, and no
// renderer prints patient references.
#include <string>

#include "score/score.hpp"

namespace gameday {

/// report.json: an object with keys in a fixed order (scenario, description, seed, mode,
/// playbooks_enabled, verdict, duration_s, timeline, metrics, expectations, faults, alerts,
/// playbooks, changes, golden, false_alerts), pretty-printed with 2-space indents and a trailing
/// newline. Times are seconds since the run start; missing instants and metrics are null.
std::string report_json(const Score& s);

/// report.md: title, verdict paragraph, timeline table (T+mm:ss), metrics table, SLO and
/// error-budget table, expectations (✅/❌) and a plain-words "What happened" paragraph.
std::string report_markdown(const Score& s);

/// A few plain lines (no colour codes, ASCII only) for the terminal: scenario, seed and verdict;
/// first fault; first alert; playbook actions; TTD/TTA/TTM/TTR; request totals; failing
/// expectations (when any). Ends with a newline.
std::string terminal_summary(const Score& s);

}  // namespace gameday
