// The FHIR R4 wire format of the live EHR: request targets to EhrRequest, outcomes to JSON.
#include <catch2/catch.hpp>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "fakes/ehr.hpp"
#include "fakes/world.hpp"
#include "net/fhir_wire.hpp"
#include "support/fixtures.hpp"

using namespace gameday;
using namespace gameday::net;
using nlohmann::json;

namespace {

const World& world() {
  static const World w = World::generate(testing::small_world());
  return w;
}

// A patient with at least `n` chart notes (for paging).
const Patient& patient_with_notes(std::size_t n) {
  for (const Patient& p : world().patients()) {
    if (world().notes_of(p.id).size() >= n) return p;
  }
  FAIL("no patient with enough notes");
  return world().patients().front();
}

EhrOutcome respond(const EhrRequest& req, const std::vector<const FaultSpec*>& faults = {}) {
  Rng rng(7);
  return FakeEhr(world()).respond(req, 0, rng, faults);
}

const json* link(const json& bundle, const std::string& relation) {
  for (const auto& l : bundle["link"]) {
    if (l["relation"] == relation) return &l;
  }
  return nullptr;
}

// The request target of an absolute link URL ("http://ehr/fhir/X?..." -> "/fhir/X?...").
std::string target_of(const std::string& url) { return url.substr(url.find("/fhir")); }

}  // namespace

TEST_CASE("FHIR target parser reads a DocumentReference search into an EhrRequest", "[net][fhir]") {
  const FhirTarget t = parse_fhir_target(
      "/fhir/DocumentReference?patient=Patient/pat-0001&category=urn%3Agameday%3Adocument-category"
      "%7Cdischarge-summary&status=current&_count=5&_offset=10");
  REQUIRE(t.ok());
  REQUIRE(t.route == FhirRoute::kSearch);
  REQUIRE(t.route_name == "/fhir/DocumentReference");
  REQUIRE(t.request.op == EhrRequest::Op::kSearch);
  REQUIRE(t.request.resource_type == "DocumentReference");
  REQUIRE(t.request.patient == "pat-0001");
  REQUIRE(t.request.category == "discharge-summary");
  REQUIRE(t.request.status == "current");
  REQUIRE(t.request.count == 5);
  REQUIRE(t.request.offset == 10);
  REQUIRE(t.request.task_type.empty());
}

TEST_CASE("FHIR target parser reads a policy search with the plan parameter", "[net][fhir]") {
  const FhirTarget t = parse_fhir_target("/fhir/DocumentReference?category=policy&plan=GOLD-PPO");
  REQUIRE(t.ok());
  REQUIRE(t.request.category == "policy");
  REQUIRE(t.request.plan == "GOLD-PPO");
  REQUIRE(t.request.patient.empty());
  REQUIRE(t.request.count == 20);
  REQUIRE(t.request.offset == 0);
}

TEST_CASE("FHIR target parser reads a resource id from a read path", "[net][fhir]") {
  const FhirTarget t = parse_fhir_target("/fhir/ClaimResponse/pa-000123");
  REQUIRE(t.ok());
  REQUIRE(t.route == FhirRoute::kRead);
  REQUIRE(t.route_name == "/fhir/ClaimResponse/{id}");
  REQUIRE(t.request.op == EhrRequest::Op::kRead);
  REQUIRE(t.request.resource_type == "ClaimResponse");
  REQUIRE(t.request.id == "pa-000123");

  // An unencoded '+' decodes to a space; still JSON.
  REQUIRE(parse_fhir_target("/fhir/ClaimResponse/pa-000123?_format=application/fhir+json").ok());
  const FhirTarget meta = parse_fhir_target("/fhir/metadata?_format=json");
  REQUIRE(meta.ok());
  REQUIRE(meta.route == FhirRoute::kMetadata);
  REQUIRE(meta.route_name == "/fhir/metadata");
}

TEST_CASE("FHIR target parser takes synonyms and absolute-form targets", "[net][fhir]") {
  const FhirTarget cov = parse_fhir_target("/fhir/Coverage?beneficiary=http://ehr/fhir/Patient/pat-0002");
  REQUIRE(cov.ok());
  REQUIRE(cov.request.patient == "pat-0002");
  const FhirTarget docs =
      parse_fhir_target("http://127.0.0.1:9/fhir/DocumentReference?subject=pat-0003&_getpagesoffset=4");
  REQUIRE(docs.ok());
  REQUIRE(docs.request.patient == "pat-0003");
  REQUIRE(docs.request.offset == 4);
  const FhirTarget pat = parse_fhir_target("/fhir/Patient/?_id=pat-0004&_pretty=true");
  REQUIRE(pat.ok());
  REQUIRE(pat.route == FhirRoute::kSearch);
  REQUIRE(pat.request.id == "pat-0004");
}

