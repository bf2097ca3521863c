/* Time: a grant ends on its own at its deadline (Check denies, the audit
 * trail says so), a pending request expires unanswered and its waiter is
 * told, and what fell due while jitd was down is expired at startup.
 *
 * The harness's jitd has no system bus (DBUS_SYSTEM_BUS_ADDRESS names a
 * socket that does not exist), so this is also the test of the fallback:
 * jitd says in its log that expiry runs on its own timer, and that timer
 * ends a short grant on time. */

#include <stdio.h>
#include <stdlib.h>
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

/* How many seconds after its deadline the grant-expired entry of
 * `grant_id` was written (TIMESTAMP - JIT_EXPIRES); -1 if there is none. */
static int64_t expiry_lag(Jitd *j, const char *grant_id) {
        _cleanup_free_ char *line = NULL;
        size_t size = 0;
        int64_t lag = -1;
        FILE *f;

        f = fopen(j->audit, "re");
        if (!f)
                return -1;
        while (lag < 0 && getline(&line, &size, f) > 0) {
                struct json_object *o = json_tokener_parse(line), *v = NULL, *ts = NULL, *exp = NULL;

                if (o && json_object_object_get_ex(o, "JIT_EVENT", &v) &&
                    strcmp(json_object_get_string(v), "grant-expired") == 0 &&
                    json_object_object_get_ex(o, "JIT_GRANT_ID", &v) &&
                    strcmp(json_object_get_string(v), grant_id) == 0 &&
                    json_object_object_get_ex(o, "TIMESTAMP", &ts) &&
                    json_object_object_get_ex(o, "JIT_EXPIRES", &exp))
                        lag = strtoll(json_object_get_string(ts), NULL, 10) -
                              strtoll(json_object_get_string(exp), NULL, 10);
                json_object_put(o);
        }
        fclose(f);
        return lag;
}

static const char *check(Jitd *j, const char *user, const char *action, struct json_object **reply) {
        if (call(j, JIT_METHOD_CHECK, params("user", user, "action", action, "service", "sudo", NULL), reply) < 0)
                return "(call failed)";
        return reply_error(*reply) ? reply_error(*reply) : reply_string(*reply, "decision");
}

static bool wait_expired(Jitd *j, const char *grant_id, uint64_t until_monotonic) {
        while (!audit_has(j, "grant-expired", "JIT_GRANT_ID", grant_id)) {
                if (now_monotonic_usec() >= until_monotonic)
                        return false;
                sleep_usec(50000);
        }
        return true;
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
        j.capture_log = true;
        CHECK_INT(jitd_start(&j, &status), 0);
        if (test_failures) {
                fprintf(stderr, "jitd did not start (exit status %d)\n", status);
                jitd_cleanup(&j);
                return test_result("integration-expiry");
        }

        /* No bus: the admin is told which timer carries out expiry. */
        CHECK(log_has(&j, "No system bus: grant expiry runs on jitd's own timer."));

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

        /* jitd's own timer ends it on time: the audit entry is written
         * within a second of the deadline (the timer's accuracy is 100 ms;
         * TIMESTAMP and the deadline are whole seconds). */
        CHECK(wait_expired(&j, grant_id, t0 + 4 * SEC));
        CHECK(expiry_lag(&j, grant_id) >= 0 && expiry_lag(&j, grant_id) <= 1);
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
