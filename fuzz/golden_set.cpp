// Fuzzes the golden set loader: the input is a golden set next to the shipped one, loaded and
// validated against the shipped fakes (patients, task types).
#include "load/loader.hpp"
#include "support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gameday;
  const std::string path = "scenarios/golden/fuzzed.yaml";
  const fuzz::OverlayFiles files(path, fuzz::as_text(data, size));
  fuzz::expect_config_error([&] { load_golden_set(path, files); });
  validate_files({path}, files);
  return 0;
}
