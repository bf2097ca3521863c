# Unit tests for jitd's store, config and policy. They are built straight
# from the sources they test rather than from jitd-core, so they do not
# depend on the server and method files building. Each runs against real
# components: a real SQLite file in a temporary directory, real config files
# (tests/unit/data/ and config/jitd.conf), real NSS.
function(jitd_unit_test name)
  add_executable(${name} ${CMAKE_CURRENT_SOURCE_DIR}/${name}.c ${ARGN})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/jitd ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE jitcommon PkgConfig::SQLITE PkgConfig::INIH)
  target_compile_definitions(${name} PRIVATE
    JIT_TEST_DATA_DIR="${CMAKE_CURRENT_SOURCE_DIR}/data"
    JIT_SHIPPED_CONFIG="${PROJECT_SOURCE_DIR}/config/jitd.conf")
  add_test(NAME jitd/${name} COMMAND ${name})
  set_tests_properties(jitd/${name} PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77 LABELS unit)
endfunction()

# Every file of the store (one prepared-statement table spans them all);
# store-outbox.c checks webhook message ids and review token hashes with
# jitd-web.
set(JITD_STORE_SOURCES
  ${PROJECT_SOURCE_DIR}/jitd/store-db.c ${PROJECT_SOURCE_DIR}/jitd/store-schema.c
  ${PROJECT_SOURCE_DIR}/jitd/store-requests.c ${PROJECT_SOURCE_DIR}/jitd/store-grants.c
  ${PROJECT_SOURCE_DIR}/jitd/store-sessions.c ${PROJECT_SOURCE_DIR}/jitd/store-teardowns.c
  ${PROJECT_SOURCE_DIR}/jitd/store-approvals.c ${PROJECT_SOURCE_DIR}/jitd/store-outbox.c
  ${PROJECT_SOURCE_DIR}/jitd/store-retention.c)
# test_store: opening, schema, migrations; test_store_grants: what the store
# holds (grants, requests, sessions, teardowns). Helpers in store-test.h.
jitd_unit_test(test_store ${JITD_STORE_SOURCES} ${PROJECT_SOURCE_DIR}/jitd/log.c)
target_link_libraries(test_store PRIVATE jitd-web)
jitd_unit_test(test_store_grants ${JITD_STORE_SOURCES} ${PROJECT_SOURCE_DIR}/jitd/log.c)
target_link_libraries(test_store_grants PRIVATE jitd-web)
jitd_unit_test(test_person ${PROJECT_SOURCE_DIR}/jitd/person.c ${PROJECT_SOURCE_DIR}/jitd/log.c
               ${PROJECT_SOURCE_DIR}/jitd/nss.c)
# Everything that reads and prints jitd.conf. config-approvers.c checks URLs
# and secrets with jitd-web.
set(JITD_CONFIG_SOURCES ${PROJECT_SOURCE_DIR}/jitd/config.c ${PROJECT_SOURCE_DIR}/jitd/config-keys.c
    ${PROJECT_SOURCE_DIR}/jitd/config-value.c ${PROJECT_SOURCE_DIR}/jitd/config-print.c
    ${PROJECT_SOURCE_DIR}/jitd/config-approvers.c ${PROJECT_SOURCE_DIR}/jitd/nss.c)
jitd_unit_test(test_config ${JITD_CONFIG_SOURCES})
jitd_unit_test(test_policy ${PROJECT_SOURCE_DIR}/jitd/policy.c ${JITD_CONFIG_SOURCES})
target_link_libraries(test_config PRIVATE jitd-web)
target_link_libraries(test_policy PRIVATE jitd-web)
# The io.jit parameter tables: from jitd-core (session ids are sessions.c's).
jitd_unit_test(test_methods_params)
target_link_libraries(test_methods_params PRIVATE jitd-core)
# What follows a commit, in lifecycle.h's order, and the waiter registry.
jitd_unit_test(test_lifecycle_order)
target_link_libraries(test_lifecycle_order PRIVATE jitd-core)
