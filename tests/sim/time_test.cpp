#include <catch2/catch.hpp>

#include "sim/time.hpp"

using namespace gameday;

TEST_CASE("Durations parse in every unit and in sums of units") {
  CHECK(parse_duration("250ms") == 250 * kMillisecond);
  CHECK(parse_duration("1h30m") == 90 * kMinute);
  CHECK(parse_duration("1.5s") == 1500 * kMillisecond);
  CHECK(parse_duration("0") == 0);
  CHECK(parse_duration("3650d") == kMaxDuration);
  CHECK_FALSE(parse_duration("-3s"));
  CHECK_FALSE(parse_duration("5 minutes"));
  CHECK_FALSE(parse_duration(""));
}

TEST_CASE("A duration too long to hold is an error, never a wrapped or negative value") {
  std::string why;
  for (const char* text : {"99999999999999999999h", "9223372036854775807us", "9223372036854775808us",
                           "3651d", "3650d1us", "2562047788015216h", "3000d3000d"}) {
    INFO(text);
    why.clear();
    CHECK_FALSE(parse_duration(text, &why));
    CHECK(why == "is longer than the limit of 3650d");
  }
  CHECK_FALSE(parse_duration("9999999999999999999999999999999999999999999999999999d"));
}

TEST_CASE("A duration that is not one says so") {
  std::string why;
  CHECK_FALSE(parse_duration("5 minutes", &why));
  CHECK(why == "is not a duration");
}
