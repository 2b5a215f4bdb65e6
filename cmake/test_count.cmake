# Checks that ctest runs every Catch2 test case exactly once (registered by cmake/tests.cmake):
#   cmake -D CTEST=ctest -D BUILD_DIR=build -D UNIT=gameday_tests [-D E2E=gameday_e2e]
#         -D EXTRA_UNIT=1 -P test_count.cmake
# - ctest tests labelled unit = test cases of UNIT (+ EXTRA_UNIT checks such as this one),
# - ctest tests labelled e2e  = test cases of E2E,
# - ctest tests labelled slow = test cases tagged [slow] in either binary,
# - every ctest test is labelled unit or e2e.
# A test name with a ';' (two ctest tests for one test case) or one CMake merges with the next
# (one ctest test for two) makes a count differ.

# The number of test cases `binary` lists for the Catch2 test spec `spec` (empty: all).
function(catch_count binary spec out)
  execute_process(COMMAND "${binary}" ${spec} --list-test-names-only
                  OUTPUT_VARIABLE listing RESULT_VARIABLE rc)
  if(rc LESS 0 OR NOT rc MATCHES "^[0-9]+$")
    message(FATAL_ERROR "${binary} --list-test-names-only failed: ${rc}")
  endif()
  # Count lines, not list elements: a name with a ';' is still one line.
  string(REGEX MATCHALL "\n" lines "${listing}")
  list(LENGTH lines n)
  set(${out} ${n} PARENT_SCOPE)
endfunction()

# The number of ctest tests selected by `args` (e.g. -L ^unit$).
function(ctest_count out)
  execute_process(COMMAND "${CTEST}" --test-dir "${BUILD_DIR}" -N ${ARGN}
                  OUTPUT_VARIABLE listing RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR NOT listing MATCHES "Total Tests: ([0-9]+)")
    message(FATAL_ERROR "ctest -N ${ARGN} failed (${rc}):\n${listing}")
  endif()
  set(${out} ${CMAKE_MATCH_1} PARENT_SCOPE)
endfunction()

set(failures "")
macro(expect what ctest_n catch_n)
  message(STATUS "${what}: ctest ${ctest_n}, Catch2 ${catch_n}")
  if(NOT "${ctest_n}" EQUAL "${catch_n}")
    string(APPEND failures "  ${what}: ctest has ${ctest_n} tests, Catch2 ${catch_n} test cases\n")
  endif()
endmacro()

if(NOT DEFINED EXTRA_UNIT)
  set(EXTRA_UNIT 0)
endif()
catch_count("${UNIT}" "" unit_cases)
catch_count("${UNIT}" "[slow]~[.]" slow_cases)
math(EXPR unit_expected "${unit_cases} + ${EXTRA_UNIT}")
ctest_count(unit_tests -L "^unit$")
expect("label unit" ${unit_tests} ${unit_expected})
if(E2E)
  catch_count("${E2E}" "" e2e_cases)
  catch_count("${E2E}" "[slow]~[.]" e2e_slow_cases)
  math(EXPR slow_cases "${slow_cases} + ${e2e_slow_cases}")
  ctest_count(e2e_tests -L "^e2e$")
  expect("label e2e" ${e2e_tests} ${e2e_cases})
endif()
ctest_count(slow_tests -L "^slow$")
expect("label slow" ${slow_tests} ${slow_cases})
ctest_count(unlabelled -LE "^(unit|e2e)$")
expect("neither unit nor e2e" ${unlabelled} 0)

if(failures)
  message(FATAL_ERROR "ctest does not run each Catch2 test case exactly once:\n${failures}"
          "Look for test names with ';', '\\' or unbalanced brackets (the [meta] test names them).")
endif()
