#pragma once
// Runs playbooks: triggered by alerts (or by hand), steps in order with timeouts, retries and
// on_failure handling, and a rollback list that always runs when a playbook aborts.
// Every start, end, outcome and reason is journaled.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "assistant/assistant.hpp"
#include "config/model.hpp"
#include "quality/judge.hpp"
#include "sim/journal.hpp"
#include "sim/rng.hpp"
#include "sim/scheduler.hpp"

namespace gameday {

/// The step kinds this runner executes.
const std::vector<std::string>& known_step_kinds();

/// Executes playbooks against the assistant's control interface.
class PlaybookRunner {
 public:
  /// `golden_sets` maps resolved golden-set paths (StepSpec::golden_set) to loaded sets.
  PlaybookRunner(std::vector<Playbook> playbooks, std::map<std::string, GoldenSet> golden_sets,
                 Scheduler& scheduler, Journal& journal, Assistant& assistant, GoldenRunner& golden,
                 Rng rng);
  ~PlaybookRunner();

  /// Starts every playbook whose trigger names this alert (and whose labels match), unless an
  /// instance of it is already running.
  void on_alert(const AlertSpec& alert);
  /// Starts playbook `name` by hand; false when unknown or already running.
  bool start(const std::string& name, const std::string& trigger);
  /// Whether any playbook run is in progress.
  bool any_running() const;

 private:
  struct Run;
  void begin(std::size_t playbook_index, const std::string& trigger);
  void run_step(const std::shared_ptr<Run>& run);
  void step_done(const std::shared_ptr<Run>& run, std::uint64_t op, const std::string& outcome,
                 const std::string& reason);
  void execute(const std::shared_ptr<Run>& run, const StepSpec& step, std::uint64_t op);
  void start_rollback(const std::shared_ptr<Run>& run, const std::string& outcome,
                      const std::string& reason);
  void end(const std::shared_ptr<Run>& run);

  std::vector<Playbook> playbooks_;
  std::map<std::string, GoldenSet> golden_sets_;
  Scheduler& scheduler_;
  Journal& journal_;
  Assistant& assistant_;
  GoldenRunner& golden_;
  Rng rng_;
  std::uint64_t next_run_ = 1;
  std::vector<std::shared_ptr<Run>> running_;
};

}  // namespace gameday
