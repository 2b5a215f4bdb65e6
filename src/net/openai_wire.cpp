#include "net/openai_wire.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>

#include "fakes/embeddings.hpp"
#include "net/openai_field_errors.hpp"
#include "sim/json_text.hpp"
#include "sim/rng.hpp"

namespace gameday::net::openai {
namespace {

using Json = nlohmann::ordered_json;

using field_errors::bad_value;
using field_errors::fail;
using field_errors::missing;
using field_errors::type_name;
using field_errors::wrong_type;

// Parses the body as a JSON object.
bool parse_object(std::string_view body, Json& j, WireError& e) {
  j = Json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded()) {
    return fail(e, "", "We could not parse the JSON body of your request: it is not valid JSON.", "");
  }
  if (!j.is_object()) {
    return fail(e, "", "The JSON body of your request must be an object, not " +
                           std::string(type_name(j)) + ".", "invalid_type");
  }
  return true;
}

// An optional integer field in [lo, hi]; true when absent (or null).
bool optional_int(const Json& j, const std::string& key, long long lo, long long hi, long long& out,
                  WireError& e) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return true;
  if (!it->is_number_integer() && !it->is_number_unsigned()) return wrong_type(e, key, "an integer", *it);
  const long long v = it->get<long long>();
  if (v < lo || v > hi) {
    return bad_value(e, key, "expected an integer from " + std::to_string(lo) + " to " +
                                 std::to_string(hi) + ", got " + std::to_string(v) + ".");
  }
  out = v;
  return true;
}

bool optional_number(const Json& j, const std::string& key, double lo, double hi, WireError& e) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return true;
  if (!it->is_number()) return wrong_type(e, key, "a number", *it);
  const double v = it->get<double>();
  if (v < lo || v > hi) return bad_value(e, key, "out of range.");
  return true;
}

bool optional_bool(const Json& j, const std::string& key, bool& out, WireError& e) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return true;
  if (!it->is_boolean()) return wrong_type(e, key, "a boolean", *it);
  out = it->get<bool>();
  return true;
}

// Message content: a string, null, or an array of parts whose text parts are joined (a refusal
// part adds nothing; any other part is refused).
bool read_content(const Json& c, const std::string& param, std::string& out, WireError& e) {
  if (c.is_null()) return true;
  if (c.is_string()) {
    out = c.get<std::string>();
    return true;
  }
  if (!c.is_array()) return wrong_type(e, param, "a string or an array of content parts", c);
  for (std::size_t k = 0; k < c.size(); ++k) {
    const Json& part = c[k];
    const std::string p = param + "[" + std::to_string(k) + "]";
    if (!part.is_object()) return wrong_type(e, p, "an object", part);
    auto type = part.find("type");
    if (type == part.end()) return missing(e, p + ".type");
    if (!type->is_string()) return wrong_type(e, p + ".type", "a string", *type);
    if (*type == "text") {
      auto text = part.find("text");
      if (text == part.end()) return missing(e, p + ".text");
      if (!text->is_string()) return wrong_type(e, p + ".text", "a string", *text);
      out += text->get<std::string>();
    } else if (*type != "refusal") {
      // The fake models read text only: an image, audio or file part is refused as a text-only
      // model refuses it, rather than answered as if it were not there.
      return fail(e, p + ".type",
                  "Invalid content type. " + type->get<std::string>() +
                      " is only supported by certain models (gameday's fake models read text only).",
                  "unsupported_value");
    }
  }
  return true;
}

// An assistant message's `tool_calls`: each {"id", "type": "function", "function": {"name",
// "arguments"}}; their ids and names go to `calls`.
bool read_assistant_calls(const Json& m, const std::string& p,
                          std::vector<std::pair<std::string, std::string>>& calls, WireError& e) {
  auto it = m.find("tool_calls");
  if (it == m.end() || it->is_null()) return true;
  if (!it->is_array()) return wrong_type(e, p + ".tool_calls", "an array", *it);
  for (std::size_t k = 0; k < it->size(); ++k) {
    const Json& c = (*it)[k];
    const std::string q = p + ".tool_calls[" + std::to_string(k) + "]";
    if (!c.is_object()) return wrong_type(e, q, "an object", c);
    auto id = c.find("id");
    if (id == c.end()) return missing(e, q + ".id");
    if (!id->is_string()) return wrong_type(e, q + ".id", "a string", *id);
    auto fn = c.find("function");
    if (fn == c.end()) return missing(e, q + ".function");
    if (!fn->is_object()) return wrong_type(e, q + ".function", "an object", *fn);
    auto name = fn->find("name");
    if (name == fn->end()) return missing(e, q + ".function.name");
    if (!name->is_string()) return wrong_type(e, q + ".function.name", "a string", *name);
    calls.emplace_back(id->get<std::string>(), name->get<std::string>());
  }
  return true;
}

