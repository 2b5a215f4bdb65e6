#include "load/json_schema.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "load/files.hpp"

namespace gameday {
namespace {

using Json = nlohmann::json;

// Deeper than any schema gameday publishes: a "$ref" loop ends here.
constexpr int kMaxDepth = 64;

std::string type_name(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return "boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return "integer";
    case Json::value_t::number_float: return "number";
    case Json::value_t::string: return "string";
    case Json::value_t::array: return "array";
    case Json::value_t::object: return "object";
    default: return "value";
  }
}

bool has_type(const Json& v, const std::string& type) {
  if (type == "number") return v.is_number();
  if (type == "integer") {
    if (v.is_number_integer()) return true;
    return v.is_number_float() && std::trunc(v.get<double>()) == v.get<double>();
  }
  return type_name(v) == type;
}

std::string escape_pointer_token(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

// A short, value-free description of an expected constant (strings, numbers, booleans only).
std::string describe(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_primitive()) return v.dump();
  return type_name(v);
}

class Validator {
 public:
  explicit Validator(const Json& document) : document_(document) {}

  void check(const Json& schema, const Json& value, const std::string& path, int depth,
             std::vector<SchemaProblem>& out) const {
    if (depth > kMaxDepth) return out.push_back({path, "the schema nests too deeply (a $ref loop?)"});
    if (schema.is_boolean()) {
      if (!schema.get<bool>()) out.push_back({path, "no value is allowed here"});
      return;
    }
    if (!schema.is_object()) return;
    if (const auto ref = schema.find("$ref"); ref != schema.end() && ref->is_string()) {
      const Json* target = resolve(ref->get<std::string>());
      if (target == nullptr) return out.push_back({path, "the schema's $ref " + ref->get<std::string>() + " names nothing"});
      check(*target, value, path, depth + 1, out);
    }
    if (!check_type(schema, value, path, out)) return;  // the rest would only repeat it
    check_values(schema, value, path, out);
    if (value.is_object()) check_object(schema, value, path, depth, out);
    if (value.is_array()) check_array(schema, value, path, depth, out);
    check_combinators(schema, value, path, depth, out);
  }

 private:
  const Json* resolve(const std::string& ref) const {
    if (ref.empty() || ref[0] != '#') return nullptr;
    try {
      const Json::json_pointer p(ref.substr(1));
      return document_.contains(p) ? &document_.at(p) : nullptr;
    } catch (const Json::exception&) {
      return nullptr;
    }
  }

  static bool check_type(const Json& schema, const Json& value, const std::string& path,
                         std::vector<SchemaProblem>& out) {
    const auto t = schema.find("type");
    if (t == schema.end()) return true;
    std::vector<std::string> types;
    if (t->is_string()) types.push_back(t->get<std::string>());
    if (t->is_array()) {
      for (const auto& x : *t) {
        if (x.is_string()) types.push_back(x.get<std::string>());
      }
    }
    std::string expected;
    for (const auto& name : types) {
      if (has_type(value, name)) return true;
      expected += (expected.empty() ? "" : " or ") + name;
    }
    if (types.empty()) return true;
    out.push_back({path, "expected " + expected + ", got " + type_name(value)});
    return false;
  }

  static void check_values(const Json& schema, const Json& value, const std::string& path,
                           std::vector<SchemaProblem>& out) {
    if (const auto e = schema.find("enum"); e != schema.end() && e->is_array()) {
      bool found = false;
      std::string list;
      for (const auto& x : *e) {
        found = found || x == value;
        list += (list.empty() ? "" : ", ") + describe(x);
      }
      if (!found) out.push_back({path, "expected one of " + list});
    }
    if (const auto c = schema.find("const"); c != schema.end() && *c != value) {
      out.push_back({path, "expected " + describe(*c)});
    }
    if (const auto m = schema.find("minLength"); m != schema.end() && m->is_number() && value.is_string()) {
      // Characters, not bytes: count the UTF-8 sequences' first bytes.
      std::size_t n = 0;
      for (unsigned char ch : value.get_ref<const std::string&>()) n += (ch & 0xC0) != 0x80;
      if (static_cast<double>(n) < m->get<double>()) {
        out.push_back({path, "expected at least " + m->dump() + (m->get<double>() == 1 ? " character" : " characters")});
      }
    }
    if (const auto m = schema.find("minimum"); m != schema.end() && m->is_number() && value.is_number()) {
      if (value.get<double>() < m->get<double>()) out.push_back({path, "expected a number >= " + m->dump()});
    }
  }

