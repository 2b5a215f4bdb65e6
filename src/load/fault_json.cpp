#include "load/fault_json.hpp"

#include <cmath>
#include <string>
#include <type_traits>
#include <variant>

namespace gameday {
namespace {

using Json = nlohmann::ordered_json;

template <typename T>
[[maybe_unused]] inline constexpr bool kUnwritable = false;

// Writes one parameter by its field table entry.
template <typename S, typename T>
void write_field(Json& j, const S& params, const Field<S, T>& f) {
  const std::string key(f.key);
  const T& v = params.*(f.member);
  if constexpr (std::is_same_v<T, DurationDist>) {
    j[key] = dist_to_json(v);
  } else if constexpr (std::is_same_v<T, Duration>) {
    j[key] = format_duration_exact(v);
  } else if constexpr (std::is_same_v<T, int> || std::is_same_v<T, double>) {
    j[key] = v;
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!v.empty()) j[key] = v;
  } else if constexpr (std::is_enum_v<T>) {
    j[key] = to_name(v);
  } else {
    static_assert(kUnwritable<T>, "no writer for this field type");
  }
}

}  // namespace

Json dist_to_json(const DurationDist& d) {
  switch (d.kind) {
    case DistKind::kFixed:
      return format_duration_exact(d.value);
    case DistKind::kUniform:
      return Json{{"dist", "uniform"}, {"min", format_duration_exact(d.min)},
                  {"max", format_duration_exact(d.max)}};
    case DistKind::kExponential:
      return Json{{"dist", "exponential"}, {"mean", format_duration_exact(d.mean)}};
    case DistKind::kLognormal:
      return Json{{"dist", "lognormal"}, {"median", format_duration_exact(d.median)}, {"sigma", d.sigma}};
  }
  return nullptr;
}

namespace {

// {ramp: [from, to], over: d}, as the loader reads it.
Json ramp_to_json(const ParamRamp& r) {
  auto end = [&](double v) -> Json {
    if (r.duration) return format_duration_exact(static_cast<Duration>(std::llround(v)));
    return v;
  };
  return Json{{"ramp", Json::array({end(r.ramp.from), end(r.ramp.to)})},
              {"over", format_duration_exact(r.ramp.over)}};
}

// Writes `r` over the constant its parameter was written as: in place of the number or
// duration, or of a delay distribution's scale (a fixed delay is the ramp itself).
void write_ramp(Json& j, const ParamRamp& r) {
  auto it = j.find(r.key);
  if (it != j.end() && it->is_object()) {
    for (const char* scale : {"median", "mean", "value"}) {
      if (it->contains(scale)) (*it)[scale] = ramp_to_json(r);
    }
    return;
  }
  j[r.key] = ramp_to_json(r);
}

}  // namespace

Json fault_to_json(const FaultSpec& f) {
  Json j = {{"id", f.id}, {"target", f.target}, {"kind", to_name(f.kind())}};
  if (f.repeat) {
    j["repeat"] = Json{{"every", format_duration_exact(f.repeat->every)},
                       {"for", format_duration_exact(f.duration)},
                       {"times", f.repeat->times}};
  } else if (f.duration > 0) {
    j["for"] = format_duration_exact(f.duration);
  }
  j["probability"] = f.probability;
  if (f.every_nth > 0) j["every_nth"] = f.every_nth;
  if (f.first_n > 0) j["first_n"] = f.first_n;
  if (!f.task_types.empty()) j["task_types"] = f.task_types;
  if (!f.models.empty()) j["models"] = f.models;
  if (!f.routes.empty()) j["routes"] = f.routes;
  if (!f.incident.empty()) j["incident"] = f.incident;
  std::visit(
      [&](const auto& p) {
        using P = std::decay_t<decltype(p)>;
        for_each_field<P>([&](const auto& field) { write_field(j, p, field); });
      },
      f.params);
  for (const ParamRamp& r : f.ramps) write_ramp(j, r);
  return j;
}

}  // namespace gameday
