// Fuzzes the built-in assistant server's answer request parser (POST /v1/answers body). A bad
// body is an expected outcome: false with the error and the field.
#include "net/assistant_server.hpp"
#include "support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gameday;
  net::AskBody body;
  std::string error;
  std::string field;
  net::parse_ask_body(fuzz::as_text(data, size), body, error, field);
  return 0;
}
