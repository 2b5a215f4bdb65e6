// playbooks/*.yaml and golden sets.
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>
#include <variant>

#include <nlohmann/json.hpp>

#include "load/loader.hpp"
#include "load/loader_detail.hpp"

namespace gameday::loader {
namespace {

// The keys each step kind adds to the common ones.
std::vector<std::string> step_keys(StepKind k) {
  switch (k) {
    case StepKind::kApprove: return {"delay", "approvers", "quorum", "order", "escalate_after"};
    case StepKind::kEnd: return {"outcome", "reason", "rollback"};
    case StepKind::kEscalate: return {"to", "ack_delay", "wait", "message"};
    case StepKind::kExec: return {"argv", "env", "cwd"};
    case StepKind::kFlagSet: return {"flag", "variant"};
    case StepKind::kGoldenCheck: return {"set", "min_pass_rate"};
    case StepKind::kHttp: return {"method", "url", "headers", "body", "expect"};
    case StepKind::kModeFallback: return {"enabled"};
    case StepKind::kModelFailover: return {"to"};
    case StepKind::kModelRollback: return {};
    case StepKind::kNotify: return {"url", "text", "headers"};
    case StepKind::kPromptDeploy: return {"version"};
    case StepKind::kPromptRollback: return {"version"};
    case StepKind::kTrafficShed: return {"share"};
    case StepKind::kWait: return {"duration"};
    case StepKind::kWaitFor: return {"condition"};
  }
  return {};
}

// The SLIs a condition may read: every SLI an alert may read.
bool condition_sli(Sli) { return true; }

std::vector<std::string> condition_sli_names() { return names_where<Sli>(condition_sli); }

// ---- conditions: `when` and `wait_for`
//
//   condition := SLI [ "(" VENDOR ")" ] OP VALUE [ "over" WINDOW ]  |  "alert" NAME ( "firing" | "resolved" )
//   (a VENDOR only after a vendor SLI: vendor_error_ratio, vendor_throttle_ratio, embedding_error_ratio)
//   OP        := "<" | "<=" | ">" | ">="
//   VALUE     := a duration for latency SLIs (6s, 800ms), else a number
//   WINDOW    := a duration > 0 (default 2m)

struct Token {
  std::string text;
  std::size_t at = 0;  // offset in the condition text
};

std::vector<Token> tokenize(const std::string& s) {
  std::vector<Token> out;
  std::size_t i = 0;
  auto is_op = [](char c) { return c == '<' || c == '>' || c == '=' || c == '!'; };
  while (i < s.size()) {
    if (std::isspace(static_cast<unsigned char>(s[i]))) {
      ++i;
      continue;
    }
    const std::size_t start = i;
    if (is_op(s[i])) {
      while (i < s.size() && is_op(s[i])) ++i;
    } else {
      while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i])) && !is_op(s[i])) ++i;
    }
    out.push_back(Token{s.substr(start, i - start), start});
  }
  return out;
}

struct ConditionError {
  std::size_t at = 0;
  std::string message;
};

// Checks an SLI threshold; "" when fine.
std::string check_threshold(Sli sli, const std::string& text, double* value) {
  const std::string name = to_name(sli);
  if (is_latency(sli)) {
    auto d = parse_duration(text);
    if (!d) return "expected a duration like 6s or 800ms for the " + name + " threshold, got '" + text + "'";
    *value = to_seconds(*d);
    return "";
  }
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size()) {
    return "expected a number for the " + name + " threshold, got '" + text + "'";
  }
  if (unit_of(sli) == SliUnit::kRatio && (v < 0 || v > 1)) {
    return "expected a ratio between 0 and 1 for " + name + ", got '" + text + "'";
  }
  if (v < 0) return "expected a number >= 0 for " + name + ", got '" + text + "'";
  *value = v;
  return "";
}

