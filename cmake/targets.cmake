# The shapes of the project's own targets, so that each folder's
# CMakeLists.txt says only what is particular to it. Warnings are errors on
# our code only (DSE_WARNINGS).

# dse_library(NAME SOURCES src... [PUBLIC lib...] [PRIVATE lib...])
function(dse_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC;PRIVATE" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${DSE_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_PUBLIC} PRIVATE ${ARG_PRIVATE})
endfunction()

# dse_unit_test(NAME SOURCES src... LIBRARIES lib...): a GoogleTest
# executable that CTest runs (label unit) in the folder it is declared in,
# where a kind's fixtures/ are.
function(dse_unit_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${DSE_WARNINGS})
  target_link_libraries(${name} PRIVATE
    ${ARG_LIBRARIES} dse_model_testing GTest::gtest_main GTest::gmock)
  add_test(NAME ${name} COMMAND ${name}
    WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR})
  set_tests_properties(${name} PROPERTIES LABELS unit)
endfunction()

# dse_add_fuzzer(NAME SOURCE LIBS...): one libFuzzer executable, built with
# -DDSE_FUZZ=ON (clang) only.
function(dse_add_fuzzer name source)
  if(DSE_FUZZ)
    add_executable(${name} ${source})
    target_link_libraries(${name} PRIVATE ${ARGN})
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  endif()
endfunction()
