// The JSON Schema subset that checks a service's answers against the published contract
// (docs/sut-openapi.yaml), and the YAML that contract is read from.
#include <catch2/catch.hpp>

#include <yaml-cpp/yaml.h>

#include "load/json_schema.hpp"

using namespace gameday;
using Json = nlohmann::json;

namespace {

std::vector<std::string> problems(const Json& schema, const Json& value) {
  std::vector<std::string> out;
  for (const auto& p : JsonSchema(schema, "").validate(value)) out.push_back(p.text());
  return out;
}

std::vector<std::string> response_problems(const Json& value) {
  std::vector<std::string> out;
  for (const auto& p : sut_schema("AnswerResponse").validate(value)) out.push_back(p.text());
  return out;
}

}  // namespace

TEST_CASE("A JSON schema checks types and names the path of each bad value", "[schema]") {
  const Json schema = Json::parse(R"({"type": "object", "properties": {
      "citations": {"type": "array", "items": {"type": "string"}},
      "n": {"type": "integer"}, "x": {"type": ["string", "null"]}}})");
  CHECK(problems(schema, Json::parse(R"({"citations": ["a", "b"], "n": 3, "x": null})")).empty());
  CHECK(problems(schema, Json::parse(R"({"citations": ["a", 7], "n": 3.0})")) ==
        std::vector<std::string>{"/citations/1: expected string, got integer"});
  CHECK(problems(schema, Json::parse(R"({"n": 2.5, "x": 1})")) ==
        std::vector<std::string>{"/n: expected integer, got number", "/x: expected string or null, got integer"});
  CHECK(problems(schema, Json::parse("[1]")) == std::vector<std::string>{"/: expected object, got array"});
}

TEST_CASE("A JSON schema checks required, additionalProperties, enum, const and minimums", "[schema]") {
  const Json schema = Json::parse(R"({"type": "object", "required": ["status", "a/b"],
      "additionalProperties": false,
      "properties": {"status": {"enum": ["ok", "fallback"]}, "a/b": {"const": 1},
                     "list": {"type": "array", "minItems": 1}, "s": {"type": "string", "minLength": 2},
                     "ms": {"type": "number", "minimum": 0}}})");
  CHECK(problems(schema, Json::parse(R"({"status": "ok", "a/b": 1, "list": [0], "s": "ab", "ms": 0})")).empty());
  CHECK(problems(schema, Json::parse(R"({"extra": true, "list": [], "s": "a", "ms": -1})")) ==
        std::vector<std::string>{"/status: required, missing", "/a~1b: required, missing",
                                 "/extra: property not allowed", "/list: expected at least 1 item",
                                 "/ms: expected a number >= 0", "/s: expected at least 2 characters"});
  CHECK(problems(schema, Json::parse(R"({"status": "done", "a/b": 2})")) ==
        std::vector<std::string>{"/a~1b: expected 1", "/status: expected one of ok, fallback"});
}

TEST_CASE("A JSON schema follows local refs and applies oneOf, anyOf, not and if-then-else", "[schema]") {
  const Json doc = Json::parse(R"({"defs": {"id": {"type": "string", "minLength": 1}},
      "root": {"type": "object",
               "properties": {"id": {"$ref": "#/defs/id"}, "bad": {"$ref": "#/defs/none"},
                              "v": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
                              "w": {"anyOf": [{"type": "string"}, {"type": "boolean"}]},
                              "z": {"not": {"type": "null"}}},
               "if": {"properties": {"kind": {"const": "ok"}}, "required": ["kind"]},
               "then": {"required": ["answer"]}, "else": {"required": ["cause"]}}})");
  const JsonSchema schema(doc, "/root");
  auto texts = [&](const Json& v) {
    std::vector<std::string> out;
    for (const auto& p : schema.validate(v)) out.push_back(p.text());
    return out;
  };
  CHECK(texts(Json::parse(R"({"id": "x", "v": 1, "w": true, "kind": "ok", "answer": ""})")).empty());
  CHECK(texts(Json::parse(R"({"kind": "ok"})")) == std::vector<std::string>{"/answer: required, missing"});
  CHECK(texts(Json::parse(R"({"kind": "no"})")) == std::vector<std::string>{"/cause: required, missing"});
  CHECK(texts(Json::parse(R"({"id": "", "v": 1.5, "w": 3, "z": null, "cause": ""})")) ==
        std::vector<std::string>{"/id: expected at least 1 character",
                                 "/v: matches none of the allowed shapes (oneOf)",
                                 "/w: matches none of the allowed shapes (anyOf)",
                                 "/z: matches a shape that is not allowed (not)"});
  CHECK(texts(Json::parse(R"({"bad": 1, "cause": ""})")) ==
        std::vector<std::string>{"/bad: the schema's $ref #/defs/none names nothing"});
  CHECK_THROWS_AS(JsonSchema(doc, "/nowhere"), std::invalid_argument);
}

TEST_CASE("A ref loop in a JSON schema is a problem, not a crash", "[schema]") {
  const Json doc = Json::parse(R"({"a": {"$ref": "#/a"}})");
  const auto found = JsonSchema(doc, "/a").validate(1);
  REQUIRE_FALSE(found.empty());
  CHECK(found.front().message.find("$ref loop") != std::string::npos);
}

TEST_CASE("YAML becomes JSON with plain scalars typed and quoted ones kept as strings", "[schema]") {
  const Json j = yaml_to_json(YAML::Load(
      "a: 1\nb: 2.5\nc: true\nd: ~\ne: text\nf: '1'\ng: [x, 3]\nh: {k: v}\ni: \"true\"\nj: 1.0.0\n"));
  CHECK(j == Json::parse(R"({"a": 1, "b": 2.5, "c": true, "d": null, "e": "text", "f": "1",
                             "g": ["x", 3], "h": {"k": "v"}, "i": "true", "j": "1.0.0"})"));
}

TEST_CASE("The embedded contract is OpenAPI 3.1 with the answer schemas", "[schema][sut]") {
  const Json& doc = sut_openapi();
  CHECK(doc["openapi"] == "3.1.0");
  CHECK(doc["paths"].contains("/v1/answers"));
  CHECK(doc["paths"]["/v1/control/route"]["put"]["x-gameday-optional"] == true);
  for (const char* name : {"AnswerRequest", "AnswerResponse", "TriageAnswer", "Error"}) {
    CHECK(doc["components"]["schemas"].contains(name));
  }
  CHECK_THROWS_AS(sut_schema("Nope"), std::invalid_argument);
}

TEST_CASE("The contract accepts the built-in assistant's answers and names what a bad one lacks", "[schema][sut]") {
  CHECK(response_problems(Json::parse(R"({"id": "ans-1", "status": "ok", "answer": "A. [doc:x]",
      "citations": ["x"], "cause": "", "vendor": "primary", "model": "m", "prompt_version": "v1",
      "latency_ms": 812.5})")).empty());
  CHECK(response_problems(Json::parse(R"({"status": "fallback", "cause": "ehr_error"})")).empty());
  CHECK(response_problems(Json::parse(R"({"answer": "A", "citations": "x"})")) ==
        std::vector<std::string>{"/status: required, missing", "/citations: expected array, got string"});
  CHECK(response_problems(Json::parse(R"({"status": "ok", "citations": ["x", ""]})")) ==
        std::vector<std::string>{"/citations/1: expected at least 1 character", "/answer: required, missing"});
  CHECK(response_problems(Json::parse(R"({"status": "done", "answer": "A", "latency_ms": "5"})")) ==
        std::vector<std::string>{"/latency_ms: expected number, got string",
                                 "/status: expected one of ok, fallback, error"});
}
