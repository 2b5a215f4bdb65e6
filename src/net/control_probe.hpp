#pragma once
// Discovery of a --sut service's control contract (playbook/service_control.hpp): one GET of its
// control root before a drill starts, with a short timeout.
#include <optional>
#include <string>

#include "playbook/service_control.hpp"
#include "sim/time.hpp"

namespace gameday::net {

/// What GET {root} answered.
struct ControlProbe {
  std::optional<ServiceControlState> state;  ///< a 2xx control state: the service has the contract
  int status = 0;                            ///< the HTTP status (0: no answer)
  bool malformed = false;                    ///< a 2xx whose body is not a control state
  /// Without a state, what happened, to follow "GET URL": "answered HTTP 404", "got no answer
  /// (Connection refused)", "answered HTTP 200, but not with a control state ('route' is not a string)".
  std::string error;
};

/// Asks GET `root` (an http:// or https:// URL) within `timeout` of real time. Never throws for
/// network problems.
ControlProbe probe_service_control(const std::string& root, Duration timeout);

}  // namespace gameday::net
