# Compile-time levers for the test binaries, which hold half of a clean build's compile time.
# Measured per translation unit (GCC 12, RelWithDebInfo): optimizing and writing debug info is
# three quarters of a test file's compile time, parsing Catch2, nlohmann/json and the standard
# library most of the rest. So the unit test drivers build without optimization (the code they test
# keeps the build's flags: it lives in the libraries) and with those headers precompiled. The
# libraries and the front end gain nothing measurable from precompiled headers (their small
# files get slower), so they have none. Included from CMakeLists.txt before the targets exist;
# applied once they do (at the end of the directory). Precompiled headers are off with
# -DCMAKE_DISABLE_PRECOMPILE_HEADERS=ON (e.g. to check that each file includes what it uses).
function(gameday_speed_up_tests)
  foreach(test gameday_tests gameday_e2e)
    if(TARGET ${test})
      # The end-to-end tests keep the build's optimization: they scan whole journals and
      # reports (std::regex over every library scenario's output takes twice as long at -O0).
      if(test STREQUAL "gameday_tests")
        target_compile_options(${test} PRIVATE -O0)
      endif()
      target_precompile_headers(${test} PRIVATE <algorithm> <functional> <map> <memory>
                                <optional> <set> <string> <string_view> <vector>
                                <nlohmann/json.hpp> <catch2/catch.hpp>)
      # ccache caches a compilation that uses a precompiled header only when told to ignore the
      # header's timestamps and macros (ccache manual, "Precompiled headers").
      if(CMAKE_CXX_COMPILER_LAUNCHER MATCHES "ccache")
        set_property(TARGET ${test} PROPERTY CXX_COMPILER_LAUNCHER env
                     CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
                     ${CMAKE_CXX_COMPILER_LAUNCHER})
      endif()
    endif()
  endforeach()
  # main.cpp defines CATCH_CONFIG_MAIN before including Catch2: it must see the header itself,
  # not a precompiled copy without the test runner.
  set_source_files_properties(${CMAKE_SOURCE_DIR}/tests/main.cpp
                              PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
endfunction()
cmake_language(DEFER CALL gameday_speed_up_tests)
