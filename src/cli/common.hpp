#pragma once
// What the commands share besides their exit codes: the message for a bad option, writing an
// output file and the interrupt flag.
#include <atomic>
#include <filesystem>
#include <string>
#include <string_view>

#include "cli/exit_codes.hpp"

namespace gameday {

/// Prints "gameday <command>: <message>" to stderr and returns kExitInvalid.
int invalid(std::string_view command, const std::string& message);

/// Writes `contents` to `path` (binary), creating its parent directories first. Throws
/// std::runtime_error when the file cannot be written.
void write_file(const std::filesystem::path& path, const std::string& contents);

/// Installs handlers that make SIGINT and SIGTERM set the returned flag (no other work in the
/// handler; runs poll it) and returns it. Idempotent; the flag is process-wide.
const std::atomic<bool>* install_interrupt_handler();

}  // namespace gameday
