// The Responses API's function calls, planned by the shared tool-calling model
// (fakes/tool_calls.hpp) for the call's tool turn (responses_wire.hpp).
#include <algorithm>

#include "net/responses_wire.hpp"

namespace gameday::net::responses {

void fit_answer(const ResponsesCall& call, ChatResponse& r) {
  if (!r.tool_calls.empty() || call.tool_turn.tools.empty()) return;
  // The stem: the hex digits of the answer id, so the call ids differ per response.
  const std::string_view id = r.id;
  const std::string stem(id.substr(std::min(id.size(), id.find('-') + 1), 12));
  r.tool_calls = tools::plan_tool_calls(call.request, call.tool_turn, stem);
  if (r.tool_calls.empty()) return;
  r.content.clear();
  r.finish_reason = "tool_calls";
  std::size_t chars = 0;
  for (const ToolCall& tc : r.tool_calls) chars += tc.name.size() + tc.arguments.size();
  r.usage.completion_tokens = std::max(1, static_cast<int>((chars + 3) / 4));
  r.usage.total_tokens = r.usage.prompt_tokens + r.usage.completion_tokens;
}

}  // namespace gameday::net::responses
