// Fuzzes the drill room's action parser (what a trainee's page POSTs to /room/api/action). A bad
// body is an expected outcome: nullopt naming the field. What it accepts must be one of the
// actions it documents, and a note must hold no identifier once parsed (it is journaled).
#include <cstdlib>
#include <string>

#include "assistant/phi.hpp"
#include "net/room.hpp"
#include "support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gameday;
  std::string error, field;
  const auto a = net::parse_room_action(std::string(fuzz::as_text(data, size)), error, field);
  if (!a) {
    if (error.empty()) std::abort();
    return 0;
  }
  static const char* const kActions[] = {"ack", "flag", "prompt_rollback", "prompt_deploy", "route", "shed",
                                         "playbook", "golden", "declare", "suspect", "note"};
  bool known = false;
  for (const char* k : kActions) known = known || a->action == k;
  if (!known) std::abort();
  if (a->action == "note" && (contains_phi(a->detail) || a->detail.size() > 2000)) std::abort();
  return 0;
}
