/* Identity comes from SO_PEERCRED only. An unprivileged user (daemon) may
 * not Check, approve, deny, grant, revoke, expire, resend, list or manage
 * sessions, may see and request only for themselves; an admin by group (nobody, in nogroup) may approve others'
 * requests but never their own. */

#include <string.h>
#include <unistd.h>

#include "../test.h"
#include "harness.h"

#define AS_DAEMON UID_DAEMON, GID_DAEMON
#define AS_NOBODY UID_NOBODY, GID_NOBODY

static void test_plain_user(Jitd *j) {
        struct json_object *reply = NULL;
        char request_id[JIT_ID_MAX] = "", other_id[JIT_ID_MAX] = "", grant_id[JIT_ID_MAX] = "",
             other_grant_id[JIT_ID_MAX] = "";

        /* Root-only methods: what would let a user answer their own Check. */
        CHECK_INT(call_as(j, AS_DAEMON, JIT_METHOD_CHECK,
                          params("user", "daemon", "action", "sudo", "service", "sudo", NULL), &reply),
                  0);
        CHECK_ERROR(reply, JIT_ERROR_PERMISSION_DENIED);
        json_object_put(reply);

        CHECK_INT(call_as(j, AS_DAEMON, JIT_METHOD_OPEN_SESSION,
                          params("user", "daemon", "action", "sudo", "session_id", "5", NULL), &reply),
                  0);
        CHECK_ERROR(reply, JIT_ERROR_PERMISSION_DENIED);
        json_object_put(reply);

        CHECK_INT(call_as(j, AS_DAEMON, JIT_METHOD_LIST, params(NULL), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_PERMISSION_DENIED);
        json_object_put(reply);

        /* Status: self by default, nobody else. */
        CHECK_INT(call_as(j, AS_DAEMON, JIT_METHOD_STATUS, params(NULL), &reply), 0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "user"), "daemon");
        json_object_put(reply);

        CHECK_INT(call_as(j, AS_DAEMON, JIT_METHOD_STATUS, params("user", "nobody", NULL), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_PERMISSION_DENIED);
        json_object_put(reply);

        /* Request: for self only; the name in the call is not an identity. */
        CHECK_INT(call_as(j, AS_DAEMON, JIT_METHOD_REQUEST,
                          params("user", "nobody", "action", "sudo", "reason", "let me in", NULL), &reply),
                  0);
        CHECK_ERROR(reply, JIT_ERROR_PERMISSION_DENIED);
        json_object_put(reply);

        /* Where it comes from is recorded only when root says so. */
        CHECK_INT(call_as(j, AS_DAEMON, JIT_METHOD_REQUEST,
                          params("action", "sudo", "reason", "deploy hotfix", "rhost", "bastion.example.com", "service",
                                 "sshd", NULL),
                          &reply),
                  0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "state"), "pending");
        CHECK(reply_bool(reply, "created"));
        if (reply_string(reply, "request_id"))
                snprintf(request_id, sizeof(request_id), "%s", reply_string(reply, "request_id"));
        json_object_put(reply);
        CHECK(audit_has(j, "request-created", "JIT_REASON", "deploy hotfix"));

        /* Same request again: reused. */
        CHECK_INT(call_as(j, AS_DAEMON, JIT_METHOD_REQUEST, params("user", "daemon", "action", "sudo", NULL), &reply),
                  0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "request_id"), request_id);
        CHECK(!reply_bool(reply, "created"));
        json_object_put(reply);

        /* Not covered by policy for login. */
        CHECK_INT(call_as(j, AS_DAEMON, JIT_METHOD_REQUEST, params("action", "login", NULL), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_INVALID_PARAMETER);
        CHECK_STR(reply_string(reply, "reason"), "not-covered");
        json_object_put(reply);

        CHECK_INT(call_as(j, AS_DAEMON, JIT_METHOD_SHOW, params("id", request_id, NULL), &reply), 0);
        CHECK_OK(reply);
        {
                struct json_object *r = reply_member(reply, "request"), *v = NULL;

                CHECK(r && json_object_object_get_ex(r, "rhost", &v) && strcmp(json_object_get_string(v), "") == 0);
                CHECK(r && json_object_object_get_ex(r, "service", &v) &&
                      strcmp(json_object_get_string(v), "jitctl") == 0);
        }
        json_object_put(reply);

        CHECK_INT(call_as(j, AS_DAEMON, JIT_METHOD_WAIT_DECISION, params("request_id", request_id, NULL), &reply), 0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "state"), "pending");
        json_object_put(reply);

        /* A plain user cannot decide anything, not even their own. */
        CHECK_INT(call_as(j, AS_DAEMON, JIT_METHOD_APPROVE, params("request_id", request_id, NULL), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_PERMISSION_DENIED);
        json_object_put(reply);

        CHECK_INT(call_as(j, AS_DAEMON, JIT_METHOD_GRANT,
                          params_add_int(params("user", "daemon", "action", "sudo", "reason", "me", NULL), "duration",
                                         60),
                          &reply),
                  0);
        CHECK_ERROR(reply, JIT_ERROR_PERMISSION_DENIED);
        json_object_put(reply);

        CHECK_INT(call_as(j, AS_DAEMON, JIT_METHOD_REVOKE, params("user", "nobody", NULL), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_PERMISSION_DENIED);
        json_object_put(reply);

        /* Nor deny one, not even their own, nor remind the approvers of it. */
        CHECK_INT(call_as(j, AS_DAEMON, JIT_METHOD_DENY, params("request_id", request_id, "reason", "never mind", NULL),
                          &reply),
                  0);
        CHECK_ERROR(reply, JIT_ERROR_PERMISSION_DENIED);
        json_object_put(reply);
        CHECK_INT(call_as(j, AS_DAEMON, JIT_METHOD_RESEND, params("request_id", request_id, NULL), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_PERMISSION_DENIED);
        json_object_put(reply);

        /* Someone else's request is not theirs to watch or read. */
        CHECK_INT(create_request(j, "nobody", "login", other_id, sizeof(other_id)), 0);
        CHECK_INT(call_as(j, AS_DAEMON, JIT_METHOD_SHOW, params("id", other_id, NULL), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_PERMISSION_DENIED);
        json_object_put(reply);
        CHECK_INT(call_as(j, AS_DAEMON, JIT_METHOD_WAIT_DECISION, params("request_id", other_id, NULL), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_PERMISSION_DENIED);
        json_object_put(reply);
        CHECK_INT(call_as(j, AS_DAEMON, JIT_METHOD_DENY, params("request_id", other_id, NULL), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_PERMISSION_DENIED);
        json_object_put(reply);
        CHECK_INT(call_as(j, AS_DAEMON, JIT_METHOD_RESEND, params("request_id", other_id, NULL), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_PERMISSION_DENIED);
        json_object_put(reply);

        /* The refused calls changed nothing. */
        CHECK_INT(call(j, JIT_METHOD_SHOW, params("id", request_id, NULL), &reply), 0);
        CHECK_OK(reply);
        {
                struct json_object *r = reply_member(reply, "request"), *v = NULL;

                CHECK(r && json_object_object_get_ex(r, "state", &v) && strcmp(json_object_get_string(v), "pending") == 0);
        }
        json_object_put(reply);
        CHECK(!audit_has(j, "request-denied", "JIT_REQUEST_ID", request_id));
        CHECK(!audit_has(j, "request-denied", "JIT_REQUEST_ID", other_id));

        /* The admin (nobody) approves daemon's request: allowed. */
        CHECK_INT(call_as(j, AS_NOBODY, JIT_METHOD_APPROVE, params("request_id", request_id, NULL), &reply), 0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "approver"), "nobody");
        if (reply_string(reply, "grant_id"))
                snprintf(grant_id, sizeof(grant_id), "%s", reply_string(reply, "grant_id"));
        json_object_put(reply);
        CHECK(audit_has(j, "request-approved", "JIT_APPROVER", "nobody"));

        /* Running a grant's expiry is for root and admins (its timer), not
         * for its holder, and not for anyone else's grant either. */
        CHECK_INT(call_as(j, AS_DAEMON, JIT_METHOD_EXPIRE, params("grant_id", grant_id, NULL), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_PERMISSION_DENIED);
        json_object_put(reply);
        CHECK_INT(call(j, JIT_METHOD_GRANT,
                       params_add_int(params("user", "root", "action", "sudo", "reason", "break-glass", NULL),
                                      "duration", 60),
                       &reply),
                  0);
        CHECK_OK(reply);
        if (reply_string(reply, "grant_id"))
                snprintf(other_grant_id, sizeof(other_grant_id), "%s", reply_string(reply, "grant_id"));
        json_object_put(reply);
        CHECK_INT(call_as(j, AS_DAEMON, JIT_METHOD_EXPIRE, params("grant_id", other_grant_id, NULL), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_PERMISSION_DENIED);
        json_object_put(reply);
        CHECK(!audit_has(j, "grant-expired", NULL, NULL));

        CHECK_INT(call_as(j, AS_DAEMON, JIT_METHOD_STATUS, params(NULL), &reply), 0);
        CHECK_OK(reply);
        CHECK(reply_member(reply, "grants") && json_object_array_length(reply_member(reply, "grants")) == 1);
        json_object_put(reply);
}

static void test_admin_not_own_request(Jitd *j) {
        struct json_object *reply = NULL;
        char request_id[JIT_ID_MAX] = "";

        CHECK_INT(call_as(j, AS_NOBODY, JIT_METHOD_REQUEST, params("action", "sudo", "reason", "self-serve", NULL),
                          &reply),
                  0);
        CHECK_OK(reply);
        if (reply_string(reply, "request_id"))
                snprintf(request_id, sizeof(request_id), "%s", reply_string(reply, "request_id"));
        json_object_put(reply);

        /* Admin, but the requester: refused, and still pending. */
        CHECK_INT(call_as(j, AS_NOBODY, JIT_METHOD_APPROVE, params("request_id", request_id, NULL), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_PERMISSION_DENIED);
        CHECK_STR(reply_string(reply, "reason"), "own-request");
        json_object_put(reply);

        CHECK_INT(call(j, JIT_METHOD_CHECK, params("user", "nobody", "action", "sudo", "service", "sudo", NULL),
                       &reply),
                  0);
        CHECK_ERROR(reply, JIT_ERROR_NO_GRANT);
        CHECK_STR(reply_string(reply, "state"), "pending");
        json_object_put(reply);

        /* The admin may list everything and read anyone's request. */
        CHECK_INT(call_as(j, AS_NOBODY, JIT_METHOD_LIST, params("filter", "all", NULL), &reply), 0);
        CHECK_OK(reply);
        CHECK(reply_member(reply, "requests") && json_object_array_length(reply_member(reply, "requests")) >= 2);
        json_object_put(reply);

        CHECK_INT(call_as(j, AS_NOBODY, JIT_METHOD_STATUS, params("user", "daemon", NULL), &reply), 0);
        CHECK_OK(reply);
        json_object_put(reply);

        /* Root is not the requester: fine. */
        CHECK_INT(call(j, JIT_METHOD_APPROVE, params("request_id", request_id, NULL), &reply), 0);
        CHECK_OK(reply);
        json_object_put(reply);

        /* Withdrawing one's own request can only take access away: an
         * admin may deny it, and the record names them as the decider. */
        CHECK_INT(call_as(j, AS_NOBODY, JIT_METHOD_REQUEST,
                          params("action", "login", "reason", "changed my mind", NULL), &reply),
                  0);
        CHECK_OK(reply);
        request_id[0] = 0;
        if (reply_string(reply, "request_id"))
                snprintf(request_id, sizeof(request_id), "%s", reply_string(reply, "request_id"));
        json_object_put(reply);
        CHECK_INT(call_as(j, AS_NOBODY, JIT_METHOD_DENY, params("request_id", request_id, "reason", "withdrawn", NULL),
                          &reply),
                  0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "state"), "denied");
        json_object_put(reply);
        CHECK(audit_has(j, "request-denied", "JIT_APPROVER", "nobody"));
}

int main(void) {
        Jitd j;
        int status = 0;

        harness_require_root("integration-identity");
        CHECK_INT(jitd_setup(&j, TEST_JITD_KEYS, TEST_POLICY), 0);
        CHECK_INT(jitd_start(&j, &status), 0);
        if (test_failures) {
                fprintf(stderr, "jitd did not start (exit status %d)\n", status);
                jitd_cleanup(&j);
                return test_result("integration-identity");
        }

        test_plain_user(&j);
        test_admin_not_own_request(&j);

        CHECK_INT(jitd_stop(&j), 0);
        jitd_cleanup(&j);
        return test_result("integration-identity");
}
