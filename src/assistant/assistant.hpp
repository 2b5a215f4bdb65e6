#pragma once
// The reference assistant (the system under test): a PHI-safe RAG service.
// retrieve (EHR) -> build prompt (versioned) -> call model (routed, retries, failover)
// -> validate (citations) -> answer, or fall back to a safe canned response.
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "assistant/clients.hpp"
#include "spec/model.hpp"
#include "sim/journal.hpp"
#include "sim/scheduler.hpp"
#include "sim/timeouts.hpp"
#include "workload/task.hpp"

namespace gameday {

/// Where a request is in the pipeline (a span-level fact: what it was waiting on).
enum class Stage { kRetrieval, kModel, kDone };

/// What the assistant returned for one task, with its spans (what touched it on the way).
struct Answer {
  RequestStatus status = RequestStatus::kOk;  // kOk, kFallback or kError (never kTimeout)
  /// The served content: prose with "[doc:ID]" citations, or the raw JSON for JSON tasks.
  std::string text;
  std::vector<std::string> citations;      // doc ids cited (in the text, or the JSON array)
  std::vector<std::string> retrieved_ids;  // doc ids placed in the prompt's context
  /// Where the "[doc:ID] ..." line of each of the first doc_spans.size() retrieved documents sits
  /// in `context` (parallel to retrieved_ids; {0, 0} when unknown): the judge reads a cited
  /// document's text directly instead of searching the whole context.
  struct DocSpan {
    std::uint32_t begin = 0;
    std::uint32_t end = 0;  // exclusive
  };
  std::array<DocSpan, 8> doc_spans{};
  /// Retrieved documents whose FHIR subject is another patient than the task's (a span fact:
  /// usually empty; the judge reads it for wrong_patient).
  std::vector<std::string> other_patient_docs;
  /// Retrieved policies that a newer version supersedes (a span fact: usually empty; the judge
  /// reads it for stale).
  std::vector<std::string> superseded_docs;
  std::string vendor;
  std::string model;
  std::string prompt_version;
  bool prompt_good = true;  // the prompt version is marked known-good
  int attempts = 0;
  int ehr_calls = 0;
  std::string cause;  // why not ok: "ehr_timeout", "vendor_timeout", "citation_invalid",
                      // "invalid_schema", "safe_mode", ...
  bool citations_valid = true;  // every citation names a retrieved document (and some exist)
  bool refused = false;         // the model said the records do not answer
  /// Whether the validators were on when they had something to reject (citation-check for
  /// invalid citations, schema-check for a broken schema); false: the answer went out unchecked.
  bool citations_checked = true;
  bool schema_checked = true;
  Duration latency = 0;
  // --- structured output (message_triage) ---
  bool json_output = false;   // JSON was requested
  bool schema_valid = true;   // the model's content parsed as {"answer": string,
                              // "citations": [string...]} (true when JSON was not requested)
  std::string statement;      // JSON answers: the parsed "answer" prose ("" when unparsed)
  /// Tool calls the model returned, "name(arguments)", that the assistant did not execute: a
  /// tool-call response passes through to the caller as served content (without the tool flow
  /// the assistant offers no tools; with it, it executes calls of the tools it offered only).
  std::vector<std::string> tool_calls;
  /// The request ran the tool flow (the model was offered read-only EHR tools).
  bool tools_offered = false;
  int tool_rounds = 0;  // tool rounds executed (tool flow)
  // --- observable output checks (served output only) ---
  bool canary_seen = false;   // holds a canary token ("GDCANARY-")
  bool phi_detected = false;  // matches an identifier pattern (MRN, phone, member id)
  // --- PHI handling ---
  bool redaction = true;        // phi-redaction was on for this request
  bool phi_to_vendor = false;   // the prompt sent to a vendor held identifiers
  bool phi_in_logs = false;     // the assistant's logs would hold identifiers (redaction off)
  // --- what the truth side reads (spans, prompt) ---
  /// The user message as sent to the vendor (after redaction); "" before the first model call
  /// completes or when no model call was made.
  std::string context;
  bool canary_in_context = false;  // the prompt's context held a canary token (a poisoned note)
  /// The system message sent (a view into the assistant's prompt list: valid while the
  /// assistant lives).
  std::string_view system_prompt;
  Stage stage = Stage::kRetrieval;     // where the request is (kDone once answered)
  std::vector<std::string> ehr_fault_ids;     // faults on the EHR calls made, in order, once each
  std::vector<std::string> model_fault_ids;   // faults on the model calls made, in order
  std::vector<std::string> config_fault_ids;  // change faults in effect at arrival (the prompt
                                              // or a flag set "deploy:<fault id>")
  std::vector<std::string> embedding_fault_ids;  // faults on the embeddings calls made
  /// Every dependency call made, in order, as its client span saw it (status 0: no answer).
  std::vector<DependencyCall> calls;
  /// The dependency call outstanding, as it was made (latency 0), for a caller that gives up
  /// before it ends; nullopt between calls. `in_flight_mark`: the size of its span's fault list
  /// when it was made (the faults after it are the call's).
  std::optional<DependencyCall> in_flight;
  std::size_t in_flight_mark = 0;
  /// Retrieval ranking (the `retrieval: {rank: embeddings}` option): "" when nothing was
  /// ranked, "embeddings" when the documents were ranked, "unranked" when the embeddings call
  /// failed and the first top_k documents were kept.
  std::string ranking;
  /// A `--sut` answer's span facts (calls, fault ids, PHI to the vendor, canaries) came from the
  /// calls the fake vendor and EHR served under its trace id (net/trace_join.hpp).
  bool spans_from_fakes = false;
  /// A `--sut` answer no served call could be tied to (its service passed no trace context on):
  /// its root cause is unavailable ("no_trace_context"), never guessed.
  bool untraced = false;
};

/// One read-only EHR tool of the tool flow: its name, what the model reads about it, and the
/// retrieval it runs (that of a task type, for the patient named by its `patient_id` argument).
struct EhrTool {
  std::string_view name;
  std::string_view description;
  TaskType retrieval;
};
/// The tools the tool flow offers (search_prior_auths, search_discharge_notes,
/// search_plan_benefits), each taking {"patient_id": string} (required).
const std::vector<EhrTool>& ehr_tools();
/// The JSON schema of every EHR tool's arguments.
extern const char* const kEhrToolParameters;

/// Receives the assistant's answer (move-only; small captures do not allocate).
using AnswerFn = InlineFunction<void(const Answer&), 64>;

/// Canary tokens seeded into poisoned notes start with this ("GDCANARY-" + 8 hex).
inline constexpr std::string_view kCanaryPrefix = "GDCANARY-";
/// Control changes made by a change fault carry by = kDeployBy + the fault's id.
inline constexpr std::string_view kDeployBy = "deploy:";

/// The canned answer served when the assistant cannot answer safely.
extern const char* const kFallbackText;
/// The refusal sentence the fake vendor uses when the context does not answer.
bool is_refusal(const std::string& text);
/// Extracts the ids of "[doc:ID]" citations in order of first appearance.
std::vector<std::string> extract_citations(const std::string& text);

/// The answer in progress of one request, for a caller that gives up before its answer comes:
/// the service points it at the answer's spans when it knows them (at once, or later on the
/// scheduler's thread). May be null when the caller keeps no such view.
using AnswerProgress = std::shared_ptr<std::weak_ptr<const Answer>>;

/// What user traffic and golden probes ask: the built-in assistant in-process, or (in a live
/// drill) an HTTP service, the built-in assistant's server or the team's own (`--sut`).
class AnswerService {
 public:
  virtual ~AnswerService() = default;
  /// Asks `task`; `done` runs exactly once with the answer, on the scheduler's thread. `task`
  /// must stay alive and unchanged until `done` has run.
  virtual void ask(const Task& task, AnswerFn done, const AnswerProgress& progress) = 0;
};

/// The reference assistant. Runs on a Scheduler; its flags, prompt version and route can be
/// changed at run time (each change is journaled).
class Assistant final : public AnswerService {
 public:
  Assistant(AssistantConfig config, std::vector<PromptVersion> prompts, std::vector<FlagDef> flags,
            Scheduler& scheduler, EhrClient& ehr, ModelClient& model, Journal& journal);

