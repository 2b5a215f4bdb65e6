#include "assistant/assistant.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "assistant/phi.hpp"
#include "fakes/embeddings.hpp"
#include "fakes/tool_calls.hpp"
#include <cstdio>

namespace gameday {

const char* const kEhrToolParameters =
    R"({"type":"object","properties":{"patient_id":{"type":"string",)"
    R"("description":"The patient's FHIR id, as the request gives it."}},)"
    R"("required":["patient_id"],"additionalProperties":false})";

const std::vector<EhrTool>& ehr_tools() {
  // The descriptions are what the model matches questions against: each task type's questions
  // share words with its own tool only.
  static const std::vector<EhrTool> kTools = {
      {kEhrToolNames[0],
       "Preauthorization cases of a patient with their status, service, CPT code, insurer and decision reason.",
       TaskType::kPriorAuthStatus},
      {kEhrToolNames[1],
       "Discharge summaries of a patient: diagnosis, treatment and follow-up instructions.",
       TaskType::kDischargeSummary},
      {kEhrToolNames[2],
       "Benefit policies of the patient's health plan: what the plan covers, copays, visit limits and "
       "which services need approval.",
       TaskType::kBenefitsQuestion},
  };
  return kTools;
}

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
  append_prior_auth_text(out, pa);
  out += '\n';
}

// Appends free text a person wrote (a question, a chart note, a portal message) to the prompt:
// redacted when redaction is on, else as is, counting the identifiers the vendor will receive.
// Structured records (prior-auth cases) and plan policies hold no identifiers and skip this.
void append_free_text(std::string& out, std::string_view text, PersonName patient, bool redact,
                      int& phi_seen) {
  if (redact) {
    append_redacted(out, text, patient);
  } else {
    out += text;
    phi_seen += count_phi(text, patient);
  }
}

void render_document(std::string& out, const Document& d, PersonName patient, bool redact,
                     int& phi_seen) {
  out += "[doc:";
  out += d.id;
  out += "] ";
  if (d.patient_id.empty()) {
    out += d.text;  // a plan policy
  } else {
    append_free_text(out, d.text, patient, redact, phi_seen);
  }
  out += '\n';
}

void append_unique(std::vector<std::string>& to, const std::vector<std::string>& ids) {
  for (const auto& id : ids) {
    if (std::find(to.begin(), to.end(), id) == to.end()) to.push_back(id);
  }
}

// The faults a span list gained since it had `mark` entries: those of a call that ended without
// an outcome (a hang), recorded as the call was made.
std::vector<std::string> faults_since(const std::vector<std::string>& span, std::size_t mark) {
  if (mark >= span.size()) return {};
  return std::vector<std::string>(span.begin() + static_cast<std::ptrdiff_t>(mark), span.end());
}

// Request metadata for fault filters (trigger: task_types). Requests are reused across calls,
// so the field is written once.
void set_task_type(std::string& task_type, TaskType type) {
  if (task_type.empty()) task_type = to_string(type);
}

// Records a document placed in the context, and where its line sits (without the newline).
void note_retrieved(Answer& a, const std::string& id, std::size_t begin, std::size_t end) {
  const std::size_t i = a.retrieved_ids.size();
  if (i < a.doc_spans.size()) {
    a.doc_spans[i] =
        Answer::DocSpan{static_cast<std::uint32_t>(begin), static_cast<std::uint32_t>(end)};
  }
  a.retrieved_ids.push_back(id);
}

PersonName patient_name(const Task& t) { return PersonName{t.patient_given, t.patient_family}; }

bool holds_canary(const Answer& a) {
  if (a.text.find(kCanaryPrefix) != std::string::npos) return true;
  for (const auto& tc : a.tool_calls) {
    if (tc.find(kCanaryPrefix) != std::string::npos) return true;
  }
  return false;
}