std::variant<ConditionSpec, ConditionError> parse_condition(const std::string& text) {
  const std::vector<Token> t = tokenize(text);
  const std::string hint = "expected a condition like 'error_ratio < 0.01 over 2m' or 'alert NAME firing'";
  if (t.empty()) return ConditionError{0, hint + ", got nothing"};
  ConditionSpec c;
  c.text = text;
  auto end_at = [&](std::size_t i) { return i < t.size() ? t[i].at : text.size(); };
  if (t[0].text == "alert") {
    if (t.size() < 2) return ConditionError{end_at(1), "expected an alert name after 'alert'"};
    c.alert = t[1].text;
    if (t.size() < 3 || (t[2].text != "firing" && t[2].text != "resolved")) {
      return ConditionError{end_at(2), "expected 'firing' or 'resolved' after the alert name" +
                                           (t.size() < 3 ? std::string() : ", got '" + t[2].text + "'")};
    }
    c.firing = t[2].text == "firing";
    if (t.size() > 3) return ConditionError{t[3].at, "unexpected '" + t[3].text + "' after the condition"};
    return c;
  }
  // A vendor SLI may name its vendor: "vendor_error_ratio(secondary)".
  std::string name = t[0].text;
  if (const std::size_t open = name.find('('); open != std::string::npos) {
    if (name.back() != ')' || open + 2 > name.size() - 1) {
      return ConditionError{t[0].at + open, "expected 'SLI(VENDOR)', e.g. 'vendor_error_ratio(secondary)', got '" + name + "'"};
    }
    c.vendor = name.substr(open + 1, name.size() - open - 2);
    name.resize(open);
  }
  const auto sli = parse_name<Sli>(name);
  if (sli && !c.vendor.empty() && !is_vendor_sli(*sli)) {
    return ConditionError{t[0].at + name.size(), "only vendor_error_ratio, vendor_throttle_ratio and embedding_error_ratio take a vendor, not " + name};
  }
  if (!sli || !condition_sli(*sli)) {
    std::vector<std::string> starts = condition_sli_names();
    starts.push_back("alert");
    return ConditionError{t[0].at, unknown_value_message("SLI", name, starts) +
                                       " (" + hint + ")"};
  }
  c.sli = *sli;
  const auto op = t.size() < 2 ? std::nullopt : parse_name<CompareOp>(t[1].text);
  if (!op || *op == CompareOp::kEqual || *op == CompareOp::kNotEqual) {
    return ConditionError{end_at(1), "expected one of <, <=, >, >= after '" + t[0].text + "'" +
                                         (t.size() < 2 ? std::string() : ", got '" + t[1].text + "'")};
  }
  c.op = *op;
  if (t.size() < 3) return ConditionError{text.size(), "expected a threshold after '" + t[1].text + "'"};
  if (auto e = check_threshold(c.sli, t[2].text, &c.value); !e.empty()) return ConditionError{t[2].at, e};
  if (t.size() == 3) return c;
  if (t[3].text != "over") {
    return ConditionError{t[3].at, "expected 'over <window>' after the threshold, got '" + t[3].text + "'"};
  }
  if (t.size() < 5) return ConditionError{text.size(), "expected a window like 2m after 'over'"};
  auto w = parse_duration(t[4].text);
  if (!w || *w <= 0) {
    return ConditionError{t[4].at, "expected a window like 2m or 30s after 'over', got '" + t[4].text + "'"};
  }
  c.window = *w;
  if (t.size() > 5) return ConditionError{t[5].at, "unexpected '" + t[5].text + "' after the condition"};
  return c;
}

// A condition written as a string or a mapping ({alert_firing: X}, {alert_resolved: X},
// {sli: error_ratio, below: 0.01, window: 2m}).
std::optional<ConditionSpec> read_condition(MapReader& m, const std::string& key, bool required) {
  if (required && !m.require(key)) return std::nullopt;
  if (!m.has(key)) return std::nullopt;
  const YAML::Node v = m.value(key);
  FileCtx& ctx = m.ctx();
  ctx.record(m.path_of(key), m.mark_of(key));
  if (v.IsScalar()) {
    auto parsed = parse_condition(v.Scalar());
    if (auto* c = std::get_if<ConditionSpec>(&parsed)) return *c;
    const auto& e = std::get<ConditionError>(parsed);
    YAML::Mark at = v.Mark();
    // Point into a one-line value (past the opening quote of a quoted one).
    if (v.Scalar().find('\n') == std::string::npos && at.column >= 0) {
      at.column += static_cast<int>(e.at) + (v.Tag() == "!" ? 1 : 0);
    }
    ctx.error(at, e.message + " in '" + key + "'");
    return std::nullopt;
  }
  MapReader c(ctx, v, m.path_of(key), "or a condition string for '" + key + "'", m.mark_of(key));
  if (!c.ok()) return std::nullopt;
  const std::vector<std::string> keys = {"alert_firing", "alert_resolved", "sli", "vendor", "below", "above", "window"};
  c.allow(keys);
  // After an unknown key (a typo, reported), the shape checks below would only add noise.
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (!it->first.IsScalar() || std::find(keys.begin(), keys.end(), it->first.Scalar()) == keys.end()) {
      return std::nullopt;
    }
  }
  ConditionSpec out;
  const int forms = (c.has("alert_firing") ? 1 : 0) + (c.has("alert_resolved") ? 1 : 0) + (c.has("sli") ? 1 : 0);
  if (forms != 1) {
    ctx.error(c.mark(), "expected exactly one of 'alert_firing', 'alert_resolved' or 'sli' in '" + key + "'");
    return std::nullopt;
  }
  if (c.has("alert_firing") || c.has("alert_resolved")) {
    const std::string k = c.has("alert_firing") ? "alert_firing" : "alert_resolved";
    for (const char* other : {"vendor", "below", "above", "window"}) {
      if (c.has(other)) c.error_at(other, std::string("key '") + other + "' applies only to sli conditions");
    }
    auto name = c.str(k);
    if (!name) return std::nullopt;
    out.alert = *name;
    out.firing = k == "alert_firing";
    out.text = "alert " + out.alert + (out.firing ? " firing" : " resolved");
    return out;
  }
  auto sli = read_enum<Sli>(c, "sli", "SLI", false, condition_sli);
  if (!sli) return std::nullopt;
  out.sli = *sli;
  if (c.has("vendor")) {
    if (!is_vendor_sli(out.sli)) {
      c.error_at("vendor", "key 'vendor' applies only to vendor_error_ratio, vendor_throttle_ratio and embedding_error_ratio");
      return std::nullopt;
    }
    auto vendor = c.str("vendor");
    if (!vendor) return std::nullopt;
    out.vendor = *vendor;
  }
  if (c.has("below") == c.has("above")) {
    ctx.error(c.mark(), "expected exactly one of 'below' or 'above' in '" + key + "'");
    return std::nullopt;
  }
  const std::string bound = c.has("below") ? "below" : "above";
  out.op = bound == "below" ? CompareOp::kLess : CompareOp::kGreater;
  const YAML::Node b = c.value(bound);
  if (!b.IsScalar()) {
    c.error_at(bound, "expected a threshold for '" + bound + "', got " + describe_node(b));
    return std::nullopt;
  }
  if (auto e = check_threshold(out.sli, b.Scalar(), &out.value); !e.empty()) {
    c.error_at(bound, e);
    return std::nullopt;
  }
  out.window = c.positive_duration("window").value_or(out.window);
  const YAML::Node w = c.value("window");
  const std::string label = out.vendor.empty() ? to_name(out.sli) : to_name(out.sli) + "(" + out.vendor + ")";
  out.text = label + " " + to_name(out.op) + " " + b.Scalar() + " over " + (w.IsScalar() ? w.Scalar() : "2m");
  return out;
}

