// The public loaders, file-kind detection and cross-file validation.
#include "load/loader.hpp"
#include "load/limits.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <optional>

#include "load/loader_detail.hpp"

namespace gameday {

using loader::Diagnostics;
using loader::Session;
using loader::unknown_value_message;

Fakes load_fakes(const std::string& dir, const FileSource& files) {
  Diagnostics d;
  Session s(files, d);
  Fakes f = s.fakes(dir);
  d.throw_if_any();
  return f;
}

Scenario load_scenario(const std::string& path, const FileSource& files) {
  Diagnostics d;
  Session s(files, d);
  Scenario sc = s.scenario(path);
  d.throw_if_any();
  return sc;
}

Playbook load_playbook(const std::string& path, const FileSource& files) {
  Diagnostics d;
  Session s(files, d);
  Playbook pb = s.playbook(path);
  d.throw_if_any();
  return pb;
}

std::vector<FaultSpec> load_fault_file(const std::string& path, const FileSource& files) {
  Diagnostics d;
  Session s(files, d);
  std::vector<FaultSpec> out;
  if (auto doc = s.parse_yaml(path)) {
    loader::FileCtx ctx(s, path);
    loader::MapReader top(ctx, *doc, "", "at the top level", YAML::Mark());
    if (top.ok()) {
      top.allow({"faults"});
      if (auto list = top.list("faults", true)) {
        std::set<std::string> ids;
        std::size_t i = 0;
        for (const auto& item : *list) {
          const std::string p = "faults[" + std::to_string(i++) + "]";
          loader::MapReader m(ctx, item, p, "for each item of 'faults'", top.mark_of("faults"));
          if (!m.ok()) continue;
          out.push_back(loader::read_fault(m, i, &ids, std::nullopt, false));
        }
      }
    }
  }
  d.throw_if_any();
  return out;
}

FaultSpec parse_fault(const std::string& text, const std::string& source) {
  MemoryFiles files;
  files.add(source, text);
  Diagnostics d;
  Session s(files, d);
  FaultSpec f;
  if (auto doc = s.parse_yaml(source)) {
    loader::FileCtx ctx(s, source);
    loader::MapReader m(ctx, *doc, "", "for a fault", YAML::Mark());
    if (m.ok()) f = loader::read_fault(m, 1, nullptr, std::nullopt, false);
  }
  d.throw_if_any();
  return f;
}

GoldenSet load_golden_set(const std::string& path, const FileSource& files) {
  Diagnostics d;
  Session s(files, d);
  GoldenSet gs = s.golden_set(path);
  d.throw_if_any();
  return gs;
}

namespace {

FileKind kind_of(const YAML::Node& doc) {
  if (!doc.IsMap()) return FileKind::kUnknown;
  auto has = [&](const char* key) {
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == key) return true;
    }
    return false;
  };
  if (has("faults") || has("workload") || has("duration")) return FileKind::kScenario;
  if (has("steps")) return FileKind::kPlaybook;
  if (has("cases")) return FileKind::kGoldenSet;
  return FileKind::kUnknown;
}

// ---------------------------------------------------------------- cross-file checks

// Reports at the recorded position of `path` in `file`, or not at all when the value was never
// read successfully (its own problem is already reported).
class CrossCheck {
 public:
  explicit CrossCheck(Session& s) : s_(s) {}

  void report(const std::string& file, const std::string& path, const std::string& message) {
    const SourceLoc loc = s_.diag().where(file, path, SourceLoc{});
    if (loc.line == 0) return;
    s_.diag().add(loc, message);
  }

  // A problem that does not stop a run: "file:line:col: warning: message", each once.
  void warn(const std::string& file, const std::string& path, const std::string& message) {
    const SourceLoc loc = s_.diag().where(file, path, SourceLoc{});
    if (loc.line == 0) return;
    std::string line = loc.file + ":" + std::to_string(loc.line) + ":" + std::to_string(loc.col) +
                       ": warning: " + message;
    if (std::find(warnings_.begin(), warnings_.end(), line) == warnings_.end()) {
      warnings_.push_back(std::move(line));
    }
  }

