// Tool calling as the fake model does it: which tools a request calls, arguments filled from a
// schema and the prompt, and answers from the tool results.
#include <catch2/catch.hpp>

#include <limits>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fakes/bend.hpp"
#include "fakes/tool_calls.hpp"

using namespace gameday;
using namespace gameday::tools;
using Json = nlohmann::json;

namespace {

const ToolSpec kPriorAuth{"get_prior_auth_status", "Look up the status of a prior authorization request for a patient.",
                          R"({"type":"object","properties":{"mrn":{"type":"string","description":"The patient's MRN"}},
                              "required":["mrn"]})"};
const ToolSpec kLabs{"getLabResults", "Fetch a patient's lab results since a date.",
                     R"({"type":"object","properties":{"patient_id":{"type":"string"},"since":{"type":"string","format":"date"},
                         "limit":{"type":"integer","minimum":1,"maximum":50}},"required":["patient_id","since","limit"]})"};
const ToolSpec kWeather{"get_weather", "Current weather in a city.", "{}"};

ChatRequest ask(const std::string& user, const std::string& system = "Answer only from the context and cite [doc:ID].") {
  ChatRequest r;
  r.messages = {{"system", system}, {"user", user}};
  return r;
}

ToolTurn offered(std::vector<ToolSpec> specs, ChoiceMode mode = ChoiceMode::kAuto, std::string name = "") {
  ToolTurn t;
  t.tools = std::move(specs);
  t.choice = ToolChoice{mode, std::move(name)};
  return t;
}

}  // namespace

TEST_CASE("A tool's relevance counts the question's words in its name and description", "[fakes][tools]") {
  REQUIRE(relevance(kPriorAuth, "What is the prior authorization status for patient SYN-0000001?") == 4);
  REQUIRE(relevance(kLabs, "Show the lab results of this patient") == 3);  // getLabResults splits at case changes
  REQUIRE(relevance(kWeather, "What is the prior authorization status?") == 0);
}

TEST_CASE("Auto calls the tools a question needs when the context does not answer it", "[fakes][tools]") {
  const ChatRequest req = ask("Question: What is the prior authorization status for patient SYN-0001234?");
  const auto calls = plan_tool_calls(req, offered({kWeather, kPriorAuth}), "abc");
  REQUIRE(calls.size() == 1);
  REQUIRE(calls[0].id == "call_abc_0");
  REQUIRE(calls[0].name == "get_prior_auth_status");
  REQUIRE(Json::parse(calls[0].arguments) == Json{{"mrn", "SYN-0001234"}});
  SECTION("but not when the context already answers") {
    const ChatRequest grounded = ask("Question: What is the prior authorization status?\n"
                                     "[doc:pa-1] The prior authorization status is approved.");
    REQUIRE(plan_tool_calls(grounded, offered({kPriorAuth}), "abc").empty());
  }
  SECTION("nor after the tool results came back") {
    ToolTurn turn = offered({kPriorAuth});
    turn.results.push_back(ToolResult{"call_abc_0", "get_prior_auth_status", "{\"status\":\"approved\"}"});
    REQUIRE(plan_tool_calls(req, turn, "abc").empty());
  }
  SECTION("nor when no tool fits the question") {
    REQUIRE(plan_tool_calls(req, offered({kWeather}), "abc").empty());
  }
}

TEST_CASE("None never calls a tool and required or a named tool always does", "[fakes][tools]") {
  const ChatRequest req = ask("Question: What is the prior authorization status for patient SYN-0001234?");
  REQUIRE(plan_tool_calls(req, offered({kPriorAuth}, ChoiceMode::kNone), "x").empty());
  const auto named = plan_tool_calls(req, offered({kPriorAuth, kWeather}, ChoiceMode::kNamed, "get_weather"), "x");
  REQUIRE(named.size() == 1);
  REQUIRE(named[0].name == "get_weather");
  REQUIRE(named[0].arguments == "{}");
  // Required with nothing relevant still calls one: the first offered.
  const auto forced = plan_tool_calls(ask("Question: hello there"), offered({kWeather, kPriorAuth}, ChoiceMode::kRequired), "x");
  REQUIRE(forced.size() == 1);
  REQUIRE(forced[0].name == "get_weather");
}

TEST_CASE("Several relevant tools are called in parallel unless parallel tool calls are off", "[fakes][tools]") {
  const ChatRequest req = ask("Question: For patient SYN-0001234, what is the prior authorization status, "
                              "and what are the lab results since 2024-03-01 (top 5)?");
  ToolTurn turn = offered({kPriorAuth, kWeather, kLabs}, ChoiceMode::kRequired);
  const auto calls = plan_tool_calls(req, turn, "p");
  REQUIRE(calls.size() == 2);
  REQUIRE(calls[0].name == "get_prior_auth_status");
  REQUIRE(calls[0].id == "call_p_0");
  REQUIRE(calls[1].name == "getLabResults");
  REQUIRE(calls[1].id == "call_p_1");
  REQUIRE(Json::parse(calls[1].arguments) == Json{{"patient_id", "SYN-0001234"}, {"since", "2024-03-01"}, {"limit", 5}});
  turn.parallel = false;
  const auto one = plan_tool_calls(req, turn, "p");
  REQUIRE(one.size() == 1);
  REQUIRE(one[0].name == "get_prior_auth_status");  // the most relevant, the first on ties
}