// ---- a step's `if`: outcomes of earlier steps
//
//   if    := test ( ("and" | "or") test )*        ("and" binds tighter than "or")
//   test  := "steps." NAME ".outcome" ("==" | "!=") OUTCOME
//   NAME  := a step name (it may hold spaces); OUTCOME := ok | failed | timeout | skipped | interrupted

struct ParsedIf {
  StepIfSpec spec;
  std::vector<std::size_t> name_at;  // per test in reading order: where its step name starts
};

std::size_t skip_spaces(const std::string& s, std::size_t i) {
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return i;
}

// The word at `i` (letters, digits, '_', '-'), or "".
std::string word_at(const std::string& s, std::size_t i) {
  std::size_t j = i;
  while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_' || s[j] == '-')) ++j;
  return s.substr(i, j - i);
}

std::variant<ParsedIf, ConditionError> parse_step_if(const std::string& text) {
  static const std::string kPrefix = "steps.", kSuffix = ".outcome";
  const std::string hint = "expected 'steps.<step name>.outcome == <outcome>'";
  std::vector<std::string> outcomes(std::begin(kStepOutcomes), std::end(kStepOutcomes));
  ParsedIf out;
  out.spec.text = text;
  out.spec.any_of.emplace_back();
  std::size_t i = skip_spaces(text, 0);
  while (true) {
    if (text.compare(i, kPrefix.size(), kPrefix) != 0) {
      return ConditionError{i, hint + (i < text.size() ? ", got '" + text.substr(i) + "'" : ", got nothing")};
    }
    const std::size_t name_at = i + kPrefix.size();
    const std::size_t suffix = text.find(kSuffix, name_at);
    if (suffix == std::string::npos || suffix == name_at) {
      return ConditionError{name_at, hint + " (a step name, then '.outcome')"};
    }
    OutcomeTest test;
    test.step = text.substr(name_at, suffix - name_at);
    i = skip_spaces(text, suffix + kSuffix.size());
    if (text.compare(i, 2, "==") != 0 && text.compare(i, 2, "!=") != 0) {
      return ConditionError{i, "expected == or != after '.outcome'"};
    }
    test.equal = text[i] == '=';
    i = skip_spaces(text, i + 2);
    test.outcome = word_at(text, i);
    if (std::find(outcomes.begin(), outcomes.end(), test.outcome) == outcomes.end()) {
      return ConditionError{i, unknown_value_message("outcome", test.outcome, outcomes)};
    }
    out.spec.any_of.back().push_back(std::move(test));
    out.name_at.push_back(name_at);
    i = skip_spaces(text, i + out.spec.any_of.back().back().outcome.size());
    if (i >= text.size()) return out;
    const std::string joiner = word_at(text, i);
    if (joiner != "and" && joiner != "or") {
      return ConditionError{i, "expected 'and', 'or' or the end of the condition, got '" + text.substr(i) + "'"};
    }
    if (joiner == "or") out.spec.any_of.emplace_back();
    i = skip_spaces(text, i + joiner.size());
  }
}

// Where a step's `if` names a step, to check the name once the whole list is read.
struct IfRef {
  std::size_t step = 0;    // the step whose `if` it is
  std::size_t group = 0;   // the test: any_of[group][test]
  std::size_t test = 0;
  YAML::Mark mark;         // the name's position
};

// Reads `if` into st.if_; the step names it tests are checked by check_if_refs.
void read_step_if(MapReader& m, StepSpec& st, std::size_t index, std::vector<IfRef>* refs) {
  if (!m.has("if")) return;
  const YAML::Node v = m.value("if");
  if (!v.IsScalar()) {
    m.error_at("if", "expected a condition like 'steps.approve.outcome == timeout' for 'if', got " + describe_node(v));
    return;
  }
  m.ctx().record(m.path_of("if"), m.mark_of("if"));
  const bool one_line = v.Scalar().find('\n') == std::string::npos && v.Mark().column >= 0;
  auto at = [&](std::size_t offset) {
    YAML::Mark mark = v.Mark();
    // Point into a one-line value (past the opening quote of a quoted one).
    if (one_line) mark.column += static_cast<int>(offset) + (v.Tag() == "!" ? 1 : 0);
    return mark;
  };
  auto parsed = parse_step_if(v.Scalar());
  if (const auto* e = std::get_if<ConditionError>(&parsed)) {
    m.ctx().error(at(e->at), e->message + " in 'if'");
    return;
  }
  const auto& p = std::get<ParsedIf>(parsed);
  st.if_ = p.spec;
  std::size_t n = 0;
  for (std::size_t g = 0; g < p.spec.any_of.size(); ++g) {
    for (std::size_t t = 0; t < p.spec.any_of[g].size(); ++t) {
      if (refs) refs->push_back(IfRef{index, g, t, at(p.name_at[n])});
      ++n;
    }
  }
}

