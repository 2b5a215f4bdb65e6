// The `routes` filter of vendor faults: reading it, its errors (file:line:col), its JSON
// round trip, and which calls it selects.
#include <catch2/catch.hpp>

#include "fakes/faults.hpp"
#include "fakes/vendor.hpp"
#include "load/fault_json.hpp"
#include "load/loader.hpp"
#include "config_fixture.hpp"

using namespace gameday;
using gameday::config_test::error_of;
using gameday::config_test::small_fakes;

namespace {

const std::string kHead = "name: s\nduration: 60m\nworkload: {rate: 1}\nfaults:\n";

std::string scenario_error(const std::string& faults) {
  MemoryFiles files = small_fakes();
  files.add("scenarios/s.yaml", kHead + faults);
  return error_of([&] { load_scenario("scenarios/s.yaml", files); });
}

Scenario load(const std::string& faults) {
  MemoryFiles files = small_fakes();
  files.add("scenarios/s.yaml", kHead + faults);
  return load_scenario("scenarios/s.yaml", files);
}

}  // namespace

TEST_CASE("Vendor faults read routes, all routes when left out", "[load][faults][routes]") {
  const Scenario s = load(
      "  - {id: e, target: vendor:primary, kind: error, status: 503, at: 1m, routes: [embeddings]}\n"
      "  - {id: l, target: vendor:primary, kind: latency, delay: 2s, at: 1m, routes: [chat, embeddings]}\n"
      "  - {id: h, target: vendor:primary, kind: hallucination, at: 1m, routes: [chat]}\n"
      "  - {id: a, target: vendor:primary, kind: hang, at: 1m}\n");
  REQUIRE(s.faults.size() == 4);
  CHECK(s.faults[0].routes == std::vector<std::string>{"embeddings"});
  CHECK(s.faults[1].routes == std::vector<std::string>{"chat", "embeddings"});
  CHECK(s.faults[3].routes.empty());
  CHECK(fault_on_route(s.faults[0], kEmbeddingsRoute));
  CHECK_FALSE(fault_on_route(s.faults[0], kChatRoute));
  CHECK(fault_on_route(s.faults[1], kChatRoute));
  CHECK(fault_on_route(s.faults[3], kEmbeddingsRoute));
  CHECK(describe_fault(s.faults[0]) == "status 503 (route embeddings)");
}

TEST_CASE("Vendor faults may be limited to the Responses API route", "[load][faults][routes]") {
  const Scenario s = load(
      "  - {id: r, target: vendor:primary, kind: hallucination, at: 1m, routes: [responses]}\n"
      "  - {id: c, target: vendor:primary, kind: refusal_storm, at: 1m, routes: [chat, responses]}\n");
  CHECK(s.faults[0].routes == std::vector<std::string>{"responses"});
  CHECK(fault_on_route(s.faults[0], "responses"));
  CHECK_FALSE(fault_on_route(s.faults[0], kChatRoute));
  CHECK(fault_on_route(s.faults[1], "responses"));
  CHECK(fault_on_route(s.faults[1], kChatRoute));
  CHECK(describe_fault(s.faults[0]).find("(route responses)") != std::string::npos);
}

TEST_CASE("A routes filter is rejected where it cannot apply, with file:line:col", "[load][faults][routes][errors]") {
  CHECK(scenario_error("  - {target: vendor:primary, kind: hallucination, at: 1m, routes: [embeddings]}\n") ==
        "scenarios/s.yaml:5:67: hallucination faults act on answers only: 'routes' may list only chat, "
        "responses and messages (latency, error, hang and reset faults act on embeddings too)");
  CHECK(scenario_error("  - {target: vendor:primary, kind: error, at: 1m, routes: [embedings]}\n")
            .find("scenarios/s.yaml:5:") == 0);
  CHECK(scenario_error("  - {target: vendor:primary, kind: error, at: 1m, routes: [embedings]}\n")
            .find("did you mean 'embeddings'") != std::string::npos);
  CHECK(scenario_error("  - {target: ehr, kind: error, at: 1m, routes: [chat]}\n") ==
        "scenarios/s.yaml:5:40: key 'routes' applies only to vendor faults");
}

