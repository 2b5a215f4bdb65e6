#include "fakes/ehr.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

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

void search(const World& w, const EhrRequest& req, EhrOutcome& o) {
  const std::string& type = req.resource_type;
  if (type == "Patient") {
    std::vector<const Patient*> all;
    if (!req.id.empty()) {
      if (const Patient* p = w.patient(req.id)) all.push_back(p);
    } else if (!req.patient.empty()) {
      if (const Patient* p = w.patient(req.patient)) all.push_back(p);
    } else {
      all.reserve(w.patients().size());
      for (const Patient& p : w.patients()) all.push_back(&p);
    }
    page(all, req, o, o.patients);
  } else if (type == "Coverage") {
    if (req.patient.empty()) return fail(o, 400, "Coverage search requires the patient parameter");
    std::vector<const Coverage*> all;
    if (const Coverage* c = w.coverage_of(req.patient)) all.push_back(c);
    page(all, req, o, o.coverages);
  } else if (type == "ClaimResponse") {
    if (req.patient.empty()) {
      return fail(o, 400, "ClaimResponse search requires the patient parameter");
    }
    page(w.prior_auths_of(req.patient), req, o, o.prior_auths);
  } else {  // DocumentReference
    if (req.category == "policy") {
      std::vector<const Document*> all;
      if (!req.plan.empty()) {
        all = w.policies_of(req.plan);
      } else {
        for (const Document& d : w.documents()) {
          if (d.category == "policy" && d.status == "current") all.push_back(&d);
        }
      }
      page(all, req, o, o.documents);
    } else if (!req.patient.empty()) {
      std::vector<const Document*> all = w.notes_of(req.patient);
      if (!req.category.empty()) {
        std::erase_if(all, [&](const Document* d) { return d->category != req.category; });
      }
      page(all, req, o, o.documents);
    } else {
      fail(o, 400, "DocumentReference search requires patient, or category=policy");
    }
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
  for (const FaultSpec* f : faults) {
    if (f == nullptr) continue;
    if (!(rng.uniform01() < f->probability)) continue;
    if (f->kind == "latency") {
      o.delay += sample(f->delay, rng);
      o.fault_ids.push_back(f->id);
    } else if (f->kind == "error") {
      if (error_fault == nullptr) error_fault = f;
    } else if (f->kind == "timeout") {
      if (timeout_fault == nullptr) timeout_fault = f;
    }
  }
  if (timeout_fault != nullptr) {
    o.hang = true;
    o.status = 0;
    o.fault_ids.push_back(timeout_fault->id);
    return o;
  }
  if (error_fault != nullptr) {
    const int status = error_fault->status > 0 ? error_fault->status : 500;
    fail(o, status,
         error_fault->message.empty()
             ? "Injected fault: the server could not process the request (HTTP " +
                   std::to_string(status) + ")"
             : error_fault->message);
    o.fault_ids.push_back(error_fault->id);
    return o;
  }
  if (!known_type(req.resource_type)) {
    fail(o, 400, "Unknown resource type '" + req.resource_type + "'");
    return o;
  }
  if (req.op == EhrRequest::Op::kRead) {
    read(world_, req, o);
  } else {
    search(world_, req, o);
  }
  return o;
}

std::string to_fhir_json(const Patient& p) { return patient_json(p).dump(); }
std::string to_fhir_json(const Coverage& c) { return coverage_json(c).dump(); }
std::string to_fhir_json(const PriorAuth& pa) { return prior_auth_json(pa).dump(); }
std::string to_fhir_json(const Document& d) { return document_json(d).dump(); }

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
  if (count > 0 && offset + count < o.total) {
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
  b["entry"] = std::move(entries);
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
  return j.dump();
}

}  // namespace gameday
