#pragma once
// Tasks from real healthcare work, each carrying its ground truth, and the Poisson workload.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/model.hpp"
#include "fakes/world.hpp"
#include "sim/rng.hpp"
#include "sim/scheduler.hpp"

namespace gameday {

/// The kinds of work the assistant does.
enum class TaskType { kPriorAuthStatus, kBenefitsQuestion, kDischargeSummary };

/// "prior_auth_status", "benefits_question" or "discharge_summary".
const char* to_string(TaskType t);
/// Parses the names above.
std::optional<TaskType> parse_task_type(std::string_view s);
/// Every task type, in a fixed order.
const std::vector<TaskType>& all_task_types();

/// What a correct answer must contain; the scorer's side of the world, never shown to detectors.
struct TaskTruth {
  std::vector<std::string> facts;            // each must appear verbatim in a correct answer
  std::vector<std::string> supporting_docs;  // ids a correct answer cites (at least one)
  bool must_refuse = false;                  // the records do not answer the question
};

/// One unit of work for the assistant.
struct Task {
  std::uint64_t id = 0;
  TaskType type = TaskType::kPriorAuthStatus;
  std::string patient_id;
  std::string question;
  std::string subject;  // pre_auth_ref (prior auth), policy topic (benefits), "" otherwise
  bool probe = false;   // golden-set probe, not user traffic
  TaskTruth truth;
};

/// Builds tasks (with truth) over a world.
class TaskFactory {
 public:
  explicit TaskFactory(const World& world);
  /// A task of `type` about `patient_id`; nullopt when the patient has nothing to ask about
  /// (e.g. no prior-auth case). `rng` picks among the patient's cases or policy topics.
  std::optional<Task> make(TaskType type, const std::string& patient_id, Rng& rng) const;
  /// A task of `type` about a random suitable patient.
  Task random(TaskType type, Rng& rng) const;
  const World& world() const { return world_; }

 private:
  const World& world_;
  std::vector<std::string> patients_with_prior_auth_;
};

/// Poisson arrivals with a weighted task mix.
class Workload {
 public:
  Workload(const WorkloadSpec& spec, const TaskFactory& factory, Scheduler& scheduler, Rng arrivals,
           Rng tasks);
  /// Schedules arrivals from now until `end`; each arrival calls `submit` with a new task.
  void start(SimTime end, std::function<void(Task)> submit);

 private:
  void schedule_next();
  WorkloadSpec spec_;
  const TaskFactory& factory_;
  Scheduler& scheduler_;
  Rng arrivals_;
  Rng tasks_;
  SimTime end_ = 0;
  std::uint64_t next_id_ = 1;
  std::vector<TaskType> types_;
  std::vector<double> cumulative_;
  std::function<void(Task)> submit_;
};

}  // namespace gameday