// The real API's error for tool messages that answer no call, or calls left unanswered; its
// param is written "messages.[K].role".
bool tool_sequence_error(WireError& e, std::size_t k, std::string message) {
  return fail(e, "messages.[" + std::to_string(k) + "].role", std::move(message), "");
}

bool read_messages(const Json& j, std::vector<ChatMessage>& out, std::vector<tools::ToolResult>& results,
                   WireError& e) {
  auto it = j.find("messages");
  if (it == j.end()) return missing(e, "messages");
  if (!it->is_array()) return wrong_type(e, "messages", "an array", *it);
  if (it->empty()) return bad_value(e, "messages", "expected at least one message, got an empty array.");
  static const char* kRoles[] = {"system", "developer", "user", "assistant", "tool", "function"};
  std::vector<std::pair<std::string, std::string>> open_calls;  // id, name: awaiting results
  std::size_t calls_at = 0;                                      // the message that made them
  for (std::size_t k = 0; k < it->size(); ++k) {
    const Json& m = (*it)[k];
    const std::string p = "messages[" + std::to_string(k) + "]";
    if (!m.is_object()) return wrong_type(e, p, "an object", m);
    auto role = m.find("role");
    if (role == m.end()) return missing(e, p + ".role");
    if (!role->is_string()) return wrong_type(e, p + ".role", "a string", *role);
    const std::string r = role->get<std::string>();
    bool known = false;
    for (const char* kr : kRoles) known = known || r == kr;
    if (!known) {
      return bad_value(e, p + ".role", "'" + r + "' is not one of system, developer, user, "
                                               "assistant, tool.");
    }
    if (r == "function") {
      return fail(e, p + ".role", "Messages with role 'function' (the legacy function calling) are "
                  "not supported by this fake vendor: use tools and role 'tool'.", "unsupported_parameter");
    }
    if (r != "tool" && !open_calls.empty()) {
      std::string ids;
      for (const auto& c : open_calls) ids += (ids.empty() ? "" : ", ") + c.first;
      return tool_sequence_error(e, calls_at, "An assistant message with 'tool_calls' must be followed by "
                                 "tool messages responding to each 'tool_call_id'. The following "
                                 "tool_call_ids did not have response messages: " + ids);
    }
    ChatMessage msg;
    // The fake model reads developer instructions as the system message.
    msg.role = r == "developer" ? "system" : r;
    auto content = m.find("content");
    if (content == m.end()) {
      // Only an assistant message that made tool calls may leave its content out.
      if (r != "assistant") return missing(e, p + ".content");
    } else if (!read_content(*content, p + ".content", msg.content, e)) {
      return false;
    }
    if (r == "user") results.clear();  // results answer the calls made for the latest question
    if (r == "assistant") {
      if (!read_assistant_calls(m, p, open_calls, e)) return false;
      calls_at = k;
    }
    if (r == "tool") {
      auto id = m.find("tool_call_id");
      if (id == m.end()) return missing(e, p + ".tool_call_id");
      if (!id->is_string()) return wrong_type(e, p + ".tool_call_id", "a string", *id);
      const auto call = std::find_if(open_calls.begin(), open_calls.end(),
                                     [&](const auto& c) { return c.first == *id; });
      if (call == open_calls.end()) {
        return tool_sequence_error(e, k, "Invalid parameter: messages with role 'tool' must be a response "
                                   "to a preceeding message with 'tool_calls'.");
      }
      results.push_back(tools::ToolResult{call->first, call->second, msg.content});
      open_calls.erase(call);
    }
    out.push_back(std::move(msg));
  }
  if (!open_calls.empty()) {
    std::string ids;
    for (const auto& c : open_calls) ids += (ids.empty() ? "" : ", ") + c.first;
    return tool_sequence_error(e, calls_at, "An assistant message with 'tool_calls' must be followed by "
                               "tool messages responding to each 'tool_call_id'. The following "
                               "tool_call_ids did not have response messages: " + ids);
  }
  return true;
}

