#pragma once
// The work of a CI sweep: every scenario at its seeds, in a stable order cut into shards, and
// the command that replays one item locally.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gameday {

/// A scenario as planned for a CI run (identical on every shard of the same sweep).
struct PlannedScenario {
  std::string name;  ///< scenario name (unique within a plan)
  std::string file;  ///< scenario file as given to `gameday ci` (used in replay commands)
  std::vector<std::uint64_t> seeds;  ///< seeds to run, in order
  /// Per-metric absolute slack overriding the default tolerance (seconds for durations).
  std::map<std::string, double> tolerance;
};

/// The CI seeds of a scenario whose own seed is `base`: base, base+1, ..., base+count−1, so
/// `--seeds 1` reproduces `gameday run` of the same file.
std::vector<std::uint64_t> ci_seeds(std::uint64_t base, int count);

/// One unit of work: a scenario of the plan (by index) at one seed.
struct WorkItem {
  std::size_t scenario = 0;
  std::uint64_t seed = 0;
};

/// Every (scenario, seed) pair of `plan` in the stable order shards are cut from: scenarios in
/// name order, then seeds in plan order.
std::vector<WorkItem> work_items(const std::vector<PlannedScenario>& plan);

/// A slice of the work: shard `index` of `count`, 1-based (1 <= index <= count).
struct Shard {
  int index = 1;
  int count = 1;
};

/// Parses "i/n" with 1 <= i <= n. On failure returns nullopt and sets `error`.
std::optional<Shard> parse_shard(std::string_view text, std::string* error);

/// The variable Kubernetes sets in each pod of an Indexed Job: the pod's 0-based index.
inline constexpr const char* kJobCompletionIndexEnv = "JOB_COMPLETION_INDEX";
/// The number of shards of such a Job. Kubernetes does not expose spec.completions to the pod,
/// so the Job's manifest sets this variable to the same value.
inline constexpr const char* kJobCompletionsEnv = "JOB_COMPLETIONS";

/// The shard a pod of a Kubernetes Indexed Job runs: JOB_COMPLETION_INDEX i (0-based) of
/// JOB_COMPLETIONS n is shard i+1 of n. Takes the two variables' values (nullopt = unset) and
/// reads nothing else, so `gameday ci` passes getenv's answers. nullopt when
/// JOB_COMPLETION_INDEX is unset, whatever JOB_COMPLETIONS says (alone it selects nothing).
/// Throws std::invalid_argument, with a message naming the variable, when JOB_COMPLETION_INDEX
/// is set without JOB_COMPLETIONS, when either is not a whole number of digits only (empty
/// included), when JOB_COMPLETIONS is 0, or when the index is not below the count.
std::optional<Shard> shard_from_env(std::optional<std::string_view> completion_index,
                                    std::optional<std::string_view> completions);

/// The items of `all` (in work_items order) that belong to `shard`: position k goes to shard
/// (k mod count) + 1, so the shards 1..count partition `all` exactly and are balanced.
std::vector<WorkItem> select_shard(const std::vector<WorkItem>& all, const Shard& shard);

/// The command that replays one run locally:
/// `gameday run FILE --seed S --out reports/NAME-S` (arguments shell-quoted when needed).
std::string replay_command(const PlannedScenario& scenario, std::uint64_t seed);

}  // namespace gameday
