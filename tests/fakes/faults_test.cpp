#include <catch2/catch.hpp>

#include "fakes/faults.hpp"

#include <string>
#include <vector>

using namespace gameday;

namespace {

FaultSpec spec(const std::string& id, const std::string& target) {
  FaultSpec f;
  f.id = id;
  f.target = target;
  f.params = default_params(FaultKind::kLatency);
  return f;
}

}  // namespace

TEST_CASE("Fault board matches vendor wildcards and exact targets", "[fakes][faults]") {
  const FaultSpec primary = spec("a", "vendor:primary");
  const FaultSpec any = spec("b", "vendor:*");
  const FaultSpec secondary = spec("c", "vendor:secondary");
  const FaultSpec ehr = spec("d", "ehr");
  FaultBoard board;
  for (const FaultSpec* f : {&primary, &any, &secondary, &ehr}) board.activate(f, 0);

  REQUIRE(board.for_target("vendor:primary") == std::vector<const FaultSpec*>{&primary, &any});
  REQUIRE(board.for_target("vendor:secondary") == std::vector<const FaultSpec*>{&any, &secondary});
  REQUIRE(board.for_target("ehr") == std::vector<const FaultSpec*>{&ehr});
  REQUIRE(board.active().size() == 4);

  std::vector<const FaultSpec*> out{&ehr};
  board.for_target("vendor:tertiary", out);
  REQUIRE(out == std::vector<const FaultSpec*>{&any});
}

TEST_CASE("Fault board deactivates by id and replaces a re-activated id", "[fakes][faults]") {
  const FaultSpec first = spec("slow", "ehr");
  const FaultSpec again = spec("slow", "ehr");
  const FaultSpec other = spec("other", "ehr");
  FaultBoard board;
  board.activate(&first, 0);
  board.activate(&other, 0);
  board.activate(&again, 0);
  REQUIRE(board.active() == std::vector<const FaultSpec*>{&again, &other});
  board.deactivate("slow");
  REQUIRE(board.active() == std::vector<const FaultSpec*>{&other});
  board.deactivate("absent");
  REQUIRE(board.active().size() == 1);
  board.clear();
  REQUIRE(board.for_target("ehr").empty());
}

namespace {

// The 1-based positions, among `n` requests, at which select() returns the fault.
std::vector<int> selected_at(FaultBoard& board, const std::string& target, const RequestInfo& info,
                             int n) {
  std::vector<int> at;
  std::vector<const FaultSpec*> out;
  for (int i = 1; i <= n; ++i) {
    board.select(target, info, 0, out);
    if (!out.empty()) at.push_back(i);
  }
  return at;
}

}  // namespace

TEST_CASE("every_nth selects requests 3, 6, 9 and first_n the first ones", "[fakes][faults]") {
  FaultSpec nth = spec("nth", "ehr");
  nth.every_nth = 3;
  FaultSpec first = spec("first", "vendor:*");
  first.first_n = 2;
  FaultBoard board;
  board.activate(&nth, 0);
  board.activate(&first, 0);
  REQUIRE(selected_at(board, "ehr", {}, 10) == std::vector<int>{3, 6, 9});
  REQUIRE(selected_at(board, "vendor:primary", {}, 5) == std::vector<int>{1, 2});
  REQUIRE(board.matched("nth") == 10);
  REQUIRE(board.matched("first") == 5);

  // Both at once: every 2nd of the first 5.
  FaultSpec both = spec("both", "ehr");
  both.every_nth = 2;
  both.first_n = 5;
  FaultBoard b2;
  b2.activate(&both, 0);
  REQUIRE(selected_at(b2, "ehr", {}, 12) == std::vector<int>{2, 4});
}

TEST_CASE("Trigger counters restart when a fault is activated again", "[fakes][faults]") {
  FaultSpec first = spec("first", "ehr");
  first.first_n = 1;
  FaultBoard board;
  board.activate(&first, 0);
  REQUIRE(selected_at(board, "ehr", {}, 3) == std::vector<int>{1});
  board.deactivate("first");
  REQUIRE(board.matched("first") == 0);
  board.activate(&first, 0);
  REQUIRE(selected_at(board, "ehr", {}, 3) == std::vector<int>{1});
  board.activate(&first, 0);  // re-activation in place also restarts
  REQUIRE(selected_at(board, "ehr", {}, 2) == std::vector<int>{1});
}

