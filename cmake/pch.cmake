# Precompiled headers for the translation units that spend most of their time parsing the same
# heavy headers: nlohmann/json and the standard library everywhere, Catch2 in every test file,
# CLI11 and spdlog in the command-line front end. Included from CMakeLists.txt before the targets
# exist; applied once they do (at the end of the directory). Off with
# -DCMAKE_DISABLE_PRECOMPILE_HEADERS=ON (e.g. to check that each file includes what it uses).
set(GAMEDAY_PCH_COMMON <algorithm> <functional> <map> <memory> <optional> <set> <string>
    <string_view> <vector> <nlohmann/json.hpp>)

function(gameday_precompile_headers)
  foreach(lib gameday_core gameday_adapters)
    if(TARGET ${lib})
      target_precompile_headers(${lib} PRIVATE ${GAMEDAY_PCH_COMMON})
    endif()
  endforeach()
  if(TARGET gameday)
    target_precompile_headers(gameday PRIVATE ${GAMEDAY_PCH_COMMON} <filesystem> <iostream>
                              <CLI/CLI.hpp> <spdlog/spdlog.h>)
  endif()
  foreach(test gameday_tests gameday_e2e)
    if(TARGET ${test})
      target_precompile_headers(${test} PRIVATE ${GAMEDAY_PCH_COMMON} <catch2/catch.hpp>)
    endif()
  endforeach()
  # main.cpp defines CATCH_CONFIG_MAIN before including Catch2: it must see the header itself,
  # not a precompiled copy without the test runner.
  set_source_files_properties(${CMAKE_SOURCE_DIR}/tests/main.cpp
                              PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
  # ccache caches a compilation that uses a precompiled header only when told to ignore the
  # header's timestamps and macros (ccache manual, "Precompiled headers").
  if(CMAKE_CXX_COMPILER_LAUNCHER MATCHES "ccache")
    foreach(t gameday_core gameday_adapters gameday gameday_tests gameday_e2e)
      if(TARGET ${t})
        set_property(TARGET ${t} PROPERTY CXX_COMPILER_LAUNCHER env
                     CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
                     ${CMAKE_CXX_COMPILER_LAUNCHER})
      endif()
    endforeach()
  endif()
endfunction()
cmake_language(DEFER CALL gameday_precompile_headers)
