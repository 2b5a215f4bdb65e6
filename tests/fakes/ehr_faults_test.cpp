#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "fakes/ehr.hpp"
#include "fakes/faults.hpp"
#include "fault_fixtures.hpp"

using namespace gameday;
using namespace gameday::fault_test;

namespace {

EhrRequest search(const std::string& type, const std::string& patient = "",
                  const std::string& category = "") {
  EhrRequest r;
  r.op = EhrRequest::Op::kSearch;
  r.resource_type = type;
  r.patient = patient;
  r.category = category;
  return r;
}

EhrRequest policies(const std::string& plan) {
  EhrRequest r = search("DocumentReference", "", "policy");
  r.plan = plan;
  return r;
}

const Patient& with_prior_auths(int nth) {
  for (const Patient& p : world().patients()) {
    if (world().prior_auths_of(p.id).size() >= 2 && nth-- == 0) return p;
  }
  FAIL("not enough patients with two prior auths");
  return world().patients().front();
}

EhrOutcome respond(const EhrRequest& req, Rng& rng, const FaultSpec* f) {
  const FakeEhr ehr(world());
  std::vector<const FaultSpec*> faults;
  if (f) faults.push_back(f);
  return ehr.respond(req, 0, rng, faults);
}

}  // namespace

TEST_CASE("Wrong patient searches return another patient's real resources", "[fakes][ehr][faults]") {
  const FaultSpec f = fault("wp", "ehr", "wrong_patient");
  Rng rng(1);
  std::set<std::string> others;
  for (int i = 0; i < 5; ++i) {
    const Patient& p = with_prior_auths(i);
    const EhrOutcome o = respond(search("ClaimResponse", p.id), rng, &f);
    REQUIRE(o.status == 200);
    REQUIRE(o.fault_ids == std::vector<std::string>{"wp"});
    REQUIRE_FALSE(o.prior_auths.empty());
    for (const PriorAuth* pa : o.prior_auths) {
      REQUIRE(pa->patient_id != p.id);
      REQUIRE(world().prior_auth(pa->id) == pa);  // a real case: citations stay valid
      others.insert(pa->patient_id);
    }
    REQUIRE(o.total == static_cast<int>(world().prior_auths_of(o.prior_auths[0]->patient_id).size()));

    const EhrOutcome ds = respond(search("DocumentReference", p.id, "discharge-summary"), rng, &f);
    REQUIRE(ds.documents.size() == 1);
    REQUIRE(ds.documents[0]->patient_id != p.id);
    REQUIRE(ds.documents[0]->category == "discharge-summary");
    REQUIRE(world().document(ds.documents[0]->id) == ds.documents[0]);

    const EhrOutcome cov = respond(search("Coverage", p.id), rng, &f);
    REQUIRE(cov.coverages.at(0)->patient_id != p.id);
  }
  REQUIRE(others.size() >= 3);  // drawn, not always the same neighbour

  // Policy searches are not patient-scoped: unchanged, and not recorded.
  const EhrOutcome pol = respond(policies("GOLD-PPO"), rng, &f);
  REQUIRE(pol.fault_ids.empty());
  REQUIRE(pol.documents == world().policies_of("GOLD-PPO"));
}

TEST_CASE("Irrelevant docs return documents that do not answer the query", "[fakes][ehr][faults]") {
  const FaultSpec f = fault("irr", "ehr", "irrelevant_docs");
  Rng rng(2);
  const EhrOutcome pol = respond(policies("GOLD-PPO"), rng, &f);
  REQUIRE(pol.fault_ids == std::vector<std::string>{"irr"});
  REQUIRE_FALSE(pol.documents.empty());
  for (const Document* d : pol.documents) REQUIRE(d->plan_code != "GOLD-PPO");

  const Patient& p = world().patients().at(2);
  const EhrOutcome notes = respond(search("DocumentReference", p.id, "discharge-summary"), rng, &f);
  REQUIRE_FALSE(notes.documents.empty());
  for (const Document* d : notes.documents) {
    REQUIRE(d->category != "discharge-summary");
    REQUIRE(d->patient_id == p.id);
  }
  // Prior-auth searches are not document searches.
  const EhrOutcome pa = respond(search("ClaimResponse", with_prior_auths(0).id), rng, &f);
  REQUIRE(pa.fault_ids.empty());
}

