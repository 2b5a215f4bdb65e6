#include "assistant/assistant.hpp"

#include <algorithm>

namespace gameday {

const char* const kFallbackText =
    "I can't answer this safely right now. Your request has been passed to a staff member.";

namespace {

constexpr const char* kRefusalPrefix = "I cannot answer that from the provided records";
// A retry waits at most this long even when the vendor asks for more (Retry-After).
constexpr Duration kMaxRetryWait = 5 * kSecond;

bool retryable(int status) { return status == 408 || status == 409 || status == 429 || status >= 500; }

std::string vendor_cause(int status) {
  if (status == 429) return "vendor_rate_limited";
  if (status == 0) return "vendor_timeout";
  return "vendor_error";
}

void render_prior_auth(std::string& out, const PriorAuth& pa) {
  out += "[doc:";
  out += pa.id;
  out += "] ";
  out += prior_auth_text(pa);
  out += '\n';
}

void render_document(std::string& out, const Document& d) {
  out += "[doc:";
  out += d.id;
  out += "] ";
  out += d.text;
  out += '\n';
}

}  // namespace

bool is_refusal(const std::string& text) { return text.rfind(kRefusalPrefix, 0) == 0; }

std::vector<std::string> extract_citations(const std::string& text) {
  std::vector<std::string> ids;
  std::size_t pos = 0;
  while ((pos = text.find("[doc:", pos)) != std::string::npos) {
    const std::size_t start = pos + 5;
    const std::size_t end = text.find(']', start);
    if (end == std::string::npos) break;
    std::string id = text.substr(start, end - start);
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(std::move(id));
    pos = end + 1;
  }
  return ids;
}

struct Assistant::Call {
  const Task& task;
  AnswerFn done;
  SimTime started = 0;
  Answer answer;
  std::string context;   // the user message, built during retrieval
  ChatRequest request;   // built from `context` at the first model call
  std::string plan_code;
  std::uint64_t op = 0;  // token of the outstanding operation; stale callbacks compare and drop
  bool finished = false;
};

Assistant::Assistant(AssistantConfig config, std::vector<PromptVersion> prompts,
                     std::vector<FlagDef> flags, Scheduler& scheduler, EhrClient& ehr,
                     ModelClient& model, Journal& journal)
    : config_(std::move(config)),
      prompts_(std::move(prompts)),
      flags_(std::move(flags)),
      scheduler_(scheduler),
      ehr_(ehr),
      model_(model),
      journal_(journal),
      prompt_version_(config_.prompt_version),
      route_(config_.primary_route) {
  for (std::size_t i = 0; i < flags_.size(); ++i) flag_ix_[flags_[i].name] = i;
  if (!find_prompt(prompt_version_) && !prompts_.empty()) prompt_version_ = prompts_.back().version;
}

const PromptVersion* Assistant::find_prompt(const std::string& version) const {
  for (const auto& p : prompts_) {
    if (p.version == version) return &p;
  }
  return nullptr;
}

std::string Assistant::flag_variant(const std::string& name) const {
  auto it = flag_ix_.find(name);
  if (it == flag_ix_.end()) return "";
  const FlagDef& f = flags_[it->second];
  return f.enabled ? f.default_variant : "";
}

bool Assistant::flag_on(const std::string& name) const {
  auto it = flag_ix_.find(name);
  if (it == flag_ix_.end()) return false;
  const FlagDef& f = flags_[it->second];
  if (!f.enabled) return false;
  auto v = f.variants.find(f.default_variant);
  return v != f.variants.end() && v->second == "true";
}

void Assistant::change(const std::string& what, const std::string& key, const std::string& from,
                       const std::string& to, const std::string& by) {
  journal_.append(scheduler_.now(), ControlChangeEvent{what, key, from, to, by});
}

bool Assistant::set_flag(const std::string& name, const std::string& variant,
                         const std::string& by, std::string* error) {
  auto it = flag_ix_.find(name);
  if (it == flag_ix_.end()) {
    if (error) *error = "unknown flag '" + name + "'";
    return false;
  }
  FlagDef& f = flags_[it->second];
  if (!f.variants.count(variant)) {
    if (error) *error = "flag '" + name + "' has no variant '" + variant + "'";
    return false;
  }
  const std::string from = f.enabled ? f.default_variant : "(disabled)";
  f.enabled = true;
  f.default_variant = variant;
  change("flag", name, from, variant, by);
  return true;
}

bool Assistant::set_prompt(const std::string& version, const std::string& by, std::string* error) {
  if (!find_prompt(version)) {
    if (error) *error = "unknown prompt version '" + version + "'";
    return false;
  }
  const std::string from = prompt_version_;
  prompt_history_.push_back(from);
  prompt_version_ = version;
  change("prompt", "", from, version, by);
  return true;
}

bool Assistant::rollback_prompt(const std::string& by, std::string* error) {
  // Walk back through what was deployed before; the first known-good version that differs wins.
  for (auto it = prompt_history_.rbegin(); it != prompt_history_.rend(); ++it) {
    const PromptVersion* p = find_prompt(*it);
    if (p && p->good && *it != prompt_version_) {
      const std::string target = *it;
      const std::string from = prompt_version_;
      prompt_history_.erase(std::next(it).base(), prompt_history_.end());
      prompt_version_ = target;
      change("prompt", "", from, target, by);
      return true;
    }
  }
  if (error) *error = "no known-good prompt version was deployed before '" + prompt_version_ + "'";
  return false;
}

bool Assistant::set_route(const std::string& vendor, const std::string& by, std::string* error) {
  if (!model_.has_vendor(vendor)) {
    if (error) *error = "unknown vendor route '" + vendor + "'";
    return false;
  }
  const std::string from = route_;
  route_ = vendor;
  change("route", "", from, vendor, by);
  return true;
}

void Assistant::handle(const Task& task, AnswerFn done) {
  auto call = std::make_shared<Call>(Call{task, std::move(done)});
  call->started = scheduler_.now();
  call->answer.prompt_version = prompt_version_;
  if (flag_on("safe-mode")) {
    finish(call, RequestStatus::kFallback, "safe_mode");
    return;
  }
  retrieve(call);
}

void Assistant::retrieve(const std::shared_ptr<Call>& call) {
  call->context.reserve(2048);
  call->context += "Question: ";
  call->context += call->task.question;
  call->context += "\nContext:\n";
  ehr_step(call, 0, 0);
}

void Assistant::ehr_step(const std::shared_ptr<Call>& call, std::size_t step, int attempt) {
  EhrRequest req;
  req.op = EhrRequest::Op::kSearch;
  req.patient = call->task.patient_id;
  switch (call->task.type) {
    case TaskType::kPriorAuthStatus:
      req.resource_type = "ClaimResponse";
      break;
    case TaskType::kDischargeSummary:
      req.resource_type = "DocumentReference";
      req.category = "discharge-summary";
      break;
    case TaskType::kBenefitsQuestion:
      if (step == 0) {
        req.resource_type = "Coverage";
      } else {
        req.resource_type = "DocumentReference";
        req.category = "policy";
        req.plan = call->plan_code;
        req.patient.clear();
      }
      break;
  }
  const std::uint64_t op = ++call->op;
  ++call->answer.ehr_calls;
  scheduler_.after(config_.ehr_timeout, [this, call, op, step, attempt] {
    if (call->finished || call->op != op) return;
    ehr_failed(call, step, attempt, "ehr_timeout");
  });
  ehr_.send(req, [this, call, op, step, attempt](const EhrOutcome& out) {
    if (call->finished || call->op != op) return;
    if (out.status != 200) {
      ehr_failed(call, step, attempt, "ehr_error");
      return;
    }
    bool more = false;
    switch (call->task.type) {
      case TaskType::kPriorAuthStatus:
        for (const PriorAuth* pa : out.prior_auths) {
          render_prior_auth(call->context, *pa);
          call->answer.retrieved_ids.push_back(pa->id);
        }
        break;
      case TaskType::kBenefitsQuestion:
        if (step == 0) {
          if (!out.coverages.empty()) {
            call->plan_code = out.coverages.front()->plan_code;
            more = true;
          }
          break;
        }
        [[fallthrough]];
      case TaskType::kDischargeSummary:
        for (const Document* d : out.documents) {
          render_document(call->context, *d);
          call->answer.retrieved_ids.push_back(d->id);
        }
        break;
    }
    if (more) {
      ehr_step(call, step + 1, 0);
    } else {
      call_model(call, route_, 0, false);
    }
  });
}

void Assistant::ehr_failed(const std::shared_ptr<Call>& call, std::size_t step, int attempt,
                           const char* cause) {
  if (attempt < config_.ehr_retries) {
    const std::uint64_t wait_op = ++call->op;
    scheduler_.after(config_.retry_backoff, [this, call, step, attempt, wait_op] {
      if (call->finished || call->op != wait_op) return;
      ehr_step(call, step, attempt + 1);
    });
  } else {
    finish(call, RequestStatus::kFallback, cause);
  }
}

void Assistant::call_model(const std::shared_ptr<Call>& call, const std::string& route, int attempt,
                           bool failed_over) {
  if (call->request.messages.empty()) {
    // Built once per task and reused by retries and failover; the context moves in.
    const PromptVersion* prompt = find_prompt(call->answer.prompt_version);
    ChatRequest& req = call->request;
    req.max_tokens = config_.max_tokens;
    req.messages.reserve(2);
    req.messages.push_back(ChatMessage{"system", prompt ? prompt->system : std::string()});
    req.messages.push_back(ChatMessage{"user", std::move(call->context)});
  }
  const ChatRequest& req = call->request;
  const std::uint64_t op = ++call->op;
  ++call->answer.attempts;
  scheduler_.after(config_.model_timeout, [this, call, op, route, attempt, failed_over] {
    if (call->finished || call->op != op) return;
    on_model_result(call, route, attempt, failed_over, nullptr);
  });
  model_.send(route, req, [this, call, op, route, attempt, failed_over](const VendorOutcome& out) {
    if (call->finished || call->op != op) return;
    on_model_result(call, route, attempt, failed_over, &out);
  });
}

void Assistant::on_model_result(const std::shared_ptr<Call>& call, const std::string& route,
                                int attempt, bool failed_over, const VendorOutcome* out) {
  const int status = out ? out->status : 0;  // 0: our own timeout fired
  if (out && status == 200) {
    Answer& a = call->answer;
    a.vendor = route;
    a.model = out->response.model;
    a.text = out->response.content;
    a.refused = is_refusal(a.text);
    a.citations = extract_citations(a.text);
    bool valid = true;
    for (const auto& id : a.citations) {
      if (std::find(a.retrieved_ids.begin(), a.retrieved_ids.end(), id) == a.retrieved_ids.end()) {
        valid = false;
        break;
      }
    }
    const PromptVersion* prompt = find_prompt(a.prompt_version);
    const bool wants_citations = prompt == nullptr || prompt->requires_citations;
    if (wants_citations && !a.refused && a.citations.empty()) valid = false;
    a.citations_valid = valid;
    if (!valid && flag_on("citation-check")) {
      finish(call, RequestStatus::kFallback, "citation_invalid");
      return;
    }
    finish(call, RequestStatus::kOk, "");
    return;
  }
  if ((status == 0 || retryable(status)) && attempt < config_.model_retries) {
    Duration wait = config_.retry_backoff * (1LL << std::min(attempt, 6));
    if (out && out->retry_after > wait) wait = std::min(out->retry_after, kMaxRetryWait);
    const std::uint64_t wait_op = ++call->op;
    scheduler_.after(wait, [this, call, route, attempt, failed_over, wait_op] {
      if (call->finished || call->op != wait_op) return;
      call_model(call, route, attempt + 1, failed_over);
    });
    return;
  }
  const std::string& secondary = route == config_.secondary_route ? config_.primary_route
                                                                   : config_.secondary_route;
  if (!failed_over && flag_on("auto-failover") && model_.has_vendor(secondary)) {
    call_model(call, secondary, 0, true);
    return;
  }
  call->answer.vendor = route;
  finish(call, RequestStatus::kFallback, vendor_cause(status));
}

void Assistant::finish(const std::shared_ptr<Call>& call, RequestStatus status,
                       const std::string& cause) {
  if (call->finished) return;
  call->finished = true;
  Answer& a = call->answer;
  a.status = status;
  a.cause = cause;
  if (status != RequestStatus::kOk) {
    a.text = kFallbackText;
    a.citations.clear();
  }
  a.latency = scheduler_.now() - call->started;
  call->done(a);
}

}  // namespace gameday
