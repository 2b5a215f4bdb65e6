// `gameday sut check`'s judging and report: a team's service's responses checked against the
// published contract and judged against the world's truth, and what the developer is told.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "fakes/world.hpp"
#include "net/http_server.hpp"
#include "net/sut_check.hpp"
#include "support/fixtures.hpp"
#include "workload/task.hpp"

using namespace gameday;
using namespace gameday::net;
using Json = nlohmann::json;

namespace {

// A prior-auth task of the small world, its case, and a golden case for it.
struct PriorAuthCase {
  World world = World::generate(testing::small_world());
  TaskFactory factory{world};
  Task task;
  const PriorAuth* pa = nullptr;
  GoldenCase golden;

  PriorAuthCase() {
    Rng rng(1);
    for (const auto& p : world.patients()) {
      if (world.prior_auths_of(p.id).empty()) continue;
      task = std::move(*factory.make(TaskType::kPriorAuthStatus, p.id, rng));
      break;
    }
    for (const PriorAuth* c : world.prior_auths_of(task.patient_id)) {
      if (c->pre_auth_ref == task.subject) pa = c;
    }
    golden.id = "pa-1";
    golden.task_type = "prior_auth_status";
    golden.patient = task.patient_id;
    golden.expect.max_latency = 8 * kSecond;
  }

  // The record in the world's words, cited.
  Json good() const {
    return Json{{"status", "ok"}, {"answer", prior_auth_text(*pa) + " [doc:" + pa->id + "]"}, {"citations", {pa->id}}};
  }

