// fakes/: vendors.yaml, world.yaml, policies.yaml, assistant/{prompts.yaml, flags.json,
// assistant.yaml}.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <climits>
#include <set>

#include "load/json_schema.hpp"
#include "load/loader_detail.hpp"

namespace gameday::loader {

const std::vector<std::string>& fakes_files() {
  static const std::vector<std::string> kFiles = {
      "vendors.yaml",           "world.yaml",         "policies.yaml",
      "assistant/prompts.yaml", "assistant/flags.json", "assistant/assistant.yaml"};
  return kFiles;
}

namespace {

bool is_identifier(const std::string& s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Iterates the items of `key` (a list) of `m`, giving each item a path "key[i]".
template <typename F>
void for_each_item(MapReader& m, const std::string& key, bool required, F f) {
  auto l = m.list(key, required);
  if (!l) return;
  if (required && l->size() == 0) m.error_at(key, "expected at least one item in '" + key + "'");
  std::size_t i = 0;
  for (const auto& item : *l) {
    f(item, m.path_of(key) + "[" + std::to_string(i) + "]", i);
    ++i;
  }
}

// ---------------------------------------------------------------- vendors.yaml

std::vector<VendorProfile> read_vendors(Session& s, const std::string& path) {
  std::vector<VendorProfile> out;
  auto doc = s.parse_yaml(path);
  if (!doc) return out;
  FileCtx ctx(s, path);
  MapReader top(ctx, *doc, "", "at the top level", YAML::Mark());
  if (!top.ok()) return out;
  top.allow({"vendors"});
  std::set<std::string> ids;
  for_each_item(top, "vendors", kRequired, [&](const YAML::Node& item, const std::string& p, std::size_t) {
    MapReader m(ctx, item, p, "for each item of 'vendors'", top.mark_of("vendors"));
    if (!m.ok()) return;
    m.allow({"id", "name", "models", "ttft", "tokens_per_second", "error_rate", "ungrounded_rate",
             "price_per_1k_input", "price_per_1k_output", "formats"});
    VendorProfile v;
    v.id = m.str("id", kRequired).value_or("");
    if (!v.id.empty() && !is_identifier(v.id)) {
      m.error_at("id", "expected a vendor id of letters, digits, '-', '_' or '.', got '" + v.id + "'");
    } else if (!v.id.empty() && !ids.insert(v.id).second) {
      m.error_at("id", "duplicate vendor id '" + v.id + "'");
    }
    v.name = m.str("name", kRequired).value_or("");
    v.models = m.strings("models", kRequired).value_or(std::vector<std::string>{});
    if (m.has("models") && v.models.empty()) m.error_at("models", "expected at least one model");
    if (auto d = m.dist("ttft", kRequired)) v.ttft = *d;
    v.tokens_per_second = m.positive("tokens_per_second", kRequired).value_or(v.tokens_per_second);
    v.error_rate = m.number_in("error_rate", 0, 1).value_or(0);
    v.ungrounded_rate = m.number_in("ungrounded_rate", 0, 1).value_or(0);
    v.price_per_1k_input = m.number_in("price_per_1k_input", 0, 1000).value_or(0);
    v.price_per_1k_output = m.number_in("price_per_1k_output", 0, 1000).value_or(0);
    if (m.has("formats")) {
      v.formats = m.strings("formats").value_or(std::vector<std::string>{});
      if (v.formats.empty()) m.error_at("formats", "expected at least one wire format (openai, anthropic)");
      for (const auto& f : v.formats) {
        if (f != kOpenAiFormat && f != kAnthropicFormat) {
          m.error_at("formats", "unknown wire format '" + f + "' (expected openai or anthropic)");
        }
      }
    }
    out.push_back(std::move(v));
  });
  return out;
}

// ---------------------------------------------------------------- world.yaml

void read_world(Session& s, const std::string& path, WorldConfig& w) {
  auto doc = s.parse_yaml(path);
  if (!doc) return;
  FileCtx ctx(s, path);
  MapReader top(ctx, *doc, "", "at the top level", YAML::Mark());
  if (!top.ok()) return;
  top.allow({"seed", "patients", "plans", "given_names", "family_names"});
  w.seed = static_cast<std::uint64_t>(top.integer("seed", 0, LLONG_MAX).value_or(1));
  // Patient ids are "pat-0001".."pat-NNNN": four digits.
  w.patients = static_cast<int>(top.integer("patients", 1, 9999, kRequired).value_or(w.patients));
  std::set<std::string> codes;
  for_each_item(top, "plans", kRequired, [&](const YAML::Node& item, const std::string& p, std::size_t) {
    MapReader m(ctx, item, p, "for each item of 'plans'", top.mark_of("plans"));
    if (!m.ok()) return;
    m.allow({"code", "payor", "name"});
    PlanDef plan;
    plan.code = m.str("code", kRequired).value_or("");
    if (!plan.code.empty() && !codes.insert(plan.code).second) {
      m.error_at("code", "duplicate plan code '" + plan.code + "'");
    }
    plan.payor = m.str("payor", kRequired).value_or("");
    plan.name = m.str("name", kRequired).value_or("");
    w.plans.push_back(std::move(plan));
  });
  for (const char* key : {"given_names", "family_names"}) {
    auto names = top.strings(key, kRequired);
    if (names && names->empty()) top.error_at(key, std::string("expected at least one name in '") + key + "'");
    if (names) (std::string(key) == "given_names" ? w.given_names : w.family_names) = *names;
  }
}

// ---------------------------------------------------------------- policies.yaml

std::vector<PolicyDoc> read_policies(Session& s, const std::string& path) {
  std::vector<PolicyDoc> out;
  auto doc = s.parse_yaml(path);
  if (!doc) return out;
  FileCtx ctx(s, path);
  MapReader top(ctx, *doc, "", "at the top level", YAML::Mark());
  if (!top.ok()) return out;
  top.allow({"policies"});
  std::set<std::string> ids;
  std::set<std::pair<std::string, std::string>> current;  // (plan, topic)
  for_each_item(top, "policies", kRequired, [&](const YAML::Node& item, const std::string& p, std::size_t) {
    MapReader m(ctx, item, p, "for each item of 'policies'", top.mark_of("policies"));
    if (!m.ok()) return;
    m.allow({"id", "plan", "topic", "title", "version", "current", "question", "text", "facts"});
    PolicyDoc d;
    d.id = m.str("id", kRequired).value_or("");
    if (!d.id.empty() && !is_identifier(d.id)) {
      m.error_at("id", "expected a document id of letters, digits, '-', '_' or '.', got '" + d.id + "'");
    } else if (!d.id.empty() && !ids.insert(d.id).second) {
      m.error_at("id", "duplicate policy id '" + d.id + "'");
    }
    d.plan = m.str("plan", kRequired).value_or("");
    d.topic = m.str("topic", kRequired).value_or("");
    d.title = m.str("title", kRequired).value_or("");
    d.version = static_cast<int>(m.integer("version", 1, 1000).value_or(1));
    d.current = m.boolean("current").value_or(true);
    d.question = m.str("question", kRequired).value_or("");
    d.text = m.str("text", kRequired).value_or("");
    d.facts = m.strings("facts", kRequired).value_or(std::vector<std::string>{});
    if (m.has("facts") && d.facts.empty()) m.error_at("facts", "expected at least one fact");
    if (!d.text.empty()) {
      const YAML::Node facts = m.value("facts");
      for (std::size_t i = 0; i < d.facts.size(); ++i) {
        if (d.facts[i].empty() || d.text.find(d.facts[i]) == std::string::npos) {
          ctx.error(facts[i].Mark(), "fact '" + d.facts[i] + "' does not appear verbatim in the text of '" +
                                         d.id + "'");
        }
      }
    }
    if (d.current && !d.plan.empty() && !d.topic.empty() &&
        !current.insert({d.plan, d.topic}).second) {
      m.error_at("topic", "plan '" + d.plan + "' already has a current '" + d.topic +
                              "' document (mark the older one current: false)");
    }
    out.push_back(std::move(d));
  });
  return out;
}

// ---------------------------------------------------------------- prompts.yaml

std::vector<PromptVersion> read_prompts(Session& s, const std::string& path) {
  std::vector<PromptVersion> out;
  auto doc = s.parse_yaml(path);
  if (!doc) return out;
  FileCtx ctx(s, path);
  MapReader top(ctx, *doc, "", "at the top level", YAML::Mark());
  if (!top.ok()) return out;
  top.allow({"prompts"});
  std::set<std::string> versions;
  for_each_item(top, "prompts", kRequired, [&](const YAML::Node& item, const std::string& p, std::size_t) {
    MapReader m(ctx, item, p, "for each item of 'prompts'", top.mark_of("prompts"));
    if (!m.ok()) return;
    m.allow({"version", "system", "requires_citations", "good"});
    PromptVersion v;
    v.version = m.str("version", kRequired).value_or("");
    if (!v.version.empty() && !versions.insert(v.version).second) {
      m.error_at("version", "duplicate prompt version '" + v.version + "'");
    }
    v.system = m.str("system", kRequired).value_or("");
    v.requires_citations = m.boolean("requires_citations").value_or(true);
    v.good = m.boolean("good").value_or(true);
    // The fake vendor cites exactly when the system message says "cite": keep the flag honest.
    if (!v.system.empty()) {
      const bool says_cite = lower(v.system).find("cite") != std::string::npos;
      if (v.requires_citations && !says_cite) {
        m.error_at("system", "prompt '" + v.version +
                                 "' requires citations but its system text never says 'cite'");
      } else if (!v.requires_citations && says_cite) {
        m.error_at("system", "prompt '" + v.version +
                                 "' has requires_citations: false but its system text says 'cite'");
      }
    }
    out.push_back(std::move(v));
  });
  return out;
}

// ---------------------------------------------------------------- flags.json

// Positions of the values (and, under pointer + "#key", of the keys) of a JSON text that is
// already known to be valid, by JSON pointer: nlohmann keeps no positions after parsing, and
// yaml-cpp, which reads JSON as the YAML subset it is, keeps a mark on every node.
class JsonPositions {
 public:
  explicit JsonPositions(const std::string& text) {
    try {
      walk(YAML::Load(text), "");
    } catch (const YAML::Exception&) {
      // Valid JSON that yaml-cpp does not read (rare escapes): positions fall back to 1:1.
    }
  }
  std::pair<int, int> at(const std::string& pointer) const {
    auto it = pos_.find(pointer);
    return it == pos_.end() ? std::pair<int, int>{1, 1} : it->second;
  }
  std::pair<int, int> key(const std::string& pointer) const { return at(pointer + "#key"); }
  /// A JSON pointer token for `key` ("~" as "~0", "/" as "~1").
  static std::string escape(const std::string& key) {
    std::string out;
    for (char c : key) {
      if (c == '~') out += "~0";
      else if (c == '/') out += "~1";
      else out += c;
    }
    return out;
  }

 private:
  static std::pair<int, int> one_based(const YAML::Mark& m) {
    return {m.line < 0 ? 1 : m.line + 1, m.column < 0 ? 1 : m.column + 1};
  }
  void walk(const YAML::Node& n, const std::string& ptr) {
    pos_[ptr] = one_based(n.Mark());
    if (n.IsMap()) {
      for (auto it = n.begin(); it != n.end(); ++it) {
        const std::string child = ptr + "/" + escape(it->first.Scalar());
        pos_[child + "#key"] = one_based(it->first.Mark());
        walk(it->second, child);
      }
    } else if (n.IsSequence()) {
      std::size_t k = 0;
      for (const auto& item : n) walk(item, ptr + "/" + std::to_string(k++));
    }
  }

  std::map<std::string, std::pair<int, int>> pos_;
};

std::string json_kind(const nlohmann::ordered_json& j) {
  switch (j.type()) {
    case nlohmann::ordered_json::value_t::object: return "an object";
    case nlohmann::ordered_json::value_t::array: return "an array";
    case nlohmann::ordered_json::value_t::string: return "'" + j.get<std::string>() + "'";
    case nlohmann::ordered_json::value_t::null: return "null";
    default: return j.dump();
  }
}

std::vector<FlagDef> read_flags(Session& s, const std::string& path) {
  std::vector<FlagDef> out;
  auto text = s.read(path);
  if (!text) return out;
  Diagnostics& d = s.diag();
  nlohmann::ordered_json j;
  try {
    j = nlohmann::ordered_json::parse(*text);
  } catch (const nlohmann::json::parse_error& e) {
    const JsonSyntaxError at = json_syntax_error(*text, e);
    d.add(path, at.line, at.column, "invalid JSON: " + at.message);
    return out;
  } catch (const nlohmann::json::out_of_range& e) {
    const JsonSyntaxError at = json_syntax_error(*text, e);
    d.add(path, at.line, at.column, "invalid JSON: " + at.message);
    return out;
  }
  const JsonPositions pos(*text);
  auto error_at = [&](const std::pair<int, int>& lc, const std::string& msg) {
    d.add(path, lc.first, lc.second, msg);
  };
  // Reports keys of object `obj` (at `ptr`) that are not in `allowed`; returns the allowed keys
  // they look like typos of (so those are not also reported missing).
  auto allow = [&](const nlohmann::ordered_json& obj, const std::string& ptr,
                   const std::vector<std::string>& allowed) {
    std::set<std::string> typo_of;
    for (const auto& [k, _] : obj.items()) {
      if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
        error_at(pos.key(ptr + "/" + JsonPositions::escape(k)), unknown_key_message(k, allowed));
        if (auto c = closest(k, allowed)) typo_of.insert(*c);
      }
    }
    return typo_of;
  };
  if (!j.is_object()) {
    error_at(pos.at(""), "expected a JSON object at the top level, got " + json_kind(j));
    return out;
  }
  if (!j.contains("flags")) {
    if (!allow(j, "", {"$schema", "flags", "$evaluators", "metadata"}).count("flags")) {
      error_at(pos.at(""), "missing required key 'flags'");
    }
    return out;
  }
  allow(j, "", {"$schema", "flags", "$evaluators", "metadata"});
  const auto& flags = j["flags"];
  if (!flags.is_object()) {
    error_at(pos.at("/flags"), "expected an object for 'flags', got " + json_kind(flags));
    return out;
  }
  for (const auto& [name, def] : flags.items()) {
    const std::string ptr = "/flags/" + JsonPositions::escape(name);
    if (!def.is_object()) {
      error_at(pos.at(ptr), "expected an object for flag '" + name + "', got " + json_kind(def));
      continue;
    }
    const auto typo_of = allow(def, ptr, {"state", "variants", "defaultVariant", "targeting", "metadata"});
    FlagDef f;
    f.name = name;
    for (const char* key : {"state", "variants", "defaultVariant"}) {
      if (!def.contains(key) && !typo_of.count(key)) error_at(pos.at(ptr), "missing required key '" + std::string(key) + "' in flag '" + name + "'");
    }
    if (def.contains("state")) {
      const auto& st = def["state"];
      if (st == "ENABLED" || st == "DISABLED") {
        f.enabled = st == "ENABLED";
      } else {
        error_at(pos.at(ptr + "/state"),
                 "expected ENABLED or DISABLED for 'state', got " + json_kind(st));
      }
    }
    if (def.contains("variants")) {
      const auto& vs = def["variants"];
      if (!vs.is_object() || vs.empty()) {
        error_at(pos.at(ptr + "/variants"),
                 "expected an object of at least one variant for 'variants', got " + json_kind(vs));
      } else {
        for (const auto& [vname, v] : vs.items()) {
          f.variants[vname] = v.is_string() ? v.get<std::string>() : v.dump();
        }
      }
    }
    if (def.contains("defaultVariant")) {
      const auto& dv = def["defaultVariant"];
      if (!dv.is_string()) {
        error_at(pos.at(ptr + "/defaultVariant"),
                 "expected a string for 'defaultVariant', got " + json_kind(dv));
      } else {
        f.default_variant = dv.get<std::string>();
        if (!f.variants.empty() && !f.variants.count(f.default_variant)) {
          std::vector<std::string> names;
          for (const auto& [vn, _] : f.variants) names.push_back(vn);
          error_at(pos.at(ptr + "/defaultVariant"),
                   unknown_value_message("variant", f.default_variant, names));
        }
      }
    }
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------- assistant.yaml

const std::vector<std::string>& assistant_keys() {
  static const std::vector<std::string> kKeys = {
      "model_timeout", "model_retries",   "ehr_timeout",     "ehr_retries", "retry_backoff",
      "primary_route", "secondary_route", "prompt_version", "max_tokens", "retrieval",
      "tool_use",      "tool_rounds"};
  return kKeys;
}

namespace {

// `retrieval: {rank: none | embeddings, top_k: N, timeout: D}`.
void read_retrieval(MapReader& parent, RetrievalSpec& r) {
  if (!parent.has("retrieval")) return;
  MapReader m(parent.ctx(), parent.value("retrieval"), parent.path_of("retrieval"), "for 'retrieval'",
              parent.mark_of("retrieval"));
  if (!m.ok()) return;
  m.allow({"rank", "top_k", "timeout"});
  r.rank = read_enum<RetrievalRank>(m, "rank", "retrieval rank", false).value_or(r.rank);
  r.top_k = static_cast<int>(m.integer("top_k", 1, 64).value_or(r.top_k));
  r.timeout = m.positive_duration("timeout").value_or(r.timeout);
}

}  // namespace

void read_assistant_fields(MapReader& m, AssistantConfig& c) {
  m.allow(assistant_keys());
  c.model_timeout = m.positive_duration("model_timeout").value_or(c.model_timeout);
  c.model_retries = static_cast<int>(m.integer("model_retries", 0, 10).value_or(c.model_retries));
  c.ehr_timeout = m.positive_duration("ehr_timeout").value_or(c.ehr_timeout);
  c.ehr_retries = static_cast<int>(m.integer("ehr_retries", 0, 10).value_or(c.ehr_retries));
  c.retry_backoff = m.duration("retry_backoff").value_or(c.retry_backoff);
  c.primary_route = m.str("primary_route").value_or(c.primary_route);
  c.secondary_route = m.str("secondary_route").value_or(c.secondary_route);
  c.prompt_version = m.str("prompt_version").value_or(c.prompt_version);
  c.max_tokens = static_cast<int>(m.integer("max_tokens", 1, 32768).value_or(c.max_tokens));
  read_retrieval(m, c.retrieval);
  c.tool_use = m.boolean("tool_use").value_or(c.tool_use);
  c.tool_rounds = static_cast<int>(m.integer("tool_rounds", 1, 10).value_or(c.tool_rounds));
}

AssistantConfig read_assistant_config(Session& s, const std::string& path) {
  AssistantConfig c;
  auto doc = s.parse_yaml(path);
  if (!doc || doc->IsNull()) return c;  // an empty file means the built-in defaults
  FileCtx ctx(s, path);
  MapReader m(ctx, *doc, "", "at the top level", YAML::Mark());
  if (m.ok()) read_assistant_fields(m, c);
  return c;
}

// ---------------------------------------------------------------- the directory

Fakes read_fakes(Session& s, const std::string& dir) {
  Fakes f;
  const std::string vendors_path = resolve_path(dir, "vendors.yaml");
  const std::string world_path = resolve_path(dir, "world.yaml");
  const std::string policies_path = resolve_path(dir, "policies.yaml");
  const std::string assistant_path = resolve_path(dir, "assistant/assistant.yaml");
  f.vendors = read_vendors(s, vendors_path);
  read_world(s, world_path, f.world);
  f.world.policies = read_policies(s, policies_path);
  f.prompts = read_prompts(s, resolve_path(dir, "assistant/prompts.yaml"));
  f.flags = read_flags(s, resolve_path(dir, "assistant/flags.json"));
  f.assistant = s.assistant_config(assistant_path);
  // Optional: a fakes directory without them has no payloads and built-in hallucinations.
  if (const std::string p = resolve_path(dir, "injections.yaml"); s.exists(p)) {
    f.injections = read_injections(s, p);
  }
  if (const std::string p = resolve_path(dir, "hallucinations.yaml"); s.exists(p)) {
    f.hallucinations = read_hallucinations(s, p);
  }
  f.world.injections = f.injections;

  // Cross-file checks, reported where the dangling reference is written.
  Diagnostics& d = s.diag();
  if (!f.world.plans.empty()) {
    std::vector<std::string> codes;
    for (const auto& p : f.world.plans) codes.push_back(p.code);
    for (std::size_t i = 0; i < f.world.policies.size(); ++i) {
      const auto& doc = f.world.policies[i];
      if (doc.plan.empty() || std::find(codes.begin(), codes.end(), doc.plan) != codes.end()) continue;
      d.add(d.where(policies_path, "policies[" + std::to_string(i) + "].plan", {policies_path, 1, 1}),
            unknown_value_message("plan", doc.plan, codes));
    }
  }
  const SourceLoc top{assistant_path, 1, 1};
  if (!f.vendors.empty()) {
    std::vector<std::string> ids;
    for (const auto& v : f.vendors) ids.push_back(v.id);
    for (const auto& [key, route] : {std::pair<std::string, std::string>{"primary_route", f.assistant.primary_route},
                                     {"secondary_route", f.assistant.secondary_route}}) {
      if (std::find(ids.begin(), ids.end(), route) == ids.end()) {
        d.add(d.where(assistant_path, key, top), unknown_value_message("vendor", route, ids, key));
      }
    }
  }
  if (!f.prompts.empty()) {
    std::vector<std::string> versions;
    for (const auto& p : f.prompts) versions.push_back(p.version);
    if (std::find(versions.begin(), versions.end(), f.assistant.prompt_version) == versions.end()) {
      d.add(d.where(assistant_path, "prompt_version", top),
            unknown_value_message("prompt version", f.assistant.prompt_version, versions,
                                  "prompt_version"));
    }
  }
  return f;
}

}  // namespace gameday::loader
