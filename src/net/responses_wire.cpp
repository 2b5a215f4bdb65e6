#include "net/responses_wire.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "net/openai_field_errors.hpp"

namespace gameday::net::responses {
namespace {

using Json = nlohmann::ordered_json;
using openai::WireError;

using openai::field_errors::bad_value;
using openai::field_errors::fail;
using openai::field_errors::missing;
using openai::field_errors::wrong_type;

// A string field of `o` into `out`; true when absent (or null) unless required.
bool string_field(const Json& o, const std::string& key, const std::string& param, std::string& out, WireError& e,
                  bool required = false) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return !required || missing(e, param);
  if (!it->is_string()) return wrong_type(e, param, "a string", *it);
  out = it->get<std::string>();
  return true;
}

// Item content: a string or an array of parts whose text parts are joined (a refusal part adds
// nothing; image, file and audio parts are refused: the fake models read text only).
bool read_content(const Json& c, const std::string& param, std::string& out, WireError& e) {
  if (c.is_string()) {
    out = c.get<std::string>();
    return true;
  }
  if (!c.is_array()) return wrong_type(e, param, "a string or an array of content parts", c);
  for (std::size_t k = 0; k < c.size(); ++k) {
    const Json& part = c[k];
    const std::string p = param + "[" + std::to_string(k) + "]";
    if (!part.is_object()) return wrong_type(e, p, "an object", part);
    std::string type;
    if (!string_field(part, "type", p + ".type", type, e, true)) return false;
    if (type == "input_text" || type == "output_text" || type == "text") {
      std::string text;
      if (!string_field(part, "text", p + ".text", text, e, true)) return false;
      out += text;
    } else if (type != "refusal") {
      // Text-only models: an image, file or audio part is refused, not silently dropped.
      return fail(e, p + ".type",
                  "Invalid content type. " + type + " is only supported by certain models (gameday's fake models read "
                  "text only).",
                  "unsupported_value");
    }
  }
  return true;
}

// The function calls and outputs of the input, matched by call_id as they come.
struct InputCalls {
  std::vector<ToolCall> open;           // function_call items awaiting their output
  std::vector<std::string> answered;    // call ids answered by an output
  std::vector<tools::ToolResult> results;  // outputs after the last user message
  std::vector<std::string> unmatched;   // outputs whose call is not in the input
};

bool read_call_output(const Json& item, const std::string& p, InputCalls& calls, std::vector<ChatMessage>& out,
                      WireError& e) {
  std::string call_id;
  if (!string_field(item, "call_id", p + ".call_id", call_id, e, true)) return false;
  auto output = item.find("output");
  if (output == item.end()) return missing(e, p + ".output");
  ChatMessage m{"tool", ""};
  if (!read_content(*output, p + ".output", m.content, e)) return false;
  tools::ToolResult r{call_id, "", m.content};
  const auto call = std::find_if(calls.open.begin(), calls.open.end(), [&](const ToolCall& c) { return c.id == call_id; });
  if (call != calls.open.end()) {
    r.name = call->name;
    calls.open.erase(call);
  } else if (std::find(calls.answered.begin(), calls.answered.end(), call_id) == calls.answered.end()) {
    calls.unmatched.push_back(call_id);
  }
  calls.answered.push_back(call_id);
  calls.results.push_back(std::move(r));
  out.push_back(std::move(m));
  return true;
}

bool read_item(const Json& item, const std::string& p, std::vector<ChatMessage>& out, InputCalls& calls,
               WireError& e) {
  if (!item.is_object()) return wrong_type(e, p, "an object", item);
  std::string type = "message";
  if (!string_field(item, "type", p + ".type", type, e)) return false;
  if (type == "message") {
    std::string role;
    if (!string_field(item, "role", p + ".role", role, e, true)) return false;
    if (role != "user" && role != "assistant" && role != "system" && role != "developer") {
      return bad_value(e, p + ".role", "'" + role + "' is not one of user, assistant, system, developer.");
    }
    auto content = item.find("content");
    if (content == item.end()) return missing(e, p + ".content");
    ChatMessage m;
    m.role = role == "developer" ? "system" : role;
    if (!read_content(*content, p + ".content", m.content, e)) return false;
    // Results answer the calls made for the latest question.
    if (m.role == "user") calls.results.clear();
    out.push_back(std::move(m));
    return true;
  }
  if (type == "function_call") {
    ToolCall call;
    if (!string_field(item, "call_id", p + ".call_id", call.id, e, true) ||
        !string_field(item, "name", p + ".name", call.name, e, true) ||
        !string_field(item, "arguments", p + ".arguments", call.arguments, e, true)) {
      return false;
    }
    calls.open.push_back(std::move(call));
    out.push_back(ChatMessage{"assistant", ""});
    return true;
  }
  if (type == "function_call_output") return read_call_output(item, p, calls, out, e);
  if (type == "reasoning" || type == "item_reference") return true;  // nothing the fake model reads
  return fail(e, p + ".type",
              "Invalid value for '" + p + ".type': '" + type +
                  "' is not supported by this vendor (message, function_call, function_call_output).",
              "unsupported_value");
}

bool read_input(const Json& j, std::vector<ChatMessage>& out, InputCalls& calls, WireError& e) {
  auto in = j.find("input");
  if (in == j.end() || in->is_null()) return missing(e, "input");
  if (in->is_string()) {
    out.push_back(ChatMessage{"user", in->get<std::string>()});
    return true;
  }
  if (!in->is_array()) return wrong_type(e, "input", "a string or an array of input items", *in);
  if (in->empty()) return bad_value(e, "input", "expected at least one input item, got an empty array.");
  for (std::size_t k = 0; k < in->size(); ++k) {
    if (!read_item((*in)[k], "input[" + std::to_string(k) + "]", out, calls, e)) return false;
  }
  return true;
}

// The real API's 400s for calls and outputs that do not pair up (param "input").
bool no_call_for(WireError& e, const std::string& call_id) {
  return fail(e, "input", "No tool call found for function call output with call_id " + call_id + ".", "");
}
bool no_output_for(WireError& e, const std::string& call_id) {
  return fail(e, "input", "No tool output found for function call " + call_id + ".", "");
}

bool read_tools(const Json& j, std::vector<tools::ToolSpec>& out, WireError& e) {
  auto it = j.find("tools");
  if (it == j.end() || it->is_null()) return true;
  if (!it->is_array()) return wrong_type(e, "tools", "an array", *it);
  for (std::size_t k = 0; k < it->size(); ++k) {
    const Json& t = (*it)[k];
    const std::string p = "tools[" + std::to_string(k) + "]";
    if (!t.is_object()) return wrong_type(e, p, "an object", t);
    std::string type;
    if (!string_field(t, "type", p + ".type", type, e, true)) return false;
    if (type != "function") {
      return fail(e, p + ".type",
                  "Tool type '" + type + "' is not supported by this vendor: only 'function' tools are.",
                  "unsupported_value");
    }
    tools::ToolSpec tool;
    if (!string_field(t, "name", p + ".name", tool.name, e, true) ||
        !string_field(t, "description", p + ".description", tool.description, e)) {
      return false;
    }
    if (auto params = t.find("parameters"); params != t.end() && !params->is_null()) {
      if (!params->is_object()) return wrong_type(e, p + ".parameters", "an object", *params);
      tool.parameters = params->dump();
    }
    out.push_back(std::move(tool));
  }
  return true;
}

bool read_tool_choice(const Json& j, tools::ToolTurn& turn, WireError& e) {
  auto it = j.find("tool_choice");
  if (it == j.end() || it->is_null()) return true;
  if (it->is_string()) {
    const std::string v = it->get<std::string>();
    if (v == "auto") return true;
    if (v == "none") {
      turn.choice.mode = tools::ChoiceMode::kNone;
      return true;
    }
    if (v == "required") {
      if (turn.tools.empty()) return bad_value(e, "tool_choice", "'required' needs at least one tool in 'tools'.");
      turn.choice.mode = tools::ChoiceMode::kRequired;
      return true;
    }
    return bad_value(e, "tool_choice", "'" + v + "' is not one of none, auto, required.");
  }
  if (!it->is_object()) return wrong_type(e, "tool_choice", "a string or an object", *it);
  std::string type;
  if (!string_field(*it, "type", "tool_choice.type", type, e, true)) return false;
  if (type != "function") {
    return fail(e, "tool_choice.type", "Tool choice type '" + type + "' is not supported by this vendor.",
                "unsupported_value");
  }
  std::string name;
  if (!string_field(*it, "name", "tool_choice.name", name, e, true)) return false;
  const bool offered = std::any_of(turn.tools.begin(), turn.tools.end(),
                                   [&](const tools::ToolSpec& t) { return t.name == name; });
  if (!offered) return bad_value(e, "tool_choice.name", "no tool named '" + name + "' in 'tools'.");
  turn.choice = tools::ToolChoice{tools::ChoiceMode::kNamed, name};
  return true;
}

// text.format: text, json_object or json_schema (with a name and a schema).
bool read_text_format(const Json& j, bool& json_output, WireError& e) {
  auto text = j.find("text");
  if (text == j.end() || text->is_null()) return true;
  if (!text->is_object()) return wrong_type(e, "text", "an object", *text);
  auto f = text->find("format");
  if (f == text->end() || f->is_null()) return true;
  if (!f->is_object()) return wrong_type(e, "text.format", "an object", *f);
  std::string type;
  if (!string_field(*f, "type", "text.format.type", type, e, true)) return false;
  if (type == "text") return true;
  if (type == "json_schema") {
    std::string name;
    if (!string_field(*f, "name", "text.format.name", name, e, true)) return false;
    auto schema = f->find("schema");
    if (schema == f->end()) return missing(e, "text.format.schema");
    if (!schema->is_object()) return wrong_type(e, "text.format.schema", "an object", *schema);
  } else if (type != "json_object") {
    return bad_value(e, "text.format.type", "'" + type + "' is not one of text, json_object, json_schema.");
  }
  json_output = true;
  return true;
}

bool read_numbers(const Json& j, ResponsesCall& out, Json& echo, WireError& e) {
  for (const char* key : {"temperature", "top_p"}) {
    echo[key] = 1.0;
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) continue;
    if (!it->is_number()) return wrong_type(e, key, "a number", *it);
    const double v = it->get<double>();
    if (v < 0 || v > (std::string(key) == "top_p" ? 1 : 2)) return bad_value(e, key, "out of range.");
    echo[key] = v;
  }
  echo["max_output_tokens"] = nullptr;
  if (auto it = j.find("max_output_tokens"); it != j.end() && !it->is_null()) {
    if (!it->is_number_integer() && !it->is_number_unsigned()) {
      return wrong_type(e, "max_output_tokens", "an integer", *it);
    }
    const long long v = it->get<long long>();
    if (v < 16 || v > 1'000'000) {
      return bad_value(e, "max_output_tokens", "expected an integer from 16 to 1000000, got " + std::to_string(v) + ".");
    }
    out.request.max_tokens = static_cast<int>(v);
    echo["max_output_tokens"] = v;
  }
  return true;
}

