#pragma once
// The fake EHR's behaviour as a pure function over the synthetic world, in FHIR R4 shapes.
#include <string>
#include <vector>

#include "config/model.hpp"
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
  int count = 20;             // _count
  int offset = 0;             // paging offset (_offset)
};

/// What the EHR does with one request. Resources point into the World.
struct EhrOutcome {
  Duration delay = 0;
  bool hang = false;      // never answers (timeout fault); status is then 0
  int status = 200;
  std::string diagnostics;  // OperationOutcome text when status != 200
  int total = 0;            // search: total matches before paging
  std::vector<const Patient*> patients;
  std::vector<const Coverage*> coverages;
  std::vector<const PriorAuth*> prior_auths;
  std::vector<const Document*> documents;
  std::vector<std::string> fault_ids;
};

/// A fake FHIR server over a World. Base latency is small and lognormal; faults add latency,
/// errors (OperationOutcome) and timeouts.
///
/// Reads (404 when absent): Patient, Coverage, ClaimResponse, DocumentReference by id.
/// Searches: Patient?_id= (EhrRequest::id, or `patient`; neither: all patients);
/// Coverage?patient=; ClaimResponse?patient= (prior auths); DocumentReference?patient=[&category=]
/// (chart notes, newest first); DocumentReference?category=policy[&plan=] (current policies).
/// Coverage, ClaimResponse and non-policy DocumentReference searches without `patient` are 400,
/// as is an unknown resource type. Pages are [offset, offset + count); total counts all matches.
class FakeEhr {
 public:
  explicit FakeEhr(const World& world) : world_(world) {}
  const World& world() const { return world_; }
  /// Computes the outcome of `req` at `now` under the active EHR `faults`, each applying with
  /// its probability. Pure: randomness from `rng`, drawn in a fixed order (base delay
  /// lognormal(median 40ms, sigma 0.4), then one draw per fault in order). Precedence:
  /// timeout (hang) > first applied error fault (its status, default 500) > the request's own
  /// result. Latency faults add to delay in every case. fault_ids: applied latency faults plus
  /// the timeout or error fault that decided the outcome.
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
/// A searchset Bundle for an outcome (self/next/previous links built from `base_url` and req).
std::string to_fhir_bundle_json(const EhrOutcome& o, const EhrRequest& req,
                                const std::string& base_url);
/// The OperationOutcome for a failed outcome (issue code by status: 404 not-found,
/// 400 invalid, 429 throttled, 5xx exception, else processing).
std::string to_fhir_error_json(const EhrOutcome& o);
/// An OperationOutcome with one issue.
std::string to_operation_outcome_json(const std::string& severity, const std::string& code,
                                      const std::string& diagnostics);

}  // namespace gameday
