#pragma once
// Tests that need an outside tool (promtool, Prometheus, Alertmanager, node and the npm clients,
// curl) skip visibly when it is missing, never pass without testing anything:
//
//   const auto promtool = find_tool({"promtool"});
//   if (promtool.empty()) return skip_because("promtool not in PATH (apt-get install prometheus)");
//
// A skipped test case prints "SKIPPED: reason" and the test binary exits with kSkipExitCode
// (tests/main.cpp), which ctest reports as "Not Run" (SKIP_RETURN_CODE, cmake/tests.cmake).
// With GAMEDAY_REQUIRE_ALL_TOOLS set (as .ci/run does), a skip is a failure instead.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace test_support {

/// The exit code of a test binary in which no test case failed and at least one was skipped;
/// ctest's SKIP_RETURN_CODE for every discovered test.
inline constexpr int kSkipExitCode = 77;

/// The environment variable that turns a skip into a failure when set to anything but "" or "0".
inline constexpr const char* kRequireAllToolsVar = "GAMEDAY_REQUIRE_ALL_TOOLS";

/// The test cases skipped in this process so far, as "name: reason", in the order they skipped.
inline std::vector<std::string>& skipped_test_cases() {
  static std::vector<std::string> skipped;
  return skipped;
}

/// True when GAMEDAY_REQUIRE_ALL_TOOLS asks for every tool to be present.
inline bool all_tools_required() {
  const char* v = std::getenv(kRequireAllToolsVar);
  return v != nullptr && *v != '\0' && std::string_view(v) != "0";
}

/// Marks the running test case skipped for `reason` (what is missing and how to install it); the
/// caller returns at once: `return skip_because("...")`. Fails the test case instead when
/// all_tools_required(). Call it before any assertion.
inline void skip_because(const std::string& reason) {
  if (all_tools_required()) {
    FAIL(kRequireAllToolsVar << " is set and a test would skip: " << reason);
  }
  WARN("SKIPPED: " << reason);
  const std::string entry = Catch::getResultCapture().getCurrentTestName() + ": " + reason;
  auto& skipped = skipped_test_cases();
  // A test case with sections runs once per section: record it once.
  if (skipped.empty() || skipped.back() != entry) skipped.push_back(entry);
}

/// The first of `names` that is an executable file in a directory of $PATH, or an empty path.
inline std::filesystem::path find_tool(std::initializer_list<std::string_view> names) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return {};
  for (const std::string_view name : names) {
    std::string_view rest = path;
    while (!rest.empty()) {
      const auto colon = rest.find(':');
      const std::string_view dir = rest.substr(0, colon);
      rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
      if (dir.empty()) continue;
      const std::filesystem::path candidate = std::filesystem::path(dir) / name;
      std::error_code ec;
      if (std::filesystem::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) {
        return candidate;
      }
    }
  }
  return {};
}

/// The process exit code for a run whose Catch session returned `failed`: kSkipExitCode when
/// nothing failed but something was skipped (listing the skips on `out`, so a run by hand does
/// not read as a pass), else `failed` (moved off kSkipExitCode, which only a skip may return).
inline int exit_code_for(int failed, std::ostream& out) {
  const auto& skipped = skipped_test_cases();
  if (failed == 0 && !skipped.empty()) {
    out << "SKIPPED, not passed: " << skipped.size() << " test case(s) did not run:\n";
    for (const auto& s : skipped) out << "  " << s << "\n";
    return kSkipExitCode;
  }
  return failed == kSkipExitCode ? kSkipExitCode + 1 : failed;
}

}  // namespace test_support
