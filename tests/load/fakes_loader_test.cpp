#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "load/loader.hpp"
#include "config_fixture.hpp"

using namespace gameday;
using gameday::config_test::error_of;
using gameday::config_test::small_fakes;

namespace {

const std::string kFakesDir = GAMEDAY_SOURCE_DIR "/fakes";

std::string fakes_error_with(const std::string& path, const std::string& text) {
  MemoryFiles files = small_fakes();
  files.add(path, text);
  return error_of([&] { load_fakes("fakes", files); });
}

const FlagDef* flag(const Fakes& f, const std::string& name) {
  for (const auto& d : f.flags) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("Fakes loader reads a small fakes directory", "[config][fakes]") {
  const MemoryFiles files = small_fakes();
  const Fakes f = load_fakes("fakes", files);
  REQUIRE(f.vendors.size() == 2);
  CHECK(f.vendors[0].ttft.kind == DistKind::kFixed);
  CHECK(f.vendors[0].ttft.value == 700 * kMillisecond);
  CHECK(f.vendors[1].error_rate == Approx(0.002));
  CHECK(f.world.seed == 3);
  CHECK(f.world.patients == 20);
  REQUIRE(f.world.policies.size() == 1);
  CHECK(f.world.policies[0].version == 2);
  CHECK(f.world.policies[0].current);
  REQUIRE(f.prompts.size() == 3);
  CHECK_FALSE(f.prompts[2].requires_citations);
  CHECK_FALSE(f.prompts[2].good);
  const FlagDef* prompt = flag(f, "prompt");
  REQUIRE(prompt);
  CHECK_FALSE(prompt->enabled);
  CHECK(prompt->variants.at("stable") == "v2");  // JSON strings lose their quotes
  CHECK(flag(f, "auto-failover")->variants.at("on") == "true");
  CHECK(f.assistant.max_tokens == 300);
  CHECK(f.assistant.model_timeout == 10 * kSecond);
  CHECK(f.assistant.ehr_timeout == 3 * kSecond);  // built-in default
}

TEST_CASE("Fakes loader reads the checked-in fakes directory", "[config][fakes]") {
  const DiskFiles disk;
  const Fakes f = load_fakes(kFakesDir, disk);

  REQUIRE(f.vendors.size() == 2);
  CHECK(f.vendors[0].id == "primary");
  CHECK(f.vendors[0].name == "Northwind Models (synthetic)");
  CHECK(f.vendors[0].models == std::vector<std::string>{"nw-clinical-large"});
  CHECK(f.vendors[0].ttft.kind == DistKind::kLognormal);
  CHECK(f.vendors[0].ttft.median == 700 * kMillisecond);
  CHECK(f.vendors[0].tokens_per_second == Approx(45));
  CHECK(f.vendors[1].id == "secondary");
  CHECK(f.vendors[1].models == std::vector<std::string>{"bb-med-pro"});
  CHECK(f.vendors[1].ttft.median == 900 * kMillisecond);

  CHECK(f.world.patients == 240);
  CHECK(f.world.plans.size() == 4);
  CHECK(f.world.given_names.size() >= 40);
  CHECK(f.world.family_names.size() >= 40);

  std::vector<std::string> versions;
  for (const auto& p : f.prompts) versions.push_back(p.version);
  CHECK(versions == std::vector<std::string>{"v1", "v2", "v3"});
  CHECK(f.prompts[2].good == false);
  CHECK(f.prompts[2].requires_citations == false);
  CHECK(f.assistant.prompt_version == "v2");
  CHECK(f.assistant.primary_route == "primary");
  CHECK(f.assistant.secondary_route == "secondary");

  for (const char* name : {"auto-failover", "citation-check", "phi-redaction", "safe-mode"}) {
    INFO(name);
    const FlagDef* d = flag(f, name);
    REQUIRE(d);
    CHECK(d->enabled);
    CHECK(d->variants.at("on") == "true");
    CHECK(d->variants.at("off") == "false");
  }
  CHECK(flag(f, "auto-failover")->default_variant == "off");
  CHECK(flag(f, "citation-check")->default_variant == "on");
  CHECK(flag(f, "phi-redaction")->default_variant == "on");
  CHECK(flag(f, "safe-mode")->default_variant == "off");
}

TEST_CASE("Every checked-in policy states its facts verbatim in its text", "[config][fakes]") {
  const DiskFiles disk;
  const Fakes f = load_fakes(kFakesDir, disk);
  REQUIRE(f.world.policies.size() == 20);
  for (const auto& p : f.world.policies) {
    INFO(p.id);
    REQUIRE_FALSE(p.facts.empty());
    for (const auto& fact : p.facts) CHECK(p.text.find(fact) != std::string::npos);
  }
}

TEST_CASE("Every plan has four current policy topics and one superseded physical therapy policy",
          "[config][fakes]") {
  const DiskFiles disk;
  const Fakes f = load_fakes(kFakesDir, disk);
  for (const auto& plan : f.world.plans) {
    INFO(plan.code);
    std::set<std::string> current;
    int superseded_pt = 0;
    for (const auto& p : f.world.policies) {
      if (p.plan != plan.code) continue;
      if (p.current) {
        current.insert(p.topic);
        CHECK(p.version == 2);
      } else if (p.topic == "physical_therapy" && p.version == 1) {
        ++superseded_pt;
      }
    }
    CHECK(current == std::set<std::string>{"physical_therapy", "mri", "emergency_room", "telehealth"});
    CHECK(superseded_pt == 1);
  }
}

TEST_CASE("No checked-in policy's facts all appear in another policy", "[config][fakes]") {
  // An answer built from the wrong (or stale) document must miss at least one truth fact.
  const DiskFiles disk;
  const Fakes f = load_fakes(kFakesDir, disk);
  for (const auto& a : f.world.policies) {
    for (const auto& b : f.world.policies) {
      if (&a == &b) continue;
      INFO(a.id << " vs " << b.id);
      const bool all = std::all_of(a.facts.begin(), a.facts.end(), [&](const std::string& fact) {
        return b.text.find(fact) != std::string::npos;
      });
      CHECK_FALSE(all);
    }
  }
}

TEST_CASE("Fakes loader reports a flags JSON syntax error at its line and column", "[config][errors]") {
  CHECK(fakes_error_with("fakes/assistant/flags.json",
                         "{\n  \"flags\": {\n    \"a\": {\"state\": \"ENABLED\",}\n  }\n}\n") ==
        "fakes/assistant/flags.json:3:30: invalid JSON: syntax error while parsing object key - "
        "unexpected '}'; expected string literal");
}

TEST_CASE("Fakes loader reports a number too large for JSON at its line and column", "[config][errors]") {
  CHECK(fakes_error_with("fakes/assistant/flags.json", "{\n  \"flags\": {\"a\": 1e999}\n}\n") ==
        "fakes/assistant/flags.json:2:18: invalid JSON: a number too large for a JSON number");
}

TEST_CASE("Fakes loader checks flag definitions", "[config][errors]") {
  CHECK(fakes_error_with("fakes/assistant/flags.json", R"({
  "flags": {
    "safe-mode": {
      "state": "ENABLED",
      "variants": {"on": true, "off": false},
      "defaultVariant": "of"
    }
  }
})") == "fakes/assistant/flags.json:6:25: unknown variant 'of' (did you mean 'off'? expected one "
        "of: off, on)");
  CHECK(fakes_error_with("fakes/assistant/flags.json", R"({
  "flags": {
    "safe-mode": {"state": "ON", "variants": {"on": true}, "defaultVariant": "on"}
  }
})") == "fakes/assistant/flags.json:3:28: expected ENABLED or DISABLED for 'state', got 'ON'");
  CHECK(fakes_error_with("fakes/assistant/flags.json", R"({
  "flags": {
    "safe-mode": {"state": "ENABLED", "variant": {"on": true}, "defaultVariant": "on"}
  }
})") == "fakes/assistant/flags.json:3:39: unknown key 'variant' (did you mean 'variants'?)");
  CHECK(fakes_error_with("fakes/assistant/flags.json", R"({
  "flags": {
    "safe-mode": {"state": "ENABLED", "defaultVariant": "on"}
  }
})") == "fakes/assistant/flags.json:3:18: missing required key 'variants' in flag 'safe-mode'");
  CHECK(fakes_error_with("fakes/assistant/flags.json", R"({
  "flags": {
    "safe-mode": {"state": "ENABLED", "variants": {"on": true}, "defaultVarient": "on"}
  }
})") == "fakes/assistant/flags.json:3:65: unknown key 'defaultVarient' (did you mean "
        "'defaultVariant'?)");
  CHECK(fakes_error_with("fakes/assistant/flags.json", "{\"flagz\": {}}") ==
        "fakes/assistant/flags.json:1:2: unknown key 'flagz' (did you mean 'flags'?)");
  CHECK(fakes_error_with("fakes/assistant/flags.json", "{}") ==
        "fakes/assistant/flags.json:1:1: missing required key 'flags'");
}

TEST_CASE("Fakes loader reports a policy fact missing from its text at the fact", "[config][errors]") {
  CHECK(fakes_error_with("fakes/policies.yaml", R"(policies:
  - id: policy-gold-pt-v2
    plan: GOLD
    topic: physical_therapy
    title: Physical therapy
    question: How many visits?
    text: Physical therapy is covered up to 20 visits per year.
    facts: ["20 visits", "$30"]
)") == "fakes/policies.yaml:8:26: fact '$30' does not appear verbatim in the text of "
       "'policy-gold-pt-v2'");
}

TEST_CASE("Fakes loader checks references between fakes files", "[config][errors]") {
  CHECK(fakes_error_with("fakes/policies.yaml", R"(policies:
  - id: d
    plan: GLOD
    topic: t
    title: T
    question: Q
    text: A b.
    facts: [A b]
)") == "fakes/policies.yaml:3:11: unknown plan 'GLOD' (did you mean 'GOLD'? expected one of: GOLD)");
  CHECK(fakes_error_with("fakes/assistant/assistant.yaml", "secondary_route: tertiary\n") ==
        "fakes/assistant/assistant.yaml:1:18: unknown vendor 'tertiary' for 'secondary_route' "
        "(expected one of: primary, secondary)");
  CHECK(fakes_error_with("fakes/assistant/assistant.yaml", "prompt_version: v9\n") ==
        "fakes/assistant/assistant.yaml:1:17: unknown prompt version 'v9' for 'prompt_version' "
        "(did you mean 'v1'? expected one of: v1, v2, v3)");
}

TEST_CASE("Fakes loader keeps requires_citations honest about the prompt text", "[config][errors]") {
  CHECK(fakes_error_with("fakes/assistant/prompts.yaml",
                         "prompts:\n  - {version: v1, system: Answer briefly.}\n") ==
        "fakes/assistant/prompts.yaml:2:27: prompt 'v1' requires citations but its system text "
        "never says 'cite'");
}

TEST_CASE("Fakes loader reports a missing fakes file at 1:1", "[config][errors]") {
  MemoryFiles files;
  CHECK(error_of([&] { load_fakes("fakes", files); }) == "fakes/vendors.yaml:1:1: cannot read file");
}
