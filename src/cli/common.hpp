#pragma once
// What the commands share besides their exit codes: the message for a bad option, writing an
// output file and the interrupt flag.
#include <atomic>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "cli/exit_codes.hpp"

namespace gameday {

/// Prints "gameday <command>: <message>" to stderr and returns kExitInvalid.
int invalid(std::string_view command, const std::string& message);

/// Writes `contents` to `path` (binary), creating its parent directories first. Throws
/// std::runtime_error ("cannot write PATH: reason") when the file cannot be written.
void write_file(const std::filesystem::path& path, const std::string& contents);

/// Why `path` could not be written later, checked before a long job so that a bad output option
/// fails at once rather than after the work: its directory cannot be created or is not
/// writable, or `path` is a directory. nullopt when it looks writable (creates the directory).
std::optional<std::string> output_problem(const std::filesystem::path& path);

/// The bearer token of a command's control API, from `--token` (`token`), `--token-file`
/// (`token_file`: the file's contents without the trailing newline and spaces) or else the
/// GAMEDAY_TOKEN environment variable, into `out` ("" when none is given). Returns an error
/// message when both options are given, or the file cannot be read or holds no token.
std::optional<std::string> resolve_token(const std::string& token, const std::string& token_file,
                                         std::string& out);

/// Whether `host` is a valid listen address (an IPv4 or IPv6 literal); sets `error` to a
/// message naming `flag` when not.
bool valid_listen_host(const std::string& flag, const std::string& host, std::string& error);

/// Installs handlers that make SIGINT and SIGTERM set the returned flag (no other work in the
/// handler; runs poll it) and returns it. Idempotent; the flag is process-wide.
const std::atomic<bool>* install_interrupt_handler();

/// Set by the handler above on the second SIGINT/SIGTERM: the rollbacks still running are cut
/// short (see SimOptions::stop_rollbacks).
const std::atomic<bool>* second_interrupt_flag();

}  // namespace gameday
