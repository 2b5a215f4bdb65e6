// Fuzzes the fake vendor's embeddings request parser (POST /v1/embeddings body) and, for an
// accepted body of a sane size, the response the vendor renders. A bad body is an expected
// outcome: false with a WireError naming the field.
#include "net/openai_wire.hpp"
#include "support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gameday;
  net::openai::EmbeddingCall call;
  net::openai::WireError error;
  if (!net::openai::parse_embedding_request(fuzz::as_text(data, size), call, error)) {
    net::openai::error_json(error);
    return 0;
  }
  // The response is inputs x dimensions floats: render it only when that stays small, so one
  // input does not take seconds (the server's body limit bounds it in production).
  if (call.inputs.size() * static_cast<std::size_t>(call.dimensions) <= 64 * 1024) {
    net::openai::embeddings_json(call);
  }
  return 0;
}
