// Fuzzes the scenario loader: the input is a scenario file next to the shipped ones (its
// references to ../fakes, ../playbooks and golden sets resolve to the embedded copies), loaded
// as `gameday run` does and validated as `gameday validate` does.
#include "load/loader.hpp"
#include "support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gameday;
  const std::string path = "scenarios/fuzzed.yaml";
  const fuzz::OverlayFiles files(path, fuzz::as_text(data, size));
  fuzz::expect_config_error([&] { load_scenario(path, files); });
  // validate_files reports bad input as diagnostics: nothing may escape it.
  validate_files({path}, files);
  return 0;
}
