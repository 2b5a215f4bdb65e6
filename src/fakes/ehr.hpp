#pragma once
// The fake EHR's behaviour as a pure function over the synthetic world, in FHIR R4 shapes.
#include <string>
#include <vector>

#include "spec/model.hpp"
#include "fakes/world.hpp"
#include "sim/rng.hpp"
#include "sim/time.hpp"

namespace gameday {

/// A FHIR read or search.
struct EhrRequest {
  enum class Op { kRead, kSearch };
  Op op = Op::kSearch;
  std::string resource_type;  // Patient | Coverage | ClaimResponse | DocumentReference
  std::string id;             // read
  // search parameters
  std::string patient;        // patient=<id>
  std::string category;       // DocumentReference category
  std::string plan;           // DocumentReference policy plan code (gameday search parameter)
  std::string status;         // DocumentReference status (current | superseded); "" = any
  int count = 20;             // _count
  int offset = 0;             // paging offset (_offset)
  /// Request metadata: the caller's task type, for fault filters (task_types); "" = not given.
  /// Not a search parameter and never part of the query.
  std::string task_type;
};

/// What the EHR does with one request. Resources point into the World.
struct EhrOutcome {
  Duration delay = 0;
  bool hang = false;      // never answers (timeout fault); status is then 0
  int status = 200;
  std::string diagnostics;  // OperationOutcome text when status != 200
  /// Retry-After of the error fault that decided the outcome (0 = none; only set when that
  /// fault has retry_after > 0).
  Duration retry_after = 0;
  int total = 0;            // search: total matches before paging
  std::vector<const Patient*> patients;
  std::vector<const Coverage*> coverages;
  std::vector<const PriorAuth*> prior_auths;
  std::vector<const Document*> documents;
  std::vector<std::string> fault_ids;
  /// truncated_paging: entries were dropped from this page and the bundle omits its next link
  /// (total still counts every match).
  bool truncated = false;
};

/// A fake FHIR server over a World. Base latency is small and lognormal; faults add latency,
/// errors (OperationOutcome) and timeouts, and bend what searches return.
///
/// Reads (404 when absent): Patient, Coverage, ClaimResponse, DocumentReference by id.
/// Searches: Patient?_id= (EhrRequest::id, or `patient`; neither: all patients);
/// Coverage?patient=; ClaimResponse?patient= (prior auths); DocumentReference?patient=[&category=]
/// (chart notes and portal messages, newest first; category e.g. discharge-summary,
/// progress-note, portal-message); DocumentReference?category=policy[&plan=] (current policies;
/// plan=ALL gives the policies for every plan, i.e. the triage policy).
/// Coverage, ClaimResponse and non-policy DocumentReference searches without `patient` are 400,
/// as is an unknown resource type. Pages are [offset, offset + count); total counts all matches.
///
/// Data faults (searches only; reads are never bent), applied in this order, each recorded in
/// fault_ids only when it changed the result:
/// - wrong_patient: a patient-scoped search (or Patient?_id=) runs for another patient, drawn
///   from the rng and then the next one (in world order) whose search is non-empty when the
///   real one was: real resources, real ids, wrong facts.
/// - irrelevant_docs (DocumentReference): a policy search returns the current policies of
///   another plan (drawn among World::policy_plans()); a patient search returns the patient's
///   documents of other categories (none requested or none other: the first plan's policies).
/// - stale_docs (policy searches): each current policy with a superseded version is replaced by
///   its newest superseded version (distinct ids, so citations stay valid).
/// - poisoned_note (patient-scoped DocumentReference searches, first page): the patient's
///   poisoned note (World::poisoned_note with the fault's `payload`, "" = the patient's drawn
///   one) is put first; total grows by one.
/// - truncated_paging: a page of more than one entry keeps only its first; total unchanged;
///   no next link (EhrOutcome::truncated).
/// - empty_results: no entries, total 0.
class FakeEhr {
 public:
  explicit FakeEhr(const World& world) : world_(world) {}
  const World& world() const { return world_; }
  /// Computes the outcome of `req` at `now` under the EHR `faults` (FaultBoard::select, or every
  /// active EHR fault from for_target), each applying when the request passes its task_types
  /// filter (req.task_type) and a draw falls under its probability. Pure: randomness from
  /// `rng`, drawn in a fixed order (base delay lognormal(median 40ms, sigma 0.4), then one draw
  /// per filtered fault in order plus a delay sample for applied latency faults, then
  /// wrong_patient's and irrelevant_docs' picks when they apply). Precedence: timeout (hang) >
  /// first applied error fault (its status, default 500, and its retry_after) > the request's
  /// own result, bent by the first applied data fault of each kind (see above). Latency faults
  /// add to delay in every case. fault_ids: applied latency faults, the timeout or error fault
  /// that decided the outcome, then the data faults that changed the result.
  EhrOutcome respond(const EhrRequest& req, SimTime now, Rng& rng,
                     const std::vector<const FaultSpec*>& faults) const;

 private:
  const World& world_;
};

/// FHIR JSON for single resources.
std::string to_fhir_json(const Patient& p);
std::string to_fhir_json(const Coverage& c);
std::string to_fhir_json(const PriorAuth& pa);
std::string to_fhir_json(const Document& d);
/// The query string (without '?') of one page of `req`'s search starting at `offset`: every
/// search parameter (task_type excluded, values percent-encoded), `_count` and `_offset`.
std::string to_fhir_search_query(const EhrRequest& req, int offset);
/// A searchset Bundle for an outcome (self/next/previous links built from `base_url` and req;
/// no next link when the outcome is truncated; no "entry" on an empty page).
std::string to_fhir_bundle_json(const EhrOutcome& o, const EhrRequest& req,
                                const std::string& base_url);
/// The OperationOutcome for a failed outcome (issue code by status: 404 not-found,
/// 400 invalid, 429 throttled, 5xx exception, else processing).
std::string to_fhir_error_json(const EhrOutcome& o);
/// An OperationOutcome with one issue.
std::string to_operation_outcome_json(const std::string& severity, const std::string& code,
                                      const std::string& diagnostics);

}  // namespace gameday
