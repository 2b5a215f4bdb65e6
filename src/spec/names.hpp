#pragma once
// Closed vocabularies: enums whose values have exactly one name each in files, journals and
// APIs. Every vocabulary enum E numbers its values 0..N-1 and has, in its own header,
//
//   constexpr std::string_view name_of(E e);
//
// written as a `switch` with no `default`, so -Wswitch (an error in this build) names a value
// that has no name, and returning "" for any value outside the enum. That switch is the one
// name table; the functions here derive everything else from it.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gameday {

/// How many values vocabulary E has (the first value whose name is empty ends it).
template <typename E>
constexpr std::size_t vocabulary_size() {
  std::size_t n = 0;
  while (!name_of(static_cast<E>(n)).empty()) ++n;
  return n;
}

/// The value of E named `name`; nullopt when no value has that name.
template <typename E>
constexpr std::optional<E> parse_name(std::string_view name) {
  for (std::size_t i = 0; i < vocabulary_size<E>(); ++i) {
    if (name_of(static_cast<E>(i)) == name) return static_cast<E>(i);
  }
  return std::nullopt;
}

/// Every value of E in order.
template <typename E>
std::vector<E> values_of() {
  std::vector<E> out;
  for (std::size_t i = 0; i < vocabulary_size<E>(); ++i) out.push_back(static_cast<E>(i));
  return out;
}

/// The names of the values of E for which `keep` holds, in order (for "expected one of").
template <typename E, typename Pred>
std::vector<std::string> names_where(Pred keep) {
  std::vector<std::string> out;
  for (E e : values_of<E>()) {
    if (keep(e)) out.emplace_back(name_of(e));
  }
  return out;
}

/// Every name of E in order.
template <typename E>
std::vector<std::string> names_of() {
  return names_where<E>([](E) { return true; });
}

/// name_of(e) as a std::string.
template <typename E>
std::string to_name(E e) {
  return std::string(name_of(e));
}

}  // namespace gameday
