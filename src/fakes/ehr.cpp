#include "fakes/ehr.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "fakes/faults.hpp"
#include "sim/distribution.hpp"

namespace gameday {
namespace {

using Json = nlohmann::ordered_json;

constexpr double kBaseMedianUs = 40.0 * kMillisecond;
constexpr double kBaseSigma = 0.4;

template <class T>
void page(const std::vector<const T*>& all, const EhrRequest& req, EhrOutcome& o,
          std::vector<const T*>& out) {
  o.total = static_cast<int>(all.size());
  const std::size_t offset = static_cast<std::size_t>(std::max(0, req.offset));
  const std::size_t count = static_cast<std::size_t>(std::max(0, req.count));
  if (offset >= all.size()) return;
  const std::size_t end = std::min(all.size(), offset + count);
  out.assign(all.begin() + static_cast<std::ptrdiff_t>(offset),
             all.begin() + static_cast<std::ptrdiff_t>(end));
}

void fail(EhrOutcome& o, int status, std::string diagnostics) {
  o.status = status;
  o.diagnostics = std::move(diagnostics);
}

void read(const World& w, const EhrRequest& req, EhrOutcome& o) {
  const std::string& type = req.resource_type;
  bool found = false;
  if (type == "Patient") {
    if (const Patient* p = w.patient(req.id)) {
      o.patients.push_back(p);
      found = true;
    }
  } else if (type == "Coverage") {
    if (const Coverage* c = w.coverage(req.id)) {
      o.coverages.push_back(c);
      found = true;
    }
  } else if (type == "ClaimResponse") {
    if (const PriorAuth* pa = w.prior_auth(req.id)) {
      o.prior_auths.push_back(pa);
      found = true;
    }
  } else {  // DocumentReference
    if (const Document* d = w.document(req.id)) {
      o.documents.push_back(d);
      found = true;
    }
  }
  if (found) {
    o.total = 1;
  } else {
    fail(o, 404, "Resource " + type + "/" + req.id + " not found");
  }
}

// Every match of a search, before paging (only the vector of the searched type is filled).
struct Matches {
  std::vector<const Patient*> patients;
  std::vector<const Coverage*> coverages;
  std::vector<const PriorAuth*> prior_auths;
  std::vector<const Document*> documents;
  std::size_t size() const {
    return patients.size() + coverages.size() + prior_auths.size() + documents.size();
  }
};

// Collects the matches of a search; fails `o` (400) and returns false on a bad search.
bool collect(const World& w, const EhrRequest& req, Matches& m, EhrOutcome& o) {
  const std::string& type = req.resource_type;
  if (type == "Patient") {
    if (!req.id.empty()) {
      if (const Patient* p = w.patient(req.id)) m.patients.push_back(p);
    } else if (!req.patient.empty()) {
      if (const Patient* p = w.patient(req.patient)) m.patients.push_back(p);
    } else {
      m.patients.reserve(w.patients().size());
      for (const Patient& p : w.patients()) m.patients.push_back(&p);
    }
  } else if (type == "Coverage") {
    if (req.patient.empty()) {
      fail(o, 400, "Coverage search requires the patient parameter");
      return false;
    }
    if (const Coverage* c = w.coverage_of(req.patient)) m.coverages.push_back(c);
  } else if (type == "ClaimResponse") {
    if (req.patient.empty()) {
      fail(o, 400, "ClaimResponse search requires the patient parameter");
      return false;
    }
    m.prior_auths = w.prior_auths_of(req.patient);
  } else {  // DocumentReference
    if (!req.status.empty() && req.status != "current" && req.status != "superseded") {
      fail(o, 400, "DocumentReference status must be current or superseded");
      return false;
    }
    if (req.category == "policy") {
      if (!req.plan.empty()) {
        m.documents = w.policies_of(req.plan);
      } else {
        for (const Document& d : w.documents()) {
          if (d.category == "policy" && d.status == "current") m.documents.push_back(&d);
        }
      }
    } else if (!req.patient.empty()) {
      m.documents = w.notes_of(req.patient);
      if (!req.category.empty()) {
        std::erase_if(m.documents, [&](const Document* d) { return d->category != req.category; });
      }
    } else {
      fail(o, 400, "DocumentReference search requires patient, or category=policy");
      return false;
    }
    if (!req.status.empty()) {
      std::erase_if(m.documents, [&](const Document* d) { return d->status != req.status; });
    }
  }
  return true;
}

void page_matches(const Matches& m, const EhrRequest& req, EhrOutcome& o) {
  const std::string& type = req.resource_type;
  if (type == "Patient") {
    page(m.patients, req, o, o.patients);
  } else if (type == "Coverage") {
    page(m.coverages, req, o, o.coverages);
  } else if (type == "ClaimResponse") {
    page(m.prior_auths, req, o, o.prior_auths);
  } else {
    page(m.documents, req, o, o.documents);
  }
}

void search(const World& w, const EhrRequest& req, EhrOutcome& o) {
  Matches m;
  if (collect(w, req, m, o)) page_matches(m, req, o);
}

// The first applied data fault of each kind.
struct DataFaults {
  const FaultSpec* wrong_patient = nullptr;
  const FaultSpec* irrelevant = nullptr;
  const FaultSpec* stale = nullptr;
  const FaultSpec* poisoned = nullptr;
  const FaultSpec* truncated = nullptr;
  const FaultSpec* empty = nullptr;
  bool any() const { return wrong_patient || irrelevant || stale || poisoned || truncated || empty; }
};

// A search bent by data faults (see FakeEhr).
void search_bent(const World& w, const EhrRequest& req, const DataFaults& df, Rng& rng,
                 EhrOutcome& o) {
  Matches m;
  if (!collect(w, req, m, o)) return;
  const EhrRequest* eff = &req;
  EhrRequest moved;
  if (df.wrong_patient) {
    const bool by_id = req.resource_type == "Patient" && !req.id.empty();
    const std::string& who = by_id ? req.id : req.patient;
    const auto& all = w.patients();
    if (!who.empty() && all.size() > 1) {
      std::size_t self = all.size();
      if (const Patient* p = w.patient(who)) self = static_cast<std::size_t>(p - all.data());
      const bool had = m.size() > 0;
      const std::size_t start = static_cast<std::size_t>(rng.below(all.size()));
      for (std::size_t k = 0; k < all.size(); ++k) {
        const std::size_t cand = (start + k) % all.size();
        if (cand == self) continue;
        moved = req;
        (by_id ? moved.id : moved.patient) = all[cand].id;
        Matches other;
        EhrOutcome scratch;
        if (!collect(w, moved, other, scratch)) break;
        if (had && other.size() == 0) continue;
        m = std::move(other);
        eff = &moved;
        o.fault_ids.push_back(df.wrong_patient->id);
        break;
      }
    }
  }
  const bool doc_search = req.resource_type == "DocumentReference";
  const bool policy_search = doc_search && req.category == "policy";
  const bool patient_docs = doc_search && !policy_search && !eff->patient.empty();
  if (df.irrelevant && doc_search) {
    bool changed = false;
    if (policy_search && !req.plan.empty()) {
      std::vector<std::string> plans = w.policy_plans();
      std::erase(plans, req.plan);
      if (!plans.empty()) {
        m.documents = w.policies_of(plans[static_cast<std::size_t>(rng.below(plans.size()))]);
        changed = true;
      }
    } else if (patient_docs) {
      std::vector<const Document*> docs;
      if (!req.category.empty()) {
        for (const Document* d : w.notes_of(eff->patient)) {
          if (d->category != req.category) docs.push_back(d);
        }
      }
      if (docs.empty()) {
        const std::vector<std::string> plans = w.policy_plans();
        if (!plans.empty()) docs = w.policies_of(plans.front());
      }
      m.documents = std::move(docs);
      changed = true;
    }
    if (changed) o.fault_ids.push_back(df.irrelevant->id);
  }
  // The stale re-index serves superseded versions to searches that do not filter on status; a
  // status=current search is answered from each document's own status.
  if (df.stale && policy_search && req.status != "current") {
    bool changed = false;
    for (const Document*& d : m.documents) {
      if (const Document* old = w.superseded_version(*d)) {
        d = old;
        changed = true;
      }
    }
    if (changed) o.fault_ids.push_back(df.stale->id);
  }
  page_matches(m, *eff, o);
  if (df.poisoned && patient_docs && req.offset <= 0) {
    if (const Document* px = w.poisoned_note(eff->patient, df.poisoned->as<PoisonedNoteFault>()->payload)) {
      o.documents.insert(o.documents.begin(), px);
      ++o.total;
      o.fault_ids.push_back(df.poisoned->id);
    }
  }
  if (df.truncated) {
    const std::size_t entries =
        o.patients.size() + o.coverages.size() + o.prior_auths.size() + o.documents.size();
    if (entries > 1) {
      if (o.patients.size() > 1) o.patients.resize(1);
      if (o.coverages.size() > 1) o.coverages.resize(1);
      if (o.prior_auths.size() > 1) o.prior_auths.resize(1);
      if (o.documents.size() > 1) o.documents.resize(1);
      o.truncated = true;
      o.fault_ids.push_back(df.truncated->id);
    }
  }
  if (df.empty && o.total > 0) {
    o.patients.clear();
    o.coverages.clear();
    o.prior_auths.clear();
    o.documents.clear();
    o.total = 0;
    o.truncated = false;
    o.fault_ids.push_back(df.empty->id);
  }
}

bool known_type(const std::string& t) {
  return t == "Patient" || t == "Coverage" || t == "ClaimResponse" || t == "DocumentReference";
}

std::string base64(const std::string& in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

Json coding(const std::string& system, const std::string& code, const std::string& display = "") {
  Json c;
  c["system"] = system;
  c["code"] = code;
  if (!display.empty()) c["display"] = display;
  return c;
}

Json patient_json(const Patient& p) {
  Json j;
  j["resourceType"] = "Patient";
  j["id"] = p.id;
  Json mrn;
  mrn["use"] = "usual";
  mrn["type"] = {{"coding",
                  Json::array({coding("http://terminology.hl7.org/CodeSystem/v2-0203", "MR",
                                      "Medical record number")})}};
  mrn["system"] = "urn:gameday:synthetic:mrn";
  mrn["value"] = p.mrn;
  j["identifier"] = Json::array({mrn});
  j["name"] = Json::array(
      {{{"use", "official"}, {"family", p.family}, {"given", Json::array({p.given})}}});
  j["telecom"] =
      Json::array({{{"system", "phone"}, {"value", p.phone}, {"use", "home"}}});
  j["gender"] = p.gender;
  j["birthDate"] = p.birth_date;
  return j;
}

Json coverage_json(const Coverage& c) {
  Json j;
  j["resourceType"] = "Coverage";
  j["id"] = c.id;
  j["status"] = c.status;
  j["subscriberId"] = c.member_id;
  j["beneficiary"] = {{"reference", "Patient/" + c.patient_id}};
  j["payor"] = Json::array({{{"display", c.payor}}});
  Json cls;
  cls["type"] = {{"coding", Json::array({coding(
                                "http://terminology.hl7.org/CodeSystem/coverage-class", "plan")})}};
  cls["value"] = c.plan_code;
  j["class"] = Json::array({cls});
  return j;
}

Json prior_auth_json(const PriorAuth& pa) {
  Json j;
  j["resourceType"] = "ClaimResponse";
  j["id"] = pa.id;
  j["status"] = "active";
  j["type"] = {{"coding", Json::array({coding("http://terminology.hl7.org/CodeSystem/claim-type",
                                              "professional", "Professional")})}};
  j["use"] = "preauthorization";
  j["patient"] = {{"reference", "Patient/" + pa.patient_id}};
  j["created"] = pa.created;
  j["insurer"] = {{"display", pa.insurer}};
  j["outcome"] = pa.outcome;
  std::string disposition = pa.status == "approved" ? "Approved"
                            : pa.status == "denied" ? "Denied"
                                                    : "Pended";
  if (!pa.reason.empty()) disposition += ": " + pa.reason;
  j["disposition"] = disposition;
  j["preAuthRef"] = pa.pre_auth_ref;
  // Review outcome per item, after the Da Vinci PAS review-action codes
  // (A1 certified, A3 not certified, A4 pended).
  const std::string review = pa.status == "approved" ? "A1" : pa.status == "denied" ? "A3" : "A4";
  Json adjudication;
  adjudication["category"] = {
      {"coding", Json::array({coding("http://terminology.hl7.org/CodeSystem/adjudication",
                                     "submitted")})}};
  Json reason;
  reason["coding"] = Json::array(
      {coding("https://codesystem.x12.org/005010/306", review, pa.status)});
  if (!pa.reason.empty()) reason["text"] = pa.reason;
  adjudication["reason"] = reason;
  Json item;
  item["itemSequence"] = 1;
  item["productOrService"] = {
      {"coding", Json::array({coding("http://www.ama-assn.org/go/cpt", pa.cpt_code, pa.service)})},
      {"text", pa.service}};
  item["adjudication"] = Json::array({adjudication});
  j["item"] = Json::array({item});
  return j;
}

Json document_json(const Document& d) {
  Json j;
  j["resourceType"] = "DocumentReference";
  j["id"] = d.id;
  if (d.category == "policy") j["meta"] = {{"versionId", std::to_string(d.version)}};
  j["status"] = d.status;
  j["docStatus"] = "final";
  if (d.category == "discharge-summary") {
    j["type"] = {{"coding", Json::array({coding("http://loinc.org", "18842-5",
                                                "Discharge summary")})},
                 {"text", d.title}};
  } else if (d.category == "progress-note") {
    j["type"] = {{"coding", Json::array({coding("http://loinc.org", "11506-3",
                                                "Progress note")})},
                 {"text", d.title}};
  } else {
    j["type"] = {{"coding", Json::array({coding("urn:gameday:document-type", d.category)})},
                 {"text", d.title}};
  }
  j["category"] = Json::array(
      {{{"coding", Json::array({coding("urn:gameday:document-category", d.category)})}}});
  if (!d.patient_id.empty()) j["subject"] = {{"reference", "Patient/" + d.patient_id}};
  j["date"] = d.date + "T00:00:00Z";
  j["description"] = d.title;
  Json attachment;
  attachment["contentType"] = "text/plain";
  attachment["data"] = base64(d.text);
  attachment["title"] = d.title;
  j["content"] = Json::array({{{"attachment", attachment}}});
  if (d.category == "policy") {
    Json related;
    related["identifier"] = {{"system", "urn:gameday:plan"}, {"value", d.plan_code}};
    related["display"] = d.topic;
    j["context"] = {{"related", Json::array({related})}};
  }
  return j;
}

// Percent-encodes everything but RFC 3986 unreserved characters.
void append_encoded(std::string& out, const std::string& value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char ch : value) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
}

std::string query_string(const EhrRequest& req, int offset) {
  std::string q;
  auto add = [&q](const char* key, const std::string& value) {
    if (value.empty()) return;
    if (!q.empty()) q += '&';
    (q += key) += '=';
    append_encoded(q, value);
  };
  if (req.resource_type == "Patient") add("_id", req.id.empty() ? req.patient : req.id);
  if (req.resource_type != "Patient") add("patient", req.patient);
  add("category", req.category);
  add("plan", req.plan);
  add("status", req.status);
  add("_count", std::to_string(std::max(0, req.count)));
  add("_offset", std::to_string(std::max(0, offset)));
  return q;
}

}  // namespace

EhrOutcome FakeEhr::respond(const EhrRequest& req, SimTime /*now*/, Rng& rng,
                            const std::vector<const FaultSpec*>& faults) const {
  EhrOutcome o;
  // Draw order is fixed: base delay, then one draw per fault in order (plus a delay sample for
  // applied latency faults).
  o.delay = static_cast<Duration>(
      std::llround(rng.lognormal(std::log(kBaseMedianUs), kBaseSigma)));
  const FaultSpec* error_fault = nullptr;
  const FaultSpec* timeout_fault = nullptr;
  DataFaults df;
  for_each_applied(faults, FaultTarget::kEhr, req.task_type, {}, rng, [&](const FaultSpec& f) {
    switch (f.kind()) {
      case FaultKind::kLatency:
        o.delay += sample(f.as<LatencyFault>()->delay, rng);
        o.fault_ids.push_back(f.id);
        break;
      case FaultKind::kError: keep_first(error_fault, f); break;
      case FaultKind::kTimeout: keep_first(timeout_fault, f); break;
      case FaultKind::kWrongPatient: keep_first(df.wrong_patient, f); break;
      case FaultKind::kIrrelevantDocs: keep_first(df.irrelevant, f); break;
      case FaultKind::kStaleDocs: keep_first(df.stale, f); break;
      case FaultKind::kPoisonedNote: keep_first(df.poisoned, f); break;
      case FaultKind::kTruncatedPaging: keep_first(df.truncated, f); break;
      case FaultKind::kEmptyResults: keep_first(df.empty, f); break;
      // Not EHR kinds (for_each_applied keeps them out).
      case FaultKind::kHang:
      case FaultKind::kHallucination:
      case FaultKind::kInjectionFollowing:
      case FaultKind::kSchemaBreak:
      case FaultKind::kRefusalStorm:
      case FaultKind::kDrift:
      case FaultKind::kReset:
      case FaultKind::kStreamStall:
      case FaultKind::kStreamBreak:
      case FaultKind::kForbiddenTool:
      case FaultKind::kToolWrongArguments:
      case FaultKind::kToolLoop:
      case FaultKind::kPromptDeploy:
      case FaultKind::kConfigChange:
        break;
    }
  });
  if (timeout_fault != nullptr) {
    o.hang = true;
    o.status = 0;
    o.fault_ids.push_back(timeout_fault->id);
    return o;
  }
  if (error_fault != nullptr) {
    const ErrorFault& e = *error_fault->as<ErrorFault>();
    const int status = e.status > 0 ? e.status : 500;
    fail(o, status,
         e.message.empty() ? "Injected fault: the server could not process the request (HTTP " +
                                 std::to_string(status) + ")"
                           : e.message);
    if (e.retry_after > 0) o.retry_after = e.retry_after;
    o.fault_ids.push_back(error_fault->id);
    return o;
  }
  if (!known_type(req.resource_type)) {
    fail(o, 400, "Unknown resource type '" + req.resource_type + "'");
    return o;
  }
  if (req.op == EhrRequest::Op::kRead) {
    read(world_, req, o);
  } else if (df.any()) {
    search_bent(world_, req, df, rng, o);
  } else {
    search(world_, req, o);
  }
  return o;
}

std::string to_fhir_json(const Patient& p) { return patient_json(p).dump(); }
std::string to_fhir_json(const Coverage& c) { return coverage_json(c).dump(); }
std::string to_fhir_json(const PriorAuth& pa) { return prior_auth_json(pa).dump(); }
std::string to_fhir_json(const Document& d) { return document_json(d).dump(); }

std::string to_fhir_search_query(const EhrRequest& req, int offset) { return query_string(req, offset); }

std::string to_fhir_bundle_json(const EhrOutcome& o, const EhrRequest& req,
                                const std::string& base_url) {
  std::string base = base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string search_url = base + "/" + req.resource_type + "?";
  const int count = std::max(0, req.count);
  const int offset = std::max(0, req.offset);

  Json b;
  b["resourceType"] = "Bundle";
  b["type"] = "searchset";
  b["total"] = o.total;
  Json links = Json::array();
  links.push_back({{"relation", "self"}, {"url", search_url + query_string(req, offset)}});
  if (count > 0 && offset + count < o.total && !o.truncated) {
    links.push_back(
        {{"relation", "next"}, {"url", search_url + query_string(req, offset + count)}});
  }
  if (offset > 0) {
    links.push_back({{"relation", "previous"},
                     {"url", search_url + query_string(req, std::max(0, offset - count))}});
  }
  b["link"] = std::move(links);

  Json entries = Json::array();
  auto add = [&](const std::string& type, const std::string& id, Json resource) {
    entries.push_back({{"fullUrl", base + "/" + type + "/" + id},
                       {"resource", std::move(resource)},
                       {"search", {{"mode", "match"}}}});
  };
  for (const Patient* p : o.patients) add("Patient", p->id, patient_json(*p));
  for (const Coverage* c : o.coverages) add("Coverage", c->id, coverage_json(*c));
  for (const PriorAuth* pa : o.prior_auths) add("ClaimResponse", pa->id, prior_auth_json(*pa));
  for (const Document* d : o.documents) add("DocumentReference", d->id, document_json(*d));
  // FHIR JSON has no empty arrays: an empty page has no "entry".
  if (!entries.empty()) b["entry"] = std::move(entries);
  return b.dump();
}

std::string to_fhir_error_json(const EhrOutcome& o) {
  const char* code = o.status == 404   ? "not-found"
                     : o.status == 400 ? "invalid"
                     : o.status == 429 ? "throttled"
                     : o.status >= 500 ? "exception"
                                       : "processing";
  return to_operation_outcome_json("error", code, o.diagnostics);
}

std::string to_operation_outcome_json(const std::string& severity, const std::string& code,
                                      const std::string& diagnostics) {
  Json j;
  j["resourceType"] = "OperationOutcome";
  j["issue"] = Json::array(
      {{{"severity", severity}, {"code", code}, {"diagnostics", diagnostics}}});
  // Diagnostics may quote a request target's bytes, which need not be UTF-8: U+FFFD for those.
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace gameday
