#include "fakes/tool_calls.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "fakes/extractive_model.hpp"

namespace gameday::tools {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::array<std::string_view, 40> kStopwords = {
    "the", "and", "for", "are", "was", "were", "what", "which", "who", "whom", "when", "where",
    "how", "does", "did", "has", "have", "had", "this", "that", "these", "those", "with", "from",
    "into", "about", "can", "could", "would", "should", "will", "any", "all", "per", "our", "your",
    "their", "there", "then", "than"};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }

// A word in match form: lowercase, a plural 's' folded (not "ss").
std::string fold(std::string w) {
  for (char& c : w) c = extractive::lower(c);
  if (w.size() > 3 && w.back() == 's' && w[w.size() - 2] != 's') w.pop_back();
  return w;
}

// The distinct match-form words of `text`: alphanumeric runs of 3+ characters, split also at
// lower-to-upper case changes, stopwords dropped.
std::set<std::string> words_of(std::string_view text) {
  std::set<std::string> out;
  std::string w;
  auto flush = [&] {
    if (w.size() >= 3) {
      std::string low = w;
      for (char& c : low) c = extractive::lower(c);
      if (std::find(kStopwords.begin(), kStopwords.end(), low) == kStopwords.end()) out.insert(fold(low));
    }
    w.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (!extractive::is_alnum(c)) {
      flush();
      continue;
    }
    if (is_upper(c) && i > 0 && is_lower(text[i - 1])) flush();
    w += c;
  }
  flush();
  return out;
}

// The question of the last user message (its whole text when it has none).
std::string_view question_of(const ChatRequest& req) {
  for (auto it = req.messages.rbegin(); it != req.messages.rend(); ++it) {
    if (it->role != "user") continue;
    const std::string_view q = extractive::find_question(it->content);
    return q.empty() ? std::string_view(it->content) : q;
  }
  return {};
}

std::string_view last_user(const ChatRequest& req) {
  for (auto it = req.messages.rbegin(); it != req.messages.rend(); ++it) {
    if (it->role == "user") return it->content;
  }
  return {};
}

// The texts values are looked for in: the last user message, then the others, newest first.
std::vector<std::string_view> search_order(const std::vector<ChatMessage>& messages) {
  std::vector<std::string_view> out;
  std::size_t last_user_at = messages.size();
  for (std::size_t k = messages.size(); k-- > 0;) {
    if (messages[k].role == "user") {
      last_user_at = k;
      break;
    }
  }
  if (last_user_at < messages.size()) out.push_back(messages[last_user_at].content);
  for (std::size_t k = messages.size(); k-- > 0;) {
    if (k != last_user_at) out.push_back(messages[k].content);
  }
  return out;
}

std::size_t digits_at(std::string_view s, std::size_t i) {
  std::size_t j = i;
  while (j < s.size() && is_digit(s[j])) ++j;
  return j - i;
}

// The first YYYY-MM-DD date in `s` ("" when none).
std::string first_date(std::string_view s) {
  for (std::size_t i = 0; i + 10 <= s.size(); ++i) {
    if ((i > 0 && is_digit(s[i - 1])) || digits_at(s, i) != 4) continue;
    if (s[i + 4] == '-' && digits_at(s, i + 5) == 2 && s[i + 7] == '-' && digits_at(s, i + 8) == 2 &&
        (i + 10 == s.size() || !is_digit(s[i + 10]))) {
      return std::string(s.substr(i, 10));
    }
  }
  return {};
}

// The first identifier in `s`: a [doc:ID] id, else a token holding letters and digits (with
// '-' or '_' inside, like "SYN-0000001", "PA-1234", "pa-1") that is not a date.
std::string first_identifier(std::string_view s) {
  if (const auto p = s.find("[doc:"); p != std::string_view::npos) {
    const auto end = s.find(']', p);
    if (end != std::string_view::npos && end > p + 5) return std::string(s.substr(p + 5, end - p - 5));
  }
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t j = i;
    while (j < s.size() && (extractive::is_alnum(s[j]) || s[j] == '-' || s[j] == '_')) ++j;
    std::string_view tok = s.substr(i, j - i);
    while (!tok.empty() && (tok.back() == '-' || tok.back() == '_')) tok.remove_suffix(1);
    const bool digit = std::any_of(tok.begin(), tok.end(), is_digit);
    const bool alpha = std::any_of(tok.begin(), tok.end(), [](char c) { return is_upper(c) || is_lower(c); });
    const bool joined = tok.find_first_of("-_") != std::string_view::npos;
    if (digit && alpha && (joined || tok.size() >= 4)) return std::string(tok);
    i = j == i ? i + 1 : j;
  }
  return {};
}

