// Fuzzes the fault parsers of live mode: the same bytes as a control API fault body
// (POST /faults: parse_fault, JSON or YAML) and as a fault file (`gameday serve --faults`). A
// fault the control API accepts is shown back as JSON (GET /faults).
#include "load/loader.hpp"
#include "net/control_server.hpp"
#include "support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gameday;
  const std::string text = fuzz::as_text(data, size);
  fuzz::expect_config_error([&] { net::fault_json(parse_fault(text)); });
  const fuzz::OverlayFiles files("faults.yaml", text);
  fuzz::expect_config_error([&] { load_fault_file("faults.yaml", files); });
  return 0;
}
