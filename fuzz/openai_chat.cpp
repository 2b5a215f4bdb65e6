// Fuzzes the fake vendor's chat completion path without sockets: the request body parser
// (POST /v1/chat/completions), then, for an accepted body, the vendor's answer (context
// scanning, citing, answering from tool results; once plainly and once bent by a mixed
// hallucination fault) fitted to the call (planned tool calls, stop sequences) and rendered as a
// chat.completion and as a stream of events, with the call's n choices. A bad body is an expected outcome: false with a
// WireError naming the field.
#include "net/openai_wire.hpp"
#include "sim/rng.hpp"
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
  Rng rng(size);
  // The tools attached as the server attaches them: the vendor's tool step, answers from results.
  ChatRequest req = call.request;
  if (!call.tool_turn.tools.empty() || !call.tool_turn.results.empty()) req.tool_turn = &call.tool_turn;
  for (const auto& faults : {std::vector<const FaultSpec*>{}, std::vector{&fuzz::mixed_hallucination()}}) {
    VendorOutcome o = fuzz::shipped_vendor().respond(req, 0, rng, faults);
    if (o.status != 200) {
      net::openai::error_json(net::openai::outcome_error(o));
      continue;
    }
    net::openai::fit_answer(call, o.response);
    net::openai::completion_json(o.response, 0, call.n);
    net::openai::stream_events(o.response, 0, call.include_usage, call.n);
  }
  return 0;
}
