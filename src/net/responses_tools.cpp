// The Responses API's forced function calls: which function, and arguments filled from the
// prompt for the function's parameters schema (responses_wire.hpp).
#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "net/responses_wire.hpp"

namespace gameday::net::responses {
namespace {

using Json = nlohmann::ordered_json;

bool digits_at(std::string_view s, std::size_t i, std::size_t n) {
  if (i + n > s.size()) return false;
  for (std::size_t k = i; k < i + n; ++k) {
    if (!std::isdigit(static_cast<unsigned char>(s[k]))) return false;
  }
  return true;
}

bool digit_at(std::string_view s, std::size_t i) {
  return i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]));
}

// The first MRN ("SYN-" and exactly 7 digits) in `text`, or "".
std::string first_mrn(std::string_view text) {
  for (std::size_t i = text.find("SYN-"); i != std::string_view::npos; i = text.find("SYN-", i + 1)) {
    if (digits_at(text, i + 4, 7) && !digit_at(text, i + 11)) return std::string(text.substr(i, 11));
  }
  return "";
}

// The first YYYY-MM-DD in `text`, or "".
std::string first_date(std::string_view text) {
  for (std::size_t i = 0; i + 10 <= text.size(); ++i) {
    if ((i == 0 || !digit_at(text, i - 1)) && digits_at(text, i, 4) && text[i + 4] == '-' && digits_at(text, i + 5, 2) &&
        text[i + 7] == '-' && digits_at(text, i + 8, 2) && !digit_at(text, i + 10)) {
      return std::string(text.substr(i, 10));
    }
  }
  return "";
}

// The first whole number in `text`, or 1.
long long first_number(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!digit_at(text, i) || (i > 0 && (std::isalnum(static_cast<unsigned char>(text[i - 1])) || text[i - 1] == '-'))) {
      continue;
    }
    std::size_t j = i;
    while (digit_at(text, j)) ++j;
    if (j - i <= 9 && (j == text.size() || !std::isalpha(static_cast<unsigned char>(text[j])))) {
      return std::stoll(std::string(text.substr(i, j - i)));
    }
    i = j;
  }
  return 1;
}

// What the prompt offers for arguments.
struct PromptFacts {
  std::string mrn;
  std::string date;
  std::string question;
  long long number = 1;
};

PromptFacts facts_of(const std::vector<ChatMessage>& messages) {
  PromptFacts f;
  std::string all;
  std::string last_user;
  for (const ChatMessage& m : messages) {
    all += m.content;
    all += '\n';
    if (m.role == "user") last_user = m.content;
  }
  f.mrn = first_mrn(all);
  f.date = first_date(all);
  const auto q = last_user.find("Question:");
  std::string question = q == std::string::npos ? last_user : last_user.substr(q + 9);
  question = question.substr(0, question.find('\n'));
  const auto start = question.find_first_not_of(" \t");
  f.question = start == std::string::npos ? "" : question.substr(start);
  f.number = first_number(f.question);
  return f;
}

bool names(const std::string& key, std::initializer_list<const char*> words) {
  std::string lower;
  for (char c : key) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* w : words) {
    if (lower.find(w) != std::string::npos) return true;
  }
  return false;
}

// A value for property `key` of `schema`; null when there is nothing to say and it is optional.
Json value_for(const std::string& key, const Json& schema, const PromptFacts& f, bool required, int depth);

Json fill_object(const Json& schema, const PromptFacts& f, int depth) {
  Json out = Json::object();
  auto props = schema.find("properties");
  if (props == schema.end() || !props->is_object() || depth > 4) return out;
  std::vector<std::string> required;
  if (auto r = schema.find("required"); r != schema.end() && r->is_array()) {
    for (const Json& name : *r) {
      if (name.is_string()) required.push_back(name.get<std::string>());
    }
  }
  for (auto p = props->begin(); p != props->end(); ++p) {
    const bool needed = std::find(required.begin(), required.end(), p.key()) != required.end();
    Json v = value_for(p.key(), p.value(), f, needed, depth);
    if (!v.is_null() || needed) out[p.key()] = std::move(v);
  }
  return out;
}

Json string_for(const std::string& key, const Json& schema, const PromptFacts& f, bool required) {
  const bool date = names(key, {"date", "day", "when"}) || schema.value("format", "") == "date";
  if (date) return f.date.empty() ? (required ? Json("1970-01-01") : Json()) : Json(f.date);
  if (names(key, {"patient", "mrn", "subject"})) {
    return f.mrn.empty() ? (required ? Json(f.question) : Json()) : Json(f.mrn);
  }
  if (key == "q" || names(key, {"query", "question", "text", "search", "topic"}) || required) return f.question;
  return nullptr;
}

Json value_for(const std::string& key, const Json& schema, const PromptFacts& f, bool required, int depth) {
  if (!schema.is_object()) return required ? Json(f.question) : Json();
  if (auto e = schema.find("enum"); e != schema.end() && e->is_array() && !e->empty()) return (*e)[0];
  std::string type = "string";
  if (auto t = schema.find("type"); t != schema.end()) {
    if (t->is_string()) type = t->get<std::string>();
    if (t->is_array() && !t->empty() && (*t)[0].is_string()) type = (*t)[0].get<std::string>();
  }
  if (type == "integer" || type == "number") return f.number;
  if (type == "boolean") return required ? Json(false) : Json();
  if (type == "object") return fill_object(schema, f, depth + 1);
  if (type == "array") {
    Json arr = Json::array();
    auto items = schema.find("items");
    if (items != schema.end() && items->is_object() && items->value("type", "") == "string") {
      Json v = string_for(key, *items, f, true);
      if (v.is_string() && !v.get<std::string>().empty()) arr.push_back(std::move(v));
    }
    return required || !arr.empty() ? arr : Json();
  }
  if (type == "null") return nullptr;
  return string_for(key, schema, f, required);
}

}  // namespace

std::string fill_arguments(std::string_view parameters, const std::vector<ChatMessage>& messages) {
  const Json schema = Json::parse(parameters.begin(), parameters.end(), nullptr, false);
  if (schema.is_discarded() || !schema.is_object()) return "{}";
  return fill_object(schema, facts_of(messages), 0).dump(-1, ' ', false, Json::error_handler_t::replace);
}

void force_tool_call(const ResponsesCall& call, ChatResponse& r) {
  if (call.tools.empty()) return;
  const FunctionTool* tool = nullptr;
  if (call.tool_choice == ToolChoice::kRequired) tool = &call.tools.front();
  if (call.tool_choice == ToolChoice::kNamed) {
    for (const FunctionTool& t : call.tools) {
      if (t.name == call.tool_name) tool = &t;
    }
  }
  if (tool == nullptr) return;
  const auto dash = r.id.find('-');
  ToolCall tc;
  tc.id = "call_" + (dash == std::string::npos ? r.id : r.id.substr(dash + 1));
  tc.name = tool->name;
  tc.arguments = fill_arguments(tool->parameters, call.request.messages);
  r.content.clear();
  r.tool_calls.assign(1, std::move(tc));
  r.finish_reason = "tool_calls";
  r.usage.completion_tokens = estimate_tokens(r.tool_calls.front().arguments) + 5;
  r.usage.total_tokens = r.usage.prompt_tokens + r.usage.completion_tokens;
}

}  // namespace gameday::net::responses