// Each `if` names an earlier step of the same list, exactly once; resolves the indexes.
void check_if_refs(FileCtx& ctx, const std::string& key, std::vector<StepSpec>& steps,
                   const std::vector<IfRef>& refs) {
  std::vector<std::string> names;
  for (const auto& st : steps) names.push_back(st.name);
  for (const auto& r : refs) {
    if (r.step >= steps.size() || !steps[r.step].if_) continue;
    OutcomeTest& test = steps[r.step].if_->any_of[r.group][r.test];
    const auto n = std::count(names.begin(), names.end(), test.step);
    const auto at = std::find(names.begin(), names.end(), test.step);
    const auto index = static_cast<std::size_t>(at - names.begin());
    if (n == 0) {
      std::string msg = "'if' names step '" + test.step + "', which is not a step of '" + key + "'";
      if (auto c = closest(test.step, names)) msg += " (did you mean '" + *c + "'?)";
      ctx.error(r.mark, msg);
    } else if (n > 1) {
      ctx.error(r.mark, "'if' names step '" + test.step + "', and " + std::to_string(n) +
                            " steps have that name; give it a unique name");
    } else if (index >= r.step) {
      ctx.error(r.mark, "'if' names step '" + test.step + "', which " +
                            (index == r.step ? std::string("is this step") : "comes later") +
                            ": an 'if' reads the outcomes of earlier steps");
    } else {
      test.index = index;
    }
  }
}

// Approvers: names (each with the step's `delay`), or {name, delay} objects with their own.
void read_approvers(MapReader& m, StepSpec& st) {
  if (!m.has("approvers")) return;
  const YAML::Node list = m.value("approvers");
  const bool objects = list.IsSequence() && std::any_of(list.begin(), list.end(),
                                                        [](const YAML::Node& n) { return n.IsMap(); });
  if (!objects) {
    st.approvers = m.strings("approvers").value_or(std::vector<std::string>{});
    return;
  }
  std::size_t i = 0;
  for (const auto& item : list) {
    const std::string path = m.path_of("approvers") + "[" + std::to_string(i++) + "]";
    if (item.IsScalar()) {
      st.approvers.push_back(item.Scalar());
      st.approver_delays.push_back(st.delay);
      continue;
    }
    MapReader a(m.ctx(), item, path, "or a name for each item of 'approvers'", m.mark_of("approvers"));
    if (!a.ok()) continue;
    a.allow({"name", "delay"});
    st.approvers.push_back(a.str("name", kRequired).value_or(""));
    st.approver_delays.push_back(a.dist("delay").value_or(st.delay));
  }
}

void read_approve(MapReader& m, StepSpec& st) {
  // `delay` is every approver's unless each approver brings their own.
  bool all_own = m.has("approvers") && m.value("approvers").IsSequence() && m.value("approvers").size() > 0;
  if (all_own) {
    for (const auto& item : m.value("approvers")) all_own = all_own && item.IsMap() && item["delay"];
  }
  if (auto d = m.dist("delay", !all_own)) st.delay = *d;
  read_approvers(m, st);
  if (auto q = m.integer("quorum", 1, 100)) {
    if (st.approvers.size() < static_cast<std::size_t>(*q)) {
      m.error_at("quorum", "quorum " + std::to_string(*q) + " needs at least " + std::to_string(*q) +
                               " approvers (got " + std::to_string(st.approvers.size()) + ")");
    } else {
      st.quorum = static_cast<int>(*q);
    }
  }
  st.order = read_enum<ApproverOrder>(m, "order", "approver order");
  const auto after = m.positive_duration("escalate_after");
  if (st.order == ApproverOrder::kEscalation) {
    if (m.has("quorum")) m.error_at("quorum", "'quorum' applies only to order: parallel (escalation takes the first answer)");
    if (st.approvers.size() < 2) m.error_at("order", "order: escalation needs at least two approvers");
    if (!after && !m.has("escalate_after")) {
      m.error_at("order", "order: escalation needs 'escalate_after' (how long each approver has before the next is asked)");
    }
    st.escalate_after = after.value_or(0);
  } else if (m.has("escalate_after")) {
    m.error_at("escalate_after", "'escalate_after' applies only to order: escalation");
  }
}

// ---- YAML values as JSON (http bodies and expectations)

nlohmann::json to_json(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json j = nlohmann::json::object();
      for (auto it = n.begin(); it != n.end(); ++it) j[it->first.Scalar()] = to_json(it->second);
      return j;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& item : n) j.push_back(to_json(item));
      return j;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = n.Scalar();
      if (n.Tag() == "!") return s;  // quoted: always a string
      if (s == "true" || s == "false") return s == "true";
      if (s == "null" || s == "~") return nullptr;
      const auto num = nlohmann::json::parse(s, nullptr, false);
      if (!num.is_discarded() && num.is_number()) return num;
      return s;
    }
    default:
      return nullptr;
  }
}