bool valid_function_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

bool read_tools(const Json& j, int& count, std::vector<tools::ToolSpec>& specs, WireError& e) {
  auto it = j.find("tools");
  if (it == j.end() || it->is_null()) return true;
  if (!it->is_array()) return wrong_type(e, "tools", "an array", *it);
  for (std::size_t k = 0; k < it->size(); ++k) {
    const Json& t = (*it)[k];
    const std::string p = "tools[" + std::to_string(k) + "]";
    if (!t.is_object()) return wrong_type(e, p, "an object", t);
    auto type = t.find("type");
    if (type == t.end()) return missing(e, p + ".type");
    if (*type != "function") return bad_value(e, p + ".type", "expected 'function'.");
    auto fn = t.find("function");
    if (fn == t.end()) return missing(e, p + ".function");
    if (!fn->is_object()) return wrong_type(e, p + ".function", "an object", *fn);
    auto name = fn->find("name");
    if (name == fn->end()) return missing(e, p + ".function.name");
    if (!name->is_string()) return wrong_type(e, p + ".function.name", "a string", *name);
    tools::ToolSpec spec;
    spec.name = name->get<std::string>();
    if (!valid_function_name(spec.name)) {
      return fail(e, p + ".function.name", "Invalid '" + p + ".function.name': string does not match "
                  "pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]{1,64}$'.",
                  "invalid_value");
    }
    if (auto d = fn->find("description"); d != fn->end() && !d->is_null()) {
      if (!d->is_string()) return wrong_type(e, p + ".function.description", "a string", *d);
      spec.description = d->get<std::string>();
    }
    if (auto params = fn->find("parameters"); params != fn->end() && !params->is_null()) {
      if (!params->is_object()) return wrong_type(e, p + ".function.parameters", "an object", *params);
      spec.parameters = params->dump();
    }
    specs.push_back(std::move(spec));
  }
  count = static_cast<int>(it->size());
  return true;
}

// `tool_choice` ("none" | "auto" | "required" | {"type": "function", "function": {"name"}})
// and `parallel_tool_calls`; both need `tools`.
bool read_tool_choice(const Json& j, tools::ToolTurn& turn, WireError& e) {
  for (const char* key : {"tool_choice", "parallel_tool_calls"}) {
    auto it = j.find(key);
    if (it != j.end() && !it->is_null() && turn.tools.empty()) {
      return bad_value(e, key, "'" + std::string(key) + "' is only allowed when 'tools' are specified.");
    }
  }
  if (!optional_bool(j, "parallel_tool_calls", turn.parallel, e)) return false;
  auto it = j.find("tool_choice");
  if (it == j.end() || it->is_null()) return true;
  if (it->is_string()) {
    const std::string mode = it->get<std::string>();
    if (mode == "auto") return true;
    if (mode == "none") {
      turn.choice.mode = tools::ChoiceMode::kNone;
    } else if (mode == "required") {
      turn.choice.mode = tools::ChoiceMode::kRequired;
    } else {
      return bad_value(e, "tool_choice", "'" + mode + "' is not one of none, auto, required.");
    }
    return true;
  }
  if (!it->is_object()) return wrong_type(e, "tool_choice", "a string or an object", *it);
  auto type = it->find("type");
  if (type == it->end()) return missing(e, "tool_choice.type");
  if (*type != "function") return bad_value(e, "tool_choice.type", "expected 'function'.");
  auto fn = it->find("function");
  if (fn == it->end()) return missing(e, "tool_choice.function");
  if (!fn->is_object()) return wrong_type(e, "tool_choice.function", "an object", *fn);
  auto name = fn->find("name");
  if (name == fn->end()) return missing(e, "tool_choice.function.name");
  if (!name->is_string()) return wrong_type(e, "tool_choice.function.name", "a string", *name);
  turn.choice.mode = tools::ChoiceMode::kNamed;
  turn.choice.name = name->get<std::string>();
  const bool offered = std::any_of(turn.tools.begin(), turn.tools.end(),
                                   [&](const tools::ToolSpec& t) { return t.name == turn.choice.name; });
  if (!offered) {
    return bad_value(e, "tool_choice", "function '" + turn.choice.name + "' is not one of the functions in 'tools'.");
  }
  return true;
}

