#pragma once
// The synthetic EHR world: patients with PHI-shaped but plainly synthetic identifiers, coverage,
// prior-auth cases, chart notes and policy documents. Generated deterministically from a seed.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/model.hpp"

namespace gameday {

/// A synthetic patient. Every identifier here counts as PHI for redaction purposes.
struct Patient {
  std::string id;          // FHIR logical id, "pat-0007"
  std::string mrn;         // "SYN-0004821" (always starts with SYN-)
  std::string given;
  std::string family;
  std::string birth_date;  // "1961-04-12"
  std::string phone;       // "(417) 555-0142": any area code, exchange 555, line 0100-0199 (fictional)
  std::string gender;      // "female" | "male"
};

/// Insurance coverage (FHIR Coverage).
struct Coverage {
  std::string id;          // "cov-0007"
  std::string patient_id;
  std::string plan_code;   // PlanDef::code
  std::string payor;
  std::string member_id;   // "SYNM-..." (PHI)
  std::string status;      // "active"
};

/// A prior-authorization case (FHIR ClaimResponse with use=preauthorization).
struct PriorAuth {
  std::string id;          // "pa-000123"
  std::string patient_id;
  std::string pre_auth_ref;  // "PA-SYN-482913"
  std::string cpt_code;      // "72148"
  std::string service;       // "MRI lumbar spine without contrast"
  std::string status;        // "approved" | "denied" | "pended"
  std::string outcome;       // FHIR outcome: "complete" | "queued" | "error"
  std::string created;       // "2026-10-03"
  std::string insurer;
  std::string reason;        // denial or pend reason, "" when approved
};

/// A document a citation can name: a chart note or a policy document (FHIR DocumentReference).
struct Document {
  std::string id;          // "note-0007-ds", "note-0007-pn1", or a policy id
  std::string patient_id;  // "" for policy documents
  std::string category;    // "discharge-summary" | "progress-note" | "policy"
  std::string title;
  std::string date;        // "2026-09-14"
  std::string text;        // sentences separated by ". "
  std::string plan_code;   // policy documents only
  std::string topic;       // policy documents only
  int version = 1;
  std::string status = "current";  // "current" | "superseded"
  std::vector<std::string> facts;  // answer facts stated verbatim in `text`
  std::string question;            // policy documents: the member question they answer
};

/// How a prior-auth case reads as prompt context (sentences separated by ". "):
/// "Prior authorization PA-SYN-482913 for CPT 72148 (MRI lumbar spine without contrast) has
/// status denied: <reason>. It was submitted to <insurer> on 2026-03-02."  (approved cases have no
/// ": <reason>"). Every entry of prior_auth_facts() appears verbatim in the first sentence.
std::string prior_auth_text(const PriorAuth& pa);
/// The answer facts of a prior-auth status question: the status, then the reason if any.
std::vector<std::string> prior_auth_facts(const PriorAuth& pa);

/// The whole world, with indexes by id and by patient. Copyable: indexes hold positions, not
/// pointers.
class World {
 public:
  /// Generates the world from `config` (deterministic in config.seed): config.patients patients
  /// (clamped to 0..99999), one coverage each, 0-3 prior-auth cases each (at least 60% of
  /// patients have one), one discharge summary and 1-2 progress notes each, and one document per
  /// config.policies entry. Empty name lists or plans fall back to built-in ones.
  static World generate(const WorldConfig& config);

  const std::vector<Patient>& patients() const { return patients_; }
  const std::vector<Coverage>& coverages() const { return coverages_; }
  const std::vector<PriorAuth>& prior_auths() const { return prior_auths_; }
  const std::vector<Document>& documents() const { return documents_; }
  const std::vector<PlanDef>& plans() const { return plans_; }

  /// Lookups by id; nullptr when absent.
  const Patient* patient(const std::string& id) const;
  const Coverage* coverage(const std::string& id) const;
  const Coverage* coverage_of(const std::string& patient_id) const;
  const PriorAuth* prior_auth(const std::string& id) const;
  const Document* document(const std::string& id) const;
  /// Prior-auth cases of a patient (may be empty).
  std::vector<const PriorAuth*> prior_auths_of(const std::string& patient_id) const;
  /// Chart notes of a patient, newest first.
  std::vector<const Document*> notes_of(const std::string& patient_id) const;
  /// Current policy documents of a plan, in config order.
  std::vector<const Document*> policies_of(const std::string& plan_code) const;

  /// A stable pseudonym for a patient id, safe for journals and reports ("pt-3fa9c2d1"): 8 hex
  /// digits of the folded FNV-1a 64 hash of the id.
  static std::string pseudonym(const std::string& patient_id);

 private:
  void index();
  std::vector<Patient> patients_;
  std::vector<Coverage> coverages_;
  std::vector<PriorAuth> prior_auths_;
  std::vector<Document> documents_;
  std::vector<PlanDef> plans_;
  std::unordered_map<std::string, std::size_t> patient_ix_, coverage_ix_, coverage_by_patient_,
      pa_ix_, doc_ix_;
  std::unordered_map<std::string, std::vector<std::size_t>> pa_by_patient_, notes_by_patient_,
      policies_by_plan_;
};

}  // namespace gameday
