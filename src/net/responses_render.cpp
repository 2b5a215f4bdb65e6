// Response objects and their streamed events (responses_wire.hpp).
#include <nlohmann/json.hpp>

#include "net/responses_wire.hpp"

namespace gameday::net::responses {
namespace {

using Json = nlohmann::ordered_json;

std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

// The hex part of the response id, shared by its items' ids.
std::string suffix(const ResponseData& d) { return d.id.substr(d.id.find('_') + 1); }

bool has_message(const ChatResponse& a) { return !a.content.empty() || a.tool_calls.empty(); }

bool cut(const ChatResponse& a) { return a.finish_reason == "length"; }

Json text_part(const std::string& text) {
  Json p;
  p["type"] = "output_text";
  p["text"] = text;
  p["annotations"] = Json::array();
  return p;
}

Json message_item(const ResponseData& d, bool done) {
  Json m;
  m["type"] = "message";
  m["id"] = "msg_" + suffix(d);
  m["status"] = !done ? "in_progress" : cut(d.answer) ? "incomplete" : "completed";
  m["role"] = "assistant";
  m["content"] = done ? Json::array({text_part(d.answer.content)}) : Json::array();
  return m;
}

Json call_item(const ResponseData& d, std::size_t k, bool done) {
  const ToolCall& tc = d.answer.tool_calls[k];
  Json c;
  c["type"] = "function_call";
  c["id"] = "fc_" + suffix(d) + (k == 0 ? "" : "_" + std::to_string(k));
  c["call_id"] = tc.id;
  c["name"] = tc.name;
  c["arguments"] = done ? tc.arguments : "";
  c["status"] = done ? "completed" : "in_progress";
  return c;
}

Json output_items(const ResponseData& d) {
  Json out = Json::array();
  if (has_message(d.answer)) out.push_back(message_item(d, true));
  for (std::size_t k = 0; k < d.answer.tool_calls.size(); ++k) out.push_back(call_item(d, k, true));
  return out;
}

Json usage(const ChatUsage& u) {
  Json j;
  j["input_tokens"] = u.prompt_tokens;
  j["input_tokens_details"] = {{"cached_tokens", 0}};
  j["output_tokens"] = u.completion_tokens;
  j["output_tokens_details"] = {{"reasoning_tokens", 0}};
  j["total_tokens"] = u.total_tokens;
  return j;
}

Json response(const ResponseData& d, bool done) {
  Json echo = Json::parse(d.echo, nullptr, false);
  if (!echo.is_object()) echo = Json::object();
  auto field = [&](const char* key, Json fallback) {
    auto it = echo.find(key);
    return it == echo.end() ? fallback : *it;
  };
  Json r;
  r["id"] = d.id;
  r["object"] = "response";
  r["created_at"] = d.created_at;
  r["status"] = !done ? "in_progress" : cut(d.answer) ? "incomplete" : "completed";
  r["error"] = nullptr;
  r["incomplete_details"] = done && cut(d.answer) ? Json{{"reason", "max_output_tokens"}} : Json(nullptr);
  r["instructions"] = field("instructions", nullptr);
  r["max_output_tokens"] = field("max_output_tokens", nullptr);
  r["model"] = d.answer.model;
  r["output"] = done ? output_items(d) : Json::array();
  r["parallel_tool_calls"] = field("parallel_tool_calls", true);
  r["previous_response_id"] = field("previous_response_id", nullptr);
  r["reasoning"] = {{"effort", nullptr}, {"summary", nullptr}};
  r["store"] = field("store", true);
  r["temperature"] = field("temperature", 1.0);
  r["text"] = field("text", Json{{"format", {{"type", "text"}}}});
  r["tool_choice"] = field("tool_choice", "auto");
  r["tools"] = field("tools", Json::array());
  r["top_p"] = field("top_p", 1.0);
  r["truncation"] = "disabled";
  r["usage"] = done ? usage(d.answer.usage) : Json(nullptr);
  r["user"] = nullptr;
  r["metadata"] = field("metadata", Json::object());
  return r;
}

// Builds the numbered events of one stream.
class EventWriter {
 public:
  explicit EventWriter(std::vector<openai::StreamEvent>& out) : out_(out) {}
  // Adds event `type` with `fields` (type and sequence_number come first).
  void emit(const char* type, Json fields, bool token = false) {
    Json e;
    e["type"] = type;
    e["sequence_number"] = next_++;
    for (auto it = fields.begin(); it != fields.end(); ++it) e[it.key()] = std::move(it.value());
    std::string s = "event: ";
    s += type;
    s += "\ndata: ";
    s += dump(e);
    s += "\n\n";
    out_.push_back(openai::StreamEvent{std::move(s), token});
  }

 private:
  std::vector<openai::StreamEvent>& out_;
  long long next_ = 0;
};

void message_events(const ResponseData& d, int index, EventWriter& w) {
  const std::string item_id = "msg_" + suffix(d);
  w.emit("response.output_item.added", {{"output_index", index}, {"item", message_item(d, false)}});
  auto where = [&] { return Json{{"item_id", item_id}, {"output_index", index}, {"content_index", 0}}; };
  Json added = where();
  added["part"] = text_part("");
  w.emit("response.content_part.added", std::move(added));
  for (const std::string& piece : openai::split_pieces(d.answer.content)) {
    Json delta = where();
    delta["delta"] = piece;
    delta["logprobs"] = Json::array();
    w.emit("response.output_text.delta", std::move(delta), true);
  }
  Json text_done = where();
  text_done["text"] = d.answer.content;
  text_done["logprobs"] = Json::array();
  w.emit("response.output_text.done", std::move(text_done));
  Json part_done = where();
  part_done["part"] = text_part(d.answer.content);
  w.emit("response.content_part.done", std::move(part_done));
  w.emit("response.output_item.done", {{"output_index", index}, {"item", message_item(d, true)}});
}

void call_events(const ResponseData& d, std::size_t k, int index, EventWriter& w) {
  const Json item = call_item(d, k, false);
  const std::string item_id = item["id"].get<std::string>();
  w.emit("response.output_item.added", {{"output_index", index}, {"item", item}});
  for (const std::string& piece : openai::split_pieces(d.answer.tool_calls[k].arguments)) {
    w.emit("response.function_call_arguments.delta", {{"item_id", item_id}, {"output_index", index}, {"delta", piece}},
           true);
  }
  w.emit("response.function_call_arguments.done",
         {{"item_id", item_id}, {"output_index", index}, {"arguments", d.answer.tool_calls[k].arguments}});
  w.emit("response.output_item.done", {{"output_index", index}, {"item", call_item(d, k, true)}});
}

}  // namespace

std::string response_json(const ResponseData& d, bool done) { return dump(response(d, done)); }

std::vector<openai::StreamEvent> stream_events(const ResponseData& d) {
  std::vector<openai::StreamEvent> out;
  EventWriter w(out);
  w.emit("response.created", {{"response", response(d, false)}});
  w.emit("response.in_progress", {{"response", response(d, false)}});
  int index = 0;
  if (has_message(d.answer)) message_events(d, index++, w);
  for (std::size_t k = 0; k < d.answer.tool_calls.size(); ++k) call_events(d, k, index++, w);
  w.emit(cut(d.answer) ? "response.incomplete" : "response.completed", {{"response", response(d, true)}});
  return out;
}

}  // namespace gameday::net::responses