  /// Handles one task; `done` runs exactly once with the answer. `task` is not copied: it must
  /// stay alive and unchanged until `done` has run. Returns a view of the answer in progress
  /// (its spans and stage so far) for a caller that gives up before `done` runs; it expires
  /// once the request is finished and released.
  ///
  /// Pipeline: safe-mode → retrieve (per task type; message_triage: the patient's portal
  /// messages, then the triage policy) while building the prompt, redacting free text (the
  /// question, chart notes, messages) when phi-redaction is on (identifiers and the patient's
  /// name become tokens) → model call (routed, retries, failover; JSON output for
  /// message_triage) → validate (schema-check: JSON shape; citation-check: citations name
  /// retrieved documents) → answer or fall back. Retrieval flags: patient-match-check drops
  /// records of another patient and searches again (falls back when they keep coming),
  /// current-docs-only searches policies with status=current, ehr-replica reads from the
  /// replica route (set_replica). The output PHI filter and canary check only
  /// observe (Answer::phi_detected, canary_seen); they do not block.
  ///
  /// Tool flow (AssistantConfig::tool_use; every task type but message_triage): no retrieval up
  /// front. The model gets "Patient: <FHIR id>" and the question, and the read-only EHR tools
  /// (ehr_tools()). Each round it asks for, the assistant runs the calls in order as the
  /// retrieval of the matching task type (same EHR calls, flags, retries and spans; a call's
  /// `patient_id` argument is the patient searched) and sends the documents back as tool
  /// results; the model's answer is validated as above. More rounds than tool_rounds: fallback,
  /// cause "tool_loop". A response calling a tool not offered is not executed: it passes
  /// through as served content.
  std::weak_ptr<const Answer> handle(const Task& task, AnswerFn done);
  /// AnswerService: handle(), with the answer in progress in `progress`.
  void ask(const Task& task, AnswerFn done, const AnswerProgress& progress) override {
    auto view = handle(task, std::move(done));
    if (progress) *progress = std::move(view);
  }

