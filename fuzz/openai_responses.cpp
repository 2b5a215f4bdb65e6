// Fuzzes the fake vendor's Responses API path without sockets: the request body parser
// (POST /v1/responses: string or item input, function tools and outputs, text.format), then,
// for an accepted body, the vendor's answer with the call's tools attached (its tool step,
// answering from function_call_output items; once plainly and once bent by a mixed
// hallucination fault) fitted to the call and rendered as a response object and as the
// stream's events. A bad body is an expected outcome: false with a WireError naming the field.
#include "net/responses_wire.hpp"
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
  fuzz::answer_plain_and_bent(call.request, call.tool_turn, size, [&](VendorOutcome o) {
    if (o.status != 200) {
      net::openai::error_json(net::openai::outcome_error(o));
      return;
    }
    net::responses::fit_answer(call, o.response);
    const net::responses::ResponseData d = net::responses::make_data(call, o.response, 0);
    net::responses::response_json(d);
    net::responses::stream_events(d);
    net::responses::conversation(call, d.answer);
  });
  return 0;
}
