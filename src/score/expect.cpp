#include "score/expect.hpp"

#include <cstdlib>
#include <vector>

#include "sim/time.hpp"

namespace gameday {
namespace {

struct MetricDef {
  const char* name;
  MetricKind kind;
};

constexpr MetricDef kMetrics[] = {
    {"ttd", MetricKind::kDuration},     {"ttd_from_fault", MetricKind::kDuration},
    {"tta", MetricKind::kDuration},     {"ttm", MetricKind::kDuration},
    {"ttr", MetricKind::kDuration},     {"requests", MetricKind::kCount},
    {"failed", MetricKind::kCount},     {"unsafe", MetricKind::kCount},
    {"slow", MetricKind::kCount},       {"failed_ratio", MetricKind::kRatio},
    {"unsafe_ratio", MetricKind::kRatio},
    // Truth: unsafe exposure in [t_i, t_m], injection, PHI, correctness.
    {"exposure", MetricKind::kCount},   {"patients_affected", MetricKind::kCount},
    {"injections", MetricKind::kCount}, {"attack_success_rate", MetricKind::kRatio},
    {"utility_under_attack", MetricKind::kRatio},
    {"correct_ratio", MetricKind::kRatio},
    {"phi_to_vendor", MetricKind::kCount}, {"phi_in_logs", MetricKind::kCount},
    {"phi_leaked", MetricKind::kCount},
    // Whole-run unsafe answers of one kind.
    {"unsafe_hallucination", MetricKind::kCount}, {"unsafe_wrong_patient", MetricKind::kCount},
    {"unsafe_injection_followed", MetricKind::kCount}, {"unsafe_phi_leak", MetricKind::kCount},
    {"unsafe_invalid_schema", MetricKind::kCount}, {"unsafe_incorrect", MetricKind::kCount},
    // Detector view.
    {"citation_validity", MetricKind::kRatio}, {"corrections", MetricKind::kCount},
    {"probe_failures", MetricKind::kCount},
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<MetricKind> metric_kind(std::string_view metric) {
  for (const auto& m : kMetrics) {
    if (metric == m.name) return m.kind;
  }
  return std::nullopt;
}

const char* known_metrics() {
  return "ttd, ttd_from_fault, tta, ttm, ttr, requests, failed, unsafe, slow, failed_ratio, "
         "unsafe_ratio, exposure, patients_affected, injections, attack_success_rate, "
         "utility_under_attack, correct_ratio, phi_to_vendor, phi_in_logs, phi_leaked, "
         "unsafe_hallucination, unsafe_wrong_patient, unsafe_injection_followed, "
         "unsafe_phi_leak, unsafe_invalid_schema, unsafe_incorrect, citation_validity, "
         "corrections, probe_failures";
}

std::optional<Expectation> parse_expectation(std::string_view text, std::string* error) {
  static const std::vector<std::string> kOps = {"<=", ">=", "==", "<", ">"};
  const std::string_view s = trim(text);
  std::size_t op_pos = std::string_view::npos;
  std::string op;
  for (std::size_t i = 0; i < s.size() && op_pos == std::string_view::npos; ++i) {
    for (const auto& o : kOps) {
      if (s.substr(i, o.size()) == o) {
        op_pos = i;
        op = o;
        break;
      }
    }
  }
  if (op_pos == std::string_view::npos) {
    if (error) *error = "expected 'metric op value' (op one of <=, <, >=, >, ==), got '" + std::string(s) + "'";
    return std::nullopt;
  }
  const std::string metric(trim(s.substr(0, op_pos)));
  const std::string value(trim(s.substr(op_pos + op.size())));
  const auto kind = metric_kind(metric);
  if (!kind) {
    if (error) *error = "unknown metric '" + metric + "' (known: " + known_metrics() + ")";
    return std::nullopt;
  }
  Expectation e;
  e.text = std::string(s);
  e.metric = metric;
  e.op = *parse_name<CompareOp>(op);  // one of kOps
  if (*kind == MetricKind::kDuration) {
    const auto d = parse_duration(value);
    if (!d) {
      if (error) *error = "expected a duration like 90s, 3m or 1h for '" + metric + "', got '" + value + "'";
      return std::nullopt;
    }
    e.value = to_seconds(*d);
  } else {
    char* end = nullptr;
    const double v = std::strtod(value.c_str(), &end);
    if (value.empty() || end != value.c_str() + value.size() || v < 0 ||
        (*kind == MetricKind::kRatio && v > 1)) {
      if (error) {
        *error = std::string("expected ") +
                 (*kind == MetricKind::kRatio ? "a ratio between 0 and 1" : "a non-negative number") +
                 " for '" + metric + "', got '" + value + "'";
      }
      return std::nullopt;
    }
    e.value = v;
  }
  return e;
}

bool expectation_holds(const Expectation& e, std::optional<double> actual) {
  if (!actual) return false;
  return compare(*actual, e.op, e.value);
}

}  // namespace gameday