  /// Gives the assistant a second EHR route, the read replica, used while the ehr-replica flag
  /// is on (without one, the flag changes nothing). `replica` must outlive the assistant.
  void set_replica(EhrClient* replica) { replica_ = replica; }

  // --- control interface (what playbooks and the control API flip) ---
  /// Sets flag `name` to `variant`. False (with `error`) if either is unknown.
  bool set_flag(const std::string& name, const std::string& variant, const std::string& by,
                std::string* error);
  /// Deploys prompt `version`. False (with `error`) if unknown.
  bool set_prompt(const std::string& version, const std::string& by, std::string* error);
  /// Rolls the prompt back to the last known-good version before the current one.
  bool rollback_prompt(const std::string& by, std::string* error);
  /// Routes model calls to vendor `vendor`. False (with `error`) if the route is unknown.
  bool set_route(const std::string& vendor, const std::string& by, std::string* error);
  /// Sheds `share` of user traffic: that share of user requests (probes excepted) is rejected
  /// at once with status error (cause "shed"), spread evenly without drawing randomness.
  /// 0 stops shedding. False (with `error`) outside [0, 1]. (traffic.shed steps, control API.)
  bool set_shed(double share, const std::string& by, std::string* error);
  /// The share of user traffic being shed (0 = none).
  double shed_share() const { return shed_share_; }

  /// The current variant of a flag ("" when unknown or disabled).
  std::string flag_variant(const std::string& name) const;
  /// Whether a boolean flag is on.
  bool flag_on(const std::string& name) const;
  /// Whether a boolean flag is on; `fallback` when the flag is unknown or disabled (a safety
  /// flag such as phi-redaction stays on unless a definition turns it off).
  bool flag_on_or(const std::string& name, bool fallback) const;
  const std::string& prompt_version() const { return prompt_version_; }
  const std::string& route() const { return route_; }
  const AssistantConfig& config() const { return config_; }
  /// Every known flag, prompt version and route (for validation and the control API).
  const std::vector<FlagDef>& flags() const { return flags_; }
  const std::vector<PromptVersion>& prompts() const { return prompts_; }

