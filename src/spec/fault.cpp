#include "spec/fault.hpp"

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

std::string describe_fault(const FaultSpec& f) {
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
    case FaultKind::kWrongPatient:
    case FaultKind::kIrrelevantDocs:
    case FaultKind::kStaleDocs:
    case FaultKind::kEmptyResults:
    case FaultKind::kTruncatedPaging:
    case FaultKind::kPoisonedNote:
      d = to_name(f.kind());
      break;
  }
  if (f.probability < 1.0) {
    d += " on " + std::to_string(static_cast<int>(f.probability * 100 + 0.5)) + "% of requests";
  }
  if (!f.routes.empty()) {
    d += f.routes.size() == 1 ? " (route " : " (routes ";
    for (std::size_t i = 0; i < f.routes.size(); ++i) d += (i ? ", " : "") + f.routes[i];
    d += ")";
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
