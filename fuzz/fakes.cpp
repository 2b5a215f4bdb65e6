// Fuzzes the fakes loader. The input's first line names one file of the fakes directory
// (vendors.yaml, world.yaml, policies.yaml, hallucinations.yaml, injections.yaml,
// assistant/prompts.yaml, assistant/flags.json, assistant/assistant.yaml); the rest replaces
// that file's shipped contents. The directory is loaded as a scenario run does and validated as
// `gameday validate fakes` does.
#include "load/loader.hpp"
#include "support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gameday;
  auto [name, contents] = fuzz::split_first_line(fuzz::as_text(data, size));
  // Only names inside fakes/: the overlay must not escape the directory under test.
  if (name.empty() || name.find("..") != std::string::npos || name.front() == '/') return 0;
  const fuzz::OverlayFiles files("fakes/" + name, std::move(contents));
  fuzz::expect_config_error([&] { load_fakes("fakes", files); });
  validate_files({"fakes"}, files);
  return 0;
}