// The first run of two capitalised words that does not start a sentence or a line.
std::string first_name(std::string_view s) {
  std::vector<std::pair<std::size_t, std::size_t>> words;  // start, length
  for (std::size_t i = 0; i < s.size();) {
    std::size_t j = i;
    while (j < s.size() && (extractive::is_alnum(s[j]) || s[j] == '\'')) ++j;
    if (j > i) words.emplace_back(i, j - i);
    i = j == i ? i + 1 : j;
  }
  auto capitalised = [&](std::size_t k) {
    const auto [at, n] = words[k];
    if (n < 2 || !is_upper(s[at])) return false;
    for (std::size_t c = at + 1; c < at + n; ++c) {
      if (!is_lower(s[c])) return false;
    }
    return true;
  };
  auto starts_sentence = [&](std::size_t k) {
    std::size_t p = words[k].first;
    while (p > 0 && s[p - 1] == ' ') --p;
    return p == 0 || s[p - 1] == '.' || s[p - 1] == '\n' || s[p - 1] == ':' || s[p - 1] == '?';
  };
  for (std::size_t k = 0; k + 1 < words.size(); ++k) {
    if (!capitalised(k) || !capitalised(k + 1) || starts_sentence(k)) continue;
    if (s.substr(words[k].first + words[k].second, 1) != " ") continue;
    return std::string(s.substr(words[k].first, words[k + 1].first + words[k + 1].second - words[k].first));
  }
  return {};
}

// The first free-standing number of `s` (not part of an identifier or a date).
bool first_number(std::string_view s, double& out) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!is_digit(s[i]) || (i > 0 && (extractive::is_alnum(s[i - 1]) || s[i - 1] == '-'))) continue;
    std::size_t j = i + digits_at(s, i);
    if (j + 1 < s.size() && s[j] == '.' && is_digit(s[j + 1])) j += 1 + digits_at(s, j + 1);
    if (j < s.size() && (extractive::is_alnum(s[j]) || s[j] == '-')) {
      i = j;
      continue;
    }
    // from_chars, not stod: digits beyond a double's range are no number (stod would throw).
    double v = 0;
    if (std::from_chars(s.data() + i, s.data() + j, v).ec != std::errc()) {
      i = j;
      continue;
    }
    out = v;
    return true;
  }
  return false;
}

// A JSON integer for `v`: truncated toward zero and clamped to the 64-bit range. A question or
// a schema's bounds can hold any number, and casting one out of range is undefined.
long long to_integer(double v) {
  constexpr double kTwoTo63 = 9223372036854775808.0;
  if (std::isnan(v)) return 0;
  if (v >= kTwoTo63) return std::numeric_limits<long long>::max();
  if (v < -kTwoTo63) return std::numeric_limits<long long>::min();
  return static_cast<long long>(v);
}

bool mentions_any(std::string_view hay, std::initializer_list<std::string_view> needles) {
  for (std::string_view n : needles) {
    if (extractive::icontains(hay, n)) return true;
  }
  return false;
}

struct Filler {
  std::vector<std::string_view> texts;  // search order
  std::string_view question;

  template <class F>
  std::string first_of(F&& find) const {
    for (std::string_view t : texts) {
      std::string v = find(t);
      if (!v.empty()) return v;
    }
    return {};
  }

  // A value for the schema `s` of the property `name`; false when the prompt holds none and
  // `need` is false (an optional property left out).
  bool value(const Json& s, const std::string& name, bool need, Json& out) const;
  bool string_value(const Json& s, const std::string& name, bool need, Json& out) const;
  bool object_value(const Json& s, Json& out) const;
};

// The first type a schema names ("string" for ["string", "null"]); "" when it names none.
std::string type_of(const Json& s) {
  auto t = s.find("type");
  if (t == s.end()) return s.contains("properties") ? "object" : "";
  if (t->is_string()) return t->get<std::string>();
  if (t->is_array()) {
    for (const Json& x : *t) {
      if (x.is_string() && x != "null") return x.get<std::string>();
    }
  }
  return "";
}