bool holds_phi(const Answer& a) {
  if (contains_phi(a.text)) return true;
  for (const auto& tc : a.tool_calls) {
    if (contains_phi(tc)) return true;
  }
  return false;
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
  // Built in place (make_shared): moving an Answer's strings and vectors costs per request.
  Call(const Task& t, AnswerFn d) : task(t), done(std::move(d)) {}
  const Task& task;
  AnswerFn done;
  SimTime started = 0;
  const PromptVersion* prompt = nullptr;  // captured at arrival
  Answer answer;
  std::string context;   // the user message, built during retrieval
  ChatRequest request;   // built from `context` at the first model call
  EhrRequest ehr_request;  // reused by every EHR call (its strings keep their capacity)
  std::string plan_code;
  // What the EHR steps retrieve: the task's own retrieval, or (tool flow) a tool's for the
  // patient its call names.
  TaskType retrieval = TaskType::kPriorAuthStatus;
  const std::string* retrieval_patient = nullptr;
  // --- the tool flow
  bool tool_flow = false;
  tools::ToolTurn turn;           // the tools offered and the results sent back so far
  std::vector<ToolCall> pending;  // the round being executed
  std::size_t next_tool = 0;
  std::size_t result_begin = 0;   // where the running call's documents start in `context`
  std::string tool_patient;       // the running call's patient_id
  std::string route;              // where the last round's answer came from
  bool failed_over = false;
  int phi_seen = 0;      // identifiers put in the prompt unredacted (redaction off)
  SimTime call_started = 0;  // when the outstanding dependency call was made
  std::size_t span_mark = 0;  // size of the call's span fault list when it was made
  std::uint64_t op = 0;  // token of the outstanding operation; stale callbacks compare and drop
  std::uint64_t timeout = 0;  // the outstanding EHR or model call's timeout (TimeoutQueue token)
  bool finished = false;
  std::size_t wait_ix = kNotWaiting;  // its place in Assistant::waiting_
  static constexpr std::size_t kNotWaiting = static_cast<std::size_t>(-1);
};

void Assistant::hold(const std::shared_ptr<Call>& call) {
  if (call->wait_ix != Call::kNotWaiting) return;
  call->wait_ix = waiting_.size();
  waiting_.push_back(call);
}

void Assistant::release_hold(Call& call) {
  const std::size_t ix = call.wait_ix;
  if (ix == Call::kNotWaiting) return;
  call.wait_ix = Call::kNotWaiting;
  if (ix + 1 != waiting_.size()) {
    waiting_[ix] = std::move(waiting_.back());
    waiting_[ix]->wait_ix = ix;
  }
  waiting_.pop_back();  // may free `call`: the caller holds its own reference
}

bool Assistant::placed_before(const Call& call, const std::string& id) {
  return call.tool_flow && std::find(call.answer.retrieved_ids.begin(), call.answer.retrieved_ids.end(), id) !=
                               call.answer.retrieved_ids.end();
}

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
  flag_by_.resize(flags_.size());
  flag_state_.resize(flags_.size());
  for (std::size_t i = 0; i < flags_.size(); ++i) refresh_flag_state(i);
  static constexpr const char* kHotNames[kHotFlags] = {
      "safe-mode",           "phi-redaction",     "citation-check", "schema-check", "auto-failover",
      "patient-match-check", "current-docs-only", "ehr-replica"};
  for (int h = 0; h < kHotFlags; ++h) {
    auto it = flag_ix_.find(kHotNames[h]);
    hot_ix_[static_cast<std::size_t>(h)] = it == flag_ix_.end() ? flags_.size() : it->second;
  }
  if (!find_prompt(prompt_version_) && !prompts_.empty()) prompt_version_ = prompts_.back().version;
}

