#pragma once
#include <atomic>
// Wires the world, the fakes, the assistant, the workload, detection, playbooks and the journal
// together and runs a scenario in virtual time.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "config/model.hpp"
#include "sim/journal.hpp"

namespace gameday {

class StepEffects;  // playbook/effects.hpp

/// A scenario with everything it references, loaded and validated.
struct ScenarioBundle {
  Scenario scenario;
  Fakes fakes;
  std::vector<Playbook> playbooks;
  std::map<std::string, GoldenSet> golden_sets;  // by resolved path
};

/// How to run a simulation.
struct SimOptions {
  std::uint64_t seed = 1;
  bool playbooks_enabled = true;
  /// Runs playbook exec/http/notify steps (the CLI passes net::NetStepEffects); null: those
  /// steps fail. Virtual time stands still while one runs.
  StepEffects* step_effects = nullptr;
  /// When set and it becomes true (e.g. on SIGINT), the run stops at the next minute of virtual
  /// time (or as soon as a blocking step returns): running playbooks are interrupted, their
  /// rollback lists run, and the journal ends with run_end "interrupted".
  const std::atomic<bool>* stop = nullptr;
};

/// Counters of a finished simulation (for benchmarks and logs; the journal is the record).
struct SimStats {
  std::uint64_t events = 0;    // scheduler events executed
  std::uint64_t requests = 0;  // user requests submitted
  bool interrupted = false;    // SimOptions::stop ended the run early
};

/// Runs `bundle` in virtual time, single-threaded, appending every event to `journal`.
/// Byte-for-byte reproducible for the same bundle and seed. Never reads the OS clock.
SimStats run_simulation(const ScenarioBundle& bundle, const SimOptions& options, Journal& journal);

}  // namespace gameday