bool Filler::string_value(const Json& s, const std::string& name, bool need, Json& out) const {
  const std::string desc = s.value("description", std::string());
  const std::string format = s.value("format", std::string());
  const std::string hint = name + " " + desc;
  std::string v;
  bool found = true;
  if (format == "date" || format == "date-time" || mentions_any(name, {"date", "day"})) {
    v = first_of(first_date);
    found = !v.empty();
    if (v.empty()) v = "1970-01-01";
    if (format == "date-time") v += "T00:00:00Z";
  } else if (mentions_any(hint, {"id", "mrn", "patient", "member", "record", "reference", "code"}) &&
             !mentions_any(name, {"name"})) {
    v = first_of(first_identifier);
    found = !v.empty();
  } else if (mentions_any(name, {"name"})) {
    v = first_of(first_name);
    found = !v.empty();
  } else {
    // Queries, questions and free text: the question itself (an optional one only when its
    // name asks for a query).
    v = std::string(question);
    found = name == "q" || mentions_any(name, {"query", "question", "search", "text", "prompt", "message"});
  }
  if (!found && !need) return false;
  if (auto max = s.find("maxLength"); max != s.end() && max->is_number_unsigned()) {
    v = v.substr(0, max->get<std::size_t>());
  }
  out = v;
  return true;
}

bool Filler::object_value(const Json& s, Json& out) const {
  out = Json::object();
  auto props = s.find("properties");
  if (props == s.end() || !props->is_object()) return true;
  std::set<std::string> required;
  if (auto r = s.find("required"); r != s.end() && r->is_array()) {
    for (const Json& x : *r) {
      if (x.is_string()) required.insert(x.get<std::string>());
    }
  }
  for (auto p = props->begin(); p != props->end(); ++p) {
    if (!p.value().is_object()) continue;
    Json v;
    if (value(p.value(), p.key(), required.count(p.key()) > 0, v)) out[p.key()] = std::move(v);
  }
  return true;
}

bool Filler::value(const Json& s, const std::string& name, bool need, Json& out) const {
  for (const char* branch : {"anyOf", "oneOf", "allOf"}) {
    if (auto b = s.find(branch); b != s.end() && b->is_array() && !b->empty()) {
      for (const Json& alt : *b) {
        if (alt.is_object() && type_of(alt) != "null") return value(alt, name, need, out);
      }
    }
  }
  if (auto c = s.find("const"); c != s.end()) {
    out = *c;
    return true;
  }
  if (auto e = s.find("enum"); e != s.end() && e->is_array() && !e->empty()) {
    for (const Json& x : *e) {
      if (x.is_string() && !x.get<std::string>().empty()) {
        for (std::string_view t : texts) {
          if (extractive::icontains(t, x.get<std::string>())) {
            out = x;
            return true;
          }
        }
      }
    }
    if (!need) return false;
    out = (*e)[0];
    return true;
  }
  const std::string type = type_of(s);
  if (type == "object") return object_value(s, out);
  if (type == "integer" || type == "number") {
    double v = 0;
    const bool found = first_number(question, v);
    if (!found && !need) return false;
    if (!found) v = s.value("minimum", 1.0);
    if (auto lo = s.find("minimum"); lo != s.end() && lo->is_number()) v = std::max(v, lo->get<double>());
    if (auto hi = s.find("maximum"); hi != s.end() && hi->is_number()) v = std::min(v, hi->get<double>());
    if (type == "integer") {
      out = to_integer(v);
    } else {
      out = v;
    }
    return true;
  }
  if (type == "boolean") {
    if (!need) return false;
    out = false;
    return true;
  }
  if (type == "array") {
    const long long min_items = s.value("minItems", 0LL);
    Json item;
    const Json items = s.contains("items") && s["items"].is_object() ? s["items"] : Json::object();
    if (!value(items, name, need || min_items > 0, item)) return false;
    out = Json::array();
    for (long long k = 0; k < std::max(1LL, min_items); ++k) out.push_back(item);
    return true;
  }
  return string_value(s, name, need, out);
}

// One block of tool-result context per JSON object (its "id" as the block id).
void add_json_blocks(const Json& j, const std::string& fallback_id, std::string& out) {
  if (j.is_array()) {
    for (const Json& item : j) add_json_blocks(item, fallback_id, out);
    return;
  }
  std::string id = fallback_id;
  std::string text;
  if (j.is_object()) {
    if (auto it = j.find("id"); it != j.end() && (it->is_string() || it->is_number())) {
      id = it->is_string() ? it->get<std::string>() : it->dump();
    }
    for (auto kv = j.begin(); kv != j.end(); ++kv) {
      if (kv.key() == "id") continue;
      std::string v = kv.value().is_string() ? kv.value().get<std::string>() : kv.value().dump();
      if (!text.empty()) text += ' ';
      text += kv.key() + ": " + v;
      if (text.back() != '.') text += '.';
    }
  } else {
    text = j.is_string() ? j.get<std::string>() : j.dump();
  }
  std::replace(text.begin(), text.end(), '\n', ' ');
  out += "\n[doc:" + id + "] " + text;
}

}  // namespace