bool read_flags(const Json& j, ResponsesCall& out, Json& echo, WireError& e) {
  bool parallel = true;
  bool background = false;
  struct Flag {
    const char* key;
    bool* value;
  };
  for (const Flag& f : {Flag{"stream", &out.stream}, Flag{"store", &out.store}, Flag{"parallel_tool_calls", &parallel},
                        Flag{"background", &background}}) {
    auto it = j.find(f.key);
    if (it == j.end() || it->is_null()) continue;
    if (!it->is_boolean()) return wrong_type(e, f.key, "a boolean", *it);
    *f.value = it->get<bool>();
  }
  if (background) {
    return fail(e, "background", "Background responses are not supported by this vendor.", "unsupported_parameter");
  }
  out.tool_turn.parallel = parallel;
  echo["parallel_tool_calls"] = parallel;
  echo["store"] = out.store;
  return true;
}

bool read_metadata(const Json& j, std::string& task_type, Json& echo, WireError& e) {
  echo["metadata"] = Json::object();
  auto it = j.find("metadata");
  if (it == j.end() || it->is_null()) return true;
  if (!it->is_object()) return wrong_type(e, "metadata", "an object", *it);
  for (auto kv = it->begin(); kv != it->end(); ++kv) {
    if (!kv.value().is_string()) return wrong_type(e, "metadata." + kv.key(), "a string", kv.value());
  }
  if (auto tt = it->find("task_type"); tt != it->end()) task_type = tt->get<std::string>();
  echo["metadata"] = *it;
  return true;
}