void Assistant::refresh_deploy_faults() {
  deploy_faults_.clear();
  auto add = [this](const std::string& by) {
    if (by.size() <= kDeployBy.size() || by.compare(0, kDeployBy.size(), kDeployBy) != 0) return;
    std::string id = by.substr(kDeployBy.size());
    if (std::find(deploy_faults_.begin(), deploy_faults_.end(), id) == deploy_faults_.end()) {
      deploy_faults_.push_back(std::move(id));
    }
  };
  add(prompt_by_);
  for (const auto& by : flag_by_) add(by);
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

void Assistant::refresh_flag_state(std::size_t ix) {
  const FlagDef& f = flags_[ix];
  auto v = f.variants.find(f.default_variant);
  flag_state_[ix] = !f.enabled ? -1 : (v != f.variants.end() && v->second == "true") ? 1 : 0;
}

bool Assistant::hot_on(HotFlag f, bool fallback) const {
  const std::size_t ix = hot_ix_[static_cast<std::size_t>(f)];
  if (ix >= flag_state_.size() || flag_state_[ix] < 0) return fallback;
  return flag_state_[ix] == 1;
}

bool Assistant::flag_on(const std::string& name) const {
  auto it = flag_ix_.find(name);
  return it != flag_ix_.end() && flag_state_[it->second] == 1;
}

bool Assistant::flag_on_or(const std::string& name, bool fallback) const {
  auto it = flag_ix_.find(name);
  if (it == flag_ix_.end() || flag_state_[it->second] < 0) return fallback;
  return flag_state_[it->second] == 1;
}

void Assistant::change(const std::string& what, const std::string& key, const std::string& from,
                       const std::string& to, const std::string& by) {
  // Setting what is already set is journaled (someone acted) but changes nothing.
  journal_.append(scheduler_.now(), ControlChangeEvent{what, key, from, to, by, from == to});
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
  if (from == variant) {  // a no-op keeps who set the flag (a deploy fault stays the cause)
    change("flag", name, from, variant, by);
    return true;
  }
  f.enabled = true;
  f.default_variant = variant;
  flag_by_[it->second] = by;
  refresh_flag_state(it->second);
  refresh_deploy_faults();
  change("flag", name, from, variant, by);
  return true;
}

bool Assistant::set_prompt(const std::string& version, const std::string& by, std::string* error) {
  if (!find_prompt(version)) {
    if (error) *error = "unknown prompt version '" + version + "'";
    return false;
  }
  const std::string from = prompt_version_;
  if (from == version) {
    change("prompt", "", from, version, by);
    return true;
  }
  prompt_history_.push_back(from);
  prompt_version_ = version;
  prompt_by_ = by;
  refresh_deploy_faults();
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
      prompt_by_ = by;
      refresh_deploy_faults();
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
  if (from == vendor) {
    change("route", "", from, vendor, by);
    return true;
  }
  route_ = vendor;
  change("route", "", from, vendor, by);
  return true;
}

std::weak_ptr<const Answer> Assistant::handle(const Task& task, AnswerFn done) {
  // Not make_shared: the timeouts and late vendor answers that outlive a finished call hold it
  // weakly, and a weak reference keeps a make_shared block (the whole Call) allocated. Apart,
  // the Call is freed when it finishes; only the small control block waits for them.
  std::shared_ptr<Call> call(new Call(task, std::move(done)));
  call->started = scheduler_.now();
  // The configuration is captured at arrival: a deploy does not change requests in flight.
  Answer& a = call->answer;
  a.calls.reserve(4);  // an EHR search or two and a model call, without regrowing
  a.prompt_version = prompt_version_;
  call->prompt = find_prompt(prompt_version_);
  if (call->prompt) {
    a.prompt_good = call->prompt->good;
    a.system_prompt = call->prompt->system;
  }
  a.redaction = hot_on(kPhiRedaction, true);
  a.json_output = task.type == TaskType::kMessageTriage;
  if (!deploy_faults_.empty()) a.config_fault_ids = deploy_faults_;
  std::weak_ptr<const Answer> view = std::shared_ptr<const Answer>(call, &call->answer);
  if (shed_now(task)) {  // traffic.shed: rejected fast, before any work
    finish(call, RequestStatus::kError, "shed");
    return view;
  }
  if (hot_on(kSafeMode, false)) {
    finish(call, RequestStatus::kFallback, "safe_mode");
    return view;
  }
  call->retrieval = task.type;
  call->retrieval_patient = &task.patient_id;
  if (config_.tool_use && task.type != TaskType::kMessageTriage) {
    start_tools(call);
    return view;
  }
  retrieve(call);
  return view;
}

void Assistant::retrieve(const std::shared_ptr<Call>& call) {
  call->context.reserve(2048);
  call->context += "Question: ";
  append_free_text(call->context, call->task.question, patient_name(call->task),
                   call->answer.redaction, call->phi_seen);
  call->context += "\nContext:\n";
  ehr_step(call, 0, 0);
}

void Assistant::ehr_step(const std::shared_ptr<Call>& call, std::size_t step, int attempt) {
  EhrRequest& req = call->ehr_request;  // clients do not keep it past send()
  req.op = EhrRequest::Op::kSearch;
  req.patient = *call->retrieval_patient;
  req.category.clear();
  req.plan.clear();
  req.status.clear();
  switch (call->retrieval) {
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
        if (hot_on(kCurrentDocs, false)) req.status = "current";
      }
      break;
    case TaskType::kMessageTriage:
      req.resource_type = "DocumentReference";
      if (step == 0) {
        req.category = kPortalMessageCategory;
      } else {
        // The triage policy applies to every plan.
        req.category = "policy";
        req.plan = "ALL";
        req.patient.clear();
        if (hot_on(kCurrentDocs, false)) req.status = "current";
      }
      break;
  }
  set_task_type(req.task_type, call->task.type);
  const std::uint64_t op = ++call->op;
  ++call->answer.ehr_calls;
  begin_call(call, Dependency::kEhr, std::string(), req.resource_type, call->answer.ehr_fault_ids);
  call->timeout = ehr_timeouts_.arm([this, weak = std::weak_ptr<Call>(call), op, step, attempt] {
    const std::shared_ptr<Call> c = weak.lock();  // gone: it finished long ago
    if (!c || c->finished || c->op != op) return;
    release_hold(*c);
    DependencyCall& made = record_call(c, Dependency::kEhr, std::string(), 0);
    made.resource = c->ehr_request.resource_type;
    made.fault_ids = faults_since(c->answer.ehr_fault_ids, c->span_mark);
    ehr_failed(c, step, attempt, "ehr_timeout");
  });
  // The span records the call's faults as it is made (see SpanFaults).
  SpanFaults* span = &call->answer.ehr_fault_ids;
  EhrClient& client = replica_ != nullptr && hot_on(kEhrReplica, false) ? *replica_ : ehr_;
  const bool match_patient = hot_on(kPatientMatch, false);
  hold(call);
  client.send(req, [this, weak = std::weak_ptr<Call>(call), op, step, attempt, match_patient](const EhrOutcome& out) {
    const std::shared_ptr<Call> rq = weak.lock();  // gone: it finished (after a timeout) long ago
    if (!rq || rq->finished || rq->op != op) return;
    release_hold(*rq);
    ehr_timeouts_.disarm(rq->timeout);  // it would find the operation over and do nothing
    if (!out.fault_ids.empty()) append_unique(rq->answer.ehr_fault_ids, out.fault_ids);
    DependencyCall& made = record_call(rq, Dependency::kEhr, std::string(), out.status);
    made.resource = rq->ehr_request.resource_type;
    made.fault_ids = out.fault_ids;
    if (out.status != 200) {
      ehr_failed(rq, step, attempt, "ehr_error", out.retry_after);
      return;
    }
    // patient-match-check: records of another patient are dropped; when that leaves nothing,
    // the search is retried (and the request falls back once retries run out).
    const std::string& me = rq->task.patient_id;
    auto foreign = [&](const std::string& owner) { return match_patient && !owner.empty() && owner != me; };
    std::size_t dropped = 0, kept = 0;
    for (const PriorAuth* pa : out.prior_auths) (foreign(pa->patient_id) ? dropped : kept) += 1;
    for (const Coverage* c : out.coverages) (foreign(c->patient_id) ? dropped : kept) += 1;
    for (const Document* d : out.documents) (foreign(d->patient_id) ? dropped : kept) += 1;
    if (dropped > 0 && kept == 0) {
      ehr_failed(rq, step, attempt, "patient_mismatch");
      return;
    }
    bool more = false;
    switch (rq->retrieval) {
      case TaskType::kPriorAuthStatus:
        for (const PriorAuth* pa : out.prior_auths) {
          if (foreign(pa->patient_id) || placed_before(*rq, pa->id)) continue;
          const std::size_t begin = rq->context.size();
          render_prior_auth(rq->context, *pa);
          note_retrieved(rq->answer, pa->id, begin, rq->context.size() - 1);
          if (pa->patient_id != rq->task.patient_id) {
            rq->answer.other_patient_docs.push_back(pa->id);
          }
        }
        break;
      case TaskType::kBenefitsQuestion:
        if (step == 0) {
          for (const Coverage* c : out.coverages) {
            if (foreign(c->patient_id)) continue;
            rq->plan_code = c->plan_code;
            more = true;
            break;
          }
          break;
        }
        [[fallthrough]];
      case TaskType::kDischargeSummary:
      case TaskType::kMessageTriage: {
        std::vector<const Document*> docs;
        docs.reserve(out.documents.size());
        for (const Document* d : out.documents) {
          if (!foreign(d->patient_id)) docs.push_back(d);
        }
        // Triage reads the patient's messages, then the policy.
        more = rq->retrieval == TaskType::kMessageTriage && step == 0;
        place_documents(rq, std::move(docs), more, step);
        return;
      }
    }
    next_step(rq, more, step);
  }, span);
}

