# Checks builds (docs/architecture.md, "Sanitizers and fuzzing"). Included from CMakeLists.txt
# before any target is defined, so the compile and link flags reach every target.
#   GAMEDAY_SANITIZE  AddressSanitizer + UndefinedBehaviorSanitizer (undefined behaviour aborts
#                     the program), with frame pointers for readable stacks, and libstdc++'s
#                     bounds checks (_GLIBCXX_ASSERTIONS). GCC or clang.
#   GAMEDAY_TSAN      ThreadSanitizer (clang or GCC; not with GAMEDAY_SANITIZE): data races
#                     between the live servers' io threads, `gameday ci`'s workers and the
#                     journal writer. Not run by .ci/run (its time budget); see the README.
#   GAMEDAY_NO_SIMD   the fake vendor's portable context scanner instead of the SSE2 one (the
#                     answers are identical; this build proves it).
#   GAMEDAY_FUZZ      libFuzzer targets under fuzz/ (clang only), one executable per file in
#                     build/fuzz/; every target is instrumented for coverage. Pair it with
#                     GAMEDAY_SANITIZE. scripts/fuzz.sh runs them.
option(GAMEDAY_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(GAMEDAY_TSAN "Build with ThreadSanitizer" OFF)
option(GAMEDAY_NO_SIMD "Build the portable (non-SSE2) context scanner of the fake vendor" OFF)
option(GAMEDAY_FUZZ "Build the libFuzzer targets under fuzz/ (clang)" OFF)

if(GAMEDAY_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer -fno-optimize-sibling-calls)
  add_compile_definitions(_GLIBCXX_ASSERTIONS)
  add_link_options(-fsanitize=address,undefined)
endif()

if(GAMEDAY_TSAN)
  if(GAMEDAY_SANITIZE)
    message(FATAL_ERROR "GAMEDAY_TSAN and GAMEDAY_SANITIZE cannot be combined (ThreadSanitizer "
                        "and AddressSanitizer exclude each other): configure two build trees")
  endif()
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()

if(GAMEDAY_NO_SIMD)
  add_compile_definitions(GAMEDAY_NO_SIMD)
endif()

if(GAMEDAY_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "GAMEDAY_FUZZ needs clang (libFuzzer): configure with "
                        "-DCMAKE_CXX_COMPILER=clang++-14")
  endif()
  # Coverage feedback from the code under test, not only from the fuzz targets themselves.
  add_compile_options(-fsanitize=fuzzer-no-link)
  # The targets link against the libraries defined later in CMakeLists.txt.
  cmake_language(DEFER CALL include ${CMAKE_SOURCE_DIR}/cmake/fuzz.cmake)
endif()