TEST_CASE("Stale docs serve the superseded version of a policy", "[fakes][ehr][faults]") {
  const FaultSpec f = fault("stale", "ehr", "stale_docs");
  Rng rng(3);
  const EhrOutcome o = respond(policies("GOLD-PPO"), rng, &f);
  REQUIRE(o.fault_ids == std::vector<std::string>{"stale"});
  REQUIRE(o.documents.size() == 2);
  REQUIRE(o.documents[0]->id == "policy-gold-ppo-pt-v1");  // superseded, its own id
  REQUIRE(o.documents[0]->status == "superseded");
  REQUIRE(o.documents[1]->id == "policy-gold-ppo-mri-v2");  // no older version
  // No superseded version at all: unchanged and not recorded.
  REQUIRE(respond(policies("SILVER-HMO"), rng, &f).fault_ids.empty());
}

TEST_CASE("Empty results and truncated paging", "[fakes][ehr][faults]") {
  const Patient& p = with_prior_auths(0);
  const int n = static_cast<int>(world().prior_auths_of(p.id).size());
  Rng rng(4);

  const FaultSpec empty = fault("empty", "ehr", "empty_results");
  const EhrOutcome e = respond(search("ClaimResponse", p.id), rng, &empty);
  REQUIRE(e.status == 200);
  REQUIRE(e.total == 0);
  REQUIRE(e.prior_auths.empty());
  REQUIRE(e.fault_ids == std::vector<std::string>{"empty"});

  const FaultSpec trunc = fault("trunc", "ehr", "truncated_paging");
  EhrRequest req = search("ClaimResponse", p.id);
  req.count = 1;  // with a next page normally
  REQUIRE(nlohmann::json::parse(to_fhir_bundle_json(respond(req, rng, nullptr), req, "http://ehr/fhir"))
              .at("link")
              .size() == 2);
  req.count = 20;
  const EhrOutcome t = respond(req, rng, &trunc);
  REQUIRE(t.prior_auths.size() == 1);
  REQUIRE(t.total == n);
  REQUIRE(t.truncated);
  const auto bundle = nlohmann::json::parse(to_fhir_bundle_json(t, req, "http://ehr/fhir"));
  REQUIRE(bundle.at("total") == n);
  REQUIRE(bundle.at("entry").size() == 1);
  for (const auto& link : bundle.at("link")) REQUIRE(link.at("relation") != "next");
}

TEST_CASE("Poisoned note searches carry the payload and its canary", "[fakes][ehr][faults]") {
  FaultSpec f = fault("px", "ehr", "poisoned_note");
  Rng rng(5);
  const Patient& p = world().patients().at(7);
  const EhrRequest req = search("DocumentReference", p.id, "discharge-summary");

  // Normal searches never return poisoned notes.
  const EhrOutcome clean = respond(req, rng, nullptr);
  REQUIRE(clean.total == 1);
  for (const Document* d : world().notes_of(p.id)) REQUIRE(d->payload_id.empty());

  for (const InjectionPayload& pl : payloads()) {
    f.as<PoisonedNoteFault>()->payload = pl.id;
    const EhrOutcome o = respond(req, rng, &f);
    REQUIRE(o.total == 2);
    REQUIRE(o.documents.size() == 2);
    const Document* px = o.documents.front();
    REQUIRE(px->id.rfind("note-" + p.id.substr(4) + "-px", 0) == 0);
    REQUIRE(px->payload_id == pl.id);
    REQUIRE(px->canary == pl.canary);
    REQUIRE(px->text.find(pl.canary) != std::string::npos);
    REQUIRE(px->text.find('{') == std::string::npos);  // placeholders filled
    REQUIRE(o.documents[1]->category == "discharge-summary");
    REQUIRE(world().document(px->id) == px);  // readable, so citations to it are valid
    REQUIRE(o.fault_ids == std::vector<std::string>{"px"});
  }
  // Payload "" is the one drawn for the patient: fixed per patient, varied across patients.
  f.as<PoisonedNoteFault>()->payload = "";
  std::set<std::string> drawn;
  for (const Patient& q : world().patients()) {
    const EhrOutcome a = respond(search("DocumentReference", q.id), rng, &f);
    const EhrOutcome b = respond(search("DocumentReference", q.id), rng, &f);
    REQUIRE(a.documents.front() == b.documents.front());
    drawn.insert(a.documents.front()->payload_id);
  }
  REQUIRE(drawn.size() == payloads().size());
  // Not on policy searches.
  REQUIRE(respond(policies("GOLD-PPO"), rng, &f).fault_ids.empty());
}

