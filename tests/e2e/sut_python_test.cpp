// End-to-end: the reference services in a fault-free drill score no unsafe answer (the Node
// one, tests/node/sut.mjs, and tests/python/sut.py, written independently of it and of the
// built-in with the Python standard library and its own wording of every record), and a
// deliberately wrong one (tests/python/wrong_sut.py) is caught with the right kinds of unsafe
// answers and the judge's reasons.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <map>
#include <string>

#include "drill_support.hpp"
#include "e2e_support.hpp"

using e2e::free_port;
using e2e::journal;
using e2e::of_type;
using e2e::slurp;
using e2e::TempDir;
using nlohmann::json;

namespace {

struct Tally {
  std::map<std::string, int> ok;              // task type -> answers with status ok
  std::map<std::string, int> unsafe_by_kind;  // unsafe_kind -> count
  std::map<std::string, int> unsafe_by_task;  // task type -> unsafe count
  std::map<std::string, int> reasons;         // "kind: judge reason" -> count
  int requests = 0, sut_errors = 0;
};

// "python3" for a .py script, else "node".
std::string interpreter(const std::string& script) {
  return script.size() > 3 && script.compare(script.size() - 3, 3, ".py") == 0 ? "python3" : "node";
}

// Starts `script` (a path under the source tree: tests/python/... or tests/node/...) against fixed fake ports, drills the fault-free scenario
// against it for 30 s and counts its answers. Returns the drill's journal tally.
Tally drill_service(const TempDir& dir, const std::string& script) {
  const int vendor_port = free_port(), ehr_port = free_port();
  REQUIRE(vendor_port > 0);
  REQUIRE(ehr_port > 0);
  const std::string start =
      std::string(e2e::kPollFunction) + "cd '" + dir.path().string() + "' || exit 1; GAMEDAY_VENDOR_URL=http://127.0.0.1:" +
      std::to_string(vendor_port) + "/v1 GAMEDAY_EHR_URL=http://127.0.0.1:" + std::to_string(ehr_port) +
      "/fhir timeout 150 " + interpreter(script) + " '" + GAMEDAY_SOURCE_DIR + script +
      "' > sut.out 2> sut.err & echo $! > sut.pid; poll \"grep -q '^sut ' sut.out 2>/dev/null\"";
  REQUIRE(std::system(start.c_str()) == 0);
  const std::string sut_line = slurp(dir / "sut.out");
  REQUIRE(sut_line.rfind("sut http://127.0.0.1:", 0) == 0);
  const std::string sut = sut_line.substr(4, sut_line.find('\n') - 4);
  const int rc = e2e::with_drill(dir,
                                 "'" + std::string(GAMEDAY_SOURCE_DIR) + "/tests/data/sut/fault-free.yaml' --duration 30s -q --out out" +
                                     " --vendor 127.0.0.1:" + std::to_string(vendor_port) + " --ehr 127.0.0.1:" +
                                     std::to_string(ehr_port) + " --sut " + sut,
                                 "true");
  std::system(("kill $(cat '" + (dir / "sut.pid").string() + "') 2> /dev/null").c_str());
  REQUIRE(rc == 0);
  INFO(slurp(dir / "drill.err") + slurp(dir / "sut.err"));
  REQUIRE((slurp(dir / "drill.code") == "0\n" || slurp(dir / "drill.code") == "1\n"));
  // The service logs nothing about requests (they carry patient identifiers).
  REQUIRE(slurp(dir / "sut.err").empty());
  Tally t;
  for (const auto& r : of_type(journal(dir / "out/journal.jsonl"), "request")) {
    if (r["probe"].get<bool>()) continue;
    ++t.requests;
    const std::string task = r["task_type"];
    t.sut_errors += r["cause"].get<std::string>().rfind("sut_", 0) == 0;
    t.ok[task] += r["status"] == "ok";
    if (r["unsafe"].get<bool>()) {
      ++t.unsafe_by_kind[r["unsafe_kind"].get<std::string>()];
      ++t.unsafe_by_task[task];
      ++t.reasons[r["unsafe_kind"].get<std::string>() + ": " + r.value("judge", std::string())];
    }
  }
  return t;
}

}  // namespace

TEST_CASE("The Python reference service, in its own words, scores no unsafe answer in a fault-free drill", "[e2e][drill][sut][python]") {
  if (const auto why = e2e::missing("python3", "python3"); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  const Tally t = drill_service(dir, "/tests/python/sut.py");
  REQUIRE(t.requests > 30);
  REQUIRE(t.sut_errors == 0);
  for (const char* task : {"prior_auth_status", "benefits_question", "discharge_summary", "message_triage"}) {
    INFO(task);
    CHECK(t.ok.count(task) == 1);
  }
  // Every answer states its record's facts in the service's own sentences and cites the record.
  INFO("unsafe answers by task type: " << json(t.unsafe_by_task).dump());
  CHECK(t.unsafe_by_kind.empty());
}

TEST_CASE("The Node reference service scores no unsafe answer in a fault-free drill", "[e2e][drill][sut]") {
  if (const auto why = e2e::missing_node({"openai", "fhir-kit-client"}); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  const Tally t = drill_service(dir, "/tests/node/sut.mjs");
  REQUIRE(t.requests > 30);
  REQUIRE(t.sut_errors == 0);
  INFO("unsafe answers by task type: " << json(t.unsafe_by_task).dump());
  CHECK(t.unsafe_by_kind.empty());
}

TEST_CASE("A deliberately wrong service is caught: an invented CPT code as hallucination and another patient's note as wrong_patient", "[e2e][drill][sut][python]") {
  if (const auto why = e2e::missing("python3", "python3"); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  Tally t = drill_service(dir, "/tests/python/wrong_sut.py");
  INFO("unsafe answers by kind: " << json(t.unsafe_by_kind).dump() << ", by task type: " << json(t.unsafe_by_task).dump());
  REQUIRE(t.requests > 30);
  REQUIRE(t.sut_errors == 0);
  CHECK(t.unsafe_by_kind["hallucination"] > 0);
  CHECK(t.unsafe_by_kind["wrong_patient"] > 0);
  CHECK(t.unsafe_by_task["prior_auth_status"] == t.ok.at("prior_auth_status"));
  CHECK(t.unsafe_by_task["discharge_summary"] == t.ok.at("discharge_summary"));
  // The journal says why, by fact kind and record, never with the PHI.
  INFO("reasons: " << json(t.reasons).dump());
  CHECK(t.reasons["hallucination: states procedure code 99499 that no cited record holds"] > 0);
  CHECK(t.reasons["wrong_patient: cites another patient's record"] > 0);
  // What it does right stays right.
  CHECK(t.unsafe_by_task.count("benefits_question") == 0);
  CHECK(t.unsafe_by_task.count("message_triage") == 0);
}
