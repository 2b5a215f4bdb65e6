#include <catch2/catch.hpp>

#include "quality/facts.hpp"

using namespace gameday;

namespace {

std::vector<std::string> values(const std::vector<Fact>& facts) {
  std::vector<std::string> out;
  for (const Fact& f : facts) out.push_back(std::string(name_of(f.kind)) + ":" + f.value);
  return out;
}

}  // namespace

TEST_CASE("Dates read the same in ISO, US and month-name formats", "[quality][facts]") {
  const std::vector<std::string> want = {"date:2026-10-03"};
  for (const char* text : {"on 2026-10-03.", "on 10/03/2026.", "on 10/3/2026", "on October 3, 2026.",
                           "on Oct. 3 2026", "on 3 October 2026", "on Oct 3rd, 2026"}) {
    INFO(text);
    CHECK(values(facts_of(text)) == want);
  }
  // Not a date (no month 13): no date is read.
  for (const Fact& f : facts_of("on 13/45/2026")) CHECK(f.kind != FactKind::kDate);
}

TEST_CASE("Codes, amounts, readings, references and statuses are read as facts", "[quality][facts]") {
  CHECK(values(facts_of("CPT 72148 (MRI) and HCPCS J1100, ICD-10 J18.9, M54.50 and I10.")) ==
        std::vector<std::string>{"code:72148", "code:J1100", "code:J18.9", "code:M54.50", "code:I10"});
  CHECK(values(facts_of("Copay $30, deductible $1,200.00 and $12.50.")) ==
        std::vector<std::string>{"amount:$30", "amount:$1200", "amount:$12.50"});
  CHECK(values(facts_of("Blood pressure was 128/84 mmHg.")) == std::vector<std::string>{"blood pressure:128/84"});
  CHECK(values(facts_of("Case pa-syn-482913 is Pending; PA-SYN-000001 was APPROVED, one denied.")) ==
        std::vector<std::string>{"reference:PA-SYN-482913", "status:pended", "reference:PA-SYN-000001",
                                 "status:approved", "status:denied"});
}

TEST_CASE("Quantities read with their unit whether the number is written or spelled", "[quality][facts]") {
  CHECK(values(facts_of("Up to twenty visits, 24 hours, 10mg, 2 Weeks and 15% coinsurance.")) ==
        std::vector<std::string>{"quantity:20 visit", "quantity:24 hour", "quantity:10 mg",
                                 "quantity:2 week", "quantity:15 percent"});
  // A spelled number without a unit is wording, a written one a number.
  CHECK(values(facts_of("one of the 3 cases")) == std::vector<std::string>{"number:3"});
}

TEST_CASE("Numbers inside identifiers, record ids and labels are not facts", "[quality][facts]") {
  CHECK(facts_of("MRN SYN-0004821, phone (417) 555-0142, member SYNM-12345678.").empty());
  CHECK(facts_of("See note-0007-ds and pa-000123 under ICD-10, prompt v2.").empty());
}

TEST_CASE("Canonical words drop case and punctuation and spell numbers and units one way", "[quality][facts]") {
  CHECK(canonical_words("Follow-up: see Primary Care in seven days.") == "follow up see primary care in 7 day");
  CHECK(canonical_words("$1,200 and 2.5 mg; 128/84") == "$1200 and 2.5 mg 128/84");
}

TEST_CASE("A phrase is stated in a row or by all its content words in any order", "[quality][facts]") {
  const std::string phrase = canonical_words("follow up with cardiology in 2 weeks");
  CHECK(states_phrase(canonical_words("Please follow up with Cardiology in two weeks."), phrase));
  CHECK(states_phrase(canonical_words("Cardiology follow-up in 2 weeks"), phrase));
  CHECK_FALSE(states_phrase(canonical_words("Follow up with cardiology in 3 weeks"), phrase));
  // One content word must be there as a whole word.
  CHECK(states_phrase(canonical_words("It is urgent."), canonical_words("urgent")));
  CHECK_FALSE(states_phrase(canonical_words("Its urgency is low."), canonical_words("urgent")));
  // "not" is a content word: the opposite is not stated.
  CHECK_FALSE(states_phrase(canonical_words("the service is covered under the plan"),
                            canonical_words("service not covered under the plan")));
}

TEST_CASE("A bare number is held by a quantity, an amount or a reading holding it", "[quality][facts]") {
  const std::vector<Fact> held = facts_of("20 visits at $30, BP 128/84");
  CHECK(holds_fact(held, Fact{FactKind::kNumber, "20"}));
  CHECK(holds_fact(held, Fact{FactKind::kNumber, "30"}));
  CHECK(holds_fact(held, Fact{FactKind::kNumber, "84"}));
  CHECK_FALSE(holds_fact(held, Fact{FactKind::kNumber, "2"}));
  CHECK_FALSE(holds_fact(held, Fact{FactKind::kQuantity, "20 day"}));
}

TEST_CASE("A fact is described with its value only when the value cannot identify a patient", "[quality][facts]") {
  CHECK(describe_fact(Fact{FactKind::kCode, "99215"}) == "procedure code 99215");
  CHECK(describe_fact(Fact{FactKind::kCode, "J18.9"}) == "ICD-10 code J18.9");
  CHECK(describe_fact(Fact{FactKind::kAmount, "$45"}) == "amount $45");
  CHECK(describe_fact(Fact{FactKind::kDate, "2026-10-03"}) == "a date");
  CHECK(describe_fact(Fact{FactKind::kReference, "PA-SYN-000001"}) == "a prior-authorization reference");
  CHECK(describe_fact(Fact{FactKind::kBloodPressure, "128/84"}) == "a blood pressure reading");
}

TEST_CASE("A bare number is held by the date it is a part of", "[quality][facts]") {
  const std::vector<Fact> held = facts_of("submitted on 2026-03-02");
  CHECK(holds_fact(held, Fact{FactKind::kNumber, "2"}));
  CHECK(holds_fact(held, Fact{FactKind::kNumber, "3"}));
  CHECK(holds_fact(held, Fact{FactKind::kNumber, "2026"}));
  CHECK_FALSE(holds_fact(held, Fact{FactKind::kNumber, "4"}));
}

TEST_CASE("A paraphrase that drops a light verb still states the phrase", "[quality][facts]") {
  CHECK(states_phrase(canonical_words("Follow up with primary care within 7 days."),
                      canonical_words("see primary care in 7 days")));
  CHECK_FALSE(states_phrase(canonical_words("Follow up with cardiology within 7 days."),
                            canonical_words("see primary care in 7 days")));
}
