// Fuzzes the fake vendor's Responses API path without sockets: the request body parser
// (POST /v1/responses: string or item input, function tools and outputs, text.format), then,
// for an accepted body, the vendor's answer with the call's tools attached (its tool step,
// answering from function_call_output items; once plainly and once bent by a mixed
// hallucination fault) fitted to the call and rendered as a response object and as the
// stream's events. A bad body is an expected outcome: false with a WireError naming the field.
#include "net/responses_wire.hpp"
#include "sim/rng.hpp"
#include "support.hpp"
#include "vendor.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gameday;
  net::responses::ResponsesCall call;
  net::openai::WireError error;
  if (!net::responses::parse_request(fuzz::as_text(data, size), call, error)) {
    net::openai::error_json(error);
    return 0;
  }
  Rng rng(size);
  ChatRequest req = call.request;
  if (!call.tool_turn.tools.empty() || !call.tool_turn.results.empty()) req.tool_turn = &call.tool_turn;
  for (const auto& faults : {std::vector<const FaultSpec*>{}, std::vector{&fuzz::mixed_hallucination()}}) {
    VendorOutcome o = fuzz::shipped_vendor().respond(req, 0, rng, faults);
    if (o.status != 200) {
      net::openai::error_json(net::openai::outcome_error(o));
      continue;
    }
    net::responses::fit_answer(call, o.response);
    const net::responses::ResponseData d = net::responses::make_data(call, o.response, 0);
    net::responses::response_json(d);
    net::responses::stream_events(d);
    net::responses::conversation(call, d.answer);
  }
  return 0;
}