  static std::vector<std::string> vendor_ids(const Fakes& f) {
    std::vector<std::string> out;
    for (const auto& v : f.vendors) out.push_back(v.id);
    return out;
  }
  static std::vector<std::string> prompt_versions(const Fakes& f) {
    std::vector<std::string> out;
    for (const auto& p : f.prompts) out.push_back(p.version);
    return out;
  }
  // Vendor filters count each vendor separately, for a bounded number of vendors.
  static std::string too_many_vendors(const std::vector<std::string>& ids) {
    return "a vendor filter needs the fakes to define at most " + std::to_string(kMaxVendorFilterVendors) +
           " vendors; these define " + std::to_string(ids.size());
  }
  static bool contains(const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  }

  void scenario_against_fakes(const Scenario& sc, const Fakes& f) {
    const auto ids = vendor_ids(f);
    if (!ids.empty()) {
      for (std::size_t i = 0; i < sc.faults.size(); ++i) {
        const std::string& t = sc.faults[i].target;
        if (t.rfind("vendor:", 0) != 0 || t == "vendor:*") continue;
        const std::string id = t.substr(7);
        if (!contains(ids, id)) {
          report(sc.file, "faults[" + std::to_string(i) + "].target",
                 unknown_value_message("vendor", id, ids, "target"));
        }
      }
      // Alerts and SLOs narrowed to one vendor name one that exists.
      for (std::size_t i = 0; i < sc.alerts.size(); ++i) {
        const std::string& v = sc.alerts[i].vendor;
        if (!v.empty() && !contains(ids, v)) {
          report(sc.file, "alerts[" + std::to_string(i) + "].vendor", unknown_value_message("vendor", v, ids, "vendor"));
        }
      }
      for (std::size_t i = 0; i < sc.slos.size(); ++i) {
        const std::string& v = sc.slos[i].vendor;
        if (!v.empty() && !contains(ids, v)) {
          report(sc.file, "slos[" + std::to_string(i) + "].vendor", unknown_value_message("vendor", v, ids, "vendor"));
        }
      }
      if (ids.size() > kMaxVendorFilterVendors) {
        for (std::size_t i = 0; i < sc.alerts.size(); ++i) {
          if (!sc.alerts[i].vendor.empty()) report(sc.file, "alerts[" + std::to_string(i) + "].vendor", too_many_vendors(ids));
        }
        for (std::size_t i = 0; i < sc.slos.size(); ++i) {
          if (!sc.slos[i].vendor.empty()) report(sc.file, "slos[" + std::to_string(i) + "].vendor", too_many_vendors(ids));
        }
      }
      if (sc.assistant) {
        for (const auto& [key, route] : {std::pair<std::string, std::string>{"primary_route", sc.assistant->primary_route},
                                         {"secondary_route", sc.assistant->secondary_route}}) {
          if (!contains(ids, route)) {
            report(sc.file, "assistant." + key, unknown_value_message("vendor", route, ids, key));
          }
        }
      }
    }
    loader::check_faults_against_fakes(s_.diag(), sc, f);
    const auto versions = prompt_versions(f);
    if (sc.assistant && !versions.empty() && !contains(versions, sc.assistant->prompt_version)) {
      report(sc.file, "assistant.prompt_version",
             unknown_value_message("prompt version", sc.assistant->prompt_version, versions,
                                   "prompt_version"));
    }
  }

  // Expectations on playbooks and on the final state name playbooks, flags, vendors and prompt
  // versions that exist.
  void expectations_against(const Scenario& sc, const Fakes* f, const std::vector<const Playbook*>& playbooks) {
    std::vector<std::string> names;
    for (const auto* pb : playbooks) names.push_back(pb->name);
    for (const auto& e : sc.expect) {
      const auto at = [&](const std::string& message) { s_.diag().add(e.loc, message); };
      if (e.scope == ExpectScope::kPlaybook && !contains(names, e.arg)) {
        at(names.empty() ? "playbook '" + e.arg + "' is not in play: the scenario lists no playbooks"
                         : unknown_value_message("playbook", e.arg, names));
      } else if (e.scope == ExpectScope::kPlaybook && e.metric == "outcome") {
        outcome_against(e, playbooks);
      }
      if (e.scope != ExpectScope::kFinal || !f) continue;
      if (e.metric == "route" && !f->vendors.empty() && !contains(vendor_ids(*f), e.word)) {
        at(unknown_value_message("vendor", e.word, vendor_ids(*f), "final.route"));
      } else if (e.metric == "prompt" && !f->prompts.empty() && !contains(prompt_versions(*f), e.word)) {
        at(unknown_value_message("prompt version", e.word, prompt_versions(*f), "final.prompt"));
      } else if (e.metric == "mode" && e.word != "normal" && e.word != "fallback") {
        at("unknown mode '" + e.word + "' for final.mode (expected normal or fallback)");
      } else if (e.metric == "flag" && !f->flags.empty()) {
        auto flag = std::find_if(f->flags.begin(), f->flags.end(), [&](const FlagDef& d) { return d.name == e.arg; });
        if (flag == f->flags.end()) {
          std::vector<std::string> flags;
          for (const auto& d : f->flags) flags.push_back(d.name);
          at(unknown_value_message("flag", e.arg, flags));
        } else if (!flag->variants.count(e.word)) {
          std::vector<std::string> variants;
          for (const auto& [v, _] : flag->variants) variants.push_back(v);
          at(unknown_value_message("variant", e.word, variants, e.arg));
        }
      }
    }
  }