TEST_CASE("FHIR target parser ignores empty search parameter values", "[net][fhir]") {
  const FhirTarget t = parse_fhir_target("/fhir/DocumentReference?patient=pat-0001&category=&&status=");
  REQUIRE(t.ok());
  REQUIRE(t.request.patient == "pat-0001");
  REQUIRE(t.request.category.empty());
  REQUIRE(t.request.status.empty());
}

TEST_CASE("FHIR target parser names an unknown search parameter", "[net][fhir][errors]") {
  const FhirTarget t = parse_fhir_target("/fhir/Coverage?patient=pat-0001&color=blue");
  REQUIRE(t.status == 400);
  REQUIRE(t.param == "color");
  REQUIRE_THAT(t.diagnostics, Catch::Contains("'color'") && Catch::Contains("Coverage"));
  // A parameter of another type is unknown here too, and so is a modifier.
  REQUIRE(parse_fhir_target("/fhir/ClaimResponse?category=policy").param == "category");
  REQUIRE(parse_fhir_target("/fhir/Coverage?patient:missing=true").param == "patient:missing");
}

TEST_CASE("FHIR target parser names a bad paging parameter", "[net][fhir][errors]") {
  for (const char* bad : {"_count=-1", "_count=abc", "_count=", "_count=9999999999"}) {
    const FhirTarget t = parse_fhir_target(std::string("/fhir/Patient?") + bad);
    REQUIRE(t.status == 400);
    REQUIRE(t.param == "_count");
    REQUIRE_THAT(t.diagnostics, Catch::Contains("_count"));
  }
  const FhirTarget off = parse_fhir_target("/fhir/Patient?_getpagesoffset=x");
  REQUIRE(off.status == 400);
  REQUIRE(off.param == "_getpagesoffset");
  // Large page sizes are capped, not refused.
  REQUIRE(parse_fhir_target("/fhir/Patient?_count=50000").request.count == kFhirMaxCount);
}

TEST_CASE("FHIR target parser names a repeated parameter or synonym", "[net][fhir][errors]") {
  const FhirTarget twice = parse_fhir_target("/fhir/ClaimResponse?patient=pat-0001&patient=pat-0002");
  REQUIRE(twice.status == 400);
  REQUIRE(twice.param == "patient");
  const FhirTarget synonym =
      parse_fhir_target("/fhir/DocumentReference?patient=pat-0001&subject=pat-0002");
  REQUIRE(synonym.status == 400);
  REQUIRE(synonym.param == "subject");
  REQUIRE(parse_fhir_target("/fhir/Patient?_offset=1&_getpagesoffset=2").param == "_getpagesoffset");
}

TEST_CASE("FHIR target parser names bad parameter values", "[net][fhir][errors]") {
  const FhirTarget status = parse_fhir_target("/fhir/DocumentReference?patient=pat-0001&status=draft");
  REQUIRE(status.status == 400);
  REQUIRE(status.param == "status");
  const FhirTarget ref = parse_fhir_target("/fhir/Coverage?patient=Group/g1");
  REQUIRE(ref.status == 400);
  REQUIRE(ref.param == "patient");
  const FhirTarget plan = parse_fhir_target("/fhir/DocumentReference?patient=pat-0001&plan=GOLD-PPO");
  REQUIRE(plan.status == 400);
  REQUIRE(plan.param == "plan");
  REQUIRE_THAT(plan.diagnostics, Catch::Contains("category=policy"));
  const FhirTarget pretty = parse_fhir_target("/fhir/metadata?_pretty=yes");
  REQUIRE(pretty.status == 400);
  REQUIRE(pretty.param == "_pretty");
  const FhirTarget xml = parse_fhir_target("/fhir/Patient/pat-0001?_format=xml");
  REQUIRE(xml.status == 406);
  REQUIRE(xml.param == "_format");
}

TEST_CASE("FHIR target parser refuses search parameters on a read or the metadata", "[net][fhir][errors]") {
  const FhirTarget read = parse_fhir_target("/fhir/Patient/pat-0001?patient=pat-0002");
  REQUIRE(read.status == 400);
  REQUIRE(read.param == "patient");
  REQUIRE(parse_fhir_target("/fhir/metadata?mode=full").param == "mode");
}

TEST_CASE("FHIR target parser rejects unknown types and bad ids or encoding with 400", "[net][fhir][errors]") {
  const FhirTarget type = parse_fhir_target("/fhir/Observation?patient=pat-0001");
  REQUIRE(type.status == 400);
  REQUIRE_THAT(type.diagnostics, Catch::Contains("Observation"));
  REQUIRE(type.route_name == "other");
  REQUIRE(parse_fhir_target("/fhir/Patient/bad_id!").status == 400);
  REQUIRE(parse_fhir_target("/fhir/Patient/pat%2").status == 400);
  const FhirTarget query = parse_fhir_target("/fhir/Patient?_id=%zz");
  REQUIRE(query.status == 400);
  REQUIRE(query.param == "_id");
}

