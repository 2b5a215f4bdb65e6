#pragma once
// Small in-code worlds and fakes for unit tests (no files, no YAML).
#include "spec/model.hpp"

namespace gameday::testing {

inline DurationDist fixed(Duration d) {
  DurationDist x;
  x.kind = DistKind::kFixed;
  x.value = d;
  return x;
}

inline PolicyDoc policy(const std::string& plan, const std::string& topic, const std::string& id,
                        const std::string& text, std::vector<std::string> facts,
                        const std::string& question) {
  PolicyDoc p;
  p.id = id;
  p.plan = plan;
  p.topic = topic;
  p.title = topic + " benefits";
  p.text = text;
  p.facts = std::move(facts);
  p.question = question;
  p.version = 2;
  return p;
}

/// A 40-patient world with two plans and two policy topics each.
inline WorldConfig small_world() {
  WorldConfig w;
  w.seed = 5;
  w.patients = 40;
  w.plans = {{"GOLD-PPO", "Synthetic Mutual Health", "Gold PPO"},
             {"BRONZE-HMO", "Placeholder Health Plan", "Bronze HMO"}};
  const std::string pt_q =
      "How many physical therapy visits per year does the plan cover, and what is the copay for physical therapy?";
  const std::string mri_q = "Does an MRI need prior authorization, and what is the copay for an MRI?";
  w.policies = {
      policy("GOLD-PPO", "physical_therapy", "policy-gold-pt-v2",
             "Physical therapy is covered up to 20 visits per year. The copay for physical therapy is $30 per visit. Visits beyond the limit need a medical necessity review.",
             {"20 visits", "$30"}, pt_q),
      policy("GOLD-PPO", "mri", "policy-gold-mri-v2",
             "An MRI needs prior authorization before scheduling. The copay for an MRI is $250 after the deductible.",
             {"prior authorization", "$250"}, mri_q),
      policy("BRONZE-HMO", "physical_therapy", "policy-bronze-pt-v2",
             "Physical therapy is covered up to 12 visits per year. The copay for physical therapy is $45 per visit.",
             {"12 visits", "$45"}, pt_q),
      policy("BRONZE-HMO", "mri", "policy-bronze-mri-v2",
             "An MRI needs prior authorization before scheduling. The copay for an MRI is $400 after the deductible.",
             {"prior authorization", "$400"}, mri_q),
  };
  w.given_names = {"Alma", "Bruno", "Cleo", "Dario", "Edith", "Farid", "Greta", "Hiro"};
  w.family_names = {"Testwell", "Mockford", "Samplesson", "Fakhurst"};
  return w;
}

inline VendorProfile vendor(const std::string& id, const std::string& model, Duration ttft) {
  VendorProfile v;
  v.id = id;
  v.name = id + " (synthetic)";
  v.models = {model};
  v.ttft = fixed(ttft);
  v.tokens_per_second = 50;
  v.error_rate = 0;
  return v;
}

inline FlagDef bool_flag(const std::string& name, bool on) {
  FlagDef f;
  f.name = name;
  f.variants = {{"on", "true"}, {"off", "false"}};
  f.default_variant = on ? "on" : "off";
  return f;
}

/// Fakes for unit tests: two error-free vendors, three prompt versions (v3 drops citations).
inline Fakes small_fakes() {
  Fakes f;
  f.vendors = {vendor("primary", "nw-clinical-large", 500 * kMillisecond),
               vendor("secondary", "bb-med-pro", 800 * kMillisecond)};
  f.world = small_world();
  const std::string cite =
      "You are a clinical operations assistant. Answer only from the context. "
      "Cite the document id in brackets like [doc:ID] after each sentence.";
  f.prompts = {{"v1", cite, true, true}, {"v2", cite + " Be brief.", true, true},
               {"v3", "You are a helpful assistant. Answer from the context.", false, false}};
  f.flags = {bool_flag("auto-failover", false), bool_flag("citation-check", true),
             bool_flag("phi-redaction", true), bool_flag("schema-check", true),
             bool_flag("safe-mode", false), bool_flag("patient-match-check", false),
             bool_flag("current-docs-only", false), bool_flag("ehr-replica", false)};
  return f;
}

}  // namespace gameday::testing
