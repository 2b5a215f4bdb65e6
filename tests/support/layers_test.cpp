// The module layering of src/ (cmake/modules.cmake) as a test: the same check the build runs
// before compiling, on the real tree and on a fixture whose bottom module reaches up.
#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <string>

namespace {

// Runs `command` through the shell; returns its exit status and output (stdout and stderr).
std::pair<int, std::string> run(const std::string& command) {
  std::string out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  REQUIRE(p != nullptr);
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), buf.size(), p) != nullptr) out += buf.data();
  const int status = ::pclose(p);
  return {status, out};
}

std::string check_layers(const std::string& src, const std::string& table) {
  return std::string("'") + GAMEDAY_CMAKE_COMMAND + "' -DSRC='" + src + "' '-DTABLE=" + table +
         "' -P '" GAMEDAY_SOURCE_DIR "/cmake/check_layers.cmake'";
}

}  // namespace

TEST_CASE("No module of src includes a module it does not link", "[meta][layers]") {
  const auto [status, out] = run(check_layers(GAMEDAY_SOURCE_DIR "/src", GAMEDAY_LAYER_TABLE));
  INFO(out);
  CHECK(status == 0);
}

TEST_CASE("The layering check names the file that includes an upper module", "[meta][layers]") {
  const auto [status, out] =
      run(check_layers(GAMEDAY_SOURCE_DIR "/tests/data/layers/src", "sim=sim|spec=spec,sim"));
  INFO(out);
  CHECK(status != 0);
  CHECK_THAT(out, Catch::Contains("src/sim/clock.hpp: sim includes spec/"));
}
