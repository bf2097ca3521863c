/* Time: a grant ends on its own at its deadline (Check denies, the audit
 * trail says so), a pending request expires unanswered and its waiter is
 * told, and what fell due while jitd was down is expired at startup. */

#include <string.h>
#include <unistd.h>

#include "../test.h"
#include "harness.h"

#define SEC 1000000ULL

static int approve(Jitd *j, const char *user, const char *action, int64_t duration, char *ret_grant_id) {
        struct json_object *reply = NULL;
        char request_id[JIT_ID_MAX];
        int r;

        r = create_request(j, user, action, request_id, sizeof(request_id));
        if (r < 0)
                return r;
        r = call(j, JIT_METHOD_APPROVE, params_add_int(params("request_id", request_id, NULL), "duration", duration),
                 &reply);
        if (r >= 0 && (reply_error(reply) || !reply_string(reply, "grant_id")))
                r = -EBADMSG;
        if (r >= 0)
                snprintf(ret_grant_id, JIT_ID_MAX, "%s", reply_string(reply, "grant_id"));
        json_object_put(reply);
        return r;
}

static const char *check(Jitd *j, const char *user, const char *action, struct json_object **reply) {
        if (call(j, JIT_METHOD_CHECK, params("user", user, "action", action, "service", "sudo", NULL), reply) < 0)
                return "(call failed)";
        return reply_error(*reply) ? reply_error(*reply) : reply_string(*reply, "decision");
}

int main(void) {
        struct json_object *reply = NULL;
        char grant_id[JIT_ID_MAX] = "", late_grant_id[JIT_ID_MAX] = "", request_id[JIT_ID_MAX] = "";
        JitClient waiter;
        uint64_t t0;
        Jitd j;
        int status = 0;

        harness_require_root("integration-expiry");
        /* request_ttl has a 10 s floor in jitd.conf. */
        CHECK_INT(jitd_setup(&j, "admin_group = nogroup\nrequest_ttl = 10\n", TEST_POLICY), 0);
        CHECK_INT(jitd_start(&j, &status), 0);
        if (test_failures) {
                fprintf(stderr, "jitd did not start (exit status %d)\n", status);
                jitd_cleanup(&j);
                return test_result("integration-expiry");
        }

        /* A request nobody answers, with someone waiting on it. */
        CHECK_INT(create_request(&j, "daemon", "sudo", request_id, sizeof(request_id)), 0);
        CHECK_INT(jit_client_connect(&waiter, j.socket, true, now_monotonic_usec() + CALL_TIMEOUT_USEC), 0);
        CHECK_INT(jit_client_send(&waiter, JIT_METHOD_WAIT_DECISION, params("request_id", request_id, NULL), true,
                                  now_monotonic_usec() + CALL_TIMEOUT_USEC),
                  0);
        CHECK_INT(jit_client_receive(&waiter, now_monotonic_usec() + CALL_TIMEOUT_USEC, &reply), 0);
        CHECK_STR(reply_string(reply, "state"), "pending");
        json_object_put(reply);

        /* A 2 s grant. */
        CHECK_INT(approve(&j, "nobody", "sudo", 2, grant_id), 0);
        t0 = now_monotonic_usec();
        CHECK_STR(check(&j, "nobody", "sudo", &reply), "allow");
        json_object_put(reply);

        sleep_usec(3 * SEC);
        CHECK_STR(check(&j, "nobody", "sudo", &reply), JIT_ERROR_NO_GRANT);
        json_object_put(reply);
        CHECK(audit_has(&j, "grant-expired", "JIT_GRANT_ID", grant_id));

        CHECK_INT(call(&j, JIT_METHOD_SHOW, params("id", grant_id, NULL), &reply), 0);
        CHECK_OK(reply);
        {
                struct json_object *g = reply_member(reply, "grant"), *state = NULL;
                CHECK(g && json_object_object_get_ex(g, "state", &state) &&
                      strcmp(json_object_get_string(state), "expired") == 0);
        }
        json_object_put(reply);

        /* Expired by the clock already: Expire has nothing left to do. */
        CHECK_INT(call(&j, JIT_METHOD_EXPIRE, params("grant_id", grant_id, NULL), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_CONFLICT);
        CHECK_STR(reply_string(reply, "state"), "expired");
        json_object_put(reply);

        /* The unanswered request expires after request_ttl (10 s); its
         * waiter hears about it, however long it has been idle. */
        CHECK_INT(jit_client_receive(&waiter, t0 + 15 * SEC, &reply), 0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "state"), "expired");
        json_object_put(reply);
        jit_client_close(&waiter);
        CHECK(audit_has(&j, "request-expired", "JIT_REQUEST_ID", request_id));

        CHECK_INT(call(&j, JIT_METHOD_APPROVE, params("request_id", request_id, NULL), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_CONFLICT);
        CHECK_STR(reply_string(reply, "state"), "expired");
        json_object_put(reply);

        /* A grant that runs out while jitd is down is expired (and audited)
         * when it comes back. */
        CHECK_INT(approve(&j, "nobody", "login", 1, late_grant_id), 0);
        CHECK_INT(jitd_stop(&j), 0);
        sleep_usec(2 * SEC);
        CHECK_INT(jitd_start(&j, &status), 0);
        sleep_usec(SEC / 2);
        CHECK(audit_has(&j, "grant-expired", "JIT_GRANT_ID", late_grant_id));
        CHECK_STR(check(&j, "nobody", "login", &reply), JIT_ERROR_NO_GRANT);
        json_object_put(reply);

        CHECK_INT(jitd_stop(&j), 0);
        jitd_cleanup(&j);
        return test_result("integration-expiry");
}
