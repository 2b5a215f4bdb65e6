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

// The text of a content value: a string, or the text of its text blocks.
std::string text_of(const Json& content) {
  if (content.is_string()) return content.get<std::string>();
  std::string out;
  if (!content.is_array()) return out;
  for (const auto& b : content) {
    if (b.is_object() && b.value("type", "") == "text" && b.contains("text") && b["text"].is_string()) {
      if (!out.empty()) out += "\n";
      out += b["text"].get<std::string>();
    }
  }
  return out;
}

// One turn flattened for the fake model. Tool results become context lines and the question
// they answer is restated, so the extractive model answers from them.
bool read_turn(const Json& m, std::size_t i, const std::string& last_question, ChatMessage& out,
               WireError& error) {
  const std::string at = "messages." + std::to_string(i);
  if (!m.is_object()) return fail(error, at + ": Input should be an object");
  const std::string role = m.value("role", "");
  if (role != "user" && role != "assistant" && role != "system") {
    return fail(error, at + ".role: Input should be 'user' or 'assistant'");
  }
  if (!m.contains("content") || (!m["content"].is_string() && !m["content"].is_array())) {
    return fail(error, at + ".content: Input should be a string or a list of content blocks");
  }
  out.role = role;
  out.content = text_of(m["content"]);
  if (!m["content"].is_array()) return true;
  std::string results;
  for (std::size_t k = 0; k < m["content"].size(); ++k) {
    const Json& b = m["content"][k];
    const std::string type = b.is_object() ? b.value("type", "") : "";
    if (type.empty()) return fail(error, at + ".content." + std::to_string(k) + ".type: Field required");
    if (type == "tool_use") {
      out.content += (out.content.empty() ? "" : "\n") + dump(b.value("input", Json::object()));
    } else if (type == "tool_result") {
      if (!b.contains("tool_use_id") || !b["tool_use_id"].is_string()) {
        return fail(error, at + ".content." + std::to_string(k) + ".tool_use_id: Field required");
      }
      std::string text = b.contains("content") ? text_of(b["content"]) : "";
      std::replace(text.begin(), text.end(), '\n', ' ');
      results += "[doc:" + b["tool_use_id"].get<std::string>() + "] " + text + "\n";
    }
  }
  if (!results.empty()) {
    const std::string question = out.content.empty() ? last_question : out.content;
    out.content = "Question: " + question + "\n" + results;
  }
  return true;
}

