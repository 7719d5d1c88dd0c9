# hb_add_test(NAME name SOURCES a.c b.c LIBS lib... LABELS unit|gateware|sim|hw [TIMEOUT s])
# builds a Criterion test program and registers it with CTest under the given labels.
# Tests labelled "hw" report themselves skipped unless HB_HW=1 (exit code 77 = skipped).
function(hb_add_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} PkgConfig::CRITERION)
  target_include_directories(${T_NAME} PRIVATE ${CMAKE_SOURCE_DIR}/tests/fakes)
  add_test(NAME ${T_NAME} COMMAND ${T_NAME} --jobs=1)
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  set_tests_properties(${T_NAME} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
    SKIP_RETURN_CODE 77
    ENVIRONMENT "HB_SOURCE_DIR=${CMAKE_SOURCE_DIR};HB_BUILD_DIR=${CMAKE_BINARY_DIR};ASAN_OPTIONS=detect_leaks=1:abort_on_error=0;UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
endfunction()