  void check_object(const Json& schema, const Json& value, const std::string& path, int depth,
                    std::vector<SchemaProblem>& out) const {
    if (const auto r = schema.find("required"); r != schema.end() && r->is_array()) {
      for (const auto& name : *r) {
        if (name.is_string() && !value.contains(name.get<std::string>())) {
          out.push_back({path + "/" + escape_pointer_token(name.get<std::string>()), "required, missing"});
        }
      }
    }
    const auto props = schema.find("properties");
    const bool has_props = props != schema.end() && props->is_object();
    const auto extra = schema.find("additionalProperties");
    for (auto it = value.begin(); it != value.end(); ++it) {
      const std::string at = path + "/" + escape_pointer_token(it.key());
      if (has_props) {
        if (const auto p = props->find(it.key()); p != props->end()) {
          check(*p, it.value(), at, depth + 1, out);
          continue;
        }
      }
      if (extra == schema.end()) continue;
      if (extra->is_boolean() && !extra->get<bool>()) {
        out.push_back({at, "property not allowed"});
      } else {
        check(*extra, it.value(), at, depth + 1, out);
      }
    }
  }

  void check_array(const Json& schema, const Json& value, const std::string& path, int depth,
                   std::vector<SchemaProblem>& out) const {
    if (const auto m = schema.find("minItems"); m != schema.end() && m->is_number()) {
      if (static_cast<double>(value.size()) < m->get<double>()) {
        out.push_back({path, "expected at least " + m->dump() + (m->get<double>() == 1 ? " item" : " items")});
      }
    }
    if (const auto items = schema.find("items"); items != schema.end()) {
      for (std::size_t i = 0; i < value.size(); ++i) {
        check(*items, value[i], path + "/" + std::to_string(i), depth + 1, out);
      }
    }
  }

  bool valid(const Json& schema, const Json& value, const std::string& path, int depth) const {
    std::vector<SchemaProblem> scratch;
    check(schema, value, path, depth + 1, scratch);
    return scratch.empty();
  }

  void check_combinators(const Json& schema, const Json& value, const std::string& path, int depth,
                         std::vector<SchemaProblem>& out) const {
    if (const auto all = schema.find("allOf"); all != schema.end() && all->is_array()) {
      for (const auto& s : *all) check(s, value, path, depth + 1, out);
    }
    if (const auto any = schema.find("anyOf"); any != schema.end() && any->is_array()) {
      bool one = false;
      for (const auto& s : *any) one = one || valid(s, value, path, depth);
      if (!one) out.push_back({path, "matches none of the allowed shapes (anyOf)"});
    }
    if (const auto one_of = schema.find("oneOf"); one_of != schema.end() && one_of->is_array()) {
      int matches = 0;
      for (const auto& s : *one_of) matches += valid(s, value, path, depth) ? 1 : 0;
      if (matches == 0) out.push_back({path, "matches none of the allowed shapes (oneOf)"});
      if (matches > 1) out.push_back({path, "matches more than one of the allowed shapes (oneOf)"});
    }
    if (const auto n = schema.find("not"); n != schema.end() && valid(*n, value, path, depth)) {
      out.push_back({path, "matches a shape that is not allowed (not)"});
    }
    if (const auto cond = schema.find("if"); cond != schema.end()) {
      const bool holds = valid(*cond, value, path, depth);
      const auto branch = schema.find(holds ? "then" : "else");
      if (branch != schema.end()) check(*branch, value, path, depth + 1, out);
    }
  }