bool read_tools(const Json& j, MessagesCall& out, WireError& error) {
  if (j.contains("tools")) {
    if (!j["tools"].is_array()) return fail(error, "tools: Input should be a valid list");
    for (std::size_t i = 0; i < j["tools"].size(); ++i) {
      const Json& t = j["tools"][i];
      if (!t.is_object() || !t.contains("name") || !t["name"].is_string()) {
        return fail(error, "tools." + std::to_string(i) + ".name: Field required");
      }
      out.tools.push_back(ToolDef{t["name"].get<std::string>(), dump(t.value("input_schema", Json::object()))});
    }
  }
  if (j.contains("tool_choice")) {
    const Json& c = j["tool_choice"];
    const std::string type = c.is_object() ? c.value("type", "") : "";
    if (type != "auto" && type != "any" && type != "tool" && type != "none") {
      return fail(error, "tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'");
    }
    out.tool_choice = type;
    if (type == "tool") {
      out.tool_name = c.value("name", "");
      const bool offered = std::any_of(out.tools.begin(), out.tools.end(),
                                       [&](const ToolDef& t) { return t.name == out.tool_name; });
      if (!offered) return fail(error, "tool_choice.name: no tool named '" + out.tool_name + "' is in tools");
    }
    if (type == "any" && out.tools.empty()) return fail(error, "tool_choice: 'any' needs at least one tool");
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
    out.request.messages.push_back(ChatMessage{"system", text_of(j["system"])});
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

// The first match of `pred` over the prompt's whitespace-separated words, trimmed of punctuation.
template <class Pred>
std::string first_word(std::string_view text, Pred pred) {
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    std::size_t j = i;
    while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    std::string w(text.substr(i, j - i));
    while (!w.empty() && std::string_view(".,;:!?)]\"'").find(w.back()) != std::string_view::npos) w.pop_back();
    while (!w.empty() && std::string_view("([\"'").find(w.front()) != std::string_view::npos) w.erase(0, 1);
    if (!w.empty() && pred(w)) return w;
    i = j;
  }
  return "";
}

bool digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string question_of(std::string_view prompt) {
  const auto q = prompt.find("Question: ");
  std::string_view s = q == std::string_view::npos ? prompt : prompt.substr(q + 10);
  const auto nl = s.find('\n');
  return std::string(nl == std::string_view::npos ? s : s.substr(0, nl));
}

Json property_value(const std::string& name, const Json& schema, std::string_view prompt) {
  const std::string n = lower(name);
  const std::string type = schema.is_object() ? schema.value("type", "string") : "string";
  if (schema.is_object() && schema.contains("enum") && schema["enum"].is_array() && !schema["enum"].empty()) {
    return schema["enum"][0];
  }
  if (type == "integer" || type == "number") {
    const std::string w = first_word(prompt, [](const std::string& s) { return digits(s); });
    return w.empty() ? Json(0) : Json(std::stoll(w.substr(0, 15)));
  }
  if (type == "boolean") return true;
  if (type == "array") return Json::array();
  if (type == "object") return Json::object();
  if (n.find("patient") != std::string::npos || n.find("mrn") != std::string::npos || n == "id" ||
      n.ends_with("_id")) {
    const std::string mrn = first_word(prompt, [](const std::string& s) {
      return s.size() == 11 && s.starts_with("SYN-") && digits(std::string_view(s).substr(4));
    });
    if (!mrn.empty()) return mrn;
  }
  if (n.find("date") != std::string::npos) {
    const std::string date = first_word(prompt, [](const std::string& s) {
      return s.size() == 10 && s[4] == '-' && s[7] == '-' && digits(s.substr(0, 4)) && digits(s.substr(5, 2)) &&
             digits(s.substr(8, 2));
    });
    if (!date.empty()) return date;
  }
  return question_of(prompt);
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
  if (!read_basics(j, out, error) || !read_tools(j, out, error)) return false;
  if (!j.contains("messages")) return fail(error, "messages: Field required");
  if (!j["messages"].is_array() || j["messages"].empty()) {
    return fail(error, "messages: Input should be a non-empty list");
  }
  std::string last_question;
  for (std::size_t i = 0; i < j["messages"].size(); ++i) {
    ChatMessage m;
    if (!read_turn(j["messages"][i], i, last_question, m, error)) return false;
    out.tool_results = j["messages"][i].contains("content") && j["messages"][i]["content"].is_array() &&
                       std::any_of(j["messages"][i]["content"].begin(), j["messages"][i]["content"].end(),
                                   [](const Json& b) { return b.is_object() && b.value("type", "") == "tool_result"; });
    if (m.role != "assistant") {
      last_question = question_of(m.content);
      out.prompt_text += m.content + "\n";
    }
    out.request.messages.push_back(std::move(m));
  }
  if (!out.request.messages.empty() && out.request.messages.front().role == "system") {
    out.prompt_text = out.request.messages.front().content + "\n" + out.prompt_text;
  }
  return true;
}

const ToolDef* forced_tool(const MessagesCall& call) {
  if (call.tools.empty() || call.tool_choice == "auto" || call.tool_choice == "none") return nullptr;
  // A turn that hands tool results back is answered from them, not with another call.
  if (call.tool_results) return nullptr;
  if (call.tool_choice == "any") return &call.tools.front();
  for (const auto& t : call.tools) {
    if (t.name == call.tool_name) return &t;
  }
  return nullptr;
}

std::string tool_input(const ToolDef& tool, std::string_view prompt) {
  const Json schema = Json::parse(tool.schema, nullptr, false);
  Json input = Json::object();
  if (!schema.is_object() || !schema.contains("properties") || !schema["properties"].is_object()) {
    return dump(input);
  }
  const Json& props = schema["properties"];
  std::vector<std::string> names;
  if (schema.contains("required") && schema["required"].is_array()) {
    for (const auto& r : schema["required"]) {
      if (r.is_string() && props.contains(r.get<std::string>())) names.push_back(r.get<std::string>());
    }
  }
  if (names.empty()) {
    for (const auto& [k, _] : props.items()) names.push_back(k);
  }
  for (const auto& n : names) input[n] = property_value(n, props[n], prompt);
  return dump(input);
}

void use_tool(const ToolDef& tool, std::string_view prompt, ChatResponse& r) {
  const std::string hex = r.id.substr(std::min(r.id.size(), r.id.find('-') + 1));
  r.tool_calls = {ToolCall{"toolu_" + hex, tool.name, tool_input(tool, prompt)}};
  r.content.clear();
  r.finish_reason = "tool_calls";
  r.usage.completion_tokens = estimate_tokens(r.tool_calls.front().arguments) + 8;
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
