// Fuzzes the fake vendor's chat completion path without sockets: the request body parser
// (POST /v1/chat/completions), then, for an accepted body, the vendor's answer with the call's
// tools attached (its tool step, answering from tool results; once plainly and once bent by a
// mixed hallucination fault) fitted to the call (planned tool calls, stop sequences) and
// rendered as a chat.completion and as a stream of events, with the call's n choices. A bad
// body is an expected outcome: false with a WireError naming the field.
#include "net/openai_wire.hpp"
#include "support.hpp"
#include "vendor.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gameday;
  net::openai::ChatCall call;
  net::openai::WireError error;
  if (!net::openai::parse_chat_request(fuzz::as_text(data, size), call, error)) {
    net::openai::error_json(error);
    return 0;
  }
  fuzz::answer_plain_and_bent(call.request, call.tool_turn, size, [&](VendorOutcome o) {
    if (o.status != 200) {
      net::openai::error_json(net::openai::outcome_error(o));
      return;
    }
    net::openai::fit_answer(call, o.response);
    net::openai::completion_json(o.response, 0, call.n);
    net::openai::stream_events(o.response, 0, call.include_usage, call.n);
  });
  return 0;
}
