// Fuzzes the assistant's control API (what playbook scripts and drill facilitators call: flags,
// prompt version, route, load shedding) and the flagd document a script may edit in
// $GAMEDAY_FLAGS_FILE, against a fresh assistant on the shipped fakes per input. The input is
// "METHOD TARGET\nBODY"; the body is also applied as an edited flagd document. Bad requests are
// expected outcomes: 4xx answers, or false with an error.
#include <memory>

#include "assistant/assistant.hpp"
#include "assistant/clients.hpp"
#include "fakes/ehr.hpp"
#include "fakes/faults.hpp"
#include "playbook/control_api.hpp"
#include "sim/journal.hpp"
#include "sim/scheduler.hpp"
#include "support.hpp"
#include "world.hpp"

namespace {

// The assistant's surroundings; nothing here runs (no task is handled), so they are shared.
struct Surroundings {
  Surroundings()
      : ehr(gameday::fuzz::shipped_world()),
        ehr_client(ehr, board, scheduler, gameday::Rng(1)),
        model_client(board, scheduler) {
    for (const auto& v : gameday::fuzz::shipped_fakes().vendors) {
      model_client.add_vendor(v, gameday::Rng(2), gameday::fuzz::shipped_fakes().hallucinations);
    }
  }
  gameday::FakeEhr ehr;
  gameday::FaultBoard board;
  gameday::VirtualScheduler scheduler;
  gameday::SimEhrClient ehr_client;
  gameday::SimModelClient model_client;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gameday;
  static Surroundings env;
  auto [line, body] = fuzz::split_first_line(fuzz::as_text(data, size));
  const auto space = line.find(' ');
  ControlRequest req;
  req.method = line.substr(0, space);
  req.target = space == std::string::npos ? "/" : line.substr(space + 1);
  req.body = body;
  const Fakes& fakes = fuzz::shipped_fakes();
  Journal journal;
  Assistant assistant(fakes.assistant, fakes.prompts, fakes.flags, env.scheduler, env.ehr_client,
                      env.model_client, journal);
  handle_control_request(assistant, req, "fuzz");
  const std::string handed_out = flags_to_flagd_json(assistant);
  std::vector<std::string> changes;
  std::string error;
  apply_flagd_json(assistant, body, "fuzz", &changes, &error, &handed_out);
  apply_flagd_json(assistant, body, "fuzz", &changes, &error);
  return 0;
}
