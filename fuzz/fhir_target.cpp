// Fuzzes the live EHR's request target parser (path and FHIR search query), then answers an
// accepted target as the live EHR does without sockets: FakeEhr::respond over the shipped world,
// rendered as a resource, a searchset Bundle or an OperationOutcome. A search's paging query
// (fhir_search_query, written into the Bundle's links) must parse back to the same search.
#include <cstdlib>

#include "fakes/ehr.hpp"
#include "net/fhir_wire.hpp"
#include "sim/rng.hpp"
#include "support.hpp"
#include "world.hpp"

namespace {

bool same_search(const gameday::EhrRequest& a, const gameday::EhrRequest& b) {
  return a.op == b.op && a.resource_type == b.resource_type && a.patient == b.patient &&
         a.category == b.category && a.plan == b.plan && a.status == b.status &&
         a.count == b.count && a.offset == b.offset;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gameday;
  const net::FhirTarget t = net::parse_fhir_target(fuzz::as_text(data, size));
  if (!t.ok()) {
    net::fhir_error_json(t.status, t.diagnostics);
    return 0;
  }
  if (t.route == net::FhirRoute::kMetadata) return 0;
  const std::string base = "http://127.0.0.1:1/fhir";
  if (t.route == net::FhirRoute::kSearch) {
    const std::string again = "/fhir/" + t.request.resource_type + "?" +
                              net::fhir_search_query(t.request, t.request.offset);
    const net::FhirTarget back = net::parse_fhir_target(again);
    if (!back.ok() || !same_search(back.request, t.request)) std::abort();
  }
  static const FakeEhr ehr(fuzz::shipped_world());
  Rng rng(size);
  const EhrOutcome o = ehr.respond(t.request, 0, rng, {});
  net::fhir_outcome_json(o, t.request, base);
  return 0;
}
