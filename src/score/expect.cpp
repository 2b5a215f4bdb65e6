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

constexpr MetricDef kRunMetrics[] = {
    {"ttd", MetricKind::kDuration},     {"ttd_from_fault", MetricKind::kDuration},
    {"tta", MetricKind::kDuration},     {"ttm", MetricKind::kDuration},
    {"ttr", MetricKind::kDuration},     {"requests", MetricKind::kCount},
    {"failed", MetricKind::kCount},     {"unsafe", MetricKind::kCount},
    {"slow", MetricKind::kCount},       {"failed_ratio", MetricKind::kRatio},
    {"unsafe_ratio", MetricKind::kRatio},
    // Incidents and alerts.
    {"incidents", MetricKind::kCount},  {"alerts", MetricKind::kCount},
    {"false_alerts", MetricKind::kCount},
    // Truth: unsafe exposure of every incident, injection, PHI, correctness.
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
    {"unsafe_unoffered_tool_call", MetricKind::kCount},
    // Detector view.
    {"citation_validity", MetricKind::kRatio}, {"corrections", MetricKind::kCount},
    {"probe_failures", MetricKind::kCount},
};

constexpr MetricDef kIncidentMetrics[] = {
    {"ttd", MetricKind::kDuration},    {"ttd_from_fault", MetricKind::kDuration},
    {"tta", MetricKind::kDuration},    {"ttm", MetricKind::kDuration},
    {"ttr", MetricKind::kDuration},    {"harmed", MetricKind::kCount},
    {"failed", MetricKind::kCount},    {"slow", MetricKind::kCount},
    {"unsafe", MetricKind::kCount},    {"patients_affected", MetricKind::kCount},
    {"phi_to_vendor", MetricKind::kCount}, {"phi_in_logs", MetricKind::kCount},
    {"exposure", MetricKind::kCount},
    {"unsafe_hallucination", MetricKind::kCount}, {"unsafe_wrong_patient", MetricKind::kCount},
    {"unsafe_injection_followed", MetricKind::kCount}, {"unsafe_phi_leak", MetricKind::kCount},
    {"unsafe_invalid_schema", MetricKind::kCount}, {"unsafe_incorrect", MetricKind::kCount},
    {"unsafe_unoffered_tool_call", MetricKind::kCount},
};

constexpr MetricDef kBackgroundMetrics[] = {
    {"harmed", MetricKind::kCount}, {"failed", MetricKind::kCount},
    {"slow", MetricKind::kCount},   {"unsafe", MetricKind::kCount},
};

constexpr MetricDef kAlertMetrics[] = {{"fired", MetricKind::kFlag}, {"count", MetricKind::kCount}};
constexpr MetricDef kPlaybookMetrics[] = {{"outcome", MetricKind::kName}, {"runs", MetricKind::kCount}};
constexpr MetricDef kFinalMetrics[] = {{"route", MetricKind::kName}, {"prompt", MetricKind::kName},
                                       {"mode", MetricKind::kName}, {"flag", MetricKind::kName}};

template <std::size_t N>
std::optional<MetricKind> lookup(const MetricDef (&defs)[N], std::string_view metric) {
  for (const auto& m : defs) {
    if (metric == m.name) return m.kind;
  }
  return std::nullopt;
}