// Checks a URL key: http://, https:// or the control API; reports and returns "" otherwise.
std::string read_url(MapReader& m, const std::string& key) {
  auto url = m.str(key, kRequired);
  if (!url) return "";
  const std::string& u = *url;
  const bool control = u.rfind("${GAMEDAY_CONTROL_URL}", 0) == 0;
  const bool web = (u.rfind("http://", 0) == 0 && u.size() > 7) || (u.rfind("https://", 0) == 0 && u.size() > 8);
  if (!control && !web) {
    m.error_at(key, "expected a URL starting with http:// or https:// (or ${GAMEDAY_CONTROL_URL}) for '" +
                        key + "', got '" + u + "'");
    return "";
  }
  if (u.find_first_of(" \t\r\n") != std::string::npos) {
    m.error_at(key, "a URL cannot contain spaces ('" + key + "')");
    return "";
  }
  return u;
}

std::vector<std::pair<std::string, std::string>> read_headers(MapReader& m) {
  std::vector<std::pair<std::string, std::string>> out;
  auto map = m.string_map("headers");
  if (!map) return out;
  for (const auto& [name, value] : *map) {
    if (name.empty() || name.find_first_of(":\r\n \t") != std::string::npos ||
        value.find_first_of("\r\n") != std::string::npos) {
      m.error_at("headers", "invalid header '" + name + "' (names have no spaces or ':', values no line breaks)");
      continue;
    }
    out.emplace_back(name, value);
  }
  return out;
}

void read_http_expect(MapReader& m, HttpExpectSpec& out) {
  if (!m.has("expect")) return;
  MapReader e(m.ctx(), m.value("expect"), m.path_of("expect"), "for 'expect'", m.mark_of("expect"));
  if (!e.ok()) return;
  e.allow({"status", "json"});
  if (e.has("status")) {
    const YAML::Node st = e.value("status");
    std::vector<YAML::Node> items;
    if (st.IsSequence()) {
      for (const auto& i : st) items.push_back(i);
    } else {
      items.push_back(st);
    }
    for (const auto& i : items) {
      char* end = nullptr;
      const long v = i.IsScalar() ? std::strtol(i.Scalar().c_str(), &end, 10) : 0;
      if (!i.IsScalar() || i.Scalar().empty() || *end != '\0' || v < 100 || v > 599) {
        m.ctx().error(i.Mark().line >= 0 ? i.Mark() : e.mark_of("status"),
                      "expected an HTTP status (100..599) or a list of them for 'status', got " + describe_node(i));
        continue;
      }
      out.status.push_back(static_cast<int>(v));
    }
  }
  if (e.has("json")) {
    const YAML::Node j = e.value("json");
    if (!j.IsMap()) {
      e.error_at("json", "expected a mapping of JSON fields to expected values for 'json', got " + describe_node(j));
      return;
    }
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (!it->first.IsScalar() || it->first.Scalar().empty()) {
        m.ctx().error(it->first.Mark(), "expected a JSON field path like status or data.state");
        continue;
      }
      out.json.emplace_back(it->first.Scalar(), to_json(it->second).dump());
    }
  }
}

