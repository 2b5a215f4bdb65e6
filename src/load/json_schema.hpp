#pragma once
// A small JSON Schema (2020-12) validator over nlohmann::json, for the schemas gameday publishes
// (docs/sut-openapi.yaml): enough of the vocabulary to check a service's answers against the
// published contract itself, and the YAML-to-JSON conversion that reads that document.
//
// Keywords: $ref (local, "#/..." JSON pointers into the same document), type (a name or a list;
// "integer" is a number with no fraction), enum, const, required, properties,
// additionalProperties (false or a schema), items, minItems, minLength, minimum, allOf, anyOf,
// oneOf, not, if/then/else. Every other keyword (description, format, examples, x-...) is
// ignored, as annotation.
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace YAML {
class Node;
}

namespace gameday {

/// Where a JSON text stops parsing, for a file:line:col message.
struct JsonSyntaxError {
  int line = 1;         ///< 1-based
  int column = 1;       ///< 1-based, in bytes
  std::string message;  ///< nlohmann's reason, without its own "parse error at ..." prefix
};
/// The position and reason of `e`, an error nlohmann raised parsing `text`.
JsonSyntaxError json_syntax_error(std::string_view text, const nlohmann::json::parse_error& e);
/// The position of the number in `text` that no JSON number type holds (e.g. 682e9841: nlohmann
/// raises out_of_range 406 for it, which carries no position).
JsonSyntaxError json_syntax_error(std::string_view text, const nlohmann::json::out_of_range& e);

/// One place where a value breaks a schema: `path` is the JSON pointer of the offending value
/// ("" for the whole value, "/citations/0"); `message` says what was expected, never quoting
/// the value itself (answers carry PHI-shaped text).
struct SchemaProblem {
  std::string path;
  std::string message;
  /// "/citations/0: expected string, got number" ("/" for the whole value).
  std::string text() const;
};

/// A schema inside a document (the document is kept: "$ref"s resolve against it).
class JsonSchema {
 public:
  /// The schema at JSON pointer `pointer` of `document` ("" = the document itself). Throws
  /// std::invalid_argument when the pointer names nothing.
  JsonSchema(nlohmann::json document, std::string_view pointer);
  /// Every problem of `value`, in document order; empty when it is valid. A "$ref" that names
  /// nothing, or that loops, is a problem of the schema, reported at the value's path.
  std::vector<SchemaProblem> validate(const nlohmann::json& value) const;

 private:
  nlohmann::json document_;
  nlohmann::json::json_pointer root_;
};

/// The JSON of a YAML node: mappings become objects (keys as written), sequences arrays; plain
/// scalars become null (~, null, empty), booleans (true/false), integers or numbers when they
/// read as one, else strings; quoted scalars stay strings.
nlohmann::json yaml_to_json(const YAML::Node& node);

/// The answer service contract (docs/sut-openapi.yaml, embedded in the binary) as JSON.
const nlohmann::json& sut_openapi();

/// The schema `name` of the contract's components/schemas (e.g. "AnswerResponse"). Throws
/// std::invalid_argument for an unknown name.
JsonSchema sut_schema(std::string_view name);

}  // namespace gameday
