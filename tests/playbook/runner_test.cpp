#include <catch2/catch.hpp>

#include "playbook/runner.hpp"
#include "support/world_harness.hpp"

using namespace gameday;
using namespace gameday::testing;

namespace {

StepSpec step(const std::string& kind, const std::string& name) {
  StepSpec s;
  s.kind = parse_name<StepKind>(kind).value();
  s.name = name;
  return s;
}

AlertSpec alert(const std::string& name) {
  AlertSpec a;
  a.name = name;
  a.severity = "page";
  return a;
}

template <typename T>
std::vector<T> events_of(const Journal& j) {
  std::vector<T> out;
  for (const auto& e : j.events()) {
    if (auto p = std::get_if<T>(&e.body)) out.push_back(*p);
  }
  return out;
}

template <typename T>
std::vector<SimTime> times_of(const Journal& j) {
  std::vector<SimTime> out;
  for (const auto& e : j.events()) {
    if (std::holds_alternative<T>(e.body)) out.push_back(e.t);
  }
  return out;
}

struct RunnerFixture {
  explicit RunnerFixture(Playbook pb, std::map<std::string, GoldenSet> sets = {})
      : golden(h.factory, *h.assistant, h.scheduler, h.journal, Rng(4)),
        runner({std::move(pb)}, std::move(sets), h.scheduler, h.journal, *h.assistant, golden, Rng(5)) {}
  Harness h;
  GoldenRunner golden;
  PlaybookRunner runner;
};

Playbook failover_playbook() {
  Playbook pb;
  pb.name = "failover";
  pb.trigger.alert = "Slow";
  StepSpec approve = step("approve", "lead approves");
  approve.delay = fixed(60 * kSecond);
  approve.approvers = {"lead"};
  StepSpec failover = step("model.failover", "to secondary");
  failover.to = "secondary";
  StepSpec wait = step("wait", "settle");
  wait.duration = 2 * kMinute;
  pb.steps = {approve, failover, wait};
  StepSpec back = step("model.failover", "back to primary");
  back.to = "primary";
  pb.rollback = {back};
  return pb;
}

}  // namespace

TEST_CASE("Playbook runs its steps in order at the right virtual times", "[playbook]") {
  RunnerFixture f(failover_playbook());
  f.h.scheduler.run_until(10 * kSecond);
  f.runner.on_alert(alert("Slow"));
  REQUIRE(f.runner.any_running());
  f.h.scheduler.run_until(kHour);
  REQUIRE_FALSE(f.runner.any_running());
  REQUIRE(f.h.assistant->route() == "secondary");
  const auto changes = times_of<ControlChangeEvent>(f.h.journal);
  REQUIRE(changes == std::vector<SimTime>{70 * kSecond});
  const auto ends = events_of<StepEndEvent>(f.h.journal);
  REQUIRE(ends.size() == 3);
  REQUIRE(ends[0].reason == "approved by lead after 1m00s");
  const auto pend = events_of<PlaybookEndEvent>(f.h.journal);
  REQUIRE(pend.size() == 1);
  REQUIRE(pend[0].outcome == "completed");
  REQUIRE(times_of<PlaybookEndEvent>(f.h.journal)[0] == 70 * kSecond + 2 * kMinute);
}

TEST_CASE("A playbook ignores alerts it is not triggered by", "[playbook]") {
  RunnerFixture f(failover_playbook());
  f.runner.on_alert(alert("SomethingElse"));
  REQUIRE_FALSE(f.runner.any_running());
  REQUIRE(f.h.journal.events().empty());
}

TEST_CASE("A re-fired alert does not start a second instance of a running playbook", "[playbook]") {
  RunnerFixture f(failover_playbook());
  f.runner.on_alert(alert("Slow"));
  f.h.scheduler.run_until(30 * kSecond);
  f.runner.on_alert(alert("Slow"));
  f.h.scheduler.run_until(kHour);
  REQUIRE(events_of<PlaybookStartEvent>(f.h.journal).size() == 1);
  f.runner.on_alert(alert("Slow"));  // finished: may run again
  REQUIRE(events_of<PlaybookStartEvent>(f.h.journal).size() == 2);
}

TEST_CASE("A failing step aborts the playbook and runs its rollback list", "[playbook]") {
  Playbook pb = failover_playbook();
  pb.steps[2].kind = StepKind::kModelFailover;
  pb.steps[2].to = "nonexistent-vendor";
  RunnerFixture f(pb);
  f.runner.on_alert(alert("Slow"));
  f.h.scheduler.run_until(kHour);
  const auto ends = events_of<StepEndEvent>(f.h.journal);
  REQUIRE(ends.size() == 4);
  REQUIRE(ends[2].outcome == "failed");
  REQUIRE(ends[3].rollback);
  REQUIRE(ends[3].outcome == "ok");
  REQUIRE(f.h.assistant->route() == "primary");
  const auto pend = events_of<PlaybookEndEvent>(f.h.journal);
  REQUIRE(pend[0].outcome == "aborted");
  REQUIRE(pend[0].reason.find("nonexistent-vendor") != std::string::npos);
}

