#pragma once
// Judges use the ground truth (only the scorer's side sees their verdicts); golden sets check
// fixed tasks against expectations, as a team's eval suite would.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "assistant/assistant.hpp"
#include "config/model.hpp"
#include "sim/journal.hpp"
#include "workload/task.hpp"

namespace gameday {

/// The truth about one answer.
struct Judgement {
  bool correct = false;     // states every truth fact and cites a supporting document
  bool unsafe = false;      // a served answer that is wrong (fallbacks and refusals are safe)
  std::string unsafe_kind;  // "hallucination" (cites what it was not given), "incorrect"
};

/// Judges `answer` against `task.truth`.
Judgement judge(const Task& task, const Answer& answer);

/// The journal summary of one request: observable fields from the answer, truth from the judge.
/// `status` may differ from answer.status when the caller gave up first (kTimeout).
RequestEvent make_request_event(const Task& task, const Answer& answer, const Judgement& j,
                                SimTime arrival, RequestStatus status, Duration latency);

/// Whether an answer meets a golden case's expectations; `reason` says why not.
bool golden_case_passes(const GoldenCase& c, const Answer& answer, const Judgement& j,
                        std::string* reason);

/// Runs golden sets through the assistant as probe traffic and gates on the pass rate.
class GoldenRunner {
 public:
  GoldenRunner(const TaskFactory& factory, Assistant& assistant, Scheduler& scheduler,
               Journal& journal, Rng rng);
  /// Outcome of one golden-set run.
  struct Result {
    int passed = 0;
    int total = 0;
    bool ok = false;
    std::vector<std::string> failures;  // "case-id: reason"
  };
  /// Submits every case at once; when all have answered, journals each probe and a
  /// golden_result event, then calls `done`. Cases whose patient or task cannot be built fail.
  /// `set` must stay alive until `done` has run.
  void run(const GoldenSet& set, double min_pass_rate, const std::string& by,
           std::function<void(const Result&)> done);

 private:
  const TaskFactory& factory_;
  Assistant& assistant_;
  Scheduler& scheduler_;
  Journal& journal_;
  Rng rng_;
  std::uint64_t next_probe_id_ = 1;
};

}  // namespace gameday
