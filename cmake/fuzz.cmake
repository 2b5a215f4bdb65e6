# The libFuzzer targets: one executable per fuzz/*.cpp, named fuzz_<file>, in build/fuzz/.
# `ninja gameday_fuzzers` builds them all. Included (deferred) by cmake/sanitize.cmake when
# GAMEDAY_FUZZ is on; scripts/fuzz.sh runs them with their seed corpora.
file(GLOB GAMEDAY_FUZZ_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/fuzz/*.cpp)
add_custom_target(gameday_fuzzers)
foreach(src ${GAMEDAY_FUZZ_SOURCES})
  get_filename_component(name ${src} NAME_WE)
  add_executable(fuzz_${name} ${src})
  target_link_libraries(fuzz_${name} PRIVATE gameday_net)
  target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
  target_compile_options(fuzz_${name} PRIVATE ${GAMEDAY_WARNINGS})
  set_target_properties(fuzz_${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
  add_dependencies(gameday_fuzzers fuzz_${name})
endforeach()
