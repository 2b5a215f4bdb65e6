#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <sstream>

#include "assistant/assistant.hpp"
#include "engine/simulation.hpp"
#include "playbook/effects.hpp"
#include "playbook/service_control.hpp"
#include "report/html.hpp"
#include "report/report.hpp"
#include "score/digest.hpp"
#include "support/fixtures.hpp"

using namespace gameday;
using namespace gameday::testing;

namespace {

ScenarioBundle latency_bundle() {
  ScenarioBundle b;
  b.fakes = small_fakes();
  Scenario& s = b.scenario;
  s.name = "unit-latency";
  s.duration = 40 * kMinute;
  s.workload.rate_per_s = 2;
  s.slos = {SloSpec{"availability", SloKind::kAvailability, 0.99, 0, 30 * 24 * kHour}};
  AlertSpec a;
  a.name = "Slow";
  a.type = AlertType::kThreshold;
  a.sli = Sli::kLatencyP95;
  a.window = 2 * kMinute;
  a.above = 5;
  a.for_duration = kMinute;
  s.alerts = {a};
  s.ack_delay = fixed(90 * kSecond);
  FaultSpec f;
  f.id = "slow-primary";
  f.at = 5 * kMinute;
  f.duration = 20 * kMinute;
  f.target = "vendor:primary";
  f.params = default_params(FaultKind::kLatency);
  f.as<LatencyFault>()->delay = fixed(12 * kSecond);
  s.faults = {f};
  s.sustain = 2 * kMinute;
  Playbook pb;
  pb.name = "failover";
  pb.trigger.alert = "Slow";
  StepSpec st;
  st.kind = StepKind::kModelFailover;
  st.name = "failover";
  st.to = "secondary";
  pb.steps = {st};
  b.playbooks = {pb};
  return b;
}

std::string dump(const Journal& j) {
  std::string out;
  for (const auto& e : j.events()) {
    append_json(out, e);
    out += '\n';
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

}  // namespace

TEST_CASE("A simulation is reproducible from its seed and differs across seeds", "[engine]") {
  const ScenarioBundle b = latency_bundle();
  Journal j1, j2, j3;
  run_simulation(b, SimOptions{3, true}, j1);
  run_simulation(b, SimOptions{3, true}, j2);
  run_simulation(b, SimOptions{4, true}, j3);
  REQUIRE(dump(j1) == dump(j2));
  REQUIRE(dump(j1) != dump(j3));
}

TEST_CASE("A latency fault is detected, acknowledged and failed over by the playbook", "[engine]") {
  const ScenarioBundle b = latency_bundle();
  Journal j;
  const SimStats stats = run_simulation(b, SimOptions{1, true}, j);
  REQUIRE(stats.requests == Approx(2 * 40 * 60).epsilon(0.1));
  REQUIRE(times_of<FaultStartEvent>(j) == std::vector<SimTime>{5 * kMinute});
  const auto fires = times_of<AlertFireEvent>(j);
  REQUIRE_FALSE(fires.empty());
  REQUIRE(fires[0] > 5 * kMinute);
  REQUIRE(fires[0] < 9 * kMinute);
  REQUIRE(times_of<AckEvent>(j).at(0) == fires[0] + 90 * kSecond);
  REQUIRE(times_of<ControlChangeEvent>(j) == std::vector<SimTime>{fires[0]});
  // After the failover every user request is served by the secondary vendor.
  bool after_ok = true;
  for (const auto& e : j.events()) {
    const auto* r = std::get_if<RequestEvent>(&e.body);
    if (r && r->arrival > fires[0] + kSecond && r->status == RequestStatus::kOk) {
      after_ok = after_ok && r->vendor == "secondary";
    }
  }
  REQUIRE(after_ok);
  REQUIRE(std::holds_alternative<RunEndEvent>(j.events().back().body));
  REQUIRE(std::holds_alternative<RunStartEvent>(j.events().front().body));
}

TEST_CASE("With playbooks disabled the fault runs its course", "[engine]") {
  const ScenarioBundle b = latency_bundle();
  Journal j;
  run_simulation(b, SimOptions{1, false}, j);
  REQUIRE(times_of<PlaybookStartEvent>(j).empty());
  REQUIRE(times_of<ControlChangeEvent>(j).empty());
  REQUIRE(times_of<FaultEndEvent>(j) == std::vector<SimTime>{25 * kMinute});
  REQUIRE_FALSE(std::get<RunStartEvent>(j.events().front().body).playbooks_enabled);
}

// ------------------------------------------------ change faults, probes, corrections, spans

namespace {

// A quiet scenario: no faults, no alerts, no playbooks; the caller adds what it tests.
ScenarioBundle quiet_bundle(Duration duration = 30 * kMinute, double rate = 2) {
  ScenarioBundle b;
  b.fakes = small_fakes();
  Scenario& s = b.scenario;
  s.name = "unit-quiet";
  s.duration = duration;
  s.workload.rate_per_s = rate;
  s.slos = {SloSpec{"availability", SloKind::kAvailability, 0.99, 0, 30 * 24 * kHour}};
  s.ack_delay = fixed(60 * kSecond);
  return b;
}

FaultSpec change_fault(const std::string& id, SimTime at, const std::string& kind) {
  FaultSpec f;
  f.id = id;
  f.at = at;
  f.target = "assistant";
  f.params = default_params(parse_name<FaultKind>(kind).value());
  return f;
}

std::vector<const RequestEvent*> user_requests(const Journal& j) {
  std::vector<const RequestEvent*> out;
  for (const auto& e : j.events()) {
    const auto* r = std::get_if<RequestEvent>(&e.body);
    if (r && !r->probe) out.push_back(r);
  }
  return out;
}

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// A benefits policy whose answer the extractive vendor gets wrong: the sentences that share the
// question's words do not hold the fact. A steady source of unsafe ("incorrect") answers.
PolicyDoc trap_policy() {
  return policy("GOLD-PPO", "acupuncture", "policy-gold-acu-v1",
                "Acupuncture copay questions go to member services. Acupuncture coverage is reviewed "
                "every year. Each session costs $15.",
                {"$15"}, "Is acupuncture covered and what is the acupuncture copay?");
}

// Benefits questions only, over a world with the trap policy (answers the model gets wrong), with
// clinicians reporting half the unsafe answers after `delay`.
ScenarioBundle corrected_bundle(Duration duration, Duration delay) {
  ScenarioBundle b = quiet_bundle(duration, 4);
  b.fakes.world.policies.push_back(trap_policy());
  b.scenario.workload.mix = {{"benefits_question", 1}};
  b.scenario.corrections.share = 0.5;
  b.scenario.corrections.delay = fixed(delay);
  return b;
}

}  // namespace

TEST_CASE("A prompt_deploy fault deploys at its time and persists past its end", "[engine][change]") {
  ScenarioBundle b = quiet_bundle();
  FaultSpec f = change_fault("bad-prompt", 10 * kMinute, "prompt_deploy");
  f.as<PromptDeployFault>()->prompt_version = "v3";
  f.duration = 5 * kMinute;  // a deploy does not revert when the fault "ends"
  b.scenario.faults = {f};
  Journal j;
  run_simulation(b, SimOptions{2, true}, j);
  REQUIRE(times_of<FaultStartEvent>(j) == std::vector<SimTime>{10 * kMinute});
  REQUIRE(times_of<FaultEndEvent>(j).empty());
  REQUIRE(times_of<ControlChangeEvent>(j) == std::vector<SimTime>{10 * kMinute});
  for (const auto& e : j.events()) {
    if (const auto* c = std::get_if<ControlChangeEvent>(&e.body)) {
      REQUIRE(c->what == "prompt");
      REQUIRE(c->to == "v3");
      REQUIRE(c->by == "deploy:bad-prompt");
    }
  }
  int before = 0, after = 0;
  for (const RequestEvent* r : user_requests(j)) {
    if (r->arrival < 10 * kMinute) {
      ++before;
      REQUIRE(r->prompt_version == "v2");
      REQUIRE(r->faults.empty());
      REQUIRE(r->status == RequestStatus::kOk);
    } else if (r->arrival > 10 * kMinute) {
      ++after;
      REQUIRE(r->prompt_version == "v3");
      REQUIRE(has(r->faults, "bad-prompt"));
      // v3 dropped the citation instruction: answers go out uncited, so none is correct, yet
      // none is unsafe or failed either (a bad deploy only quality signals reveal).
      REQUIRE(r->status == RequestStatus::kOk);
      REQUIRE(r->citations == 0);
      REQUIRE_FALSE(r->correct);
      REQUIRE(r->root_cause.empty());
    }
  }
  REQUIRE(before > 100);
  REQUIRE(after > 100);
}

TEST_CASE("A bad config change stays until a playbook undoes it", "[engine][change]") {
  ScenarioBundle b = quiet_bundle(40 * kMinute);
  FaultSpec f = change_fault("safe-mode-on", 5 * kMinute, "config_change");
  f.as<ConfigChangeFault>()->flag = "safe-mode";
  f.as<ConfigChangeFault>()->variant = "on";
  b.scenario.faults = {f};
  AlertSpec a;
  a.name = "Errors";
  a.type = AlertType::kThreshold;
  a.sli = Sli::kErrorRatio;
  a.window = 2 * kMinute;
  a.above = 0.2;
  a.for_duration = kMinute;
  b.scenario.alerts = {a};
  Playbook pb;
  pb.name = "undo";
  pb.trigger.alert = "Errors";
  StepSpec st;
  st.kind = StepKind::kFlagSet;
  st.name = "safe mode off";
  st.flag = "safe-mode";
  st.variant = "off";
  pb.steps = {st};
  b.playbooks = {pb};
  Journal j;
  run_simulation(b, SimOptions{2, true}, j);
  SimTime undone = 0;
  for (const auto& e : j.events()) {
    const auto* c = std::get_if<ControlChangeEvent>(&e.body);
    if (c && c->by.rfind("playbook:", 0) == 0) {
      REQUIRE(c->to == "off");
      undone = e.t;
    }
  }
  REQUIRE(undone > 6 * kMinute);
  REQUIRE(undone < 12 * kMinute);
  int bad = 0;
  for (const RequestEvent* r : user_requests(j)) {
    if (r->arrival > 5 * kMinute && r->arrival < undone) {
      ++bad;
      REQUIRE(r->status == RequestStatus::kFallback);
      REQUIRE(r->cause == "safe_mode");
      REQUIRE(r->root_cause == "prompt_config");
      REQUIRE(r->faults == std::vector<std::string>{"safe-mode-on"});
    } else if (r->arrival > undone) {
      REQUIRE(r->status == RequestStatus::kOk);
      REQUIRE(r->faults.empty());
    }
  }
  REQUIRE(bad > 100);
}

TEST_CASE("A config_change fault turning redaction off exposes PHI to the vendor from then on", "[engine][change]") {
  ScenarioBundle b = quiet_bundle();
  b.scenario.workload.mix = {{"discharge_summary", 1}};
  FaultSpec f = change_fault("redaction-off", 10 * kMinute, "config_change");
  f.as<ConfigChangeFault>()->flag = "phi-redaction";
  f.as<ConfigChangeFault>()->variant = "off";
  b.scenario.faults = {f};
  Journal j;
  run_simulation(b, SimOptions{5, true}, j);
  int exposed = 0;
  for (const RequestEvent* r : user_requests(j)) {
    if (r->arrival < 10 * kMinute) {
      REQUIRE_FALSE(r->phi_to_vendor);
      REQUIRE_FALSE(r->phi_in_logs);
    } else if (r->arrival > 10 * kMinute) {
      REQUIRE(r->phi_to_vendor);  // every discharge summary names the patient and the MRN
      REQUIRE(r->phi_in_logs);
      REQUIRE(has(r->faults, "redaction-off"));
      ++exposed;
    }
  }
  REQUIRE(exposed > 100);
  // Exposure is recorded as truth; the journal itself stays free of identifiers.
  const std::string text = dump(j);
  REQUIRE(text.find("SYN-") == std::string::npos);
  REQUIRE(text.find("pat-0") == std::string::npos);
}

TEST_CASE("Scheduled probes run the golden set every interval as probe traffic", "[engine][probes]") {
  ScenarioBundle b = quiet_bundle(31 * kMinute);
  GoldenSet set;
  set.name = "unit-core";
  set.file = "golden/unit.yaml";
  set.min_pass_rate = 0.5;
  for (const char* pat : {"pat-0001", "pat-0002", "pat-0003"}) {
    GoldenCase c;
    c.id = std::string("benefits-") + pat;
    c.task_type = "benefits_question";
    c.patient = pat;
    set.cases.push_back(c);
  }
  b.golden_sets[set.file] = set;
  b.scenario.probes = ProbeSpec{set.file, 10 * kMinute, 0.9};
  Journal j;
  run_simulation(b, SimOptions{1, true}, j);
  std::vector<SimTime> results;
  for (const auto& e : j.events()) {
    if (const auto* g = std::get_if<GoldenResultEvent>(&e.body)) {
      REQUIRE(g->by == "probe");
      REQUIRE(g->set == "unit-core");
      REQUIRE(g->total == 3);
      REQUIRE(g->ok);
      REQUIRE(g->min_pass_rate == 0.9);
      results.push_back(e.t);
    }
  }
  REQUIRE(results.size() == 3);  // at 10, 20 and 30 minutes
  for (std::size_t i = 0; i < results.size(); ++i) {
    const SimTime scheduled = static_cast<SimTime>(i + 1) * 10 * kMinute;
    REQUIRE(results[i] > scheduled);
    REQUIRE(results[i] < scheduled + 10 * kSecond);
  }
  int probes = 0;
  for (const auto& e : j.events()) {
    const auto* r = std::get_if<RequestEvent>(&e.body);
    if (r && r->probe) ++probes;
  }
  REQUIRE(probes == 9);
}

TEST_CASE("Scheduled probes need their golden set loaded", "[engine][probes]") {
  ScenarioBundle b = quiet_bundle();
  b.scenario.probes = ProbeSpec{"golden/missing.yaml", 5 * kMinute, 1.0};
  Journal j;
  REQUIRE_THROWS_WITH(run_simulation(b, SimOptions{1, true}, j),
                      Catch::Contains("golden/missing.yaml"));
}

TEST_CASE("Clinicians report a sampled share of unsafe answers after a delay", "[engine][corrections]") {
  const ScenarioBundle b = corrected_bundle(60 * kMinute, 10 * kMinute);
  Journal j;
  run_simulation(b, SimOptions{3, true}, j);
  std::map<std::uint64_t, SimTime> unsafe_done;  // request id -> when it was answered
  for (const auto& e : j.events()) {
    const auto* r = std::get_if<RequestEvent>(&e.body);
    if (r && !r->probe && r->unsafe) {
      REQUIRE(r->unsafe_kind == "incorrect");
      REQUIRE(r->root_cause == "model");  // no fault explains it: the model got it wrong
      unsafe_done[r->id] = e.t;
    }
  }
  REQUIRE(unsafe_done.size() > 200);
  std::size_t corrections = 0, answered_in_time = 0;
  for (const auto& e : j.events()) {
    if (const auto* c = std::get_if<CorrectionEvent>(&e.body)) {
      ++corrections;
      auto it = unsafe_done.find(c->request_id);
      REQUIRE(it != unsafe_done.end());
      REQUIRE(e.t == it->second + 10 * kMinute);
      REQUIRE(c->task_type == "benefits_question");
      REQUIRE(c->patient_ref.rfind("pt-", 0) == 0);
    }
  }
  for (const auto& [id, t] : unsafe_done) {
    if (t + 10 * kMinute < b.scenario.duration) ++answered_in_time;
  }
  REQUIRE(corrections == Approx(answered_in_time * 0.5).epsilon(0.2));
  // Same seed, same corrections; the correction stream shifts nothing else.
  Journal again;
  run_simulation(b, SimOptions{3, true}, again);
  REQUIRE(dump(j) == dump(again));
  ScenarioBundle none = b;
  none.scenario.corrections.share = 0;
  Journal without;
  run_simulation(none, SimOptions{3, true}, without);
  REQUIRE(times_of<CorrectionEvent>(without).empty());
  // (Requests only: once the detector reads corrections, alerts may differ, as they should.)
  auto requests_of = [](const Journal& jj) {
    std::string out;
    for (const auto& e : jj.events()) {
      if (std::holds_alternative<RequestEvent>(e.body)) append_json(out, e);
    }
    return out;
  };
  REQUIRE(requests_of(j) == requests_of(without));
}

TEST_CASE("Bad requests name the faults they met and their root cause", "[engine][root_cause]") {
  ScenarioBundle b = quiet_bundle(20 * kMinute);
  FaultSpec ehr;
  ehr.id = "ehr-down";
  ehr.at = 2 * kMinute;
  ehr.duration = 3 * kMinute;
  ehr.target = "ehr";
  ehr.params = default_params(FaultKind::kError);
  ehr.as<ErrorFault>()->status = 503;
  FaultSpec vendor;
  vendor.id = "vendor-slow";
  vendor.at = 10 * kMinute;
  vendor.duration = 5 * kMinute;
  vendor.target = "vendor:primary";
  vendor.params = default_params(FaultKind::kLatency);
  vendor.as<LatencyFault>()->delay = fixed(40 * kSecond);
  b.scenario.faults = {ehr, vendor};
  b.scenario.workload.client_timeout = 15 * kSecond;
  Journal j;
  run_simulation(b, SimOptions{4, true}, j);
  int ehr_bad = 0, vendor_bad = 0;
  for (const RequestEvent* r : user_requests(j)) {
    if (r->status == RequestStatus::kOk) {
      REQUIRE(r->root_cause.empty());
      continue;
    }
    if (r->cause == "ehr_error") {
      ++ehr_bad;
      REQUIRE(r->root_cause == "ehr_dependency");
      REQUIRE(r->faults == std::vector<std::string>{"ehr-down"});
    } else {
      ++vendor_bad;
      // The client gives up at 15 s, while the vendor call is still out.
      REQUIRE(r->status == RequestStatus::kTimeout);
      REQUIRE(r->root_cause == "model");
      REQUIRE(r->faults == std::vector<std::string>{"vendor-slow"});
    }
  }
  REQUIRE(ehr_bad > 100);
  REQUIRE(vendor_bad > 100);
}

TEST_CASE("A run with every new signal is reproducible from its seed", "[engine]") {
  ScenarioBundle b = quiet_bundle(30 * kMinute, 3);
  b.fakes.world.policies.push_back(trap_policy());
  FaultSpec f = change_fault("redaction-off", 5 * kMinute, "config_change");
  f.as<ConfigChangeFault>()->flag = "phi-redaction";
  f.as<ConfigChangeFault>()->variant = "off";
  b.scenario.faults = {f};
  b.scenario.corrections.share = 0.3;
  b.scenario.corrections.delay.kind = DistKind::kLognormal;
  b.scenario.corrections.delay.median = 5 * kMinute;
  b.scenario.corrections.delay.sigma = 0.5;
  GoldenSet set;
  set.name = "unit";
  set.file = "golden/unit.yaml";
  GoldenCase c;
  c.id = "discharge";
  c.task_type = "discharge_summary";
  c.patient = "pat-0004";
  set.cases = {c};
  b.golden_sets[set.file] = set;
  b.scenario.probes = ProbeSpec{set.file, 5 * kMinute, 1.0};
  Journal j1, j2, j3;
  run_simulation(b, SimOptions{9, true}, j1);
  run_simulation(b, SimOptions{9, true}, j2);
  run_simulation(b, SimOptions{10, true}, j3);
  REQUIRE(dump(j1) == dump(j2));
  REQUIRE(dump(j1) != dump(j3));
  REQUIRE_FALSE(times_of<CorrectionEvent>(j1).empty());
  REQUIRE(times_of<GoldenResultEvent>(j1).size() == 5);
}

TEST_CASE("Faults added through the engine handle are journaled, mirrored and ended like the timeline's", "[engine][live]") {
  ScenarioBundle b = latency_bundle();
  b.scenario.faults.clear();
  SimOptions o;
  o.seed = 3;
  o.playbooks_enabled = false;
  std::vector<std::pair<std::string, bool>> mirrored;
  o.on_fault = [&mirrored](const FaultSpec& f, bool active) { mirrored.emplace_back(f.id, active); };
  std::size_t active_after_add = 0;
  bool refused_twice = false;
  std::string refusal;
  o.engine = [&](EngineHandle* h) {
    if (h == nullptr) return;
    FaultSpec f;
    f.id = "runtime-503";
    f.target = "vendor:primary";
    f.params = default_params(FaultKind::kError);
    f.as<ErrorFault>()->status = 503;
    f.duration = 10 * kMinute;  // ends by itself
    REQUIRE(h->add_fault(f, nullptr));
    refused_twice = !h->add_fault(f, &refusal);
    FaultSpec g = f;
    g.id = "removed-at-once";
    g.duration = 0;
    REQUIRE(h->add_fault(g, nullptr));
    active_after_add = h->active_faults().size();
    REQUIRE(h->remove_fault("removed-at-once"));
    REQUIRE_FALSE(h->remove_fault("removed-at-once"));
  };
  Journal j;
  run_simulation(b, o, j);
  REQUIRE(refused_twice);
  REQUIRE(refusal.find("runtime-503") != std::string::npos);
  REQUIRE(active_after_add == 2);
  REQUIRE(mirrored == std::vector<std::pair<std::string, bool>>{
                          {"runtime-503", true}, {"removed-at-once", true}, {"removed-at-once", false}, {"runtime-503", false}});
  const auto starts = times_of<FaultStartEvent>(j);
  const auto ends = times_of<FaultEndEvent>(j);
  REQUIRE(starts == std::vector<SimTime>{0, 0});
  REQUIRE(ends == std::vector<SimTime>{0, 10 * kMinute});
  // While it was active, requests failed with it among their faults; afterwards none did.
  int failed_by_it = 0, later = 0;
  for (const auto& e : j.events()) {
    const auto* r = std::get_if<RequestEvent>(&e.body);
    if (r == nullptr) continue;
    const bool hit = std::find(r->faults.begin(), r->faults.end(), "runtime-503") != r->faults.end();
    if (hit && r->arrival < 10 * kMinute) ++failed_by_it;
    if (hit && r->arrival > 11 * kMinute) ++later;
  }
  REQUIRE(failed_by_it > 100);
  REQUIRE(later == 0);
}

TEST_CASE("Traffic asked through another answer service is journaled the same way", "[engine][live]") {
  // A service that answers every task with the canned fallback at once.
  struct Fallbacks final : AnswerService {
    int asked = 0;
    void ask(const Task&, AnswerFn done, const AnswerProgress&) override {
      ++asked;
      Answer a;
      a.status = RequestStatus::kFallback;
      a.cause = "test_service";
      a.text = kFallbackText;
      done(a);
    }
  } service;
  ScenarioBundle b = latency_bundle();
  SimOptions o;
  o.seed = 5;
  o.answers = &service;
  Journal j;
  const SimStats stats = run_simulation(b, o, j);
  REQUIRE(service.asked == static_cast<int>(stats.requests));
  int requests = 0;
  for (const auto& e : j.events()) {
    if (const auto* r = std::get_if<RequestEvent>(&e.body)) {
      ++requests;
      REQUIRE(r->cause == "test_service");
      REQUIRE(r->status == RequestStatus::kFallback);
    }
  }
  REQUIRE(requests == static_cast<int>(stats.requests));
}

TEST_CASE("An answered request is freed at once and not when its client timeout comes due", "[engine]") {
  // A service that answers every task at once and keeps a weak view of each request (the
  // progress pointer shares the engine's request). By the next arrival the last request must be
  // gone, though its client timeout (30 s) is far off; a request that is never answered stays
  // alive until its give-up journals it.
  struct Instant final : AnswerService {
    std::weak_ptr<std::weak_ptr<const Answer>> last;
    int asked = 0;
    int still_alive = 0;
    int unanswered = 0;
    std::vector<AnswerFn> held;  // every tenth request: never answered
    void ask(const Task&, AnswerFn done, const AnswerProgress& progress) override {
      if (!last.expired()) ++still_alive;
      last = progress;
      if (++asked % 10 == 0) {
        ++unanswered;
        held.push_back(std::move(done));
        last.reset();
        return;
      }
      Answer a;
      a.status = RequestStatus::kOk;
      a.text = "ok";
      done(a);
    }
  } service;
  ScenarioBundle b = latency_bundle();
  b.scenario.duration = 10 * kMinute;
  REQUIRE(b.scenario.workload.client_timeout > 2 * kSecond);
  SimOptions o;
  o.seed = 3;
  o.answers = &service;
  Journal j;
  const SimStats stats = run_simulation(b, o, j);
  REQUIRE(stats.requests > 100);
  CHECK(service.still_alive == 0);
  int timed_out = 0;
  for (const auto& e : j.events()) {
    if (const auto* r = std::get_if<RequestEvent>(&e.body)) timed_out += r->status == RequestStatus::kTimeout;
  }
  // Every unanswered request was given up on (except those whose timeout falls after the end).
  CHECK(timed_out <= service.unanswered);
  const double arrivals_in_last_timeout =
      b.scenario.workload.rate_per_s * static_cast<double>(b.scenario.workload.client_timeout) / kSecond;
  CHECK(timed_out >= service.unanswered - static_cast<int>(arrivals_in_last_timeout / 10) - 5);
}

TEST_CASE("A stop request ends a dense run within a few thousand events, not a minute of traffic", "[engine]") {
  ScenarioBundle b = latency_bundle();
  b.scenario.workload.rate_per_s = 10000;  // 600,000 requests a minute
  b.scenario.duration = 10 * kMinute;
  std::atomic<bool> stop{true};
  SimOptions o;
  o.stop = &stop;
  Journal j;
  const SimStats stats = run_simulation(b, o, j);
  CHECK(stats.interrupted);
  CHECK(stats.requests < 2 * VirtualScheduler::kInterruptEvery);
}

namespace {

// Two latency bursts (5m..9m, 14m..18m): the alert fires twice; the playbook only waits.
ScenarioBundle flapping_bundle(Duration group_interval) {
  ScenarioBundle b = latency_bundle();
  b.scenario.group_interval = group_interval;
  b.scenario.alerts[0].severity = "page";
  FaultSpec second = b.scenario.faults[0];
  b.scenario.faults[0].duration = 4 * kMinute;
  second.id = "slow-again";
  second.at = 14 * kMinute;
  second.duration = 4 * kMinute;
  b.scenario.faults.push_back(second);
  b.playbooks[0].steps[0].kind = StepKind::kWait;
  b.playbooks[0].steps[0].duration = kMinute;
  return b;
}

template <typename T>
std::vector<T> all_of(const Journal& j) {
  std::vector<T> out;
  for (const auto& e : j.events()) {
    if (auto p = std::get_if<T>(&e.body)) out.push_back(*p);
  }
  return out;
}

}  // namespace

TEST_CASE("A re-fire within the paging group interval is journaled grouped and pages nobody", "[engine][paging]") {
  Journal grouped_journal;
  run_simulation(flapping_bundle(20 * kMinute), SimOptions{}, grouped_journal);
  const auto fires = all_of<AlertFireEvent>(grouped_journal);
  REQUIRE(fires.size() == 2);
  CHECK_FALSE(fires[0].grouped);
  CHECK(fires[1].grouped);
  CHECK(all_of<AckEvent>(grouped_journal).size() == 1);
  // Playbooks follow their own trigger: the second firing starts the playbook again.
  CHECK(all_of<PlaybookStartEvent>(grouped_journal).size() == 2);

  Journal plain;
  run_simulation(flapping_bundle(0), SimOptions{}, plain);
  const auto plain_fires = all_of<AlertFireEvent>(plain);
  REQUIRE(plain_fires.size() == 2);
  CHECK_FALSE(plain_fires[1].grouped);
  CHECK(all_of<AckEvent>(plain).size() == 2);

  Journal short_group;
  run_simulation(flapping_bundle(2 * kMinute), SimOptions{}, short_group);
  CHECK_FALSE(all_of<AlertFireEvent>(short_group)[1].grouped);
  CHECK(all_of<AckEvent>(short_group).size() == 2);
}

// ---------------------------------------------------------------- a --sut service's changes

namespace {

// StepEffects answering every request with `result` (blocking, as in a simulation).
struct AnsweringEffects final : StepEffects {
  void exec(const ExecRequest&, std::shared_ptr<ControlHandler>, ExecDone done) override { done(ExecResult{}); }
  void http(const HttpRequest& request, std::shared_ptr<ControlHandler>, HttpDone done) override {
    requests.push_back(request);
    done(result);
  }
  HttpResult result;
  std::vector<HttpRequest> requests;
};

ServiceControlSetup prompt_service(std::vector<std::string>* warnings) {
  ServiceControlState state;
  state.route = "primary";
  state.prompt_version = "v2";
  state.supports = {"prompt"};
  return ServiceControlSetup{"http://127.0.0.1:9/v1/control", state, "primary",
                             [warnings](const std::string& w) { warnings->push_back(w); }};
}

}  // namespace

TEST_CASE("With a service a prompt_deploy fault is journaled once the service's answer shows it", "[engine][change][service]") {
  ScenarioBundle b = quiet_bundle(20 * kMinute);
  FaultSpec f = change_fault("bad-prompt", 10 * kMinute, "prompt_deploy");
  f.as<PromptDeployFault>()->prompt_version = "v3";
  b.scenario.faults = {f};
  std::vector<std::string> warnings;
  const ServiceControlSetup service = prompt_service(&warnings);
  AnsweringEffects effects;
  effects.result = HttpResult{200, R"({"prompt_version": "v3"})", ""};
  SimOptions options{2, true};
  options.step_effects = &effects;
  options.service = &service;
  Journal j;
  run_simulation(b, options, j);
  REQUIRE(effects.requests.size() == 1);
  CHECK(effects.requests[0].url == "http://127.0.0.1:9/v1/control/prompt");
  CHECK(times_of<FaultStartEvent>(j) == std::vector<SimTime>{10 * kMinute});
  const auto changes = times_of<ControlChangeEvent>(j);
  REQUIRE(changes.size() == 1);
  CHECK(warnings.empty());
  // The service's state, not the built-in assistant's, is the run's initial state.
  const auto& start = std::get<RunStartEvent>(j.events().front().body);
  CHECK(has(start.initial_state, "prompt=v2"));
  // The built-in assistant answered the (in-process) traffic and was never changed.
  for (const RequestEvent* r : user_requests(j)) CHECK(r->prompt_version == "v2");
}

TEST_CASE("With a service a change fault it refuses is not injected and the run says so", "[engine][change][service]") {
  ScenarioBundle b = quiet_bundle(20 * kMinute);
  FaultSpec f = change_fault("bad-prompt", 10 * kMinute, "prompt_deploy");
  f.as<PromptDeployFault>()->prompt_version = "v3";
  b.scenario.faults = {f};
  std::vector<std::string> warnings;
  const ServiceControlSetup service = prompt_service(&warnings);
  AnsweringEffects effects;
  effects.result = HttpResult{400, R"({"error": "unknown prompt version 'v3'"})", ""};
  SimOptions options{2, true};
  options.step_effects = &effects;
  options.service = &service;
  Journal j;
  run_simulation(b, options, j);
  CHECK(times_of<FaultStartEvent>(j).empty());
  CHECK(times_of<ControlChangeEvent>(j).empty());
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0] == "fault bad-prompt was not injected: the service answered PUT /v1/control/prompt with HTTP 400: "
                      "unknown prompt version 'v3'");
}