int relevance(const ToolSpec& tool, std::string_view question) {
  const std::set<std::string> q = words_of(question);
  std::string named = tool.name;
  std::replace_if(named.begin(), named.end(), [](char c) { return c == '_' || c == '-' || c == '.'; }, ' ');
  std::set<std::string> t = words_of(named);
  const std::set<std::string> d = words_of(tool.description);
  t.insert(d.begin(), d.end());
  int n = 0;
  for (const std::string& w : q) n += t.count(w) > 0 ? 1 : 0;
  return n;
}

std::vector<ToolCall> plan_tool_calls(const ChatRequest& req, const ToolTurn& turn, std::string_view id_stem) {
  std::vector<ToolCall> out;
  if (turn.tools.empty() || turn.choice.mode == ChoiceMode::kNone) return out;
  std::vector<const ToolSpec*> picked;
  if (turn.choice.mode == ChoiceMode::kNamed) {
    for (const ToolSpec& t : turn.tools) {
      if (t.name == turn.choice.name) picked.push_back(&t);
    }
  } else {
    if (turn.choice.mode == ChoiceMode::kAuto &&
        (!turn.results.empty() || extractive::extract(last_user(req)).n > 0)) {
      return out;
    }
    const std::string_view q = question_of(req);
    std::vector<int> score;
    int best = 0;
    for (const ToolSpec& t : turn.tools) {
      score.push_back(relevance(t, q));
      best = std::max(best, score.back());
    }
    for (std::size_t k = 0; k < turn.tools.size(); ++k) {
      if (score[k] >= 2 || (score[k] == best && best >= 1)) picked.push_back(&turn.tools[k]);
    }
    if (picked.empty() && turn.choice.mode == ChoiceMode::kRequired) picked.push_back(&turn.tools.front());
    if (!turn.parallel && picked.size() > 1) {
      // The most relevant one (the first on ties).
      std::size_t at = 0;
      for (std::size_t k = 0; k < turn.tools.size(); ++k) {
        if (&turn.tools[k] == picked.front()) at = k;
      }
      for (std::size_t k = 0; k < turn.tools.size(); ++k) {
        if (score[k] > score[at]) at = k;
      }
      picked.assign(1, &turn.tools[at]);
    }
  }
  for (const ToolSpec* t : picked) {
    ToolCall tc;
    tc.id = "call_" + std::string(id_stem) + "_" + std::to_string(out.size());
    tc.name = t->name;
    tc.arguments = fill_arguments(t->parameters, req.messages);
    out.push_back(std::move(tc));
  }
  return out;
}

std::string fill_arguments(std::string_view parameters, const std::vector<ChatMessage>& messages) {
  const Json schema = Json::parse(parameters.begin(), parameters.end(), nullptr, false);
  if (schema.is_discarded() || !schema.is_object()) return "{}";
  Filler f;
  f.texts = search_order(messages);
  for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
    if (it->role != "user") continue;
    f.question = extractive::find_question(it->content);
    if (f.question.empty()) f.question = it->content;
    break;
  }
  Json out;
  f.object_value(schema, out);
  return out.dump(-1, ' ', false, Json::error_handler_t::replace);
}

ChatRequest with_tool_results(const ChatRequest& req, const std::vector<ToolResult>& results) {
  ChatRequest out = req;
  std::string blocks;
  for (const ToolResult& r : results) {
    if (r.content.find("[doc:") != std::string::npos) {
      extractive::for_each_line(r.content, [&](std::string_view line) {
        if (line.rfind("[doc:", 0) == 0) (blocks += '\n') += line;
        return true;
      });
      continue;
    }
    const Json j = Json::parse(r.content, nullptr, false);
    if (!j.is_discarded() && (j.is_object() || j.is_array())) {
      add_json_blocks(j, r.call_id, blocks);
    } else {
      std::string text = r.content;
      std::replace(text.begin(), text.end(), '\n', ' ');
      blocks += "\n[doc:" + r.call_id + "] " + text;
    }
  }
  for (auto it = out.messages.rbegin(); it != out.messages.rend(); ++it) {
    if (it->role == "user") {
      it->content += blocks;
      break;
    }
  }
  return out;
}

}  // namespace gameday::tools
