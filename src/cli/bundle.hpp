#pragma once
// Loads a scenario and everything it references (fakes, playbooks, golden sets).
#include <string>

#include "load/files.hpp"
#include "engine/simulation.hpp"

namespace gameday {

/// The scenario that `gameday run` uses when given none (embedded in the binary).
inline constexpr const char* kDefaultScenario = "scenarios/vendor-latency-spike.yaml";

/// Loads `path` and its references from `files`. Throws ConfigError on invalid input.
ScenarioBundle load_bundle(const std::string& path, const FileSource& files);

}  // namespace gameday
