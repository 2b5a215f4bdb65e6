// Fuzzes the parser of Alertmanager webhook notifications (what a drill with external alerts
// receives). A bad body is an expected outcome: nullopt with the error.
#include "net/control_server.hpp"
#include "support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gameday;
  std::string error;
  net::parse_alertmanager_webhook(fuzz::as_text(data, size), error);
  return 0;
}
