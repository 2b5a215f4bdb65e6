#pragma once
// Invariants every scored run must hold, checked on every run (cheap: one pass over the
// journal). A violation is a bug in the engine or the scorer, never a property of the scenario:
// the command writes what it has and exits 3 naming the invariant, so `gameday ci` over many
// seeds doubles as a fuzzer of the engine.
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "score/score.hpp"
#include "sim/journal.hpp"

namespace gameday {

/// One broken invariant: its name (stable, listed on check_invariants()) and what broke it.
struct InvariantViolation {
  std::string invariant;
  std::string detail;
};

/// Checks a journal and its score (score_journal(events)). Invariants, by name:
/// - `time_monotone`: no event's time is before the previous event's.
/// - `request_once`: every request ends exactly once (one request event per id; user requests
///   and golden probes are numbered separately), not before its arrival.
/// - `incident_order`: for every incident t_f ≤ t_i, t_f ≤ t_d ≤ t_a, t_i ≤ t_m ≤ t_r when
///   set (t_d may precede t_i: a golden probe can catch a fault before any user is harmed).
/// - `harm_accounted`: the failed, slow and unsafe user requests of the incidents and of
///   background add up to the run's totals, unsafe answers by kind too.
/// - `alert_pairs`: an alert resolves only while it fires.
/// Returns the violations in that order; empty when all hold.
std::vector<InvariantViolation> check_invariants(const std::vector<Event>& events, const Score& s);

/// Thrown by require_invariants(); what() names every broken invariant.
class InvariantError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Throws InvariantError when check_invariants() finds a violation.
void require_invariants(const std::vector<Event>& events, const Score& s);

/// Throws InvariantError naming every one of `violations` (none: returns).
void require_invariants(const std::vector<InvariantViolation>& violations);

/// check_invariants() fed one event at a time, for a journal too long to hold (it keeps a bit
/// per request id and the alerts firing).
class InvariantChecker {
 public:
  InvariantChecker();
  ~InvariantChecker();
  InvariantChecker(const InvariantChecker&) = delete;
  InvariantChecker& operator=(const InvariantChecker&) = delete;
  /// Adds the journal's next event (in journal order).
  void add(const Event& e);
  /// The violations of the events added and of their score, as check_invariants() lists them.
  std::vector<InvariantViolation> check(const Score& s) const;
  /// Throws InvariantError when check() finds a violation.
  void require(const Score& s) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace gameday
