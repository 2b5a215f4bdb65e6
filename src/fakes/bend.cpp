#include "fakes/bend.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <forward_list>
#include <string_view>
#include <unordered_map>

#include "fakes/extractive_model.hpp"
#include "fakes/injection.hpp"
#include "sim/json_text.hpp"

namespace gameday::bend {
namespace {

using extractive::is_alnum;
using extractive::kRefusal;

constexpr std::string_view kInstructionsPrefix = "My instructions are: ";

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }

// One sentence of an answer and the document it cites. Views point into the prompt, the
// material, or the draft's own store.
struct Part {
  std::string_view text;
  std::string_view doc;     // "" = uncited
  bool force_cite = false;  // cited even when the prompt does not ask (a foreign citation)
};

// An answer before rendering, so faults can bend it sentence by sentence. The unbent draft
// only points into the prompt: it copies nothing.
struct Draft {
  std::vector<Part> parts;
  bool refusal = false;
  bool cite = false;
  std::forward_list<std::string> store;  // text the faults made (stable addresses)

  // Keeps `s` for as long as the draft lives.
  std::string_view keep(std::string s) {
    store.push_front(std::move(s));
    return store.front();
  }
};

// The prompt as the model reads it: the (last) user message, the first system message, and
// whether a system message asks to cite.
struct PromptView {
  std::string_view system;
  std::string_view user;
  bool cite = false;
};

// What the model reads in a system message: whether it asks to cite, and whether it restricts
// the answer ("only"). A run sends the same few system prompts with every request: the last
// one's words are kept (per thread) and reused when the next message is the same text, which
// one comparison tells faster than a case-insensitive search of it.
struct SystemWords {
  bool cite = false;
  bool only = false;
};

const SystemWords& system_words(std::string_view system) {
  // At first the kept text is "", whose words (neither) the defaults already are.
  thread_local std::string last;
  thread_local SystemWords words;
  if (system != last) {
    last.assign(system);
    words.cite = extractive::icontains(system, "cite");
    words.only = extractive::icontains(system, "only");
  }
  return words;
}

PromptView view_of(const ChatRequest& req) {
  PromptView v;
  for (const ChatMessage& m : req.messages) {
    if (m.role == "user") v.user = m.content;
    if (m.role == "system" && v.system.empty()) v.system = m.content;
    if (m.role == "system" && !v.cite) v.cite = system_words(m.content).cite;
  }
  return v;
}

// extractive::extract() is a pure function of the user message, and a run asks about the same
// few hundred (patient, question) pairs over and over: its picks are kept per message text, as
// offsets into it (one cache per thread; `gameday ci` runs simulations on several). Bounded:
// emptied when full.
extractive::Extraction cached_extract(std::string_view user) {
  struct Entry {
    int n = 0;
    std::pair<std::size_t, std::size_t> sentence[2], doc[2];
    int score[2] = {0, 0};
    std::size_t order[2] = {0, 0};
  };
  constexpr std::size_t kMaxEntries = 4096;
  // Looked up by the message's view: a hit copies nothing.
  struct ViewHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view v) const { return std::hash<std::string_view>{}(v); }
  };
  thread_local std::unordered_map<std::string, Entry, ViewHash, std::equal_to<>> cache;
  const auto offset = [&](std::string_view part) {
    return std::pair<std::size_t, std::size_t>(static_cast<std::size_t>(part.data() - user.data()), part.size());
  };
  extractive::Extraction x;
  if (const auto it = cache.find(user); it != cache.end()) {
    const Entry& e = it->second;
    x.n = e.n;
    for (int i = 0; i < e.n; ++i) {
      x.picks[i].score = e.score[i];
      x.picks[i].order = e.order[i];
      x.picks[i].sentence = user.substr(e.sentence[i].first, e.sentence[i].second);
      x.picks[i].doc_id = user.substr(e.doc[i].first, e.doc[i].second);
    }
    return x;
  }
  x = extractive::extract(user);
  Entry e;
  e.n = x.n;
  for (int i = 0; i < x.n; ++i) {
    e.score[i] = x.picks[i].score;
    e.order[i] = x.picks[i].order;
    e.sentence[i] = offset(x.picks[i].sentence);
    e.doc[i] = offset(x.picks[i].doc_id);
  }
  if (cache.size() >= kMaxEntries) cache.clear();
  cache.emplace(std::string(user), e);
  return x;
}

