#pragma once
// Where `gameday drill` and `gameday serve` listen: ADDR:PORT options on the command line over a
// ports file's entries (--ports FILE, load/ports.hpp), with 127.0.0.1:0 (any free port) by default.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "load/ports.hpp"

namespace gameday {

/// An ADDR:PORT a command listens on.
struct Endpoint {
  std::string host;
  std::uint16_t port = 0;  ///< 0: any free port
};

/// Where each fake vendor profile listens. The command line wins over the ports file, a profile
/// named by id over the route's plain ADDR:PORT: --vendor ID=, --vendor (the route), the file's
/// vendors.ID, the file's vendor (the route), else any free port on the route's address.
struct VendorBinds {
  std::optional<Endpoint> route;                  ///< --vendor ADDR:PORT
  std::map<std::string, Endpoint> profiles;       ///< --vendor ID=ADDR:PORT
  std::optional<Endpoint> file_route;             ///< the ports file's `vendor`
  std::map<std::string, Endpoint> file_profiles;  ///< the ports file's `vendors`

  /// Where profile `id` listens when `route_id` is the route's profile (the built-in
  /// assistant's primary route in a drill, --vendor-id in serve).
  Endpoint at(const std::string& id, const std::string& route_id) const;
};

/// A command's listen options as given: the ports file ("" = none) and the ADDR:PORT texts
/// ("" = not given).
struct ListenOptions {
  std::string ports_file;
  std::vector<std::string> vendors;               ///< --vendor [ID=]ADDR:PORT, repeatable
  std::map<std::string, std::string> servers;     ///< flag ("--ehr") -> ADDR:PORT text ("" = not given)
};

/// What ListenOptions say, checked.
struct ListenPlan {
  std::map<std::string, Endpoint> servers;  ///< flag ("--ehr") -> where it listens
  VendorBinds vendors;
  std::optional<PortsFile> ports;           ///< the ports file, when given
};

/// Parses `o` into `plan`: reads the ports file (throws ConfigError for a bad one), then lays the
/// command line over it. Returns the message for the first bad option ("--vendor: expected
/// [ID=]ADDR:PORT, got 'x'", "--ehr: 'nonsense' is not an IPv4 or IPv6 address"), or nullopt.
std::optional<std::string> plan_listen(const ListenOptions& o, ListenPlan& plan);

/// Checks the vendor profiles `plan` names against `vendor_ids` (the fakes'): throws
/// ConfigError for the ports file's, returns a message for the command line's (nullopt: all
/// known).
std::optional<std::string> check_vendor_ids(const ListenPlan& plan, const std::vector<std::string>& vendor_ids);

}  // namespace gameday
