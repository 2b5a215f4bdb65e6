# One static library per module under src/, and the check that keeps the layering honest.
#
#   gameday_module(NAME [DEPS module...] [LINK target...] [SOURCES file...])
#
# builds src/NAME/*.cpp into gameday_NAME, linked PUBLIC to the modules in DEPS (which must be
# declared earlier, so the declaration order is the layer order) and to the targets in LINK.
# A module without sources is an INTERFACE library. Every module is recorded, with the set of
# modules it may include (itself and everything it links, transitively), for
# gameday_check_layers().

set(GAMEDAY_MODULE_NAMES "")

function(gameday_module name)
  cmake_parse_arguments(M "" "" "DEPS;LINK;SOURCES" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/${name}/*.cpp)
  list(APPEND srcs ${M_SOURCES})
  set(allowed ${name})
  set(dep_targets "")
  foreach(d ${M_DEPS})
    if(NOT d IN_LIST GAMEDAY_MODULE_NAMES)
      message(FATAL_ERROR "module ${name}: dependency '${d}' is not declared before it")
    endif()
    list(APPEND dep_targets gameday_${d})
    list(APPEND allowed ${GAMEDAY_MODULE_ALLOWED_${d}})
  endforeach()
  list(REMOVE_DUPLICATES allowed)
  if(srcs)
    add_library(gameday_${name} STATIC ${srcs})
    target_include_directories(gameday_${name} PUBLIC ${CMAKE_SOURCE_DIR}/src)
    target_link_libraries(gameday_${name} PUBLIC ${dep_targets} ${M_LINK})
    target_compile_options(gameday_${name} PRIVATE ${GAMEDAY_WARNINGS})
  else()
    add_library(gameday_${name} INTERFACE)
    target_include_directories(gameday_${name} INTERFACE ${CMAKE_SOURCE_DIR}/src)
    target_link_libraries(gameday_${name} INTERFACE ${dep_targets} ${M_LINK})
  endif()
  set(GAMEDAY_MODULE_ALLOWED_${name} ${allowed} PARENT_SCOPE)
  set(GAMEDAY_MODULE_NAMES ${GAMEDAY_MODULE_NAMES} ${name} PARENT_SCOPE)
  # "name=dep1,dep2" for the checker (CMake lists cannot nest).
  string(REPLACE ";" "," allowed_csv "${allowed}")
  set(GAMEDAY_LAYER_TABLE ${GAMEDAY_LAYER_TABLE} "${name}=${allowed_csv}" PARENT_SCOPE)
endfunction()

# Adds the build step that runs cmake/check_layers.cmake over src/ (every build; it reads the
# sources, a fraction of a second). tests/support/layers_test.cpp runs the same check as a test.
function(gameday_check_layers)
  string(REPLACE ";" "|" table "${GAMEDAY_LAYER_TABLE}")
  set(cmd ${CMAKE_COMMAND} -DSRC=${CMAKE_SOURCE_DIR}/src "-DTABLE=${table}"
          -P ${CMAKE_SOURCE_DIR}/cmake/check_layers.cmake)
  add_custom_target(gameday_layers ALL COMMAND ${cmd}
                    COMMENT "Checking that no module includes a module above it" VERBATIM)
  foreach(m ${GAMEDAY_MODULE_NAMES})
    add_dependencies(gameday_${m} gameday_layers)
  endforeach()
endfunction()