// The request fields a Response repeats, in the API's order.
Json echo_fields(const Json& j, const std::string& instructions, const Json& partial) {
  Json echo;
  echo["instructions"] = instructions.empty() ? Json(nullptr) : Json(instructions);
  echo["max_output_tokens"] = partial["max_output_tokens"];
  echo["parallel_tool_calls"] = partial["parallel_tool_calls"];
  auto prev = j.find("previous_response_id");
  echo["previous_response_id"] = prev == j.end() ? Json(nullptr) : *prev;
  echo["store"] = partial["store"];
  echo["temperature"] = partial["temperature"];
  auto text = j.find("text");
  echo["text"] = text != j.end() && text->is_object() && text->contains("format")
                     ? *text
                     : Json{{"format", {{"type", "text"}}}};
  auto choice = j.find("tool_choice");
  echo["tool_choice"] = choice == j.end() || choice->is_null() ? Json("auto") : *choice;
  auto tools = j.find("tools");
  echo["tools"] = tools == j.end() || tools->is_null() ? Json::array() : *tools;
  echo["top_p"] = partial["top_p"];
  echo["metadata"] = partial["metadata"];
  return echo;
}

}  // namespace

bool parse_request(std::string_view body, ResponsesCall& out, WireError& error) {
  out = ResponsesCall{};
  out.request.route = kResponsesRoute;
  const Json j = Json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded()) {
    return fail(error, "", "We could not parse the JSON body of your request: it is not valid JSON.", "");
  }
  if (!j.is_object()) return wrong_type(error, "", "an object", j);
  if (!string_field(j, "model", "model", out.request.model, error, true)) return false;
  std::string instructions;
  if (!string_field(j, "instructions", "instructions", instructions, error)) return false;
  if (!instructions.empty()) out.request.messages.push_back(ChatMessage{"system", instructions});
  InputCalls calls;
  if (!read_input(j, out.request.messages, calls, error)) return false;
  if (!string_field(j, "previous_response_id", "previous_response_id", out.previous_response_id, error)) {
    return false;
  }
  // Calls of the input must be answered in the input; outputs of calls not in the input
  // answer the previous response's (checked by prepend_history).
  if (!calls.open.empty()) return no_output_for(error, calls.open.front().id);
  if (!calls.unmatched.empty() && out.previous_response_id.empty()) return no_call_for(error, calls.unmatched.front());
  out.tool_turn.results = std::move(calls.results);
  out.unmatched_outputs = std::move(calls.unmatched);
  out.output_call_ids = std::move(calls.answered);
  Json partial;
  if (!read_numbers(j, out, partial, error) || !read_flags(j, out, partial, error)) return false;
  if (!read_tools(j, out.tool_turn.tools, error) || !read_tool_choice(j, out.tool_turn, error)) return false;
  if (!read_text_format(j, out.request.json_output, error)) return false;
  if (!read_metadata(j, out.request.task_type, partial, error)) return false;
  out.echo = echo_fields(j, instructions, partial).dump(-1, ' ', false, Json::error_handler_t::replace);
  return true;
}

