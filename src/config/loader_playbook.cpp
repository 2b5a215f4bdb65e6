// playbooks/*.yaml and golden sets.
#include <algorithm>
#include <cctype>
#include <set>

#include "config/loader.hpp"
#include "config/loader_detail.hpp"

namespace gameday::loader {
namespace {

const std::vector<std::string>& step_kinds() {
  static const std::vector<std::string> kKinds = {"approve", "flag.set", "golden.check",
                                                  "model.failover", "prompt.rollback", "wait"};
  return kKinds;
}

// The keys each step kind adds to the common ones.
const std::map<std::string, std::vector<std::string>>& step_keys() {
  static const std::map<std::string, std::vector<std::string>> kKeys = {
      {"approve", {"delay", "approvers"}},
      {"flag.set", {"flag", "variant"}},
      {"golden.check", {"set", "min_pass_rate"}},
      {"model.failover", {"to"}},
      {"prompt.rollback", {"version"}},
      {"wait", {"duration"}}};
  return kKeys;
}

StepSpec read_step(Session& s, MapReader& m, const std::string& playbook_path, std::size_t index,
                   bool in_rollback) {
  StepSpec st;
  st.loc = m.ctx().loc(m.mark());
  std::vector<std::string> keys = {"name", "kind", "timeout", "retries", "retry_delay", "on_failure"};
  // Unknown keys first, so a misspelt 'kind' is reported as a typo, not as missing.
  std::vector<std::string> all_keys = keys;
  for (const auto& [_, extra] : step_keys()) all_keys.insert(all_keys.end(), extra.begin(), extra.end());
  m.allow(all_keys);
  auto kind = m.one_of("kind", step_kinds(), "step kind", kRequired);
  std::map<std::string, std::string> elsewhere;
  for (const auto& [k, extra] : step_keys()) {
    for (const auto& key : extra) {
      if (kind && *kind == k) {
        keys.push_back(key);
      } else if (!kind) {
        keys.push_back(key);  // kind unknown: do not pile key errors on top
      } else if (!elsewhere.count(key)) {
        elsewhere[key] = "applies only to " + k + " steps";
      }
    }
  }
  m.allow(keys, elsewhere);
  st.kind = kind.value_or("");
  st.name = m.str("name").value_or(st.kind + " #" + std::to_string(index + 1));
  st.timeout = m.positive_duration("timeout").value_or(0);
  st.retries = static_cast<int>(m.integer("retries", 0, 100).value_or(0));
  st.retry_delay = m.duration("retry_delay").value_or(st.retry_delay);
  if (auto f = m.one_of("on_failure", {"abort", "continue", "rollback"}, "on_failure value")) {
    if (in_rollback && *f == "rollback") {
      m.error_at("on_failure", "on_failure: rollback is not allowed in a rollback step (use abort or continue)");
    } else {
      st.on_failure = *f;
    }
  }
  if (st.kind == "approve") {
    if (auto d = m.dist("delay", kRequired)) st.delay = *d;
    st.approvers = m.strings("approvers").value_or(std::vector<std::string>{});
  } else if (st.kind == "flag.set") {
    st.flag = m.str("flag", kRequired).value_or("");
    st.variant = m.str("variant", kRequired).value_or("");
  } else if (st.kind == "model.failover") {
    st.to = m.str("to", kRequired).value_or("");
  } else if (st.kind == "prompt.rollback") {
    st.version = m.str("version").value_or("");
  } else if (st.kind == "wait") {
    st.duration = m.positive_duration("duration", kRequired).value_or(0);
  } else if (st.kind == "golden.check") {
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
  }
  return st;
}

void read_steps(Session& s, MapReader& top, const std::string& key, bool required,
                std::vector<StepSpec>& out) {
  auto list = top.list(key, required);
  if (!list) return;
  if (required && list->size() == 0) top.error_at(key, "expected at least one step in '" + key + "'");
  std::size_t i = 0;
  for (const auto& item : *list) {
    MapReader m(top.ctx(), item, key + "[" + std::to_string(i) + "]", "for each item of '" + key + "'",
                top.mark_of(key));
    if (m.ok()) out.push_back(read_step(s, m, top.ctx().file(), i, key == "rollback"));
    ++i;
  }
}

bool is_patient_id(const std::string& id) {
  if (id.size() != 8 || id.rfind("pat-", 0) != 0) return false;
  return std::all_of(id.begin() + 4, id.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
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
  top.allow({"name", "description", "trigger", "steps", "rollback"});
  pb.name = top.str("name", kRequired).value_or("");
  pb.description = top.str("description").value_or("");
  if (top.require("trigger")) {
    MapReader t(ctx, top.value("trigger"), "trigger", "for 'trigger'", top.mark_of("trigger"));
    if (t.ok()) {
      t.allow({"alert", "labels", "manual"});
      pb.trigger.alert = t.str("alert").value_or("");
      pb.trigger.labels = t.string_map("labels").value_or(std::map<std::string, std::string>{});
      const auto manual = t.boolean("manual");
      pb.trigger.manual = manual.value_or(false);
      const bool bad_manual = t.has("manual") && !manual;  // already reported
      if (!t.has("alert") && !pb.trigger.manual && !bad_manual) {
        ctx.error(t.mark(), "expected 'alert: <name>' or 'manual: true' in 'trigger'");
      } else if (!t.has("alert") && t.has("labels")) {
        t.error_at("labels", "'labels' needs an 'alert' to match");
      }
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
