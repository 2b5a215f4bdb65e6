#pragma once
// Faults as data: the closed set of fault kinds, what each targets, and each kind's parameters
// as its own small struct. A FaultSpec holds one of them in a std::variant whose alternative
// order is the FaultKind order, so the kind is the variant's index: a fault cannot carry the
// parameters of another kind, and adding a kind is one struct here plus the `switch`es the
// compiler then points at (-Werror=switch; no switch over FaultKind has a default).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sim/distribution.hpp"
#include "sim/time.hpp"
#include "spec/fields.hpp"
#include "spec/names.hpp"
#include "spec/source.hpp"

namespace gameday {

/// Every fault kind. Vendor kinds first, then EHR kinds, then changes to the assistant; latency
/// and error apply to both dependencies.
enum class FaultKind : std::uint8_t {
  kLatency,             // vendor, ehr: responses take longer by `delay`
  kError,               // vendor, ehr: an HTTP error status instead of an answer
  kHang,                // vendor: no response at all
  kHallucination,       // vendor: the answer states what the context does not support
  kInjectionFollowing,  // vendor: the model obeys an instruction injected into its context
  kSchemaBreak,         // vendor: JSON output breaks its schema
  kRefusalStorm,        // vendor: answerable questions are refused
  kDrift,               // vendor: a new model version refuses and hallucinates more
  kReset,               // vendor: the connection is reset (simulated: a failure, no status)
  kStreamStall,         // vendor: the answer stops after a few tokens (simulated: a hang)
  kStreamBreak,         // vendor: the connection drops after a few tokens
  kForbiddenTool,       // vendor (tool flow): the model calls a tool it was not offered
  kToolWrongArguments,  // vendor (tool flow): tool calls name another patient
  kToolLoop,            // vendor (tool flow): the model keeps calling tools instead of answering
  kTimeout,             // ehr: no response at all
  kWrongPatient,        // ehr: searches return another patient's records
  kIrrelevantDocs,      // ehr: searches return documents that do not answer the question
  kStaleDocs,           // ehr: policy searches return superseded versions
  kEmptyResults,        // ehr: searches return nothing
  kTruncatedPaging,     // ehr: searches return a first page only
  kPoisonedNote,        // ehr: a chart note carrying an injected instruction is served
  kPromptDeploy,        // assistant: a prompt version is deployed at `at`
  kConfigChange,        // assistant: a flag is set at `at`
};

/// The name of a fault kind in files, journals and APIs ("latency", "wrong_patient", ...).
constexpr std::string_view name_of(FaultKind k) {
  switch (k) {
    case FaultKind::kLatency: return "latency";
    case FaultKind::kError: return "error";
    case FaultKind::kHang: return "hang";
    case FaultKind::kHallucination: return "hallucination";
    case FaultKind::kInjectionFollowing: return "injection_following";
    case FaultKind::kSchemaBreak: return "schema_break";
    case FaultKind::kRefusalStorm: return "refusal_storm";
    case FaultKind::kDrift: return "drift";
    case FaultKind::kReset: return "reset";
    case FaultKind::kStreamStall: return "stream_stall";
    case FaultKind::kStreamBreak: return "stream_break";
    case FaultKind::kForbiddenTool: return "forbidden_tool";
    case FaultKind::kToolWrongArguments: return "tool_wrong_arguments";
    case FaultKind::kToolLoop: return "tool_loop";
    case FaultKind::kTimeout: return "timeout";
    case FaultKind::kWrongPatient: return "wrong_patient";
    case FaultKind::kIrrelevantDocs: return "irrelevant_docs";
    case FaultKind::kStaleDocs: return "stale_docs";
    case FaultKind::kEmptyResults: return "empty_results";
    case FaultKind::kTruncatedPaging: return "truncated_paging";
    case FaultKind::kPoisonedNote: return "poisoned_note";
    case FaultKind::kPromptDeploy: return "prompt_deploy";
    case FaultKind::kConfigChange: return "config_change";
  }
  return {};
}

/// What a fault acts on: a model vendor (`vendor:<id>`, `vendor:*`), the EHR (`ehr`,
/// `ehr:replica`) or the assistant itself (`assistant`).
enum class FaultTarget : std::uint8_t { kVendor, kEhr, kAssistant };

/// "vendor", "ehr" or "assistant".
constexpr std::string_view name_of(FaultTarget t) {
  switch (t) {
    case FaultTarget::kVendor: return "vendor";
    case FaultTarget::kEhr: return "ehr";
    case FaultTarget::kAssistant: return "assistant";
  }
  return {};
}

/// The class of a target string: vendor:<id> (including vendor:*), ehr, ehr:replica or
/// assistant; nullopt for anything else.
std::optional<FaultTarget> target_class(std::string_view target);

/// Whether faults of kind `k` can act on targets of class `t`.
constexpr bool applies_to(FaultKind k, FaultTarget t) {
  switch (k) {
    case FaultKind::kLatency:
    case FaultKind::kError:
      return t == FaultTarget::kVendor || t == FaultTarget::kEhr;
    case FaultKind::kHang:
    case FaultKind::kHallucination:
    case FaultKind::kInjectionFollowing:
    case FaultKind::kSchemaBreak:
    case FaultKind::kRefusalStorm:
    case FaultKind::kDrift:
    case FaultKind::kReset:
    case FaultKind::kStreamStall:
    case FaultKind::kStreamBreak:
    case FaultKind::kForbiddenTool:
    case FaultKind::kToolWrongArguments:
    case FaultKind::kToolLoop:
      return t == FaultTarget::kVendor;
    case FaultKind::kTimeout:
    case FaultKind::kWrongPatient:
    case FaultKind::kIrrelevantDocs:
    case FaultKind::kStaleDocs:
    case FaultKind::kEmptyResults:
    case FaultKind::kTruncatedPaging:
    case FaultKind::kPoisonedNote:
      return t == FaultTarget::kEhr;
    case FaultKind::kPromptDeploy:
    case FaultKind::kConfigChange:
      return t == FaultTarget::kAssistant;
  }
  return false;
}

/// What a fault does to the requests it touches: delay or fail them (transport), bend what they
/// retrieve or what the model answers, or change the assistant's configuration.
enum class FaultEffect : std::uint8_t { kDelaysOrFails, kBendsAnswers, kChangesConfig };

/// The effect of faults of kind `k` (root cause analysis reads it).
constexpr FaultEffect effect_of(FaultKind k) {
  switch (k) {
    case FaultKind::kLatency:
    case FaultKind::kError:
    case FaultKind::kHang:
    case FaultKind::kReset:
    case FaultKind::kStreamStall:
    case FaultKind::kStreamBreak:
    case FaultKind::kToolLoop:
    case FaultKind::kTimeout:
      return FaultEffect::kDelaysOrFails;
    case FaultKind::kHallucination:
    case FaultKind::kInjectionFollowing:
    case FaultKind::kSchemaBreak:
    case FaultKind::kRefusalStorm:
    case FaultKind::kDrift:
    case FaultKind::kForbiddenTool:
    case FaultKind::kToolWrongArguments:
    case FaultKind::kWrongPatient:
    case FaultKind::kIrrelevantDocs:
    case FaultKind::kStaleDocs:
    case FaultKind::kEmptyResults:
    case FaultKind::kTruncatedPaging:
    case FaultKind::kPoisonedNote:
      return FaultEffect::kBendsAnswers;
    case FaultKind::kPromptDeploy:
    case FaultKind::kConfigChange:
      return FaultEffect::kChangesConfig;
  }
  return FaultEffect::kDelaysOrFails;
}

/// How a hallucination fault bends an answer.
enum class HallucinationMode : std::uint8_t {
  kFabricatedCode,   // CPT/ICD-shaped codes replaced by plausible wrong ones
  kUnsupportedFact,  // a fluent sentence no record supports
  kForeignCitation,  // a citation of a document the model was not given
  kAlteredNumbers,   // numbers in the answer changed
  kMixed,            // one of the above per answer
};

constexpr std::string_view name_of(HallucinationMode m) {
  switch (m) {
    case HallucinationMode::kFabricatedCode: return "fabricated_code";
    case HallucinationMode::kUnsupportedFact: return "unsupported_fact";
    case HallucinationMode::kForeignCitation: return "foreign_citation";
    case HallucinationMode::kAlteredNumbers: return "altered_numbers";
    case HallucinationMode::kMixed: return "mixed";
  }
  return {};
}

/// How a schema_break fault breaks JSON output.
enum class SchemaBreakMode : std::uint8_t {
  kInvalidJson,   // not JSON at all
  kTruncated,     // cut off mid-document
  kMissingField,  // a required field left out
  kMixed,         // one of the above per answer
};

constexpr std::string_view name_of(SchemaBreakMode m) {
  switch (m) {
    case SchemaBreakMode::kInvalidJson: return "invalid_json";
    case SchemaBreakMode::kTruncated: return "truncated";
    case SchemaBreakMode::kMissingField: return "missing_field";
    case SchemaBreakMode::kMixed: return "mixed";
  }
  return {};
}

// ---- parameters of each kind (one struct per FaultKind, in FaultKind order)

/// latency: every matching response is slower by a draw from `delay`.
struct LatencyFault {
  static constexpr FaultKind kKind = FaultKind::kLatency;
  DurationDist delay;
};
/// error: an HTTP error instead of an answer.
struct ErrorFault {
  static constexpr FaultKind kKind = FaultKind::kError;
  /// Default 503 on a vendor, 500 on the EHR (the loader sets it by target).
  int status = 503;
  Duration retry_after = 0;  // Retry-After (0 = none)
  std::string message;       // error message ("" = the status's usual one)
};
/// hang: the request never gets a response.
struct HangFault {
  static constexpr FaultKind kKind = FaultKind::kHang;
};
/// hallucination: answers state what their context does not support.
struct HallucinationFault {
  static constexpr FaultKind kKind = FaultKind::kHallucination;
  HallucinationMode mode = HallucinationMode::kMixed;
};
/// injection_following: the model obeys an injected instruction with this probability.
struct InjectionFollowingFault {
  static constexpr FaultKind kKind = FaultKind::kInjectionFollowing;
  double susceptibility = 1.0;
};
/// schema_break: JSON answers break their schema.
struct SchemaBreakFault {
  static constexpr FaultKind kKind = FaultKind::kSchemaBreak;
  SchemaBreakMode mode = SchemaBreakMode::kMixed;
};
/// refusal_storm: answerable questions are refused.
struct RefusalStormFault {
  static constexpr FaultKind kKind = FaultKind::kRefusalStorm;
};
/// drift: the vendor silently serves a new model version.
struct DriftFault {
  static constexpr FaultKind kKind = FaultKind::kDrift;
  std::string model_version;     // the model name the vendor now reports
  double hallucination_rate = 0; // share of answers hallucinated by the new model
  double refusal_rate = 0;       // share of answerable questions refused
};
/// reset: the connection is reset before any answer.
struct ResetFault {
  static constexpr FaultKind kKind = FaultKind::kReset;
};
/// stream_stall: the answer stops after `after_tokens` tokens and the connection stays open.
struct StreamStallFault {
  static constexpr FaultKind kKind = FaultKind::kStreamStall;
  int after_tokens = 5;
};
/// stream_break: the connection drops after `after_tokens` tokens.
struct StreamBreakFault {
  static constexpr FaultKind kKind = FaultKind::kStreamBreak;
  int after_tokens = 5;
};
/// forbidden_tool: the model calls `tool`, a tool it was not offered, instead of what it would
/// have returned (tool flow only).
struct ForbiddenToolFault {
  static constexpr FaultKind kKind = FaultKind::kForbiddenTool;
  std::string tool = "cancel_prior_auth";
};
/// tool_wrong_arguments: the model's tool calls name another patient (tool flow only).
struct ToolWrongArgumentsFault {
  static constexpr FaultKind kKind = FaultKind::kToolWrongArguments;
};
/// tool_loop: once tool results came back the model calls the tools again instead of answering
/// (tool flow only).
struct ToolLoopFault {
  static constexpr FaultKind kKind = FaultKind::kToolLoop;
};
/// Whether faults of kind `k` act only when the assistant offers tools (assistant.tool_use).
constexpr bool needs_tool_flow(FaultKind k) {
  return k == FaultKind::kForbiddenTool || k == FaultKind::kToolWrongArguments || k == FaultKind::kToolLoop;
}
/// timeout: the EHR never answers.
struct TimeoutFault {
  static constexpr FaultKind kKind = FaultKind::kTimeout;
};
/// wrong_patient: a search runs for another patient.
struct WrongPatientFault {
  static constexpr FaultKind kKind = FaultKind::kWrongPatient;
};
/// irrelevant_docs: a search returns documents that do not answer the question.
struct IrrelevantDocsFault {
  static constexpr FaultKind kKind = FaultKind::kIrrelevantDocs;
};
/// stale_docs: policy searches return superseded versions.
struct StaleDocsFault {
  static constexpr FaultKind kKind = FaultKind::kStaleDocs;
};
/// empty_results: searches return nothing.
struct EmptyResultsFault {
  static constexpr FaultKind kKind = FaultKind::kEmptyResults;
};
/// truncated_paging: searches return their first page only.
struct TruncatedPagingFault {
  static constexpr FaultKind kKind = FaultKind::kTruncatedPaging;
};
/// poisoned_note: the patient's chart holds a note carrying an injected instruction.
struct PoisonedNoteFault {
  static constexpr FaultKind kKind = FaultKind::kPoisonedNote;
  std::string payload;  // payload id of fakes/injections.yaml ("" = one per patient, drawn)
};
/// prompt_deploy: deploys a prompt version once, at the fault's `at`.
struct PromptDeployFault {
  static constexpr FaultKind kKind = FaultKind::kPromptDeploy;
  std::string prompt_version;
};
/// config_change: sets a flag to a variant once, at the fault's `at`.
struct ConfigChangeFault {
  static constexpr FaultKind kKind = FaultKind::kConfigChange;
  std::string flag;
  std::string variant;
};

/// One kind's parameters; alternative i is the struct of FaultKind(i).
using FaultParams =
    std::variant<LatencyFault, ErrorFault, HangFault, HallucinationFault, InjectionFollowingFault,
                 SchemaBreakFault, RefusalStormFault, DriftFault, ResetFault, StreamStallFault,
                 StreamBreakFault, ForbiddenToolFault, ToolWrongArgumentsFault, ToolLoopFault,
                 TimeoutFault, WrongPatientFault, IrrelevantDocsFault, StaleDocsFault,
                 EmptyResultsFault, TruncatedPagingFault, PoisonedNoteFault, PromptDeployFault,
                 ConfigChangeFault>;

namespace detail {
template <std::size_t... I>
constexpr bool params_in_kind_order(std::index_sequence<I...>) {
  return ((std::variant_alternative_t<I, FaultParams>::kKind == static_cast<FaultKind>(I)) && ...);
}
}  // namespace detail
static_assert(std::variant_size_v<FaultParams> == vocabulary_size<FaultKind>(),
              "one parameter struct per fault kind");
static_assert(detail::params_in_kind_order(std::make_index_sequence<std::variant_size_v<FaultParams>>{}),
              "FaultParams alternatives follow the FaultKind order");

/// Default parameters of kind `k` (before a loader fills them in).
FaultParams default_params(FaultKind k);

/// A parameter that moves in a straight line from `from` to `to` over `over` after the fault
/// starts (each repeat window's start), then holds `to` until the fault ends. Durations ramp in
/// microseconds.
struct Ramp {
  double from = 0;
  double to = 0;
  Duration over = 0;  // > 0
  /// The value `elapsed` after the start: `from` at 0 (and before), `to` at `over` and after.
  double value_at(Duration elapsed) const;
};

/// One ramped parameter of a fault: its key in files ("probability", "delay",
/// "susceptibility", ...; for a delay distribution the ramp moves its value, median or mean)
/// and the ramp. While a fault ramps, the constant in its own field holds the value at start.
struct ParamRamp {
  std::string key;
  Ramp ramp;
  bool duration = false;  // a duration ramp (delay, retry_after): values are microseconds
};

/// `repeat: {every, for, times}`: the fault is active in [at + k*every, at + k*every + for)
/// for k = 0 .. times-1 (`for` is then the fault's `duration`, each window's length).
struct FaultRepeat {
  Duration every = 0;  // > duration
  int times = 1;       // >= 1
};

/// How overlapping faults of one kind on one target combine (scenario `fault_combine`).
enum class FaultCombine : std::uint8_t {
  kIndependent,  // each draws its own probability: together they apply with 1 - prod(1 - p)
  kMax,          // they act as one fault with the largest probability (the first such one)
};

constexpr std::string_view name_of(FaultCombine c) {
  switch (c) {
    case FaultCombine::kIndependent: return "independent";
    case FaultCombine::kMax: return "max";
  }
  return {};
}

/// A fault on the timeline: when, on what, which requests it applies to, and its kind's
/// parameters.
struct FaultSpec {
  std::string id;
  SourceLoc loc;
  SimTime at = 0;
  Duration duration = 0;  // "for"; 0 = until the end of the run
  /// "vendor:primary", "vendor:secondary", "vendor:*", "ehr", "ehr:replica", "assistant"
  std::string target;
  // --- trigger: which matching requests it applies to (all conditions must hold) ---
  double probability = 1.0;  // share of matching requests affected
  int every_nth = 0;         // only every Nth matching request (0 = off)
  int first_n = 0;           // only the first N matching requests (0 = off)
  std::vector<std::string> task_types;  // only requests for these task types (empty = all)
  std::vector<std::string> models;      // vendor faults: only requests for these models
  /// Vendor faults: only calls on these routes, "chat", "embeddings" and/or "messages"
  /// (Anthropic Messages) (empty = every route; chat-only kinds do not accept "embeddings").
  std::vector<std::string> routes;
  /// Groups this fault with the other faults naming the same incident in scoring ("" = group
  /// by cause and target only).
  std::string incident;
  /// The kind and its parameters.
  FaultParams params;
  /// Parameters that ramp instead of staying constant (at most one ramp per key).
  std::vector<ParamRamp> ramps;
  /// Repeated windows (nullopt: one window [at, at + duration)).
  std::optional<FaultRepeat> repeat;