TEST_CASE("Task type and model filters decide which requests count", "[fakes][faults]") {
  FaultSpec f = spec("f", "vendor:*");
  f.every_nth = 2;
  f.task_types = {"benefits_question", "message_triage"};
  f.models = {"m-large"};
  FaultBoard board;
  board.activate(&f, 0);
  std::vector<const FaultSpec*> out;
  const RequestInfo match{"benefits_question", "m-large"};
  const RequestInfo other_task{"discharge_summary", "m-large"};
  const RequestInfo other_model{"benefits_question", "m-small"};
  const RequestInfo unknown{"", "m-large"};
  board.select("vendor:a", match, 0, out);  // 1st match
  REQUIRE(out.empty());
  for (const RequestInfo& info : {other_task, other_model, unknown}) {
    board.select("vendor:a", info, 0, out);  // not counted
    REQUIRE(out.empty());
  }
  board.select("vendor:a", match, 0, out);  // 2nd match
  REQUIRE(out == std::vector<const FaultSpec*>{&f});
  REQUIRE(board.matched("f") == 2);
  board.select("ehr", match, 0, out);
  REQUIRE(out.empty());

  CHECK(fault_filters_match(f, "message_triage", "m-large"));
  CHECK_FALSE(fault_filters_match(f, "message_triage", ""));
  CHECK(fault_filters_match(spec("plain", "ehr"), "", ""));
}

TEST_CASE("for_target still lists every active fault of a target for old callers", "[fakes][faults]") {
  FaultSpec f = spec("f", "ehr");
  f.every_nth = 3;
  FaultBoard board;
  board.activate(&f, 0);
  for (int i = 0; i < 3; ++i) REQUIRE(board.for_target("ehr") == std::vector<const FaultSpec*>{&f});
  REQUIRE(board.matched("f") == 0);
}

TEST_CASE("Fault board gives a ramped fault as it acts at the request's time", "[fakes][faults][ramp]") {
  FaultSpec f = spec("ramp", "vendor:primary");
  f.params = default_params(FaultKind::kError);
  f.probability = 0;
  f.ramps.push_back(ParamRamp{"probability", Ramp{0, 0.3, 20 * kMinute}, false});
  FaultBoard board;
  board.activate(&f, 10 * kMinute);
  std::vector<const FaultSpec*> out;
  board.select("vendor:primary", RequestInfo{}, 10 * kMinute, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0]->probability == Approx(0));
  board.select("vendor:primary", RequestInfo{}, 20 * kMinute, out);
  CHECK(out[0]->probability == Approx(0.15));
  board.select("vendor:primary", RequestInfo{}, 50 * kMinute, out);
  CHECK(out[0]->probability == Approx(0.3));
  // The spec itself is untouched; a new window starts the ramp again.
  CHECK(f.probability == 0);
  board.activate(&f, 60 * kMinute);
  board.select("vendor:primary", RequestInfo{}, 65 * kMinute, out);
  CHECK(out[0]->probability == Approx(0.075));
}

TEST_CASE("Overlapping faults of one kind combine independently unless the scenario takes the max", "[fakes][faults][combine]") {
  FaultSpec a = spec("a", "vendor:primary");
  a.params = default_params(FaultKind::kError);
  a.probability = 0.5;
  FaultSpec b = spec("b", "vendor:*");
  b.params = default_params(FaultKind::kError);
  b.probability = 0.6;
  FaultSpec slow = spec("slow", "vendor:primary");
  slow.probability = 0.2;
  FaultBoard board;
  for (const FaultSpec* f : {&a, &slow, &b}) board.activate(f, 0);
  std::vector<const FaultSpec*> out;

  // Independent: every fault is passed on and draws its own probability, so the two error
  // faults together fail 1 - (1 - 0.5)(1 - 0.6) = 80% of requests.
  board.select("vendor:primary", RequestInfo{}, 0, out);
  CHECK(out == std::vector<const FaultSpec*>{&a, &slow, &b});
  Rng rng(42);
  int failed = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    bool any = false;
    for_each_applied(out, FaultTarget::kVendor, "", "", rng, [&](const FaultSpec& f) {
      any = any || f.kind() == FaultKind::kError;
    });
    failed += any ? 1 : 0;
  }
  CHECK(static_cast<double>(failed) / n == Approx(0.8).margin(0.02));

  // Max: the error faults act as one with the largest probability, 60%; the latency fault,
  // alone of its kind, stays.
  board.set_combine(FaultCombine::kMax);
  board.select("vendor:primary", RequestInfo{}, 0, out);
  CHECK(out == std::vector<const FaultSpec*>{&b, &slow});
  // On a tie the earlier activated fault stays.
  b.probability = 0.5;
  board.select("vendor:primary", RequestInfo{}, 0, out);
  CHECK(out == std::vector<const FaultSpec*>{&a, &slow});
}
