#pragma once
// Everything the reports need from a journal (its score, its per-minute series and the
// invariants' verdict), gathered one event at a time: a simulated run feeds it as it journals,
// `gameday report` as it reads, so neither holds the journal's events.
#include <cstddef>
#include <vector>

#include "score/invariants.hpp"
#include "score/score.hpp"
#include "score/series.hpp"
#include "sim/journal.hpp"

namespace gameday {

/// A journal's score, series and invariant violations (what write_reports() writes).
struct JournalDigestResult {
  Score score;
  MinuteSeries series;
  std::vector<InvariantViolation> violations;  ///< check_invariants()' list; empty when all hold
};

/// Feeds a journal's events to the scorer, the series builder and the invariant checker.
/// Events must come as a run appends them: run_start first, then in time order (in_order()
/// tells whether they did; digest_journal() handles any order).
class JournalDigest {
 public:
  /// `series` false: no per-minute series (finish() leaves them empty), for a run with no
  /// report.html to write.
  explicit JournalDigest(bool series = true) : want_series_(series) {}
  JournalDigest(const JournalDigest&) = delete;
  JournalDigest& operator=(const JournalDigest&) = delete;
  /// Adds the journal's next event.
  void add(const Event& e);
  /// Whether every event came at or after the one before, and run_start came first.
  bool in_order() const { return scorer_.in_order() && scorer_.dropped() == 0; }
  /// How many events were added.
  std::size_t events() const { return events_; }
  /// The score, series and invariants of the events added. Throws std::runtime_error when none
  /// was a run_start. Call once.
  JournalDigestResult finish();

 private:
  JournalScorer scorer_;
  bool want_series_ = true;
  std::unique_ptr<MinuteSeriesBuilder> series_;  // made at run_start
  InvariantChecker invariants_;
  std::size_t events_ = 0;
};

/// The same for a journal held in memory, in any order (score_journal(), minute_series(),
/// check_invariants()).
JournalDigestResult digest_journal(const std::vector<Event>& events);

}  // namespace gameday
