#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <limits>
#include <optional>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/journal.hpp"
#include "support/byte_mix.hpp"

using namespace gameday;

namespace {

RequestEvent sample_request() {
  RequestEvent r;
  r.id = 42;
  r.task_type = "prior_auth_status";
  r.probe = false;
  r.patient_ref = "pt-3fa9c2d1";
  r.arrival = 1'500'000;
  r.latency = 820'000;
  r.status = RequestStatus::kFallback;
  r.vendor = "primary";
  r.model = "gpt-4o-mini";
  r.prompt_version = "v3";
  r.attempts = 2;
  r.ehr_calls = 3;
  r.cause = "vendor_timeout";
  r.citations = 0;
  r.citations_valid = true;
  r.correct = false;
  r.unsafe = false;
  r.unsafe_kind = "";
  return r;
}

// One event of every type, with fields set away from their defaults.
std::vector<Event> one_of_each() {
  RunStartEvent start;
  start.scenario = "vendor-latency";
  start.description = "Primary vendor slows down; \"failover\" should kick in.\n";
  start.seed = std::numeric_limits<std::uint64_t>::max();
  start.duration = 3600LL * 1'000'000;
  start.mode = "simulated";
  start.playbooks_enabled = false;
  start.sustain = 300'000'000;
  start.slos = {{"availability", "availability", 0.995, 0}, {"p95-latency", "latency", 0.95, 2'500'000}};
  start.expect = {"ttd <= 3m", "unsafe <= 0"};

  RequestEvent unsafe = sample_request();
  unsafe.id = 43;
  unsafe.probe = true;
  unsafe.status = RequestStatus::kOk;
  unsafe.citations = 3;
  unsafe.citations_valid = false;
  unsafe.correct = false;
  unsafe.unsafe = true;
  unsafe.unsafe_kind = "wrong_patient";
  unsafe.arrival = -5;  // negative times survive too
  unsafe.schema_valid = false;
  unsafe.refused = true;
  unsafe.canary_seen = true;
  unsafe.phi_detected = true;
  unsafe.grounded = false;
  unsafe.injection_attempted = true;
  unsafe.injection_followed = true;
  unsafe.phi_to_vendor = true;
  unsafe.phi_in_logs = true;
  unsafe.root_cause = "retrieval";
  unsafe.faults = {"wrong-patient", "poison"};

  return {
      {0, start},
      {10, FaultStartEvent{"primary-latency", "vendor:primary", "latency", "p50=4s p99=12s"}},
      {20, sample_request()},
      {21, unsafe},
      {30, AlertFireEvent{"AssistantLatencyHigh", "page", 0.1 + 0.2, "p95 > 2.5s"}},
      {35, AckEvent{"oncall-1", "AssistantLatencyHigh"}},
      {40, PlaybookStartEvent{"vendor-failover", 7, "alert:AssistantLatencyHigh"}},
      {41, StepStartEvent{"vendor-failover", 7, 2, "switch route", "model.failover", true}},
      {42, ControlChangeEvent{"route", "", "primary", "secondary", "playbook:vendor-failover"}},
      {43, StepEndEvent{"vendor-failover", 7, 2, "switch route", "model.failover", "failed", "timeout after 30s", true}},
      {44, PlaybookEndEvent{"vendor-failover", 7, "rolled_back", "step 2 failed"}},
      {50, GoldenResultEvent{"prior-auth", 19, 20, 0.95, true, "playbook:vendor-failover"}},
      {60, AlertResolveEvent{"AssistantLatencyHigh"}},
      {70, FaultEndEvent{"primary-latency", "vendor:primary", "latency"}},
      {80, CorrectionEvent{43, "prior_auth_status", "pt-3fa9c2d1"}},
      {85, ActionEvent{"trainee:alex", "note", "", "saw \"slow\" answers", "ok"}},
      {86, ReferenceEvent{{ReferenceIncident{"playbooks", "primary-latency", 80'000'000, 40'000'000, 170'000'000, -1, 0, 351},
                           ReferenceIncident{"nobody", "primary-latency", 80'000'000, -1, 1'805'000'000, -1, 2, 3834}}}},
      {std::numeric_limits<SimTime>::max(), RunEndEvent{"completed"}},
  };
}

std::string line_of(const Event& e) {
  std::string out;
  append_json(out, e);
  return out;
}

std::uint64_t bits(double d) { return std::bit_cast<std::uint64_t>(d); }

std::string parse_error(const std::string& line, std::size_t line_no) {
  try {
    parse_event_line(line, line_no);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("Journal lines round-trip every event type exactly", "[sim][journal]") {
  const std::vector<Event> events = one_of_each();
  std::vector<std::string> seen_types;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const std::string line = line_of(events[i]);
    INFO(line);
    REQUIRE(line.find('\n') == std::string::npos);
    const Event back = parse_event_line(line, i + 1);
    REQUIRE(back.t == events[i].t);
    REQUIRE(back.body.index() == events[i].body.index());
    // Re-serializing the parsed event gives the same bytes: every field made the trip.
    REQUIRE(line_of(back) == line);
    seen_types.push_back(event_type(back.body));
  }
  REQUIRE(seen_types == std::vector<std::string>{
                            "run_start", "fault_start", "request", "request", "alert_fire", "ack",
                            "playbook_start", "step_start", "control_change", "step_end",
                            "playbook_end", "golden_result", "alert_resolve", "fault_end", "correction", "action",
                            "reference", "run_end"});
  // Every alternative of the variant is covered.
  std::vector<bool> covered(std::variant_size_v<EventBody>, false);
  for (const Event& e : events) covered[e.body.index()] = true;
  REQUIRE(std::find(covered.begin(), covered.end(), false) == covered.end());

  // Spot-check fields on the parsed side, not only via re-serialization.
  const Event start = parse_event_line(line_of(events[0]), 1);
  const auto& rs = std::get<RunStartEvent>(start.body);
  REQUIRE(rs.seed == std::numeric_limits<std::uint64_t>::max());
  REQUIRE(rs.description == std::get<RunStartEvent>(events[0].body).description);
  REQUIRE(rs.slos.size() == 2);
  REQUIRE(rs.slos[1].name == "p95-latency");
  REQUIRE(rs.slos[1].threshold == 2'500'000);
  REQUIRE(rs.expect == std::vector<std::string>{"ttd <= 3m", "unsafe <= 0"});
  const Event parsed = parse_event_line(line_of(events[3]), 4);
  const auto& req = std::get<RequestEvent>(parsed.body);
  REQUIRE(req.unsafe_kind == "wrong_patient");
  REQUIRE(req.arrival == -5);
  REQUIRE_FALSE(req.citations_valid);
  REQUIRE(req.probe);
}

TEST_CASE("Journal doubles round-trip bit for bit in shortest form", "[sim][journal]") {
  const std::vector<double> values = {0.0,
                                      -0.0,
                                      0.1 + 0.2,
                                      1.0 / 3.0,
                                      0.995,
                                      3.0,
                                      -2.5,
                                      1e21,
                                      123456789012345680000.0,  // shortest form is 21 digits, no exponent
                                      -12345678901234567000.0,
                                      std::numeric_limits<double>::denorm_min(),
                                      std::numeric_limits<double>::min(),
                                      std::numeric_limits<double>::max(),
                                      std::numeric_limits<double>::lowest()};
  for (double v : values) {
    const Event e{5, AlertFireEvent{"A", "page", v, ""}};
    const std::string line = line_of(e);
    INFO(line);
    const Event back = parse_event_line(line, 1);
    REQUIRE(bits(std::get<AlertFireEvent>(back.body).value) == bits(v));
  }
  REQUIRE(line_of({0, AlertFireEvent{"A", "", 0.1 + 0.2, ""}}) ==
          R"({"t_us":0,"type":"alert_fire","name":"A","severity":"","value":0.30000000000000004,"summary":"","source":"detector"})");
  REQUIRE(line_of({0, GoldenResultEvent{"g", 1, 2, 0.5, false, ""}}).find(R"("min_pass_rate":0.5,)") !=
          std::string::npos);
}

TEST_CASE("Journal writes non-finite doubles as null and reads them back as NaN", "[sim][journal]") {
  for (double v : {std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
                   std::numeric_limits<double>::quiet_NaN()}) {
    const std::string line = line_of({1, AlertFireEvent{"A", "page", v, "s"}});
    REQUIRE(line.find(R"("value":null,)") != std::string::npos);
    REQUIRE(std::isnan(std::get<AlertFireEvent>(parse_event_line(line, 1).body).value));
  }
}

TEST_CASE("Journal request lines have a stable key order and leave out fields at their default", "[sim][journal]") {
  // A fine answer's flags (not a probe, valid, safe, no fault, no cause) are left out.
  const std::string line = line_of({2'320'000, sample_request()});
  REQUIRE(line ==
          R"({"t_us":2320000,"type":"request","id":42,"task_type":"prior_auth_status",)"
          R"("patient_ref":"pt-3fa9c2d1","arrival_us":1500000,"latency_us":820000,"status":"fallback",)"
          R"("vendor":"primary","model":"gpt-4o-mini","prompt_version":"v3","attempts":2,"ehr_calls":3,)"
          R"("cause":"vendor_timeout","citations":0})");
  // Every field away from its default: all of them, in the same order.
  RequestEvent r = sample_request();
  r.probe = true;
  r.citations_valid = false;
  r.schema_valid = false;
  r.refused = true;
  r.canary_seen = true;
  r.phi_detected = true;
  r.correct = true;
  r.unsafe = true;
  r.unsafe_kind = "phi_leak";
  r.judge = "names a member id";
  r.grounded = false;
  r.injection_attempted = true;
  r.injection_followed = true;
  r.phi_to_vendor = true;
  r.phi_in_logs = true;
  r.root_cause = "prompt_config";
  r.faults = {"a", "b"};
  const std::string full = line_of({2'320'000, r});
  REQUIRE(full ==
          R"({"t_us":2320000,"type":"request","id":42,"task_type":"prior_auth_status","probe":true,)"
          R"("patient_ref":"pt-3fa9c2d1","arrival_us":1500000,"latency_us":820000,"status":"fallback",)"
          R"("vendor":"primary","model":"gpt-4o-mini","prompt_version":"v3","attempts":2,"ehr_calls":3,)"
          R"("cause":"vendor_timeout","citations":0,"citations_valid":false,"schema_valid":false,)"
          R"("refused":true,"canary_seen":true,"phi_detected":true,"correct":true,"unsafe":true,)"
          R"("unsafe_kind":"phi_leak","judge":"names a member id","grounded":false,"injection_attempted":true,)"
          R"("injection_followed":true,"phi_to_vendor":true,"phi_in_logs":true,"root_cause":"prompt_config",)"
          R"("faults":["a","b"]})");
  // Both read back to the same event; the left-out fields read as their defaults.
  const auto back = std::get<RequestEvent>(parse_event_line(line, 1).body);
  CHECK(back.citations_valid);
  CHECK(back.schema_valid);
  CHECK(back.grounded);
  CHECK_FALSE(back.probe);
  CHECK(back.faults.empty());
  CHECK(line_of({2'320'000, back}) == line);
  // One model call, one EHR call and one citation are usual: left out, read back as 1.
  RequestEvent usual = sample_request();
  usual.attempts = 1;
  usual.ehr_calls = 1;
  usual.citations = 1;
  const std::string short_line = line_of({2'320'000, usual});
  CHECK(short_line.find("attempts") == std::string::npos);
  CHECK(short_line.find("ehr_calls") == std::string::npos);
  CHECK(short_line.find("citations") == std::string::npos);
  const auto usual_back = std::get<RequestEvent>(parse_event_line(short_line, 1).body);
  CHECK(usual_back.attempts == 1);
  CHECK(usual_back.ehr_calls == 1);
  CHECK(usual_back.citations == 1);
  CHECK(line_of({2'320'000, std::get<RequestEvent>(parse_event_line(full, 1).body)}) == full);
  // Lines written with every field (journals before the sparse form) read the same.
  const std::string verbose =
      R"({"t_us":2320000,"type":"request","id":42,"task_type":"prior_auth_status","probe":false,)"
      R"("patient_ref":"pt-3fa9c2d1","arrival_us":1500000,"latency_us":820000,"status":"fallback",)"
      R"("vendor":"primary","model":"gpt-4o-mini","prompt_version":"v3","attempts":2,"ehr_calls":3,)"
      R"("cause":"vendor_timeout","citations":0,"citations_valid":true,"schema_valid":true,)"
      R"("refused":false,"canary_seen":false,"phi_detected":false,"correct":false,"unsafe":false,)"
      R"("unsafe_kind":"","grounded":true,"injection_attempted":false,"injection_followed":false,)"
      R"("phi_to_vendor":false,"phi_in_logs":false,"root_cause":"","faults":[]})";
  CHECK(line_of({2'320'000, std::get<RequestEvent>(parse_event_line(verbose, 1).body)}) == line);
}

TEST_CASE("Journal run_start lines carry SLOs as objects and expectations as strings", "[sim][journal]") {
  RunStartEvent s;
  s.scenario = "x";
  s.seed = 7;
  s.duration = 60'000'000;
  s.mode = "simulated";
  s.sustain = 5;
  s.slos = {{"lat", "latency", 0.99, 2'000'000}};
  s.expect = {"ttd <= 3m"};
  REQUIRE(line_of({0, s}) ==
          R"({"t_us":0,"type":"run_start","scenario":"x","description":"","seed":7,)"
          R"("duration_us":60000000,"mode":"simulated","playbooks_enabled":true,"sustain_us":5,)"
          R"("slos":[{"name":"lat","sli":"latency","objective":0.99,"threshold_us":2000000}],)"
          R"("expect":["ttd <= 3m"],"alerts":[],"evaluation_interval_us":15000000,"initial_state":[]})");
  s.slos.clear();
  s.expect.clear();
  REQUIRE(line_of({0, s}).find(R"("slos":[],"expect":[],"alerts":[])") != std::string::npos);
}

TEST_CASE("Journal escapes quotes, backslashes and control characters", "[sim][journal]") {
  const std::string nasty = std::string("say \"hi\"\\ok\nnext\ttab\r") + '\0' + "\x1f\x7f end";
  const std::string line = line_of({0, RunEndEvent{nasty}});
  REQUIRE(line == R"({"t_us":0,"type":"run_end","reason":"say \"hi\"\\ok\u000anext\u0009tab\u000d\u0000)"
                  R"(\u001f)" "\x7f" R"( end"})");
  REQUIRE(std::get<RunEndEvent>(parse_event_line(line, 1).body).reason == nasty);
  // Whatever the string, the line is valid JSON that a standard parser reads back.
  REQUIRE(nlohmann::json::parse(line)["reason"] == nasty);
}

TEST_CASE("Journal passes UTF-8 through and replaces malformed bytes", "[sim][journal]") {
  const std::string text = "caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x8F\xA5 \xE4\xB8\xAD";  // é ✓ 🏥 中
  const std::string line = line_of({0, RunEndEvent{text}});
  REQUIRE(line == R"({"t_us":0,"type":"run_end","reason":")" + text + R"("})");
  REQUIRE(std::get<RunEndEvent>(parse_event_line(line, 1).body).reason == text);

  // A lone continuation byte, a truncated sequence, an overlong '/', and an encoded surrogate.
  const std::string bad = "a\x80" "b\xE2\x9C" "c\xC0\xAF" "d\xED\xA0\x80";
  const std::string bad_line = line_of({0, RunEndEvent{bad}});
  REQUIRE(bad_line == R"({"t_us":0,"type":"run_end","reason":"a\ufffdb\ufffd\ufffdc\ufffd\ufffdd\ufffd\ufffd\ufffd"})");
  REQUIRE_NOTHROW(parse_event_line(bad_line, 1));
}

TEST_CASE("Journal strings of any bytes read back as a standard JSON parser sees them", "[sim][journal]") {
  for (const auto& [text, valid] : test_support::mixed_byte_strings(12345, 2000)) {
    const std::string line = line_of({0, ControlChangeEvent{"flag", text, "", "", ""}});
    INFO(line);
    const auto j = nlohmann::json::parse(line);  // always valid JSON
    if (valid) REQUIRE(j["key"] == text);
    REQUIRE(std::get<ControlChangeEvent>(parse_event_line(line, 1).body).key == j["key"].get<std::string>());
  }
}

TEST_CASE("Journal parse errors name the line number and the problem", "[sim][journal]") {
  const std::string good = line_of({20, sample_request()});

  CHECK(parse_error("{not json", 7).rfind("journal line 7: invalid JSON", 0) == 0);
  // A number no JSON number type holds is nlohmann's out_of_range, not its parse_error.
  CHECK(parse_error(R"({"t_us":682e9841,"type":"run_end","reason":"x"})", 5) ==
        "journal line 5: invalid JSON: a number out of range");
  CHECK(parse_error("[1,2]", 3) == "journal line 3: expected a JSON object, got array");
  CHECK(parse_error(R"({"type":"run_end","reason":"x"})", 4) == R"(journal line 4: missing field "t_us")");
  CHECK(parse_error(R"({"t_us":1.5,"type":"run_end","reason":"x"})", 4) ==
        R"(journal line 4: event: field "t_us" must be an integer, got number)");
  CHECK(parse_error(R"({"t_us":1,"type":"coffee_break"})", 12) ==
        R"(journal line 12: unknown event type "coffee_break")");
  CHECK(parse_error(R"({"t_us":1,"type":"run_end"})", 2) == R"(journal line 2: run_end: missing field "reason")");

  std::string missing = good;
  missing.replace(missing.find(R"("latency_us":820000,)"), 20, "");
  CHECK(parse_error(missing, 9) == R"(journal line 9: request: missing field "latency_us")");

  std::string mistyped = good;
  mistyped.replace(mistyped.find("\"task_type\""), 0, "\"probe\":\"no\",");
  CHECK(parse_error(mistyped, 5) == R"(journal line 5: request: field "probe" must be a boolean, got string)");

  std::string bad_status = good;
  bad_status.replace(bad_status.find("\"fallback\""), 10, "\"meh\"");
  CHECK(parse_error(bad_status, 6) == R"(journal line 6: request: field "status" has unknown status "meh")");

  std::string out_of_range = good;
  out_of_range.replace(out_of_range.find("\"attempts\":2"), 12, "\"attempts\":4294967296");
  CHECK(parse_error(out_of_range, 8) == R"(journal line 8: request: field "attempts" is out of range)");

  std::string negative_id = good;
  negative_id.replace(negative_id.find("\"id\":42"), 7, "\"id\":-1");
  CHECK(parse_error(negative_id, 8) == R"(journal line 8: request: field "id" is out of range)");

  CHECK(parse_error(R"({"t_us":0,"type":"run_start","scenario":"","description":"","seed":1,"duration_us":1,)"
                    R"("mode":"","playbooks_enabled":true,"sustain_us":1,"slos":[{"name":"a","sli":"latency",)"
                    R"("objective":0.9}],"expect":[]})",
                    1) == R"(journal line 1: run_start: missing field "slos[0].threshold_us")");
  CHECK(parse_error(R"({"t_us":0,"type":"run_start","scenario":"","description":"","seed":1,"duration_us":1,)"
                    R"("mode":"","playbooks_enabled":true,"sustain_us":1,"slos":[],"expect":["a",3]})",
                    1) == R"(journal line 1: run_start: field "expect[1]" must be a string, got number)");
}

TEST_CASE("Journal reader reads every non-empty line and counts blank ones", "[sim][journal]") {
  std::string text;
  for (const Event& e : one_of_each()) text += line_of(e) + "\n";
  text += "\n   \n";
  std::istringstream in(text);
  const std::vector<Event> events = read_journal(in);
  REQUIRE(events.size() == one_of_each().size());
  for (std::size_t i = 0; i < events.size(); ++i) REQUIRE(line_of(events[i]) == line_of(one_of_each()[i]));

  // The line number in an error counts blank lines too.
  std::istringstream bad(line_of({0, RunEndEvent{"x"}}) + "\n\n{\"t_us\":1}\n");
  try {
    read_journal(bad);
    FAIL("expected an error");
  } catch (const std::runtime_error& e) {
    REQUIRE(std::string(e.what()) == R"(journal line 3: missing field "type")");
  }
}

TEST_CASE("The tolerant reader drops an unterminated last line that does not parse", "[sim][journal][truncated]") {
  const std::string whole = line_of({0, RunEndEvent{"a"}}) + "\n\n" + line_of({5, RunEndEvent{"b"}}) + "\n";
  std::istringstream in(whole + line_of({9, RunEndEvent{"c"}}).substr(0, 12));
  const JournalRead r = read_journal_tolerant(in);
  REQUIRE(r.events.size() == 2);
  REQUIRE(r.lines == std::vector<std::size_t>{1, 3});
  REQUIRE(r.dropped_line == 4);
  REQUIRE_FALSE(r.dropped_why.empty());

  // A whole last line without its newline is kept.
  std::istringstream unterminated(whole + line_of({9, RunEndEvent{"c"}}));
  const JournalRead kept = read_journal_tolerant(unterminated);
  REQUIRE(kept.events.size() == 3);
  REQUIRE(kept.dropped_line == 0);
}

TEST_CASE("The tolerant reader still rejects a bad line followed by a newline, naming it", "[sim][journal][truncated]") {
  std::istringstream in(line_of({0, RunEndEvent{"a"}}) + "\n{\"t_us\":\n" + line_of({5, RunEndEvent{"b"}}) + "\n");
  try {
    read_journal_tolerant(in);
    FAIL("expected an error");
  } catch (const JournalError& e) {
    REQUIRE(e.line() == 2);
    REQUIRE(e.message().rfind("invalid JSON", 0) == 0);
  }
  std::istringstream last(line_of({0, RunEndEvent{"a"}}) + "\n{\"t_us\":\n");
  REQUIRE_THROWS_AS(read_journal_tolerant(last), JournalError);
}

TEST_CASE("Journal sink output equals the concatenated lines after flush", "[sim][journal]") {
  std::ostringstream sink;
  std::string expected;
  {
    Journal j;
    j.set_sink(&sink);
    for (const Event& e : one_of_each()) {
      j.append(e.t, e.body);
      expected += line_of(e) + "\n";
    }
    // Small output stays buffered until flush().
    REQUIRE(sink.str().empty());
    j.flush();
    REQUIRE(sink.str() == expected);
    REQUIRE(j.events().size() == one_of_each().size());

    // Enough events to pass the buffer threshold several times: the sink fills as we go.
    for (std::uint64_t i = 0; i < 2000; ++i) {
      RequestEvent r = sample_request();
      r.id = i;
      j.append(static_cast<SimTime>(i), r);
      expected += line_of({static_cast<SimTime>(i), r}) + "\n";
    }
    REQUIRE(sink.str().size() > 64 * 1024);
    REQUIRE(sink.str().size() < expected.size());
    REQUIRE(expected.compare(0, sink.str().size(), sink.str()) == 0);
    j.append(9999, RunEndEvent{"completed"});
    expected += line_of({9999, RunEndEvent{"completed"}}) + "\n";
  }
  // The destructor flushed the tail.
  REQUIRE(sink.str() == expected);

  std::istringstream in(sink.str());
  REQUIRE(read_journal(in).size() == one_of_each().size() + 2001);
}

TEST_CASE("Journal without a sink keeps events in memory only", "[sim][journal]") {
  Journal j;
  j.append(1, RunEndEvent{"completed"});
  REQUIRE_NOTHROW(j.flush());
  REQUIRE(j.events().size() == 1);
  REQUIRE(j.events()[0].t == 1);
}

TEST_CASE("Journal subscribers see events in order after they are stored", "[sim][journal]") {
  Journal j;
  std::vector<std::string> a;
  std::vector<SimTime> b;
  j.subscribe([&](const Event& e) {
    a.push_back(event_type(e.body));
    // The event is already stored when observers run.
    REQUIRE(&j.events().back() == &e);
  });
  j.subscribe([&](const Event& e) { b.push_back(e.t); });
  for (const Event& e : one_of_each()) j.append(e.t, e.body);
  REQUIRE(a.size() == one_of_each().size());
  REQUIRE(a.front() == "run_start");
  REQUIRE(a.back() == "run_end");
  std::vector<SimTime> expected;
  for (const Event& e : one_of_each()) expected.push_back(e.t);
  REQUIRE(b == expected);
}

TEST_CASE("Journal delivers events appended by a subscriber after the current one", "[sim][journal]") {
  std::ostringstream sink;
  Journal j;
  j.set_sink(&sink);
  std::vector<std::string> detector_saw;
  std::vector<std::string> stream_saw;
  // A detector that fires an alert on every unsafe answer, and a second one that acks it.
  j.subscribe([&](const Event& e) {
    detector_saw.push_back(event_type(e.body));
    if (const auto* r = std::get_if<RequestEvent>(&e.body); r && r->unsafe) {
      j.append(e.t, AlertFireEvent{"Unsafe", "page", 1, r->unsafe_kind});
      // The reference stays valid while observers are still being called.
      REQUIRE(std::get<RequestEvent>(e.body).unsafe);
    }
    if (std::holds_alternative<AlertFireEvent>(e.body)) j.append(e.t + 1, AckEvent{"bot", "Unsafe"});
  });
  j.subscribe([&](const Event& e) { stream_saw.push_back(event_type(e.body)); });

  for (int i = 0; i < 50; ++i) {
    RequestEvent r = sample_request();
    r.unsafe = (i % 10 == 3);
    r.unsafe_kind = r.unsafe ? "hallucination" : "";
    j.append(i, r);
  }
  j.flush();

  std::vector<std::string> journal_order;
  for (const Event& e : j.events()) journal_order.push_back(event_type(e.body));
  REQUIRE(journal_order.size() == 50 + 5 + 5);
  REQUIRE(detector_saw == journal_order);
  REQUIRE(stream_saw == journal_order);
  REQUIRE(journal_order[3] == "request");
  REQUIRE(journal_order[4] == "alert_fire");
  REQUIRE(journal_order[5] == "ack");
  REQUIRE(journal_order[6] == "request");

  std::istringstream in(sink.str());
  std::vector<std::string> file_order;
  for (const Event& e : read_journal(in)) file_order.push_back(event_type(e.body));
  REQUIRE(file_order == journal_order);
}

TEST_CASE("Journal request status names round-trip", "[sim][journal]") {
  for (RequestStatus s : {RequestStatus::kOk, RequestStatus::kFallback, RequestStatus::kError,
                          RequestStatus::kTimeout}) {
    REQUIRE(parse_request_status(to_string(s)) == s);
  }
  REQUIRE(std::string(to_string(RequestStatus::kTimeout)) == "timeout");
  REQUIRE_FALSE(parse_request_status("OK").has_value());
  REQUIRE_FALSE(parse_request_status("").has_value());
}

TEST_CASE("An alert_fire line from before the source field reads as the detector's", "[sim][journal]") {
  const Event e = parse_event_line(R"({"t_us":7,"type":"alert_fire","name":"A","severity":"page","value":1,"summary":"s"})", 1);
  REQUIRE(std::get<AlertFireEvent>(e.body).source == "detector");
  const Event m = parse_event_line(
      R"({"t_us":7,"type":"alert_fire","name":"A","severity":"page","value":1,"summary":"s","source":"alertmanager"})", 1);
  REQUIRE(std::get<AlertFireEvent>(m.body).source == "alertmanager");
  // A required field is still required.
  REQUIRE_THROWS_WITH(parse_event_line(R"({"t_us":7,"type":"alert_fire","name":"A","value":1,"summary":"s"})", 3),
                      Catch::Contains("severity"));
}

TEST_CASE("Journal writes the noop and grouped flags only when they are set", "[sim][journal]") {
  CHECK(line_of({0, ControlChangeEvent{"flag", "safe-mode", "on", "on", "api", true}}) ==
        R"({"t_us":0,"type":"control_change","what":"flag","key":"safe-mode","from":"on","to":"on","by":"api","noop":true})");
  CHECK(line_of({0, ControlChangeEvent{"flag", "safe-mode", "off", "on", "api", false}}) ==
        R"({"t_us":0,"type":"control_change","what":"flag","key":"safe-mode","from":"off","to":"on","by":"api"})");
  CHECK(line_of({5, AlertFireEvent{"Errors", "page", 0.5, "s", "detector", true}}) ==
        R"({"t_us":5,"type":"alert_fire","name":"Errors","severity":"page","value":0.5,"summary":"s","source":"detector","grouped":true})");
  CHECK(line_of({5, AlertFireEvent{"Errors", "page", 0.5, "s", "detector", false}}) ==
        R"({"t_us":5,"type":"alert_fire","name":"Errors","severity":"page","value":0.5,"summary":"s","source":"detector"})");
  const Event back = parse_event_line(line_of({0, ControlChangeEvent{"route", "", "a", "a", "x", true}}), 1);
  CHECK(std::get<ControlChangeEvent>(back.body).noop);
  const Event plain = parse_event_line(line_of({0, ControlChangeEvent{"route", "", "a", "b", "x", false}}), 1);
  CHECK_FALSE(std::get<ControlChangeEvent>(plain.body).noop);
  const Event grouped = parse_event_line(line_of({5, AlertFireEvent{"E", "page", 1, "s", "detector", true}}), 1);
  CHECK(std::get<AlertFireEvent>(grouped.body).grouped);
}

TEST_CASE("Journal writes the judge's reason only when there is one, and reads it back", "[sim][journal]") {
  RequestEvent r;
  r.id = 7;
  r.unsafe = true;
  r.unsafe_kind = "hallucination";
  r.judge = "states procedure code 99499 that no cited record holds";
  const std::string line = line_of({3, r});
  CHECK(line.find(R"("unsafe_kind":"hallucination","judge":"states procedure code 99499 that no cited record holds"})") !=
        std::string::npos);
  CHECK(std::get<RequestEvent>(parse_event_line(line, 1).body).judge == r.judge);
  r.judge.clear();
  const std::string plain = line_of({3, r});
  CHECK(plain.find("judge") == std::string::npos);
  CHECK(plain.find(R"("unsafe_kind":"hallucination"})") != std::string::npos);
  CHECK(std::get<RequestEvent>(parse_event_line(plain, 1).body).judge.empty());
}

TEST_CASE("A journal that keeps no events still writes and delivers each one", "[sim][journal]") {
  Journal j;
  j.keep_events(false);
  j.reserve(1'000'000);  // nothing to reserve
  std::ostringstream sink;
  j.set_sink(&sink);
  std::vector<std::string> seen;
  j.subscribe([&](const Event& e) {
    seen.push_back(event_type(e.body));
    // An observer's own append is recorded after the current event, as when events are kept.
    if (std::holds_alternative<FaultStartEvent>(e.body)) j.append(e.t, RunEndEvent{"completed"});
  });
  j.append(1, RunStartEvent{});
  j.append(2, sample_request());
  CHECK(std::holds_alternative<RequestEvent>(j.last().body));
  j.append(3, FaultStartEvent{"f", "ehr", "error", "", ""});
  j.flush();
  CHECK(j.events().empty());
  CHECK(j.size() == 4);
  CHECK(seen == std::vector<std::string>{"run_start", "request", "fault_start", "run_end"});
  CHECK(std::holds_alternative<RunEndEvent>(j.last().body));
  std::istringstream in(sink.str());
  CHECK(read_journal(in).size() == 4);
}

namespace {

// What a journal wrote and what its observers saw, for the same appends with and without a
// background writer: a detector-like observer appends an alert after every unsafe request.
struct Written {
  std::string file;
  std::vector<std::string> observed;  // subscribe()
  std::vector<std::string> behind;    // subscribe_behind()
};

Written write_run(bool background, std::size_t requests) {
  std::ostringstream sink;
  Written w;
  {
    Journal j;
    j.keep_events(false);
    j.set_sink(&sink);
    std::vector<std::string> behind;
    j.subscribe([&](const Event& e) {
      w.observed.push_back(event_type(e.body));
      if (const auto* r = std::get_if<RequestEvent>(&e.body); r && r->unsafe) {
        j.append(e.t, AlertFireEvent{"Unsafe", "page", 1, r->unsafe_kind});
      }
    });
    j.subscribe_behind([&](const Event& e) {
      behind.push_back(std::string(event_type(e.body)) + "@" + std::to_string(e.t));
    });
    std::optional<JournalBackground> writer;
    if (background) writer.emplace(j);
    j.append(0, RunStartEvent{});
    for (std::size_t i = 0; i < requests; ++i) {
      RequestEvent r = sample_request();
      r.id = i;
      r.unsafe = i % 97 == 5;
      r.unsafe_kind = r.unsafe ? "hallucination" : "";
      j.append(static_cast<SimTime>(i + 1), r);
      // The event recorded last is readable until the next append: the request, or the
      // alert its observer appended.
      if (r.unsafe) {
        REQUIRE(std::holds_alternative<AlertFireEvent>(j.last().body));
      } else {
        REQUIRE(std::get<RequestEvent>(j.last().body).id == i);
      }
    }
    j.append(static_cast<SimTime>(requests + 1), RunEndEvent{"completed"});
    j.flush();
    // Every line is out and every behind observer has run once flush() returns.
    w.file = sink.str();
    w.behind = behind;
  }
  REQUIRE(sink.str() == w.file);  // nothing more came after flush()
  return w;
}

}  // namespace

TEST_CASE("A background writer writes the same bytes and feeds observers the same events in order", "[sim][journal]") {
  // Several batches and a partial one; and a run smaller than one batch.
  for (const std::size_t requests : {3000u, 7u}) {
    const Written in_place = write_run(false, requests);
    const Written behind = write_run(true, requests);
    REQUIRE(behind.file == in_place.file);
    REQUIRE(behind.observed == in_place.observed);
    REQUIRE(behind.behind == in_place.behind);
    REQUIRE(in_place.behind.size() == in_place.observed.size());
    std::istringstream in(behind.file);
    REQUIRE(read_journal(in).size() == requests + 2 + (requests + 91) / 97);
  }
}

TEST_CASE("A background observer's exception is rethrown by flush and the writer stops cleanly", "[sim][journal]") {
  std::ostringstream sink;
  Journal j;
  j.keep_events(false);
  j.set_sink(&sink);
  std::size_t seen = 0;
  j.subscribe_behind([&](const Event&) {
    if (++seen == 300) throw std::runtime_error("traces disk full");
  });
  {
    JournalBackground writer(j);
    j.append(0, RunStartEvent{});
    // The failure happens on the writer's thread; a later append() or flush() reports it.
    bool thrown = false;
    try {
      for (int i = 1; i < 2000; ++i) j.append(i, sample_request());
      j.flush();
    } catch (const std::runtime_error& e) {
      thrown = true;
      CHECK(std::string(e.what()) == "traces disk full");
    }
    CHECK(thrown);
    CHECK_THROWS_AS(j.flush(), std::runtime_error);
  }  // the writer's destructor drops the error and joins its thread
  CHECK(seen == 300);  // nothing observed after the failure
  CHECK(sink.str().size() > 0);
}

TEST_CASE("A background writer changes nothing for a journal that keeps its events", "[sim][journal]") {
  Journal j;
  std::vector<SimTime> behind;
  j.subscribe_behind([&](const Event& e) { behind.push_back(e.t); });
  JournalBackground writer(j);
  for (const Event& e : one_of_each()) j.append(e.t, e.body);
  // Kept events are delivered in place, at once.
  REQUIRE(behind.size() == one_of_each().size());
  REQUIRE(j.events().size() == one_of_each().size());
  REQUIRE(&j.last() == &j.events().back());
}

namespace {

// Fills in a request's judge reason; counts where it ran and when it was freed (on either thread).
struct NoteCompletion final : EventCompletion {
  NoteCompletion(std::string note, std::vector<std::thread::id>* ran, std::atomic<int>* alive)
      : note_(std::move(note)), ran_(ran), alive_(alive) {
    ++*alive_;
  }
  ~NoteCompletion() override { --*alive_; }
  void complete(EventBody& body) override {
    std::get<RequestEvent>(body).judge = note_;
    const std::lock_guard<std::mutex> lock(ran_mutex());  // completed on either thread
    ran_->push_back(std::this_thread::get_id());
  }
  static std::mutex& ran_mutex() {
    static std::mutex m;
    return m;
  }
  std::string note_;
  std::vector<std::thread::id>* ran_;
  std::atomic<int>* alive_;
};

// Appends `n` requests with completions (and a fault event without one between them); returns
// the file. `front`: with a subscribe() observer, which must see every request completed.
std::string write_completed(bool background, bool front, std::size_t n, std::vector<std::thread::id>& ran) {
  std::ostringstream sink;
  std::atomic<int> alive = 0;
  std::vector<std::string> behind;
  {
    Journal j;
    j.keep_events(false);
    j.set_sink(&sink);
    if (front) {
      j.subscribe([&](const Event& e) {
        if (const auto* r = std::get_if<RequestEvent>(&e.body)) REQUIRE(r->judge == "note " + std::to_string(r->id));
      });
    }
    j.subscribe_behind([&](const Event& e) {
      if (const auto* r = std::get_if<RequestEvent>(&e.body)) behind.push_back(r->judge);
    });
    std::optional<JournalBackground> writer;
    if (background) writer.emplace(j);
    j.append(0, RunStartEvent{});
    for (std::size_t i = 0; i < n; ++i) {
      auto completion = std::make_unique<NoteCompletion>("note " + std::to_string(i), &ran, &alive);
      const auto fill = [&](RequestEvent& r) {
        r = sample_request();
        r.id = i;
        r.judge.clear();
      };
      if (i % 2 == 0) {
        RequestEvent r;
        fill(r);
        j.append(static_cast<SimTime>(i + 1), std::move(r), std::move(completion));
      } else {  // built in place (in the writer's batch when there is one)
        j.append_new<RequestEvent>(static_cast<SimTime>(i + 1), fill, std::move(completion));
      }
      // Completed at once, unless the background writer completes it (then last() is the
      // event as appended).
      const bool deferred = background && !front;
      REQUIRE(std::get<RequestEvent>(j.last().body).judge == (deferred ? "" : "note " + std::to_string(i)));
      if (i % 100 == 0) {
        j.append(static_cast<SimTime>(i + 1), FaultStartEvent{"f", "ehr", "error", "", ""});
        // The writer never falls two batches behind here, so every completion is its own
        // (a writer that falls behind leaves them to the appender: see the next test).
        j.catch_up();
      }
    }
    j.catch_up();
    // Every completion has run, and has been freed, once catch_up() returns.
    REQUIRE(ran.size() == n);
    REQUIRE(alive == 0);
    REQUIRE(behind.size() == n);
    for (std::size_t i = 0; i < n; ++i) REQUIRE(behind[i] == "note " + std::to_string(i));
    j.append(static_cast<SimTime>(n + 1), RunEndEvent{"completed"});
    j.flush();
  }
  return sink.str();
}

}  // namespace

TEST_CASE("A completion fills in its event before any line is written or behind observer sees it", "[sim][journal]") {
  // Half the requests are appended whole and half built in place (append_new).
  std::vector<std::thread::id> in_place, deferred, with_front;
  const std::string expected = write_completed(false, false, 1000, in_place);
  // On the background writer's thread: the same bytes.
  REQUIRE(write_completed(true, false, 1000, deferred) == expected);
  // A subscribe() observer must see completed events: completed at once on the appender's thread.
  REQUIRE(write_completed(true, true, 1000, with_front) == expected);
  const auto here = std::this_thread::get_id();
  CHECK(std::all_of(in_place.begin(), in_place.end(), [&](std::thread::id t) { return t == here; }));
  CHECK(std::all_of(with_front.begin(), with_front.end(), [&](std::thread::id t) { return t == here; }));
  CHECK(std::none_of(deferred.begin(), deferred.end(), [&](std::thread::id t) { return t == here; }));
  std::istringstream in(expected);
  const auto events = read_journal(in);
  REQUIRE(events.size() == 1000 + 10 + 2);
  CHECK(std::get<RequestEvent>(events[1].body).judge == "note 0");
}

TEST_CASE("A writer that falls behind leaves completions to the appending thread", "[sim][journal]") {
  // The writer's observer stalls on the first event (as a slow traces file would) until the
  // appender has handed it two more batches: from then on, appends complete their events at
  // once. The file is the same either way.
  std::ostringstream sink;
  std::vector<std::thread::id> ran;
  std::atomic<int> alive = 0;
  std::mutex m;
  std::condition_variable cv;
  bool release = false;
  bool stuck = false;  // the writer has taken batch 1 and waits in the observer
  constexpr std::size_t kEvents = 3 * 256 + 10;
  std::size_t completed_at_once = 0;
  {
    Journal j;
    j.keep_events(false);
    j.set_sink(&sink);
    j.subscribe_behind([&](const Event&) {
      std::unique_lock<std::mutex> lock(m);
      stuck = true;
      cv.notify_all();
      cv.wait(lock, [&] { return release; });
    });
    JournalBackground writer(j);
    // Releases the observer however the block ends (a failed REQUIRE must not leave the
    // writer's destructor waiting on it).
    struct Release {
      std::mutex& m;
      std::condition_variable& cv;
      bool& release;
      void now() {
        {
          const std::lock_guard<std::mutex> lock(m);
          release = true;
        }
        cv.notify_all();
      }
      ~Release() { now(); }
    } releaser{m, cv, release};
    for (std::size_t i = 0; i < kEvents; ++i) {
      j.append_new<RequestEvent>(
          static_cast<SimTime>(i), [&](RequestEvent& r) { r.id = i; },
          std::make_unique<NoteCompletion>("note " + std::to_string(i), &ran, &alive));
      if (i == 256) {  // this append handed batch 1 over: wait until the writer is stuck in it
        std::unique_lock<std::mutex> lock(m);
        cv.wait(lock, [&] { return stuck; });
      }
      // The append that hands batch 3 over still leaves its event to the writer (one batch
      // waited then); after it, batch 1 is stuck with the writer and batches 2 and 3 wait.
      if (i > 3 * 256) {
        REQUIRE(std::get<RequestEvent>(j.last().body).judge == "note " + std::to_string(i));
        ++completed_at_once;
      } else {
        REQUIRE(std::get<RequestEvent>(j.last().body).judge.empty());
      }
    }
    releaser.now();
    j.flush();
    REQUIRE(alive == 0);
  }
  CHECK(completed_at_once == 9);
  CHECK(ran.size() == kEvents);
  std::istringstream in(sink.str());
  const auto events = read_journal(in);
  REQUIRE(events.size() == kEvents);
  for (std::size_t i = 0; i < kEvents; ++i) {
    REQUIRE(std::get<RequestEvent>(events[i].body).judge == "note " + std::to_string(i));
  }
}

TEST_CASE("scan_journal hands out each event with its line number and drops a cut tail", "[sim][journal]") {
  const std::string text = line_of({1, RunStartEvent{}}) + "\n\n" + line_of({2, sample_request()}) + "\n" +
                           R"({"t_us":3,"type":"run_e)";
  std::istringstream in(text);
  std::vector<std::size_t> lines;
  const JournalScan scan = scan_journal(in, [&](Event&, std::size_t line) { lines.push_back(line); });
  CHECK(lines == std::vector<std::size_t>{1, 3});
  CHECK(scan.events == 2);
  CHECK(scan.dropped_line == 4);
  CHECK_FALSE(scan.dropped_why.empty());
  // A bad line that is not the last throws naming it, after the events before it.
  std::istringstream bad(line_of({1, RunStartEvent{}}) + "\n{oops\n" + line_of({2, RunEndEvent{"x"}}) + "\n");
  lines.clear();
  CHECK_THROWS_AS(scan_journal(bad, [&](Event&, std::size_t line) { lines.push_back(line); }), JournalError);
  CHECK(lines == std::vector<std::size_t>{1});
}
