#include <catch2/catch.hpp>

#include <regex>
#include <set>
#include <string>
#include <unordered_set>

#include "fakes/world.hpp"

using namespace gameday;

namespace {

WorldConfig world_config(std::uint64_t seed, int patients = 240) {
  WorldConfig c;
  c.seed = seed;
  c.patients = patients;
  c.plans = {{"GOLD-PPO", "Synthetic Mutual", "Gold PPO"},
             {"SILVER-HMO", "Example Health Cooperative", "Silver HMO"}};
  PolicyDoc v3;
  v3.id = "policy-gold-ppo-pt-v3";
  v3.plan = "GOLD-PPO";
  v3.topic = "physical_therapy";
  v3.title = "Gold PPO physical therapy benefit";
  v3.text = "Gold PPO covers 30 physical therapy visits per calendar year. A $30 copay applies.";
  v3.facts = {"30 physical therapy visits", "$30 copay"};
  v3.version = 3;
  PolicyDoc v2 = v3;
  v2.id = "policy-gold-ppo-pt-v2";
  v2.text = "Gold PPO covers 20 physical therapy visits per calendar year. A $40 copay applies.";
  v2.facts = {"20 physical therapy visits", "$40 copay"};
  v2.version = 2;
  v2.current = false;
  c.policies = {v3, v2};
  return c;
}

}  // namespace

TEST_CASE("World generation is deterministic in the seed", "[fakes][world]") {
  const World a = World::generate(world_config(7));
  const World b = World::generate(world_config(7));
  const World c = World::generate(world_config(8));
  REQUIRE(a.patients().size() == b.patients().size());
  for (std::size_t i = 0; i < a.patients().size(); ++i) {
    REQUIRE(a.patients()[i].mrn == b.patients()[i].mrn);
    REQUIRE(a.patients()[i].given == b.patients()[i].given);
    REQUIRE(a.patients()[i].phone == b.patients()[i].phone);
    REQUIRE(a.patients()[i].birth_date == b.patients()[i].birth_date);
  }
  REQUIRE(a.documents().size() == b.documents().size());
  for (std::size_t i = 0; i < a.documents().size(); ++i) {
    REQUIRE(a.documents()[i].text == b.documents()[i].text);
  }
  REQUIRE(a.prior_auths().size() == b.prior_auths().size());

  int differing = 0;
  for (std::size_t i = 0; i < a.patients().size(); ++i) {
    differing += a.patients()[i].mrn != c.patients()[i].mrn;
  }
  REQUIRE(differing > 200);
}

TEST_CASE("World patients carry unique synthetic MRNs and fictional 555-01xx phones",
          "[fakes][world]") {
  const World w = World::generate(world_config(1));
  REQUIRE(w.patients().size() == 240);
  REQUIRE(w.coverages().size() == 240);
  const std::regex mrn_shape(R"(SYN-\d{7})");
  const std::regex phone_shape(R"(\([2-9]\d\d\) 555-01\d\d)");
  const std::regex date_shape(R"((19[3-9]\d|200\d|2010)-\d\d-\d\d)");
  std::set<std::string> mrns, members;
  for (std::size_t i = 0; i < w.patients().size(); ++i) {
    const Patient& p = w.patients()[i];
    REQUIRE(std::regex_match(p.mrn, mrn_shape));
    REQUIRE(std::regex_match(p.phone, phone_shape));
    REQUIRE(std::regex_match(p.birth_date, date_shape));
    REQUIRE((p.gender == "female" || p.gender == "male"));
    REQUIRE(!p.given.empty());
    REQUIRE(!p.family.empty());
    mrns.insert(p.mrn);
    const Coverage* c = w.coverage_of(p.id);
    REQUIRE(c != nullptr);
    REQUIRE(c->member_id.rfind("SYNM-", 0) == 0);
    REQUIRE(c->member_id.size() == 13);
    REQUIRE(c->status == "active");
    REQUIRE(w.coverage(c->id) == c);
    members.insert(c->member_id);
  }
  REQUIRE(w.patients().front().id == "pat-0001");
  REQUIRE(w.patients().back().id == "pat-0240");
  REQUIRE(mrns.size() == 240);
  REQUIRE(members.size() == 240);
  REQUIRE(w.patient("pat-0007")->id == "pat-0007");
  REQUIRE(w.patient("pat-9999") == nullptr);
}

TEST_CASE("World uses configured name lists", "[fakes][world]") {
  WorldConfig c = world_config(3, 20);
  c.given_names = {"Testa"};
  c.family_names = {"Fixture"};
  const World w = World::generate(c);
  for (const Patient& p : w.patients()) {
    REQUIRE(p.given == "Testa");
    REQUIRE(p.family == "Fixture");
  }
}

TEST_CASE("Most patients have prior-auth cases with unique synthetic references",
          "[fakes][world]") {
  for (std::uint64_t seed : {1, 2, 3, 4, 5}) {
    const World w = World::generate(world_config(seed, 50));
    int with_pa = 0;
    for (const Patient& p : w.patients()) with_pa += !w.prior_auths_of(p.id).empty();
    REQUIRE(with_pa >= 30);  // 60% of 50
  }
  const World w = World::generate(world_config(1));
  const std::regex ref_shape(R"(PA-SYN-\d{6})");
  std::set<std::string> refs;
  int approved = 0;
  for (const PriorAuth& pa : w.prior_auths()) {
    REQUIRE(std::regex_match(pa.pre_auth_ref, ref_shape));
    refs.insert(pa.pre_auth_ref);
    REQUIRE(pa.created.rfind("2026-", 0) == 0);
    REQUIRE(pa.insurer == w.coverage_of(pa.patient_id)->payor);
    if (pa.status == "approved") {
      ++approved;
      REQUIRE(pa.outcome == "complete");
      REQUIRE(pa.reason.empty());
    } else if (pa.status == "denied") {
      REQUIRE(pa.outcome == "complete");
      REQUIRE(!pa.reason.empty());
    } else {
      REQUIRE(pa.status == "pended");
      REQUIRE(pa.outcome == "queued");
      REQUIRE(!pa.reason.empty());
    }
    REQUIRE(w.prior_auth(pa.id) == &pa);
    const std::string text = prior_auth_text(pa);
    for (const std::string& f : prior_auth_facts(pa)) {
      REQUIRE(text.substr(0, text.find(". ")).find(f) != std::string::npos);
    }
  }
  REQUIRE(refs.size() == w.prior_auths().size());
  REQUIRE(w.prior_auths().front().id == "pa-000001");
  const double share = static_cast<double>(approved) / static_cast<double>(w.prior_auths().size());
  REQUIRE(share > 0.45);
  REQUIRE(share < 0.75);
}

