#include "cli/common.hpp"

#include <fstream>
#include <iostream>
#include <stdexcept>

namespace gameday {

int invalid(std::string_view command, const std::string& message) {
  std::cerr << "gameday " << command << ": " << message << "\n";
  return kExitInvalid;
}

void write_file(const std::filesystem::path& path, const std::string& contents) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << contents;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace gameday
