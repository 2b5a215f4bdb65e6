#pragma once
// What the commands share besides their exit codes: the message for a bad option and writing
// an output file.
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

}  // namespace gameday
