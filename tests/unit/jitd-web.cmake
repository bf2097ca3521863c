# Unit tests for the daemon's side of approver notification: the
# [review]/[webhook] configuration and the outbox, review-link and approval
# tables. Built from the sources they test, like jitd.cmake's.
jitd_unit_test(test_config_approvers ${JITD_CONFIG_SOURCES})
target_link_libraries(test_config_approvers PRIVATE jitd-web)
jitd_unit_test(test_store_outbox ${JITD_STORE_SOURCES} ${PROJECT_SOURCE_DIR}/jitd/log.c)
target_link_libraries(test_store_outbox PRIVATE jitd-web)