TEST_CASE("A run scored as it is journaled, keeping no events, scores as its whole journal does", "[engine][digest]") {
  const ScenarioBundle b = latency_bundle();
  for (const bool playbooks : {true, false}) {
    INFO("playbooks " << playbooks);
    // Kept in memory, scored afterwards.
    Journal kept;
    run_simulation(b, SimOptions{11, playbooks}, kept);
    const JournalDigestResult whole = digest_journal(kept.events());
    // Not kept: the digest takes each event as it is appended, and the file its line.
    Journal streamed;
    streamed.keep_events(false);
    std::ostringstream sink;
    streamed.set_sink(&sink);
    JournalDigest digest;
    streamed.subscribe([&](const Event& e) { digest.add(e); });
    run_simulation(b, SimOptions{11, playbooks}, streamed);
    streamed.flush();
    CHECK(streamed.events().empty());
    CHECK(streamed.size() == kept.events().size());
    CHECK(digest.in_order());
    const JournalDigestResult fed = digest.finish();
    CHECK(sink.str() == dump(kept));
    CHECK(report_json(fed.score) == report_json(whole.score));
    CHECK(report_markdown(fed.score) == report_markdown(whole.score));
    CHECK(report_html(fed.score, fed.series) == report_html(whole.score, whole.series));
    CHECK(fed.violations.empty());
    CHECK(whole.violations.empty());
    CHECK(fed.score.metrics.requests > 1000);
  }
}

