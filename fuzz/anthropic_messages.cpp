// Fuzzes the fake vendor's Anthropic Messages path without sockets: the request body parser
// (POST /v1/messages: system, text / tool_use / tool_result / text document blocks, tools and
// tool_choice, stop_sequences, sampling ranges), then, for an accepted body, the vendor's answer
// with the call's tools attached (once plainly and once bent by a mixed hallucination fault)
// fitted to the call, cut at its stop sequences and rendered as a message and as the stream's
// events. A bad body is an expected outcome: false with an Anthropic error naming the field.
#include "net/anthropic_wire.hpp"
#include "support.hpp"
#include "vendor.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gameday;
  net::anthropic::MessagesCall call;
  net::anthropic::WireError error;
  if (!net::anthropic::parse_messages_request(fuzz::as_text(data, size), call, error)) {
    net::anthropic::error_json(error);
    return 0;
  }
  fuzz::answer_plain_and_bent(call.request, call.tool_turn, size, [&](VendorOutcome o) {
    if (o.status != 200) {
      net::anthropic::error_json(net::anthropic::outcome_error(o));
      return;
    }
    net::anthropic::fit_answer(call, o.response);
    const std::string stop = net::anthropic::apply_stop_sequences(call.stop_sequences, o.response);
    net::anthropic::message_json(o.response, stop);
    net::anthropic::stream_events(o.response, stop);
  });
  return 0;
}
