// Fuzzes the OTLP/JSON trace intake (what a drill's control port takes on POST /v1/traces from a
// service) and what the drill writes of the spans it keeps. A bad body is an expected outcome:
// false with the error. What is kept must hold no PHI and re-parse.
#include <cstdlib>

#include "assistant/phi.hpp"
#include "net/otlp_intake.hpp"
#include "net/otlp_spans.hpp"
#include "support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gameday;
  IntakeBatch batch;
  std::string error;
  if (!parse_otlp_traces(fuzz::as_text(data, size), batch, error)) return 0;
  for (const IntakeSpan& s : batch.spans) {
    if (contains_phi(s.name) || contains_phi(s.status_message)) std::abort();
    for (const IntakeAttribute& a : s.attributes) {
      if (!intake_attribute_allowed(a.key) || contains_phi(a.value)) std::abort();
    }
  }
  // The kept spans, written out as the drill writes them, read back as the same spans.
  IntakeBatch again;
  if (!parse_otlp_traces(net::intake_export_json(batch.spans), again, error)) std::abort();
  if (again.spans.size() != batch.spans.size() || again.rejected != 0) std::abort();
  return 0;
}