// `stop`: null, a string, or an array of up to kMaxStopSequences strings.
bool read_stop(const Json& j, std::vector<std::string>& stop, WireError& e) {
  auto it = j.find("stop");
  if (it == j.end() || it->is_null()) return true;
  if (it->is_string()) {
    if (!it->get<std::string>().empty()) stop.push_back(it->get<std::string>());
    return true;
  }
  if (!it->is_array()) return wrong_type(e, "stop", "a string or an array of strings", *it);
  if (it->size() > kMaxStopSequences) {
    return bad_value(e, "stop", "array too long. Expected an array with maximum length " +
                                    std::to_string(kMaxStopSequences) + ", but got an array with length " +
                                    std::to_string(it->size()) + " instead.");
  }
  for (std::size_t k = 0; k < it->size(); ++k) {
    const Json& s = (*it)[k];
    if (!s.is_string()) return wrong_type(e, "stop[" + std::to_string(k) + "]", "a string", s);
    if (!s.get<std::string>().empty()) stop.push_back(s.get<std::string>());
  }
  return true;
}

// Fields the fake vendor does not model are refused, not ignored; unknown fields are refused as
// the real API refuses them.
bool check_fields(const Json& j, WireError& e) {
  static const char* kKnown[] = {
      "model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "n",
      "stream", "stream_options", "tools", "tool_choice", "parallel_tool_calls", "response_format",
      "metadata", "stop", "logprobs", "top_logprobs", "seed", "user", "presence_penalty",
      "frequency_penalty", "logit_bias", "store", "service_tier", "reasoning_effort", "verbosity",
      "modalities", "audio", "prediction", "functions", "function_call", "web_search_options",
      "prompt_cache_key", "safety_identifier"};
  static const char* kUnsupported[] = {"audio", "prediction", "functions", "function_call", "web_search_options",
                                       "top_logprobs"};
  for (auto kv = j.begin(); kv != j.end(); ++kv) {
    const std::string& key = kv.key();
    if (std::none_of(std::begin(kKnown), std::end(kKnown), [&](const char* k) { return key == k; })) {
      return fail(e, "", "Unrecognized request argument supplied: " + key, "");
    }
    if (kv.value().is_null()) continue;
    const bool unsupported =
        std::any_of(std::begin(kUnsupported), std::end(kUnsupported), [&](const char* k) { return key == k; }) ||
        (key == "logprobs" && kv.value() == true) ||
        (key == "modalities" && kv.value().is_array() &&
         std::any_of(kv.value().begin(), kv.value().end(), [](const Json& m) { return m == "audio"; }));
    if (unsupported) {
      return fail(e, key, "Unsupported parameter: '" + key + "' is not supported with this model.",
                  "unsupported_parameter");
    }
  }
  return true;
}

bool read_response_format(const Json& j, bool& json_output, WireError& e) {
  auto it = j.find("response_format");
  if (it == j.end() || it->is_null()) return true;
  if (!it->is_object()) return wrong_type(e, "response_format", "an object", *it);
  auto type = it->find("type");
  if (type == it->end()) return missing(e, "response_format.type");
  if (!type->is_string()) return wrong_type(e, "response_format.type", "a string", *type);
  if (*type == "text") return true;
  if (*type == "json_object") {
    json_output = true;
    return true;
  }
  if (*type == "json_schema") {
    auto schema = it->find("json_schema");
    if (schema == it->end()) return missing(e, "response_format.json_schema");
    if (!schema->is_object()) return wrong_type(e, "response_format.json_schema", "an object", *schema);
    auto name = schema->find("name");
    if (name == schema->end()) return missing(e, "response_format.json_schema.name");
    if (!name->is_string()) return wrong_type(e, "response_format.json_schema.name", "a string", *name);
    json_output = true;
    return true;
  }
  return bad_value(e, "response_format.type", "'" + type->get<std::string>() +
                                                  "' is not one of text, json_object, json_schema.");
}

