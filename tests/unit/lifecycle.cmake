# Unit tests for a grant's life in jitd (expiry timers, sessions, sudo's
# timestamp, extensions): linked against jitd-core, since the pieces under
# test sit next to the event loop code.
add_executable(test_lifecycle ${CMAKE_CURRENT_LIST_DIR}/test_lifecycle.c)
target_include_directories(test_lifecycle PRIVATE ${PROJECT_SOURCE_DIR}/tests)
target_link_libraries(test_lifecycle PRIVATE jitd-core)
target_compile_definitions(test_lifecycle PRIVATE JIT_TEST_DATA_DIR="${CMAKE_CURRENT_LIST_DIR}/data")
add_test(NAME jitd/test_lifecycle COMMAND test_lifecycle)
set_tests_properties(jitd/test_lifecycle PROPERTIES TIMEOUT 120 LABELS unit)
