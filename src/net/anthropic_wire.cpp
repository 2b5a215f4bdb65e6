#include "net/anthropic_wire.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace gameday::net::anthropic {
namespace {

using Json = nlohmann::ordered_json;

std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

bool fail(WireError& e, std::string message) {
  e = WireError{};
  e.message = std::move(message);
  return false;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

constexpr const char* kNotSupported = " not supported by gameday's fake vendor";

// A string member of `o` ("" when `o` is no object or the member is absent or no string).
std::string str(const Json& o, const char* key) {
  if (!o.is_object()) return "";
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : "";
}

// The text of a content value: a string, or the text of its text blocks (`at` its field path;
// a block the fake model cannot read is refused).
bool text_of(const Json& content, const std::string& at, std::string& out, WireError& error) {
  if (content.is_string()) {
    out = content.get<std::string>();
    return true;
  }
  if (!content.is_array()) return true;
  for (std::size_t k = 0; k < content.size(); ++k) {
    const Json& b = content[k];
    const std::string type = str(b, "type");
    if (type == "image") return fail(error, at + "." + std::to_string(k) + ".type: image blocks are" + kNotSupported);
    if (type == "text" && b.contains("text") && b["text"].is_string()) {
      if (!out.empty()) out += "\n";
      out += b["text"].get<std::string>();
    }
  }
  return true;
}

// Characters that may stand in a context block id.
bool id_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'; }

// What the turns read so far leave for the next one.
struct TurnState {
  std::vector<std::string> open_calls;  // tool_use ids of the last assistant turn
  std::size_t calls_at = 0;             // that turn's index
  int documents = 0;                    // text documents read so far
};

// A document block: a text source read as a context block; anything else refused.
bool read_document(const Json& b, const std::string& at, TurnState& state, std::string& context, WireError& error) {
  const Json citations = b.value("citations", Json::object());
  if (citations.is_object() && citations.contains("enabled") && citations["enabled"] == true) {
    return fail(error, at + ".citations: citations are" + kNotSupported);
  }
  const Json source = b.value("source", Json::object());
  const std::string type = str(source, "type");
  if (type.empty()) return fail(error, at + ".source.type: Field required");
  if (type != "text") {
    return fail(error, at + ".source.type: document blocks with a '" + type + "' source are" + kNotSupported +
                           " (only text sources are)");
  }
  if (!source.contains("data") || !source["data"].is_string()) return fail(error, at + ".source.data: Field required");
  std::string id;
  for (char c : str(b, "title")) id += id_char(c) ? c : '-';
  ++state.documents;
  if (id.empty()) id = "document-" + std::to_string(state.documents);
  std::string text = source["data"].get<std::string>();
  std::replace(text.begin(), text.end(), '\n', ' ');
  context += "\n[doc:" + id + "] " + text;
  return true;
}

// One block of a turn: its text into `text`, documents into `context`, calls and results into
// the state and the tool turn.
bool read_block(const Json& b, const std::string& at, const std::string& role, TurnState& state,
                std::vector<std::string>& calls, tools::ToolTurn& turn, std::string& text, std::string& context,
                WireError& error) {
  const std::string type = str(b, "type");
  if (type.empty()) return fail(error, at + ".type: Field required");
  if (type == "text") {
    if (!b.contains("text") || !b["text"].is_string()) return fail(error, at + ".text: Field required");
    text += (text.empty() ? "" : "\n") + b["text"].get<std::string>();
  } else if (type == "tool_use") {
    if (!b.contains("id") || !b["id"].is_string()) return fail(error, at + ".id: Field required");
    if (!b.contains("name") || !b["name"].is_string()) return fail(error, at + ".name: Field required");
    calls.push_back(b["id"].get<std::string>());
  } else if (type == "tool_result") {
    if (!b.contains("tool_use_id") || !b["tool_use_id"].is_string()) return fail(error, at + ".tool_use_id: Field required");
    const std::string id = b["tool_use_id"].get<std::string>();
    const auto call = std::find(state.open_calls.begin(), state.open_calls.end(), id);
    if (role != "user" || call == state.open_calls.end()) {
      return fail(error, at + ": unexpected `tool_use_id` found in `tool_result` blocks: " + id +
                             ". Each `tool_result` block must have a corresponding `tool_use` block in the previous "
                             "message.");
    }
    state.open_calls.erase(call);
    std::string result;
    if (b.contains("content") && !text_of(b["content"], at + ".content", result, error)) return false;
    turn.results.push_back(tools::ToolResult{id, "", result});
  } else if (type == "document") {
    return read_document(b, at, state, context, error);
  } else if (type == "image") {
    return fail(error, at + ".type: image blocks are" + kNotSupported);
  } else if (type == "thinking" || type == "redacted_thinking") {
    return fail(error, at + ".type: " + type + " blocks are" + kNotSupported + " (extended thinking is not modelled)");
  } else {
    return fail(error, at + ".type: '" + type + "' blocks are" + kNotSupported);
  }
  return true;
}

// One turn flattened for the fake model: a user turn's text with its documents as context
// blocks; a turn answering tool calls becomes a "tool" message and its results the tool
// turn's (the model answers them against the question before).
bool read_turn(const Json& m, std::size_t i, TurnState& state, tools::ToolTurn& turn, ChatMessage& out,
               WireError& error) {
  const std::string at = "messages." + std::to_string(i);
  if (!m.is_object()) return fail(error, at + ": Input should be an object");
  const std::string role = str(m, "role");
  if (role != "user" && role != "assistant" && role != "system") {
    return fail(error, at + ".role: Input should be 'user' or 'assistant'");
  }
  if (!m.contains("content") || (!m["content"].is_string() && !m["content"].is_array())) {
    return fail(error, at + ".content: Input should be a string or a list of content blocks");
  }
  out.role = role;
  std::vector<std::string> calls;
  std::string context;
  // Results answer the calls made for the latest question.
  if (role == "user") turn.results.clear();
  if (m["content"].is_string()) out.content = m["content"].get<std::string>();
  for (std::size_t k = 0; m["content"].is_array() && k < m["content"].size(); ++k) {
    if (!read_block(m["content"][k], at + ".content." + std::to_string(k), role, state, calls, turn, out.content,
                    context, error)) {
      return false;
    }
  }
  if (!state.open_calls.empty()) {
    std::string ids;
    for (const auto& id : state.open_calls) ids += (ids.empty() ? "" : ", ") + id;
    return fail(error, "messages." + std::to_string(state.calls_at) +
                           ": `tool_use` ids were found without `tool_result` blocks immediately after: " + ids +
                           ". Each `tool_use` block must have a corresponding `tool_result` block in the next message.");
  }
  state.open_calls = std::move(calls);
  state.calls_at = i;
  if (role == "user" && !turn.results.empty()) {
    // Results answer the calls of the question before; text beside them is kept, not asked.
    out.role = "tool";
    for (const auto& r : turn.results) out.content += (out.content.empty() ? "" : "\n") + r.content;
  }
  out.content += context;
  return true;
}

bool read_tools(const Json& j, MessagesCall& out, WireError& error) {
  tools::ToolTurn& turn = out.tool_turn;
  if (j.contains("tools")) {
    if (!j["tools"].is_array()) return fail(error, "tools: Input should be a valid list");
    for (std::size_t i = 0; i < j["tools"].size(); ++i) {
      const Json& t = j["tools"][i];
      const std::string at = "tools." + std::to_string(i);
      const std::string type = t.is_object() && t.contains("type") && t["type"].is_string() ? t["type"].get<std::string>()
                                                                                              : "custom";
      if (type != "custom") return fail(error, at + ".type: server tools ('" + type + "') are" + kNotSupported);
      if (!t.is_object() || !t.contains("name") || !t["name"].is_string()) return fail(error, at + ".name: Field required");
      tools::ToolSpec spec;
      spec.name = t["name"].get<std::string>();
      if (t.contains("description") && t["description"].is_string()) spec.description = t["description"].get<std::string>();
      // The real API requires a JSON Schema object for a custom tool's input.
      if (!t.contains("input_schema")) return fail(error, at + ".input_schema: Field required");
      if (!t["input_schema"].is_object()) return fail(error, at + ".input_schema: Input should be a valid dictionary");
      spec.parameters = dump(t["input_schema"]);
      turn.tools.push_back(std::move(spec));
    }
  }
  if (!j.contains("tool_choice")) return true;
  const Json& c = j["tool_choice"];
  const std::string type = str(c, "type");
  if (type != "auto" && type != "any" && type != "tool" && type != "none") {
    return fail(error, "tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'");
  }
  if (c.contains("disable_parallel_tool_use")) {
    if (!c["disable_parallel_tool_use"].is_boolean()) {
      return fail(error, "tool_choice.disable_parallel_tool_use: Input should be a valid boolean");
    }
    turn.parallel = !c["disable_parallel_tool_use"].get<bool>();
  }
  turn.choice.mode = type == "any"    ? tools::ChoiceMode::kRequired
                     : type == "tool" ? tools::ChoiceMode::kNamed
                     : type == "none" ? tools::ChoiceMode::kNone
                                      : tools::ChoiceMode::kAuto;
  if (type == "tool") {
    turn.choice.name = str(c, "name");
    const bool offered = std::any_of(turn.tools.begin(), turn.tools.end(),
                                     [&](const tools::ToolSpec& t) { return t.name == turn.choice.name; });
    if (!offered) return fail(error, "tool_choice.name: no tool named '" + turn.choice.name + "' is in tools");
  }
  if (type == "any" && turn.tools.empty()) return fail(error, "tool_choice: 'any' needs at least one tool");
  return true;
}

// temperature, top_p and top_k: checked as Anthropic checks them; the deterministic model
// takes no effect from them. top_p and top_k -1 mean "not set" (LangChain sends them so).
bool read_sampling(const Json& j, WireError& error) {
  for (const char* key : {"temperature", "top_p"}) {
    if (!j.contains(key) || j[key].is_null()) continue;
    if (!j[key].is_number()) return fail(error, std::string(key) + ": Input should be a valid number");
    const double v = j[key].get<double>();
    if (v == -1 && std::string_view(key) == "top_p") continue;
    if (v < 0) return fail(error, std::string(key) + ": Input should be greater than or equal to 0");
    if (v > 1) return fail(error, std::string(key) + ": Input should be less than or equal to 1");
  }
  if (j.contains("top_k") && !j["top_k"].is_null()) {
    if (!j["top_k"].is_number_integer()) return fail(error, "top_k: Input should be a valid integer");
    if (j["top_k"].get<long long>() < -1) return fail(error, "top_k: Input should be greater than or equal to 0");
  }
  if (j.contains("thinking") && !j["thinking"].is_null()) {
    const std::string type = str(j["thinking"], "type");
    if (type == "enabled") return fail(error, "thinking: extended thinking is" + std::string(kNotSupported));
    if (type != "disabled") return fail(error, "thinking.type: Input should be 'enabled' or 'disabled'");
  }
  return true;
}

bool read_basics(const Json& j, MessagesCall& out, WireError& error) {
  if (!j.contains("model") || !j["model"].is_string() || j["model"].get<std::string>().empty()) {
    return fail(error, "model: Field required");
  }
  out.request.model = j["model"].get<std::string>();
  if (!j.contains("max_tokens")) return fail(error, "max_tokens: Field required");
  if (!j["max_tokens"].is_number_integer() || j["max_tokens"].get<long long>() < 1) {
    return fail(error, "max_tokens: Input should be a positive integer");
  }
  out.request.max_tokens = static_cast<int>(std::min<long long>(j["max_tokens"].get<long long>(), 1'000'000));
  if (j.contains("stream") && !j["stream"].is_boolean()) return fail(error, "stream: Input should be a valid boolean");
  out.stream = j.value("stream", false);
  if (j.contains("stop_sequences")) {
    if (!j["stop_sequences"].is_array()) return fail(error, "stop_sequences: Input should be a valid list");
    for (const auto& s : j["stop_sequences"]) {
      if (!s.is_string()) return fail(error, "stop_sequences: Input should be a list of strings");
      if (!s.get<std::string>().empty()) out.stop_sequences.push_back(s.get<std::string>());
    }
  }
  if (j.contains("system")) {
    if (!j["system"].is_string() && !j["system"].is_array()) {
      return fail(error, "system: Input should be a string or a list of text blocks");
    }
    ChatMessage system{"system", ""};
    if (!text_of(j["system"], "system", system.content, error)) return false;
    out.request.messages.push_back(std::move(system));
  }
  if (j.contains("metadata") && j["metadata"].is_object() && j["metadata"].contains("task_type") &&
      j["metadata"]["task_type"].is_string()) {
    out.request.task_type = j["metadata"]["task_type"].get<std::string>();
  }
  return true;
}

std::string stop_reason(const ChatResponse& r, const std::string& stop_sequence) {
  if (!stop_sequence.empty()) return "stop_sequence";
  if (!r.tool_calls.empty()) return "tool_use";
  return r.finish_reason == "length" ? "max_tokens" : "end_turn";
}

Json tool_use_block(const ToolCall& tc, bool with_input) {
  Json b;
  b["type"] = "tool_use";
  b["id"] = tc.id;
  b["name"] = tc.name;
  Json input = Json::parse(tc.arguments, nullptr, false);
  b["input"] = with_input && input.is_object() ? input : Json::object();
  return b;
}

std::string event(std::string_view name, const Json& data) {
  std::string s = "event: ";
  s += name;
  s += "\ndata: ";
  s += dump(data);
  s += "\n\n";
  return s;
}

}  // namespace

bool check_headers(const std::vector<std::pair<std::string, std::string>>& headers, WireError& error) {
  bool key = false;
  bool version = false;
  for (const auto& [name, value] : headers) {
    const std::string n = lower(name);
    if (n == "x-api-key" && !value.empty()) key = true;
    if (n == "authorization" && lower(value).starts_with("bearer ") && value.size() > 7) key = true;
    if (n == "anthropic-version" && !value.empty()) version = true;
  }
  if (!key) {
    error = WireError{401, "authentication_error", "x-api-key header is required"};
    return false;
  }
  if (!version) {
    error = WireError{400, "invalid_request_error", "anthropic-version: header is required"};
    return false;
  }
  return true;
}

bool parse_messages_request(std::string_view body, MessagesCall& out, WireError& error) {
  out = MessagesCall{};
  out.request.route = kMessagesRoute;
  const Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail(error, "The request body is not valid JSON");
  if (!read_basics(j, out, error) || !read_sampling(j, error) || !read_tools(j, out, error)) return false;
  if (!j.contains("messages")) return fail(error, "messages: Field required");
  if (!j["messages"].is_array() || j["messages"].empty()) {
    return fail(error, "messages: Input should be a non-empty list");
  }
  TurnState state;
  for (std::size_t i = 0; i < j["messages"].size(); ++i) {
    ChatMessage m;
    if (!read_turn(j["messages"][i], i, state, out.tool_turn, m, error)) return false;
    out.request.messages.push_back(std::move(m));
  }
  if (!state.open_calls.empty()) {
    return fail(error, "messages." + std::to_string(state.calls_at) +
                           ": `tool_use` ids were found without `tool_result` blocks immediately after: " +
                           state.open_calls.front() +
                           ". Each `tool_use` block must have a corresponding `tool_result` block in the next message.");
  }
  return true;
}

void fit_answer(const MessagesCall& call, ChatResponse& r) {
  // Calls the model already made (its tool step, an injection) take Anthropic's id prefix.
  for (ToolCall& tc : r.tool_calls) {
    if (tc.id.rfind("toolu_", 0) != 0) tc.id = "toolu_" + tc.id.substr(tc.id.find('_') + 1);
  }
  if (!r.tool_calls.empty() || call.tool_turn.tools.empty()) return;
  const std::string stem = r.id.substr(std::min(r.id.size(), r.id.find('-') + 1), 12);
  r.tool_calls = tools::plan_tool_calls(call.request, call.tool_turn, stem);
  if (r.tool_calls.empty()) return;
  std::size_t chars = 0;
  for (ToolCall& tc : r.tool_calls) {
    tc.id = "toolu_" + tc.id.substr(tc.id.find('_') + 1);  // Anthropic's id prefix
    chars += tc.name.size() + tc.arguments.size();
  }
  r.content.clear();
  r.finish_reason = "tool_calls";
  r.usage.completion_tokens = std::max(1, static_cast<int>((chars + 3) / 4));
  r.usage.total_tokens = r.usage.prompt_tokens + r.usage.completion_tokens;
}

std::string apply_stop_sequences(const std::vector<std::string>& stops, ChatResponse& r) {
  std::size_t cut = std::string::npos;
  std::string which;
  for (const auto& s : stops) {
    const auto at = r.content.find(s);
    if (at != std::string::npos && (cut == std::string::npos || at < cut)) {
      cut = at;
      which = s;
    }
  }
  if (cut != std::string::npos) {
    r.content.resize(cut);
    r.finish_reason = "stop";
  }
  return which;
}

std::string message_json(const ChatResponse& r, const std::string& stop_sequence) {
  Json j;
  j["id"] = "msg_" + r.id.substr(std::min(r.id.size(), r.id.find('-') + 1));
  j["type"] = "message";
  j["role"] = "assistant";
  j["model"] = r.model;
  Json content = Json::array();
  if (!r.content.empty() || r.tool_calls.empty()) content.push_back(Json{{"type", "text"}, {"text", r.content}});
  for (const auto& tc : r.tool_calls) content.push_back(tool_use_block(tc, true));
  j["content"] = std::move(content);
  j["stop_reason"] = stop_reason(r, stop_sequence);
  j["stop_sequence"] = stop_sequence.empty() ? Json(nullptr) : Json(stop_sequence);
  j["usage"] = Json{{"input_tokens", r.usage.prompt_tokens},
                    {"cache_creation_input_tokens", 0},
                    {"cache_read_input_tokens", 0},
                    {"output_tokens", r.usage.completion_tokens}};
  return dump(j);
}

std::vector<openai::StreamEvent> stream_events(const ChatResponse& r, const std::string& stop_sequence) {
  std::vector<openai::StreamEvent> out;
  Json start = Json::parse(message_json(r, stop_sequence));
  start["content"] = Json::array();
  start["stop_reason"] = nullptr;
  start["stop_sequence"] = nullptr;
  start["usage"]["output_tokens"] = 1;
  out.push_back({event("message_start", Json{{"type", "message_start"}, {"message", start}}), false});
  int index = 0;
  auto block = [&](const Json& first, const std::vector<Json>& deltas) {
    out.push_back({event("content_block_start",
                         Json{{"type", "content_block_start"}, {"index", index}, {"content_block", first}}),
                   false});
    if (index == 0) out.push_back({event("ping", Json{{"type", "ping"}}), false});
    for (const auto& d : deltas) {
      out.push_back({event("content_block_delta", Json{{"type", "content_block_delta"}, {"index", index}, {"delta", d}}),
                     true});
    }
    out.push_back({event("content_block_stop", Json{{"type", "content_block_stop"}, {"index", index}}), false});
    ++index;
  };
  if (!r.content.empty() || r.tool_calls.empty()) {
    std::vector<Json> deltas;
    for (const auto& piece : openai::split_pieces(r.content)) deltas.push_back(Json{{"type", "text_delta"}, {"text", piece}});
    block(Json{{"type", "text"}, {"text", ""}}, deltas);
  }
  for (const auto& tc : r.tool_calls) {
    std::vector<Json> deltas;
    for (std::size_t i = 0; i < tc.arguments.size(); i += 16) {
      deltas.push_back(Json{{"type", "input_json_delta"}, {"partial_json", tc.arguments.substr(i, 16)}});
    }
    block(tool_use_block(tc, false), deltas);
  }
  Json delta{{"stop_reason", stop_reason(r, stop_sequence)},
             {"stop_sequence", stop_sequence.empty() ? Json(nullptr) : Json(stop_sequence)}};
  out.push_back({event("message_delta", Json{{"type", "message_delta"},
                                             {"delta", delta},
                                             {"usage", Json{{"output_tokens", r.usage.completion_tokens}}}}),
                 false});
  out.push_back({event("message_stop", Json{{"type", "message_stop"}}), false});
  return out;
}

std::string error_json(const WireError& e) {
  return dump(Json{{"type", "error"}, {"error", Json{{"type", e.type}, {"message", e.message}}}});
}

WireError outcome_error(const VendorOutcome& o) {
  WireError e;
  e.status = o.status;
  switch (o.status) {
    case 401: e.type = "authentication_error"; break;
    case 403: e.type = "permission_error"; break;
    case 404: e.type = "not_found_error"; break;
    case 413: e.type = "request_too_large"; break;
    case 429: e.type = "rate_limit_error"; break;
    case 529: e.type = "overloaded_error"; break;
    default: e.type = o.status >= 500 ? "api_error" : "invalid_request_error";
  }
  e.message = o.error.message;
  if (e.message.empty()) {
    e.message = o.status == 429 ? "Number of requests has exceeded your rate limit."
                : o.status == 529 ? "Overloaded"
                                  : "Internal server error";
  }
  return e;
}

ServerResponse error_response(const WireError& e, Duration retry_after) {
  HeaderList headers = openai::error_headers(e.status, retry_after);
  headers.emplace_back("request-id", "req_gameday");
  return ServerResponse{e.status, "application/json", error_json(e), std::move(headers)};
}

}  // namespace gameday::net::anthropic
