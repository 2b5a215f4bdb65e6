#pragma once
// What the fuzz targets of the fake vendor's wire formats share: the shipped primary profile's
// FakeVendor and a mixed hallucination fault to bend its answers (built once per process), and
// asking it a request plainly and bent.
#include <vector>

#include "fakes/tool_calls.hpp"
#include "fakes/vendor.hpp"
#include "sim/rng.hpp"
#include "world.hpp"

namespace gameday::fuzz {

/// The shipped fakes' first vendor profile, with their hallucination material.
inline const FakeVendor& shipped_vendor() {
  static const FakeVendor v(shipped_fakes().vendors.front(), shipped_fakes().hallucinations);
  return v;
}

/// A vendor hallucination fault in mixed mode, on every vendor.
inline const FaultSpec& mixed_hallucination() {
  static const FaultSpec f = [] {
    FaultSpec s;
    s.id = "fuzz-hallucination";
    s.target = "vendor:*";
    s.params = HallucinationFault{};
    s.as<HallucinationFault>()->mode = HallucinationMode::kMixed;
    return s;
  }();
  return f;
}

/// Asks shipped_vendor() for `req` with `turn` attached (tools::attach, as the live server does),
/// once without faults and once under mixed_hallucination(), on one random stream seeded with
/// `seed`, and hands each outcome to `on_outcome`.
template <typename F>
void answer_plain_and_bent(ChatRequest req, const tools::ToolTurn& turn, std::uint64_t seed, F&& on_outcome) {
  tools::attach(req, turn);
  Rng rng(seed);
  for (const auto& faults : {std::vector<const FaultSpec*>{}, std::vector{&mixed_hallucination()}}) {
    on_outcome(shipped_vendor().respond(req, 0, rng, faults));
  }
}

}  // namespace gameday::fuzz