bool is_env_name(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// Where an `on_failure: goto` was written, to check its target once the whole list is read.
struct GotoRef {
  std::size_t step = 0;
  std::string target;
  YAML::Mark mark;
};

void read_on_failure(MapReader& m, StepSpec& st, bool in_rollback, std::vector<GotoRef>* gotos,
                     std::size_t index) {
  if (!m.has("on_failure")) return;
  const YAML::Node v = m.value("on_failure");
  std::string target;
  bool is_goto = false;
  if (v.IsMap()) {
    MapReader g(m.ctx(), v, m.path_of("on_failure"), "for 'on_failure'", m.mark_of("on_failure"));
    if (!g.ok()) return;
    g.allow({"goto"});
    auto t = g.str("goto", kRequired);
    if (!t) return;
    target = *t;
    is_goto = true;
  } else {
    auto f = m.str("on_failure");
    if (!f) return;
    static const std::vector<std::string> kValues = {"abort", "continue", "rollback", "goto:<step>"};
    if (f->rfind("goto:", 0) == 0 || f->rfind("goto ", 0) == 0) {
      target = f->substr(5);
      const auto b = target.find_first_not_of(" \t");
      target = b == std::string::npos ? "" : target.substr(b);
      is_goto = true;
      if (target.empty()) {
        m.error_at("on_failure", "expected a step name after 'goto:' in 'on_failure'");
        return;
      }
    } else if (*f == "abort" || *f == "continue" || *f == "rollback") {
      if (in_rollback && *f == "rollback") {
        m.error_at("on_failure", "on_failure: rollback is not allowed in a rollback step (use abort or continue)");
        return;
      }
      st.on_failure = *parse_name<OnFailure>(*f);
      return;
    } else {
      m.error_at("on_failure", unknown_value_message("on_failure value", *f, kValues));
      return;
    }
  }
  if (is_goto && in_rollback) {
    m.error_at("on_failure", "on_failure: goto is not allowed in a rollback step (use abort or continue)");
    return;
  }
  st.on_failure = OnFailure::kGoto;
  st.goto_step = target;
  if (gotos) gotos->push_back(GotoRef{index, target, m.mark_of("on_failure")});
}

// Reads the keys of the step's kind into `st`.
void read_step_params(Session& s, MapReader& m, StepSpec& st, StepKind kind,
                      const std::string& playbook_path) {
  switch (kind) {
    case StepKind::kApprove:
      read_approve(m, st);
      break;
    case StepKind::kEnd: {
      if (auto o = m.str("outcome", kRequired)) {
        const bool word = !o->empty() && std::all_of(o->begin(), o->end(), [](char c) {
          return std::islower(static_cast<unsigned char>(c)) || c == '_';
        });
        if (!word) {
          m.error_at("outcome", "expected an outcome like escalated (lower case letters and '_'), got '" + *o + "'");
        } else if (*o == "interrupted") {
          m.error_at("outcome", "outcome 'interrupted' is reserved for runs cut short by an interrupt");
        } else {
          st.end_outcome = *o;
        }
      }
      st.message = m.str("reason").value_or("");
      st.end_rollback = m.boolean("rollback").value_or(false);
      break;
    }
    case StepKind::kFlagSet: {
      st.flag = m.str("flag", kRequired).value_or("");
      st.variant = m.str("variant", kRequired).value_or("");
      break;
    }
    case StepKind::kModelFailover: {
      st.to = m.str("to", kRequired).value_or("");
      break;
    }
    case StepKind::kPromptRollback: {
      st.version = m.str("version").value_or("");
      break;
    }
    case StepKind::kPromptDeploy: {
      st.version = m.str("version", kRequired).value_or("");
      break;
    }
    case StepKind::kModeFallback: {
      st.enabled = m.boolean("enabled").value_or(true);
      break;
    }
    case StepKind::kTrafficShed: {
      st.share = m.number_in("share", 0, 1, kRequired).value_or(0);
      break;
    }
    case StepKind::kWait: {
      st.duration = m.positive_duration("duration", kRequired).value_or(0);
      break;
    }
    case StepKind::kWaitFor: {
      if (auto c = read_condition(m, "condition", kRequired)) st.condition = *c;
      break;
    }
    case StepKind::kEscalate: {
      st.to = m.str("to", kRequired).value_or("");
      DurationDist ack;
      ack.kind = DistKind::kLognormal;
      ack.median = 2 * kMinute;
      ack.sigma = 0.5;
      st.ack_delay = m.dist("ack_delay").value_or(ack);
      st.wait_for_ack = m.boolean("wait").value_or(true);
      st.message = m.str("message").value_or("");
      break;
    }
    case StepKind::kNotify: {
      st.url = read_url(m, "url");
      st.text = m.str("text", kRequired).value_or("");
      st.headers = read_headers(m);
      break;
    }
    case StepKind::kHttp: {
      static const std::vector<std::string> kMethods = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"};
      st.method = m.one_of("method", kMethods, "HTTP method").value_or("GET");
      st.url = read_url(m, "url");
      st.headers = read_headers(m);
      if (m.has("body")) {
        const YAML::Node b = m.value("body");
        st.body = b.IsScalar() ? b.Scalar() : to_json(b).dump();
        if (st.method == "GET" || st.method == "HEAD") {
          m.error_at("body", "a " + st.method + " request has no body (use POST, PUT, PATCH or DELETE)");
        }
      }
      read_http_expect(m, st.expect);
      break;
    }
    case StepKind::kExec: {
      if (auto argv = m.strings("argv", kRequired)) {
        if (argv->empty()) {
          m.error_at("argv", "expected at least one item in 'argv' (the program to run)");
        } else if (argv->front().empty()) {
          m.error_at("argv", "expected a program as the first item of 'argv', got an empty string");
        } else {
          st.argv = *argv;
        }
      }
      if (auto env = m.string_map("env")) {
        for (const auto& [k, v] : *env) {
          if (!is_env_name(k)) {
            m.error_at("env", "invalid environment variable name '" + k + "' in 'env'");
          } else if (k.rfind("GAMEDAY_", 0) == 0) {
            m.error_at("env", "'" + k + "': GAMEDAY_* variables are set by gameday");
          } else {
            st.env[k] = v;
          }
        }
      }
      // Paths in a playbook are relative to the playbook's directory, the working directory too.
      st.cwd = resolve_path(dir_of(playbook_path), m.str("cwd").value_or(""));
      if (st.cwd.empty()) st.cwd = dir_of(playbook_path);
      break;
    }
    case StepKind::kGoldenCheck: {
      auto rate = m.number_in("min_pass_rate", 0, 1);
      if (auto set = m.str("set", kRequired)) {
        const std::string resolved = resolve_path(dir_of(playbook_path), *set);
        if (!s.exists(resolved)) {
          m.error_at("set", "golden set file '" + *set + "' not found" +
                                (resolved != *set ? " (looked for " + resolved + ")" : ""));
        } else {
          st.golden_set = resolved;
          const GoldenSet& gs = s.golden_set(resolved);
          st.min_pass_rate = rate.value_or(gs.min_pass_rate);
        }
      }
      if (rate) st.min_pass_rate = *rate;
      break;
    }
    case StepKind::kModelRollback:
      break;
  }
}

StepSpec read_step(Session& s, MapReader& m, const std::string& playbook_path, std::size_t index,
                   bool in_rollback, std::vector<GotoRef>* gotos, std::vector<IfRef>* ifs) {
  StepSpec st;
  st.loc = m.ctx().loc(m.mark());
  std::vector<std::string> keys = {"name", "kind", "timeout", "retries", "retry_delay", "on_failure", "when", "if"};
  // Unknown keys first, so a misspelt 'kind' is reported as a typo, not as missing.
  std::vector<std::string> all_keys = keys;
  for (StepKind k : values_of<StepKind>()) {
    for (const auto& key : step_keys(k)) {
      if (std::find(all_keys.begin(), all_keys.end(), key) == all_keys.end()) all_keys.push_back(key);
    }
  }
  m.allow(all_keys);
  const auto kind_value = read_enum<StepKind>(m, "kind", "step kind", kRequired);
  const std::optional<std::string> kind =
      kind_value ? std::optional<std::string>(to_name(*kind_value)) : std::nullopt;
  std::map<std::string, std::vector<std::string>> owners;  // key -> the kinds it belongs to
  for (StepKind k : values_of<StepKind>()) {
    for (const auto& key : step_keys(k)) owners[key].push_back(to_name(k));
  }
  std::map<std::string, std::string> elsewhere;
  for (const auto& [key, kinds] : owners) {
    const bool mine = !kind || std::find(kinds.begin(), kinds.end(), *kind) != kinds.end();
    if (mine) {
      // kind unknown: do not pile key errors on top
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
    } else {
      std::string list;
      for (std::size_t i = 0; i < kinds.size(); ++i) {
        list += (i == 0 ? "" : i + 1 == kinds.size() ? " and " : ", ") + kinds[i];
      }
      elsewhere[key] = "applies only to " + list + " steps";
    }
  }
  m.allow(keys, elsewhere);
  st.kind = kind_value.value_or(StepKind::kWait);
  st.name = m.str("name").value_or(kind.value_or("") + " #" + std::to_string(index + 1));
  st.timeout = m.positive_duration("timeout").value_or(0);
  st.retries = static_cast<int>(m.integer("retries", 0, 100).value_or(0));
  st.retry_delay = m.duration("retry_delay").value_or(st.retry_delay);
  read_on_failure(m, st, in_rollback, gotos, index);
  st.when = read_condition(m, "when", false);
  read_step_if(m, st, index, ifs);
  if (kind_value) read_step_params(s, m, st, *kind_value, playbook_path);
  if (kind_value == StepKind::kEnd && in_rollback) {
    m.error_at("kind", "an end step cannot be part of the rollback list");
  }
  return st;
}

void read_steps(Session& s, MapReader& top, const std::string& key, bool required,
                std::vector<StepSpec>& out) {
  auto list = top.list(key, required);
  if (!list) return;
  if (required && list->size() == 0) top.error_at(key, "expected at least one step in '" + key + "'");
  std::vector<GotoRef> gotos;
  std::vector<IfRef> ifs;
  std::size_t i = 0;
  for (const auto& item : *list) {
    MapReader m(top.ctx(), item, key + "[" + std::to_string(i) + "]", "for each item of '" + key + "'",
                top.mark_of(key));
    if (m.ok()) out.push_back(read_step(s, m, top.ctx().file(), i, key == "rollback", &gotos, &ifs));
    ++i;
  }
  check_if_refs(top.ctx(), key, out, ifs);
  // A goto names exactly one step of the same list.
  std::vector<std::string> names;
  for (const auto& st : out) names.push_back(st.name);
  for (const auto& g : gotos) {
    const auto n = std::count(names.begin(), names.end(), g.target);
    if (n == 0) {
      std::string msg = "goto target '" + g.target + "' is not a step of '" + key + "'";
      if (auto c = closest(g.target, names)) msg += " (did you mean '" + *c + "'?)";
      top.ctx().error(g.mark, msg);
    } else if (n > 1) {
      top.ctx().error(g.mark, "goto target '" + g.target + "' names " + std::to_string(n) +
                                  " steps; give the target a unique name");
    }
  }
}

bool is_patient_id(const std::string& id) {
  if (id.size() != 8 || id.rfind("pat-", 0) != 0) return false;
  return std::all_of(id.begin() + 4, id.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

// The keys of `trigger` after allow(): what starts the playbook, and when it starts again.
void read_trigger(FileCtx& ctx, MapReader& t, TriggerSpec& out) {
  // alert: a name, or a list of names any of which starts the playbook (`alerts` the same).
  if (t.has("alert") && t.has("alerts")) t.error_at("alerts", "write either 'alert' or 'alerts', not both");
  const std::string key = t.has("alerts") ? "alerts" : "alert";
  if (t.has(key) && t.value(key).IsSequence()) {
    out.alerts = t.strings(key).value_or(std::vector<std::string>{});
    if (out.alerts.empty()) t.error_at(key, "expected at least one alert name in '" + key + "'");
    if (key == "alerts") ctx.record("trigger.alert", t.mark_of(key));
  } else if (auto a = t.str(key)) {
    out.alerts = {*a};
    if (key == "alerts") ctx.record("trigger.alert", t.mark_of(key));
  }
  if (!out.alerts.empty()) out.alert = out.alerts.front();
  out.labels = t.string_map("labels").value_or(std::map<std::string, std::string>{});
  const auto manual = t.boolean("manual");
  out.manual = manual.value_or(false);
  out.at = t.duration("at");
  const bool bad_manual = t.has("manual") && !manual;  // already reported
  const bool bad_at = t.has("at") && !out.at;
  const bool alert = t.has("alert") || t.has("alerts");
  if (!alert && !out.manual && !t.has("at") && !bad_manual && !bad_at) {
    ctx.error(t.mark(), "expected 'alert: <name>', 'at: <time>' or 'manual: true' in 'trigger'");
  } else if (!alert && t.has("labels")) {
    t.error_at("labels", "'labels' needs an 'alert' to match");
  }
  out.cooldown = t.positive_duration("cooldown").value_or(0);
  if (t.has("rerun")) {
    MapReader r(ctx, t.value("rerun"), "trigger.rerun", "for 'rerun'", t.mark_of("rerun"));
    if (r.ok()) {
      r.allow({"every"});
      out.rerun_every = r.positive_duration("every", kRequired).value_or(0);
    }
  }
  for (const char* k : {"rerun", "cooldown"}) {
    if (t.has(k) && !alert) t.error_at(k, std::string("'") + k + "' needs an 'alert' trigger");
  }
}

}  // namespace

Playbook read_playbook(Session& s, const std::string& path) {
  Playbook pb;
  pb.file = path;
  auto doc = s.parse_yaml(path);
  if (!doc) return pb;
  FileCtx ctx(s, path);
  MapReader top(ctx, *doc, "", "at the top level", YAML::Mark());
  if (!top.ok()) return pb;
  top.allow({"name", "description", "mode", "trigger", "steps", "rollback"});
  pb.name = top.str("name", kRequired).value_or("");
  pb.description = top.str("description").value_or("");
  pb.manual = top.one_of("mode", {"auto", "manual"}, "playbook mode").value_or("auto") == "manual";
  if (top.require("trigger")) {
    MapReader t(ctx, top.value("trigger"), "trigger", "for 'trigger'", top.mark_of("trigger"));
    if (t.ok()) {
      t.allow({"alert", "alerts", "labels", "manual", "at", "rerun", "cooldown"});
      read_trigger(ctx, t, pb.trigger);
    }
  }
  read_steps(s, top, "steps", kRequired, pb.steps);
  read_steps(s, top, "rollback", false, pb.rollback);
  return pb;
}

GoldenSet read_golden_set(Session& s, const std::string& path) {
  GoldenSet gs;
  gs.file = path;
  auto doc = s.parse_yaml(path);
  if (!doc) return gs;
  FileCtx ctx(s, path);
  MapReader top(ctx, *doc, "", "at the top level", YAML::Mark());
  if (!top.ok()) return gs;
  top.allow({"name", "description", "min_pass_rate", "cases"});
  gs.name = top.str("name", kRequired).value_or("");
  gs.min_pass_rate = top.number_in("min_pass_rate", 0, 1).value_or(gs.min_pass_rate);
  auto list = top.list("cases", kRequired);
  if (!list) return gs;
  if (list->size() == 0) top.error_at("cases", "expected at least one case in 'cases'");
  const std::vector<std::string> tasks(std::begin(kTaskTypes), std::end(kTaskTypes));
  std::set<std::string> ids;
  std::size_t i = 0;
  for (const auto& item : *list) {
    const std::string item_path = "cases[" + std::to_string(i++) + "]";
    MapReader m(ctx, item, item_path, "for each item of 'cases'", top.mark_of("cases"));
    if (!m.ok()) continue;
    m.allow({"id", "task", "patient", "expect"});
    GoldenCase c;
    c.loc = ctx.loc(m.mark());
    c.id = m.str("id", kRequired).value_or("");
    if (!c.id.empty() && !ids.insert(c.id).second) m.error_at("id", "duplicate case id '" + c.id + "'");
    c.task_type = m.one_of("task", tasks, "task type", kRequired).value_or("");
    if (auto p = m.str("patient", kRequired)) {
      if (!is_patient_id(*p)) {
        m.error_at("patient", "expected a patient id like pat-0007, got '" + *p + "'");
      } else {
        c.patient = *p;
      }
    }
    if (m.has("expect")) {
      MapReader e(ctx, m.value("expect"), item_path + ".expect", "for 'expect'", m.mark_of("expect"));
      if (e.ok()) {
        e.allow({"correct", "must_cite", "must_contain", "must_not_contain", "must_refuse", "max_latency"});
        c.expect.correct = e.boolean("correct").value_or(true);
        c.expect.must_refuse = e.boolean("must_refuse").value_or(false);
        // A refusal has nothing to cite: citing defaults to the opposite of refusing.
        auto cite = e.boolean("must_cite");
        c.expect.must_cite = cite.value_or(!c.expect.must_refuse);
        if (cite && *cite && c.expect.must_refuse) {
          e.error_at("must_cite", "a case that must refuse cannot also require citations");
        }
        c.expect.must_contain = e.strings("must_contain").value_or(std::vector<std::string>{});
        c.expect.must_not_contain = e.strings("must_not_contain").value_or(std::vector<std::string>{});
        c.expect.max_latency = e.duration("max_latency").value_or(0);
      }
    }
    gs.cases.push_back(std::move(c));
  }
  return gs;
}

}  // namespace gameday::loader
