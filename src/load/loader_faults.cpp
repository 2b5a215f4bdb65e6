// The `faults` list of a scenario: targets, kinds, triggers and each kind's parameters, and the
// checks of faults against the fakes (vendor models, injection payloads, prompts, flags).
#include <algorithm>
#include <functional>
#include <set>
#include <type_traits>
#include <variant>

#include "load/limits.hpp"
#include "load/loader.hpp"
#include "load/loader_detail.hpp"

namespace gameday::loader {
namespace {

// The kinds a target of class `t` accepts (every kind when the target is unknown).
std::vector<std::string> kinds_of(std::optional<FaultTarget> t) {
  return names_where<FaultKind>([&](FaultKind k) { return !t || applies_to(k, *t); });
}

// Every kind's parameter keys, keyed by kind name (sorted by kind name), for the list of keys a
// fault may have and for saying where a misplaced key belongs.
const std::map<std::string, std::vector<std::string>>& kind_keys() {
  static const std::map<std::string, std::vector<std::string>> kKeys = [] {
    std::map<std::string, std::vector<std::string>> out;
    for (FaultKind k : values_of<FaultKind>()) {
      auto keys = param_keys(k);
      if (!keys.empty()) out.emplace(to_name(k), std::move(keys));
    }
    return out;
  }();
  return kKeys;
}

// Why a parameter key does not belong to the fault at hand ("applies only to error faults").
const std::map<std::string, std::string>& key_owners() {
  static const std::map<std::string, std::string> kOwners = [] {
    std::map<std::string, std::vector<std::string>> owners;  // key -> kinds, in kind order
    for (FaultKind k : values_of<FaultKind>()) {
      for (const auto& key : param_keys(k)) owners[key].push_back(to_name(k));
    }
    std::map<std::string, std::string> out;
    for (const auto& [key, kinds] : owners) {
      std::string who;
      for (std::size_t i = 0; i < kinds.size(); ++i) {
        who += (i == 0 ? "" : i + 1 == kinds.size() ? " and " : ", ") + kinds[i];
      }
      out.emplace(key, "applies only to " + who + " faults");
    }
    out.emplace("models", "applies only to vendor faults");
    out.emplace("routes", "applies only to vendor faults");
    return out;
  }();
  return kOwners;
}

const std::vector<std::string> kTriggerKeys = {"probability", "every_nth", "first_n",
                                               "task_types"};

template <typename T>
[[maybe_unused]] inline constexpr bool kUnreadable = false;

// Where the ramps of one fault go while it is read, and how long a ramp may take: the fault's
// window ('for', or 'repeat.for'; 0 = no bound).
struct RampSink {
  std::vector<ParamRamp>& ramps;
  Duration max_over = 0;
};

// Whether a parameter's value is written as a ramp ({ramp: [from, to], over: d}).
bool is_ramp(const YAML::Node& v) { return v.IsMap() && v["ramp"].IsDefined(); }

// Reads the ramp at `key` of `m` as a ramp of parameter `param`: durations >= lo (µs) when
// `durations`, else numbers in [lo, hi]. Records it in `sink`; returns its `from`.
std::optional<double> read_ramp(MapReader& m, const std::string& key, const std::string& param,
                                bool durations, double lo, double hi, RampSink& sink) {
  MapReader r(m.ctx(), m.value(key), m.path_of(key), "for '" + key + "'", m.mark_of(key));
  if (!r.ok()) return std::nullopt;
  r.allow({"ramp", "over"});
  const auto list = r.list("ramp", kRequired);
  const auto over = r.positive_duration("over", kRequired);
  if (!list || !over) return std::nullopt;
  if (list->size() != 2) {
    r.error_at("ramp", "expected two values [from, to] for the ramp of '" + key + "', got " +
                           std::to_string(list->size()));
    return std::nullopt;
  }
  double ends[2] = {0, 0};
  bool ok = true;
  for (std::size_t i = 0; i < 2; ++i) {
    const YAML::Node item = (*list)[i];
    const YAML::Mark mark = item.Mark().line >= 0 ? item.Mark() : r.mark_of("ramp");
    std::optional<double> v;
    if (durations) {
      if (auto d = read_duration(m.ctx(), item, key)) v = static_cast<double>(*d);
    } else {
      v = read_number(m.ctx(), item, key);
    }
    if (!v) {
      ok = false;
      continue;
    }
    ends[i] = *v;
    if (ends[i] < lo || (!durations && ends[i] > hi)) {
      m.ctx().error(mark, durations ? std::string("expected a duration ") + (lo > 0 ? "> 0" : ">= 0") +
                                          " for the ramp of '" + key + "', got " + describe_node(item)
                                    : "expected ramp values between " + format_number(lo) + " and " +
                                          format_number(hi) + " for '" + key + "', got " + describe_node(item));
      ok = false;
    }
  }
  if (sink.max_over > 0 && *over > sink.max_over) {
    r.error_at("over", "the ramp of '" + key + "' takes " + format_duration(*over) +
                           ", longer than the fault's window ('for' " + format_duration(sink.max_over) + ")");
    ok = false;
  }
  if (!ok) return std::nullopt;
  sink.ramps.push_back(ParamRamp{param, Ramp{ends[0], ends[1], *over}, durations});
  return ends[0];
}

// A duration distribution whose scale may ramp: `{ramp: [200ms, 8s], over: 20m}` (a fixed
// delay that ramps) or a distribution whose value, mean or median is such a ramp.
std::optional<DurationDist> read_ramped_dist(MapReader& m, const std::string& key, bool required,
                                             RampSink& sink) {
  if (!m.has(key)) {
    if (required) m.require(key);
    return std::nullopt;
  }
  if (is_ramp(m.value(key))) {
    const auto from = read_ramp(m, key, key, true, 0, 0, sink);
    if (!from) return std::nullopt;
    DurationDist d;
    d.value = static_cast<Duration>(*from);
    return d;
  }
  const ScaleReader scale = [&](MapReader& dist, const std::string& k) -> std::optional<Duration> {
    // A value of 0 is a fixed delay of nothing; a mean or median must stay above it.
    const auto from = read_ramp(dist, k, key, true, k == "value" ? 0 : 1, 0, sink);
    if (!from) return std::nullopt;
    return static_cast<Duration>(*from);
  };
  return read_dist(m.ctx(), m.value(key), key, m.path_of(key), scale);
}

// Reads one parameter of a kind's struct by its field table entry. Numbers and durations may
// ramp (into `sink`).
template <typename S, typename T>
void read_field(MapReader& m, S& params, const Field<S, T>& f, RampSink& sink) {
  const std::string key(f.key);
  T& out = params.*(f.member);
  const bool ramp = m.has(key) && is_ramp(m.value(key));
  if constexpr (std::is_same_v<T, DurationDist>) {
    if (auto v = read_ramped_dist(m, key, f.required, sink)) out = *v;
  } else if constexpr (std::is_same_v<T, Duration>) {
    if (ramp) {
      if (auto v = read_ramp(m, key, key, true, 0, 0, sink)) out = static_cast<Duration>(*v);
    } else if (auto v = m.duration(key, f.required)) {
      out = *v;
    }
  } else if constexpr (std::is_same_v<T, int>) {
    const auto lo = static_cast<long long>(f.min), hi = static_cast<long long>(f.max);
    if (auto v = m.integer(key, lo, hi, f.required)) out = static_cast<int>(*v);
  } else if constexpr (std::is_same_v<T, double>) {
    if (ramp) {
      if (auto v = read_ramp(m, key, key, false, f.min, f.max, sink)) out = *v;
    } else if (auto v = m.number_in(key, f.min, f.max, f.required)) {
      out = *v;
    }
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (auto v = m.str(key, f.required)) out = *v;
  } else if constexpr (std::is_enum_v<T>) {
    if (auto v = m.one_of(key, names_of<T>(), std::string(f.label), f.required)) out = *parse_name<T>(*v);
  } else {
    static_assert(kUnreadable<T>, "no reader for this field type");
  }
}

// Fills the parameters of the fault's kind from `m`, as its field table says.
void read_params(MapReader& m, FaultParams& params, RampSink& sink) {
  std::visit(
      [&](auto& p) {
        using P = std::decay_t<decltype(p)>;
        for_each_field<P>([&](const auto& f) { read_field(m, p, f, sink); });
      },
      params);
}

// Reads `repeat: {every, for, times}` into f.repeat and f.duration (each window's length).
void read_repeat(MapReader& m, FaultSpec& f) {
  if (m.has("for")) {
    m.error_at("repeat", "fault '" + f.id + "' has both 'for' and 'repeat': give each window's length as "
                         "'repeat.for' only");
    return;
  }
  MapReader r(m.ctx(), m.value("repeat"), m.path_of("repeat"), "for 'repeat'", m.mark_of("repeat"));
  if (!r.ok()) return;
  r.allow({"every", "for", "times"});
  const auto every = r.positive_duration("every", kRequired);
  const auto window = r.positive_duration("for", kRequired);
  const auto times = r.integer("times", 1, limits::kMaxFaultRepeats, kRequired);
  if (!every || !window || !times) return;
  if (*window >= *every) {
    r.error_at("for", "each window of fault '" + f.id + "' ('for' " + format_duration(*window) +
                          ") must be shorter than 'every' (" + format_duration(*every) + ")");
    return;
  }
  f.repeat = FaultRepeat{*every, static_cast<int>(*times)};
  f.duration = *window;
}

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

// `routes` of a vendor fault: chat, responses, messages (answered by the same model as chat) and/or
// embeddings; a kind that acts on answers only cannot list embeddings.
void read_routes(MapReader& m, FaultSpec& f, std::optional<FaultKind> kind) {
  static const std::vector<std::string> kRoutes = {std::string(kChatRoute), std::string(kResponsesRoute),
                                                  std::string(kMessagesRoute), std::string(kEmbeddingsRoute)};
  f.routes = read_names(m, "routes", &kRoutes, "route", "leave 'routes' out to match every route");
  if (!kind || applies_to_embeddings(*kind)) return;
  if (std::find(f.routes.begin(), f.routes.end(), kEmbeddingsRoute) != f.routes.end()) {
    m.error_at("routes", to_name(*kind) + " faults act on answers only: 'routes' may list only chat, responses and messages "
                         "(latency, error, hang and reset faults act on embeddings too)");
  }
}

}  // namespace

FaultSpec read_fault(MapReader& m, std::size_t n, std::set<std::string>* ids,
                     std::optional<Duration> run_duration, bool at_required) {
  static const std::vector<std::string> kEveryKey = [] {
    std::vector<std::string> all = {"id", "at", "for", "repeat", "target", "kind", "models", "routes", "incident"};
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
  f.incident = m.str("incident").value_or("");
  if (ids != nullptr && !ids->insert(f.id).second) m.error_at("id", "duplicate fault id '" + f.id + "'");

  // The target decides which kinds exist; the kind decides which parameters apply.
  std::optional<FaultTarget> target;
  if (auto t = m.str("target", kRequired)) {
    f.target = *t;
    target = target_class(*t);
    if (!target) {
      m.error_at("target", "unknown fault target '" + *t +
                               "' (expected vendor:<id>, vendor:*, ehr, ehr:replica or assistant)");
    }
  }
  std::optional<FaultKind> kind;
  if (auto k = m.str("kind", kRequired)) {
    kind = parse_name<FaultKind>(*k);
    if (kind && target && !applies_to(*kind, *target)) kind.reset();
    if (!kind) m.error_at("kind", unknown_value_message("fault kind", *k, kinds_of(target), target ? f.target : ""));
  }
  if (kind) f.params = default_params(*kind);

  // The keys this fault may have; the others say where they belong.
  const bool change = target == FaultTarget::kAssistant;
  std::vector<std::string> keys = {"id", "at", "target", "kind", "incident"};
  std::map<std::string, std::string> elsewhere = key_owners();
  if (change) {
    const std::string why = "does not apply to assistant faults (a change applies once at 'at' "
                            "and stays until undone)";
    for (const auto& k : kTriggerKeys) elsewhere[k] = why;
    elsewhere["for"] = why;
    elsewhere["repeat"] = why;
    elsewhere["models"] = why;
    elsewhere["routes"] = why;
  } else {
    keys.push_back("for");
    keys.push_back("repeat");
    keys.insert(keys.end(), kTriggerKeys.begin(), kTriggerKeys.end());
    if (target != FaultTarget::kEhr) {
      keys.push_back("models");
      keys.push_back("routes");
    }
  }
  if (kind) {
    const auto own = param_keys(*kind);
    keys.insert(keys.end(), own.begin(), own.end());
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
  if (m.has("repeat")) read_repeat(m, f);
  // Each is at most kMaxDuration, and times at most kMaxFaultRepeats, so the sum cannot
  // overflow; it must stay a valid time too.
  const SimTime last_start = window_starts(f).back();
  if (last_start + f.duration > kMaxDuration) {
    const std::string key = f.repeat ? "repeat" : "for";
    m.error_at(key, "fault '" + f.id + "' ends at " + format_duration(last_start + f.duration) +
                        ", after the limit of 3650d ('at' + " +
                        (f.repeat ? "the repeat's windows)" : "'for')"));
  }

  // Trigger. Probability and numeric parameters may ramp over at most the fault's window.
  RampSink sink{f.ramps, f.duration};
  if (m.has("probability") && is_ramp(m.value("probability"))) {
    f.probability = read_ramp(m, "probability", "probability", false, 0, 1, sink).value_or(1.0);
  } else {
    f.probability = m.number_in("probability", 0, 1).value_or(1.0);
  }
  f.every_nth = static_cast<int>(m.integer("every_nth", 1, 1'000'000'000).value_or(0));
  f.first_n = static_cast<int>(m.integer("first_n", 1, 1'000'000'000).value_or(0));
  {
    static const std::vector<std::string> kTasks(std::begin(kTaskTypes), std::end(kTaskTypes));
    f.task_types = read_names(m, "task_types", &kTasks, "task type",
                              "leave 'task_types' out to match every task");
  }
  f.models = read_names(m, "models", nullptr, "model", "leave 'models' out to match every model");
  read_routes(m, f, kind);

  // Parameters (none when the kind is unknown: it is reported already).
  if (auto* e = f.as<ErrorFault>()) e->status = target.value_or(FaultTarget::kVendor) == FaultTarget::kVendor ? 503 : 500;
  if (kind) read_params(m, f.params, sink);
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

// Tool-flow kinds need the tool flow on; a forbidden tool must be one the assistant does not offer.
void check_tool_faults(const FaultSpec& f, const std::string& p, const AssistantConfig& assistant,
                       const std::function<void(const std::string&, const std::string&)>& report) {
  if (!needs_tool_flow(f.kind())) return;
  if (!assistant.tool_use) {
    report(p + ".kind", to_name(f.kind()) +
                            " faults act only in the assistant's tool flow: set 'assistant: {tool_use: true}' "
                            "in the scenario (or tool_use in the fakes' assistant.yaml)");
  }
  if (const auto* forbidden = f.as<ForbiddenToolFault>()) {
    const bool is_offered =
        std::find(kEhrToolNames.begin(), kEhrToolNames.end(), forbidden->tool) != kEhrToolNames.end();
    if (forbidden->tool.empty() || is_offered) {
      report(p + ".tool", "forbidden_tool needs a tool the assistant does not offer, got '" + forbidden->tool +
                              "' (offered: search_prior_auths, search_discharge_notes, search_plan_benefits)");
    }
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
    check_tool_faults(f, p, sc.assistant.value_or(fk.assistant), report);
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
    if (const auto* note = f.as<PoisonedNoteFault>(); note && !note->payload.empty()) {
      std::vector<std::string> ids;
      for (const auto& pl : fk.injections) ids.push_back(pl.id);
      if (ids.empty()) {
        report(p + ".payload", "injection payload '" + note->payload +
                                   "' is not defined: the fakes directory has no injections.yaml");
      } else if (std::find(ids.begin(), ids.end(), note->payload) == ids.end()) {
        report(p + ".payload", unknown_value_message("injection payload", note->payload, ids));
      }
    }
    if (const auto* deploy = f.as<PromptDeployFault>();
        deploy && !deploy->prompt_version.empty() && !fk.prompts.empty()) {
      std::vector<std::string> versions;
      for (const auto& pv : fk.prompts) versions.push_back(pv.version);
      if (std::find(versions.begin(), versions.end(), deploy->prompt_version) == versions.end()) {
        report(p + ".prompt_version", unknown_value_message("prompt version", deploy->prompt_version,
                                                            versions, "prompt_version"));
      }
    }
    if (const auto* change = f.as<ConfigChangeFault>(); change && !change->flag.empty() && !fk.flags.empty()) {
      auto flag = std::find_if(fk.flags.begin(), fk.flags.end(),
                               [&](const FlagDef& fd) { return fd.name == change->flag; });
      if (flag == fk.flags.end()) {
        std::vector<std::string> names;
        for (const auto& fd : fk.flags) names.push_back(fd.name);
        report(p + ".flag", unknown_value_message("flag", change->flag, names));
      } else if (!change->variant.empty() && !flag->variants.count(change->variant)) {
        std::vector<std::string> names;
        for (const auto& [v, _] : flag->variants) names.push_back(v);
        report(p + ".variant", unknown_value_message("variant", change->variant, names, change->flag));
      }
    }
  }
}

}  // namespace gameday::loader
