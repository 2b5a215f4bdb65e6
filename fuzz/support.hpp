#pragma once
// What the fuzz targets share: the fuzzed bytes as one file laid over the files embedded in the
// binary (so a fuzzed scenario finds the shipped fakes, playbooks and golden sets it references,
// with no disk I/O per input), and the rule for outcomes: an input error is expected, anything
// else that escapes the entry point is a finding.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "load/error.hpp"
#include "load/files.hpp"

namespace gameday::fuzz {

/// The embedded files (scenarios/, playbooks/, fakes/ of the source tree) with one file, at
/// `path`, replaced or added with the fuzzed `contents`.
class OverlayFiles final : public FileSource {
 public:
  OverlayFiles(std::string path, std::string contents)
      : path_(resolve_path("", path)), contents_(std::move(contents)) {}

  std::optional<std::string> read(const std::string& path) const override {
    if (resolve_path("", path) == path_) return contents_;
    return embedded_files().read(path);
  }

  std::vector<std::string> list(const std::string& dir) const override {
    std::vector<std::string> out = embedded_files().list(dir);
    const std::string here = dir_of(path_).empty() ? "." : dir_of(path_);
    if (resolve_path("", dir.empty() ? "." : dir) == here &&
        !std::binary_search(out.begin(), out.end(), path_)) {
      out.insert(std::upper_bound(out.begin(), out.end(), path_), path_);
    }
    return out;
  }

 private:
  std::string path_;
  std::string contents_;
};

/// The fuzzed bytes as a string.
inline std::string as_text(const std::uint8_t* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

/// Runs `load` and treats a ConfigError (bad input, named file:line:col) as the expected
/// outcome. Every other exception propagates and aborts the run: that is a finding.
template <typename F>
void expect_config_error(F&& load) {
  try {
    load();
  } catch (const ConfigError&) {
  }
}

/// Splits `text` at its first newline: (the first line, the rest). No newline: (text, "").
inline std::pair<std::string, std::string> split_first_line(const std::string& text) {
  const auto nl = text.find('\n');
  if (nl == std::string::npos) return {text, ""};
  return {text.substr(0, nl), text.substr(nl + 1)};
}

}  // namespace gameday::fuzz
