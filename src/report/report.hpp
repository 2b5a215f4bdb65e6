#pragma once
// Renderers of a Score: machine-readable JSON, a Markdown report for people, and a terminal
// summary. All are pure functions of the Score (itself a pure function of the journal), so the
// same journal always renders byte-identical reports. Journals hold pseudonyms only; renderers
// name patients only by pseudonym (patient_ref), and only in the unsafe-exposure lists of
// report.json and report.md.
#include <string>

#include "score/score.hpp"

namespace gameday {

/// report.json: an object with keys in a fixed order (scenario, description, seed, mode,
/// playbooks_enabled, verdict, interrupted (the run was cut short: Ctrl-C, or a journal without
/// run_end), ended (run_end's reason, "completed" or "interrupted"; null without run_end),
/// duration_s, timeline, metrics, expectations, faults, alerts,
/// playbooks, changes, golden, false_alerts), pretty-printed with 2-space indents and a trailing
/// newline. Times are seconds since the run start; missing instants and metrics are null.
///
/// `metrics`, in order: ttd_s … unsafe_ratio, error_budget (per SLO), then
/// - unsafe_by_kind: {kind: count}, whole run (unsafe_responses is its total);
/// - exposure: {window_s: [t_i, t_m or run end] | null, until: "mitigation" | "run_end" | null,
///   total, by_kind, patients_affected, per_patient: [{patient_ref, count}] (count desc, ref)}:
///   unsafe answers completed inside the impact window;
/// - bad_requests (failed or unsafe, whole run) and root_cause: {retrieval, prompt_config, model,
///   ehr_dependency, [other causes seen], unattributed: {count, share of bad_requests}};
/// - attack: {attempted, succeeded, attack_success_rate, answered_correctly,
///   utility_under_attack}; phi: {to_vendor, in_logs, leaked_to_users};
///   correctness: {served, correct, correct_ratio} (truth, whole run);
/// - citation_validity and detectors: {citation_invalid, schema_invalid, schema_validity,
///   canary_outputs, phi_pattern_outputs, refusals, refusal_ratio, unsafe_flagged, corrections,
///   first_correction_s, probe_runs, probe_failures, first_probe_failure_s} (observable signals,
///   whole run). Ratios without a denominator are null.
std::string report_json(const Score& s);

/// The summary `--json` prints on stdout: one line of JSON with report.json's scenario, seed,
/// mode, verdict, interrupted, ended, duration_s, timeline, incidents, metrics and expectations
/// (the same values, in that order), and a trailing newline.
std::string report_summary_json(const Score& s);

/// report.md: title, verdict paragraph, timeline table (T+mm:ss), metrics table, SLO and
/// error-budget table, "What the detectors saw vs what the truth says" (signal table, plain
/// words, unsafe exposure by kind and by patient pseudonym, root-cause shares), expectations
/// (✅/❌) and a plain-words "What happened" paragraph.
std::string report_markdown(const Score& s);

/// A few plain lines (no colour codes, ASCII only) for the terminal: scenario, seed and verdict;
/// first fault; first alert; playbook actions; TTD/TTA/TTM/TTR; request totals; failing
/// expectations (when any). Ends with a newline.
std::string terminal_summary(const Score& s);

}  // namespace gameday
