#include "score/digest.hpp"

namespace gameday {

void JournalDigest::add(const Event& e) {
  ++events_;
  if (!series_ && want_series_) {
    if (const auto* run = std::get_if<RunStartEvent>(&e.body)) series_ = std::make_unique<MinuteSeriesBuilder>(*run);
  }
  scorer_.add(e);
  if (series_) series_->add(e);
  invariants_.add(e);
}

JournalDigestResult JournalDigest::finish() {
  JournalDigestResult out;
  out.score = scorer_.finish();
  if (series_) out.series = series_->finish(out.score);
  out.violations = invariants_.check(out.score);
  return out;
}

JournalDigestResult digest_journal(const std::vector<Event>& events) {
  JournalDigestResult out;
  out.score = score_journal(events);
  out.series = minute_series(events, out.score);
  out.violations = check_invariants(events, out.score);
  return out;
}

}  // namespace gameday