TEST_CASE("FHIR target parser answers 404 outside its routes", "[net][fhir][errors]") {
  for (const char* target : {"/", "/fhir", "/fhir/", "/fhirx/Patient", "/v1/models",
                             "/fhir/Patient/pat-0001/_history", "/fhir/metadata/x", "/fhir//Patient"}) {
    INFO(target);
    const FhirTarget t = parse_fhir_target(target);
    REQUIRE(t.status == 404);
    REQUIRE(t.route_name == "other");
  }
}

TEST_CASE("Search query of a page parses back to the same search", "[net][fhir]") {
  EhrRequest req;
  req.resource_type = "DocumentReference";
  req.category = "policy";
  req.plan = "GOLD PPO&x";  // needs encoding
  req.status = "superseded";
  req.count = 3;
  req.task_type = "benefits_question";
  const std::string q = fhir_search_query(req, 6);
  REQUIRE(q.find("task") == std::string::npos);
  const FhirTarget back = parse_fhir_target("/fhir/DocumentReference?" + q);
  REQUIRE(back.ok());
  REQUIRE(back.request.plan == req.plan);
  REQUIRE(back.request.category == "policy");
  REQUIRE(back.request.status == "superseded");
  REQUIRE(back.request.count == 3);
  REQUIRE(back.request.offset == 6);
}

TEST_CASE("Searchset Bundle has a total and self and next links and one entry per match", "[net][fhir][bundle]") {
  const Patient& p = patient_with_notes(2);
  const FhirTarget t = parse_fhir_target("/fhir/DocumentReference?patient=" + p.id + "&_count=1");
  REQUIRE(t.ok());
  const EhrOutcome o = respond(t.request);
  REQUIRE(o.status == 200);
  const json b = json::parse(fhir_outcome_json(o, t.request, "http://ehr.test/fhir/"));
  REQUIRE(b["resourceType"] == "Bundle");
  REQUIRE(b["type"] == "searchset");
  REQUIRE(b["total"] == o.total);
  REQUIRE(b["total"].get<int>() >= 2);
  REQUIRE(b["entry"].size() == 1);
  const json& e = b["entry"][0];
  REQUIRE(e["resource"]["resourceType"] == "DocumentReference");
  REQUIRE(e["fullUrl"] == "http://ehr.test/fhir/DocumentReference/" + e["resource"]["id"].get<std::string>());
  REQUIRE(e["search"]["mode"] == "match");
  REQUIRE(e["resource"]["content"][0]["attachment"].contains("data"));

  REQUIRE(link(b, "self") != nullptr);
  REQUIRE(link(b, "previous") == nullptr);
  const json* next = link(b, "next");
  REQUIRE(next != nullptr);
  const std::string url = (*next)["url"];
  REQUIRE(url.starts_with("http://ehr.test/fhir/DocumentReference?"));
  const FhirTarget page2 = parse_fhir_target(target_of(url));
  REQUIRE(page2.ok());
  REQUIRE(page2.request.patient == p.id);
  REQUIRE(page2.request.offset == 1);
  REQUIRE(page2.request.count == 1);
  const json b2 = json::parse(fhir_bundle_json(respond(page2.request), page2.request, "http://ehr.test/fhir"));
  REQUIRE(b2["entry"][0]["resource"]["id"] != e["resource"]["id"]);
  REQUIRE(link(b2, "previous") != nullptr);
}

TEST_CASE("Last and empty pages have no next link and an empty page has no entry", "[net][fhir][bundle]") {
  const Patient& p = patient_with_notes(2);
  FhirTarget t = parse_fhir_target("/fhir/DocumentReference?patient=" + p.id + "&_count=100");
  const json all = json::parse(fhir_bundle_json(respond(t.request), t.request, "http://ehr/fhir"));
  REQUIRE(link(all, "next") == nullptr);
  REQUIRE(all["entry"].size() == all["total"].get<std::size_t>());

  t = parse_fhir_target("/fhir/DocumentReference?patient=" + p.id + "&_offset=500");
  const json past = json::parse(fhir_bundle_json(respond(t.request), t.request, "http://ehr/fhir"));
  REQUIRE(past["total"] == all["total"]);
  REQUIRE_FALSE(past.contains("entry"));
  REQUIRE(link(past, "next") == nullptr);
  REQUIRE(link(past, "previous") != nullptr);

  t = parse_fhir_target("/fhir/ClaimResponse?patient=pat-nobody");
  const json none = json::parse(fhir_bundle_json(respond(t.request), t.request, "http://ehr/fhir"));
  REQUIRE(none["total"] == 0);
  REQUIRE_FALSE(none.contains("entry"));
}

