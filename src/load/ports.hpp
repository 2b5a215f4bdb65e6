#pragma once
// Ports files (`gameday drill|serve --ports FILE`): where each live server listens, fixed before
// the run so a team's service can be configured with them. Format (every key optional):
//   vendor: 127.0.0.1:18080          # the assistant's route (drill), the --vendor-id profile (serve)
//   vendors:                          # by vendor profile id (fakes/vendors.yaml)
//     secondary: 127.0.0.1:18081
//   ehr: 127.0.0.1:18090
//   control: 127.0.0.1:18099
//   assistant: 127.0.0.1:18100        # drill only (serve has no assistant and ignores it)
// A value is ADDR:PORT (an IPv4 or IPv6 literal, [::1]:PORT, localhost) or a bare port number
// (on 127.0.0.1); port 0 is any free port. A fixed port appears once in a file.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "load/files.hpp"
#include "spec/source.hpp"

namespace gameday {

/// One ADDR:PORT of a ports file and where it was written.
struct PortEntry {
  std::string host;        ///< an IPv4 or IPv6 literal (brackets dropped)
  std::uint16_t port = 0;  ///< 0: any free port
  SourceLoc loc;           ///< the value's position
};

/// A ports file, read and checked on its own (vendor ids are checked against the fakes later,
/// by check_port_vendors).
struct PortsFile {
  std::string file;
  std::map<std::string, PortEntry> servers;  ///< "vendor", "ehr", "control", "assistant" when given
  std::map<std::string, PortEntry> vendors;  ///< vendor profile id -> where it listens
};

/// Splits "ADDR:PORT" ("[::1]:80" drops the brackets, "localhost" becomes 127.0.0.1); false when
/// malformed (no colon, no address, a port that is not a number up to 65535).
bool split_host_port(const std::string& text, std::string& host, std::uint16_t& port);

/// Whether `host` is an IPv4 or IPv6 address literal.
bool is_ip_literal(const std::string& host);

/// Loads a ports file. Throws ConfigError ("file:line:col: message") for a file it cannot read
/// or parse, an unknown key, a value that is not ADDR:PORT (or a port), and a fixed port given
/// twice (naming where it was first given).
PortsFile load_ports_file(const std::string& path, const FileSource& files);

/// Throws ConfigError at the first `vendors` entry of `ports` whose id is not in `vendor_ids`
/// (the fakes' vendor profiles), listing them.
void check_port_vendors(const PortsFile& ports, const std::vector<std::string>& vendor_ids);

}  // namespace gameday
