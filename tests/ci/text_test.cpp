#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "ci/text.hpp"

using namespace gameday;

TEST_CASE("Shell quoting leaves plain words alone and single-quotes the rest", "[ci][text]") {
  CHECK(shell_quote("scenarios/a-b_c.yaml") == "scenarios/a-b_c.yaml");
  CHECK(shell_quote("") == "''");
  CHECK(shell_quote("my dir") == "'my dir'");
  CHECK(shell_quote("it's") == "'it'\\''s'");
  CHECK(shell_quote("$HOME") == "'$HOME'");
}

TEST_CASE("Joining puts the separator between parts only", "[ci][text]") {
  CHECK(join({}, "; ").empty());
  CHECK(join({"a"}, "; ") == "a");
  CHECK(join({"a", "b", "c"}, "; ") == "a; b; c");
  CHECK(format_significant(12.345678) == "12.35");
}