TEST_CASE("Arguments follow the schema with values found in the prompt", "[fakes][tools]") {
  const std::vector<ChatMessage> msgs = {
      {"system", "You help clinicians."},
      {"user", "Please refer Maria Lopez (SYN-0000042) to cardiology on 2025-01-15, priority urgent, 3 visits."}};
  const std::string schema = R"({"type":"object","properties":{
      "patient_name":{"type":"string"},
      "mrn":{"type":"string"},
      "date":{"type":"string"},
      "priority":{"type":"string","enum":["routine","urgent","stat"]},
      "visits":{"type":"integer","maximum":2},
      "specialty":{"type":["string","null"],"description":"free text"},
      "notify":{"type":"boolean"},
      "tags":{"type":"array","items":{"type":"string"}},
      "address":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}},
    "required":["patient_name","mrn","date","priority","visits","specialty","notify","address"],
    "additionalProperties":false})";
  const Json args = Json::parse(fill_arguments(schema, msgs));
  REQUIRE(args["patient_name"] == "Maria Lopez");
  REQUIRE(args["mrn"] == "SYN-0000042");
  REQUIRE(args["date"] == "2025-01-15");
  REQUIRE(args["priority"] == "urgent");
  REQUIRE(args["visits"] == 2);  // 3 clamped to the maximum
  REQUIRE(args["specialty"].is_string());
  REQUIRE(args["notify"] == false);
  REQUIRE_FALSE(args.contains("tags"));  // optional, nothing to put in it
  REQUIRE(args["address"].contains("city"));
  // The same prompt always gives the same arguments.
  REQUIRE(fill_arguments(schema, msgs) == fill_arguments(schema, msgs));
  REQUIRE(fill_arguments("not json", msgs) == "{}");
  REQUIRE(fill_arguments("[1]", msgs) == "{}");
}

TEST_CASE("An integer argument from a number too large for an integer or a double is clamped or skipped", "[fakes][tools]") {
  const std::string schema = R"({"type":"object","properties":{"n":{"type":"integer","minimum":2}},"required":["n"]})";
  const auto n_for = [&](const std::string& question) {
    return Json::parse(fill_arguments(schema, {{"user", question}}))["n"];
  };
  // 41 digits: a double, beyond a 64-bit integer: the largest integer.
  REQUIRE(n_for("How many of 40000000000000000000000000000000000000001?") ==
          std::numeric_limits<long long>::max());
  // 400 digits: beyond a double too: no number in the question, so the minimum.
  REQUIRE(n_for("How many of " + std::string(400, '9') + "?") == 2);
  REQUIRE(n_for("How many of 7?") == 7);
  // A schema's own bound out of range is clamped the same way.
  const std::string huge_min = R"({"type":"object","properties":{"n":{"type":"integer","minimum":1e30}},"required":["n"]})";
  REQUIRE(Json::parse(fill_arguments(huge_min, {{"user", "How many?"}}))["n"] == std::numeric_limits<long long>::max());
}

TEST_CASE("The answer after a tool call comes from its result and cites it", "[fakes][tools]") {
  ChatRequest req = ask("Question: What is the prior authorization status for SYN-0001234?");
  req.messages.push_back({"assistant", ""});
  req.messages.push_back({"tool", R"({"id":"pa-77","status":"approved","decided":"2024-02-02"})"});
  const std::vector<ToolResult> results = {{"call_1", "get_prior_auth_status", req.messages.back().content}};
  const ChatRequest answered = with_tool_results(req, results);
  REQUIRE(answered.messages[1].content.find("\n[doc:pa-77] status: approved. decided: 2024-02-02.") != std::string::npos);
  const std::string answer = bend::plain_answer(answered);
  REQUIRE(answer.find("approved") != std::string::npos);
  REQUIRE(answer.find("[doc:pa-77]") != std::string::npos);
  SECTION("plain text is one block named by the call id") {
    const ChatRequest plain = with_tool_results(req, {{"call_9", "", "Status: approved\nby Dr. Who"}});
    REQUIRE(plain.messages[1].content.find("\n[doc:call_9] Status: approved by Dr. Who") != std::string::npos);
  }
  SECTION("context blocks are kept as they are") {
    const ChatRequest docs = with_tool_results(req, {{"call_9", "", "header\n[doc:n-1] Approved on 2024-02-02.\n"}});
    REQUIRE(docs.messages[1].content.find("\n[doc:n-1] Approved on 2024-02-02.") != std::string::npos);
    REQUIRE(docs.messages[1].content.find("header") == std::string::npos);
  }
}
