// The `faults` list of a scenario: targets, kinds, triggers and each kind's parameters, and the
// checks of faults against the fakes (vendor models, injection payloads, prompts, flags).
#include <algorithm>
#include <set>

#include "load/loader.hpp"
#include "load/loader_detail.hpp"

namespace gameday::loader {
namespace {

enum class Target { kVendor, kEhr, kAssistant };

const std::vector<std::string> kVendorKinds = {"latency",       "error",       "hang",
                                               "hallucination", "injection_following",
                                               "schema_break",  "refusal_storm", "drift",
                                               // live-only (the HTTP server acts them out;
                                               // simulated as a failure without a status)
                                               "reset",         "stream_stall", "stream_break"};
const std::vector<std::string> kEhrKinds = {"latency",         "error",          "timeout",
                                            "wrong_patient",   "irrelevant_docs", "stale_docs",
                                            "empty_results",   "truncated_paging",
                                            "poisoned_note"};
const std::vector<std::string> kAssistantKinds = {"prompt_deploy", "config_change"};

const std::vector<std::string>& kinds_of(std::optional<Target> t) {
  static const std::vector<std::string> kAll = [] {
    std::vector<std::string> all;
    for (const auto* list : {&kVendorKinds, &kEhrKinds, &kAssistantKinds}) {
      for (const auto& k : *list) {
        if (std::find(all.begin(), all.end(), k) == all.end()) all.push_back(k);
      }
    }
    return all;
  }();
  if (!t) return kAll;
  switch (*t) {
    case Target::kVendor: return kVendorKinds;
    case Target::kEhr: return kEhrKinds;
    case Target::kAssistant: return kAssistantKinds;
  }
  return kAll;
}

// Each kind's own parameters.
const std::map<std::string, std::vector<std::string>>& kind_keys() {
  static const std::map<std::string, std::vector<std::string>> kKeys = {
      {"latency", {"delay"}},
      {"error", {"status", "retry_after", "message"}},
      {"hallucination", {"mode"}},
      {"schema_break", {"mode"}},
      {"injection_following", {"susceptibility"}},
      {"drift", {"model_version", "hallucination_rate", "refusal_rate"}},
      {"stream_stall", {"after_tokens"}},
      {"stream_break", {"after_tokens"}},
      {"poisoned_note", {"payload"}},
      {"prompt_deploy", {"prompt_version"}},
      {"config_change", {"flag", "variant"}},
  };
  return kKeys;
}

// Why a parameter key does not belong to the fault at hand.
const std::map<std::string, std::string>& key_owners() {
  static const std::map<std::string, std::string> kOwners = {
      {"delay", "applies only to latency faults"},
      {"status", "applies only to error faults"},
      {"retry_after", "applies only to error faults"},
      {"message", "applies only to error faults"},
      {"mode", "applies only to hallucination and schema_break faults"},
      {"susceptibility", "applies only to injection_following faults"},
      {"model_version", "applies only to drift faults"},
      {"hallucination_rate", "applies only to drift faults"},
      {"refusal_rate", "applies only to drift faults"},
      {"after_tokens", "applies only to stream_stall and stream_break faults"},
      {"payload", "applies only to poisoned_note faults"},
      {"prompt_version", "applies only to prompt_deploy faults"},
      {"flag", "applies only to config_change faults"},
      {"variant", "applies only to config_change faults"},
      {"models", "applies only to vendor faults"},
  };
  return kOwners;
}

const std::vector<std::string> kTriggerKeys = {"probability", "every_nth", "first_n",
                                               "task_types"};

const std::vector<std::string> kHallucinationModes = {
    "fabricated_code", "unsupported_fact", "foreign_citation", "altered_numbers", "mixed"};
const std::vector<std::string> kSchemaModes = {"invalid_json", "truncated", "missing_field",
                                               "mixed"};

// Reads a list of strings of `key` checking each item against `allowed` (when given), recording
// each item's position as "<path>.<key>[k]".
std::vector<std::string> read_names(MapReader& m, const std::string& key,
                                    const std::vector<std::string>* allowed,
                                    const std::string& label, const std::string& hint) {
  std::vector<std::string> out;
  auto list = m.list(key);
  if (!list) return out;
  if (list->size() == 0) {
    m.error_at(key, "expected at least one item in '" + key + "' (" + hint + ")");
    return out;
  }
  std::size_t k = 0;
  for (const auto& item : *list) {
    const YAML::Mark mark = item.Mark().line >= 0 ? item.Mark() : m.mark_of(key);
    const std::string path = m.path_of(key) + "[" + std::to_string(k++) + "]";
    if (!item.IsScalar()) {
      m.ctx().error(mark, "expected a string for each item of '" + key + "', got " + describe_node(item));
      continue;
    }
    const std::string& v = item.Scalar();
    if (allowed && std::find(allowed->begin(), allowed->end(), v) == allowed->end()) {
      m.ctx().error(mark, unknown_value_message(label, v, *allowed));
      continue;
    }
    m.ctx().record(path, mark);
    out.push_back(v);
  }
  return out;
}

}  // namespace

FaultSpec read_fault(MapReader& m, std::size_t n, std::set<std::string>* ids,
                     std::optional<Duration> run_duration, bool at_required) {
  static const std::vector<std::string> kEveryKey = [] {
    std::vector<std::string> all = {"id", "at", "for", "target", "kind", "models"};
    all.insert(all.end(), kTriggerKeys.begin(), kTriggerKeys.end());
    for (const auto& [_, keys] : kind_keys()) {
      for (const auto& k : keys) {
        if (std::find(all.begin(), all.end(), k) == all.end()) all.push_back(k);
      }
    }
    return all;
  }();
  FaultSpec f;
  f.loc = m.ctx().loc(m.mark());
  // Unknown keys first, so a misspelt key is reported as a typo, not as missing.
  m.allow(kEveryKey);
  f.id = m.str("id").value_or("fault-" + std::to_string(n));
  if (ids != nullptr && !ids->insert(f.id).second) m.error_at("id", "duplicate fault id '" + f.id + "'");

  // The target decides which kinds exist; the kind decides which parameters apply.
  std::optional<Target> target;
  if (auto t = m.str("target", kRequired)) {
    f.target = *t;
    if (*t == "ehr" || *t == "ehr:replica") {
      target = Target::kEhr;
    } else if (*t == "assistant") {
      target = Target::kAssistant;
    } else if (t->rfind("vendor:", 0) == 0 && t->size() > 7) {
      target = Target::kVendor;
    } else {
      m.error_at("target", "unknown fault target '" + *t +
                               "' (expected vendor:<id>, vendor:*, ehr, ehr:replica or assistant)");
    }
  }
  std::optional<std::string> kind;
  if (auto k = m.str("kind", kRequired)) {
    const auto& allowed = kinds_of(target);
    if (std::find(allowed.begin(), allowed.end(), *k) == allowed.end()) {
      m.error_at("kind", unknown_value_message("fault kind", *k, allowed, target ? f.target : ""));
    } else {
      kind = *k;
    }
  }
  f.kind = kind.value_or("");

  // The keys this fault may have; the others say where they belong.
  const bool change = target == Target::kAssistant;
  std::vector<std::string> keys = {"id", "at", "target", "kind"};
  std::map<std::string, std::string> elsewhere = key_owners();
  if (change) {
    const std::string why = "does not apply to assistant faults (a change applies once at 'at' "
                            "and stays until undone)";
    for (const auto& k : kTriggerKeys) elsewhere[k] = why;
    elsewhere["for"] = why;
    elsewhere["models"] = why;
  } else {
    keys.push_back("for");
    keys.insert(keys.end(), kTriggerKeys.begin(), kTriggerKeys.end());
    if (target != Target::kEhr) keys.push_back("models");
  }
  if (kind) {
    auto own = kind_keys().find(*kind);
    if (own != kind_keys().end()) keys.insert(keys.end(), own->second.begin(), own->second.end());
  } else {
    // Kind unknown: accept every parameter rather than report misplaced keys twice.
    for (const auto& [_, ks] : kind_keys()) keys.insert(keys.end(), ks.begin(), ks.end());
  }
  for (const auto& k : keys) elsewhere.erase(k);
  m.allow(keys, elsewhere);

  if (auto at = m.duration("at", at_required)) {
    f.at = *at;
    if (run_duration && *at >= *run_duration) {
      m.error_at("at", "fault '" + f.id + "' starts at " + format_duration(*at) +
                           ", after the scenario ends (duration " + format_duration(*run_duration) + ")");
    }
  }
  if (m.has("for")) f.duration = m.positive_duration("for").value_or(0);

  // Trigger.
  f.probability = m.number_in("probability", 0, 1).value_or(1.0);
  f.every_nth = static_cast<int>(m.integer("every_nth", 1, 1'000'000'000).value_or(0));
  f.first_n = static_cast<int>(m.integer("first_n", 1, 1'000'000'000).value_or(0));
  {
    static const std::vector<std::string> kTasks(std::begin(kTaskTypes), std::end(kTaskTypes));
    f.task_types = read_names(m, "task_types", &kTasks, "task type",
                              "leave 'task_types' out to match every task");
  }
  f.models = read_names(m, "models", nullptr, "model", "leave 'models' out to match every model");

  // Parameters.
  if (f.kind == "latency") {
    if (auto d = m.dist("delay", kRequired)) f.delay = *d;
  }
  f.status = target.value_or(Target::kVendor) == Target::kVendor ? 503 : 500;
  if (f.kind == "error") {
    f.status = static_cast<int>(m.integer("status", 400, 599).value_or(f.status));
    f.retry_after = m.duration("retry_after").value_or(0);
    f.message = m.str("message").value_or("");
  }
  if (f.kind == "hallucination") {
    f.mode = m.one_of("mode", kHallucinationModes, "hallucination mode").value_or("mixed");
  } else if (f.kind == "schema_break") {
    f.mode = m.one_of("mode", kSchemaModes, "schema_break mode").value_or("mixed");
  } else if (f.kind == "injection_following") {
    f.susceptibility = m.number_in("susceptibility", 0, 1).value_or(1.0);
  } else if (f.kind == "drift") {
    f.model_version = m.str("model_version", kRequired).value_or("");
    f.hallucination_rate = m.number_in("hallucination_rate", 0, 1).value_or(0);
    f.refusal_rate = m.number_in("refusal_rate", 0, 1).value_or(0);
  } else if (f.kind == "stream_stall" || f.kind == "stream_break") {
    f.after_tokens = static_cast<int>(m.integer("after_tokens", 0, 1'000'000).value_or(5));
  } else if (f.kind == "poisoned_note") {
    f.payload = m.str("payload").value_or("");
  } else if (f.kind == "prompt_deploy") {
    f.prompt_version = m.str("prompt_version", kRequired).value_or("");
  } else if (f.kind == "config_change") {
    f.flag = m.str("flag", kRequired).value_or("");
    f.variant = m.str("variant", kRequired).value_or("");
  }
  return f;
}

void read_faults(MapReader& top, Scenario& sc, std::optional<Duration> run_duration) {
  auto list = top.list("faults");
  if (!list) return;
  std::set<std::string> ids;
  std::size_t i = 0;
  for (const auto& item : *list) {
    const std::string path = "faults[" + std::to_string(i++) + "]";
    MapReader m(top.ctx(), item, path, "for each item of 'faults'", top.mark_of("faults"));
    if (!m.ok()) continue;
    sc.faults.push_back(read_fault(m, i, &ids, run_duration));
  }
}

void check_faults_against_fakes(Diagnostics& d, const Scenario& sc, const Fakes& fk) {
  // Reports at the recorded position of a key, or not at all when the key was never read
  // successfully (its own problem is already reported).
  auto report = [&](const std::string& path, const std::string& message) {
    const SourceLoc loc = d.where(sc.file, path, SourceLoc{});
    if (loc.line != 0) d.add(loc, message);
  };
  for (std::size_t i = 0; i < sc.faults.size(); ++i) {
    const FaultSpec& f = sc.faults[i];
    const std::string p = "faults[" + std::to_string(i) + "]";
    // models: names the target vendor serves (any vendor's for vendor:*).
    if (!f.models.empty() && !fk.vendors.empty() && f.target.rfind("vendor:", 0) == 0) {
      const std::string id = f.target.substr(7);
      std::vector<std::string> served;
      bool known_vendor = id == "*";
      for (const auto& v : fk.vendors) {
        if (id != "*" && v.id != id) continue;
        known_vendor = true;
        served.insert(served.end(), v.models.begin(), v.models.end());
      }
      if (known_vendor) {
        for (std::size_t k = 0; k < f.models.size(); ++k) {
          if (std::find(served.begin(), served.end(), f.models[k]) != served.end()) continue;
          report(p + ".models[" + std::to_string(k) + "]",
                 unknown_value_message("model", f.models[k], served) +
                     (id == "*" ? "" : " (models of vendor '" + id + "')"));
        }
      }
    }
    if (f.kind == "poisoned_note" && !f.payload.empty()) {
      std::vector<std::string> ids;
      for (const auto& pl : fk.injections) ids.push_back(pl.id);
      if (ids.empty()) {
        report(p + ".payload", "injection payload '" + f.payload +
                                   "' is not defined: the fakes directory has no injections.yaml");
      } else if (std::find(ids.begin(), ids.end(), f.payload) == ids.end()) {
        report(p + ".payload", unknown_value_message("injection payload", f.payload, ids));
      }
    }
    if (f.kind == "prompt_deploy" && !f.prompt_version.empty() && !fk.prompts.empty()) {
      std::vector<std::string> versions;
      for (const auto& pv : fk.prompts) versions.push_back(pv.version);
      if (std::find(versions.begin(), versions.end(), f.prompt_version) == versions.end()) {
        report(p + ".prompt_version", unknown_value_message("prompt version", f.prompt_version,
                                                            versions, "prompt_version"));
      }
    }
    if (f.kind == "config_change" && !f.flag.empty() && !fk.flags.empty()) {
      auto flag = std::find_if(fk.flags.begin(), fk.flags.end(),
                               [&](const FlagDef& fd) { return fd.name == f.flag; });
      if (flag == fk.flags.end()) {
        std::vector<std::string> names;
        for (const auto& fd : fk.flags) names.push_back(fd.name);
        report(p + ".flag", unknown_value_message("flag", f.flag, names));
      } else if (!f.variant.empty() && !flag->variants.count(f.variant)) {
        std::vector<std::string> names;
        for (const auto& [v, _] : flag->variants) names.push_back(v);
        report(p + ".variant", unknown_value_message("variant", f.variant, names, f.flag));
      }
    }
  }
}

}  // namespace gameday::loader
