#pragma once
// Errors in input files: always name file:line:col.
#include <stdexcept>
#include <string>

namespace gameday {

/// An invalid input file. what() is "file:line:col: message" (line/col 1-based).
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string file, int line, int col, const std::string& message)
      : std::runtime_error(file + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " +
                           message),
        file_(std::move(file)), line_(line), col_(col), message_(message) {}
  const std::string& file() const { return file_; }
  int line() const { return line_; }
  int col() const { return col_; }
  const std::string& message() const { return message_; }

 private:
  std::string file_;
  int line_;
  int col_;
  std::string message_;
};

}  // namespace gameday