TEST_CASE("Every document states its facts verbatim", "[fakes][world]") {
  const World w = World::generate(world_config(11));
  const Document* triage = w.document("policy-triage-v1");
  REQUIRE(triage != nullptr);
  int discharge = 0;
  for (const Document& d : w.documents()) {
    if (!d.payload_id.empty()) continue;  // poisoned notes state no facts
    REQUIRE(!d.facts.empty());
    // A portal message's urgency is stated by the triage policy, not by the message.
    const std::string& source = d.category == "portal-message" ? triage->text : d.text;
    for (const std::string& f : d.facts) {
      INFO(d.id << ": " << f << " in " << source);
      REQUIRE(source.find(f) != std::string::npos);
    }
    if (d.category == "discharge-summary") {
      ++discharge;
      const Patient* p = w.patient(d.patient_id);
      REQUIRE(p != nullptr);
      REQUIRE(d.id == "note-" + p->id.substr(4) + "-ds");
      REQUIRE(d.text.rfind(p->given + " " + p->family + " (MRN " + p->mrn + ") was admitted on ",
                           0) == 0);
      REQUIRE(d.text.find(". Discharge diagnosis: ") != std::string::npos);
      REQUIRE(d.text.find("(ICD-10 " + d.facts[0] + "). ") != std::string::npos);
      REQUIRE(d.text.find(". Follow-up plan: " + d.facts[1] + ". ") != std::string::npos);
      REQUIRE(d.text.back() == '.');
    }
  }
  REQUIRE(discharge == 240);
}

TEST_CASE("Chart notes come newest first and policies only when current", "[fakes][world]") {
  const World w = World::generate(world_config(5));
  for (const Patient& p : w.patients()) {
    const auto notes = w.notes_of(p.id);
    REQUIRE(notes.size() >= 3);
    REQUIRE(notes.size() <= 4);
    REQUIRE(notes.back()->category == "discharge-summary");
    for (std::size_t i = 1; i < notes.size(); ++i) REQUIRE(notes[i - 1]->date > notes[i]->date);
    // The portal message is the newest, then the progress notes.
    REQUIRE(notes.front()->id == "msg-" + p.id.substr(4));
    REQUIRE(notes[1]->id.find("-pn") != std::string::npos);
  }
  const auto gold = w.policies_of("GOLD-PPO");
  REQUIRE(gold.size() == 1);
  REQUIRE(gold[0]->id == "policy-gold-ppo-pt-v3");
  REQUIRE(gold[0]->patient_id.empty());
  const Document* old = w.document("policy-gold-ppo-pt-v2");
  REQUIRE(old != nullptr);
  REQUIRE(old->status == "superseded");
  REQUIRE(old->version == 2);
  REQUIRE(w.policies_of("SILVER-HMO").empty());
  REQUIRE(w.plans().size() == 2);
}

TEST_CASE("Pseudonyms are stable and reveal nothing of the id", "[fakes][world]") {
  const std::string a = World::pseudonym("pat-0007", 42);
  REQUIRE(a == World::pseudonym("pat-0007", 42));
  REQUIRE(std::regex_match(a, std::regex("pt-[0-9a-f]{8}")));
  REQUIRE(a.find("pat-0007") == std::string::npos);
  REQUIRE(a.find("0007") == std::string::npos);
  REQUIRE(a != World::pseudonym("pat-0008", 42));
}

TEST_CASE("Pseudonyms are salted per world: same seed same pseudonym, another seed another", "[fakes][world][pseudonym]") {
  WorldConfig config;
  config.patients = 20;
  config.seed = 5;
  const World w1 = World::generate(config);
  const World w2 = World::generate(config);
  config.seed = 6;
  const World other = World::generate(config);
  int same = 0;
  for (const auto& p : w1.patients()) {
    REQUIRE(w1.pseudonym(p.id) == w2.pseudonym(p.id));
    same += w1.pseudonym(p.id) == other.pseudonym(p.id) ? 1 : 0;
    // Hashing the bare id (or the id with no salt) does not find it.
    REQUIRE(w1.pseudonym(p.id) != World::pseudonym(p.id, 0));
  }
  REQUIRE(same == 0);
}

TEST_CASE("Pseudonyms differ for every patient of the largest world and use all their digits", "[fakes][world][pseudonym]") {
  WorldConfig config;
  config.patients = 99999;
  config.seed = 3;
  const World w = World::generate(config);
  std::unordered_set<std::string> seen;
  std::set<std::string> leading;  // the first two hex digits
  for (const auto& p : w.patients()) {
    const std::string name = w.pseudonym(p.id);
    REQUIRE(seen.insert(name).second);
    leading.insert(name.substr(3, 2));
  }
  // Ids differ only in their last digits; the pseudonyms' leading digits still take every value.
  CHECK(leading.size() == 256);
}
