/* Deciding a request: the first decision wins (also when several approvers
 * race), a waiting login is woken the moment the decision lands, a waiter
 * that goes away is forgotten, and nobody can approve more than the policy
 * allows. */

#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../test.h"
#include "harness.h"

#define RACERS 8

static void test_first_decision_wins(Jitd *j) {
        struct json_object *reply = NULL;
        char request_id[JIT_ID_MAX];

        CHECK_INT(create_request(j, "daemon", "sudo", request_id, sizeof(request_id)), 0);
        CHECK_INT(call(j, JIT_METHOD_APPROVE, params("request_id", request_id, NULL), &reply), 0);
        CHECK_OK(reply);
        json_object_put(reply);

        CHECK_INT(call_as(j, UID_NOBODY, GID_NOBODY, JIT_METHOD_APPROVE, params("request_id", request_id, NULL),
                          &reply),
                  0);
        CHECK_ERROR(reply, JIT_ERROR_CONFLICT);
        CHECK_STR(reply_string(reply, "state"), "approved");
        CHECK_STR(reply_string(reply, "decided_by"), "root");
        json_object_put(reply);

        CHECK_INT(call(j, JIT_METHOD_DENY, params("request_id", request_id, NULL), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_CONFLICT);
        CHECK_STR(reply_string(reply, "state"), "approved");
        json_object_put(reply);

        CHECK_INT(call(j, JIT_METHOD_REVOKE, params("user", "daemon", NULL), &reply), 0);
        CHECK_OK(reply);
        json_object_put(reply);
}

/* Several approvers and deniers at once, on separate connections: exactly
 * one wins, the others get Conflict. */
static void test_race(Jitd *j) {
        char request_id[JIT_ID_MAX];
        int wins = 0, conflicts = 0;
        pid_t pids[RACERS];

        CHECK_INT(create_request(j, "daemon", "sudo", request_id, sizeof(request_id)), 0);

        for (int i = 0; i < RACERS; i++) {
                pids[i] = fork();
                if (pids[i] == 0) {
                        struct json_object *reply = NULL;
                        const char *method = i % 2 ? JIT_METHOD_DENY : JIT_METHOD_APPROVE;
                        const char *e;

                        if (call(j, method, params("request_id", request_id, NULL), &reply) < 0)
                                _exit(3);
                        e = reply_error(reply);
                        _exit(!e ? 0 : strcmp(e, JIT_ERROR_CONFLICT) == 0 ? 1 : 2);
                }
        }
        for (int i = 0; i < RACERS; i++) {
                int status;

                if (pids[i] < 0 || waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status)) {
                        CHECK(false);
                        continue;
                }
                if (WEXITSTATUS(status) == 0)
                        wins++;
                else if (WEXITSTATUS(status) == 1)
                        conflicts++;
        }
        CHECK_INT(wins, 1);
        CHECK_INT(conflicts, RACERS - 1);

        {
                struct json_object *reply = NULL;

                CHECK_INT(call(j, JIT_METHOD_REVOKE, params("user", "daemon", NULL), &reply), 0);
                json_object_put(reply);
        }
}

static int open_waiter(Jitd *j, JitClient *c, const char *request_id) {
        uint64_t deadline = now_monotonic_usec() + CALL_TIMEOUT_USEC;
        struct json_object *reply = NULL;
        int r;

        r = jit_client_connect(c, j->socket, true, deadline);
        if (r < 0)
                return r;
        r = jit_client_send(c, JIT_METHOD_WAIT_DECISION, params("request_id", request_id, NULL), true, deadline);
        if (r < 0)
                return r;
        r = jit_client_receive(c, deadline, &reply);
        if (r < 0)
                return r;
        /* First reply at once: pending, more to come. */
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "state"), "pending");
        {
                struct json_object *v = NULL;
                CHECK(json_object_object_get_ex(reply, "continues", &v) && json_object_get_boolean(v));
        }
        json_object_put(reply);
        return 0;
}

static void test_wait_released_by_approve(Jitd *j) {
        struct json_object *reply = NULL;
        char request_id[JIT_ID_MAX], grant_id[JIT_ID_MAX] = "";
        JitClient waiter, second;
        uint64_t t0;

        CHECK_INT(create_request(j, "nobody", "sudo", request_id, sizeof(request_id)), 0);
        CHECK_INT(open_waiter(j, &waiter, request_id), 0);
        CHECK_INT(open_waiter(j, &second, request_id), 0);

        /* Nothing arrives before a decision. */
        CHECK_INT(jit_client_receive(&waiter, now_monotonic_usec() + 300000, &reply), -ETIMEDOUT);

        t0 = now_monotonic_usec();
        CHECK_INT(call(j, JIT_METHOD_APPROVE, params_add_int(params("request_id", request_id, NULL), "duration", 900),
                       &reply),
                  0);
        CHECK_OK(reply);
        if (reply_string(reply, "grant_id"))
                snprintf(grant_id, sizeof(grant_id), "%s", reply_string(reply, "grant_id"));
        json_object_put(reply);

        /* Both waiters are woken at once with the grant. */
        CHECK_INT(jit_client_receive(&waiter, now_monotonic_usec() + CALL_TIMEOUT_USEC, &reply), 0);
        CHECK(now_monotonic_usec() - t0 < 2000000);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "state"), "approved");
        CHECK_STR(reply_string(reply, "grant_id"), grant_id);
        CHECK_STR(reply_string(reply, "approver"), "root");
        CHECK(reply_int(reply, "expires_at") > 0);
        CHECK(!json_object_object_get_ex(reply, "continues", NULL));
        json_object_put(reply);

        CHECK_INT(jit_client_receive(&second, now_monotonic_usec() + CALL_TIMEOUT_USEC, &reply), 0);
        CHECK_STR(reply_string(reply, "state"), "approved");
        json_object_put(reply);

        /* The connection is usable again after the stream ended. */
        CHECK_INT(jit_client_call(&waiter, JIT_METHOD_STATUS, params("user", "nobody", NULL),
                                  now_monotonic_usec() + CALL_TIMEOUT_USEC, &reply),
                  0);
        CHECK_OK(reply);
        json_object_put(reply);

        jit_client_close(&waiter);
        jit_client_close(&second);

        /* Waiting on a decided request answers at once with the outcome. */
        CHECK_INT(call(j, JIT_METHOD_WAIT_DECISION, params("request_id", request_id, NULL), &reply), 0);
        CHECK_STR(reply_string(reply, "state"), "approved");
        json_object_put(reply);

        CHECK_INT(call(j, JIT_METHOD_REVOKE, params("user", "nobody", NULL), &reply), 0);
        json_object_put(reply);
}

