// W3C Trace Context: the traceparent header gameday's workload sends and its fakes read.
#include <catch2/catch.hpp>

#include "trace/context.hpp"

using namespace gameday;

TEST_CASE("A traceparent made for a request's trace parses back to the same ids", "[trace][context]") {
  const TraceId trace = request_trace_id(7, 42);
  const std::uint64_t root = trace_span_id(trace, 0);
  const std::string header = make_traceparent(trace, root);
  REQUIRE(header.size() == 55);
  REQUIRE(header.rfind("00-", 0) == 0);
  REQUIRE(header.substr(53) == "01");
  const auto parsed = parse_traceparent(header);
  REQUIRE(parsed);
  CHECK(parsed->trace_id == trace_id_hex(trace));
  CHECK(parsed->parent_id == span_id_hex(root));
  CHECK(parsed->sampled);
  CHECK_FALSE(parse_traceparent(make_traceparent(trace, root, false))->sampled);
}

TEST_CASE("A traceparent is read by the W3C rules and anything malformed is no trace context", "[trace][context]") {
  const std::string good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  REQUIRE(parse_traceparent(good));
  CHECK(parse_traceparent("  " + good + "\t"));  // optional whitespace around a header value
  // A later version may carry more fields after a dash; version 00 may not.
  CHECK(parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"));
  CHECK_FALSE(parse_traceparent(good + "-extra"));
  CHECK_FALSE(parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01extra"));
  CHECK_FALSE(parse_traceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  CHECK_FALSE(parse_traceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));
  CHECK_FALSE(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"));
  CHECK_FALSE(parse_traceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));
  CHECK_FALSE(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01"));
  CHECK_FALSE(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g"));
  CHECK_FALSE(parse_traceparent(""));
  CHECK_FALSE(parse_traceparent("not a traceparent at all, but exactly fifty-five chars"));
}