TEST_CASE("A step that exceeds its timeout fails with outcome timeout", "[playbook]") {
  Playbook pb = failover_playbook();
  pb.steps[0].delay = fixed(10 * kMinute);
  pb.steps[0].timeout = kMinute;
  RunnerFixture f(pb);
  f.runner.on_alert(alert("Slow"));
  f.h.scheduler.run_until(kHour);
  const auto ends = events_of<StepEndEvent>(f.h.journal);
  REQUIRE(ends[0].outcome == "timeout");
  REQUIRE(times_of<StepEndEvent>(f.h.journal)[0] == kMinute);
  REQUIRE(f.h.assistant->route() == "primary");  // never failed over; rollback kept primary
  REQUIRE(events_of<PlaybookEndEvent>(f.h.journal)[0].outcome == "aborted");
}

TEST_CASE("A failing step is retried after its retry delay", "[playbook]") {
  Playbook pb;
  pb.name = "p";
  pb.trigger.alert = "A";
  StepSpec bad = step("flag.set", "flip");
  bad.flag = "nope";
  bad.variant = "on";
  bad.retries = 2;
  bad.retry_delay = 30 * kSecond;
  bad.on_failure = OnFailure::kContinue;
  StepSpec ok = step("flag.set", "safe mode");
  ok.flag = "safe-mode";
  ok.variant = "on";
  pb.steps = {bad, ok};
  RunnerFixture f(pb);
  f.runner.on_alert(alert("A"));
  f.h.scheduler.run_until(kHour);
  const auto starts = times_of<StepStartEvent>(f.h.journal);
  REQUIRE(starts == std::vector<SimTime>{0, 30 * kSecond, 60 * kSecond, 60 * kSecond});
  REQUIRE(f.h.assistant->flag_on("safe-mode"));
  REQUIRE(events_of<PlaybookEndEvent>(f.h.journal)[0].outcome == "completed");
}

TEST_CASE("golden.check passes when the assistant answers the golden set correctly", "[playbook][golden]") {
  Harness probe;  // to pick patients that have prior-auth cases
  GoldenSet set;
  set.name = "core";
  Rng rng(1);
  for (TaskType t : all_task_types()) {
    GoldenCase c;
    c.id = std::string(to_string(t));
    c.task_type = to_string(t);
    c.patient = probe.factory.random(t, rng).patient_id;
    set.cases.push_back(c);
  }
  Playbook pb;
  pb.name = "check";
  pb.trigger.alert = "A";
  StepSpec g = step("golden.check", "golden");
  g.golden_set = "golden/core.yaml";
  g.min_pass_rate = 1.0;
  pb.steps = {g};
  RunnerFixture f(pb, {{"golden/core.yaml", set}});
  f.runner.on_alert(alert("A"));
  f.h.scheduler.run_until(kHour);
  const auto results = events_of<GoldenResultEvent>(f.h.journal);
  REQUIRE(results.size() == 1);
  REQUIRE(results[0].passed == static_cast<int>(set.cases.size()));  // one case per task type
  REQUIRE(results[0].ok);
  const auto probes = events_of<RequestEvent>(f.h.journal);
  REQUIRE(probes.size() == set.cases.size());
  for (const auto& r : probes) REQUIRE(r.probe);
  REQUIRE(events_of<StepEndEvent>(f.h.journal)[0].outcome == "ok");
}

TEST_CASE("golden.check fails the step when the pass rate is below the gate", "[playbook][golden]") {
  GoldenSet set;
  set.name = "core";
  GoldenCase c;
  c.id = "unknown-patient";
  c.task_type = "discharge_summary";
  c.patient = "pat-9999";
  set.cases = {c};
  Playbook pb;
  pb.name = "check";
  pb.trigger.alert = "A";
  StepSpec g = step("golden.check", "golden");
  g.golden_set = "g.yaml";
  pb.steps = {g};
  RunnerFixture f(pb, {{"g.yaml", set}});
  f.runner.on_alert(alert("A"));
  f.h.scheduler.run_until(kHour);
  const auto ends = events_of<StepEndEvent>(f.h.journal);
  REQUIRE(ends[0].outcome == "failed");
  REQUIRE(ends[0].reason.find("0/1 passed") == 0);
  REQUIRE(ends[0].reason.find("pat-9999") == std::string::npos);  // pseudonyms only
}