TEST_CASE("A run on the journal's writer thread journals and scores as one kept in memory", "[engine][digest]") {
  // With the writer thread, requests are judged and their events filled in there (unless
  // clinician corrections need the judge at once), and with tasks built ahead on a third
  // thread; the file, the scores and the traces' inputs must not change. The latency incident
  // times some requests out (the give-up path); the trap policy makes unsafe answers for the
  // corrections to draw on.
  const ScenarioBundle corrected = corrected_bundle(30 * kMinute, 2 * kMinute);
  ScenarioBundle slow = latency_bundle();
  slow.scenario.workload.client_timeout = 8 * kSecond;
  const ScenarioBundle* const bundles[] = {&slow, &corrected};
  for (const ScenarioBundle* b : bundles) {
    INFO(b->scenario.name << (b->scenario.corrections.share > 0 ? " with corrections" : ""));
    Journal kept;
    run_simulation(*b, SimOptions{5, true}, kept);
    const JournalDigestResult whole = digest_journal(kept.events());
    std::ostringstream sink;
    JournalDigest digest;
    std::vector<std::string> behind;  // what a behind observer (the traces writer) reads
    {
      Journal streamed;
      streamed.keep_events(false);
      streamed.set_sink(&sink);
      streamed.subscribe_behind([&](const Event& e) {
        digest.add(e);
        if (const auto* r = std::get_if<RequestEvent>(&e.body)) {
          behind.push_back(std::to_string(r->calls.size()) + "/" + std::to_string(r->unfinished.size()) + "/" +
                           std::to_string(r->redaction));
        }
      });
      const JournalBackground writer(streamed);
      SimOptions options{5, true};
      options.tasks_ahead = true;  // as `gameday run`
      run_simulation(*b, options, streamed);
      streamed.flush();
    }
    CHECK(sink.str() == dump(kept));
    std::vector<std::string> in_memory;
    int timeouts = 0, corrections = 0;
    for (const auto& e : kept.events()) {
      if (const auto* r = std::get_if<RequestEvent>(&e.body)) {
        in_memory.push_back(std::to_string(r->calls.size()) + "/" + std::to_string(r->unfinished.size()) + "/" +
                            std::to_string(r->redaction));
        timeouts += r->status == RequestStatus::kTimeout;
      }
      corrections += std::holds_alternative<CorrectionEvent>(e.body);
    }
    CHECK(behind == in_memory);
    const JournalDigestResult fed = digest.finish();
    CHECK(report_json(fed.score) == report_json(whole.score));
    CHECK(report_html(fed.score, fed.series) == report_html(whole.score, whole.series));
    CHECK(fed.violations.empty());
    if (b == &slow) CHECK(timeouts > 10);
    if (b == &corrected) CHECK(corrections > 20);
  }
}
