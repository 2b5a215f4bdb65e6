#include <catch2/catch.hpp>

#include "fakes/faults.hpp"

using namespace gameday;

namespace {

FaultSpec spec(const std::string& id, const std::string& target) {
  FaultSpec f;
  f.id = id;
  f.target = target;
  f.kind = "latency";
  return f;
}

}  // namespace

TEST_CASE("Fault board matches vendor wildcards and exact targets", "[fakes][faults]") {
  const FaultSpec primary = spec("a", "vendor:primary");
  const FaultSpec any = spec("b", "vendor:*");
  const FaultSpec secondary = spec("c", "vendor:secondary");
  const FaultSpec ehr = spec("d", "ehr");
  FaultBoard board;
  for (const FaultSpec* f : {&primary, &any, &secondary, &ehr}) board.activate(f);

  REQUIRE(board.for_target("vendor:primary") == std::vector<const FaultSpec*>{&primary, &any});
  REQUIRE(board.for_target("vendor:secondary") == std::vector<const FaultSpec*>{&any, &secondary});
  REQUIRE(board.for_target("ehr") == std::vector<const FaultSpec*>{&ehr});
  REQUIRE(board.active().size() == 4);

  std::vector<const FaultSpec*> out{&ehr};
  board.for_target("vendor:tertiary", out);
  REQUIRE(out == std::vector<const FaultSpec*>{&any});
}

TEST_CASE("Fault board deactivates by id and replaces a re-activated id", "[fakes][faults]") {
  const FaultSpec first = spec("slow", "ehr");
  const FaultSpec again = spec("slow", "ehr");
  const FaultSpec other = spec("other", "ehr");
  FaultBoard board;
  board.activate(&first);
  board.activate(&other);
  board.activate(&again);
  REQUIRE(board.active() == std::vector<const FaultSpec*>{&again, &other});
  board.deactivate("slow");
  REQUIRE(board.active() == std::vector<const FaultSpec*>{&other});
  board.deactivate("absent");
  REQUIRE(board.active().size() == 1);
  board.clear();
  REQUIRE(board.for_target("ehr").empty());
}