TEST_CASE("EHR faults apply only to the task types they name", "[fakes][ehr][faults]") {
  FaultSpec f = fault("empty", "ehr", "empty_results");
  f.task_types = {"discharge_summary"};
  Rng rng(6);
  const Patient& p = world().patients().at(1);
  EhrRequest req = search("DocumentReference", p.id, "discharge-summary");
  req.task_type = "discharge_summary";
  REQUIRE(respond(req, rng, &f).total == 0);
  req.task_type = "message_triage";
  REQUIRE(respond(req, rng, &f).total == 1);
  req.task_type = "";
  REQUIRE(respond(req, rng, &f).total == 1);
}

TEST_CASE("EHR data faults replay exactly from the same rng seed", "[fakes][ehr][faults]") {
  FaultSpec wp = fault("wp", "ehr", "wrong_patient");
  wp.probability = 0.5;
  FaultSpec irr = fault("irr", "ehr", "irrelevant_docs");
  irr.probability = 0.5;
  const FaultSpec px = fault("px", "ehr", "poisoned_note");
  const FakeEhr ehr(world());
  auto run = [&](std::uint64_t seed) {
    Rng rng(seed);
    std::string all;
    for (int i = 0; i < 200; ++i) {
      const Patient& p = world().patients()[static_cast<std::size_t>(i % 40)];
      const EhrRequest req = i % 3 == 0 ? policies("GOLD-PPO")
                                        : search("DocumentReference", p.id, "discharge-summary");
      const EhrOutcome o = ehr.respond(req, 0, rng, {&wp, &irr, &px});
      for (const Document* d : o.documents) all += d->id + ",";
      all += std::to_string(o.delay) + "\n";
    }
    return all;
  };
  REQUIRE(run(7) == run(7));
  REQUIRE(run(7) != run(8));
}

TEST_CASE("A status=current policy search is not served superseded versions by a stale index", "[fakes][ehr][faults]") {
  const FaultSpec f = fault("stale", "ehr", "stale_docs");
  Rng rng(3);
  EhrRequest req = policies("GOLD-PPO");
  req.status = "current";
  const EhrOutcome o = respond(req, rng, &f);
  REQUIRE(o.status == 200);
  REQUIRE(o.fault_ids.empty());
  REQUIRE(o.documents.size() == 2);
  for (const Document* d : o.documents) REQUIRE(d->status == "current");
  // Only current and superseded are statuses.
  req.status = "draft";
  REQUIRE(respond(req, rng, nullptr).status == 400);
}

TEST_CASE("A status filter survives in a search bundle's paging links", "[fakes][ehr]") {
  Rng rng(3);
  EhrRequest req = policies("GOLD-PPO");
  req.status = "current";
  req.count = 1;
  const auto bundle = nlohmann::json::parse(to_fhir_bundle_json(respond(req, rng, nullptr), req, "http://ehr/fhir"));
  bool next = false;
  for (const auto& l : bundle["link"]) {
    REQUIRE(l["url"].get<std::string>().find("status=current") != std::string::npos);
    next = next || l["relation"] == "next";
  }
  REQUIRE(next);
}
