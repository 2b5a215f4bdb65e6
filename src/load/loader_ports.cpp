// Ports files: `vendor`, `vendors`, `ehr`, `control`, `assistant`, each ADDR:PORT (load/ports.hpp).
#include <arpa/inet.h>

#include <algorithm>

#include "load/loader_detail.hpp"
#include "load/ports.hpp"

namespace gameday {
namespace {

const std::vector<std::string> kServerKeys = {"vendor", "ehr", "control", "assistant"};

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_wildcard(const std::string& host) { return host == "0.0.0.0" || host == "::"; }

// Reads one ADDR:PORT value (or a bare port on 127.0.0.1) at `v`; reports and returns false when
// it is neither.
bool read_entry(loader::FileCtx& ctx, const YAML::Node& v, const std::string& key, PortEntry& out) {
  const auto text = loader::read_string(ctx, v, key);
  if (!text) return false;
  out.loc = ctx.loc(v.Mark());
  bool ok = false;
  if (all_digits(*text) && text->size() <= 5) {
    out.host = "127.0.0.1";
    const unsigned long p = std::stoul(*text);
    ok = p <= 65535;
    out.port = static_cast<std::uint16_t>(p);
  } else {
    ok = split_host_port(*text, out.host, out.port) && is_ip_literal(out.host);
  }
  if (!ok) {
    ctx.error(v.Mark(), "expected ADDR:PORT for '" + key + "' (e.g. 127.0.0.1:18080, [::1]:18080 or a port), got " +
                            loader::quoted(*text));
  }
  return ok;
}

// Two fixed entries that would bind the same port: the same port on the same address, or on
// addresses one of which is a wildcard.
bool clash(const PortEntry& a, const PortEntry& b) {
  return a.port != 0 && a.port == b.port && (a.host == b.host || is_wildcard(a.host) || is_wildcard(b.host));
}

}  // namespace

bool split_host_port(const std::string& text, std::string& host, std::uint16_t& port) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= text.size()) return false;
  host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host == "localhost") host = "127.0.0.1";
  unsigned long p = 0;
  for (std::size_t i = colon + 1; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    p = p * 10 + static_cast<unsigned long>(text[i] - '0');
    if (p > 65535) return false;
  }
  port = static_cast<std::uint16_t>(p);
  return true;
}

bool is_ip_literal(const std::string& host) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 || ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

PortsFile load_ports_file(const std::string& path, const FileSource& files) {
  loader::Diagnostics d;
  loader::Session s(files, d);
  PortsFile out;
  out.file = path;
  if (auto doc = s.parse_yaml(path)) {
    loader::FileCtx ctx(s, path);
    loader::MapReader top(ctx, *doc, "", "at the top level", YAML::Mark());
    if (top.ok()) {
      std::vector<std::string> keys = kServerKeys;
      keys.push_back("vendors");
      top.allow(keys);
      // In file order, so a clash is reported at the later of the two.
      std::vector<std::pair<std::string, PortEntry>> fixed;
      for (auto it = doc->begin(); it != doc->end(); ++it) {
        const std::string key = it->first.IsScalar() ? it->first.Scalar() : "";
        if (std::find(kServerKeys.begin(), kServerKeys.end(), key) != kServerKeys.end()) {
          PortEntry e;
          if (read_entry(ctx, it->second, key, e) && out.servers.emplace(key, e).second) fixed.emplace_back(key, e);
        } else if (key == "vendors") {
          loader::MapReader m(ctx, it->second, "vendors", "for 'vendors' (vendor profile id: ADDR:PORT)", it->first.Mark());
          if (!m.ok()) continue;
          for (auto v = it->second.begin(); v != it->second.end(); ++v) {
            if (!v->first.IsScalar()) continue;  // reported by the reader
            const std::string id = v->first.Scalar();
            PortEntry e;
            if (read_entry(ctx, v->second, "vendors." + id, e) && out.vendors.emplace(id, e).second) {
              fixed.emplace_back("vendors." + id, e);
            }
          }
        }
      }
      for (std::size_t i = 0; i < fixed.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
          if (!clash(fixed[j].second, fixed[i].second)) continue;
          const PortEntry& e = fixed[i].second;
          d.add(e.loc, "port " + std::to_string(e.port) + " of '" + fixed[i].first + "' is already given to '" +
                           fixed[j].first + "' (line " + std::to_string(fixed[j].second.loc.line) +
                           "): each server needs a port of its own");
          break;
        }
      }
    }
  }
  d.throw_if_any();
  return out;
}

void check_port_vendors(const PortsFile& ports, const std::vector<std::string>& vendor_ids) {
  for (const auto& [id, e] : ports.vendors) {
    if (std::find(vendor_ids.begin(), vendor_ids.end(), id) == vendor_ids.end()) {
      throw ConfigError(e.loc.file, e.loc.line, e.loc.col,
                        loader::unknown_value_message("vendor profile", id, vendor_ids, "vendors"));
    }
  }
}

}  // namespace gameday