bool read_metadata(const Json& j, std::string& task_type, WireError& e) {
  auto it = j.find("metadata");
  if (it == j.end() || it->is_null()) return true;
  if (!it->is_object()) return wrong_type(e, "metadata", "an object", *it);
  for (auto kv = it->begin(); kv != it->end(); ++kv) {
    if (!kv.value().is_string()) return wrong_type(e, "metadata." + kv.key(), "a string", kv.value());
  }
  auto tt = it->find("task_type");
  if (tt != it->end()) task_type = tt->get<std::string>();
  return true;
}

std::string base64(const unsigned char* data, std::size_t n) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  for (std::size_t i = 0; i < n; i += 3) {
    const std::uint32_t b = (static_cast<std::uint32_t>(data[i]) << 16) |
                            (i + 1 < n ? static_cast<std::uint32_t>(data[i + 1]) << 8 : 0) |
                            (i + 2 < n ? static_cast<std::uint32_t>(data[i + 2]) : 0);
    out += kAlphabet[(b >> 18) & 63];
    out += kAlphabet[(b >> 12) & 63];
    out += i + 1 < n ? kAlphabet[(b >> 6) & 63] : '=';
    out += i + 2 < n ? kAlphabet[b & 63] : '=';
  }
  return out;
}

Json chunk_base(const ChatResponse& r, long long created, bool include_usage) {
  Json c;
  c["id"] = r.id;
  c["object"] = "chat.completion.chunk";
  c["created"] = created;
  c["model"] = r.model;
  c["system_fingerprint"] = system_fingerprint(r.model);
  c["choices"] = Json::array();
  if (include_usage) c["usage"] = nullptr;
  return c;
}

Json choice(int index, Json delta, const std::string& finish_reason = "") {
  Json ch;
  ch["index"] = index;
  ch["delta"] = std::move(delta);
  ch["logprobs"] = nullptr;
  if (finish_reason.empty()) {
    ch["finish_reason"] = nullptr;
  } else {
    ch["finish_reason"] = finish_reason;
  }
  return ch;
}

}  // namespace

bool parse_chat_request(std::string_view body, ChatCall& out, WireError& error) {
  out = ChatCall{};
  Json j;
  if (!parse_object(body, j, error)) return false;
  if (auto it = j.find("model"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) return wrong_type(error, "model", "a string", *it);
    out.request.model = it->get<std::string>();
  }
  if (!check_fields(j, error)) return false;
  if (!read_messages(j, out.request.messages, out.tool_turn.results, error)) return false;
  long long max_tokens = out.request.max_tokens;
  if (!optional_int(j, "max_tokens", 1, 1'000'000, max_tokens, error)) return false;
  if (!optional_int(j, "max_completion_tokens", 1, 1'000'000, max_tokens, error)) return false;
  out.request.max_tokens = static_cast<int>(max_tokens);
  if (!optional_number(j, "temperature", 0, 2, error)) return false;
  if (!optional_number(j, "top_p", 0, 1, error)) return false;
  long long n = 1;
  if (!optional_int(j, "n", 1, 128, n, error)) return false;
  out.n = static_cast<int>(n);
  bool logprobs = false;  // true was refused by check_fields
  if (!optional_bool(j, "logprobs", logprobs, error)) return false;
  if (!read_stop(j, out.stop, error)) return false;
  if (!optional_bool(j, "stream", out.stream, error)) return false;
  if (auto it = j.find("stream_options"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) return wrong_type(error, "stream_options", "an object", *it);
    if (auto iu = it->find("include_usage"); iu != it->end() && !iu->is_null()) {
      if (!iu->is_boolean()) return wrong_type(error, "stream_options.include_usage", "a boolean", *iu);
      out.include_usage = iu->get<bool>();
    }
  }
  if (!read_tools(j, out.tool_count, out.tool_turn.tools, error)) return false;
  if (!read_tool_choice(j, out.tool_turn, error)) return false;
  if (!read_response_format(j, out.request.json_output, error)) return false;
  if (!read_metadata(j, out.request.task_type, error)) return false;
  return true;
}

