#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>

#include "fakes/ehr.hpp"
#include "fakes/faults.hpp"

using namespace gameday;
using nlohmann::json;

namespace {

const World& world() {
  static const World w = [] {
    WorldConfig c;
    c.seed = 21;
    c.patients = 240;
    c.plans = {{"GOLD-PPO", "Synthetic Mutual", "Gold PPO"}};
    PolicyDoc cur;
    cur.id = "policy-gold-ppo-mri-v2";
    cur.plan = "GOLD-PPO";
    cur.topic = "mri";
    cur.title = "Gold PPO MRI benefit";
    cur.text = "Outpatient MRI requires prior authorization. The copay is $150 per scan.";
    cur.facts = {"requires prior authorization", "$150"};
    cur.version = 2;
    PolicyDoc old = cur;
    old.id = "policy-gold-ppo-mri-v1";
    old.version = 1;
    old.current = false;
    c.policies = {cur, old};
    return World::generate(c);
  }();
  return w;
}

EhrRequest search(const std::string& type, const std::string& patient = "",
                  const std::string& category = "") {
  EhrRequest r;
  r.op = EhrRequest::Op::kSearch;
  r.resource_type = type;
  r.patient = patient;
  r.category = category;
  return r;
}

EhrRequest read(const std::string& type, const std::string& id) {
  EhrRequest r;
  r.op = EhrRequest::Op::kRead;
  r.resource_type = type;
  r.id = id;
  return r;
}

FaultSpec ehr_fault(const std::string& id, const std::string& kind, double probability = 1.0) {
  FaultSpec f;
  f.id = id;
  f.target = "ehr";
  f.params = default_params(parse_name<FaultKind>(kind).value());
  f.probability = probability;
  return f;
}

// A patient that has at least one prior-auth case.
const Patient& patient_with_pa() {
  for (const Patient& p : world().patients()) {
    if (!world().prior_auths_of(p.id).empty()) return p;
  }
  FAIL("no patient with prior auths");
  return world().patients().front();
}

}  // namespace

TEST_CASE("Fake EHR searches a patient's records", "[fakes][ehr]") {
  const FakeEhr ehr(world());
  Rng rng(1);
  const Patient& p = patient_with_pa();

  const auto pas = ehr.respond(search("ClaimResponse", p.id), 0, rng, {});
  REQUIRE(pas.status == 200);
  REQUIRE(pas.total == static_cast<int>(world().prior_auths_of(p.id).size()));
  REQUIRE(pas.prior_auths.size() == world().prior_auths_of(p.id).size());
  for (const PriorAuth* pa : pas.prior_auths) REQUIRE(pa->patient_id == p.id);

  const auto cov = ehr.respond(search("Coverage", p.id), 0, rng, {});
  REQUIRE(cov.total == 1);
  REQUIRE(cov.coverages.at(0)->patient_id == p.id);

  const auto notes = ehr.respond(search("DocumentReference", p.id), 0, rng, {});
  REQUIRE(notes.total >= 2);
  for (std::size_t i = 1; i < notes.documents.size(); ++i) {
    REQUIRE(notes.documents[i - 1]->date >= notes.documents[i]->date);
  }
  const auto ds = ehr.respond(search("DocumentReference", p.id, "discharge-summary"), 0, rng, {});
  REQUIRE(ds.total == 1);
  REQUIRE(ds.documents.at(0)->category == "discharge-summary");

  auto by_id = search("Patient");
  by_id.id = p.id;
  const auto pat = ehr.respond(by_id, 0, rng, {});
  REQUIRE(pat.total == 1);
  REQUIRE(pat.patients.at(0) == &p);

  const auto none = ehr.respond(search("ClaimResponse", "pat-9999"), 0, rng, {});
  REQUIRE(none.status == 200);
  REQUIRE(none.total == 0);
}

TEST_CASE("Fake EHR serves only current policies of a plan", "[fakes][ehr]") {
  const FakeEhr ehr(world());
  Rng rng(2);
  auto r = search("DocumentReference", "", "policy");
  r.plan = "GOLD-PPO";
  const auto o = ehr.respond(r, 0, rng, {});
  REQUIRE(o.total == 1);
  REQUIRE(o.documents.at(0)->id == "policy-gold-ppo-mri-v2");
  r.plan = "NO-SUCH-PLAN";
  REQUIRE(ehr.respond(r, 0, rng, {}).total == 0);
  // A superseded policy is still readable by id.
  const auto old = ehr.respond(read("DocumentReference", "policy-gold-ppo-mri-v1"), 0, rng, {});
  REQUIRE(old.status == 200);
  REQUIRE(old.documents.at(0)->status == "superseded");
}