TEST_CASE("A fault may be limited to the Anthropic Messages route", "[load][faults][routes]") {
  const FaultSpec f = parse_fault(
      R"({"id": "m", "target": "vendor:primary", "kind": "hallucination", "routes": ["messages"]})");
  CHECK(f.routes == std::vector<std::string>{"messages"});
  CHECK(fault_on_route(f, kMessagesRoute));
  CHECK_FALSE(fault_on_route(f, kChatRoute));
}

TEST_CASE("A fault's routes survive its JSON round trip", "[load][faults][routes][json]") {
  const FaultSpec f = parse_fault(
      R"({"id": "emb", "target": "vendor:primary", "kind": "error", "status": 503, "routes": ["embeddings"]})");
  CHECK(f.routes == std::vector<std::string>{"embeddings"});
  const std::string json = fault_to_json(f).dump();
  CHECK(json.find(R"("routes":["embeddings"])") != std::string::npos);
  CHECK(parse_fault(json).routes == f.routes);
}

TEST_CASE("The fault board selects embeddings calls only for faults on that route", "[faults][routes]") {
  FaultSpec chat_only, embed_only, every, bends;
  chat_only.id = "c";
  chat_only.target = "vendor:primary";
  chat_only.params = ErrorFault{};
  chat_only.routes = {"chat"};
  embed_only = chat_only;
  embed_only.id = "e";
  embed_only.routes = {"embeddings"};
  every = chat_only;
  every.id = "a";
  every.routes.clear();
  bends.id = "h";
  bends.target = "vendor:primary";
  bends.params = HallucinationFault{};
  FaultBoard board;
  for (const FaultSpec* f : {&chat_only, &embed_only, &every, &bends}) board.activate(f, 0);
  std::vector<const FaultSpec*> out;
  board.select("vendor:primary", RequestInfo{{}, {}, kEmbeddingsRoute}, 0, out);
  REQUIRE(out.size() == 2);
  CHECK(out[0]->id == "e");
  CHECK(out[1]->id == "a");
  board.select("vendor:primary", RequestInfo{{}, {}, kChatRoute}, 0, out);
  REQUIRE(out.size() == 3);
  CHECK(out[0]->id == "c");
  CHECK(out[1]->id == "a");
  CHECK(out[2]->id == "h");
}

TEST_CASE("The fake vendor's embeddings honour error, hang and latency faults on their route", "[faults][routes]") {
  VendorProfile p;
  p.id = "primary";
  p.ttft = DurationDist{DistKind::kFixed, 500 * kMillisecond};
  const FakeVendor vendor(p);
  EmbeddingRequest req;
  req.inputs = {"question", "note"};
  req.dimensions = 8;
  Rng rng(1);
  FaultSpec err;
  err.id = "err";
  err.target = "vendor:primary";
  err.params = ErrorFault{503, 0, ""};
  err.routes = {"embeddings"};
  const EmbeddingOutcome failed = vendor.embed(req, rng, {&err});
  CHECK(failed.status == 503);
  CHECK(failed.vectors.empty());
  CHECK(failed.fault_ids == std::vector<std::string>{"err"});
  FaultSpec hang = err;
  hang.id = "hang";
  hang.params = HangFault{};
  CHECK(vendor.embed(req, rng, {&hang}).hang);
  FaultSpec slow = err;
  slow.id = "slow";
  slow.params = LatencyFault{DurationDist{DistKind::kFixed, 3 * kSecond}};
  const EmbeddingOutcome late = vendor.embed(req, rng, {&slow});
  CHECK(late.status == 200);
  CHECK(late.delay == 100 * kMillisecond + 3 * kSecond);
  REQUIRE(late.vectors.size() == 2);
  CHECK(late.vectors[0].size() == 8);
  // A fault on the chat route only leaves embeddings alone.
  err.routes = {"chat"};
  CHECK(vendor.embed(req, rng, {&err}).status == 200);
}
