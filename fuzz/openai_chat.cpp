// Fuzzes the fake vendor's chat completion path without sockets: the request body parser
// (POST /v1/chat/completions), then, for an accepted body, the vendor's answer (context
// scanning, citing, answering from tool results; once plainly and once bent by a mixed
// hallucination fault) fitted to the call (planned tool calls, stop sequences) and rendered as a
// chat.completion and as a stream of events, with the call's n choices. A bad body is an expected outcome: false with a
// WireError naming the field.
#include "fakes/tool_calls.hpp"
#include "fakes/vendor.hpp"
#include "net/openai_wire.hpp"
#include "sim/rng.hpp"
#include "support.hpp"
#include "world.hpp"

namespace {

const gameday::FakeVendor& vendor() {
  static const gameday::FakeVendor v(gameday::fuzz::shipped_fakes().vendors.front(),
                                     gameday::fuzz::shipped_fakes().hallucinations);
  return v;
}

const gameday::FaultSpec& hallucination() {
  static const gameday::FaultSpec f = [] {
    gameday::FaultSpec s;
    s.id = "fuzz-hallucination";
    s.target = "vendor:*";
    s.params = gameday::HallucinationFault{};
    s.as<gameday::HallucinationFault>()->mode = gameday::HallucinationMode::kMixed;
    return s;
  }();
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gameday;
  net::openai::ChatCall call;
  net::openai::WireError error;
  if (!net::openai::parse_chat_request(fuzz::as_text(data, size), call, error)) {
    net::openai::error_json(error);
    return 0;
  }
  Rng rng(size);
  const ChatRequest req = call.tool_turn.results.empty()
                              ? call.request
                              : tools::with_tool_results(call.request, call.tool_turn.results);
  for (const auto& faults : {std::vector<const FaultSpec*>{}, std::vector{&hallucination()}}) {
    VendorOutcome o = vendor().respond(req, 0, rng, faults);
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
