#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "journal_builder.hpp"
#include "score/invariants.hpp"
#include "score/score.hpp"

using namespace gameday;
using gameday::test::JournalBuilder;
using gameday::test::reference_incident;
using gameday::test::standard_run;

namespace {

std::vector<std::string> broken(const std::vector<Event>& events, const Score& s) {
  std::vector<std::string> names;
  // The names of the broken invariants, each once (one invariant may break in several ways).
  for (const auto& v : check_invariants(events, s)) {
    if (names.empty() || names.back() != v.invariant) names.push_back(v.invariant);
  }
  return names;
}

std::vector<std::string> broken(const std::vector<Event>& events) { return broken(events, score_journal(events)); }

}  // namespace

TEST_CASE("The reference incident holds every invariant", "[score][invariants]") {
  const auto events = reference_incident();
  CHECK(broken(events).empty());
  CHECK_NOTHROW(require_invariants(events, score_journal(events)));
}

TEST_CASE("An event earlier than the one before it breaks time_monotone", "[score][invariants]") {
  JournalBuilder j(standard_run());
  j.request(20 * kSecond).request(10 * kSecond).end(60 * kSecond);
  CHECK(broken(j.events()) == std::vector<std::string>{"time_monotone"});
}

TEST_CASE("A request id that ends twice breaks request_once", "[score][invariants]") {
  JournalBuilder j(standard_run());
  RequestEvent r;
  r.id = 7;
  r.latency = kSecond;
  j.request_event(10 * kSecond, r).request_event(20 * kSecond, r).end(60 * kSecond);
  CHECK(broken(j.events()) == std::vector<std::string>{"request_once"});
}

TEST_CASE("A request that ends before it arrived breaks request_once", "[score][invariants]") {
  JournalBuilder j(standard_run());
  RequestEvent r;
  r.arrival = 15 * kSecond;
  r.latency = kSecond;
  j.request_event(10 * kSecond, r).end(60 * kSecond);
  const auto v = check_invariants(j.events(), score_journal(j.events()));
  REQUIRE(v.size() == 1);
  CHECK(v[0].invariant == "request_once");
  CHECK(v[0].detail.find("arrival") != std::string::npos);
}

TEST_CASE("An incident mitigated before its impact breaks incident_order", "[score][invariants]") {
  const auto events = reference_incident();
  Score s = score_journal(events);
  REQUIRE(s.incidents.size() == 1);
  s.incidents[0].t_m = s.incidents[0].t_i - kSecond;
  CHECK(broken(events, s) == std::vector<std::string>{"incident_order"});
  s = score_journal(events);
  s.incidents[0].t_r = *s.incidents[0].t_m - kSecond;
  CHECK(broken(events, s) == std::vector<std::string>{"incident_order"});
  s = score_journal(events);
  s.incidents[0].t_f = s.incidents[0].t_i + kSecond;
  CHECK(broken(events, s) == std::vector<std::string>{"incident_order"});
}

TEST_CASE("Harm that neither an incident nor background holds breaks harm_accounted", "[score][invariants]") {
  const auto events = reference_incident();
  Score s = score_journal(events);
  s.background.unsafe -= 1;
  s.background.by_kind["hallucination"] -= 1;
  CHECK(broken(events, s) == std::vector<std::string>{"harm_accounted"});
  s = score_journal(events);
  s.incidents[0].failed += 1;
  CHECK(broken(events, s) == std::vector<std::string>{"harm_accounted"});
}

TEST_CASE("An alert that resolves without firing breaks alert_pairs", "[score][invariants]") {
  JournalBuilder j(standard_run());
  j.fire(10 * kSecond, "ErrorsHigh").resolve(20 * kSecond, "ErrorsHigh").resolve(30 * kSecond, "ErrorsHigh");
  j.end(60 * kSecond);
  CHECK(broken(j.events()) == std::vector<std::string>{"alert_pairs"});
}

TEST_CASE("require_invariants names each broken invariant in its error", "[score][invariants]") {
  JournalBuilder j(standard_run());
  j.request(20 * kSecond).request(10 * kSecond).resolve(30 * kSecond, "Nope").end(60 * kSecond);
  try {
    require_invariants(j.events(), score_journal(j.events()));
    FAIL("no InvariantError");
  } catch (const InvariantError& e) {
    const std::string what = e.what();
    CHECK(what.find("time_monotone") != std::string::npos);
    CHECK(what.find("alert_pairs") != std::string::npos);
  }
}

TEST_CASE("request_once holds for ids far apart and breaks for a large id that ends twice", "[score][invariants]") {
  JournalBuilder j(standard_run());
  RequestEvent r;
  r.latency = kSecond;
  for (const std::uint64_t id : {std::uint64_t{1}, std::uint64_t{1} << 40, std::uint64_t{5}}) {
    r.id = id;
    j.request_event(10 * kSecond + static_cast<SimTime>(id % 7), r);
  }
  j.end(60 * kSecond);
  CHECK(broken(j.events()).empty());
  JournalBuilder twice(standard_run());
  r.id = std::uint64_t{1} << 40;
  twice.request_event(10 * kSecond, r).request_event(20 * kSecond, r).end(60 * kSecond);
  CHECK(broken(twice.events()) == std::vector<std::string>{"request_once"});
  // The checker fed event by event finds the same.
  InvariantChecker checker;
  for (const Event& e : twice.events()) checker.add(e);
  const auto violations = checker.check(score_journal(twice.events()));
  REQUIRE(violations.size() == 1);
  CHECK(violations[0].detail == check_invariants(twice.events(), score_journal(twice.events()))[0].detail);
}
