#pragma once
// The FHIR R4 wire format of the live EHR: a request target (path and query) becomes an
// EhrRequest, and an EhrOutcome becomes an application/fhir+json body (the resource, a searchset
// Bundle with paging links, or an OperationOutcome). Pure string work, no I/O: the server shell
// (EhrServer) only adds sockets, timers and faults.
#include <string>
#include <string_view>
#include <vector>

#include "fakes/ehr.hpp"

namespace gameday::net {

/// The media type of every FHIR body the live EHR sends.
inline constexpr const char* kFhirJson = "application/fhir+json";
/// The paging parameter the live EHR writes in its links (`_getpagesoffset` is read too).
inline constexpr const char* kFhirOffsetParam = "_offset";
/// The largest page size; a larger `_count` is served as this many (FHIR lets servers cap it).
inline constexpr int kFhirMaxCount = 1000;

/// What a request target asks for.
enum class FhirRoute {
  kMetadata,  ///< GET [base]/metadata: the CapabilityStatement
  kRead,      ///< GET [base]/{Type}/{id}
  kSearch,    ///< GET [base]/{Type}?params
};

/// A parsed FHIR request target, or why it is not a valid one.
struct FhirTarget {
  FhirRoute route = FhirRoute::kSearch;
  /// Read and search: the request for FakeEhr::respond (task_type left empty: it comes from
  /// the X-Gameday-Task-Type header, never from the query).
  EhrRequest request;
  /// 0 when the target is valid; else the HTTP status to answer (400 bad parameter, type, id or
  /// query; 404 unknown route; 406 a non-JSON `_format`).
  int status = 0;
  /// The offending query parameter, as sent (e.g. "foo", "_count"); "" when the error is not
  /// about one parameter.
  std::string param;
  /// The error, for the OperationOutcome's diagnostics (names the parameter when there is one).
  std::string diagnostics;
  /// A low-cardinality route label for metrics: "/fhir/metadata", "/fhir/Patient" (search),
  /// "/fhir/Patient/{id}" (read), or "other" (unknown routes and resource types).
  std::string route_name = "other";

  bool ok() const { return status == 0; }
};

/// Parses the target of a request (origin form "/fhir/Patient?_id=x", or absolute form) under
/// `base_path`. Routes: `base/metadata`; `base/{Type}/{id}` (read); `base/{Type}` (search);
/// anything else is 404. Types: Patient, Coverage, ClaimResponse, DocumentReference (others
/// 400). Path segments and query keys and values are percent-decoded (`+` is a space in the
/// query); bad encoding is 400. Search parameters, each at most once (a repeat is 400), empty
/// values ignored:
/// - Patient: `_id`.
/// - Coverage: `patient` or `beneficiary`. ClaimResponse: `patient`.
/// - DocumentReference: `patient` or `subject`, `category` (a token: `system|code` or `code`),
///   `status` (current | superseded), `plan` (gameday's policy plan code, only with
///   category=policy; `ALL` gives the policies for every plan).
/// - Every search: `_count` (0..; capped at kFhirMaxCount), `_offset` or `_getpagesoffset` (0..).
/// Reference parameters take `pat-0001`, `Patient/pat-0001` or a URL ending so. Every route
/// also accepts `_format` (JSON types only; others are 406) and `_pretty` (true | false,
/// ignored). Any other parameter is 400 naming it.
FhirTarget parse_fhir_target(std::string_view target, std::string_view base_path = "/fhir");

/// True for the resource types the live EHR serves.
bool is_fhir_resource_type(std::string_view type);

/// The query string (without '?') of one page of `req`'s search starting at `offset`: every
/// search parameter of `req` (task_type excluded), `_count`, and kFhirOffsetParam. Parsing it
/// back gives the same search.
std::string fhir_search_query(const EhrRequest& req, int offset);

/// A searchset Bundle for a search outcome: `total`, `link` self, next (absent when the page
/// is the last one, when `_count` is 0, or when the outcome is truncated) and previous (when
/// the offset is not 0), built from `base_url` ("http://host:port/fhir") and `req`; one entry
/// per resource with its fullUrl and search.mode "match".
std::string fhir_bundle_json(const EhrOutcome& o, const EhrRequest& req,
                             const std::string& base_url);

/// The body for an outcome of FakeEhr::respond (not a hang): the resource for a successful read,
/// the Bundle for a successful search, else the OperationOutcome (to_fhir_error_json).
std::string fhir_outcome_json(const EhrOutcome& o, const EhrRequest& req,
                              const std::string& base_url);

/// The Retry-After header value for an outcome: its retry_after in whole seconds, rounded up,
/// on a failed outcome with retry_after > 0; "" when the response has no Retry-After.
std::string fhir_retry_after(const EhrOutcome& o);

/// An OperationOutcome with one error issue whose code follows the HTTP status (400 invalid,
/// 404 not-found, 405 and 406 not-supported, 429 throttled, 5xx exception, else processing).
std::string fhir_error_json(int status, const std::string& diagnostics);

/// The CapabilityStatement served at [base]/metadata: FHIR 4.0.1, JSON only, one entry per
/// resource type with interactions read and search-type and its search parameters.
std::string fhir_capability_statement_json(const std::string& base_url);

/// Percent-decodes `in` into `out` (`+` as a space when `plus_is_space`); false on a bad escape.
bool percent_decode(std::string_view in, bool plus_is_space, std::string& out);

}  // namespace gameday::net
