#pragma once
// What the fuzz targets of the fake vendor's wire formats share: the shipped primary profile's
// FakeVendor and a mixed hallucination fault to bend its answers, built once per process.
#include "fakes/vendor.hpp"
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

}  // namespace gameday::fuzz