  /// The fault's kind (the index of `params`).
  FaultKind kind() const { return static_cast<FaultKind>(params.index()); }
  /// The parameters as kind P, or nullptr when the fault is of another kind.
  template <typename P>
  const P* as() const { return std::get_if<P>(&params); }
  template <typename P>
  P* as() { return std::get_if<P>(&params); }
};

/// The fault as it acts `elapsed` after its start: each ramped parameter set to its ramp's
/// value then (durations rounded to the microsecond), the ramps kept.
FaultSpec at_elapsed(const FaultSpec& f, Duration elapsed);

/// The start of each active window of `f`: `at`, then `at + k*every` with a repeat.
std::vector<SimTime> window_starts(const FaultSpec& f);

/// A short human description of what the fault does, as journaled in `fault_start`
/// ("+lognormal(median=12s, sigma=0.3)", "status 429, retry-after 2s on 50% of requests",
/// "deploy prompt v3", ...), then each ramp ("probability ramps 0% -> 30% over 20m") and the
/// repeat ("repeats every 4m for 2m, 6 times").
std::string describe_fault(const FaultSpec& f);

// ---- field tables (the keys each kind adds to the common fault keys)

template <> struct FieldsOf<LatencyFault> {
  static constexpr auto kFields = std::tuple{field("delay", &LatencyFault::delay, kRequiredField)};
};
template <> struct FieldsOf<ErrorFault> {
  static constexpr auto kFields =
      std::tuple{number_field("status", &ErrorFault::status, 400, 599),
                 field("retry_after", &ErrorFault::retry_after), field("message", &ErrorFault::message)};
};
template <> struct FieldsOf<HangFault> { static constexpr auto kFields = std::tuple{}; };
template <> struct FieldsOf<HallucinationFault> {
  static constexpr auto kFields =
      std::tuple{enum_field("mode", &HallucinationFault::mode, "hallucination mode")};
};
template <> struct FieldsOf<InjectionFollowingFault> {
  static constexpr auto kFields =
      std::tuple{number_field("susceptibility", &InjectionFollowingFault::susceptibility, 0, 1)};
};
template <> struct FieldsOf<SchemaBreakFault> {
  static constexpr auto kFields =
      std::tuple{enum_field("mode", &SchemaBreakFault::mode, "schema_break mode")};
};
template <> struct FieldsOf<RefusalStormFault> { static constexpr auto kFields = std::tuple{}; };
template <> struct FieldsOf<DriftFault> {
  static constexpr auto kFields =
      std::tuple{field("model_version", &DriftFault::model_version, kRequiredField),
                 number_field("hallucination_rate", &DriftFault::hallucination_rate, 0, 1),
                 number_field("refusal_rate", &DriftFault::refusal_rate, 0, 1)};
};
template <> struct FieldsOf<ResetFault> { static constexpr auto kFields = std::tuple{}; };
template <> struct FieldsOf<StreamStallFault> {
  static constexpr auto kFields =
      std::tuple{number_field("after_tokens", &StreamStallFault::after_tokens, 0, 1'000'000)};
};
template <> struct FieldsOf<StreamBreakFault> {
  static constexpr auto kFields =
      std::tuple{number_field("after_tokens", &StreamBreakFault::after_tokens, 0, 1'000'000)};
};
template <> struct FieldsOf<ForbiddenToolFault> {
  static constexpr auto kFields = std::tuple{field("tool", &ForbiddenToolFault::tool)};
};
template <> struct FieldsOf<ToolWrongArgumentsFault> { static constexpr auto kFields = std::tuple{}; };
template <> struct FieldsOf<ToolLoopFault> { static constexpr auto kFields = std::tuple{}; };
template <> struct FieldsOf<TimeoutFault> { static constexpr auto kFields = std::tuple{}; };
template <> struct FieldsOf<WrongPatientFault> { static constexpr auto kFields = std::tuple{}; };
template <> struct FieldsOf<IrrelevantDocsFault> { static constexpr auto kFields = std::tuple{}; };
template <> struct FieldsOf<StaleDocsFault> { static constexpr auto kFields = std::tuple{}; };
template <> struct FieldsOf<EmptyResultsFault> { static constexpr auto kFields = std::tuple{}; };
template <> struct FieldsOf<TruncatedPagingFault> { static constexpr auto kFields = std::tuple{}; };
template <> struct FieldsOf<PoisonedNoteFault> {
  static constexpr auto kFields = std::tuple{field("payload", &PoisonedNoteFault::payload)};
};
template <> struct FieldsOf<PromptDeployFault> {
  static constexpr auto kFields =
      std::tuple{field("prompt_version", &PromptDeployFault::prompt_version, kRequiredField)};
};
template <> struct FieldsOf<ConfigChangeFault> {
  static constexpr auto kFields =
      std::tuple{field("flag", &ConfigChangeFault::flag, kRequiredField),
                 field("variant", &ConfigChangeFault::variant, kRequiredField)};
};

/// The vendor route names a fault's `routes` may list: chat completions, the Responses API
/// (the same fake model answers it, so every vendor kind acts there) and embeddings.
inline constexpr std::string_view kChatRoute = "chat";
inline constexpr std::string_view kResponsesRoute = "responses";
inline constexpr std::string_view kEmbeddingsRoute = "embeddings";
inline constexpr std::string_view kMessagesRoute = "messages";

/// Whether faults of kind `k` can act on a vendor's embeddings route (latency, error, hang,
/// reset); every other vendor kind bends or cuts chat answers only.
constexpr bool applies_to_embeddings(FaultKind k) {
  return k == FaultKind::kLatency || k == FaultKind::kError || k == FaultKind::kHang ||
         k == FaultKind::kReset;
}

/// Whether fault `f` acts on calls on vendor route `route` ("chat" or "embeddings"): its
/// `routes` list it (or is empty) and, for embeddings, its kind can act there.
bool fault_on_route(const FaultSpec& f, std::string_view route);

/// The parameter keys of kind `k`, in table order.
std::vector<std::string> param_keys(FaultKind k);

}  // namespace gameday