template <std::size_t N>
std::string names(const MetricDef (&defs)[N]) {
  std::string out;
  for (const auto& m : defs) out += (out.empty() ? "" : ", ") + std::string(m.name);
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The comparison in `s` (the first operator from the left), or npos.
std::size_t find_op(std::string_view s, CompareOp* op) {
  static constexpr std::pair<std::string_view, CompareOp> kOps[] = {
      {"<=", CompareOp::kLessEqual}, {">=", CompareOp::kGreaterEqual}, {"==", CompareOp::kEqual},
      {"!=", CompareOp::kNotEqual},  {"<", CompareOp::kLess},          {">", CompareOp::kGreater}};
  for (std::size_t i = 0; i < s.size(); ++i) {
    for (const auto& [text, o] : kOps) {
      if (s.substr(i, text.size()) == text) {
        *op = o;
        return i;
      }
    }
  }
  return std::string_view::npos;
}

// "name(arg)" -> name and arg; false when the parentheses are malformed.
bool split_call(std::string_view s, std::string_view* name, std::string* arg) {
  const auto open = s.find('(');
  if (open == std::string_view::npos) {
    *name = s;
    return true;
  }
  if (s.back() != ')' || open + 2 > s.size() - 1) return false;
  *name = s.substr(0, open);
  *arg = std::string(trim(s.substr(open + 1, s.size() - open - 2)));
  return !arg->empty();
}

// Reads the subject into e (scope, arg, metric); "" on success, else the reason.
std::string parse_subject(std::string_view subject, Expectation& e) {
  const std::string hint =
      " (expected a metric, incident(ID).METRIC, background.METRIC, alert(NAME).fired|count, "
      "playbook(NAME).outcome|runs, or final.route|prompt|mode|flag(NAME))";
  const auto dot = subject.find('.');
  const std::string_view head = subject.substr(0, dot);
  std::string_view head_name;
  if (!split_call(head, &head_name, &e.arg)) return "malformed '" + std::string(head) + "'" + hint;
  if (dot == std::string_view::npos) {
    if (!e.arg.empty()) return "'" + std::string(subject) + "' needs a metric after it" + hint;
    e.scope = ExpectScope::kRun;
    e.metric = std::string(subject);
  } else {
    const auto scope = parse_name<ExpectScope>(head_name);
    if (!scope || *scope == ExpectScope::kRun) return "unknown subject '" + std::string(head_name) + "'" + hint;
    e.scope = *scope;
    std::string_view metric_name;
    std::string metric_arg;
    if (!split_call(subject.substr(dot + 1), &metric_name, &metric_arg)) {
      return "malformed '" + std::string(subject.substr(dot + 1)) + "'" + hint;
    }
    e.metric = std::string(metric_name);
    if (e.scope == ExpectScope::kFinal) {
      if (e.metric == "flag" && metric_arg.empty()) return "final.flag needs a flag name: final.flag(NAME)";
      if (e.metric != "flag" && !metric_arg.empty()) return "final." + e.metric + " takes no name";
      e.arg = metric_arg;
    } else if (!metric_arg.empty()) {
      return "'" + e.metric + "' takes no name" + hint;
    }
    const bool named = e.scope == ExpectScope::kIncident || e.scope == ExpectScope::kAlert ||
                       e.scope == ExpectScope::kPlaybook;
    if (named && e.arg.empty()) return to_name(e.scope) + " needs a name: " + to_name(e.scope) + "(NAME)." + e.metric;
    if (!named && e.scope != ExpectScope::kFinal && !e.arg.empty()) return to_name(e.scope) + " takes no name";
  }
  if (!metric_kind(e.scope, e.metric)) {
    return "unknown metric '" + e.metric + "'" +
           (e.scope == ExpectScope::kRun ? "" : " of " + to_name(e.scope)) + " (known: " + known_metrics(e.scope) + ")";
  }
  return "";
}

// Reads the value for a metric of `kind` into e; "" on success, else the reason.
std::string parse_value(std::string_view value, MetricKind kind, Expectation& e) {
  const std::string v(value);
  switch (kind) {
    case MetricKind::kDuration: {
      if (v == "none") {
        if (e.op != CompareOp::kEqual && e.op != CompareOp::kNotEqual) return "compare with none using == or !=";
        e.none = true;
        return "";
      }
      const auto d = parse_duration(v);
      if (!d) return "expected a duration like 90s, 3m or 1h (or none) for '" + e.metric + "', got '" + v + "'";
      e.value = to_seconds(*d);
      return "";
    }
    case MetricKind::kName:
      if (e.op != CompareOp::kEqual && e.op != CompareOp::kNotEqual) return "compare '" + e.metric + "' using == or !=";
      if (v.empty() || v.find_first_of(" \t") != std::string::npos) return "expected a name for '" + e.metric + "', got '" + v + "'";
      // An outcome is checked against the playbook (its end steps name their own outcomes)
      // when the scenario is validated: see kRunOutcomes in spec/playbook.hpp.
      e.word = v;
      return "";
    case MetricKind::kFlag:
      return "'" + e.metric + "' takes no comparison: write alert(NAME).fired, or alert(NAME).count == 0";
    case MetricKind::kCount:
    case MetricKind::kRatio: {
      char* end = nullptr;
      const double x = std::strtod(v.c_str(), &end);
      if (v.empty() || end != v.c_str() + v.size() || x < 0 || (kind == MetricKind::kRatio && x > 1)) {
        return std::string("expected ") + (kind == MetricKind::kRatio ? "a ratio between 0 and 1" : "a non-negative number") +
               " for '" + e.metric + "', got '" + v + "'";
      }
      e.value = x;
      return "";
    }
  }
  return "";
}

}  // namespace

