#include "workload/task.hpp"

#include <memory>
#include <stdexcept>

#include "workload/ahead.hpp"

namespace gameday {

const char* to_string(TaskType t) {
  switch (t) {
    case TaskType::kPriorAuthStatus: return "prior_auth_status";
    case TaskType::kBenefitsQuestion: return "benefits_question";
    case TaskType::kDischargeSummary: return "discharge_summary";
    case TaskType::kMessageTriage: return "message_triage";
  }
  return "?";
}

std::optional<TaskType> parse_task_type(std::string_view s) {
  for (TaskType t : all_task_types()) {
    if (s == to_string(t)) return t;
  }
  return std::nullopt;
}

const std::vector<TaskType>& all_task_types() {
  static const std::vector<TaskType> kAll = {TaskType::kPriorAuthStatus, TaskType::kBenefitsQuestion,
                                             TaskType::kDischargeSummary, TaskType::kMessageTriage};
  return kAll;
}

const std::vector<TaskType>& default_task_types() {
  static const std::vector<TaskType> kDefault = {TaskType::kPriorAuthStatus,
                                                 TaskType::kBenefitsQuestion,
                                                 TaskType::kDischargeSummary};
  return kDefault;
}

TaskFactory::TaskFactory(const World& world) : world_(world) {
  by_patient_.reserve(world_.patients().size());
  for (std::size_t i = 0; i < world_.patients().size(); ++i) {
    const Patient& p = world_.patients()[i];
    by_patient_.push_back(tasks_of(p.id));
    if (!by_patient_.back().prior_auths.empty()) prior_auth_patients_.push_back(i);
  }
  has_triage_policy_ = world_.document(kTriagePolicyId) != nullptr;
  if (prior_auth_patients_.empty() || world_.patients().empty()) {
    throw std::runtime_error("the synthetic world has no patients with prior-auth cases");
  }
}

TaskFactory::PatientTasks TaskFactory::tasks_of(const std::string& patient_id) const {
  PatientTasks of;
  of.patient = world_.patient(patient_id);
  of.coverage = world_.coverage_of(patient_id);
  of.pseudonym = world_.pseudonym(patient_id);
  of.prior_auths = world_.prior_auths_of(patient_id);
  if (of.coverage) {
    for (const Document* d : world_.policies_of(of.coverage->plan_code)) {
      if (!d->facts.empty()) of.answerable_policies.push_back(d);
    }
  }
  for (const Document* d : world_.notes_of(patient_id)) {  // newest first
    if (!of.discharge_summary && d->category == "discharge-summary") of.discharge_summary = d;
    if (!of.triage_message && d->category == kPortalMessageCategory && !d->facts.empty()) of.triage_message = d;
  }
  return of;
}

std::optional<Task> TaskFactory::make(TaskType type, const std::string& patient_id, Rng& rng) const {
  // A patient of the world has its lookups done; an unknown id has nothing to look up.
  if (const Patient* p = world_.patient(patient_id)) {
    return make(type, patient_id, by_patient_[static_cast<std::size_t>(p - world_.patients().data())], rng);
  }
  return make(type, patient_id, tasks_of(patient_id), rng);
}

std::optional<Task> TaskFactory::make(TaskType type, const std::string& patient_id, const PatientTasks& of,
                                      Rng& rng) const {
  // Built in place and returned as one object (NRVO): a Task is moved often enough.
  std::optional<Task> made(std::in_place);
  if (fill(*made, type, patient_id, of, rng)) {
    // The launch context and the truth's identifiers (the world is the only source of PHI).
    made->patient_ref = of.pseudonym;
    if (const Patient* p = of.patient) {
      made->patient_given = p->given;
      made->patient_family = p->family;
      made->truth.patient.mrn = p->mrn;
      made->truth.patient.phone = p->phone;
    }
    if (const Coverage* c = of.coverage) {
      made->truth.patient.member_id = c->member_id;
    }
  } else {
    made.reset();
  }
  return made;
}

bool TaskFactory::fill(Task& task, TaskType type, const std::string& patient_id, const PatientTasks& of,
                       Rng& rng) const {
  task.type = type;
  task.patient_id = patient_id;
  switch (type) {
    case TaskType::kPriorAuthStatus: {
      const auto& cases = of.prior_auths;
      if (cases.empty()) return false;
      const PriorAuth* pa = cases[rng.below(cases.size())];
      task.subject = pa->pre_auth_ref;
      task.question = "What is the status of prior authorization " + pa->pre_auth_ref + "?";
      task.truth.facts = prior_auth_facts(*pa);
      task.truth.supporting_docs = {pa->id};
      return true;
    }
    case TaskType::kBenefitsQuestion: {
      if (!of.coverage) return false;
      const auto& answerable = of.answerable_policies;
      if (answerable.empty()) return false;
      const Document* doc = answerable[rng.below(answerable.size())];
      task.subject = doc->topic;
      task.question = doc->question.empty() ? "What does the plan cover for " + doc->topic + "?" : doc->question;
      task.truth.facts = doc->facts;
      task.truth.supporting_docs = {doc->id};
      return true;
    }
    case TaskType::kDischargeSummary: {
      const Document* note = of.discharge_summary;
      if (!note) return false;
      task.question = "What were the discharge diagnosis and the follow-up plan?";
      task.truth.facts = note->facts;
      task.truth.supporting_docs = {note->id};
      return true;
    }
    case TaskType::kMessageTriage: {
      const Document* message = of.triage_message;
      if (!message) return false;
      task.subject = message->id;
      task.question = "Triage this patient message: " + message->text + " What urgency applies?";
      task.truth.facts = message->facts;
      task.truth.supporting_docs = {message->id};
      if (has_triage_policy_) task.truth.supporting_docs.emplace_back(kTriagePolicyId);
      return true;
    }
  }
  return false;
}

Task TaskFactory::random(TaskType type, Rng& rng) const {
  if (type == TaskType::kPriorAuthStatus) {
    const std::size_t k = static_cast<std::size_t>(rng.below(prior_auth_patients_.size()));
    const std::size_t ix = prior_auth_patients_[k];
    return std::move(*make(type, world_.patients()[ix].id, by_patient_[ix], rng));
  }
  // Every patient has coverage and a discharge summary (and, in worlds that have them, a portal
  // message); retry a few times for robustness.
  for (int i = 0; i < 16; ++i) {
    const std::size_t ix = static_cast<std::size_t>(rng.below(world_.patients().size()));
    if (auto t = make(type, world_.patients()[ix].id, by_patient_[ix], rng)) return std::move(*t);
  }
  throw std::runtime_error(std::string("no patient supports task type ") + to_string(type));
}

Workload::Workload(const WorkloadSpec& spec, const TaskFactory& factory, Scheduler& scheduler,
                   Rng arrivals, Rng tasks)
    : spec_(spec), factory_(factory), scheduler_(scheduler), arrivals_(arrivals), tasks_(tasks) {
  double total = 0;
  // The mix is a std::map, so the order (and therefore every draw) is fixed.
  for (const auto& [name, weight] : spec_.mix) {
    const auto t = parse_task_type(name);
    if (!t || weight <= 0) continue;
    total += weight;
    types_.push_back(*t);
    cumulative_.push_back(total);
  }
  if (types_.empty()) {
    for (TaskType t : default_task_types()) {
      total += 1;
      types_.push_back(t);
      cumulative_.push_back(total);
    }
  }
  for (double& c : cumulative_) c /= total;
}

Workload::~Workload() = default;

void Workload::start(SimTime end, std::function<void(Task&&)> submit) {
  end_ = end;
  submit_ = std::move(submit);
  if (ahead_wanted_ && !ahead_) ahead_ = std::make_unique<TasksAhead>([this] { return draw_task(); });
  schedule_next();
}

Task Workload::draw_task() {
  const double u = tasks_.uniform01();
  std::size_t i = 0;
  while (i + 1 < cumulative_.size() && u >= cumulative_[i]) ++i;
  return factory_.random(types_[i], tasks_);
}

void Workload::schedule_next() {
  const double gap_s = arrivals_.exponential(spec_.rate_per_s);
  const SimTime t = scheduler_.now() + static_cast<Duration>(gap_s * kSecond);
  if (t >= end_) return;
  scheduler_.at(t, [this] {
    Task task = ahead_ ? ahead_->next() : draw_task();
    task.id = next_id_++;
    submit_(std::move(task));
    schedule_next();
  });
}

}  // namespace gameday
