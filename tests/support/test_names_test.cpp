// Every test case must become exactly one ctest test that runs exactly it. catch_discover_tests
// reads `--list-test-names-only` into a CMake list and passes each name back to the binary as a
// test spec, escaping only `,`, `[` and `]`; the names below would be split, merged or matched
// as patterns on the way. Compiled into both test binaries (cmake/tests.cmake).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <vector>

namespace {

// Why `name` would not come back from catch_discover_tests as itself, or "" when it would.
std::string name_problem(const std::string& name) {
  if (name.empty()) return "it is empty";
  if (name.find(';') != std::string::npos) return "a ';' splits it into two ctest tests, neither of which runs it";
  if (name.find('\\') != std::string::npos) return "a '\\' escapes the next character, for CMake and for Catch";
  if (name.find('"') != std::string::npos) return "a '\"' quotes in a Catch test spec";
  if (std::isspace(static_cast<unsigned char>(name.front())) || std::isspace(static_cast<unsigned char>(name.back()))) {
    return "Catch trims a test spec, so leading or trailing space is lost";
  }
  if (name.front() == '#') return "--list-test-names-only quotes a name that starts with '#'";
  if (name.front() == '~') return "a leading '~' negates a Catch test spec";
  if (name.front() == '*' || name.back() == '*') return "a leading or trailing '*' is a wildcard in a Catch test spec";
  if (name.rfind("exclude:", 0) == 0) return "'exclude:' negates a Catch test spec";
  int depth = 0;
  for (const char c : name) {
    depth += c == '[' ? 1 : c == ']' ? -1 : 0;
    if (depth < 0) break;
  }
  if (depth != 0) return "unbalanced '[' ']' make CMake read the following names as part of it";
  if (name.find("]=") != std::string::npos) return "']=' can end the bracket argument CMake writes it in";
  return "";
}

// Catch matches a test spec without regard to case or surrounding space.
std::string match_key(const std::string& name) {
  std::string key;
  for (const char c : name) key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto first = key.find_first_not_of(" \t");
  const auto last = key.find_last_not_of(" \t");
  return first == std::string::npos ? "" : key.substr(first, last - first + 1);
}

}  // namespace

TEST_CASE("Every test case name comes back from ctest discovery as exactly that test case", "[meta]") {
  std::vector<std::string> problems;
  std::map<std::string, std::string> seen;  // match key -> name
  for (const Catch::TestCase& t : Catch::getRegistryHub().getTestCaseRegistry().getAllTests()) {
    if (const std::string why = name_problem(t.name); !why.empty()) {
      problems.push_back("\"" + t.name + "\" (" + t.lineInfo.file + ":" + std::to_string(t.lineInfo.line) + "): " + why);
    }
    const auto [it, fresh] = seen.emplace(match_key(t.name), t.name);
    if (!fresh) {
      problems.push_back("\"" + t.name + "\" and \"" + it->second + "\" match the same test spec (case and outer space do not count)");
    }
  }
  std::string report;
  for (const auto& p : problems) report += p + "\n";
  INFO(report);
  REQUIRE(problems.empty());
}

TEST_CASE("The test name check flags names that ctest discovery would break", "[meta]") {
  REQUIRE(name_problem("Scheduler runs same-time events in scheduling order").empty());
  REQUIRE(name_problem("Rates stay in [0, 1], commas and brackets escaped").empty());
  REQUIRE_FALSE(name_problem("A leak here; none there").empty());
  REQUIRE_FALSE(name_problem("A back\\slash").empty());
  REQUIRE_FALSE(name_problem("Trailing space ").empty());
  REQUIRE_FALSE(name_problem("#1 first").empty());
  REQUIRE_FALSE(name_problem("~not").empty());
  REQUIRE_FALSE(name_problem("Ends with a star*").empty());
  REQUIRE_FALSE(name_problem("An open [ bracket").empty());
  REQUIRE_FALSE(name_problem("A close ] bracket [").empty());
  REQUIRE(match_key("  Same Name ") == match_key("same name"));
}
