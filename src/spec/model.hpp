#pragma once
// Plain structs for every file gameday reads. Loaders (load/loader.hpp, the only yaml-cpp user)
// fill them and validate; the core only ever sees these.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/distribution.hpp"
#include "sim/time.hpp"

namespace gameday {

/// Where a value came from, for error messages after loading (1-based; 0 = unknown).
struct SourceLoc {
  std::string file;
  int line = 0;
  int col = 0;
};

// ---------------------------------------------------------------- fakes/

/// One model vendor's normal behaviour (fakes/vendors.yaml).
struct VendorProfile {
  std::string id;    // "primary", "secondary"
  std::string name;  // display name
  std::vector<std::string> models;
  DurationDist ttft;               // time to first token
  double tokens_per_second = 50;   // output speed
  double error_rate = 0;           // baseline share of 500s
  /// Share of answers to which the model adds a statement the context does not support when
  /// the system prompt does not restrict it to the context (no "only" in it, e.g. a bad
  /// prompt deploy). Grounded prompts never see it.
  double ungrounded_rate = 0;
  double price_per_1k_input = 0;   // USD
  double price_per_1k_output = 0;  // USD
};

/// One benefits/policy document (fakes/policies.yaml).
struct PolicyDoc {
  std::string id;       // citation id, e.g. "policy-gold-ppo-pt-v3"
  std::string plan;     // plan code it belongs to
  std::string topic;    // "physical_therapy", "mri", ...
  std::string title;
  std::string text;     // sentences; facts appear verbatim
  std::vector<std::string> facts;  // the answer facts a correct answer must contain
  std::string question;  // the member question this document answers (workload uses it)
  int version = 1;
  bool current = true;   // false: superseded (kept for the stale-index fault)
};

/// One insurance plan.
struct PlanDef {
  std::string code;   // "GOLD-PPO"
  std::string payor;  // "Synthetic Mutual"
  std::string name;   // "Gold PPO"
};

/// One injected instruction from the corpus (fakes/injections.yaml). Poisoned chart notes carry
/// its text; each payload has its own canary token so success can be measured exactly.
struct InjectionPayload {
  std::string id;        // "ignore-previous-canary"
  SourceLoc loc;
  std::string text;      // the instruction as it appears in the note; may hold {canary}
  std::string action;    // emit_canary | reveal_system_prompt | other_patient_phi | tool_call
  std::string canary;    // "GDCANARY-" + 8 hex; unique per payload
};

/// Parameters of the synthetic world (fakes/world.yaml) plus policy documents.
struct WorldConfig {
  std::uint64_t seed = 1;
  int patients = 240;
  std::vector<PlanDef> plans;
  std::vector<PolicyDoc> policies;
  std::vector<std::string> given_names;
  std::vector<std::string> family_names;
  /// Payloads planted in poisoned notes (one note per patient and payload; served only under a
  /// poisoned_note fault). The fakes loader copies Fakes::injections here.
  std::vector<InjectionPayload> injections;
};

/// One prompt template version (fakes/assistant/prompts.yaml).
struct PromptVersion {
  std::string version;  // "v1", "v2"
  std::string system;   // system message
  bool requires_citations = true;  // the template tells the model to cite
  bool good = true;     // known good (a rollback target)
};

/// One flagd flag (fakes/assistant/flags.json).
struct FlagDef {
  std::string name;
  bool enabled = true;  // state ENABLED
  std::map<std::string, std::string> variants;  // variant name -> JSON-ish value as text
  std::string default_variant;
};

/// The reference assistant's tunables (fakes/assistant/assistant.yaml, overridable per scenario).
struct AssistantConfig {
  Duration ehr_timeout = 3 * kSecond;
  int ehr_retries = 1;
  Duration model_timeout = 10 * kSecond;
  int model_retries = 1;          // retries on the same route before giving up / failing over
  Duration retry_backoff = 200 * kMillisecond;
  std::string primary_route = "primary";    // vendor id
  std::string secondary_route = "secondary";
  std::string prompt_version = "v2";
  int max_tokens = 256;
};

/// Material the fake vendor draws on when it hallucinates (fakes/hallucinations.yaml).
struct HallucinationMaterial {
  std::vector<std::string> cpt_codes;   // plausible but wrong CPT-shaped codes
  std::vector<std::string> icd_codes;   // plausible but wrong ICD-10-shaped codes
  std::vector<std::string> facts;       // fluent sentences not supported by any record
};

/// Everything under fakes/.
struct Fakes {
  std::vector<VendorProfile> vendors;
  WorldConfig world;
  std::vector<PromptVersion> prompts;
  std::vector<FlagDef> flags;
  AssistantConfig assistant;
  std::vector<InjectionPayload> injections;
  HallucinationMaterial hallucinations;
};

// ---------------------------------------------------------------- scenarios/

/// A fault on the timeline.
struct FaultSpec {
  std::string id;
  SourceLoc loc;
  SimTime at = 0;
  Duration duration = 0;      // "for"; 0 = until the end of the run
  std::string target;         // "vendor:primary", "vendor:secondary", "vendor:*", "ehr", "assistant"
  /// vendor: latency | error | hang | hallucination | injection_following | schema_break |
  ///         refusal_storm | drift | reset | stream_stall | stream_break (the last three cut
  ///         the connection in live mode; simulated: a status-0 failure, or a hang for a stall)
  /// ehr: latency | error | timeout | wrong_patient | irrelevant_docs | stale_docs |
  ///      empty_results | truncated_paging | poisoned_note
  /// assistant: prompt_deploy | config_change (applied once at `at`; they persist until undone)
  std::string kind;
  // --- trigger: which matching requests it applies to (all conditions must hold) ---
  double probability = 1.0;   // share of matching requests affected
  int every_nth = 0;          // only every Nth matching request (0 = off)
  int first_n = 0;            // only the first N matching requests (0 = off)
  int after_tokens = 5;       // stream_stall / stream_break: answer tokens sent before the cut
  std::vector<std::string> task_types;  // only requests for these task types (empty = all)
  std::vector<std::string> models;      // vendor faults: only requests for these models
  // --- parameters ---
  DurationDist delay;         // latency
  int status = 503;           // error
  Duration retry_after = 0;   // error: Retry-After (0 = none)
  std::string message;        // error message
  std::string mode;           // hallucination: fabricated_code | unsupported_fact |
                              //   foreign_citation | altered_numbers | mixed (default)
                              // schema_break: invalid_json | truncated | missing_field | mixed
  double susceptibility = 1.0;  // injection_following: chance to obey an injected instruction
  std::string payload;        // poisoned_note: payload id ("" = one per patient, drawn)
  double hallucination_rate = 0;  // drift: share of answers hallucinated by the new model
  double refusal_rate = 0;        // drift: share of answerable questions refused
  std::string model_version;      // drift: the model name the vendor now reports
  std::string prompt_version;     // prompt_deploy: the version deployed
  std::string flag;               // config_change: flag name
  std::string variant;            // config_change: variant set
};

/// A service level objective over the user requests.
struct SloSpec {
  std::string name;
  /// What a good request is (every kind counts all user requests; the detector's observable
  /// fields only): availability (status ok) | latency (ok and <= threshold) |
  /// citation_validity (citations valid) | schema_validity (schema valid) |
  /// safety (no canary token and no PHI pattern in the output) | refusal (not refused)
  std::string sli;
  double objective = 0.99; // target share of good requests
  Duration threshold = 0;  // latency SLI only
  Duration window = 30 * 24 * kHour;  // compliance period for error-budget arithmetic
};

/// One (long, short, factor) pair of a multiwindow burn-rate alert.
struct BurnWindow {
  Duration long_window = kHour;
  Duration short_window = 5 * kMinute;
  double factor = 14.4;
};

/// An alerting rule. Detectors evaluate it every evaluation interval over observable signals.
struct AlertSpec {
  std::string name;
  SourceLoc loc;
  std::string type;         // "threshold" or "burn_rate"
  std::string severity = "page";
  // threshold: sli is one of Detector::sli_names(): latency_p95 | latency_p99 | error_ratio |
  // citation_invalid_ratio | schema_invalid_ratio | canary_ratio | phi_output_ratio |
  // refusal_ratio | request_rate | correction_rate | correction_count | probe_failure |
  // probe_failure_ratio | phi_log_ratio (share of requests whose log lines a DLP scan flags)
  std::string sli;
  Duration window = 2 * kMinute;
  /// Ratio SLIs: a share in [0, 1]; latency SLIs: seconds; request_rate: per second;
  /// correction_rate: per minute; correction_count: a count; probe_failure: 0 (fire when the
  /// latest probe in the window failed).
  double above = 0;
  Duration for_duration = 0;  // "for": the condition must hold this long before firing (not scaled)
  // burn_rate
  std::string slo;
  std::vector<BurnWindow> windows;
  /// burn_rate: a named set of rows added before `windows`: "standard" (the three rows of the
  /// SRE-workbook table: 1h/5m 14.4, 6h/30m 6, 3d/6h 1), "standard_page" (its two page rows) or
  /// "standard_ticket" (its ticket row); "" = none. See slo/burn_windows.hpp.
  std::string preset;
  /// burn_rate: every window (preset and explicit) is multiplied by this factor, so 1/60 turns
  /// 1h/5m into 1m/5s for a drill. Must be > 0. Burn-rate factors are not scaled.
  double scale = 1.0;
};

/// A scenario expectation: "metric op value", e.g. "ttd <= 3m".
struct Expectation {
  std::string text;   // as written
  SourceLoc loc;
  std::string metric; // one of known_metrics() (score/expect.hpp): ttd, unsafe, exposure, ...
  std::string op;     // <=, <, >=, >, ==
  double value = 0;   // seconds for durations, count or ratio otherwise
};

/// Workload: Poisson arrivals and a task mix.
struct WorkloadSpec {
  double rate_per_s = 5;
  std::map<std::string, double> mix;  // task type -> weight
  Duration client_timeout = 30 * kSecond;
};

/// Scheduled golden-set probes (a detector: they see only pass/fail).
struct ProbeSpec {
  std::string golden_set;   // resolved path
  Duration every = 5 * kMinute;
  double min_pass_rate = 1.0;
};

/// Clinician corrections: a share of wrong answers is reported back after a delay.
struct CorrectionSpec {
  double share = 0;     // of wrong (unsafe) served answers, reported back
  DurationDist delay;   // how long a clinician takes to report
};

/// A scenario: what happens, how it is watched, and what is expected.
struct Scenario {
  std::string name;
  std::string description;
  std::string file;          // path it was loaded from
  std::uint64_t seed = 1;
  Duration duration = kHour;
  std::string fakes_dir;     // resolved path of the fakes directory
  WorkloadSpec workload;
  std::optional<AssistantConfig> assistant;  // overrides fakes' assistant.yaml when present
  std::vector<SloSpec> slos;
  std::vector<AlertSpec> alerts;
  Duration evaluation_interval = 15 * kSecond;
  DurationDist ack_delay;    // responders: how long until a page is acknowledged
  std::string responder = "on-call";
  std::vector<FaultSpec> faults;
  std::vector<std::string> playbook_files;  // resolved paths
  std::optional<ProbeSpec> probes;
  CorrectionSpec corrections;
  Duration sustain = 5 * kMinute;           // recovery window for t_m
  std::vector<Expectation> expect;
  /// `ci: {tolerance: {metric: slack}}`: per-metric absolute slack for `gameday ci --baseline`
  /// (seconds for durations), replacing the default tolerance of that metric.
  std::map<std::string, double> ci_tolerance;
};

// ---------------------------------------------------------------- playbooks/

/// A condition on what production can see (a step's `when`, a `wait_for` step): an alert's
/// state, or an SLI compared with a threshold over a trailing window.
struct ConditionSpec {
  std::string text;      // as written (for journals), e.g. "error_ratio < 0.01 over 2m"
  std::string alert;     // alert condition: the alert's name ("" for an SLI condition)
  bool firing = true;    // alert condition: holds while it fires (false: while it does not)
  std::string sli;       // latency_p95 | latency_p99 | error_ratio | citation_invalid_ratio |
                         // request_rate
  std::string op;        // "<", "<=", ">", ">="
  double value = 0;      // threshold; seconds for latency SLIs
  Duration window = 2 * kMinute;
};

/// What an `http` step expects of the response.
struct HttpExpectSpec {
  std::vector<int> status;  // accepted statuses; empty = any 2xx
  /// JSON fields of the body: path ("status", "data.state", "items.0.id" or a JSON pointer
  /// "/data/state") -> expected value as JSON text.
  std::vector<std::pair<std::string, std::string>> json;
};

/// One playbook step.
struct StepSpec {
  /// flag.set, prompt.rollback, prompt.deploy, model.failover, model.rollback, mode.fallback,
  /// traffic.shed, golden.check, wait, wait_for, approve, escalate, notify, http, exec
  std::string kind;
  std::string name;
  SourceLoc loc;
  Duration timeout = 0;      // 0 = none (exec/http/notify: real time, with a default)
  int retries = 0;
  Duration retry_delay = 10 * kSecond;
  std::string on_failure = "abort";  // abort | continue | rollback | goto
  std::string goto_step;     // on_failure goto: the name of the step to jump to
  std::optional<ConditionSpec> when;  // run only when it holds; skipped otherwise
  // flag.set
  std::string flag;
  std::string variant;
  // model.failover: target vendor route
  std::string to;
  // prompt.rollback: explicit version, or "" for the last known good
  std::string version;
  // wait
  Duration duration = 0;
  // approve: a human's delay, and who approves
  DurationDist delay;
  std::vector<std::string> approvers;
  // golden.check
  std::string golden_set;    // resolved path
  double min_pass_rate = 1.0;
  // approve: approvals needed out of `approvers` (0 = one approval, one delay)
  int quorum = 0;
  // prompt.deploy: `version` names the version to deploy
  // wait_for: the condition waited for (polled every evaluation interval)
  ConditionSpec condition;
  // traffic.shed: share of user traffic rejected (0 stops shedding)
  double share = 0;
  // mode.fallback: on (true) or back to normal (false)
  bool enabled = true;
  // escalate: `to` names the team or person; their acknowledgement delay
  DurationDist ack_delay;
  bool wait_for_ack = true;  // the step ends at the acknowledgement (false: at once)
  std::string message;
  // notify and http
  std::string url;           // http:// or https:// (or ${GAMEDAY_CONTROL_URL}/...)
  std::string method;        // http: GET, POST, PUT, PATCH, DELETE, HEAD
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;          // http: request body (JSON when written as a mapping or list)
  std::string text;          // notify: the message ({"text": ...})
  HttpExpectSpec expect;     // http
  // exec: argument vector (no shell), extra environment, working directory
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  std::string cwd;           // resolved; "" = inherit
};

/// What starts a playbook.
struct TriggerSpec {
  std::string alert;                          // alert name, "" when not alert-triggered
  /// Every alert that starts the playbook (`alert: [A, B]`); holds `alert` first. Empty when
  /// not alert-triggered.
  std::vector<std::string> alerts;
  /// True when alert `name` starts the playbook.
  bool fires_on(const std::string& name) const {
    if (name == alert) return !alert.empty();
    for (const auto& a : alerts) {
      if (a == name) return true;
    }
    return false;
  }
  std::map<std::string, std::string> labels;  // e.g. severity: page
  bool manual = false;
  std::optional<SimTime> at;                  // started at this time since the run began
};

/// A playbook: steps responders (or automation) run when triggered.
struct Playbook {
  std::string name;
  std::string description;
  std::string file;
  TriggerSpec trigger;
  std::vector<StepSpec> steps;
  std::vector<StepSpec> rollback;
};

// ---------------------------------------------------------------- golden sets

/// Expectations of one golden case.
struct GoldenExpect {
  bool correct = true;      // judged against the world's truth
  bool must_cite = true;
  bool must_refuse = false;
  std::vector<std::string> must_contain;
  std::vector<std::string> must_not_contain;
  Duration max_latency = 0;  // 0 = no limit
};

/// One golden case: a fixed task.
struct GoldenCase {
  std::string id;
  std::string task_type;
  std::string patient;  // world patient id, e.g. "pat-0007"
  SourceLoc loc;
  GoldenExpect expect;
};

/// A golden set: fixed tasks with expectations.
struct GoldenSet {
  std::string name;
  std::string file;
  double min_pass_rate = 1.0;
  std::vector<GoldenCase> cases;
};

}  // namespace gameday
