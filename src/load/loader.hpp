#pragma once
// Loading and validating gameday's input files (scenarios, playbooks, golden sets, fakes/).
// The implementation (load/loader*.cpp) is the only code that uses yaml-cpp; everything else
// sees the plain structs of spec/model.hpp. File formats: docs/file-formats.md.
#include <string>
#include <vector>

#include "load/error.hpp"
#include "load/files.hpp"
#include "spec/model.hpp"

namespace gameday {

/// Loads the fake world under `dir`: vendors.yaml, world.yaml, policies.yaml and
/// assistant/{prompts.yaml, flags.json, assistant.yaml}. Checks the files against each other
/// (policy plans exist, assistant routes name vendors, its prompt version exists, policy facts
/// appear verbatim in their text). Throws ConfigError at the first problem.
Fakes load_fakes(const std::string& dir, const FileSource& files);

/// Loads and validates a scenario. `fakes_dir` and `playbook_files` come back resolved against
/// the scenario's directory, and the referenced fakes files and playbooks must exist (their
/// contents are not validated here: see validate_files). When the scenario has an `assistant:`
/// block, `assistant` holds fakes' assistant.yaml with the block's fields laid over it.
/// Throws ConfigError at the first problem (`path:1:1: cannot read file` when it is missing).
Scenario load_scenario(const std::string& path, const FileSource& files);

/// Loads and validates a playbook. Each golden.check step's `set` comes back resolved against
/// the playbook's directory; the set is loaded, and supplies `min_pass_rate` when the step has
/// none. Throws ConfigError at the first problem.
Playbook load_playbook(const std::string& path, const FileSource& files);

/// Loads a fault file for live mode (`gameday serve --faults`): a top-level `faults` list in the
/// scenario syntax, where `at` is optional (live faults start when loaded). Throws ConfigError
/// at the first problem.
std::vector<FaultSpec> load_fault_file(const std::string& path, const FileSource& files);

/// Parses one fault from a JSON (or YAML) object, as the control API receives it. Errors name
/// `source` with line and column, and the field (e.g. "request body:1:30: unknown fault kind
/// 'slow' ..."). Throws ConfigError.
FaultSpec parse_fault(const std::string& text, const std::string& source = "request body");

/// Loads and validates a golden set. Throws ConfigError at the first problem.
GoldenSet load_golden_set(const std::string& path, const FileSource& files);

/// What an input file is, judged by its top-level keys.
enum class FileKind { kScenario, kPlaybook, kGoldenSet, kUnknown };

/// A scenario has `faults`, `workload` or `duration`; a playbook `steps`; a golden set `cases`.
/// kUnknown for anything else, including unreadable, unparsable and too large files.
FileKind detect_kind(const std::string& path, const FileSource& files);

/// Validates each file and the references between files; returns one "file:line:col: message"
/// per problem, in file order without duplicates (empty = all valid). Never throws for bad
/// input. A scenario also pulls in its fakes, playbooks and their golden sets, and checks that
/// playbook triggers name the scenario's alerts, failover targets name vendors, prompt versions
/// and flags/variants exist, golden patients exist in the world. A playbook or golden set on its
/// own is checked against the fakes/ directory next to it (../fakes or ../../fakes) when there is
/// one; a file of a fakes directory validates that whole directory. A path naming a directory
/// validates it as a fakes directory when it is one, else each *.yaml / *.yml file directly in it.
/// `warnings` (may be null) receives "file:line:col: warning: message" for problems that do not
/// stop a run (a trigger alert the scenario does not define while another trigger can fire).
std::vector<std::string> validate_files(const std::vector<std::string>& paths,
                                        const FileSource& files,
                                        std::vector<std::string>* warnings = nullptr);

/// The task types a workload mix, a golden case or a fault's `task_types` may name.
inline constexpr const char* kTaskTypes[] = {"prior_auth_status", "benefits_question",
                                             "discharge_summary", "message_triage"};
/// A workload without a `mix` runs the first this many of kTaskTypes in equal shares.
inline constexpr int kDefaultMixTaskTypes = 3;

}  // namespace gameday
