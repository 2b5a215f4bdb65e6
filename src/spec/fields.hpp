#pragma once
// Field tables: one list of (key, member, accepted values) per parameter struct, so the loader
// that reads a struct, the JSON that writes it back and the docs that list it cannot drift apart.
// A struct S has one by specializing FieldsOf<S> with `static constexpr auto kFields`, a
// std::tuple of field(...) values in the order keys are written.
#include <string_view>
#include <tuple>

namespace gameday {

/// One parameter: its key in files and APIs, the member it fills, whether it must be given, and
/// for numbers the inclusive range [min, max] it accepts.
template <typename S, typename T>
struct Field {
  std::string_view key;
  T S::*member;
  bool required = false;
  double min = 0;
  double max = 0;
  /// For enum-valued fields: what a value is called in messages ("hallucination mode").
  std::string_view label = {};
};

/// Marks a field as required.
inline constexpr bool kRequiredField = true;

/// A field of any type (strings, durations, distributions, enums).
template <typename S, typename T>
constexpr Field<S, T> field(std::string_view key, T S::*member, bool required = false) {
  return Field<S, T>{key, member, required, 0, 0, {}};
}

/// A number accepted in [min, max].
template <typename S, typename T>
constexpr Field<S, T> number_field(std::string_view key, T S::*member, double min, double max) {
  return Field<S, T>{key, member, false, min, max, {}};
}

/// An enum-valued field; `label` names its values in messages.
template <typename S, typename T>
constexpr Field<S, T> enum_field(std::string_view key, T S::*member, std::string_view label) {
  return Field<S, T>{key, member, false, 0, 0, label};
}

/// The field table of S (specialized next to S).
template <typename S>
struct FieldsOf;

/// Calls fn(field) for every field of S, in table order.
template <typename S, typename Fn>
constexpr void for_each_field(Fn&& fn) {
  std::apply([&](const auto&... f) { (fn(f), ...); }, FieldsOf<S>::kFields);
}

}  // namespace gameday
