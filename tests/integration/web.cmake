# Approver notification against a real jitd: webhooks to real loopback
# receivers (tests/tools/webhook-receiver.py) and the review pages over real
# HTTP (libcurl). Included from CMakeLists.txt; needs the web unit-test
# helpers (tests/unit/web.cmake) for the receivers.
find_package(Python3 COMPONENTS Interpreter)
set(WEB_IT_PYTHON "")
if(Python3_Interpreter_FOUND)
  set(WEB_IT_PYTHON ${Python3_EXECUTABLE})
endif()

add_library(jit-web-it-helpers STATIC ${CMAKE_CURRENT_LIST_DIR}/web-helpers.c)
target_include_directories(jit-web-it-helpers PUBLIC ${CMAKE_CURRENT_LIST_DIR}
                           ${PROJECT_SOURCE_DIR}/tests/unit)
target_link_libraries(jit-web-it-helpers PUBLIC jit-integration-harness web-test-util PkgConfig::LIBCURL)

foreach(name webhooks webhook-routing review review-slow crash flood)
  add_executable(test-integration-${name} ${CMAKE_CURRENT_LIST_DIR}/test-${name}.c)
  target_link_libraries(test-integration-${name} PRIVATE jit-web-it-helpers)
  add_test(NAME integration-${name}
           COMMAND test-integration-${name} "${WEB_IT_PYTHON}" ${PROJECT_SOURCE_DIR}/tests/tools/webhook-receiver.py)
  # No proxies from the caller's environment: the tests set them where
  # that is the point.
  set_tests_properties(integration-${name} PROPERTIES
    SKIP_RETURN_CODE 77
    TIMEOUT 300
    LABELS "integration;web"
    ENVIRONMENT "TZ=UTC;http_proxy=;https_proxy=;HTTP_PROXY=;HTTPS_PROXY=;ALL_PROXY=;all_proxy=;no_proxy=;NO_PROXY=")
endforeach()
# Reads the store behind jitd (retention); measures latency under load:
# alone, or the numbers mean nothing.
target_link_libraries(test-integration-flood PRIVATE PkgConfig::SQLITE)
set_tests_properties(integration-flood PROPERTIES RUN_SERIAL TRUE)

# A real browser (Debian's chromium, headless, through chromedriver) clicks
# Approve on a review page; the screenshots stay in the build directory.
# Without python3 the test is still there, and reports itself skipped.
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  add_test(NAME integration-browser
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/browser-review.py
                   --jitd $<TARGET_FILE:jitd>
                   --receiver ${PROJECT_SOURCE_DIR}/tests/tools/webhook-receiver.py
                   --artifacts ${CMAKE_CURRENT_BINARY_DIR}/browser-artifacts)
else()
  add_test(NAME integration-browser COMMAND sh -c "echo 'SKIP: python3 not found at configure time'; exit 77")
endif()
set_tests_properties(integration-browser PROPERTIES
  SKIP_RETURN_CODE 77
  TIMEOUT 180
  LABELS "integration;web;browser"
  ENVIRONMENT "TZ=UTC;http_proxy=;https_proxy=;HTTP_PROXY=;HTTPS_PROXY=;ALL_PROXY=;all_proxy=;no_proxy=;NO_PROXY=")
