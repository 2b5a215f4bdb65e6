#pragma once
// Self-contained HTML pages: report.html (a run's timeline, per-minute SLI charts and the tables
// of report.md), the CI dashboard and run-history trends. Every page inlines its scripts, styles
// and data (uPlot and the page code from report/assets.hpp, the data as JSON), loads nothing
// from the network and is a pure function of its inputs: the same journal renders the same bytes.
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ci/summary.hpp"
#include "score/score.hpp"
#include "score/series.hpp"
#include "sim/journal.hpp"

namespace gameday {

/// A page: `<title>`, the body's static HTML (already escaped), `data` as
/// `<script type="application/json" id="gameday-data">` (with "</" escaped), then uPlot and the
/// page script `script` (an asset name under src/report/html/) inline. `data` must hold only
/// values safe to show: pseudonyms, never identifiers.
/// `live` pages (the drill room) may also connect to the server that served them
/// (connect-src 'self': its event stream and actions); the others connect nowhere.
std::string html_page(std::string_view title, std::string_view body, const nlohmann::json& data,
                      std::string_view script, bool live = false);

/// Markdown (CommonMark with GitHub tables, by cmark-gfm) as HTML; raw HTML in the input is not
/// passed through. Safe to call from several threads at once.
std::string markdown_html(std::string_view markdown);

/// report.html of a scored journal (`events` is the journal `score` was computed from): a
/// header with the verdict, a timeline (faults as bands per target, incidents with their
/// f/i/d/a/m/r marks, alerts firing, acknowledgements, playbook runs and their steps, control
/// changes, golden checks), per-minute SLI charts on the same time axis (request rate,
/// availability, latency p50/p95, failed and unsafe answers by kind, each SLO's compliance with
/// its objective, each burn-rate rule's burn rate and each threshold rule's SLI against its
/// threshold, with the alert's firing windows shaded), and
/// report.md rendered below. Charts zoom together (drag; double-click resets) and show exact
/// values under the cursor. Its size depends on the run's length in minutes, not on its requests.
std::string report_html(const Score& score, const std::vector<Event>& events);

/// The same page from the run's per-minute series (minute_series() of its journal, or a
/// MinuteSeriesBuilder fed as it ran).
std::string report_html(const Score& score, const MinuteSeries& series);

/// The CI dashboard (`gameday ci --html`): per scenario, strip plots with box summaries of
/// TTD, TTM, TTR and unsafe answers over its seeds (failing runs marked), its regressions
/// against the baseline highlighted, and per failing run its failing expectations, the replay
/// command and, when `reports_dir` is not empty, a link to `reports_dir/<scenario>-<seed>/report.html`
/// (`reports_dir` relative to the dashboard file, as `ci --out` wrote the runs).
std::string ci_dashboard_html(const CiSummary& summary, const std::string& reports_dir);

}  // namespace gameday