bool parse_embedding_request(std::string_view body, EmbeddingCall& out, WireError& error) {
  out = EmbeddingCall{};
  Json j;
  if (!parse_object(body, j, error)) return false;
  if (auto it = j.find("model"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) return wrong_type(error, "model", "a string", *it);
    out.model = it->get<std::string>();
  }
  auto in = j.find("input");
  if (in == j.end()) return missing(error, "input");
  auto tokens_text = [](const Json& arr) {
    std::string s;
    for (const Json& t : arr) s += std::to_string(t.get<long long>()) + " ";
    return s;
  };
  auto all_ints = [](const Json& arr) {
    for (const Json& t : arr) {
      if (!t.is_number_integer() && !t.is_number_unsigned()) return false;
    }
    return true;
  };
  if (in->is_string()) {
    out.inputs.push_back(in->get<std::string>());
  } else if (in->is_array()) {
    if (in->empty()) return bad_value(error, "input", "expected at least one input, got an empty array.");
    if (all_ints(*in)) {
      out.inputs.push_back(tokens_text(*in));
    } else {
      for (std::size_t k = 0; k < in->size(); ++k) {
        const Json& item = (*in)[k];
        if (item.is_string()) {
          out.inputs.push_back(item.get<std::string>());
        } else if (item.is_array() && all_ints(item)) {
          out.inputs.push_back(tokens_text(item));
        } else {
          return wrong_type(error, "input[" + std::to_string(k) + "]",
                            "a string or an array of token ids", item);
        }
      }
    }
  } else {
    return wrong_type(error, "input", "a string or an array", *in);
  }
  if (in->is_array() && in->size() > kMaxEmbeddingInputs && !all_ints(*in)) {
    return bad_value(error, "input", "array too long. Expected an array with maximum length " +
                                         std::to_string(kMaxEmbeddingInputs) + ", but got an array with length " +
                                         std::to_string(in->size()) + " instead.");
  }
  long long dims = out.dimensions;
  if (!optional_int(j, "dimensions", 1, 8192, dims, error)) return false;
  out.dimensions = static_cast<int>(dims);
  if (out.inputs.size() * static_cast<std::size_t>(dims) > kMaxEmbeddingValues) {
    return bad_value(error, "dimensions",
                     std::to_string(out.inputs.size()) + " inputs of " + std::to_string(dims) +
                         " dimensions is more than " + std::to_string(kMaxEmbeddingValues) +
                         " values in one response. Send fewer inputs or ask for fewer dimensions.");
  }
  if (auto it = j.find("encoding_format"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) return wrong_type(error, "encoding_format", "a string", *it);
    if (*it == "base64") {
      out.base64 = true;
    } else if (*it != "float") {
      return bad_value(error, "encoding_format", "expected 'float' or 'base64'.");
    }
  }
  return true;
}

std::vector<float> embedding_vector(std::string_view input, int dimensions) {
  return gameday::embedding_vector(input, dimensions);
}

std::string embeddings_json(const EmbeddingCall& call) {
  Json j;
  j["object"] = "list";
  Json data = Json::array();
  int tokens = 0;
  for (std::size_t k = 0; k < call.inputs.size(); ++k) {
    tokens += estimate_tokens(call.inputs[k]);
    const std::vector<float> vec = embedding_vector(call.inputs[k], call.dimensions);
    Json item;
    item["object"] = "embedding";
    item["index"] = k;
    if (call.base64) {
      std::vector<unsigned char> bytes(vec.size() * 4);
      for (std::size_t i = 0; i < vec.size(); ++i) {
        std::uint32_t bits;
        std::memcpy(&bits, &vec[i], 4);
        for (int b = 0; b < 4; ++b) bytes[i * 4 + b] = static_cast<unsigned char>(bits >> (8 * b));
      }
      item["embedding"] = base64(bytes.data(), bytes.size());
    } else {
      item["embedding"] = vec;
    }
    data.push_back(std::move(item));
  }
  j["data"] = std::move(data);
  j["model"] = call.model.empty() ? "text-embedding-3-small" : call.model;
  j["usage"] = {{"prompt_tokens", tokens}, {"total_tokens", tokens}};
  return j.dump();
}

