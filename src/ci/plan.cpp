#include "ci/plan.hpp"

#include <algorithm>

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
