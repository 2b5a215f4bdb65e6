#include "load/files.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace gameday {

std::optional<std::string> DiskFiles::read(const std::string& path) const {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::optional<std::uintmax_t> DiskFiles::size(const std::string& path) const {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
  const std::uintmax_t n = std::filesystem::file_size(path, ec);
  if (ec) return std::nullopt;
  return n;
}

std::vector<std::string> DiskFiles::list(const std::string& dir) const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir.empty() ? "." : dir, ec)) {
    if (entry.is_regular_file(ec)) out.push_back(resolve_path(dir, entry.path().filename().string()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<std::string> MemoryFiles::read(const std::string& path) const {
  auto it = files_.find(resolve_path("", path));
  if (it == files_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> MemoryFiles::list(const std::string& dir) const {
  const std::string prefix = dir.empty() ? "" : resolve_path("", dir) + "/";
  std::vector<std::string> out;
  for (const auto& [path, _] : files_) {
    if (path.rfind(prefix, 0) == 0 && path.find('/', prefix.size()) == std::string::npos) {
      out.push_back(path);
    }
  }
  return out;
}

std::string resolve_path(const std::string& base_dir, const std::string& path) {
  const bool absolute = !path.empty() && path[0] == '/';
  const std::string joined =
      absolute || base_dir.empty() ? path : base_dir + "/" + path;
  const bool rooted = !joined.empty() && joined[0] == '/';
  std::vector<std::string> parts;
  std::size_t i = 0;
  while (i <= joined.size()) {
    std::size_t j = joined.find('/', i);
    if (j == std::string::npos) j = joined.size();
    std::string seg = joined.substr(i, j - i);
    if (seg.empty() || seg == ".") {
      // skip
    } else if (seg == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back(seg);
      }
    } else {
      parts.push_back(seg);
    }
    i = j + 1;
  }
  std::string out = rooted ? "/" : "";
  for (std::size_t k = 0; k < parts.size(); ++k) {
    if (k) out += '/';
    out += parts[k];
  }
  if (out.empty()) out = rooted ? "/" : ".";
  return out;
}

std::string dir_of(const std::string& path) {
  const auto pos = path.rfind('/');
  if (pos == std::string::npos) return "";
  if (pos == 0) return "/";
  return path.substr(0, pos);
}

}  // namespace gameday
