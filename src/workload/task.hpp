#pragma once
// Tasks from real healthcare work, each carrying its ground truth, and the Poisson workload.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spec/model.hpp"
#include "fakes/world.hpp"
#include "sim/rng.hpp"
#include "sim/scheduler.hpp"

namespace gameday {

/// The kinds of work the assistant does.
enum class TaskType { kPriorAuthStatus, kBenefitsQuestion, kDischargeSummary, kMessageTriage };

/// "prior_auth_status", "benefits_question", "discharge_summary" or "message_triage".
const char* to_string(TaskType t);
/// Parses the names above.
std::optional<TaskType> parse_task_type(std::string_view s);
/// Every task type, in a fixed order.
const std::vector<TaskType>& all_task_types();
/// The task types of a workload whose mix names none: the three original ones (message triage
/// runs only when a scenario's mix names it).
const std::vector<TaskType>& default_task_types();

/// A patient's identifiers (PHI: never journaled). The truth keeps them so the judge can tell
/// this patient's identifiers in an answer from another patient's. Views into the World (or
/// into static text in tests): tasks are built per request, and copying PHI would be waste.
struct PatientIdentifiers {
  std::string_view mrn;        // "SYN-0004821"
  std::string_view phone;      // "(417) 555-0142"
  std::string_view member_id;  // "SYNM-12345678"
};

/// What a correct answer must contain; the scorer's side of the world, never shown to detectors.
struct TaskTruth {
  std::vector<std::string> facts;            // each must appear verbatim in a correct answer
  std::vector<std::string> supporting_docs;  // ids a correct answer cites (at least one)
  bool must_refuse = false;                  // the records do not answer the question
  PatientIdentifiers patient;                // the task's own patient
};

/// One unit of work for the assistant.
struct Task {
  std::uint64_t id = 0;
  TaskType type = TaskType::kPriorAuthStatus;
  std::string patient_id;
  /// The patient's pseudonym in the task's world (World::pseudonym), set by TaskFactory: what
  /// the journal holds instead of the id.
  std::string patient_ref;
  /// The patient's name as the clinician's app shows it (the launch context; views into the
  /// World). PHI: the assistant uses it only to redact the name from prompts; never journaled.
  std::string_view patient_given;
  std::string_view patient_family;
  std::string question;
  std::string subject;  // pre_auth_ref (prior auth), policy topic (benefits), portal message id
                        // (triage), "" otherwise
  bool probe = false;   // golden-set probe, not user traffic
  TaskTruth truth;
};

/// The id of the triage policy document every message_triage task retrieves and may cite.
inline constexpr const char* kTriagePolicyId = "policy-triage-v1";
/// The DocumentReference category of patient portal messages.
inline constexpr const char* kPortalMessageCategory = "portal-message";

/// Builds tasks (with truth) over a world.
class TaskFactory {
 public:
  explicit TaskFactory(const World& world);
  /// A task of `type` about `patient_id`; nullopt when the patient has nothing to ask about
  /// (e.g. no prior-auth case, or no portal message with an urgency fact). `rng` picks among the
  /// patient's cases or policy topics. Fills the truth's patient identifiers and the patient's
  /// name from the world.
  ///
  /// message_triage: the newest portal message of the patient (a DocumentReference with
  /// category "portal-message" whose `facts` hold its urgency); the question is "Triage this
  /// patient message: <message text> What urgency applies?"; the truth facts are the message's
  /// facts, supported by the message and by the triage policy (kTriagePolicyId).
  std::optional<Task> make(TaskType type, const std::string& patient_id, Rng& rng) const;
  /// A task of `type` about a random suitable patient.
  Task random(TaskType type, Rng& rng) const;
  const World& world() const { return world_; }

 private:
  // What a task about one patient reads from the world, looked up once when the factory is
  // built instead of once per task (the world does not change under a factory).
  struct PatientTasks {
    const Patient* patient = nullptr;
    const Coverage* coverage = nullptr;
    std::string pseudonym;
    std::vector<const PriorAuth*> prior_auths;
    std::vector<const Document*> answerable_policies;  // the plan's policies with facts
    const Document* discharge_summary = nullptr;        // the first in notes_of order
    const Document* triage_message = nullptr;           // the newest portal message with facts
  };
  PatientTasks tasks_of(const std::string& patient_id) const;
  // make() without the patient's identifiers and name; false when the patient has nothing to
  // ask about.
  bool fill(Task& task, TaskType type, const std::string& patient_id, const PatientTasks& of, Rng& rng) const;
  std::optional<Task> make(TaskType type, const std::string& patient_id, const PatientTasks& of, Rng& rng) const;
  const World& world_;
  std::vector<PatientTasks> by_patient_;          // parallel to world_.patients()
  std::vector<std::size_t> prior_auth_patients_;  // indexes there of patients with prior-auth cases
  bool has_triage_policy_ = false;                // the world holds kTriagePolicyId
};

/// Poisson arrivals with a weighted task mix.
class TasksAhead;

class Workload {
 public:
  Workload(const WorkloadSpec& spec, const TaskFactory& factory, Scheduler& scheduler, Rng arrivals,
           Rng tasks);
  ~Workload();
  /// Schedules arrivals from now until `end`; each arrival calls `submit` with a new task.
  void start(SimTime end, std::function<void(Task&&)> submit);
  /// Builds the tasks ahead of their arrivals on a thread of their own (TasksAhead), from start()
  /// on: the same tasks, in the same order (they draw only on their own random stream). For a
  /// run with a core to spare; call before start().
  void build_ahead() { ahead_wanted_ = true; }

 private:
  void schedule_next();
  // Draws the next arrival's task type and builds its task (from tasks_ only).
  Task draw_task();
  WorkloadSpec spec_;
  const TaskFactory& factory_;
  Scheduler& scheduler_;
  Rng arrivals_;
  Rng tasks_;
  SimTime end_ = 0;
  std::uint64_t next_id_ = 1;
  std::vector<TaskType> types_;
  std::vector<double> cumulative_;
  std::function<void(Task&&)> submit_;
  bool ahead_wanted_ = false;
  std::unique_ptr<TasksAhead> ahead_;  // set from start() when building ahead
};

}  // namespace gameday
