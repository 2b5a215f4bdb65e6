#pragma once
// Spans the live shell sends on as OTLP/JSON export requests (one line each, as
// traces.otlp.jsonl holds them): the spans a team's service exported to the drill's intake,
// under its own resource; and the calls the fakes served, as SERVER spans of the fake vendor and
// EHR (`gameday serve --otlp`), children of the caller's span when it sent a traceparent.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "net/otlp_intake.hpp"
#include "net/served_call.hpp"

namespace gameday::net {

/// One ExportTraceServiceRequest holding `spans` (one resourceSpans per service.name, scope
/// "gameday.intake"), with the attributes the intake kept.
std::string intake_export_json(const std::vector<IntakeSpan>& spans);

/// One ExportTraceServiceRequest holding each call as a SERVER span of `service_name`: named
/// `chat {model}` / `embeddings {model}` (vendor) or `GET /{ResourceType}` (EHR), with the GenAI
/// attributes of the model call, http.response.status_code, error.type, one `gameday.fault`
/// event per fault that shaped it, and an ERROR status when it failed. A call with trace context
/// joins its caller's trace as a child of the caller's span; one without starts its own trace
/// (ids from `salt` and its position). Nothing in it holds PHI.
std::string served_export_json(const std::vector<ServedCall>& calls, std::string_view service_name,
                               std::uint64_t salt);

}  // namespace gameday::net