bool prepend_history(ResponsesCall& call, const std::vector<ChatMessage>& history, const std::vector<ToolCall>& calls,
                     WireError& error) {
  for (const std::string& id : call.unmatched_outputs) {
    if (std::none_of(calls.begin(), calls.end(), [&](const ToolCall& c) { return c.id == id; })) {
      return no_call_for(error, id);
    }
  }
  for (const ToolCall& c : calls) {
    const auto& outputs = call.output_call_ids;
    if (std::find(outputs.begin(), outputs.end(), c.id) == outputs.end()) return no_output_for(error, c.id);
  }
  for (tools::ToolResult& r : call.tool_turn.results) {
    for (const ToolCall& c : calls) {
      if (r.name.empty() && c.id == r.call_id) r.name = c.name;
    }
  }
  auto& msgs = call.request.messages;
  const auto at = !msgs.empty() && msgs.front().role == "system" ? msgs.begin() + 1 : msgs.begin();
  msgs.insert(at, history.begin(), history.end());
  return true;
}

std::vector<ChatMessage> conversation(const ResponsesCall& call, const ChatResponse& answer) {
  std::vector<ChatMessage> out;
  for (const ChatMessage& m : call.request.messages) {
    if (m.role != "system") out.push_back(m);
  }
  out.push_back(ChatMessage{"assistant", answer.content});
  return out;
}

ResponseData make_data(const ResponsesCall& call, ChatResponse answer, long long created_at) {
  ResponseData d;
  const auto dash = answer.id.find('-');
  d.id = "resp_" + (dash == std::string::npos ? answer.id : answer.id.substr(dash + 1));
  d.created_at = created_at;
  d.answer = std::move(answer);
  d.echo = call.echo;
  return d;
}

openai::WireError not_found(const std::string& id) {
  WireError e;
  e.status = 404;
  e.message = "Response with id '" + id + "' not found.";
  return e;
}

}  // namespace gameday::net::responses
