// The vocabularies: one name per value, parsed back exactly, nothing else accepted.
#include <catch2/catch.hpp>

#include <set>

#include "fakes/vendor.hpp"
#include "slo/prom_rules.hpp"
#include "spec/model.hpp"

namespace gameday {
namespace {

template <typename E>
void check_vocabulary(std::size_t expected_size) {
  CHECK(vocabulary_size<E>() == expected_size);
  std::set<std::string> seen;
  for (E e : values_of<E>()) {
    const std::string name = to_name(e);
    INFO(name);
    CHECK_FALSE(name.empty());
    CHECK(seen.insert(name).second);
    CHECK(parse_name<E>(name) == e);
  }
  CHECK_FALSE(parse_name<E>("").has_value());
  CHECK_FALSE(parse_name<E>("no-such-name").has_value());
  // A value outside the enum has no name (name_of ends the table there).
  CHECK(name_of(static_cast<E>(expected_size)).empty());
}

}  // namespace

TEST_CASE("Every vocabulary names each value once and parses the names back", "[spec][names]") {
  check_vocabulary<FaultKind>(23);
  check_vocabulary<FaultTarget>(3);
  check_vocabulary<HallucinationMode>(5);
  check_vocabulary<SchemaBreakMode>(4);
  check_vocabulary<StepKind>(16);
  check_vocabulary<OnFailure>(4);
  check_vocabulary<CompareOp>(6);
  check_vocabulary<ExpectScope>(6);
  check_vocabulary<Sli>(19);
  check_vocabulary<SloKind>(11);
  check_vocabulary<RetrievalRank>(2);
  check_vocabulary<Dependency>(3);
  check_vocabulary<AlertType>(2);
  check_vocabulary<BurnPreset>(4);
  check_vocabulary<InjectionAction>(5);
  check_vocabulary<UnsafeKind>(8);
  check_vocabulary<DistKind>(4);
  check_vocabulary<RequestSignal>(8);
}

TEST_CASE("Names are matched exactly, not by case or prefix", "[spec][names]") {
  CHECK(parse_name<FaultKind>("wrong_patient") == FaultKind::kWrongPatient);
  CHECK_FALSE(parse_name<FaultKind>("Wrong_Patient").has_value());
  CHECK_FALSE(parse_name<FaultKind>("wrong").has_value());
  CHECK_FALSE(parse_name<StepKind>("flag").has_value());
  CHECK(parse_name<CompareOp>("<=") == CompareOp::kLessEqual);
  CHECK_FALSE(parse_name<CompareOp>("=<").has_value());
}

TEST_CASE("Each fault kind acts on vendors, the EHR or the assistant", "[spec][faults]") {
  auto kinds_for = [](FaultTarget t) {
    return names_where<FaultKind>([t](FaultKind k) { return applies_to(k, t); });
  };
  CHECK(kinds_for(FaultTarget::kVendor) ==
        std::vector<std::string>{"latency", "error", "hang", "hallucination", "injection_following",
                                 "schema_break", "refusal_storm", "drift", "reset", "stream_stall",
                                 "stream_break", "forbidden_tool", "tool_wrong_arguments", "tool_loop"});
  CHECK(kinds_for(FaultTarget::kEhr) ==
        std::vector<std::string>{"latency", "error", "timeout", "wrong_patient", "irrelevant_docs",
                                 "stale_docs", "empty_results", "truncated_paging", "poisoned_note"});
  CHECK(kinds_for(FaultTarget::kAssistant) ==
        std::vector<std::string>{"prompt_deploy", "config_change"});
  for (FaultKind k : values_of<FaultKind>()) {
    INFO(to_name(k));
    const int targets = applies_to(k, FaultTarget::kVendor) + applies_to(k, FaultTarget::kEhr) +
                        applies_to(k, FaultTarget::kAssistant);
    CHECK(targets >= 1);
    // Change faults and only they change the configuration.
    CHECK((effect_of(k) == FaultEffect::kChangesConfig) == applies_to(k, FaultTarget::kAssistant));
  }
}

TEST_CASE("Fault targets are classified by their prefix", "[spec][faults]") {
  CHECK(target_class("vendor:primary") == FaultTarget::kVendor);
  CHECK(target_class("vendor:*") == FaultTarget::kVendor);
  CHECK(target_class("ehr") == FaultTarget::kEhr);
  CHECK(target_class("ehr:replica") == FaultTarget::kEhr);
  CHECK(target_class("assistant") == FaultTarget::kAssistant);
  CHECK_FALSE(target_class("vendor:").has_value());
  CHECK_FALSE(target_class("ehr:primary").has_value());
  CHECK_FALSE(target_class("database").has_value());
}

TEST_CASE("A fault's kind is the kind of its parameters", "[spec][faults]") {
  for (FaultKind k : values_of<FaultKind>()) {
    FaultSpec f;
    f.params = default_params(k);
    CHECK(f.kind() == k);
  }
  FaultSpec f;
  f.params = ErrorFault{429, 2 * kSecond, "slow down"};
  CHECK(f.kind() == FaultKind::kError);
  REQUIRE(f.as<ErrorFault>() != nullptr);
  CHECK(f.as<ErrorFault>()->status == 429);
  CHECK(f.as<LatencyFault>() == nullptr);
}

TEST_CASE("Each fault kind lists the parameter keys of its field table", "[spec][faults]") {
  CHECK(param_keys(FaultKind::kLatency) == std::vector<std::string>{"delay"});
  CHECK(param_keys(FaultKind::kError) == std::vector<std::string>{"status", "retry_after", "message"});
  CHECK(param_keys(FaultKind::kDrift) ==
        std::vector<std::string>{"model_version", "hallucination_rate", "refusal_rate"});
  CHECK(param_keys(FaultKind::kConfigChange) == std::vector<std::string>{"flag", "variant"});
  CHECK(param_keys(FaultKind::kHang).empty());
  CHECK(param_keys(FaultKind::kWrongPatient).empty());
}

TEST_CASE("The journal's fault description says what the fault does", "[spec][faults]") {
  FaultSpec f;
  f.params = ErrorFault{429, 2 * kSecond, ""};
  f.probability = 0.5;
  CHECK(describe_fault(f) == "status 429, retry-after 2s on 50% of requests");
  f.params = TimeoutFault{};
  f.probability = 1;
  CHECK(describe_fault(f) == "no response");
  f.params = PromptDeployFault{"v3"};
  CHECK(describe_fault(f) == "deploy prompt v3");
  f.params = StaleDocsFault{};
  CHECK(describe_fault(f) == "stale_docs");
}

TEST_CASE("Comparisons hold as their operator says", "[spec][names]") {
  CHECK(compare(1, CompareOp::kLess, 2));
  CHECK_FALSE(compare(2, CompareOp::kLess, 2));
  CHECK(compare(2, CompareOp::kLessEqual, 2));
  CHECK(compare(3, CompareOp::kGreater, 2));
  CHECK(compare(2, CompareOp::kGreaterEqual, 2));
  CHECK(compare(2, CompareOp::kEqual, 2));
  CHECK_FALSE(compare(2, CompareOp::kEqual, 3));
}

}  // namespace gameday