  // playbook(NAME).outcome names an outcome a run ends with, or one of the playbook's end steps'.
  void outcome_against(const Expectation& e, const std::vector<const Playbook*>& playbooks) {
    std::vector<std::string> outcomes(std::begin(kRunOutcomes), std::end(kRunOutcomes));
    for (const auto* pb : playbooks) {
      if (pb->name != e.arg) continue;
      for (const auto& st : pb->steps) {
        if (st.kind == StepKind::kEnd && !st.end_outcome.empty() && !contains(outcomes, st.end_outcome)) {
          outcomes.push_back(st.end_outcome);
        }
      }
    }
    if (!contains(outcomes, e.word)) s_.diag().add(e.loc, unknown_value_message("outcome", e.word, outcomes));
  }

  void steps_against_fakes(const std::string& file, const std::string& list,
                           const std::vector<StepSpec>& steps, const Fakes& f) {
    const auto ids = vendor_ids(f);
    const auto versions = prompt_versions(f);
    for (std::size_t i = 0; i < steps.size(); ++i) {
      const StepSpec& st = steps[i];
      const std::string p = list + "[" + std::to_string(i) + "]";
      if (st.kind == StepKind::kModelFailover && !st.to.empty() && !ids.empty() && !contains(ids, st.to)) {
        report(file, p + ".to", unknown_value_message("vendor", st.to, ids, "to"));
      } else if ((st.kind == StepKind::kPromptRollback || st.kind == StepKind::kPromptDeploy) &&
                 !st.version.empty() && !versions.empty() && !contains(versions, st.version)) {
        report(file, p + ".version", unknown_value_message("prompt version", st.version, versions));
      } else if (st.kind == StepKind::kModeFallback && !f.flags.empty() &&
                 std::none_of(f.flags.begin(), f.flags.end(),
                              [](const FlagDef& d) { return d.name == "safe-mode"; })) {
        report(file, p + ".kind", "mode.fallback needs the assistant's 'safe-mode' flag, which the fakes do not define");
      } else if (st.kind == StepKind::kFlagSet && !st.flag.empty() && !f.flags.empty()) {
        auto flag = std::find_if(f.flags.begin(), f.flags.end(),
                                 [&](const FlagDef& d) { return d.name == st.flag; });
        if (flag == f.flags.end()) {
          std::vector<std::string> names;
          for (const auto& d : f.flags) names.push_back(d.name);
          report(file, p + ".flag", unknown_value_message("flag", st.flag, names));
        } else if (!st.variant.empty() && !flag->variants.count(st.variant)) {
          std::vector<std::string> names;
          for (const auto& [v, _] : flag->variants) names.push_back(v);
          report(file, p + ".variant",
                 unknown_value_message("variant", st.variant, names, st.flag));
        }
      }
      // A condition narrowed to one vendor names a vendor of the fakes.
      for (const auto& [key, c] : {std::pair<const char*, const ConditionSpec*>{"condition", &st.condition},
                                   {"when", st.when ? &*st.when : nullptr}}) {
        if (c != nullptr && !c->vendor.empty() && !ids.empty() && !contains(ids, c->vendor)) {
          report(file, p + "." + key, unknown_value_message("vendor", c->vendor, ids, "vendor"));
        } else if (c != nullptr && !c->vendor.empty() && ids.size() > kMaxVendorFilterVendors) {
          report(file, p + "." + key, too_many_vendors(ids));
        }
      }
    }
  }

