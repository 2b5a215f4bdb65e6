#pragma once
// Plain structs for every file gameday reads. Loaders (load/loader.hpp, the only yaml-cpp user)
// fill them and validate; the core only ever sees these.
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/distribution.hpp"
#include "sim/time.hpp"
#include "spec/fault.hpp"
#include "spec/names.hpp"
#include "spec/playbook.hpp"
#include "spec/slo.hpp"
#include "spec/source.hpp"
#include "spec/verdict.hpp"

namespace gameday {

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
  /// The wire formats its live server answers (kOpenAiFormat, kAnthropicFormat); a request in
  /// another format gets 404 in that format's error shape.
  std::vector<std::string> formats = {"openai"};
  /// Whether it serves wire format `format`.
  bool serves(std::string_view format) const {
    for (const auto& f : formats) {
      if (f == format) return true;
    }
    return false;
  }
};

/// The wire formats a vendor profile's `formats` may list.
inline constexpr std::string_view kOpenAiFormat = "openai";
inline constexpr std::string_view kAnthropicFormat = "anthropic";

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

/// What an injected instruction asks the model to do.
enum class InjectionAction : std::uint8_t {
  kEmitCanary,          // repeat a sentence holding a canary token
  kRevealSystemPrompt,  // print the system prompt
  kOtherPatientPhi,     // repeat another patient's identifiers
  kToolCall,            // call a tool
  kSay,                 // repeat a sentence (read from wording only; no corpus payload declares it)
};

constexpr std::string_view name_of(InjectionAction a) {
  switch (a) {
    case InjectionAction::kEmitCanary: return "emit_canary";
    case InjectionAction::kRevealSystemPrompt: return "reveal_system_prompt";
    case InjectionAction::kOtherPatientPhi: return "other_patient_phi";
    case InjectionAction::kToolCall: return "tool_call";
    case InjectionAction::kSay: return "say";
  }
  return {};
}

/// One injected instruction from the corpus (fakes/injections.yaml). Poisoned chart notes carry
/// its text; each payload has its own canary token so success can be measured exactly.
struct InjectionPayload {
  std::string id;        // "ignore-previous-canary"
  SourceLoc loc;
  std::string text;      // the instruction as it appears in the note; may hold {canary}
  InjectionAction action = InjectionAction::kEmitCanary;  // any but kSay
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

/// How retrieval orders the documents a search returns before the prompt is built.
enum class RetrievalRank : std::uint8_t {
  kNone,        // as the EHR returns them (every document)
  kEmbeddings,  // by cosine similarity of the vendor's embeddings to the question, top_k kept
};

/// "none", "embeddings".
constexpr std::string_view name_of(RetrievalRank r) {
  switch (r) {
    case RetrievalRank::kNone: return "none";
    case RetrievalRank::kEmbeddings: return "embeddings";
  }
  return {};
}

/// The assistant's `retrieval:` option.
struct RetrievalSpec {
  RetrievalRank rank = RetrievalRank::kNone;
  /// Documents kept from a document search of more than this many (embeddings ranking; on an
  /// embeddings failure the first top_k, unranked).
  int top_k = 4;
  /// How long the assistant waits for the embeddings before going on unranked.
  Duration timeout = 2 * kSecond;
};

/// The read-only EHR tools the assistant's tool flow offers, by name (the assistant's
/// ehr_tools() describes them).
inline constexpr std::array<std::string_view, 3> kEhrToolNames = {
    "search_prior_auths", "search_discharge_notes", "search_plan_benefits"};

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
  RetrievalSpec retrieval;  // default: no ranking
  /// The tool flow (`tool_use: true`): the model is offered read-only EHR tools and retrieves
  /// through them instead of the assistant retrieving up front (message_triage excepted).
  bool tool_use = false;
  /// Tool rounds the assistant executes per request before it gives up (`tool_rounds`).
  int tool_rounds = 3;
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

/// A scenario expectation: "metric op value", e.g. "ttd <= 3m".
/// What an expectation is about: the run, one incident, an alert, a playbook, the assistant's
/// final state, or the background harm.
enum class ExpectScope : std::uint8_t { kRun, kIncident, kAlert, kPlaybook, kFinal, kBackground };

/// "run", "incident", "alert", "playbook", "final", "background".
constexpr std::string_view name_of(ExpectScope s) {
  switch (s) {
    case ExpectScope::kRun: return "run";
    case ExpectScope::kIncident: return "incident";
    case ExpectScope::kAlert: return "alert";
    case ExpectScope::kPlaybook: return "playbook";
    case ExpectScope::kFinal: return "final";
    case ExpectScope::kBackground: return "background";
  }
  return {};
}

/// A scenario expectation, e.g. "ttd <= 3m", "incident(bad-deploy).ttm <= 5m",
/// "alert(CanaryInOutput).fired", "final.route == secondary" (grammar: score/expect.hpp).
struct Expectation {
  std::string text;   // as written
  SourceLoc loc;
  ExpectScope scope = ExpectScope::kRun;
  std::string arg;    // the incident id, alert, playbook or flag named in parentheses ("" = none)
  std::string metric; // within the scope: ttd, unsafe, exposure, ... (known_metrics())
  CompareOp op = CompareOp::kLessEqual;
  double value = 0;   // seconds for durations, count or ratio otherwise
  bool none = false;  // the value is `none` (a time that never came)
  std::string word;   // a named value (outcome, variant, route, version)
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
  /// `paging: {group_interval: 5m}`: a re-fire of an alert within this long of its last page
  /// pages nobody (0 = every firing pages).
  Duration group_interval = 0;
  std::vector<FaultSpec> faults;
  /// How overlapping faults of one kind on one target combine (`fault_combine`).
  FaultCombine fault_combine = FaultCombine::kIndependent;
  std::vector<std::string> playbook_files;  // resolved paths
  std::optional<ProbeSpec> probes;
  CorrectionSpec corrections;
  Duration sustain = 5 * kMinute;           // recovery window for t_m
  std::vector<Expectation> expect;
  /// `ci: {tolerance: {metric: slack}}`: per-metric absolute slack for `gameday ci --baseline`
  /// (seconds for durations), replacing the default tolerance of that metric.
  std::map<std::string, double> ci_tolerance;
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
