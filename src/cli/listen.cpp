#include "cli/listen.hpp"

#include <algorithm>
#include <utility>

#include "cli/common.hpp"
#include "load/files.hpp"

namespace gameday {
namespace {

const Endpoint kAnyPort{"127.0.0.1", 0};

Endpoint endpoint_of(const PortEntry& e) { return Endpoint{e.host, e.port}; }

// --vendor [ID=]ADDR:PORT, repeatable: the route's endpoint once at most, each profile once.
std::optional<std::string> parse_vendor_binds(const std::vector<std::string>& texts, VendorBinds& binds) {
  for (const std::string& text : texts) {
    const auto eq = text.find('=');
    const std::string id = eq == std::string::npos ? "" : text.substr(0, eq);
    const std::string at = eq == std::string::npos ? text : text.substr(eq + 1);
    if (eq != std::string::npos && id.empty()) return "--vendor: expected ID=ADDR:PORT, got '" + text + "'";
    Endpoint e;
    if (!split_host_port(at, e.host, e.port)) {
      return "--vendor: expected [ID=]ADDR:PORT, got '" + text + "'";
    }
    std::string error;
    if (!valid_listen_host("--vendor", e.host, error)) return error;
    if (id.empty()) {
      if (binds.route) return "--vendor: ADDR:PORT without an ID given twice";
      binds.route = e;
    } else if (!binds.profiles.emplace(id, e).second) {
      return "--vendor: vendor profile '" + id + "' given twice";
    }
  }
  return std::nullopt;
}

}  // namespace

Endpoint VendorBinds::at(const std::string& id, const std::string& route_id) const {
  if (auto it = profiles.find(id); it != profiles.end()) return it->second;
  if (id == route_id && route) return *route;
  if (auto it = file_profiles.find(id); it != file_profiles.end()) return it->second;
  if (id == route_id && file_route) return *file_route;
  if (id == route_id) return kAnyPort;
  return Endpoint{at(route_id, route_id).host, 0};
}

std::optional<std::string> plan_listen(const ListenOptions& o, ListenPlan& plan) {
  if (!o.ports_file.empty()) {
    const DiskFiles disk;
    plan.ports = load_ports_file(o.ports_file, disk);  // ConfigError: exit 2
    for (const auto& [id, e] : plan.ports->vendors) plan.vendors.file_profiles[id] = endpoint_of(e);
    if (auto it = plan.ports->servers.find("vendor"); it != plan.ports->servers.end()) {
      plan.vendors.file_route = endpoint_of(it->second);
    }
  }
  for (const auto& [flag, text] : o.servers) {
    Endpoint e = kAnyPort;
    if (text.empty()) {
      if (plan.ports) {
        const auto it = plan.ports->servers.find(flag.substr(2));  // "--ehr" -> "ehr"
        if (it != plan.ports->servers.end()) e = endpoint_of(it->second);
      }
    } else {
      if (!split_host_port(text, e.host, e.port)) return flag + ": expected ADDR:PORT, got '" + text + "'";
      std::string error;
      if (!valid_listen_host(flag, e.host, error)) return error;
    }
    plan.servers[flag] = e;
  }
  return parse_vendor_binds(o.vendors, plan.vendors);
}

std::optional<std::string> check_vendor_ids(const ListenPlan& plan, const std::vector<std::string>& vendor_ids) {
  if (plan.ports) check_port_vendors(*plan.ports, vendor_ids);
  std::string known;
  for (const auto& id : vendor_ids) known += (known.empty() ? "" : ", ") + id;
  for (const auto& [id, _] : plan.vendors.profiles) {
    if (std::find(vendor_ids.begin(), vendor_ids.end(), id) == vendor_ids.end()) {
      return "--vendor " + id + "=...: the fakes define no vendor profile '" + id + "' (they define: " + known + ")";
    }
  }
  return std::nullopt;
}

}  // namespace gameday
