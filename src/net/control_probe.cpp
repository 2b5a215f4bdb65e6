#include "net/control_probe.hpp"

#include "net/http_client.hpp"

namespace gameday::net {

ControlProbe probe_service_control(const std::string& root, Duration timeout) {
  HttpRequest req;
  req.method = "GET";
  req.url = root;
  req.headers.emplace_back("Accept", "application/json");
  req.timeout = timeout;
  const HttpResult r = http_request(req);
  ControlProbe probe;
  probe.status = r.status;
  if (r.status == 0) {
    probe.error = "got no answer (" + r.error + ")";
    return probe;
  }
  if (r.status < 200 || r.status >= 300) {
    probe.error = "answered HTTP " + std::to_string(r.status);
    return probe;
  }
  std::string why;
  probe.state = parse_control_state(r.body, &why);
  if (!probe.state) {
    probe.malformed = true;
    probe.error = "answered HTTP " + std::to_string(r.status) + ", but not with a control state (" + why + ")";
  }
  return probe;
}

}  // namespace gameday::net