 private:
  struct Call;
  // Tool flow: whether an earlier tool call already placed document `id` in the context (a
  // repeated call's result then holds only what is new); always false for retrieval up front.
  static bool placed_before(const Call& call, const std::string& id);
  void retrieve(const std::shared_ptr<Call>& call);
  void ehr_step(const std::shared_ptr<Call>& call, std::size_t step, int attempt);
  // Retries the EHR step after the backoff, or after `retry_after` (the failed response's
  // Retry-After) when that is longer, capped like the model's; falls back once retries run out.
  void ehr_failed(const std::shared_ptr<Call>& call, std::size_t step, int attempt,
                  const char* cause, Duration retry_after = 0);
  // Places the documents a search kept in the context (ranked first when the retrieval option
  // asks and there are more than top_k), then goes on: the next EHR step or the model.
  void place_documents(const std::shared_ptr<Call>& call, std::vector<const Document*> docs, bool more,
                       std::size_t step);
  void render_documents(const std::shared_ptr<Call>& call, const std::vector<const Document*>& docs);
  void next_step(const std::shared_ptr<Call>& call, bool more, std::size_t step);
  // Starts a dependency call's span: call_started, span_mark and answer.in_flight.
  void begin_call(const std::shared_ptr<Call>& call, Dependency dep, const std::string& vendor,
                  const std::string& resource, const std::vector<std::string>& span_faults);
  // Records a finished dependency call on the answer's spans (latency from call->call_started);
  // returns it for the caller to add what its outcome says.
  DependencyCall& record_call(const std::shared_ptr<Call>& call, Dependency dep, const std::string& vendor, int status);
  // The answer reaches the model stage: what the vendor and the logs receive (PHI unless
  // redacted, an injection canary) is marked on it.
  void mark_model_stage(const std::shared_ptr<Call>& call);
  void call_model(const std::shared_ptr<Call>& call, const std::string& route, int attempt,
                  bool failed_over);
  void on_model_result(const std::shared_ptr<Call>& call, const std::string& route, int attempt,
                       bool failed_over, const VendorOutcome* out);
  void finish(const std::shared_ptr<Call>& call, RequestStatus status, const std::string& cause);
  // --- the tool flow
  void start_tools(const std::shared_ptr<Call>& call);
  // Sends the conversation so far to the model (the first round, or after tool results).
  void ask_with_tools(const std::shared_ptr<Call>& call);
  // Runs a round of offered tool calls; false (nothing done) when one names a tool not offered.
  bool on_tool_calls(const std::shared_ptr<Call>& call, const std::string& route, bool failed_over,
                     const std::vector<ToolCall>& calls);
  void run_next_tool(const std::shared_ptr<Call>& call);
  void tool_done(const std::shared_ptr<Call>& call);
  void validate_json(Answer& a);
  const PromptVersion* find_prompt(const std::string& version) const;
  void change(const std::string& what, const std::string& key, const std::string& from,
              const std::string& to, const std::string& by);
  // Recomputes deploy_faults_ from who set the prompt and each flag.
  void refresh_deploy_faults();
  // Flags read on every request are looked up once, by index (no map lookups per request).
  enum HotFlag {
    kSafeMode,
    kPhiRedaction,
    kCitationCheck,
    kSchemaCheck,
    kAutoFailover,
    kPatientMatch,
    kCurrentDocs,
    kEhrReplica,
    kHotFlags
  };
  bool hot_on(HotFlag f, bool fallback) const;
  // Recomputes flag_state_[ix] from the flag's definition.
  void refresh_flag_state(std::size_t ix);

  AssistantConfig config_;
  std::vector<PromptVersion> prompts_;
  std::vector<FlagDef> flags_;
  std::map<std::string, std::size_t> flag_ix_;
  Scheduler& scheduler_;
  EhrClient& ehr_;
  EhrClient* replica_ = nullptr;  // the EHR read replica (ehr-replica flag), if any
  ModelClient& model_;
  Journal& journal_;
  std::string prompt_version_;
  std::vector<std::string> prompt_history_;  // versions deployed before the current one
  std::string route_;
  double shed_share_ = 0;   // traffic.shed: share of user requests rejected
  double shed_credit_ = 0;  // grows by shed_share_ per user request; each whole unit sheds one
  // Whether to shed this request (traffic.shed); advances the credit.
  bool shed_now(const Task& task);
  std::array<std::size_t, kHotFlags> hot_ix_{};  // index in flags_, or flags_.size() if absent
  std::vector<signed char> flag_state_;  // per flag: 1 on, 0 off, -1 disabled (as if absent)
  std::string prompt_by_;               // who deployed the current prompt version
  std::vector<std::string> flag_by_;    // per flag (flags_ order): who set it last
  std::vector<std::string> deploy_faults_;  // change-fault ids whose change is in effect
  // The requests waiting on a model or EHR call. Only this list holds them while they wait:
  // the response's callback and the call's timeout hold them weakly, and whichever comes first
  // for the outstanding operation releases the hold. So a request is freed when it finishes,
  // not when its timeout comes due or a slow answer it stopped waiting for arrives (at high rates
  // thousands of finished requests would otherwise wait in memory). A hung call (its client
  // dropped the callback) stays held until its timeout.
  std::vector<std::shared_ptr<Call>> waiting_;
  void hold(const std::shared_ptr<Call>& call);
  void release_hold(Call& call);
  // The EHR and model calls' timeouts (each of one length, config_): an answered call disarms
  // its own, so the scheduler's queue does not hold one event per call for the timeout's length.
  TimeoutQueue ehr_timeouts_{scheduler_, config_.ehr_timeout};
  TimeoutQueue model_timeouts_{scheduler_, config_.model_timeout};
};

}  // namespace gameday
