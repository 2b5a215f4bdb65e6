// The drill room (net/room): what each view sees of the journal, and parsing trainee actions.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "net/room.hpp"

using namespace gameday;
using namespace gameday::net;
using nlohmann::json;

TEST_CASE("The trainee sees a request's observable fields only, the facilitator every field", "[net][room]") {
  RequestEvent r;
  r.id = 7;
  r.patient_ref = "pt-1";
  r.unsafe = true;
  r.unsafe_kind = "wrong_patient";
  r.faults = {"neighbour"};
  r.root_cause = "retrieval";
  r.citations_valid = false;  // observable: written (a valid citation is the default, left out)
  const Event e{1000, r};
  const json trainee = json::parse(room_event_json(e, RoomView::kTrainee, false));
  for (const char* hidden : {"unsafe", "unsafe_kind", "faults", "root_cause", "correct", "judge", "phi_to_vendor"}) {
    INFO(hidden);
    CHECK_FALSE(trainee.contains(hidden));
  }
  CHECK(trainee["patient_ref"] == "pt-1");
  CHECK(trainee["citations_valid"] == false);
  const json facilitator = json::parse(room_event_json(e, RoomView::kFacilitator, true));
  CHECK(facilitator["unsafe_kind"] == "wrong_patient");
}

TEST_CASE("A hidden drill shows the trainee no fault, no scenario name and no answer key", "[net][room]") {
  const Event fault{0, FaultStartEvent{"primary-latency", "vendor:primary", "latency", "+12s", ""}};
  CHECK(room_event_json(fault, RoomView::kTrainee, true).empty());
  CHECK_FALSE(room_event_json(fault, RoomView::kTrainee, false).empty());
  CHECK_FALSE(room_event_json(fault, RoomView::kFacilitator, true).empty());
  RunStartEvent start;
  start.scenario = "vendor-latency-spike";
  start.description = "the primary vendor slows down";
  start.expect = {"ttm <= 10m"};
  const json s = json::parse(room_event_json(Event{0, start}, RoomView::kTrainee, true));
  CHECK(s["scenario"] == "hidden");
  CHECK_FALSE(s.contains("description"));
  CHECK_FALSE(s.contains("expect"));
  const Event deploy{5, ControlChangeEvent{"prompt", "", "v2", "v3", "deploy:bad-prompt", false}};
  CHECK(json::parse(room_event_json(deploy, RoomView::kTrainee, true))["by"] == "deploy");
  CHECK(room_event_json(Event{0, ReferenceEvent{}}, RoomView::kTrainee, false).empty());
  CHECK_FALSE(room_event_json(Event{0, ReferenceEvent{}}, RoomView::kFacilitator, false).empty());
}

TEST_CASE("Room actions parse, and bad ones name the request field", "[net][room]") {
  std::string error, field;
  auto a = parse_room_action(R"({"action":"flag","flag":"safe-mode","value":"on"})", error, field);
  REQUIRE(a);
  CHECK(a->target == "safe-mode");
  CHECK(a->detail == "on");
  a = parse_room_action(R"({"action":"note","text":"called SYN-0004821 back"})", error, field);
  REQUIRE(a);
  CHECK(a->detail == "called [MRN] back");
  CHECK_FALSE(parse_room_action(R"({"action":"shed","share":2})", error, field));
  CHECK(field == "share");
  CHECK_FALSE(parse_room_action(R"({"action":"declare","state":"done"})", error, field));
  CHECK(field == "state");
  CHECK_FALSE(parse_room_action(R"({"action":"route"})", error, field));
  CHECK(field == "to");
  CHECK_FALSE(parse_room_action("not json", error, field));
  CHECK(error == "the body must be a JSON object");
  CHECK_FALSE(parse_room_action(R"({"action":"note","text":")" + std::string(2001, 'x') + R"("})", error, field));
  CHECK(field == "text");
}
