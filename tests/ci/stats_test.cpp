#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "ci/stats.hpp"

using namespace gameday;

TEST_CASE("Nearest-rank percentiles pick observed values", "[ci][stats]") {
  CHECK_FALSE(percentile({}, 50));
  CHECK(*percentile({42}, 50) == 42);
  CHECK(*percentile({42}, 90) == 42);
  CHECK(*percentile({2, 1}, 50) == 1);
  CHECK(*percentile({2, 1}, 90) == 2);
  const std::vector<double> ten = {10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
  CHECK(*percentile(ten, 50) == 5);
  CHECK(*percentile(ten, 90) == 9);
  CHECK(*percentile(ten, 100) == 10);
  CHECK(*percentile({1, 2, 3}, 50) == 2);
}
