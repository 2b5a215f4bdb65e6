#pragma once
// The synthetic EHR world: patients with PHI-shaped but plainly synthetic identifiers, coverage,
// prior-auth cases, chart notes and policy documents. Generated deterministically from a seed.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "spec/model.hpp"

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

/// A document a citation can name: a chart note, a patient portal message or a policy document
/// (FHIR DocumentReference).
struct Document {
  std::string id;          // "note-0007-ds", "note-0007-pn1", "msg-0007", "note-0007-px1", or a
                           // policy id
  std::string patient_id;  // "" for policy documents
  std::string category;    // "discharge-summary" | "progress-note" | "portal-message" | "policy"
  std::string title;
  std::string date;        // "2026-09-14"
  std::string text;        // sentences separated by ". "
  std::string plan_code;   // policy documents only
  std::string topic;       // policy documents only
  int version = 1;
  std::string status = "current";  // "current" | "superseded"
  /// Answer facts stated verbatim in `text`. Portal messages: their urgency ("emergency",
  /// "urgent" or "routine"), stated verbatim in the triage policy (not in the message).
  /// Poisoned notes: none.
  std::vector<std::string> facts;
  std::string question;            // policy documents: the member question they answer
  std::string payload_id;          // poisoned notes: the injection payload planted ("" otherwise)
  std::string canary;              // poisoned notes: that payload's canary token
};

/// The plan code of documents that apply to every plan (the triage policy).
inline constexpr const char* kAllPlansCode = "ALL";

/// How a prior-auth case reads as prompt context (sentences separated by ". "):
/// "Prior authorization PA-SYN-482913 for CPT 72148 (MRI lumbar spine without contrast) has
/// status denied: <reason>. It was submitted to <insurer> on 2026-03-02."  (approved cases have no
/// ": <reason>"). Every entry of prior_auth_facts() appears verbatim in the first sentence.
std::string prior_auth_text(const PriorAuth& pa);
/// Appends prior_auth_text(pa) to `out` (a prompt being built), without a string of its own.
void append_prior_auth_text(std::string& out, const PriorAuth& pa);
/// The answer facts of a prior-auth status question: the status, then the reason if any.
std::vector<std::string> prior_auth_facts(const PriorAuth& pa);

/// The whole world, with indexes by id and by patient. Copyable: indexes hold positions, not
/// pointers.
class World {
 public:
  /// Generates the world from `config` (deterministic in config.seed): config.patients patients
  /// (clamped to 0..99999), one coverage each, 0-3 prior-auth cases each (at least 60% of
  /// patients have one), one discharge summary and 1-2 progress notes each, one portal message
  /// each (`msg-NNNN`, newest of the patient's documents), one document per config.policies
  /// entry, the shared triage policy (`policy-triage-v1`, plan kAllPlansCode, topic "triage"),
  /// and one poisoned note per patient and config.injections payload (`note-NNNN-px<k>`, k the
  /// payload's 1-based position; see poisoned_note). Empty name lists or plans fall back to
  /// built-in ones. Messages and poisoned notes draw from their own random streams, so the
  /// rest of the world does not depend on them.
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
  /// Current policy documents of a plan, in config order. kAllPlansCode gives the documents
  /// that apply to every plan (the triage policy).
  std::vector<const Document*> policies_of(const std::string& plan_code) const;
  /// The newest superseded version of a current policy (same plan and topic), or nullptr when
  /// it has none.
  const Document* superseded_version(const Document& current) const;
  /// Plan codes with current policy documents: the plans in config order, then kAllPlansCode.
  std::vector<std::string> policy_plans() const;

  /// The injection payloads poisoned notes carry (WorldConfig::injections).
  const std::vector<InjectionPayload>& injections() const { return injections_; }
  /// The poisoned note of a patient carrying payload `payload_id`; "" means the payload drawn
  /// for this patient at generation. nullptr when the patient or payload is unknown. Poisoned
  /// notes are readable by id but no normal search returns them: a poisoned_note fault adds
  /// them to search results. The payload text's placeholders are filled: {canary}, and
  /// {other_patient_name} / {other_patient_mrn} with another patient (drawn per patient).
  const Document* poisoned_note(const std::string& patient_id,
                                const std::string& payload_id) const;

  /// A stable pseudonym for a patient id in this world, safe for journals and reports
  /// ("pt-3fa9c2d1"): pseudonym(patient_id, salt) with this world's secret salt, drawn from the
  /// world seed (its own random stream). Without the salt anyone could hash the 9,999 possible
  /// ids and reverse a journal's pseudonyms; the same seed still gives the same pseudonyms.
  /// Distinct for every patient of the world: a patient whose pseudonym another patient (earlier
  /// in id order) already has gets pseudonym(patient_id, salt + k) for the first k that is
  /// free. Ids of no patient get pseudonym(patient_id, salt).
  std::string pseudonym(const std::string& patient_id) const;
  /// "pt-" and 8 hex digits: the 64-bit FNV-1a hash of the salt's 8 bytes followed by the id,
  /// mixed (mix64) and folded to 32 bits.
  static std::string pseudonym(const std::string& patient_id, std::uint64_t salt);

 private:
  void index();
  std::uint64_t pseudonym_salt_ = 0;
  std::unordered_map<std::string, std::string> pseudonyms_;  // patient id -> its pseudonym
  std::vector<Patient> patients_;
  std::vector<Coverage> coverages_;
  std::vector<PriorAuth> prior_auths_;
  std::vector<Document> documents_;
  std::vector<PlanDef> plans_;
  std::vector<InjectionPayload> injections_;
  std::unordered_map<std::string, std::size_t> patient_ix_, coverage_ix_, coverage_by_patient_,
      pa_ix_, doc_ix_;
  std::unordered_map<std::string, std::vector<std::size_t>> pa_by_patient_, notes_by_patient_,
      policies_by_plan_;
  // Poisoned notes by patient, in payload order; and the payload drawn for each patient.
  std::unordered_map<std::string, std::vector<std::size_t>> poisoned_by_patient_;
  std::unordered_map<std::string, std::size_t> drawn_payload_;
  // "plan\ntopic" -> the newest superseded policy of that plan and topic.
  std::unordered_map<std::string, std::size_t> superseded_ix_;
};

}  // namespace gameday
