#pragma once
// Conditions of `when` and `wait_for`, evaluated over what production can see: the detector's
// SLIs and which alerts fire. Never the ground truth.
#include <optional>
#include <string>
#include <vector>

#include "spec/model.hpp"
#include "slo/detector.hpp"

namespace gameday {

/// What conditions read. Implemented over the Detector in simulation (DetectorSignals); tests
/// script it.
class ConditionSignals {
 public:
  virtual ~ConditionSignals() = default;
  /// The SLI over the trailing `window` ending now; nullopt without data.
  virtual std::optional<double> sli(Sli sli, Duration window) const = 0;
  /// The vendor SLI over calls to `vendor` only ("" = sli()). The default has no per-vendor
  /// data: nullopt for a named vendor.
  virtual std::optional<double> vendor_sli(Sli s, Duration window, const std::string& vendor) const {
    if (vendor.empty()) return sli(s, window);
    return std::nullopt;
  }
  /// Whether alert `name` is firing now.
  virtual bool firing(const std::string& name) const = 0;
};

/// Signals read from a Detector (which must outlive it).
class DetectorSignals final : public ConditionSignals {
 public:
  explicit DetectorSignals(const Detector& detector) : detector_(detector) {}
  std::optional<double> sli(Sli sli, Duration window) const override {
    return detector_.sli(sli, window);
  }
  std::optional<double> vendor_sli(Sli sli, Duration window, const std::string& vendor) const override {
    return detector_.sli(sli, window, vendor);
  }
  bool firing(const std::string& name) const override {
    for (const auto& n : detector_.firing()) {
      if (n == name) return true;
    }
    return false;
  }

 private:
  const Detector& detector_;
};

/// The result of evaluating a condition.
struct ConditionReading {
  bool holds = false;
  std::string observed;  // what was seen, e.g. "error_ratio 0.034", "no requests in 2m"
};

/// Evaluates `c` now. An SLI without data never satisfies a condition; without signals
/// (nullptr) nothing holds.
ConditionReading evaluate_condition(const ConditionSpec& c, const ConditionSignals* signals);

/// The condition as text ("error_ratio < 0.01 over 2m", "alert X firing"): `c.text` when set.
std::string describe_condition(const ConditionSpec& c);

}  // namespace gameday
