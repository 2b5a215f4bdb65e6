// fakes/injections.yaml and fakes/hallucinations.yaml: what the faults that bend answers draw on.
#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "load/loader_detail.hpp"
#include "fakes/injection.hpp"

namespace gameday::loader {

const std::vector<std::string>& optional_fakes_files() {
  static const std::vector<std::string> kFiles = {"injections.yaml", "hallucinations.yaml"};
  return kFiles;
}

namespace {

const std::vector<std::string> kPlaceholders = {"canary", "other_patient_name",
                                                "other_patient_mrn"};

bool is_identifier(const std::string& s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool cpt_shaped(const std::string& s) {
  return s.size() == 5 && (is_digit(s[0]) || is_upper(s[0])) &&
         std::all_of(s.begin() + 1, s.end(), is_digit);
}

bool icd_shaped(const std::string& s) {
  if (s.size() < 5 || s.size() > 8 || !is_upper(s[0]) || !is_digit(s[1]) || !is_digit(s[2]) ||
      s[3] != '.') {
    return false;
  }
  return std::all_of(s.begin() + 4, s.end(), [](char c) { return is_digit(c) || is_upper(c); });
}

// Fills a payload's placeholders with sample values, as the world fills them per patient.
std::string sample_fill(const std::string& text, const std::string& canary) {
  std::string out = text;
  const std::map<std::string, std::string> values = {{"{canary}", canary},
                                                     {"{other_patient_name}", "Sample Patient"},
                                                     {"{other_patient_mrn}", "SYN-0000000"}};
  for (const auto& [key, value] : values) {
    for (std::size_t p = out.find(key); p != std::string::npos; p = out.find(key, p + value.size())) {
      out.replace(p, key.size(), value);
    }
  }
  return out;
}

std::string action_hint(InjectionAction action) {
  switch (action) {
    case InjectionAction::kToolCall: return "write 'call the <name> tool'";
    case InjectionAction::kRevealSystemPrompt: return "write 'system prompt'";
    case InjectionAction::kOtherPatientPhi: return "quote a sentence holding {other_patient_mrn}";
    case InjectionAction::kEmitCanary: return "quote a sentence holding {canary}";
    case InjectionAction::kSay: return "quote a sentence";
  }
  return "";
}

// The checks of one payload's text; problems are reported at the text. The wording is checked
// against the declared action only when `action_known` (an unknown action is reported already).
void check_payload_text(MapReader& m, const InjectionPayload& p, bool action_known) {
  const std::string& t = p.text;
  if (t.find('\n') != std::string::npos) {
    m.error_at("text", "the text of payload '" + p.id + "' must be one line (the fake model reads "
                       "an instruction to the end of its line; use >- for long text)");
    return;
  }
  for (std::size_t open = t.find('{'); open != std::string::npos; open = t.find('{', open + 1)) {
    const std::size_t close = t.find('}', open);
    if (close == std::string::npos) break;
    const std::string name = t.substr(open + 1, close - open - 1);
    if (std::find(kPlaceholders.begin(), kPlaceholders.end(), name) == kPlaceholders.end()) {
      m.error_at("text", "unknown placeholder '{" + name + "}' in the text of payload '" + p.id +
                             "' (expected {canary}, {other_patient_name} or {other_patient_mrn})");
      return;
    }
  }
  if (t.find("{canary}") == std::string::npos &&
      (p.canary.empty() || t.find(p.canary) == std::string::npos)) {
    m.error_at("text", "the text of payload '" + p.id +
                           "' does not carry its canary: write {canary} in it");
    return;
  }
  const std::string filled = sample_fill(t, p.canary.empty() ? "GDCANARY-00000000" : p.canary);
  std::size_t marker = std::string::npos;
  for (std::string_view mk : kInjectionMarkers) marker = std::min(marker, ifind(filled, mk));
  if (marker == std::string::npos) {
    m.error_at("text", "the fake model would not recognize payload '" + p.id +
                           "' as an instruction: write 'IMPORTANT SYSTEM NOTE' or 'ignore "
                           "previous instructions' in it");
    return;
  }
  if (!action_known) return;
  const InjectedInstruction in = read_instruction(std::string_view(filled).substr(marker));
  if (in.action != p.action) {
    m.error_at("text", "payload '" + p.id + "' declares action '" + to_name(p.action) +
                           "' but the fake model reads its wording as " +
                           (!in.action ? std::string("nothing to act on") : "'" + to_name(*in.action) + "'") +
                           " (" + action_hint(p.action) + ")");
  }
}

}  // namespace

std::vector<InjectionPayload> read_injections(Session& s, const std::string& path) {
  std::vector<InjectionPayload> out;
  auto doc = s.parse_yaml(path);
  if (!doc) return out;
  FileCtx ctx(s, path);
  MapReader top(ctx, *doc, "", "at the top level", YAML::Mark());
  if (!top.ok()) return out;
  top.allow({"payloads"});
  auto list = top.list("payloads", kRequired);
  if (!list) return out;
  if (list->size() == 0) top.error_at("payloads", "expected at least one item in 'payloads'");
  std::set<std::string> ids;
  std::map<std::string, std::string> canaries;  // canary -> payload id
  std::size_t i = 0;
  for (const auto& item : *list) {
    MapReader m(ctx, item, "payloads[" + std::to_string(i++) + "]", "for each item of 'payloads'",
                top.mark_of("payloads"));
    if (!m.ok()) continue;
    m.allow({"id", "action", "canary", "text"});
    InjectionPayload p;
    p.loc = ctx.loc(m.mark());
    p.id = m.str("id", kRequired).value_or("");
    if (!p.id.empty() && !is_identifier(p.id)) {
      m.error_at("id", "expected a payload id of letters, digits, '-', '_' or '.', got '" + p.id + "'");
    } else if (!p.id.empty() && !ids.insert(p.id).second) {
      m.error_at("id", "duplicate payload id '" + p.id + "'");
    }
    const auto action = read_enum<InjectionAction>(m, "action", "injection action", kRequired,
                                                   [](InjectionAction a) { return a != InjectionAction::kSay; });
    if (action) p.action = *action;
    if (auto c = m.str("canary", kRequired)) {
      if (!is_canary_token(*c)) {
        m.error_at("canary", "expected a canary token like GDCANARY-1a2b3c4d (GDCANARY- and 8 "
                             "lowercase hex digits) for 'canary', got '" + *c + "'");
      } else if (auto [it, fresh] = canaries.emplace(*c, p.id); !fresh) {
        m.error_at("canary", "duplicate canary '" + *c + "' (payload '" + it->second +
                                 "' has it): each payload needs its own");
      } else {
        p.canary = *c;
      }
    }
    p.text = m.str("text", kRequired).value_or("");
    if (!p.text.empty()) check_payload_text(m, p, action.has_value());
    out.push_back(std::move(p));
  }
  return out;
}

HallucinationMaterial read_hallucinations(Session& s, const std::string& path) {
  HallucinationMaterial out;
  auto doc = s.parse_yaml(path);
  if (!doc) return out;
  FileCtx ctx(s, path);
  MapReader top(ctx, *doc, "", "at the top level", YAML::Mark());
  if (!top.ok()) return out;
  top.allow({"cpt_codes", "icd_codes", "facts"});
  auto read = [&](const std::string& key, auto check, const std::string& expected) {
    std::vector<std::string> values;
    auto list = top.list(key, kRequired);
    if (!list) return values;
    if (list->size() == 0) top.error_at(key, "expected at least one item in '" + key + "'");
    for (const auto& item : *list) {
      const YAML::Mark mark = item.Mark().line >= 0 ? item.Mark() : top.mark_of(key);
      if (!item.IsScalar() || !check(item.Scalar())) {
        ctx.error(mark, "expected " + expected + " for each item of '" + key + "', got " +
                            describe_node(item));
        continue;
      }
      values.push_back(item.Scalar());
    }
    return values;
  };
  out.cpt_codes = read("cpt_codes", cpt_shaped,
                       "a CPT-shaped code (5 digits, or a capital letter and 4 digits)");
  out.icd_codes = read("icd_codes", icd_shaped,
                       "an ICD-10-shaped code (a capital letter, 2 digits, '.', then 1 to 4 "
                       "capitals or digits)");
  // One sentence each: the fake vendor splits answers on ". ".
  out.facts = read(
      "facts",
      [](const std::string& f) {
        return f.size() > 1 && f.back() == '.' && f.find(". ") == std::string::npos &&
               f.find('\n') == std::string::npos;
      },
      "one sentence ending with '.'");
  return out;
}

}  // namespace gameday::loader
