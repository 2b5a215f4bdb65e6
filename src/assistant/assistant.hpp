#pragma once
// The reference assistant (the system under test): a PHI-safe RAG service.
// retrieve (EHR) -> build prompt (versioned) -> call model (routed, retries, failover)
// -> validate (citations) -> answer, or fall back to a safe canned response.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "assistant/clients.hpp"
#include "config/model.hpp"
#include "sim/journal.hpp"
#include "sim/scheduler.hpp"
#include "workload/task.hpp"

namespace gameday {

/// What the assistant returned for one task.
struct Answer {
  RequestStatus status = RequestStatus::kOk;  // kOk, kFallback or kError (never kTimeout)
  std::string text;
  std::vector<std::string> citations;      // doc ids cited in the text
  std::vector<std::string> retrieved_ids;  // doc ids placed in the prompt's context
  std::string vendor;
  std::string model;
  std::string prompt_version;
  int attempts = 0;
  int ehr_calls = 0;
  std::string cause;  // why not ok: "ehr_timeout", "vendor_timeout", "citation_invalid", ...
  bool citations_valid = true;  // every citation names a retrieved document (and some exist)
  bool refused = false;         // the model said the records do not answer
  Duration latency = 0;
};

/// Receives the assistant's answer (move-only; small captures do not allocate).
using AnswerFn = InlineFunction<void(const Answer&), 64>;

/// The canned answer served when the assistant cannot answer safely.
extern const char* const kFallbackText;
/// The refusal sentence the fake vendor uses when the context does not answer.
bool is_refusal(const std::string& text);
/// Extracts the ids of "[doc:ID]" citations in order of first appearance.
std::vector<std::string> extract_citations(const std::string& text);

/// The reference assistant. Runs on a Scheduler; its flags, prompt version and route can be
/// changed at run time (each change is journaled).
class Assistant {
 public:
  Assistant(AssistantConfig config, std::vector<PromptVersion> prompts, std::vector<FlagDef> flags,
            Scheduler& scheduler, EhrClient& ehr, ModelClient& model, Journal& journal);

  /// Handles one task; `done` runs exactly once with the answer. `task` is not copied: it must
  /// stay alive and unchanged until `done` has run.
  void handle(const Task& task, AnswerFn done);

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

  /// The current variant of a flag ("" when unknown or disabled).
  std::string flag_variant(const std::string& name) const;
  /// Whether a boolean flag is on.
  bool flag_on(const std::string& name) const;
  const std::string& prompt_version() const { return prompt_version_; }
  const std::string& route() const { return route_; }
  const AssistantConfig& config() const { return config_; }
  /// Every known flag, prompt version and route (for validation and the control API).
  const std::vector<FlagDef>& flags() const { return flags_; }
  const std::vector<PromptVersion>& prompts() const { return prompts_; }

 private:
  struct Call;
  void retrieve(const std::shared_ptr<Call>& call);
  void ehr_step(const std::shared_ptr<Call>& call, std::size_t step, int attempt);
  void ehr_failed(const std::shared_ptr<Call>& call, std::size_t step, int attempt,
                  const char* cause);
  void call_model(const std::shared_ptr<Call>& call, const std::string& route, int attempt,
                  bool failed_over);
  void on_model_result(const std::shared_ptr<Call>& call, const std::string& route, int attempt,
                       bool failed_over, const VendorOutcome* out);
  void finish(const std::shared_ptr<Call>& call, RequestStatus status, const std::string& cause);
  const PromptVersion* find_prompt(const std::string& version) const;
  void change(const std::string& what, const std::string& key, const std::string& from,
              const std::string& to, const std::string& by);

  AssistantConfig config_;
  std::vector<PromptVersion> prompts_;
  std::vector<FlagDef> flags_;
  std::map<std::string, std::size_t> flag_ix_;
  Scheduler& scheduler_;
  EhrClient& ehr_;
  ModelClient& model_;
  Journal& journal_;
  std::string prompt_version_;
  std::vector<std::string> prompt_history_;  // versions deployed before the current one
  std::string route_;
};

}  // namespace gameday
