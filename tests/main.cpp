// The Catch2 runner of both test binaries, which also reports skipped test cases
// (support/skip.hpp): a run with a skip and no failure exits kSkipExitCode, never 0.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <iostream>

#include "support/skip.hpp"

int main(int argc, char* argv[]) {
  const int failed = Catch::Session().run(argc, argv);
  return test_support::exit_code_for(failed, std::cout);
}