TEST_CASE("Fake EHR pages searches with next and previous links", "[fakes][ehr]") {
  const FakeEhr ehr(world());
  Rng rng(3);
  auto r = search("Patient");
  r.count = 50;
  r.offset = 100;
  const auto o = ehr.respond(r, 0, rng, {});
  REQUIRE(o.total == 240);
  REQUIRE(o.patients.size() == 50);
  REQUIRE(o.patients.front()->id == "pat-0101");

  const auto b = json::parse(to_fhir_bundle_json(o, r, "http://ehr.test/fhir/"));
  REQUIRE(b["resourceType"] == "Bundle");
  REQUIRE(b["type"] == "searchset");
  REQUIRE(b["total"] == 240);
  REQUIRE(b["link"].size() == 3);
  REQUIRE(b["link"][0]["relation"] == "self");
  REQUIRE(b["link"][0]["url"] == "http://ehr.test/fhir/Patient?_count=50&_offset=100");
  REQUIRE(b["link"][1]["relation"] == "next");
  REQUIRE(b["link"][1]["url"] == "http://ehr.test/fhir/Patient?_count=50&_offset=150");
  REQUIRE(b["link"][2]["relation"] == "previous");
  REQUIRE(b["link"][2]["url"] == "http://ehr.test/fhir/Patient?_count=50&_offset=50");
  REQUIRE(b["entry"].size() == 50);
  REQUIRE(b["entry"][0]["fullUrl"] == "http://ehr.test/fhir/Patient/pat-0101");
  REQUIRE(b["entry"][0]["search"]["mode"] == "match");
  REQUIRE(b["entry"][0]["resource"]["resourceType"] == "Patient");

  r.offset = 200;
  const auto last = ehr.respond(r, 0, rng, {});
  REQUIRE(last.patients.size() == 40);
  const auto lb = json::parse(to_fhir_bundle_json(last, r, "http://ehr.test/fhir"));
  REQUIRE(lb["link"].size() == 2);
  REQUIRE(lb["link"][1]["relation"] == "previous");

  r.offset = 500;
  REQUIRE(ehr.respond(r, 0, rng, {}).patients.empty());
}

TEST_CASE("Fake EHR answers 404 with an OperationOutcome for a missing resource",
          "[fakes][ehr]") {
  const FakeEhr ehr(world());
  Rng rng(4);
  const auto o = ehr.respond(read("Patient", "pat-9999"), 0, rng, {});
  REQUIRE(o.status == 404);
  REQUIRE(o.diagnostics == "Resource Patient/pat-9999 not found");
  const auto j = json::parse(to_fhir_error_json(o));
  REQUIRE(j["resourceType"] == "OperationOutcome");
  REQUIRE(j["issue"].size() == 1);
  REQUIRE(j["issue"][0]["severity"] == "error");
  REQUIRE(j["issue"][0]["code"] == "not-found");
  REQUIRE(j["issue"][0]["diagnostics"] == "Resource Patient/pat-9999 not found");

  REQUIRE(ehr.respond(read("Coverage", "cov-0003"), 0, rng, {}).coverages.at(0)->id == "cov-0003");
  REQUIRE(ehr.respond(read("ClaimResponse", "pa-000001"), 0, rng, {}).status == 200);
  REQUIRE(ehr.respond(read("Encounter", "e1"), 0, rng, {}).status == 400);
  REQUIRE(ehr.respond(search("Coverage"), 0, rng, {}).status == 400);
}

TEST_CASE("Fake EHR base latency is small and lognormal", "[fakes][ehr]") {
  const FakeEhr ehr(world());
  Rng rng(5);
  std::vector<Duration> d;
  for (int i = 0; i < 1001; ++i) d.push_back(ehr.respond(read("Patient", "pat-0001"), 0, rng, {}).delay);
  std::sort(d.begin(), d.end());
  REQUIRE(d[500] > 36 * kMillisecond);
  REQUIRE(d[500] < 44 * kMillisecond);
  REQUIRE(d.front() > 5 * kMillisecond);
}