Draft draft_of(const PromptView& pv) {
  Draft d;
  d.cite = pv.cite;
  const extractive::Extraction x = cached_extract(pv.user);
  d.refusal = x.n == 0;
  d.parts.reserve(static_cast<std::size_t>(x.n));
  for (int i = 0; i < x.n; ++i) d.parts.push_back(Part{x.picks[i].sentence, x.picks[i].doc_id});
  return d;
}

bool cited(const Draft& d, const Part& p) { return (d.cite || p.force_cite) && !p.doc.empty(); }

// The answer text: the parts joined by one space (the refusal for a refusal).
std::string joined(const Draft& d) {
  if (d.refusal) return std::string(kRefusal);
  std::string s;
  for (const Part& p : d.parts) {
    if (!s.empty()) s += ' ';
    s += p.text;
  }
  return s;
}

// Appends the draft's distinct cited documents in order, ", "-separated, as JSON strings or
// (not `json`) single-quoted; none for a refusal.
void append_citations(std::string& out, const Draft& d, bool json) {
  if (d.refusal) return;
  bool first = true;
  for (std::size_t i = 0; i < d.parts.size(); ++i) {
    const Part& p = d.parts[i];
    const auto same = [&](const Part& q) { return cited(d, q) && q.doc == p.doc; };
    if (!cited(d, p) || std::any_of(d.parts.begin(), d.parts.begin() + static_cast<long>(i), same)) {
      continue;
    }
    if (!first) out += ", ";
    first = false;
    if (json) {
      append_json_string(out, p.doc);
    } else {
      ((out += '\'') += p.doc) += '\'';
    }
  }
}

// Renders the draft as prose ("S1. [doc:A] S2. [doc:B]", citations when asked) or as the JSON
// answer {"answer": "S1. S2.", "citations": ["A", "B"]}.
std::string render(const Draft& d, bool json) {
  std::string out;
  std::size_t size = 64;
  for (const Part& p : d.parts) size += p.text.size() + 2 * p.doc.size() + 8;
  out.reserve(size);
  if (json) {
    out += "{\"answer\": \"";
    if (d.refusal) append_json_chars(out, kRefusal);
    for (std::size_t i = 0; i < d.parts.size() && !d.refusal; ++i) {
      if (i > 0) out += ' ';
      append_json_chars(out, d.parts[i].text);
    }
    out += "\", \"citations\": [";
    append_citations(out, d, true);
    out += "]}";
    return out;
  }
  if (d.refusal) return std::string(kRefusal);
  for (const Part& p : d.parts) {
    if (!out.empty()) out += ' ';
    out += p.text;
    if (cited(d, p)) ((out += " [doc:") += p.doc) += ']';
  }
  return out;
}

const std::string& pick_from(const std::vector<std::string>& list, Rng& rng,
                             std::string_view avoid = {}) {
  std::size_t i = static_cast<std::size_t>(rng.below(list.size()));
  if (list[i] == avoid && list.size() > 1) i = (i + 1) % list.size();
  return list[i];
}

// A plausible id of a document the model was not given: a later version ("-v9"), or "-v2".
std::string foreign_id(std::string_view id, const std::vector<std::string_view>& given) {
  std::string out;
  const std::size_t v = id.rfind("-v");
  bool versioned = v != std::string_view::npos && v + 2 < id.size();
  for (std::size_t i = v + 2; versioned && i < id.size(); ++i) versioned = is_digit(id[i]);
  if (versioned) {
    out = std::string(id.substr(0, v)) + (id.substr(v) == "-v9" ? "-v8" : "-v9");
  } else {
    out = std::string(id.empty() ? std::string_view("policy-general") : id) + "-v2";
  }
  while (std::find(given.begin(), given.end(), out) != given.end()) out += "-a";
  return out;
}

// Code shapes, at [i, end) of `s`: the length of a code starting at i, or 0.
bool code_start_ok(std::string_view s, std::size_t i) {
  return i == 0 || !(is_alnum(s[i - 1]) || s[i - 1] == '-' || s[i - 1] == '.');
}
bool code_end_ok(std::string_view s, std::size_t j) {
  if (j >= s.size()) return true;
  if (is_alnum(s[j]) || s[j] == '-') return false;
  return !(s[j] == '.' && j + 1 < s.size() && is_alnum(s[j + 1]));
}
std::size_t icd_len(std::string_view s, std::size_t i) {
  if (i + 5 > s.size() || !is_upper(s[i]) || !is_digit(s[i + 1]) || !is_digit(s[i + 2]) ||
      s[i + 3] != '.') {
    return 0;
  }
  std::size_t j = i + 4;
  while (j < s.size() && j < i + 8 && (is_digit(s[j]) || is_upper(s[j]))) ++j;
  return j > i + 4 && code_end_ok(s, j) ? j - i : 0;
}
std::size_t cpt_len(std::string_view s, std::size_t i) {
  if (i + 5 > s.size() || !(is_digit(s[i]) || is_upper(s[i]))) return 0;
  for (std::size_t k = 1; k < 5; ++k) {
    if (!is_digit(s[i + k])) return 0;
  }
  return code_end_ok(s, i + 5) ? 5 : 0;
}

