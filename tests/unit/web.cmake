# Unit tests for jitd-web (jitd/web.cmake): webhook payloads, signing
# and delivery, review tokens, pages and the review HTTP server. Delivery
# and the server are tested over real loopback HTTP: a Python receiver
# (tests/tools/webhook-receiver.py) for webhooks, libcurl clients in child
# processes for the review server. Without python3 the receiver-based
# checks skip themselves; without the openssl command, the TLS ones do.
find_package(Python3 COMPONENTS Interpreter)
set(WEB_TEST_PYTHON "")
if(Python3_Interpreter_FOUND)
  set(WEB_TEST_PYTHON ${Python3_EXECUTABLE})
endif()
set(WEB_TEST_RECEIVER ${PROJECT_SOURCE_DIR}/tests/tools/webhook-receiver.py)

add_library(web-test-util STATIC ${CMAKE_CURRENT_LIST_DIR}/web-test-util.c)
target_link_libraries(web-test-util PUBLIC jitd-web)

foreach(t test_webhook_sign test_webhook_payload test_webhook_delivery
          test_review_token test_review_page test_review_form test_review_http)
  add_executable(${t} ${CMAKE_CURRENT_LIST_DIR}/${t}.c)
  target_include_directories(${t} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${t} PRIVATE web-test-util jitd-web)
  add_test(NAME web/${t} COMMAND ${t} "${WEB_TEST_PYTHON}" ${WEB_TEST_RECEIVER})
  # Fixed zone and no proxies from the caller's environment: the tests
  # set the proxy variables themselves where that is the point.
  set_tests_properties(web/${t} PROPERTIES TIMEOUT 180 SKIP_RETURN_CODE 77 LABELS unit
    ENVIRONMENT "TZ=UTC;http_proxy=;https_proxy=;HTTP_PROXY=;HTTPS_PROXY=;ALL_PROXY=;all_proxy=;no_proxy=;NO_PROXY=")
endforeach()