  void playbook(const Playbook& pb, const Fakes* f, const Scenario* sc) {
    if (f) {
      steps_against_fakes(pb.file, "steps", pb.steps, *f);
      steps_against_fakes(pb.file, "rollback", pb.rollback, *f);
      for (const auto* steps : {&pb.steps, &pb.rollback}) {
        for (const auto& st : *steps) {
          if (st.kind == StepKind::kGoldenCheck && !st.golden_set.empty()) {
            golden(s_.golden_set(st.golden_set), *f);
          }
        }
      }
    }
    if (sc) conditions_against_scenario(pb, *sc);
    if (sc) triggers_against_scenario(pb, *sc);
  }

  const std::vector<std::string>& warnings() const { return warnings_; }

  // A trigger alert the scenario does not define can never start the playbook: a warning while
  // another trigger still can (an alert it defines, a time, a hand), an error when none can.
  void triggers_against_scenario(const Playbook& pb, const Scenario& sc) {
    std::vector<std::string> names;
    for (const auto& a : sc.alerts) names.push_back(a.name);
    std::vector<std::string> missing;
    for (const std::string& trigger_alert : pb.trigger.alerts) {
      if (!contains(names, trigger_alert)) missing.push_back(trigger_alert);
    }
    const bool can_fire = missing.size() < pb.trigger.alerts.size() || pb.trigger.at || pb.trigger.manual;
    for (const std::string& trigger_alert : missing) {
      std::string msg = "trigger alert '" + trigger_alert + "' is not defined by scenario '" + sc.file + "'";
      if (auto c = loader::closest(trigger_alert, names)) {
        msg += " (did you mean '" + *c + "'?)";
      } else {
        msg += names.empty() ? " (it defines no alerts)" : " (it defines: " + loader::join(names) + ")";
      }
      if (can_fire) {
        warn(pb.file, "trigger.alert", msg + "; it never starts the playbook");
      } else {
        report(pb.file, "trigger.alert", msg);
      }
    }
    for (const std::string& trigger_alert : pb.trigger.alerts) {
      const auto alert = std::find_if(sc.alerts.begin(), sc.alerts.end(),
                                      [&](const AlertSpec& a) { return a.name == trigger_alert; });
      if (alert == sc.alerts.end()) continue;
      if (auto sev = pb.trigger.labels.find("severity");
          sev != pb.trigger.labels.end() && sev->second != alert->severity) {
        report(pb.file, "trigger.labels.severity",
               "trigger label severity '" + sev->second + "' never matches alert '" + alert->name +
                   "' of scenario '" + sc.file + "' (severity " + alert->severity + ")");
      }
    }
  }

  // `when` and `wait_for` conditions on alerts must name alerts of the scenario.
  void conditions_against_scenario(const Playbook& pb, const Scenario& sc) {
    if (pb.trigger.at && *pb.trigger.at >= sc.duration) {
      report(pb.file, "trigger.at",
             "trigger at " + format_duration(*pb.trigger.at) + " never comes: scenario '" + sc.file +
                 "' lasts " + format_duration(sc.duration));
    }
    std::vector<std::string> names;
    for (const auto& a : sc.alerts) names.push_back(a.name);
    auto check = [&](const ConditionSpec& c, const std::string& path) {
      if (c.alert.empty() || contains(names, c.alert)) return;
      std::string msg = "alert '" + c.alert + "' is not defined by scenario '" + sc.file + "'";
      if (auto near = loader::closest(c.alert, names)) msg += " (did you mean '" + *near + "'?)";
      report(pb.file, path, msg);
    };
    for (const auto& [list, steps] : {std::pair<std::string, const std::vector<StepSpec>*>{"steps", &pb.steps},
                                      {"rollback", &pb.rollback}}) {
      for (std::size_t i = 0; i < steps->size(); ++i) {
        const StepSpec& st = (*steps)[i];
        const std::string p = list + "[" + std::to_string(i) + "]";
        if (st.when) check(*st.when, p + ".when");
        if (st.kind == StepKind::kWaitFor) check(st.condition, p + ".condition");
      }
    }
  }

  void golden(const GoldenSet& gs, const Fakes& f) {
    const int n = f.world.patients;
    if (n <= 0) return;
    char last[16];
    std::snprintf(last, sizeof last, "pat-%04d", n);
    for (std::size_t i = 0; i < gs.cases.size(); ++i) {
      const std::string& p = gs.cases[i].patient;
      if (p.empty()) continue;
      const int number = std::atoi(p.c_str() + 4);
      if (number < 1 || number > n) {
        report(gs.file, "cases[" + std::to_string(i) + "].patient",
               "patient '" + p + "' does not exist (the world has pat-0001.." + last + ")");
      }
    }
  }