void Assistant::next_step(const std::shared_ptr<Call>& call, bool more, std::size_t step) {
  if (more) {
    ehr_step(call, step + 1, 0);
  } else if (call->tool_flow) {
    tool_done(call);
  } else {
    call_model(call, route_, 0, false);
  }
}

void Assistant::begin_call(const std::shared_ptr<Call>& call, Dependency dep, const std::string& vendor,
                           const std::string& resource, const std::vector<std::string>& span_faults) {
  call->call_started = scheduler_.now();
  call->span_mark = span_faults.size();
  DependencyCall& c = call->answer.in_flight.emplace();
  c.dependency = dep;
  c.vendor = vendor;
  c.resource = resource;
  c.started = call->call_started;
  call->answer.in_flight_mark = call->span_mark;
}

DependencyCall& Assistant::record_call(const std::shared_ptr<Call>& call, Dependency dep,
                                      const std::string& vendor, int status) {
  call->answer.in_flight.reset();
  DependencyCall& c = call->answer.calls.emplace_back();
  c.dependency = dep;
  c.vendor = vendor;
  c.status = status;
  c.latency = scheduler_.now() - call->call_started;
  c.started = call->call_started;
  return c;
}

void Assistant::render_documents(const std::shared_ptr<Call>& call, const std::vector<const Document*>& docs) {
  for (const Document* d : docs) {
    if (placed_before(*call, d->id)) continue;
    const std::size_t begin = call->context.size();
    render_document(call->context, *d, patient_name(call->task), call->answer.redaction, call->phi_seen);
    note_retrieved(call->answer, d->id, begin, call->context.size() - 1);
    // A resource whose subject is another patient (policies have none).
    if (!d->patient_id.empty() && d->patient_id != call->task.patient_id) {
      call->answer.other_patient_docs.push_back(d->id);
    }
    if (d->status == "superseded") call->answer.superseded_docs.push_back(d->id);
  }
}