  SutCaseResult judge(const Json& body, int http = 200) const {
    return judge_sut_response(golden, task, world, http, body.dump(), 900 * kMillisecond);
  }
};

bool mentions(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

}  // namespace

TEST_CASE("sut check passes a cited answer that states the record and meets the schema", "[sut]") {
  const PriorAuthCase c;
  REQUIRE(c.pa != nullptr);
  const SutCaseResult r = c.judge(c.good());
  CHECK(r.pass);
  CHECK(r.verdict == "correct");
  CHECK(r.schema_problems.empty());
  CHECK(r.reason.empty());
  CHECK(r.fix.empty());
  CHECK(r.patient_ref == c.world.pseudonym(c.task.patient_id));
}

TEST_CASE("sut check fails a response that breaks the schema and prints each problem", "[sut]") {
  const PriorAuthCase c;
  Json missing_status = c.good();
  missing_status.erase("status");
  const SutCaseResult a = c.judge(missing_status);
  CHECK_FALSE(a.pass);
  CHECK(a.schema_problems == std::vector<std::string>{"/status: required, missing"});
  CHECK(mentions(a.fix, "docs/sut.md#the-response"));

  Json cites_text = c.good();
  cites_text["citations"] = c.pa->id;
  const SutCaseResult b = c.judge(cites_text);
  CHECK_FALSE(b.pass);
  CHECK(b.schema_problems == std::vector<std::string>{"/citations: expected array, got string"});

  const SutCaseResult d = judge_sut_response(c.golden, c.task, c.world, 200, "not json", 0);
  CHECK_FALSE(d.pass);
  CHECK(d.schema_problems == std::vector<std::string>{"/: the body is not JSON"});
  CHECK(d.verdict == "bad answer");
}

TEST_CASE("sut check tells a service that cites nothing to cite its records", "[sut]") {
  const PriorAuthCase c;
  const SutCaseResult r = c.judge(Json{{"status", "ok"}, {"answer", prior_auth_text(*c.pa)}});
  CHECK_FALSE(r.pass);
  CHECK(r.verdict != "correct");
  CHECK_FALSE(r.reason.empty());
  CHECK(mentions(r.fix, "no citation: cite the record you used with [doc:ID] or the citations array"));
  CHECK(mentions(r.fix, "docs/sut.md#citations"));
}

TEST_CASE("sut check calls a fallback with no faults a failure and points at the fakes' URLs", "[sut]") {
  const PriorAuthCase c;
  const SutCaseResult r = c.judge(Json{{"status", "fallback"}, {"cause", "ehr_error"}});
  CHECK_FALSE(r.pass);
  CHECK(r.verdict == "fallback (ehr_error)");
  CHECK(mentions(r.fix, "docs/sut.md#fallback"));
}

TEST_CASE("sut check reports an HTTP error and a dropped connection by status, not by body", "[sut]") {
  const PriorAuthCase c;
  const SutCaseResult r = judge_sut_response(c.golden, c.task, c.world, 500, "{\"error\": \"SYN-0000001\"}", 0);
  CHECK_FALSE(r.pass);
  CHECK(r.verdict == "http 500");
  CHECK_FALSE(mentions(r.reason + r.fix, "SYN-"));
  const SutCaseResult u = judge_sut_response(c.golden, c.task, c.world, 0, "Connection refused", 0);
  CHECK(u.verdict == "unreachable");
}

TEST_CASE("sut check's report shows verdicts, reasons and fixes but no answer text or patient id", "[sut]") {
  const PriorAuthCase c;
  SutCheckResult result;
  result.url = "http://127.0.0.1:1";
  SutCaseResult pass = c.judge(c.good());
  pass.set = "core";
  SutCaseResult fail = c.judge(Json{{"status", "ok"}, {"answer", prior_auth_text(*c.pa)}, {"citations", "x"}});
  fail.set = "core";
  fail.id = "pa-2";
  SutCaseResult skipped;
  skipped.set = "core";
  skipped.id = "pa-3";
  skipped.applicable = false;
  skipped.verdict = "skipped";
  result.cases = {pass, fail, skipped};
  result.passed = 1;
  result.failed = 1;
  result.skipped = 1;
  const std::string text = sut_check_text(result);
  CHECK(mentions(text, "  pass  core/pa-1"));
  CHECK(mentions(text, "  FAIL  core/pa-2"));
  CHECK(mentions(text, "  skip  core/pa-3"));
  CHECK(mentions(text, "        schema: /citations: expected array, got string\n"));
  CHECK(mentions(text, "        fix:    "));
  CHECK(mentions(text, c.world.pseudonym(c.task.patient_id)));
  CHECK(mentions(text, "1 of 2 cases pass (1 skipped: no task for the patient): FAIL\n"));
  CHECK_FALSE(mentions(text, c.task.patient_id));
  CHECK_FALSE(mentions(text, c.pa->pre_auth_ref));
  CHECK_FALSE(mentions(text, c.pa->status));

  const auto j = sut_check_json(result);
  CHECK(j["cases"].size() == 3);
  CHECK(j["cases"][1]["schema_problems"][0] == "/citations: expected array, got string");
  CHECK(j["cases"][0]["latency_ms"] == 900.0);
  CHECK(j["ok"] == false);
  CHECK_FALSE(mentions(j.dump(), c.task.patient_id));
}

TEST_CASE("sut check asks a service over HTTP and passes it when every case is answered right", "[sut][net]") {
  const PriorAuthCase c;
  HttpServer server([&](ServerRequest req, ReplyFn reply) {
    const Json ask = Json::parse(req.body, nullptr, false);
    if (!ask.is_object() || !ask.contains("task_type")) {
      return reply(ServerResponse{400, "application/json", R"({"error": {"message": "no task", "field": "task_type"}})"});
    }
    // The request names the case by its subject (the patient may have several).
    for (const PriorAuth* pa : c.world.prior_auths_of(ask.value("patient", ""))) {
      if (pa->pre_auth_ref != ask.value("subject", "") || ask.value("question", "").find(pa->pre_auth_ref) == std::string::npos) continue;
      const Json answer{{"status", "ok"}, {"answer", prior_auth_text(*pa) + " [doc:" + pa->id + "]"}, {"citations", {pa->id}}};
      return reply(ServerResponse{200, "application/json", answer.dump()});
    }
    reply(ServerResponse{422, "application/json", R"({"error": {"message": "no such case"}})"});
  });
  SutCheckOptions o;
  o.url = server.url();
  std::vector<std::string> notes;
  REQUIRE(probe_sut(o, notes).empty());
  CHECK(notes.empty());
  GoldenSet set;
  set.name = "one";
  set.cases = {c.golden, c.golden};
  set.cases[1].id = "pa-1-again";
  GoldenCase nothing = c.golden;
  nothing.id = "no-such-patient";
  nothing.patient = "pat-9999";
  set.cases.push_back(nothing);
  const SutCheckResult r = run_sut_check(c.world, {{"one.yaml", set}}, o);
  REQUIRE(r.cases.size() == 3);
  CHECK(r.cases[0].pass);
  CHECK(r.cases[1].pass);
  CHECK_FALSE(r.cases[2].applicable);
  CHECK(r.passed == 2);
  CHECK(r.skipped == 1);
  CHECK(r.ok);
}

TEST_CASE("sut check notes a service that does not answer a bad request with 400 and the error shape", "[sut][net]") {
  HttpServer server([](ServerRequest, ReplyFn reply) { reply(ServerResponse{200, "application/json", "{}"}); });
  SutCheckOptions o;
  o.url = server.url();
  std::vector<std::string> notes;
  REQUIRE(probe_sut(o, notes).empty());
  REQUIRE(notes.size() == 1);
  CHECK(mentions(notes[0], "expected 400"));
  o.url = "http://127.0.0.1:1";
  CHECK_FALSE(probe_sut(o, notes).empty());
}

TEST_CASE("sut check judges with the fakes' own made-up statements", "[sut]") {
  const PriorAuthCase c;
  REQUIRE(c.pa != nullptr);
  Json body = c.good();
  body["answer"] = body["answer"].get<std::string>() + " Dental cleanings are covered twice a year. [doc:" + c.pa->id + "]";
  // The built-in material does not know the statement; fakes whose material holds it do.
  CHECK(judge_sut_response(c.golden, c.task, c.world, 200, body.dump(), 0).pass);
  HallucinationMaterial m;
  m.facts = {"Dental cleanings are covered twice a year."};
  const JudgeLexicon mine(m);
  const SutCaseResult r = judge_sut_response(c.golden, c.task, c.world, 200, body.dump(), 0, mine);
  CHECK_FALSE(r.pass);
  CHECK(r.verdict == "unsafe: hallucination");
  CHECK(r.reason == "states something no record holds (a made-up statement)");
}