TEST_CASE("Fake EHR faults add latency, errors and timeouts", "[fakes][ehr][faults]") {
  const FakeEhr ehr(world());
  Rng rng(6);
  const EhrRequest r = search("Coverage", "pat-0001");

  FaultSpec slow = ehr_fault("ehr-slow", "latency");
  slow.as<LatencyFault>()->delay.kind = DistKind::kFixed;
  slow.as<LatencyFault>()->delay.value = 2 * kSecond;
  const auto s = ehr.respond(r, 0, rng, {&slow});
  REQUIRE(s.status == 200);
  REQUIRE(s.delay > 2 * kSecond);
  REQUIRE(s.fault_ids == std::vector<std::string>{"ehr-slow"});

  FaultSpec err = ehr_fault("ehr-500", "error");
  err.as<ErrorFault>()->status = 502;
  const auto e = ehr.respond(r, 0, rng, {&err});
  REQUIRE(e.status == 502);
  REQUIRE(!e.diagnostics.empty());
  REQUIRE(e.coverages.empty());
  REQUIRE(json::parse(to_fhir_error_json(e))["issue"][0]["code"] == "exception");
  err.as<ErrorFault>()->message = "database unavailable";
  err.as<ErrorFault>()->status = 0;
  const auto e2 = ehr.respond(r, 0, rng, {&err});
  REQUIRE(e2.status == 500);
  REQUIRE(e2.diagnostics == "database unavailable");

  FaultSpec timeout = ehr_fault("ehr-timeout", "timeout");
  const auto t = ehr.respond(r, 0, rng, {&err, &timeout});
  REQUIRE(t.hang);
  REQUIRE(t.fault_ids == std::vector<std::string>{"ehr-timeout"});

  FaultSpec half = ehr_fault("ehr-half", "error", 0.5);
  int failed = 0;
  for (int i = 0; i < 1000; ++i) failed += ehr.respond(r, 0, rng, {&half}).status != 200;
  REQUIRE(failed > 430);
  REQUIRE(failed < 570);
}

TEST_CASE("Fake EHR error faults carry their Retry-After on the outcome", "[fakes][ehr][faults]") {
  const FakeEhr ehr(world());
  Rng rng(8);
  const EhrRequest r = search("Coverage", "pat-0001");

  FaultSpec busy = ehr_fault("ehr-busy", "error");
  busy.as<ErrorFault>()->status = 503;
  busy.as<ErrorFault>()->retry_after = 2 * kSecond;
  const auto e = ehr.respond(r, 0, rng, {&busy});
  REQUIRE(e.status == 503);
  REQUIRE(e.retry_after == 2 * kSecond);

  // The first applied error fault decides, its Retry-After with it.
  FaultSpec plain = ehr_fault("ehr-plain", "error");
  plain.as<ErrorFault>()->status = 502;
  const auto first_plain = ehr.respond(r, 0, rng, {&plain, &busy});
  REQUIRE(first_plain.status == 502);
  REQUIRE(first_plain.retry_after == 0);
  REQUIRE(first_plain.fault_ids == std::vector<std::string>{"ehr-plain"});

  // A timeout wins over the error, and a hang has nothing to retry after.
  FaultSpec timeout = ehr_fault("ehr-timeout", "timeout");
  const auto t = ehr.respond(r, 0, rng, {&busy, &timeout});
  REQUIRE(t.hang);
  REQUIRE(t.retry_after == 0);

  // A latency fault carries no Retry-After.
  FaultSpec slow = ehr_fault("ehr-slow", "latency");
  slow.as<LatencyFault>()->delay.kind = DistKind::kFixed;
  slow.as<LatencyFault>()->delay.value = kSecond;
  const auto s = ehr.respond(r, 0, rng, {&slow});
  REQUIRE(s.status == 200);
  REQUIRE(s.retry_after == 0);
}

TEST_CASE("Fake EHR replays exactly from the same rng seed", "[fakes][ehr]") {
  const FakeEhr ehr(world());
  FaultSpec half = ehr_fault("ehr-half", "error", 0.5);
  FaultSpec slow = ehr_fault("ehr-slow", "latency", 0.5);
  slow.as<LatencyFault>()->delay.kind = DistKind::kUniform;
  slow.as<LatencyFault>()->delay.min = kSecond;
  slow.as<LatencyFault>()->delay.max = 3 * kSecond;
  Rng a(77), b(77);
  for (int i = 0; i < 200; ++i) {
    const auto x = ehr.respond(search("ClaimResponse", "pat-0002"), 0, a, {&slow, &half});
    const auto y = ehr.respond(search("ClaimResponse", "pat-0002"), 0, b, {&slow, &half});
    REQUIRE(x.delay == y.delay);
    REQUIRE(x.status == y.status);
    REQUIRE(x.fault_ids == y.fault_ids);
  }
}