static void test_wait_released_by_deny_and_disconnect(Jitd *j) {
        struct json_object *reply = NULL;
        char request_id[JIT_ID_MAX];
        JitClient waiter, quitter;

        CHECK_INT(create_request(j, "nobody", "login", request_id, sizeof(request_id)), 0);
        CHECK_INT(open_waiter(j, &waiter, request_id), 0);
        CHECK_INT(open_waiter(j, &quitter, request_id), 0);
        /* The user gives up (ssh ^C): jitd must forget that waiter. */
        jit_client_close(&quitter);
        sleep_usec(100000);

        CHECK_INT(call(j, JIT_METHOD_DENY, params("request_id", request_id, "reason", "use staging", NULL), &reply), 0);
        CHECK_OK(reply);
        json_object_put(reply);

        CHECK_INT(jit_client_receive(&waiter, now_monotonic_usec() + CALL_TIMEOUT_USEC, &reply), 0);
        CHECK_STR(reply_string(reply, "state"), "denied");
        CHECK_STR(reply_string(reply, "reason"), "use staging");
        CHECK_STR(reply_string(reply, "approver"), "root");
        json_object_put(reply);
        jit_client_close(&waiter);
}

static void test_duration_limits(Jitd *j) {
        struct json_object *reply = NULL;
        char request_id[JIT_ID_MAX];
        int64_t now;

        /* Asking for more than the policy maximum (3600 s) is refused up front. */
        CHECK_INT(call_as(j, UID_DAEMON, GID_DAEMON, JIT_METHOD_REQUEST,
                          params_add_int(params("action", "sudo", NULL), "duration", 7200), &reply),
                  0);
        CHECK_ERROR(reply, JIT_ERROR_INVALID_PARAMETER);
        CHECK_STR(reply_string(reply, "parameter"), "duration");
        json_object_put(reply);

        CHECK_INT(create_request(j, "daemon", "sudo", request_id, sizeof(request_id)), 0);

        /* The approver cannot exceed it either; the request stays pending. */
        CHECK_INT(call(j, JIT_METHOD_APPROVE, params_add_int(params("request_id", request_id, NULL), "duration", 3601),
                       &reply),
                  0);
        CHECK_ERROR(reply, JIT_ERROR_INVALID_PARAMETER);
        CHECK_STR(reply_string(reply, "parameter"), "duration");
        json_object_put(reply);

        CHECK_INT(call(j, JIT_METHOD_APPROVE, params_add_int(params("request_id", request_id, NULL), "duration", -5),
                       &reply),
                  0);
        CHECK_ERROR(reply, JIT_ERROR_INVALID_PARAMETER);
        json_object_put(reply);

        now = (int64_t) time(NULL);
        CHECK_INT(call(j, JIT_METHOD_APPROVE, params_add_int(params("request_id", request_id, NULL), "duration", 120),
                       &reply),
                  0);
        CHECK_OK(reply);
        CHECK(reply_int(reply, "expires_at") >= now + 119 && reply_int(reply, "expires_at") <= now + 122);
        json_object_put(reply);

        /* Without a duration the policy default (600 s) applies. */
        CHECK_INT(create_request(j, "nobody", "sudo", request_id, sizeof(request_id)), 0);
        now = (int64_t) time(NULL);
        CHECK_INT(call(j, JIT_METHOD_APPROVE, params("request_id", request_id, NULL), &reply), 0);
        CHECK_OK(reply);
        CHECK(reply_int(reply, "expires_at") >= now + 599 && reply_int(reply, "expires_at") <= now + 602);
        json_object_put(reply);
}

int main(void) {
        Jitd j;
        int status = 0;

        harness_require_root("integration-decisions");
        CHECK_INT(jitd_setup(&j, TEST_JITD_KEYS, TEST_POLICY), 0);
        CHECK_INT(jitd_start(&j, &status), 0);
        if (test_failures) {
                fprintf(stderr, "jitd did not start (exit status %d)\n", status);
                jitd_cleanup(&j);
                return test_result("integration-decisions");
        }

        test_first_decision_wins(&j);
        test_race(&j);
        test_wait_released_by_approve(&j);
        test_wait_released_by_deny_and_disconnect(&j);
        test_duration_limits(&j);

        CHECK_INT(jitd_stop(&j), 0);
        jitd_cleanup(&j);
        return test_result("integration-decisions");
}
