#pragma once
// A golden set on its own: every case through the reference assistant, in virtual time, with no
// faults (what `gameday golden SET` runs; scenarios run golden sets from playbooks instead).
#include <cstdint>
#include <string>
#include <vector>

#include "spec/model.hpp"
#include "sim/journal.hpp"
#include "sim/time.hpp"

namespace gameday {

/// How one golden case fared.
struct GoldenCaseResult {
  std::string id;
  bool pass = false;
  std::string reason;  ///< why it failed ("" when it passed)
  RequestStatus status = RequestStatus::kOk;
  Duration latency = 0;  ///< 0 when no request could be built
};

/// A golden set's outcome.
struct GoldenSetResult {
  std::string set;                        ///< the set's name
  std::vector<GoldenCaseResult> cases;    ///< in set order
  int passed = 0;
  int total = 0;
  double pass_rate = 0;  ///< passed / total (0 without cases)
  double min_pass_rate = 1;
  bool ok = false;  ///< total > 0 and pass_rate >= min_pass_rate
};

/// Submits every case of `set` at time 0 to the reference assistant built from `fakes` (its
/// assistant.yaml, prompts and flags; no faults), judges each answer with golden_case_passes,
/// and journals each probe request and one golden_result event (by "gameday golden").
/// Deterministic for the same inputs and seed; never reads the OS clock.
GoldenSetResult run_golden_set(const Fakes& fakes, const GoldenSet& set, std::uint64_t seed,
                               Journal& journal);

}  // namespace gameday
