#pragma once
// Where a value of an input file came from.
#include <string>

namespace gameday {

/// Where a value came from, for error messages after loading (1-based; 0 = unknown).
struct SourceLoc {
  std::string file;
  int line = 0;
  int col = 0;
};

}  // namespace gameday