  const Json& document_;
};

Json yaml_scalar(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  if (node.Tag() == "!") return s;  // quoted: a string whatever it reads as
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  // Numbers as YAML 1.2's core schema reads them; anything else is text.
  const Json number = Json::parse(s, nullptr, false);
  if (!number.is_discarded() && number.is_number()) return number;
  return s;
}

}  // namespace

std::string SchemaProblem::text() const { return (path.empty() ? "/" : path) + ": " + message; }

JsonSchema::JsonSchema(Json document, std::string_view pointer) : document_(std::move(document)) {
  try {
    root_ = Json::json_pointer(std::string(pointer));
  } catch (const Json::exception& e) {
    throw std::invalid_argument("bad schema pointer '" + std::string(pointer) + "': " + e.what());
  }
  if (!document_.contains(root_)) {
    throw std::invalid_argument("no schema at '" + std::string(pointer) + "'");
  }
}

std::vector<SchemaProblem> JsonSchema::validate(const Json& value) const {
  std::vector<SchemaProblem> out;
  Validator(document_).check(document_.at(root_), value, "", 0, out);
  return out;
}

Json yaml_to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      Json obj = Json::object();
      for (const auto& kv : node) obj[kv.first.as<std::string>()] = yaml_to_json(kv.second);
      return obj;
    }
    case YAML::NodeType::Sequence: {
      Json arr = Json::array();
      for (const auto& item : node) arr.push_back(yaml_to_json(item));
      return arr;
    }
    case YAML::NodeType::Scalar: return yaml_scalar(node);
    default: return nullptr;
  }
}

const Json& sut_openapi() {
  static const Json doc = [] {
    const auto text = embedded_files().read("docs/sut-openapi.yaml");
    if (!text) throw std::logic_error("docs/sut-openapi.yaml is not embedded");
    return yaml_to_json(YAML::Load(*text));
  }();
  return doc;
}

JsonSchema sut_schema(std::string_view name) {
  return JsonSchema(sut_openapi(), "/components/schemas/" + std::string(name));
}

namespace {

// Line and column of the 1-based byte offset `byte` (the last character read) in `text`.
JsonSyntaxError at_byte(std::string_view text, std::size_t byte) {
  JsonSyntaxError out;
  const std::size_t end = std::min<std::size_t>(byte == 0 ? 0 : byte - 1, text.size());
  std::size_t line_start = 0;
  for (std::size_t k = 0; k < end; ++k) {
    if (text[k] == '\n') {
      ++out.line;
      line_start = k + 1;
    }
  }
  out.column = static_cast<int>(end - line_start) + 1;
  return out;
}

// A SAX handler that accepts every value and keeps where parsing failed.
struct ErrorPosition : nlohmann::json_sax<nlohmann::json> {
  std::size_t byte = 0;
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::json::exception&) override {
    byte = position;
    return false;
  }
};

}  // namespace

JsonSyntaxError json_syntax_error(std::string_view text, const nlohmann::json::out_of_range&) {
  ErrorPosition where;
  nlohmann::json::sax_parse(text, &where);
  // The parser stops after the number's last character; point at its first.
  std::size_t first = std::min<std::size_t>(where.byte == 0 ? 0 : where.byte - 1, text.size());
  const auto in_number = [](char c) {
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
  };
  while (first > 0 && in_number(text[first - 1])) --first;
  JsonSyntaxError out = at_byte(text, first + 1);
  out.message = "a number too large for a JSON number";
  return out;
}

JsonSyntaxError json_syntax_error(std::string_view text, const nlohmann::json::parse_error& e) {
  // e.byte is the 1-based offset of the last character read.
  JsonSyntaxError out = at_byte(text, e.byte);
  out.message = e.what();
  // Drop nlohmann's "[json.exception.parse_error.101] parse error at line 3, column 8: ".
  if (auto p = out.message.find("column"); p != std::string::npos) {
    if (auto colon = out.message.find(": ", p); colon != std::string::npos) out.message = out.message.substr(colon + 2);
  }
  return out;
}

}  // namespace gameday