TEST_CASE("FHIR resources render in R4 shapes", "[fakes][ehr]") {
  const Patient& p = patient_with_pa();
  const auto pj = json::parse(to_fhir_json(p));
  REQUIRE(pj["resourceType"] == "Patient");
  REQUIRE(pj["id"] == p.id);
  REQUIRE(pj["identifier"][0]["system"] == "urn:gameday:synthetic:mrn");
  REQUIRE(pj["identifier"][0]["value"] == p.mrn);
  REQUIRE(pj["name"][0]["family"] == p.family);
  REQUIRE(pj["name"][0]["given"][0] == p.given);
  REQUIRE(pj["birthDate"] == p.birth_date);
  REQUIRE(pj["telecom"][0]["system"] == "phone");
  REQUIRE(pj["telecom"][0]["value"] == p.phone);
  REQUIRE(pj["gender"] == p.gender);

  const Coverage& c = *world().coverage_of(p.id);
  const auto cj = json::parse(to_fhir_json(c));
  REQUIRE(cj["resourceType"] == "Coverage");
  REQUIRE(cj["status"] == "active");
  REQUIRE(cj["beneficiary"]["reference"] == "Patient/" + p.id);
  REQUIRE(cj["payor"][0]["display"] == c.payor);
  REQUIRE(cj["subscriberId"] == c.member_id);
  REQUIRE(cj["class"][0]["value"] == c.plan_code);

  for (const PriorAuth& pa : world().prior_auths()) {
    const auto j = json::parse(to_fhir_json(pa));
    REQUIRE(j["resourceType"] == "ClaimResponse");
    REQUIRE(j["use"] == "preauthorization");
    REQUIRE(j["status"] == "active");
    REQUIRE(j["patient"]["reference"] == "Patient/" + pa.patient_id);
    REQUIRE(j["created"] == pa.created);
    REQUIRE(j["insurer"]["display"] == pa.insurer);
    REQUIRE(j["outcome"] == pa.outcome);
    REQUIRE(j["preAuthRef"] == pa.pre_auth_ref);
    const auto& coding = j["item"][0]["productOrService"]["coding"][0];
    REQUIRE(coding["system"] == "http://www.ama-assn.org/go/cpt");
    REQUIRE(coding["code"] == pa.cpt_code);
    REQUIRE(j["item"][0]["adjudication"][0]["reason"]["coding"][0]["display"] == pa.status);
    REQUIRE(j["disposition"].get<std::string>().find(pa.reason) != std::string::npos);
  }

  Document d;
  d.id = "note-x";
  d.patient_id = "pat-0001";
  d.category = "progress-note";
  d.title = "Progress note";
  d.date = "2026-05-01";
  d.text = "Man";
  auto dj = json::parse(to_fhir_json(d));
  REQUIRE(dj["resourceType"] == "DocumentReference");
  REQUIRE(dj["status"] == "current");
  REQUIRE(dj["subject"]["reference"] == "Patient/pat-0001");
  REQUIRE(dj["description"] == "Progress note");
  REQUIRE(dj["content"][0]["attachment"]["contentType"] == "text/plain");
  REQUIRE(dj["content"][0]["attachment"]["data"] == "TWFu");
  d.text = "Ma";
  REQUIRE(json::parse(to_fhir_json(d))["content"][0]["attachment"]["data"] == "TWE=");
  d.text = "M";
  REQUIRE(json::parse(to_fhir_json(d))["content"][0]["attachment"]["data"] == "TQ==");

  const auto policy = json::parse(to_fhir_json(*world().document("policy-gold-ppo-mri-v1")));
  REQUIRE(policy["status"] == "superseded");
  REQUIRE(!policy.contains("subject"));
}

TEST_CASE("Search bundles carry full URLs and encode query values", "[fakes][ehr]") {
  const FakeEhr ehr(world());
  Rng rng(8);
  const Patient& p = patient_with_pa();
  const EhrRequest r = search("DocumentReference", p.id, "progress-note");
  const auto o = ehr.respond(r, 0, rng, {});
  const auto b = json::parse(to_fhir_bundle_json(o, r, "http://ehr/fhir"));
  REQUIRE(b["link"][0]["url"] == "http://ehr/fhir/DocumentReference?patient=" + p.id +
                                     "&category=progress-note&_count=20&_offset=0");
  REQUIRE(b["entry"].size() == o.documents.size());
  for (std::size_t i = 0; i < o.documents.size(); ++i) {
    REQUIRE(b["entry"][i]["fullUrl"] == "http://ehr/fhir/DocumentReference/" + o.documents[i]->id);
    REQUIRE(b["entry"][i]["resource"]["id"] == o.documents[i]->id);
  }
  auto odd = search("DocumentReference", "", "policy");
  odd.plan = "A&B PLAN";
  REQUIRE(json::parse(to_fhir_bundle_json(ehr.respond(odd, 0, rng, {}), odd, "http://ehr/fhir"))
              ["link"][0]["url"] ==
          "http://ehr/fhir/DocumentReference?category=policy&plan=A%26B%20PLAN&_count=20&_offset=0");
  const auto oo = json::parse(to_operation_outcome_json("fatal", "exception", "boom"));
  REQUIRE(oo["issue"][0]["severity"] == "fatal");
}
