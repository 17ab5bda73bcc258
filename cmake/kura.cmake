# kura_library(NAME SOURCES ... DEPS ...): one static library per layer (src/NAME).
# Layers link only the layers below them; tests/layering_test.py checks the #includes too.
function(kura_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(kura_${name} STATIC ${ARG_SOURCES})
  target_include_directories(kura_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(kura_${name} PUBLIC ${ARG_DEPS})
endfunction()

# kura_test(NAME SOURCES ... DEPS ...): a GoogleTest binary beside the code it tests.
function(kura_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  # GoogleTest's headers are most of a test file's compile time: parse them once per binary.
  target_precompile_headers(${name} PRIVATE <gtest/gtest.h>)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS unit)
endfunction()

# kura_test_on_postgres(NAME FILTER): registers the tests of NAME matching the
# GoogleTest FILTER a second time, named postgresql/..., with their metadata
# on PostgreSQL (KURA_TEST_METADATA_BACKEND; they skip without
# KURA_TEST_POSTGRES_URL). For the suites whose fixtures open their database
# through meta::CreateEnvironmentTestDatabase.
function(kura_test_on_postgres name filter)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 TEST_PREFIX "postgresql/" TEST_FILTER "${filter}"
                       PROPERTIES LABELS unit ENVIRONMENT KURA_TEST_METADATA_BACKEND=postgresql)
endfunction()