// `s` with every CPT- and ICD-shaped code replaced by another code of the same kind; false
// (and `out` unspecified) when it has none.
bool replace_codes(std::string_view s, const HallucinationMaterial& m, Rng& rng, std::string& out) {
  bool changed = false;
  std::size_t i = 0;
  while (i < s.size()) {
    if (code_start_ok(s, i)) {
      if (const std::size_t n = icd_len(s, i); n > 0) {
        out += pick_from(m.icd_codes, rng, s.substr(i, n));
        i += n;
        changed = true;
        continue;
      }
      if (const std::size_t n = cpt_len(s, i); n > 0) {
        out += pick_from(m.cpt_codes, rng, s.substr(i, n));
        i += n;
        changed = true;
        continue;
      }
    }
    out += s[i++];
  }
  return changed;
}

std::size_t digits_at(std::string_view s, std::size_t from) {
  std::size_t j = from;
  while (j < s.size() && is_digit(s[j])) ++j;
  return j - from;
}

long long number_at(std::string_view s, std::size_t from, std::size_t n) {
  long long v = 0;
  for (std::size_t k = 0; k < n; ++k) v = v * 10 + (s[from + k] - '0');
  return v;
}

// At s[i], a date YYYY-MM-DD: appends it with the day moved by 8 (staying in 1..28 when it
// wraps) and returns its length; 0 when there is none.
std::size_t alter_date(std::string_view s, std::size_t i, std::string& out) {
  if (!(digits_at(s, i) == 4 && i + 10 <= s.size() && s[i + 4] == '-' && digits_at(s, i + 5) == 2 &&
        s[i + 7] == '-' && digits_at(s, i + 8) == 2 && code_end_ok(s, i + 10))) {
    return 0;
  }
  const long long moved = (number_at(s, i + 8, 2) - 1 + 8) % 28 + 1;
  out.append(s.substr(i, 8));
  char buf[4];
  std::snprintf(buf, sizeof buf, "%02lld", moved);
  out += buf;
  return 10;
}

// `s` with amounts, small numbers and dates altered (see FakeVendor); false (and `out`
// unspecified) when it has none.
bool alter_numbers(std::string_view s, std::string& out) {
  bool changed = false;
  std::size_t i = 0;
  while (i < s.size()) {
    const bool start_ok = code_start_ok(s, i);
    if (const std::size_t n = start_ok ? alter_date(s, i, out) : 0; n > 0) {
      i += n;
      changed = true;
    } else if (const std::size_t d = s[i] == '$' ? digits_at(s, i + 1) : 0; d > 0 && d <= 6) {
      // An amount: "$30" -> "$45".
      const long long v = number_at(s, i + 1, d);
      out += '$';
      out += std::to_string(v == 0 ? 25 : std::llround(static_cast<double>(v) * 1.5));
      i += 1 + d;
      changed = true;
    } else if (is_digit(s[i]) && start_ok && (i == 0 || s[i - 1] != '$')) {
      // A small plain number (not part of a code, an identifier or a decimal).
      const std::size_t k = digits_at(s, i);
      if (k <= 4 && code_end_ok(s, i + k)) {
        const long long v = number_at(s, i, k);
        out += std::to_string(v + std::max(1LL, std::llround(static_cast<double>(v) * 0.3)));
        changed = true;
      } else {
        out.append(s.substr(i, k));
      }
      i += k;
    } else {
      out += s[i++];
    }
  }
  return changed;
}

// Rewrites each part's text with `rewrite` (bool(std::string_view, std::string&)); whether any
// part changed.
template <class F>
bool rewrite_parts(Draft& d, F&& rewrite) {
  bool changed = false;
  for (Part& p : d.parts) {
    std::string out;
    if (rewrite(p.text, out)) {
      p.text = d.keep(std::move(out));
      changed = true;
    }
  }
  return changed;
}

