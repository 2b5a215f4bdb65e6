// Fuzzes the live control API's request handling without sockets (`gameday serve` and drills:
// list, add and remove faults, /reset, /metrics, /status). The input is
// "METHOD TARGET\nBODY"; each input starts from no active faults. Bad requests are expected
// outcomes: 4xx answers.
#include <map>

#include "net/control_server.hpp"
#include "support.hpp"
#include "world.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gameday;
  auto [line, body] = fuzz::split_first_line(fuzz::as_text(data, size));
  const auto space = line.find(' ');
  net::ServerRequest req;
  req.method = line.substr(0, space);
  req.target = space == std::string::npos ? "/" : line.substr(space + 1);
  req.body = std::move(body);
  net::LiveFaults faults;
  net::LiveMetrics metrics;
  net::LiveContext ctx{fuzz::shipped_fakes(), fuzz::shipped_world(), faults, metrics, 1};
  static const std::map<std::string, std::string> servers = {
      {"vendor", "http://127.0.0.1:1/v1"}, {"ehr", "http://127.0.0.1:2/fhir"}};
  net::handle_live_control(ctx, req, servers);
  // A fault just added shows up in the list (and can be removed again).
  req.method = "GET";
  req.target = "/faults";
  net::handle_live_control(ctx, req, servers);
  return 0;
}
