#include "spec/fault.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <utility>

namespace gameday {

std::optional<FaultTarget> target_class(std::string_view target) {
  if (target == "ehr" || target == "ehr:replica") return FaultTarget::kEhr;
  if (target == "assistant") return FaultTarget::kAssistant;
  if (target.substr(0, 7) == "vendor:" && target.size() > 7) return FaultTarget::kVendor;
  return std::nullopt;
}

namespace {
template <std::size_t... I>
FaultParams default_params_of(std::size_t k, std::index_sequence<I...>) {
  FaultParams out;
  (void)((k == I ? (out.emplace<I>(), true) : false) || ...);
  return out;
}
}  // namespace

FaultParams default_params(FaultKind k) {
  return default_params_of(static_cast<std::size_t>(k),
                           std::make_index_sequence<std::variant_size_v<FaultParams>>{});
}

std::vector<std::string> param_keys(FaultKind k) {
  std::vector<std::string> keys;
  std::visit(
      [&](const auto& p) {
        using P = std::decay_t<decltype(p)>;
        for_each_field<P>([&](const auto& f) { keys.emplace_back(f.key); });
      },
      default_params(k));
  return keys;
}

double Ramp::value_at(Duration elapsed) const {
  if (elapsed <= 0) return from;
  if (elapsed >= over) return to;
  return from + (to - from) * (static_cast<double>(elapsed) / static_cast<double>(over));
}

namespace {

// Sets one rampable member to `v`; members of other types cannot ramp (the loader refuses).
template <typename T>
void set_ramped(T& member, double v) {
  if constexpr (std::is_same_v<T, double>) {
    member = v;
  } else if constexpr (std::is_same_v<T, Duration>) {
    member = static_cast<Duration>(std::llround(v));
  } else if constexpr (std::is_same_v<T, DurationDist>) {
    // The ramp moves the distribution's scale: a fixed value, a lognormal median, an
    // exponential mean.
    const auto d = static_cast<Duration>(std::llround(v));
    switch (member.kind) {
      case DistKind::kFixed: member.value = d; break;
      case DistKind::kLognormal: member.median = d; break;
      case DistKind::kExponential: member.mean = d; break;
      case DistKind::kUniform: break;
    }
  }
}

std::string describe_ramp(const ParamRamp& r) {
  auto show = [&](double v) {
    if (r.duration) return format_duration_exact(static_cast<Duration>(std::llround(v)));
    if (r.key == "probability") return std::to_string(static_cast<int>(v * 100 + 0.5)) + "%";
    std::string s = std::to_string(v);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  };
  return r.key + " ramps " + show(r.ramp.from) + " -> " + show(r.ramp.to) + " over " +
         format_duration_exact(r.ramp.over);
}

}  // namespace

FaultSpec at_elapsed(const FaultSpec& f, Duration elapsed) {
  FaultSpec out = f;
  for (const ParamRamp& r : f.ramps) {
    const double v = r.ramp.value_at(elapsed);
    if (r.key == "probability") {
      out.probability = v;
      continue;
    }
    std::visit(
        [&](auto& p) {
          using P = std::decay_t<decltype(p)>;
          for_each_field<P>([&](const auto& field) {
            if (field.key == r.key) set_ramped(p.*(field.member), v);
          });
        },
        out.params);
  }
  return out;
}

std::vector<SimTime> window_starts(const FaultSpec& f) {
  std::vector<SimTime> out;
  const int times = f.repeat ? f.repeat->times : 1;
  const Duration every = f.repeat ? f.repeat->every : 0;
  for (int k = 0; k < times; ++k) out.push_back(f.at + k * every);
  return out;
}

namespace {

// What the fault does, without its ramps and repeat.
std::string describe_effect(const FaultSpec& f) {
  std::string d;
  switch (f.kind()) {
    case FaultKind::kLatency:
      d = "+" + describe(f.as<LatencyFault>()->delay);
      break;
    case FaultKind::kError: {
      const ErrorFault& e = *f.as<ErrorFault>();
      d = "status " + std::to_string(e.status);
      if (e.retry_after > 0) d += ", retry-after " + format_duration(e.retry_after);
      break;
    }
    case FaultKind::kHang:
    case FaultKind::kTimeout:
      d = "no response";
      break;
    case FaultKind::kPromptDeploy:
      return "deploy prompt " + f.as<PromptDeployFault>()->prompt_version;
    case FaultKind::kForbiddenTool:
      d = "forbidden_tool " + f.as<ForbiddenToolFault>()->tool;
      break;
    case FaultKind::kConfigChange: {
      const ConfigChangeFault& c = *f.as<ConfigChangeFault>();
      return "set flag " + c.flag + " to " + c.variant;
    }
    case FaultKind::kHallucination:
    case FaultKind::kInjectionFollowing:
    case FaultKind::kSchemaBreak:
    case FaultKind::kRefusalStorm:
    case FaultKind::kDrift:
    case FaultKind::kReset:
    case FaultKind::kStreamStall:
    case FaultKind::kStreamBreak:
    case FaultKind::kToolWrongArguments:
    case FaultKind::kToolLoop:
    case FaultKind::kWrongPatient:
    case FaultKind::kIrrelevantDocs:
    case FaultKind::kStaleDocs:
    case FaultKind::kEmptyResults:
    case FaultKind::kTruncatedPaging:
    case FaultKind::kPoisonedNote:
      d = to_name(f.kind());
      break;
  }
  const bool ramped = std::any_of(f.ramps.begin(), f.ramps.end(),
                                  [](const ParamRamp& r) { return r.key == "probability"; });
  if (f.probability < 1.0 && !ramped) {
    d += " on " + std::to_string(static_cast<int>(f.probability * 100 + 0.5)) + "% of requests";
  }
  if (!f.routes.empty()) {
    d += f.routes.size() == 1 ? " (route " : " (routes ";
    for (std::size_t i = 0; i < f.routes.size(); ++i) d += (i ? ", " : "") + f.routes[i];
    d += ")";
  }
  return d;
}

}  // namespace

std::string describe_fault(const FaultSpec& f) {
  std::string d = describe_effect(f);
  for (const ParamRamp& r : f.ramps) d += ", " + describe_ramp(r);
  if (f.repeat) {
    d += ", repeats every " + format_duration_exact(f.repeat->every) + " for " +
         format_duration_exact(f.duration) +
         ", " + std::to_string(f.repeat->times) + " times";
  }
  return d;
}

bool fault_on_route(const FaultSpec& f, std::string_view route) {
  if (route == kEmbeddingsRoute && !applies_to_embeddings(f.kind())) return false;
  if (f.routes.empty()) return true;
  for (const auto& r : f.routes) {
    if (r == route) return true;
  }
  return false;
}

}  // namespace gameday