void Assistant::place_documents(const std::shared_ptr<Call>& call, std::vector<const Document*> docs, bool more,
                                std::size_t step) {
  const RetrievalSpec& opt = config_.retrieval;
  const auto k = static_cast<std::size_t>(std::max(opt.top_k, 1));
  if (opt.rank != RetrievalRank::kEmbeddings || docs.size() <= k) {
    render_documents(call, docs);
    next_step(call, more, step);
    return;
  }
  // The question and each candidate go to the routed vendor's embeddings, redacted as the
  // prompt would be.
  EmbeddingRequest req;
  req.dimensions = kAssistantEmbeddingDimensions;
  set_task_type(req.task_type, call->task.type);
  int phi_ignored = 0;  // the prompt's own rendering counts what the vendor receives
  req.inputs.emplace_back();
  append_free_text(req.inputs.back(), call->task.question, patient_name(call->task), call->answer.redaction,
                   phi_ignored);
  for (const Document* d : docs) {
    req.inputs.emplace_back();
    if (d->patient_id.empty()) {
      req.inputs.back() = d->text;
    } else {
      append_free_text(req.inputs.back(), d->text, patient_name(call->task), call->answer.redaction, phi_ignored);
    }
  }
  const std::string vendor = route_;
  const std::uint64_t op = ++call->op;
  begin_call(call, Dependency::kEmbeddings, vendor, std::string(), call->answer.embedding_fault_ids);
  auto docs_held = std::make_shared<std::vector<const Document*>>(std::move(docs));
  // Without an answer (status 0) or with an error, the first k documents go in unranked.
  auto settle = [this, call, docs_held, k, more, step, vendor](const EmbeddingOutcome* out) {
    const int status = out ? out->status : 0;
    DependencyCall& made = record_call(call, Dependency::kEmbeddings, vendor, status);
    made.fault_ids = out ? out->fault_ids : faults_since(call->answer.embedding_fault_ids, call->span_mark);
    if (out && status != 200) made.error_type = out->error.type;
    std::vector<const Document*>& all = *docs_held;
    std::vector<const Document*> kept;
    if (out && status == 200 && out->vectors.size() == all.size() + 1) {
      const std::vector<std::vector<float>> candidates(out->vectors.begin() + 1, out->vectors.end());
      for (std::size_t i : top_k_by_similarity(out->vectors.front(), candidates, k)) kept.push_back(all[i]);
      call->answer.ranking = "embeddings";
    } else {
      kept.assign(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k));
      call->answer.ranking = "unranked";
    }
    render_documents(call, kept);
    next_step(call, more, step);
  };
  scheduler_.after(opt.timeout, [call, op, settle] {
    if (call->finished || call->op != op) return;
    ++call->op;
    settle(nullptr);
  });
  model_.embed(vendor, req, [call, op, settle](const EmbeddingOutcome& out) {
    if (call->finished || call->op != op) return;
    if (!out.fault_ids.empty()) append_unique(call->answer.embedding_fault_ids, out.fault_ids);
    ++call->op;
    settle(&out);
  }, &call->answer.embedding_fault_ids);
}