// The modes a "mixed" hallucination draws from, in draw order.
constexpr HallucinationMode kDrawnHallucinations[] = {
    HallucinationMode::kFabricatedCode, HallucinationMode::kUnsupportedFact,
    HallucinationMode::kForeignCitation, HallucinationMode::kAlteredNumbers};

std::string code_sentence(const HallucinationMaterial& m, Rng& rng) {
  return "The billing code for this service is CPT " + pick_from(m.cpt_codes, rng) + ".";
}

// A hallucinating model answers what it cannot know, citing what it was given.
void answer_refusal(Draft& d, HallucinationMode mode, const HallucinationMaterial& m,
                    const std::vector<std::string_view>& given, Rng& rng) {
  d.refusal = false;
  Part p;
  p.text = mode == HallucinationMode::kFabricatedCode ? d.keep(code_sentence(m, rng))
                                                       : std::string_view(pick_from(m.facts, rng));
  if (!given.empty()) p.doc = given.front();
  if (mode == HallucinationMode::kForeignCitation) {
    p.doc = d.keep(foreign_id(given.empty() ? std::string_view() : given.front(), given));
    p.force_cite = true;
  }
  d.parts.push_back(p);
}

// Bends the draft as one hallucination of `mode` (mixed: one drawn).
void hallucinate(Draft& d, HallucinationMode mode, const HallucinationMaterial& m,
                 const std::vector<std::string_view>& given, Rng& rng) {
  if (mode == HallucinationMode::kMixed) mode = kDrawnHallucinations[rng.below(4)];
  if (d.refusal) return answer_refusal(d, mode, m, given, rng);
  const std::string_view last_doc = d.parts.empty() ? std::string_view() : d.parts.back().doc;
  bool changed = false;
  switch (mode) {
    case HallucinationMode::kFabricatedCode:
      changed = rewrite_parts(d, [&](std::string_view s, std::string& out) {
        return replace_codes(s, m, rng, out);
      });
      if (!changed) d.parts.push_back(Part{d.keep(code_sentence(m, rng)), last_doc});
      return;
    case HallucinationMode::kForeignCitation: {
      Part& p = d.parts.back();
      p.doc = d.keep(foreign_id(p.doc.empty() && !given.empty() ? given.front() : p.doc, given));
      p.force_cite = true;
      return;
    }
    case HallucinationMode::kAlteredNumbers:
      changed = rewrite_parts(d, alter_numbers);
      break;
    case HallucinationMode::kUnsupportedFact:
    case HallucinationMode::kMixed:  // drawn above
      break;
  }
  // Unsupported facts, and altered numbers when there were none to alter.
  if (!changed) d.parts.push_back(Part{pick_from(m.facts, rng), last_doc});
}

// The first MRN-shaped identifier of the prompt ("" when none).
std::string_view first_mrn(std::string_view s) {
  for (std::size_t p = s.find("SYN-"); p != std::string_view::npos; p = s.find("SYN-", p + 1)) {
    if (digits_at(s, p + 4) == 7) return s.substr(p, 11);
  }
  return {};
}

// The tool call an injected instruction asks for.
ToolCall tool_call_for(const InjectedInstruction& in, const PromptView& pv, const ChatResponse& r) {
  constexpr std::string_view kIdPrefix = "chatcmpl-";
  ToolCall tc;
  tc.id = "call_" + r.id.substr(kIdPrefix.size(), 12);
  tc.name = std::string(in.tool);
  std::string args = "{\"patient\": ";
  const std::string_view mrn = first_mrn(pv.user);
  append_json_string(args, mrn.empty() ? std::string_view("current patient") : mrn);
  if (!in.canary.empty()) {
    args += ", \"reference\": ";
    append_json_string(args, in.canary);
  }
  args += '}';
  tc.arguments = std::move(args);
  return tc;
}

// Obeys an injected instruction: tool calls go to the response, text to the draft.
void obey(const InjectedInstruction& in, const PromptView& pv, Draft& d, ChatResponse& r) {
  if (in.action == InjectionAction::kToolCall) {
    r.tool_calls.push_back(tool_call_for(in, pv, r));
    return;
  }
  if (d.refusal) {
    // Keep the refusal sentence and add to it.
    d.refusal = false;
    d.parts.push_back(Part{kRefusal, ""});
  }
  if (in.action == InjectionAction::kRevealSystemPrompt) {
    d.parts.push_back(Part{d.keep(std::string(kInstructionsPrefix) + std::string(pv.system)), ""});
  } else {
    d.parts.push_back(Part{in.say, ""});  // a view into the prompt
  }
}

