#pragma once
// The trainee's scorecard of a drill room (`gameday drill --room`): from the journal alone, what
// the person on call did, how fast, whether each change helped, did nothing or did harm, the
// cause they suspected against the truth, the hints they needed, and where they stand between
// the scenario's own playbooks and nobody acting (the reference event).
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "score/incidents.hpp"
#include "sim/journal.hpp"
#include "sim/time.hpp"

namespace gameday {

/// One of the trainee's actions, judged.
struct JudgedAction {
  SimTime at = 0;
  std::string action;  ///< as journaled (ack, route, flag, ...)
  std::string target;
  std::string detail;
  /// helped | no_effect | harmed (changes: flag, prompt_*, route, shed, playbook); refused
  /// (nothing changed); "" for actions that change nothing (ack, golden, declare, suspect, note)
  std::string verdict;
  std::string why;  ///< the figures behind the verdict
};

/// A reference run's figures for one incident (nullopt: never reached, or no such incident).
struct ReferenceFigures {
  std::optional<double> ttm_s, ttr_s;
  long unsafe = 0;
  bool present = false;  ///< the reference run had this incident
};

/// One incident as the trainee handled it.
struct TraineeIncident {
  std::string id;
  std::string truth;  ///< the cause category of its faults (vendor, ehr, retrieval, ...)
  std::optional<double> tta_s;           ///< the trainee's acknowledgement − detection
  std::optional<double> first_useful_s;  ///< first action that helped − first harm
  std::optional<double> ttm_s, ttr_s;    ///< the incident model's (first harm to mitigation / recovery)
  std::optional<double> declared_mitigated_s, declared_resolved_s;  ///< − first harm
  long unsafe = 0;
  long failed = 0;
  ReferenceFigures playbooks;  ///< the scenario's playbooks, automated
  ReferenceFigures nobody;     ///< nobody acting
};

/// The trainee's scorecard.
struct TraineeScore {
  std::string name;  ///< as in "trainee:NAME"
  std::vector<JudgedAction> actions;  ///< every action of theirs, in order
  std::vector<TraineeIncident> incidents;
  std::string suspected;          ///< the last suspected cause ("" when none)
  std::vector<std::string> truth; ///< the cause categories of the run's incidents (sorted, unique)
  bool cause_right = false;       ///< suspected is one of truth
  long helped = 0, no_effect = 0, harmed = 0, refused = 0;
  long hints = 0;                 ///< facilitator hints
  long unsafe = 0;                ///< unsafe answers served during the drill
  int points = 0;                 ///< 0..100 (docs/drills.md)
};

/// What the trainee scorecard reads besides the scorer's incidents.
struct TraineeInput {
  std::vector<std::pair<SimTime, bool>> harm;  ///< user requests: (completion time, harmed), in order
  std::vector<std::pair<SimTime, ActionEvent>> actions;
  std::vector<ReferenceIncident> reference;
  /// Every fault activation: id -> (kind, target, detail).
  std::map<std::string, std::vector<std::string>> faults;
  Duration window = 3 * kMinute;  ///< harm compared before and after a change over this long
};

/// The cause category of a fault, as a trainee would name it: vendor, ehr, retrieval, prompt,
/// phi_config, model_drift or injection.
std::string fault_cause(const std::string& kind, const std::string& target, const std::string& detail);

/// The scorecard of the trainee whose actions the journal holds (the first "trainee:NAME"
/// author); nullopt when no trainee acted.
std::optional<TraineeScore> score_trainee(const TraineeInput& input, const std::vector<Incident>& incidents);

}  // namespace gameday