void Assistant::ehr_failed(const std::shared_ptr<Call>& call, std::size_t step, int attempt,
                           const char* cause, Duration retry_after) {
  if (attempt < config_.ehr_retries) {
    // As for the model: the backoff, or the server's Retry-After when longer (capped).
    Duration wait = config_.retry_backoff;
    if (retry_after > wait) wait = std::min(retry_after, kMaxRetryWait);
    const std::uint64_t wait_op = ++call->op;
    scheduler_.after(wait, [this, call, step, attempt, wait_op] {
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
    // Built once per task and reused by retries and failover; the context moves in (and back
    // out into the answer when the request finishes).
    Answer& a = call->answer;
    mark_model_stage(call);
    ChatRequest& req = call->request;
    req.max_tokens = config_.max_tokens;
    req.json_output = a.json_output;
    set_task_type(req.task_type, call->task.type);
    req.messages.reserve(2);
    req.messages.push_back(
        ChatMessage{"system", call->prompt ? call->prompt->system : std::string()});
    req.messages.push_back(ChatMessage{"user", std::move(call->context)});
  }
  const ChatRequest& req = call->request;
  const std::uint64_t op = ++call->op;
  ++call->answer.attempts;
  begin_call(call, Dependency::kVendor, route, std::string(), call->answer.model_fault_ids);
  call->timeout = model_timeouts_.arm([this, weak = std::weak_ptr<Call>(call), op, route, attempt, failed_over] {
    const std::shared_ptr<Call> c = weak.lock();  // gone: it finished long ago
    if (!c || c->finished || c->op != op) return;
    release_hold(*c);
    on_model_result(c, route, attempt, failed_over, nullptr);
  });
  hold(call);
  model_.send(route, req, [this, weak = std::weak_ptr<Call>(call), op, route, attempt, failed_over](const VendorOutcome& out) {
    const std::shared_ptr<Call> c = weak.lock();  // gone: it finished (after a timeout) long ago
    if (!c || c->finished || c->op != op) return;
    release_hold(*c);
    model_timeouts_.disarm(c->timeout);  // it would find the operation over and do nothing
    on_model_result(c, route, attempt, failed_over, &out);
  }, &call->answer.model_fault_ids);
}

void Assistant::on_model_result(const std::shared_ptr<Call>& call, const std::string& route,
                                int attempt, bool failed_over, const VendorOutcome* out) {
  const int status = out ? out->status : 0;  // 0: our own timeout fired
  DependencyCall& c = record_call(call, Dependency::kVendor, route, status);
  if (out) {
    c.fault_ids = out->fault_ids;
    if (status == 200) {
      c.resource = out->response.model;
      c.response_id = out->response.id;
      c.finish_reason = out->response.finish_reason;
      c.input_tokens = out->response.usage.prompt_tokens;
      c.output_tokens = out->response.usage.completion_tokens;
    } else {
      c.error_type = out->error.type;
    }
  } else {
    c.fault_ids = faults_since(call->answer.model_fault_ids, call->span_mark);
  }
  if (out) {
    if (!out->fault_ids.empty()) append_unique(call->answer.model_fault_ids, out->fault_ids);
    if (out->phi_received > 0) call->answer.phi_to_vendor = true;
  }
  if (out && status == 200) {
    if (call->tool_flow && !out->response.tool_calls.empty() &&
        on_tool_calls(call, route, failed_over, out->response.tool_calls)) {
      return;
    }
    Answer& a = call->answer;
    a.vendor = route;
    a.model = out->response.model;
    a.text = out->response.content;
    for (const ToolCall& tc : out->response.tool_calls) {
      a.tool_calls.push_back(tc.name + "(" + tc.arguments + ")");
    }
    if (a.json_output) {
      validate_json(a);
      if (!a.schema_valid) {
        a.schema_checked = hot_on(kSchemaCheck, true);
        if (a.schema_checked) {
          finish(call, RequestStatus::kFallback, "invalid_schema");
          return;
        }
        // Unchecked: the content goes out as it came. Its citations were never parsed, so
        // the citation check has nothing to look at.
        a.citations_valid = false;
        finish(call, RequestStatus::kOk, "");
        return;
      }
    } else {
      a.refused = is_refusal(a.text);
      a.citations = extract_citations(a.text);
    }
    bool valid = true;
    for (const auto& id : a.citations) {
      if (std::find(a.retrieved_ids.begin(), a.retrieved_ids.end(), id) == a.retrieved_ids.end()) {
        valid = false;
        break;
      }
    }
    // The citation monitor counts an answer without citations as invalid whatever the prompt
    // says; the citation-check gate rejects citations of documents not retrieved, and missing
    // citations only when the deployed prompt asks for them.
    const PromptVersion* prompt = call->prompt;
    const bool wants_citations = prompt == nullptr || prompt->requires_citations;
    const bool missing = !a.refused && a.citations.empty();
    a.citations_valid = valid && !missing;
    // The validators read prose; a tool-call-only response has none and passes through.
    const bool tool_calls_only = !a.tool_calls.empty() && a.text.empty();
    if ((!valid || (missing && wants_citations)) && !tool_calls_only) {
      a.citations_checked = hot_on(kCitationCheck, false);
      if (a.citations_checked) {
        finish(call, RequestStatus::kFallback, "citation_invalid");
        return;
      }
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
  if (!failed_over && hot_on(kAutoFailover, false) && model_.has_vendor(secondary)) {
    call_model(call, secondary, 0, true);
    return;
  }
  call->answer.vendor = route;
  finish(call, RequestStatus::kFallback, vendor_cause(status));
}

void Assistant::validate_json(Answer& a) {
  // Structured output: {"answer": string, "citations": [string, ...]}; anything else is a
  // schema failure (nlohmann without exceptions: bad JSON parses as "discarded").
  const nlohmann::json j = nlohmann::json::parse(a.text, nullptr, false);
  bool ok = j.is_object();
  const nlohmann::json* answer = nullptr;
  const nlohmann::json* cites = nullptr;
  if (ok) {
    auto ai = j.find("answer");
    auto ci = j.find("citations");
    ok = ai != j.end() && ai->is_string() && ci != j.end() && ci->is_array();
    if (ok) {
      answer = &*ai;
      cites = &*ci;
      for (const auto& c : *cites) ok = ok && c.is_string();
    }
  }
  a.schema_valid = ok;
  if (!ok) return;
  a.statement = answer->get<std::string>();
  a.refused = is_refusal(a.statement);
  for (const auto& c : *cites) {
    const std::string& id = c.get_ref<const std::string&>();
    if (std::find(a.citations.begin(), a.citations.end(), id) == a.citations.end()) {
      a.citations.push_back(id);
    }
  }
}

void Assistant::finish(const std::shared_ptr<Call>& call, RequestStatus status,
                       const std::string& cause) {
  if (call->finished) return;
  call->finished = true;
  release_hold(*call);
  Answer& a = call->answer;
  a.status = status;
  a.cause = cause;
  a.stage = Stage::kDone;
  if (call->tool_flow) {
    a.context = std::move(call->context);  // the prompt and every tool result
  } else if (call->request.messages.size() > 1) {
    a.context = std::move(call->request.messages[1].content);
  }
  if (status != RequestStatus::kOk) {
    a.text = kFallbackText;
    a.citations.clear();
    a.tool_calls.clear();
  } else {
    // What production's output filters see (they observe; they do not block).
    a.canary_seen = holds_canary(a);
    a.phi_detected = holds_phi(a);
  }
  a.latency = scheduler_.now() - call->started;
  // Release the caller's callback (and what it captured) once it has run.
  AnswerFn done = std::move(call->done);
  done(a);
}

// ---- the tool flow

void Assistant::start_tools(const std::shared_ptr<Call>& call) {
  call->tool_flow = true;
  Answer& a = call->answer;
  a.tools_offered = true;
  // The model names the patient in its calls by the FHIR logical id (never the MRN).
  std::string user = "Patient: " + call->task.patient_id + "\nQuestion: ";
  append_free_text(user, call->task.question, patient_name(call->task), a.redaction, call->phi_seen);
  user += '\n';
  call->context.reserve(2048);
  call->context = user;
  call->context += "Context:\n";
  for (const EhrTool& t : ehr_tools()) {
    call->turn.tools.push_back(
        tools::ToolSpec{std::string(t.name), std::string(t.description), kEhrToolParameters});
  }
  ChatRequest& req = call->request;
  req.max_tokens = config_.max_tokens;
  set_task_type(req.task_type, call->task.type);
  req.messages.push_back(ChatMessage{"system", call->prompt ? call->prompt->system : std::string()});
  req.messages.push_back(ChatMessage{"user", std::move(user)});
  req.tool_turn = &call->turn;
  call->route = route_;
  ask_with_tools(call);
}

void Assistant::mark_model_stage(const std::shared_ptr<Call>& call) {
  Answer& a = call->answer;
  a.stage = Stage::kModel;
  // Redaction happened as the context (or the tool results rendered into it) was built. Nothing
  // is written anywhere: the flags record what the vendor and the logs would hold.
  if (!a.redaction && call->phi_seen > 0) {
    a.phi_to_vendor = true;
    a.phi_in_logs = true;
  }
  a.canary_in_context = call->context.find(kCanaryPrefix) != std::string::npos;
}

void Assistant::ask_with_tools(const std::shared_ptr<Call>& call) {
  // The vendor receives the prompt and the tool results (the documents rendered into context).
  mark_model_stage(call);
  call_model(call, call->route, 0, call->failed_over);
}

bool Assistant::on_tool_calls(const std::shared_ptr<Call>& call, const std::string& route, bool failed_over,
                              const std::vector<ToolCall>& calls) {
  for (const ToolCall& tc : calls) {
    const auto& offered = ehr_tools();
    if (std::none_of(offered.begin(), offered.end(), [&](const EhrTool& t) { return t.name == tc.name; })) {
      return false;
    }
  }
  if (++call->answer.tool_rounds > config_.tool_rounds) {
    --call->answer.tool_rounds;  // the round asked for was not run
    call->answer.vendor = route;
    finish(call, RequestStatus::kFallback, "tool_loop");
    return true;
  }
  call->route = route;
  call->failed_over = failed_over;
  call->pending = calls;
  call->next_tool = 0;
  run_next_tool(call);
  return true;
}

void Assistant::run_next_tool(const std::shared_ptr<Call>& call) {
  if (call->next_tool == call->pending.size()) {
    ask_with_tools(call);
    return;
  }
  const ToolCall& tc = call->pending[call->next_tool];
  call->answer.stage = Stage::kRetrieval;
  call->result_begin = call->context.size();
  const nlohmann::json args = nlohmann::json::parse(tc.arguments, nullptr, false);
  const auto id = args.is_object() ? args.find("patient_id") : args.end();
  if (!args.is_object() || id == args.end() || !id->is_string() || id->get_ref<const std::string&>().empty()) {
    // The model gets the error back as the call's result, and nothing is searched.
    call->turn.results.push_back(
        tools::ToolResult{tc.id, tc.name, R"({"error": "patient_id (a string) is required"})"});
    ++call->next_tool;
    run_next_tool(call);
    return;
  }
  call->tool_patient = id->get<std::string>();
  call->retrieval_patient = &call->tool_patient;
  for (const EhrTool& t : ehr_tools()) {
    if (t.name == tc.name) call->retrieval = t.retrieval;
  }
  ehr_step(call, 0, 0);
}

void Assistant::tool_done(const std::shared_ptr<Call>& call) {
  const ToolCall& tc = call->pending[call->next_tool];
  // The documents the call placed in the context, as "[doc:ID] text" lines; "[]" for none.
  std::string content = call->context.substr(call->result_begin);
  if (content.empty()) content = "[]";
  call->turn.results.push_back(tools::ToolResult{tc.id, tc.name, std::move(content)});
  ++call->next_tool;
  run_next_tool(call);
}

// ---- traffic.shed (playbook control hook)

bool Assistant::set_shed(double share, const std::string& by, std::string* error) {
  if (!(share >= 0 && share <= 1)) {
    if (error) *error = "shed share must be between 0 and 1";
    return false;
  }
  auto text = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return std::string(buf);
  };
  const double from = shed_share_;
  if (from == share) {
    change("shed", "", text(from), text(share), by);
    return true;
  }
  shed_share_ = share;
  if (share == 0) shed_credit_ = 0;
  change("shed", "", text(from), text(share), by);
  return true;
}

bool Assistant::shed_now(const Task& task) {
  if (shed_share_ <= 0 || task.probe) return false;
  // Error diffusion: exactly `share` of user requests, evenly spread, no random draw.
  shed_credit_ += shed_share_;
  if (shed_credit_ < 1 - 1e-9) return false;
  shed_credit_ -= 1;
  return true;
}

}  // namespace gameday