 private:
  Session& s_;
  std::vector<std::string> warnings_;
};

bool is_fakes_dir(Session& s, const std::string& dir) {
  for (const auto& f : loader::fakes_files()) {
    if (!s.exists(resolve_path(dir, f))) return false;
  }
  return true;
}

// The fakes directory near a playbook or golden set, if any (the repository's layout).
const Fakes* fakes_near(Session& s, const std::string& path, std::initializer_list<const char*> rels) {
  for (const char* rel : rels) {
    const std::string dir = resolve_path(dir_of(path), rel);
    if (is_fakes_dir(s, dir)) return &s.fakes(dir);
  }
  return nullptr;
}

// The fakes directory `path` belongs to, when it is one of a fakes directory's files.
std::optional<std::string> fakes_dir_of(const std::string& path) {
  const std::string p = resolve_path("", path);
  for (const auto* files : {&loader::fakes_files(), &loader::optional_fakes_files()}) {
    for (const auto& rel : *files) {
      if (p == rel) return std::string(".");
      if (p.size() > rel.size() && p.compare(p.size() - rel.size(), rel.size(), rel) == 0 &&
          p[p.size() - rel.size() - 1] == '/') {
        return p.substr(0, p.size() - rel.size() - 1);
      }
    }
  }
  return std::nullopt;
}

}  // namespace

FileKind detect_kind(const std::string& path, const FileSource& files) {
  // Too large to read: unknown, and the loader the caller falls back on says why.
  const auto size = files.size(path);
  if (!size || *size > limits::kMaxInputFileBytes) return FileKind::kUnknown;
  auto text = files.read(path);
  if (!text) return FileKind::kUnknown;
  try {
    return kind_of(YAML::Load(*text));
  } catch (const std::exception&) {
    return FileKind::kUnknown;
  }
}

std::vector<std::string> validate_files(const std::vector<std::string>& paths,
                                        const FileSource& files, std::vector<std::string>* warnings) {
  Diagnostics d;
  Session s(files, d);
  CrossCheck check(s);
  auto validate_one = [&](const std::string& path) {
    if (auto dir = fakes_dir_of(path)) {
      s.fakes(*dir);
      return;
    }
    auto doc = s.parse_yaml(path);
    if (!doc) return;
    switch (kind_of(*doc)) {
      case FileKind::kScenario: {
        const Scenario& sc = s.scenario(path);
        const Fakes* f = is_fakes_dir(s, sc.fakes_dir) ? &s.fakes(sc.fakes_dir) : nullptr;
        if (f) check.scenario_against_fakes(sc, *f);
        std::vector<const Playbook*> playbooks;
        for (const auto& pb : sc.playbook_files) {
          playbooks.push_back(&s.playbook(pb));
          check.playbook(*playbooks.back(), f, &sc);
        }
        check.expectations_against(sc, f, playbooks);
        break;
      }
      case FileKind::kPlaybook:
        check.playbook(s.playbook(path), fakes_near(s, path, {"../fakes"}), nullptr);
        break;
      case FileKind::kGoldenSet: {
        const GoldenSet& gs = s.golden_set(path);
        if (const Fakes* f = fakes_near(s, path, {"../fakes", "../../fakes"})) check.golden(gs, *f);
        break;
      }
      case FileKind::kUnknown:
        d.add(path, 1, 1,
              "cannot tell what kind of file this is: a scenario has 'duration', 'workload' or "
              "'faults', a playbook 'steps', a golden set 'cases'");
        break;
    }
  };
  for (const auto& path : paths) {
    if (files.size(path)) {
      validate_one(path);
      continue;
    }
    // A directory: a fakes directory as a whole, else each YAML file directly inside it.
    const auto listed = files.list(path);
    if (listed.empty()) {
      d.add(path, 1, 1, "cannot read file");
    } else if (is_fakes_dir(s, path)) {
      s.fakes(path);
    } else {
      for (const auto& p : listed) {
        const bool yaml = (p.size() > 5 && p.compare(p.size() - 5, 5, ".yaml") == 0) ||
                          (p.size() > 4 && p.compare(p.size() - 4, 4, ".yml") == 0);
        if (yaml) validate_one(p);
      }
    }
  }
  std::vector<std::string> out;
  for (const auto& e : d.sorted()) out.push_back(e.what());
  if (warnings) *warnings = check.warnings();
  return out;
}

}  // namespace gameday
