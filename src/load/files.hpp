#pragma once
// Where input files come from: the disk, or the copy embedded in the binary (the default
// scenario runs with no files at all). Tests use an in-memory source.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace gameday {

/// Reads input files by path.
class FileSource {
 public:
  virtual ~FileSource() = default;
  /// The file's contents, or nullopt when it does not exist.
  virtual std::optional<std::string> read(const std::string& path) const = 0;
  /// The file's size in bytes, or nullopt when it does not exist; lets a reader refuse a
  /// file that is too large before reading it. By default, the size of what read() returns.
  virtual std::optional<std::uintmax_t> size(const std::string& path) const {
    auto text = read(path);
    if (!text) return std::nullopt;
    return text->size();
  }
  /// Paths of regular files directly inside `dir` (sorted), for directory-wide commands.
  virtual std::vector<std::string> list(const std::string& dir) const = 0;
};

/// Reads from the real filesystem.
class DiskFiles final : public FileSource {
 public:
  std::optional<std::string> read(const std::string& path) const override;
  std::optional<std::uintmax_t> size(const std::string& path) const override;
  std::vector<std::string> list(const std::string& dir) const override;
};

/// Reads from a fixed map of path -> contents (embedded defaults, tests).
class MemoryFiles final : public FileSource {
 public:
  MemoryFiles() = default;
  explicit MemoryFiles(std::map<std::string, std::string> files) : files_(std::move(files)) {}
  void add(const std::string& path, std::string contents) { files_[path] = std::move(contents); }
  std::optional<std::string> read(const std::string& path) const override;
  std::vector<std::string> list(const std::string& dir) const override;

 private:
  std::map<std::string, std::string> files_;
};

/// The files compiled into the binary: scenarios/, playbooks/, fakes/ and docs/*.yaml (the
/// answer service contract) of the source tree, keyed by their path relative to the project root.
const MemoryFiles& embedded_files();

/// Joins `base_dir` and a relative `path` and normalizes "." and ".." segments;
/// absolute paths are returned normalized.
std::string resolve_path(const std::string& base_dir, const std::string& path);

/// The directory part of `path` ("" for a bare file name).
std::string dir_of(const std::string& path);

}  // namespace gameday