std::optional<MetricKind> metric_kind(ExpectScope scope, std::string_view metric) {
  switch (scope) {
    case ExpectScope::kRun: return lookup(kRunMetrics, metric);
    case ExpectScope::kIncident: return lookup(kIncidentMetrics, metric);
    case ExpectScope::kBackground: return lookup(kBackgroundMetrics, metric);
    case ExpectScope::kAlert: return lookup(kAlertMetrics, metric);
    case ExpectScope::kPlaybook: return lookup(kPlaybookMetrics, metric);
    case ExpectScope::kFinal: return lookup(kFinalMetrics, metric);
  }
  return std::nullopt;
}

std::optional<MetricKind> metric_kind(std::string_view metric) { return metric_kind(ExpectScope::kRun, metric); }

std::string known_metrics(ExpectScope scope) {
  switch (scope) {
    case ExpectScope::kRun: return names(kRunMetrics);
    case ExpectScope::kIncident: return names(kIncidentMetrics);
    case ExpectScope::kBackground: return names(kBackgroundMetrics);
    case ExpectScope::kAlert: return names(kAlertMetrics);
    case ExpectScope::kPlaybook: return names(kPlaybookMetrics);
    case ExpectScope::kFinal: return "route, prompt, mode, flag(NAME)";
  }
  return "";
}

std::optional<Expectation> parse_expectation(std::string_view text, std::string* error) {
  const std::string_view s = trim(text);
  Expectation e;
  e.text = std::string(s);
  const auto fail = [&](const std::string& why) -> std::optional<Expectation> {
    if (error) *error = why;
    return std::nullopt;
  };
  CompareOp op = CompareOp::kEqual;
  const std::size_t op_pos = find_op(s, &op);
  const std::string_view subject = trim(s.substr(0, op_pos));
  if (const std::string why = parse_subject(subject, e); !why.empty()) return fail(why);
  const MetricKind kind = *metric_kind(e.scope, e.metric);
  if (op_pos == std::string_view::npos) {
    if (kind == MetricKind::kFlag) return e;  // alert(NAME).fired
    return fail("expected 'metric op value' (op one of <=, <, >=, >, ==, !=), got '" + std::string(s) + "'");
  }
  e.op = op;
  const std::string_view value = trim(s.substr(op_pos + to_name(op).size()));
  if (const std::string why = parse_value(value, kind, e); !why.empty()) return fail(why);
  return e;
}

bool expectation_holds(const Expectation& e, std::optional<double> actual) {
  if (e.none) return (e.op == CompareOp::kEqual) == !actual.has_value();
  if (!actual) return false;
  return compare(*actual, e.op, e.value);
}

bool expectation_holds(const Expectation& e, const std::optional<std::string>& actual) {
  if (!actual) return e.op == CompareOp::kNotEqual;
  const bool same = *actual == e.word;
  return e.op == CompareOp::kEqual ? same : !same;
}

}  // namespace gameday