std::string model_json(const VendorProfile& profile, const std::string& model) {
  Json m;
  m["id"] = model;
  m["object"] = "model";
  m["created"] = 0;
  m["owned_by"] = profile.id;
  return m.dump();
}

std::string models_json(const VendorProfile& profile) {
  Json j;
  j["object"] = "list";
  Json data = Json::array();
  std::vector<std::string> models = profile.models;
  if (models.empty()) models.push_back(profile.id);
  for (const auto& m : models) data.push_back(Json::parse(model_json(profile, m)));
  j["data"] = std::move(data);
  return j.dump();
}

std::string system_fingerprint(std::string_view model) {
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (const char c : model) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string fp = "fp_";
  for (int i = 0; i < 10; ++i, h >>= 4) fp += kHex[h & 0xf];
  return fp;
}

namespace {

// One choice's message object: {"role": "assistant", "content", "tool_calls"?, "refusal": null}.
void append_message(std::string& out, const ChatResponse& r) {
  out += "{\"role\":\"assistant\",\"content\":";
  if (r.content.empty() && !r.tool_calls.empty()) {
    out += "null";
  } else {
    append_json_string(out, r.content);
  }
  for (std::size_t k = 0; k < r.tool_calls.size(); ++k) {
    const ToolCall& tc = r.tool_calls[k];
    out += k == 0 ? ",\"tool_calls\":[{\"id\":" : ",{\"id\":";
    append_json_string(out, tc.id);
    out += ",\"type\":\"function\",\"function\":{\"name\":";
    append_json_string(out, tc.name);
    out += ",\"arguments\":";
    append_json_string(out, tc.arguments);
    out += "}}";
  }
  if (!r.tool_calls.empty()) out += ']';
  out += ",\"refusal\":null}";
}

}  // namespace

std::string completion_json(const ChatResponse& r, long long created, int n) {
  // Written directly, not as a JSON tree: this is the live vendor's hot path.
  std::string out;
  std::size_t size = 360 + r.id.size() + r.model.size() + r.content.size() + r.finish_reason.size();
  for (const ToolCall& tc : r.tool_calls) size += 64 + tc.id.size() + tc.name.size() + tc.arguments.size();
  size *= static_cast<std::size_t>(std::max(1, n));
  out.reserve(size + size / 8);
  out += "{\"id\":";
  append_json_string(out, r.id);
  out += ",\"object\":\"chat.completion\",\"created\":";
  out += std::to_string(created);
  out += ",\"model\":";
  append_json_string(out, r.model);
  out += ",\"system_fingerprint\":\"";
  out += system_fingerprint(r.model);
  out += "\",\"choices\":[";
  for (int i = 0; i < std::max(1, n); ++i) {
    if (i > 0) out += ',';
    out += "{\"index\":";
    out += std::to_string(i);
    out += ",\"message\":";
    append_message(out, r);
    out += ",\"logprobs\":null,\"finish_reason\":";
    append_json_string(out, r.finish_reason);
    out += '}';
  }
  const long long completion = static_cast<long long>(r.usage.completion_tokens) * std::max(1, n);
  out += "],\"usage\":{\"prompt_tokens\":";
  out += std::to_string(r.usage.prompt_tokens);
  out += ",\"completion_tokens\":";
  out += std::to_string(completion);
  out += ",\"total_tokens\":";
  out += std::to_string(r.usage.prompt_tokens + completion);
  out += "}}";
  return out;
}