// The modes a "mixed" schema break draws from, in draw order.
constexpr SchemaBreakMode kDrawnSchemaBreaks[] = {
    SchemaBreakMode::kInvalidJson, SchemaBreakMode::kTruncated, SchemaBreakMode::kMissingField};

// Renders a JSON answer broken as `mode` (mixed: one drawn).
std::string break_schema(const Draft& d, SchemaBreakMode mode, Rng& rng, ChatResponse& r) {
  if (mode == SchemaBreakMode::kMixed) mode = kDrawnSchemaBreaks[rng.below(3)];
  std::string s;
  if (mode == SchemaBreakMode::kInvalidJson) {
    // A Python-style mapping: single quotes, not JSON.
    s = "{'answer': '" + joined(d) + "', 'citations': [";
    append_citations(s, d, false);
    return s + "]}";
  }
  if (mode == SchemaBreakMode::kTruncated) {
    s = render(d, true);
    const std::size_t start = std::string_view("{\"answer\": \"").size();
    std::size_t cut = std::min(s.size(), start + std::max<std::size_t>(1, joined(d).size() / 2));
    while (cut > start && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    s.resize(cut);
    r.finish_reason = "length";
    return s;
  }
  // missing_field
  if (rng.bernoulli(0.5)) {
    s = "{\"answer\": ";
    append_json_string(s, joined(d));
    return s + '}';
  }
  s = "{\"citations\": [";
  append_citations(s, d, true);
  return s + "]}";
}

// Edits the draft under the drift, refusal, ungrounded, hallucination and injection bends.
void bend_draft(const PromptView& pv, const Bends& b, const HallucinationMaterial& m, Rng& rng,
                Draft& d, ChatResponse& r, std::vector<std::string>& fault_ids) {
  bool drift_refuses = false, drift_hallucinates = false;
  if (b.drift) {
    const DriftFault& drift = *b.drift->as<DriftFault>();
    drift_refuses = rng.uniform01() < drift.refusal_rate;
    drift_hallucinates = rng.uniform01() < drift.hallucination_rate;
    fault_ids.push_back(b.drift->id);
  }
  if ((b.refusal || drift_refuses) && !d.refusal) {
    d.parts.clear();
    d.refusal = true;
    if (b.refusal && !drift_refuses) fault_ids.push_back(b.refusal->id);
    return;
  }
  if (b.ungrounded && !d.refusal) d.parts.push_back(Part{pick_from(m.facts, rng), ""});
  if (b.hallucination || drift_hallucinates) {
    const HallucinationMode mode =
        b.hallucination ? b.hallucination->as<HallucinationFault>()->mode : HallucinationMode::kMixed;
    hallucinate(d, mode, m, extractive::context_ids(pv.user), rng);
    if (b.hallucination) fault_ids.push_back(b.hallucination->id);
  }
  if (!b.injection) return;
  if (const auto in = find_injected_instruction(pv.user); in && in->action) {
    if (rng.uniform01() < b.injection->as<InjectionFollowingFault>()->susceptibility) {
      obey(*in, pv, d, r);
      fault_ids.push_back(b.injection->id);
    }
  }
}

}  // namespace

const HallucinationMaterial& builtin_material() {
  static const HallucinationMaterial m{
      {"99215", "97163", "72158", "20610", "93000", "J1100"},
      {"M54.50", "R07.9", "J45.909", "E78.5", "K21.9", "G47.33"},
      {"The plan also covers acupuncture with no copay.",
       "A second opinion was documented by the consulting cardiologist.",
       "Coverage for this service resets every 90 days."}};
  return m;
}

bool grounded_prompt(const ChatRequest& req) {
  for (const ChatMessage& m : req.messages) {
    if (m.role == "system") return system_words(m.content).only;
  }
  return false;
}

std::string plain_answer(const ChatRequest& req) {
  return render(draft_of(view_of(req)), req.json_output);
}

std::string bent_answer(const ChatRequest& req, const Bends& b, const HallucinationMaterial& m,
                        Rng& rng, ChatResponse& r, std::vector<std::string>& fault_ids) {
  const PromptView pv = view_of(req);
  Draft d = draft_of(pv);
  bend_draft(pv, b, m, rng, d, r, fault_ids);
  if (!r.tool_calls.empty()) {
    r.finish_reason = "tool_calls";
    return std::string();
  }
  if (b.schema && req.json_output) {
    fault_ids.push_back(b.schema->id);
    return break_schema(d, b.schema->as<SchemaBreakFault>()->mode, rng, r);
  }
  return render(d, req.json_output);
}

}  // namespace gameday::bend