TEST_CASE("Bundle of a truncated outcome omits the next link", "[net][fhir][bundle][faults]") {
  FaultSpec f;
  f.id = "trunc";
  f.target = "ehr";
  f.params = default_params(FaultKind::kTruncatedPaging);
  const Patient& p = patient_with_notes(3);
  const FhirTarget t = parse_fhir_target("/fhir/DocumentReference?patient=" + p.id + "&_count=2");
  const EhrOutcome o = respond(t.request, {&f});
  REQUIRE(o.truncated);
  const json b = json::parse(fhir_bundle_json(o, t.request, "http://ehr/fhir"));
  REQUIRE(b["entry"].size() == 1);
  REQUIRE(b["total"].get<int>() >= 3);
  REQUIRE(link(b, "next") == nullptr);
}

TEST_CASE("Read outcome body is the resource itself", "[net][fhir]") {
  const Patient& p = world().patients().at(3);
  const FhirTarget t = parse_fhir_target("/fhir/Patient/" + p.id);
  const json r = json::parse(fhir_outcome_json(respond(t.request), t.request, "http://ehr/fhir"));
  REQUIRE(r["resourceType"] == "Patient");
  REQUIRE(r["id"] == p.id);
  REQUIRE(r["identifier"][0]["value"] == p.mrn);
}

TEST_CASE("Failed outcomes become an OperationOutcome with an issue code by status", "[net][fhir][errors]") {
  const FhirTarget t = parse_fhir_target("/fhir/Coverage/cov-none");
  const EhrOutcome o = respond(t.request);
  REQUIRE(o.status == 404);
  const json nf = json::parse(fhir_outcome_json(o, t.request, "http://ehr/fhir"));
  REQUIRE(nf["resourceType"] == "OperationOutcome");
  REQUIRE(nf["issue"].size() == 1);
  REQUIRE(nf["issue"][0]["severity"] == "error");
  REQUIRE(nf["issue"][0]["code"] == "not-found");
  REQUIRE_THAT(nf["issue"][0]["diagnostics"].get<std::string>(), Catch::Contains("cov-none"));

  auto code = [](int status) { return json::parse(fhir_error_json(status, "x"))["issue"][0]["code"]; };
  REQUIRE(code(400) == "invalid");
  REQUIRE(code(405) == "not-supported");
  REQUIRE(code(406) == "not-supported");
  REQUIRE(code(429) == "throttled");
  REQUIRE(code(503) == "exception");
  REQUIRE(code(409) == "processing");
}

TEST_CASE("Retry-After of a failed outcome is its retry_after in whole seconds rounded up", "[net][fhir][errors]") {
  EhrOutcome o;
  o.status = 503;
  REQUIRE(fhir_retry_after(o).empty());
  o.retry_after = 2 * kSecond;
  REQUIRE(fhir_retry_after(o) == "2");
  o.retry_after = 1500 * kMillisecond;
  REQUIRE(fhir_retry_after(o) == "2");
  o.retry_after = 1;  // a microsecond still asks for a second
  REQUIRE(fhir_retry_after(o) == "1");
  // Only failures carry one.
  o.status = 200;
  REQUIRE(fhir_retry_after(o).empty());
}

TEST_CASE("Capability statement lists each resource type with its interactions and search parameters", "[net][fhir]") {
  const json c = json::parse(fhir_capability_statement_json("http://ehr/fhir"));
  REQUIRE(c["resourceType"] == "CapabilityStatement");
  REQUIRE(c["fhirVersion"] == "4.0.1");
  REQUIRE(c["kind"] == "instance");
  REQUIRE(c["implementation"]["url"] == "http://ehr/fhir");
  REQUIRE(c["format"][0] == "application/fhir+json");
  const json& rest = c["rest"][0];
  REQUIRE(rest["mode"] == "server");
  std::map<std::string, std::set<std::string>> params;
  for (const auto& r : rest["resource"]) {
    REQUIRE(r["interaction"] == json::parse(R"([{"code":"read"},{"code":"search-type"}])"));
    for (const auto& p : r["searchParam"]) params[r["type"]].insert(p["name"].get<std::string>());
  }
  REQUIRE(params.size() == 4);
  REQUIRE(params["Patient"] == std::set<std::string>{"_id"});
  REQUIRE(params["ClaimResponse"] == std::set<std::string>{"patient"});
  REQUIRE(params["DocumentReference"].count("plan") == 1);
  REQUIRE(params["DocumentReference"].count("category") == 1);
  REQUIRE(rest["searchParam"][1]["name"] == kFhirOffsetParam);
}