std::string error_json(const WireError& e) {
  Json err;
  err["message"] = e.message;
  err["type"] = e.type;
  if (e.param.empty()) {
    err["param"] = nullptr;
  } else {
    err["param"] = e.param;
  }
  if (e.code.empty()) {
    err["code"] = nullptr;
  } else {
    err["code"] = e.code;
  }
  Json j;
  j["error"] = std::move(err);
  // The message may quote the request's method, path or model id, which need not be UTF-8.
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

WireError outcome_error(const VendorOutcome& o) {
  WireError e;
  e.status = o.status;
  e.message = o.error.message;
  e.type = o.error.type;
  e.code = o.error.code;
  return e;
}

HeaderList error_headers(int status, Duration retry_after) {
  HeaderList h;
  if (retry_after > 0) {
    const long long secs = (retry_after + kSecond - 1) / kSecond;
    h.emplace_back("retry-after", std::to_string(secs));
    h.emplace_back("retry-after-ms", std::to_string((retry_after + kMillisecond - 1) / kMillisecond));
  }
  if (status == 429 || status >= 500) h.emplace_back("x-should-retry", "true");
  return h;
}

std::string sse_event(std::string_view payload) {
  std::string s = "data: ";
  s += payload;
  s += "\n\n";
  return s;
}

std::string sse_done() { return "data: [DONE]\n\n"; }

std::vector<std::string> split_pieces(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t j = i;
    while (j < text.size() && std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    out.emplace_back(text.substr(i, j - i));
    i = j;
  }
  return out;
}

std::vector<StreamEvent> stream_events(const ChatResponse& r, long long created, bool include_usage, int n) {
  std::vector<StreamEvent> out;
  auto emit = [&](Json choice_json, bool token) {
    Json c = chunk_base(r, created, include_usage);
    c["choices"].push_back(std::move(choice_json));
    out.push_back(StreamEvent{sse_event(c.dump()), token});
  };
  const std::vector<std::string> pieces = split_pieces(r.content);
  for (int i = 0; i < std::max(1, n); ++i) {
    Json role;
    role["role"] = "assistant";
    role["content"] = r.tool_calls.empty() || !r.content.empty() ? Json("") : Json(nullptr);
    role["refusal"] = nullptr;
    emit(choice(i, std::move(role)), false);
    for (const std::string& piece : pieces) {
      Json d;
      d["content"] = piece;
      emit(choice(i, std::move(d)), true);
    }
    for (std::size_t k = 0; k < r.tool_calls.size(); ++k) {
      const ToolCall& tc = r.tool_calls[k];
      Json call;
      call["index"] = k;
      call["id"] = tc.id;
      call["type"] = "function";
      call["function"] = {{"name", tc.name}, {"arguments", ""}};
      Json d;
      d["tool_calls"] = Json::array({std::move(call)});
      emit(choice(i, std::move(d)), false);
      for (const std::string& piece : split_pieces(tc.arguments)) {
        Json frag;
        frag["index"] = k;
        frag["function"] = {{"arguments", piece}};
        Json fd;
        fd["tool_calls"] = Json::array({std::move(frag)});
        emit(choice(i, std::move(fd)), true);
      }
    }
    emit(choice(i, Json::object(), r.finish_reason), false);
  }
  if (include_usage) {
    Json c = chunk_base(r, created, false);
    const long long completion = static_cast<long long>(r.usage.completion_tokens) * std::max(1, n);
    c["usage"] = {{"prompt_tokens", r.usage.prompt_tokens},
                  {"completion_tokens", completion},
                  {"total_tokens", r.usage.prompt_tokens + completion}};
    out.push_back(StreamEvent{sse_event(c.dump()), false});
  }
  out.push_back(StreamEvent{sse_done(), false});
  return out;
}

void fit_answer(const ChatCall& call, ChatResponse& r) {
  bool changed = false;
  if (r.tool_calls.empty() && !call.tool_turn.tools.empty()) {
    // The stem: the hex digits of the response id, so the call ids differ per response.
    const std::string_view id = r.id;
    const std::string stem(id.substr(std::min(id.size(), id.find('-') + 1), 12));
    r.tool_calls = tools::plan_tool_calls(call.request, call.tool_turn, stem);
    if (!r.tool_calls.empty()) {
      r.content.clear();
      r.finish_reason = "tool_calls";
      changed = true;
    }
  }
  if (r.tool_calls.empty() && !call.stop.empty()) {
    std::size_t cut = std::string::npos;
    for (const std::string& s : call.stop) cut = std::min(cut, r.content.find(s));
    if (cut != std::string::npos) {
      r.content.resize(cut);
      r.finish_reason = "stop";
      changed = true;
    }
  }
  if (!changed) return;
  std::size_t chars = r.content.size();
  for (const ToolCall& tc : r.tool_calls) chars += tc.name.size() + tc.arguments.size();
  r.usage.completion_tokens = std::max(1, static_cast<int>((chars + 3) / 4));
  r.usage.total_tokens = r.usage.prompt_tokens + r.usage.completion_tokens;
}

}  // namespace gameday::net::openai
