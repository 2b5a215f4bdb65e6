#include <catch2/catch.hpp>

#include <string>

#include "slo/prom_rules.hpp"

using namespace gameday;

namespace {

Scenario two_alert_scenario() {
  Scenario s;
  s.name = "unit-rules";
  s.slos = {SloSpec{"availability", SloKind::kAvailability, 0.99, 0, 30 * 24 * kHour},
            SloSpec{"latency", SloKind::kLatency, 0.95, 5 * kSecond, 30 * 24 * kHour}};
  AlertSpec slow;
  slow.name = "AssistantLatencyHigh";
  slow.type = AlertType::kThreshold;
  slow.sli = Sli::kLatencyP95;
  slow.window = 2 * kMinute;
  slow.above = 5;
  slow.for_duration = kMinute;
  AlertSpec burn;
  burn.name = "AvailabilityBurnRate";
  burn.type = AlertType::kBurnRate;
  burn.slo = "availability";
  burn.windows = {BurnWindow{30 * kMinute, 3 * kMinute, 14.4}, BurnWindow{kHour, 10 * kMinute, 6}};
  s.alerts = {slow, burn};
  return s;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("Prometheus durations use one unit and round to the millisecond", "[slo][prom]") {
  REQUIRE(prometheus_duration(0) == "0s");
  REQUIRE(prometheus_duration(90 * kSecond) == "90s");
  REQUIRE(prometheus_duration(5 * kMinute) == "5m");
  REQUIRE(prometheus_duration(2 * kHour) == "2h");
  REQUIRE(prometheus_duration(72 * kHour) == "72h");
  REQUIRE(prometheus_duration(1500 * kMillisecond) == "1500ms");
  REQUIRE(prometheus_duration(1) == "1ms");
  REQUIRE(prometheus_duration(kHour + kSecond) == "3601s");
}

TEST_CASE("Numbers are written in their shortest exact form", "[slo][prom]") {
  REQUIRE(prometheus_number(14.4) == "14.4");
  REQUIRE(prometheus_number(0.05) == "0.05");
  REQUIRE(prometheus_number(5) == "5");
  REQUIRE(prometheus_number(0.999) == "0.999");
}

TEST_CASE("YAML quoting survives quotes, reserved words and control characters", "[slo][prom]") {
  REQUIRE(yaml_quote("page") == "'page'");
  REQUIRE(yaml_quote("no") == "'no'");
  REQUIRE(yaml_quote("it's: #1") == "'it''s: #1'");
  REQUIRE(yaml_quote("a{b=\"c\"}") == "'a{b=\"c\"}'");
  REQUIRE(yaml_quote("two\nlines") == "\"two\\nlines\"");
  REQUIRE(yaml_quote("tab\there \"q\" \\") == "\"tab\\there \\\"q\\\" \\\\\"");
  REQUIRE(yaml_quote("") == "''");
}

TEST_CASE("PromQL strings escape quotes and backslashes", "[slo][prom]") {
  REQUIRE(promql_string("availability") == "\"availability\"");
  REQUIRE(promql_string("a\"b\\c") == "\"a\\\"b\\\\c\"");
}

TEST_CASE("A latency threshold alert becomes a histogram quantile over its window", "[slo][prom]") {
  const Scenario s = two_alert_scenario();
  REQUIRE(prometheus_alert_expr(s.alerts[0], s) ==
          "histogram_quantile(0.95, sum by (le) (rate(gameday_assistant_request_duration_seconds_bucket[2m]))) > 5");
}

TEST_CASE("A ratio threshold alert is the bad share of its signal", "[slo][prom]") {
  Scenario s = two_alert_scenario();
  AlertSpec a;
  a.name = "Errors";
  a.type = AlertType::kThreshold;
  a.sli = Sli::kErrorRatio;
  a.window = 90 * kSecond;
  a.above = 0.05;
  REQUIRE(prometheus_alert_expr(a, s) ==
          "(sum(rate(gameday_sli_events_total{sli=\"availability\",good=\"false\"}[90s])) / "
          "sum(rate(gameday_sli_events_total{sli=\"availability\"}[90s]))) > 0.05");
  a.sli = Sli::kCanaryRatio;
  a.above = 0;
  REQUIRE(prometheus_alert_expr(a, s).find("sli=\"canary\",good=\"false\"") != std::string::npos);
  a.sli = Sli::kRequestRate;
  REQUIRE(prometheus_alert_expr(a, s) == "sum(rate(gameday_assistant_requests_total[90s])) > 0");
  a.sli = Sli::kCorrectionRate;
  a.above = 2;
  REQUIRE(prometheus_alert_expr(a, s) == "60 * sum(rate(gameday_clinician_corrections_total[90s])) > 2");
  a.sli = Sli::kProbeFailure;
  a.above = 0;
  REQUIRE(prometheus_alert_expr(a, s).find("time() - max(gameday_golden_probe_last_timestamp_seconds)") !=
          std::string::npos);
}

TEST_CASE("Every threshold SLI the detector knows has a PromQL form", "[slo][prom]") {
  Scenario s = two_alert_scenario();
  for (const Sli sli : values_of<Sli>()) {
    INFO(to_name(sli));
    AlertSpec a;
    a.name = "A";
    a.type = AlertType::kThreshold;
    a.sli = sli;
    REQUIRE_NOTHROW(prometheus_alert_expr(a, s));
  }
}

TEST_CASE("A burn-rate alert ors its rows, each needing both windows over factor times budget", "[slo][prom]") {
  const Scenario s = two_alert_scenario();
  const std::string e = prometheus_alert_expr(s.alerts[1], s);
  REQUIRE(e ==
          "((sum(rate(gameday_slo_events_total{slo=\"availability\",good=\"false\"}[30m])) / "
          "sum(rate(gameday_slo_events_total{slo=\"availability\"}[30m]))) > 14.4 * (1 - 0.99) and "
          "(sum(rate(gameday_slo_events_total{slo=\"availability\",good=\"false\"}[3m])) / "
          "sum(rate(gameday_slo_events_total{slo=\"availability\"}[3m]))) > 14.4 * (1 - 0.99)) or "
          "((sum(rate(gameday_slo_events_total{slo=\"availability\",good=\"false\"}[1h])) / "
          "sum(rate(gameday_slo_events_total{slo=\"availability\"}[1h]))) > 6 * (1 - 0.99) and "
          "(sum(rate(gameday_slo_events_total{slo=\"availability\",good=\"false\"}[10m])) / "
          "sum(rate(gameday_slo_events_total{slo=\"availability\"}[10m]))) > 6 * (1 - 0.99))");
}

TEST_CASE("Burn-rate rules apply the preset and the scale like the detector", "[slo][prom]") {
  Scenario s = two_alert_scenario();
  AlertSpec a;
  a.name = "FastBurn";
  a.type = AlertType::kBurnRate;
  a.slo = "latency";
  a.preset = BurnPreset::kStandardPage;
  a.scale = 1.0 / 60;
  const std::string e = prometheus_alert_expr(a, s);
  // 1h/5m and 6h/30m become 1m/5s and 6m/30s.
  for (const char* w : {"[1m]", "[5s]", "[6m]", "[30s]"}) {
    INFO(w);
    REQUIRE(e.find(w) != std::string::npos);
  }
  REQUIRE(e.find("[1h]") == std::string::npos);
  REQUIRE(e.find("slo=\"latency\"") != std::string::npos);
  REQUIRE(e.find("> 14.4 * (1 - 0.95)") != std::string::npos);
  a.slo = "missing";
  REQUIRE_THROWS_WITH(prometheus_alert_expr(a, s), Catch::Contains("unknown slo 'missing'"));
}

TEST_CASE("The rule file has one group and one rule per alert with for, severity and annotations", "[slo][prom]") {
  const Scenario s = two_alert_scenario();
  const std::string y = prometheus_rules_yaml(s);
  REQUIRE(y.find("groups:\n  - name: 'gameday.unit-rules'\n    rules:\n") != std::string::npos);
  REQUIRE(y.find("      - alert: 'AssistantLatencyHigh'\n        expr: 'histogram_quantile(") != std::string::npos);
  REQUIRE(y.find("        for: '1m'\n") != std::string::npos);
  REQUIRE(y.find("        for: '0s'\n") != std::string::npos);
  REQUIRE(count(y, "          severity: 'page'\n") == 2);
  REQUIRE(count(y, "          scenario: 'unit-rules'\n") == 2);
  REQUIRE(count(y, "        annotations:\n          summary: ") == 2);
  REQUIRE(y.find("summary: 'latency_p95 > 5 over 2m'") != std::string::npos);
}

TEST_CASE("A scenario without alerts gives an empty rule list", "[slo][prom]") {
  Scenario s;
  s.name = "quiet";
  REQUIRE(prometheus_rules_yaml(s).find("    rules: []\n") != std::string::npos);
}

TEST_CASE("Requests are good or bad per signal and per SLO as the detector counts them", "[slo][prom]") {
  RequestEvent r;
  r.latency = 6 * kSecond;
  const SloSpec latency{"latency", SloKind::kLatency, 0.95, 5 * kSecond, kHour};
  const SloSpec availability{"availability", SloKind::kAvailability, 0.99, 0, kHour};
  REQUIRE_FALSE(slo_good(latency, r));
  REQUIRE(slo_good(availability, r));
  r.latency = kSecond;
  REQUIRE(slo_good(latency, r));
  r.status = RequestStatus::kFallback;
  REQUIRE_FALSE(slo_good(latency, r));
  REQUIRE_FALSE(slo_good(availability, r));
  r.status = RequestStatus::kOk;
  r.canary_seen = true;
  REQUIRE_FALSE(sli_signal_good(RequestSignal::kCanary, r));
  REQUIRE_FALSE(sli_signal_good(RequestSignal::kSafety, r));
  REQUIRE(sli_signal_good(RequestSignal::kPhiOutput, r));
  REQUIRE(signal_of_ratio_sli(Sli::kErrorRatio) == RequestSignal::kAvailability);
  REQUIRE_FALSE(signal_of_ratio_sli(Sli::kLatencyP95).has_value());
}
