// Fuzzes how the HTTP server reads requests: raw bytes through Beast's request parser as
// net/http_server.cpp configures it (a string body under the server's default body limit,
// Beast's default header limit, one flat buffer per connection carried over between pipelined
// requests), delivered once in one piece and once in small pieces as a socket might. Each
// request that parses is turned into the ServerRequest the handlers see; parse errors map to the
// statuses the server answers (400, 413, 431) or a closed connection. Beast reports bad input as
// error codes: any exception or sanitizer report is a finding.
#include <utility>  // before Boost: Boost 1.74's Asio misses it under C++20

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <algorithm>
#include <cstring>

#include "net/http_server.hpp"
#include "support.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// A connection's inbound bytes: hands out at most `piece` bytes per read, then end of stream.
class ByteStream {
 public:
  ByteStream(std::string_view bytes, std::size_t piece) : bytes_(bytes), piece_(piece) {}

  template <typename MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers, beast::error_code& ec) {
    ec = {};
    if (bytes_.empty()) {
      ec = asio::error::eof;
      return 0;
    }
    std::size_t n = 0;
    for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers);
         ++it) {
      const asio::mutable_buffer b = *it;
      const std::size_t take = std::min({b.size(), bytes_.size(), piece_ - n});
      std::memcpy(b.data(), bytes_.data(), take);
      bytes_.remove_prefix(take);
      n += take;
      if (n == piece_ || bytes_.empty()) break;
    }
    return n;
  }

  template <typename MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers) {
    beast::error_code ec;
    const std::size_t n = read_some(buffers, ec);
    if (ec) throw beast::system_error(ec);
    return n;
  }

 private:
  std::string_view bytes_;
  std::size_t piece_;
};

// The status the server answers a read error with (0: it closes the connection silently), as
// Session::on_read decides.
int status_for(const beast::error_code& ec) {
  if (ec == http::error::body_limit) return 413;
  if (ec == http::error::header_limit) return 431;
  if (ec == http::error::end_of_stream || ec == http::error::partial_message) return 0;
  if (ec.category() == http::make_error_code(http::error::bad_method).category()) return 400;
  return 0;
}

// Reads requests off `stream` until the connection would close; returns how many were read.
int serve(ByteStream& stream) {
  const gameday::net::ServerOptions options;
  beast::flat_buffer buffer;
  for (int n = 0;; ++n) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(options.body_limit);
    beast::error_code ec;
    http::read(stream, buffer, parser, ec);
    if (ec) {
      status_for(ec);
      return n;
    }
    auto& req = parser.get();
    gameday::net::ServerRequest out;
    out.method = std::string(req.method_string());
    out.target = std::string(req.target());
    for (const auto& field : req) {
      out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    out.body = std::move(req.body());
    if (!req.keep_alive()) return n + 1;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  ByteStream whole(bytes, bytes.size() + 1);
  serve(whole);
  ByteStream pieces(bytes, 7);
  serve(pieces);
  return 0;
}
