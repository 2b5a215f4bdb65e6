#include "net/openai_wire.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>

#include "fakes/embeddings.hpp"
#include "sim/json_text.hpp"
#include "sim/rng.hpp"

namespace gameday::net::openai {
namespace {

using Json = nlohmann::ordered_json;

const char* type_name(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::object: return "an object";
    case Json::value_t::array: return "an array";
    case Json::value_t::string: return "a string";
    case Json::value_t::boolean: return "a boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return "an integer";
    case Json::value_t::number_float: return "a number";
    default: return "something else";
  }
}

bool fail(WireError& e, std::string param, std::string message, std::string code) {
  e = WireError{};
  e.param = std::move(param);
  e.message = std::move(message);
  e.code = std::move(code);
  return false;
}

bool missing(WireError& e, const std::string& param) {
  return fail(e, param, "Missing required parameter: '" + param + "'.", "missing_required_parameter");
}

bool wrong_type(WireError& e, const std::string& param, const std::string& expected, const Json& got) {
  return fail(e, param,
              "Invalid type for '" + param + "': expected " + expected + ", but got " +
                  type_name(got) + " instead.",
              "invalid_type");
}

bool bad_value(WireError& e, const std::string& param, const std::string& why) {
  return fail(e, param, "Invalid value for '" + param + "': " + why, "invalid_value");
}

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

// Message content: a string, null, or an array of parts whose text parts are joined.
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
    }
    // Other parts (images, audio, refusals) carry no text the fake model reads.
  }
  return true;
}

bool read_messages(const Json& j, std::vector<ChatMessage>& out, WireError& e) {
  auto it = j.find("messages");
  if (it == j.end()) return missing(e, "messages");
  if (!it->is_array()) return wrong_type(e, "messages", "an array", *it);
  if (it->empty()) return bad_value(e, "messages", "expected at least one message, got an empty array.");
  static const char* kRoles[] = {"system", "developer", "user", "assistant", "tool", "function"};
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
    out.push_back(std::move(msg));
  }
  return true;
}

bool read_tools(const Json& j, int& count, WireError& e) {
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
  }
  count = static_cast<int>(it->size());
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
  c["choices"] = Json::array();
  if (include_usage) c["usage"] = nullptr;
  return c;
}

Json choice(Json delta, const std::string& finish_reason = "") {
  Json ch;
  ch["index"] = 0;
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
  if (!read_messages(j, out.request.messages, error)) return false;
  long long max_tokens = out.request.max_tokens;
  if (!optional_int(j, "max_tokens", 1, 1'000'000, max_tokens, error)) return false;
  if (!optional_int(j, "max_completion_tokens", 1, 1'000'000, max_tokens, error)) return false;
  out.request.max_tokens = static_cast<int>(max_tokens);
  if (!optional_number(j, "temperature", 0, 2, error)) return false;
  if (!optional_number(j, "top_p", 0, 1, error)) return false;
  long long n = 1;
  if (!optional_int(j, "n", 1, 128, n, error)) return false;
  if (!optional_bool(j, "stream", out.stream, error)) return false;
  if (auto it = j.find("stream_options"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) return wrong_type(error, "stream_options", "an object", *it);
    if (auto iu = it->find("include_usage"); iu != it->end() && !iu->is_null()) {
      if (!iu->is_boolean()) return wrong_type(error, "stream_options.include_usage", "a boolean", *iu);
      out.include_usage = iu->get<bool>();
    }
  }
  if (!read_tools(j, out.tool_count, error)) return false;
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

std::string completion_json(const ChatResponse& r, long long created) {
  // Written directly, not as a JSON tree: this is the live vendor's hot path.
  std::string out;
  std::size_t size = 320 + r.id.size() + r.model.size() + r.content.size() + r.finish_reason.size();
  for (const ToolCall& tc : r.tool_calls) size += 64 + tc.id.size() + tc.name.size() + tc.arguments.size();
  out.reserve(size + size / 8);
  out += "{\"id\":";
  append_json_string(out, r.id);
  out += ",\"object\":\"chat.completion\",\"created\":";
  out += std::to_string(created);
  out += ",\"model\":";
  append_json_string(out, r.model);
  out += ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":";
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
  out += "},\"finish_reason\":";
  append_json_string(out, r.finish_reason);
  out += "}],\"usage\":{\"prompt_tokens\":";
  out += std::to_string(r.usage.prompt_tokens);
  out += ",\"completion_tokens\":";
  out += std::to_string(r.usage.completion_tokens);
  out += ",\"total_tokens\":";
  out += std::to_string(r.usage.total_tokens);
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

std::vector<StreamEvent> stream_events(const ChatResponse& r, long long created, bool include_usage) {
  std::vector<StreamEvent> out;
  auto emit = [&](Json choice_json, bool token) {
    Json c = chunk_base(r, created, include_usage);
    c["choices"].push_back(std::move(choice_json));
    out.push_back(StreamEvent{sse_event(c.dump()), token});
  };
  Json role;
  role["role"] = "assistant";
  role["content"] = r.tool_calls.empty() || !r.content.empty() ? Json("") : Json(nullptr);
  emit(choice(std::move(role)), false);
  for (const std::string& piece : split_pieces(r.content)) {
    Json d;
    d["content"] = piece;
    emit(choice(std::move(d)), true);
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
    emit(choice(std::move(d)), false);
    for (const std::string& piece : split_pieces(tc.arguments)) {
      Json frag;
      frag["index"] = k;
      frag["function"] = {{"arguments", piece}};
      Json fd;
      fd["tool_calls"] = Json::array({std::move(frag)});
      emit(choice(std::move(fd)), true);
    }
  }
  emit(choice(Json::object(), r.finish_reason), false);
  if (include_usage) {
    Json c = chunk_base(r, created, false);
    c["usage"] = {{"prompt_tokens", r.usage.prompt_tokens},
                  {"completion_tokens", r.usage.completion_tokens},
                  {"total_tokens", r.usage.total_tokens}};
    out.push_back(StreamEvent{sse_event(c.dump()), false});
  }
  out.push_back(StreamEvent{sse_done(), false});
  return out;
}

}  // namespace gameday::net::openai
