// How the fake model reads a prompt's instructions (fakes/bend.hpp).
#include <catch2/catch.hpp>

#include <string>

#include "fakes/bend.hpp"

using namespace gameday;

namespace {

ChatRequest ask(const std::string& system) {
  ChatRequest r;
  r.messages = {{"system", system},
                {"user", "Question: What is the status of prior authorization PA-1?\nContext:\n"
                         "[doc:pa-1] Prior authorization PA-1 for an MRI was approved on 2024-02-02.\n"}};
  return r;
}

}  // namespace

TEST_CASE("Each request's own system prompt decides whether the model cites and stays grounded", "[fakes][bend]") {
  // The words of the last system prompt are kept for the next request with the same text:
  // a different text must be read again, in both directions, however the requests alternate.
  const ChatRequest citing = ask("Answer only from the context and CITE the [doc:ID] you use.");
  const ChatRequest loose = ask("Answer the question helpfully.");
  for (int round = 0; round < 3; ++round) {
    INFO("round " << round);
    const std::string a = bend::plain_answer(citing);
    CHECK(a.find("approved") != std::string::npos);
    CHECK(a.find("[doc:pa-1]") != std::string::npos);
    CHECK(bend::grounded_prompt(citing));
    const std::string b = bend::plain_answer(loose);
    CHECK(b.find("approved") != std::string::npos);
    CHECK(b.find("[doc:") == std::string::npos);
    CHECK_FALSE(bend::grounded_prompt(loose));
  }
}
