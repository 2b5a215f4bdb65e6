#pragma once
// In-memory input files for the loader tests: a small valid fakes/ directory, and helpers that
// capture the "file:line:col: message" a loader throws.
#include <string>

#include "load/error.hpp"
#include "load/files.hpp"
#include "load/loader.hpp"

namespace gameday::config_test {

/// The what() of the ConfigError that `f` throws, or "(no error)".
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

/// A minimal valid fakes/ directory (two vendors, one plan, 20 patients).
inline MemoryFiles small_fakes() {
  MemoryFiles files;
  files.add("fakes/vendors.yaml", R"(vendors:
  - {id: primary, name: Primary (synthetic), models: [p-large], ttft: 700ms, tokens_per_second: 40}
  - id: secondary
    name: Secondary (synthetic)
    models: [s-pro]
    ttft: {dist: lognormal, median: 900ms, sigma: 0.4}
    tokens_per_second: 30
    error_rate: 0.002
)");
  files.add("fakes/world.yaml", R"(seed: 3
patients: 20
plans: [{code: GOLD, payor: Synthetic Mutual, name: Gold}]
given_names: [Alex, Jordan]
family_names: [Testwell, Mockford]
)");
  files.add("fakes/policies.yaml", R"(policies:
  - id: policy-gold-pt-v2
    plan: GOLD
    topic: physical_therapy
    title: Physical therapy
    version: 2
    question: How many physical therapy visits are covered?
    text: Physical therapy is covered up to 20 visits per year. The copay is $30 per visit.
    facts: ["20 visits", "$30"]
)");
  files.add("fakes/assistant/prompts.yaml", R"(prompts:
  - {version: v1, system: "Answer from the context and cite [doc:ID]."}
  - {version: v2, system: "Answer only from the context; cite the document id."}
  - {version: v3, system: "Answer helpfully.", requires_citations: false, good: false}
)");
  files.add("fakes/assistant/flags.json", R"({
  "$schema": "https://flagd.dev/schema/v0/flags.json",
  "flags": {
    "auto-failover": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off"},
    "prompt": {"state": "DISABLED", "variants": {"stable": "v2", "old": "v1"}, "defaultVariant": "stable"}
  }
}
)");
  files.add("fakes/assistant/assistant.yaml", "model_timeout: 10s\nmax_tokens: 300\n");
  return files;
}

/// playbooks/p.yaml: playbook "p" with `trigger` and the YAML `steps` (starting on line 4).
inline MemoryFiles playbook_with_steps(const std::string& steps, const std::string& trigger = "{manual: true}") {
  MemoryFiles files;
  files.add("playbooks/p.yaml", "name: p\ntrigger: " + trigger + "\nsteps:\n" + steps);
  return files;
}

/// Loads playbook_with_steps(steps, trigger).
inline Playbook load_playbook_steps(const std::string& steps, const std::string& trigger = "{manual: true}") {
  const MemoryFiles files = playbook_with_steps(steps, trigger);
  return load_playbook("playbooks/p.yaml", files);
}

/// The load error of playbook_with_steps(steps, trigger).
inline std::string playbook_steps_error(const std::string& steps, const std::string& trigger = "{manual: true}") {
  const MemoryFiles files = playbook_with_steps(steps, trigger);
  return error_of([&] { load_playbook("playbooks/p.yaml", files); });
}

/// small_fakes() plus scenarios/s.yaml: a minimal valid head (name, 60m, a workload) and `body`.
inline MemoryFiles scenario_files_with(const std::string& body) {
  MemoryFiles files = small_fakes();
  files.add("scenarios/s.yaml", "name: s\nduration: 60m\nworkload: {rate: 1}\n" + body);
  return files;
}

/// The error loading scenario_files_with(`body`) throws, or "(no error)".
inline std::string scenario_body_error(const std::string& body) {
  const MemoryFiles files = scenario_files_with(body);
  return error_of([&] { load_scenario("scenarios/s.yaml", files); });
}

}  // namespace gameday::config_test
