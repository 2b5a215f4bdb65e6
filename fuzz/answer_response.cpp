// Fuzzes the parser of an answer service's response (what `gameday drill --sut URL` reads back
// from the team's own service: untrusted bytes), against one task of each type over the shipped
// world, and judges what it parsed (the judge reads the service's own words). A body that is
// not an answer response is an expected outcome: false with the error.
#include <vector>

#include "net/assistant_server.hpp"
#include "quality/judge.hpp"
#include "sim/rng.hpp"
#include "support.hpp"
#include "workload/task.hpp"
#include "world.hpp"

namespace {

const std::vector<gameday::Task>& tasks() {
  static const std::vector<gameday::Task> all = [] {
    static const gameday::TaskFactory factory(gameday::fuzz::shipped_world());
    gameday::Rng rng(1);
    std::vector<gameday::Task> out;
    for (const auto type : gameday::all_task_types()) out.push_back(factory.random(type, rng));
    return out;
  }();
  return all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gameday;
  const std::string body = fuzz::as_text(data, size);
  for (const Task& task : tasks()) {
    Answer answer;
    std::string error;
    if (net::answer_from_response(body, task, fuzz::shipped_world(), answer, error)) {
      (void)judge(task, answer);
    }
  }
  return 0;
}
