// Fuzzes the playbook loader: the input is a playbook file next to the shipped ones (golden
// sets it names resolve to the embedded copies), loaded and validated against the shipped fakes.
#include "load/loader.hpp"
#include "support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gameday;
  const std::string path = "playbooks/fuzzed.yaml";
  const fuzz::OverlayFiles files(path, fuzz::as_text(data, size));
  fuzz::expect_config_error([&] { load_playbook(path, files); });
  validate_files({path}, files);
  return 0;
}
