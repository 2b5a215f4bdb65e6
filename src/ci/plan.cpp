#include "ci/plan.hpp"

#include <algorithm>
#include <stdexcept>

#include "ci/text.hpp"

namespace gameday {
namespace {

// A whole number of at most six digits, nothing else.
std::optional<int> parse_small_int(std::string_view s) {
  if (s.empty() || s.size() > 6) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace

std::vector<std::uint64_t> ci_seeds(std::uint64_t base, int count) {
  std::vector<std::uint64_t> seeds;
  for (int k = 0; k < count; ++k) seeds.push_back(base + static_cast<std::uint64_t>(k));
  return seeds;
}

std::vector<WorkItem> work_items(const std::vector<PlannedScenario>& plan) {
  std::vector<std::size_t> order(plan.size());
  for (std::size_t i = 0; i < plan.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return plan[a].name < plan[b].name; });
  std::vector<WorkItem> items;
  for (std::size_t i : order) {
    for (std::uint64_t seed : plan[i].seeds) items.push_back(WorkItem{i, seed});
  }
  return items;
}

std::optional<Shard> parse_shard(std::string_view text, std::string* error) {
  auto fail = [&] {
    if (error) {
      *error = "expected i/n with 1 <= i <= n (e.g. 1/4), got '" + std::string(text) + "'";
    }
    return std::nullopt;
  };
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return fail();
  const auto i = parse_small_int(text.substr(0, slash));
  const auto n = parse_small_int(text.substr(slash + 1));
  if (!i || !n || *n < 1 || *i < 1 || *i > *n) return fail();
  return Shard{*i, *n};
}

std::optional<Shard> shard_from_env(std::optional<std::string_view> completion_index,
                                    std::optional<std::string_view> completions) {
  if (!completion_index) return std::nullopt;
  const std::string index_name = kJobCompletionIndexEnv;
  const std::string count_name = kJobCompletionsEnv;
  if (!completions) {
    throw std::invalid_argument(
        index_name + "=" + std::string(*completion_index) + " is set but " + count_name +
        " is not: set " + count_name + " to the Job's spec.completions (Kubernetes does not "
        "expose it to the pod), or pass --shard I/N");
  }
  const auto i = parse_small_int(*completion_index);
  if (!i) {
    throw std::invalid_argument(index_name + " must be a whole number (the pod's 0-based index: 0, 1, ...), got '" +
                                std::string(*completion_index) + "'");
  }
  const auto n = parse_small_int(*completions);
  if (!n || *n < 1) {
    throw std::invalid_argument(count_name + " must be a whole number of at least 1 (the Job's spec.completions), " +
                                "got '" + std::string(*completions) + "'");
  }
  if (*i >= *n) {
    throw std::invalid_argument(index_name + "=" + std::to_string(*i) + " is out of range for " + count_name + "=" +
                                std::to_string(*n) + " (0-based: 0 to " + std::to_string(*n - 1) + ")");
  }
  return Shard{*i + 1, *n};
}

std::vector<WorkItem> select_shard(const std::vector<WorkItem>& all, const Shard& shard) {
  std::vector<WorkItem> mine;
  for (std::size_t k = 0; k < all.size(); ++k) {
    if (static_cast<int>(k % static_cast<std::size_t>(shard.count)) == shard.index - 1) {
      mine.push_back(all[k]);
    }
  }
  return mine;
}

std::string replay_command(const PlannedScenario& scenario, std::uint64_t seed) {
  const std::string s = std::to_string(seed);
  return "gameday run " + shell_quote(scenario.file) + " --seed " + s + " --out " +
         shell_quote("reports/" + scenario.name + "-" + s);
}

}  // namespace gameday
