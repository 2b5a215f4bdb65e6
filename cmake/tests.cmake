# How the test binaries become ctest tests. Included from CMakeLists.txt once gameday_tests
# (and, in a full build, gameday_e2e) are defined.
#
# - One ctest test per Catch2 test case, "unit:NAME" or "e2e:NAME", run with `-w NoTests`: a
#   name that matches no test case fails (Catch2 v2 exits 0 on "No test cases matched").
# - LABELS unit or e2e, plus slow for test cases tagged [slow], and a TIMEOUT for each, so a hung
#   test fails in minutes, not after ctest's default 1500 s.
# - SKIP_RETURN_CODE: a test case that calls skip_because() (tests/support/skip.hpp) shows as
#   "Not Run" in the summary, never as passed.
# - Two guards: a [meta] test case in each binary rejects names discovery would break
#   (tests/support/test_names_test.cpp), and "unit:ctest runs each Catch2 test case once"
#   compares ctest's counts per label with the binaries' own lists (cmake/test_count.cmake).

include(Catch)

# Seconds. The slowest test cases measured (2 cores, ctest -j2, other builds running): unit
# 1.3 s; e2e 16 s (the real-time drills); [slow] 85 s (real Prometheus and Alertmanager).
set(GAMEDAY_TEST_TIMEOUT_UNIT 60 CACHE STRING "ctest TIMEOUT of a unit test case")
set(GAMEDAY_TEST_TIMEOUT_E2E 120 CACHE STRING "ctest TIMEOUT of an end-to-end test case")
set(GAMEDAY_TEST_TIMEOUT_SLOW 300 CACHE STRING "ctest TIMEOUT of a test case tagged [slow]")
set(GAMEDAY_TEST_SKIP_CODE 77)  # kSkipExitCode in tests/support/skip.hpp

# Registers the test cases of `target` under `label` (unit | e2e) with `timeout` seconds.
function(gameday_discover_tests target label timeout)
  target_include_directories(${target} PRIVATE ${CMAKE_SOURCE_DIR}/tests)
  target_sources(${target} PRIVATE ${CMAKE_SOURCE_DIR}/tests/support/test_names_test.cpp)
  # (cmake -D drops a trailing space, so the prefix is "unit:", not "unit: ".)
  catch_discover_tests(${target} TEST_PREFIX "${label}:" EXTRA_ARGS -w NoTests
                       PROPERTIES LABELS ${label} TIMEOUT ${timeout}
                                  SKIP_RETURN_CODE ${GAMEDAY_TEST_SKIP_CODE})
  # After each build, the [slow] ones get the labels "${label};slow" and the slow timeout:
  # test_slow.cmake lists them and writes the set_tests_properties calls, which ctest reads
  # after the discovered tests (catch_discover_tests cannot pass a list-valued property).
  set(slow_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_slow.cmake")
  add_custom_command(TARGET ${target} POST_BUILD
    BYPRODUCTS "${slow_file}"
    COMMAND ${CMAKE_COMMAND} -D "BINARY=$<TARGET_FILE:${target}>" -D "PREFIX=${label}:"
            -D "LABEL=${label}" -D "TIMEOUT=${GAMEDAY_TEST_TIMEOUT_SLOW}" -D "OUT=${slow_file}"
            -P ${CMAKE_SOURCE_DIR}/cmake/test_slow.cmake
    VERBATIM)
  set(include_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_slow_include.cmake")
  file(WRITE "${include_file}" "if(EXISTS \"${slow_file}\")\n  include(\"${slow_file}\")\nendif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${include_file}")
endfunction()

if(TARGET gameday_tests)
  gameday_discover_tests(gameday_tests unit ${GAMEDAY_TEST_TIMEOUT_UNIT})
  set(_gameday_count_args -D UNIT=$<TARGET_FILE:gameday_tests> -D EXTRA_UNIT=1)
  if(TARGET gameday_e2e)
    gameday_discover_tests(gameday_e2e e2e ${GAMEDAY_TEST_TIMEOUT_E2E})
    list(APPEND _gameday_count_args -D E2E=$<TARGET_FILE:gameday_e2e>)
  endif()
  add_test(NAME "unit:ctest runs each Catch2 test case once"
           COMMAND ${CMAKE_COMMAND} -D CTEST=${CMAKE_CTEST_COMMAND} -D BUILD_DIR=${CMAKE_BINARY_DIR}
                   ${_gameday_count_args} -P ${CMAKE_SOURCE_DIR}/cmake/test_count.cmake)
  set_tests_properties("unit:ctest runs each Catch2 test case once" PROPERTIES
                       LABELS unit TIMEOUT ${GAMEDAY_TEST_TIMEOUT_UNIT})
endif()
