#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "ci/text.hpp"
#include "sweep.hpp"

using namespace gameday;
using namespace gameday::test;

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

TEST_CASE("Incident rows say in how many runs each incident occurred and each time was reached", "[ci][text]") {
  auto [plan, runs] = sweep();
  const CiSummary s = summarize(plan, runs);
  CHECK(incident_rows(s.scenarios[0]).empty());
  const std::string rows = incident_rows(s.scenarios[1]);
  CHECK(rows ==
        "  incident slow: in 4/4 runs; failed p90 10, unsafe p90 0\n"
        "    p50/p90  TTD 41s/43s (4/4 runs)  TTM 1m41s/1m43s (4/4 runs)  TTR 5m02s/5m03s (3/4 runs)\n"
        "  incident slow#2: in 1/4 runs; failed p90 4, unsafe p90 0\n"
        "    p50/p90  TTD 20s/20s (1/1 runs)  TTM -/- (0/1 runs)  TTR -/- (0/1 runs)\n");
  // Readable at 80-120 columns.
  for (std::size_t at = 0, next; (next = rows.find('\n', at)) != std::string::npos; at = next + 1) {
    CHECK(next - at <= 100);
  }
}

TEST_CASE("An incident figure shows fractional seconds as the scorer measured them", "[ci][text]") {
  IncidentSummary x;
  x.id = "a";
  x.runs = 50;
  x.metrics["ttd"] = MetricStats{42.6, 43.3, 48, 2};  // 48 of its 50 runs reached it
  CHECK(incident_figure(x, "ttd") == "TTD 42.6s/43.3s (48/50 runs)");
  CHECK(incident_figure(x, "ttr") == "TTR -/- (0/50 runs)");
}
