/* Identity comes from SO_PEERCRED only. An unprivileged user (daemon) may
 * not Check, approve, deny others' requests, grant, revoke, expire, resend,
 * list or manage sessions, may see, request and withdraw only for
 * themselves; an admin by group (nobody, in nogroup) may approve others'
 * requests but never their own. */

#include <errno.h>
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

        /* Nor remind the approvers of it (withdrawing it is theirs to do:
         * test_user_withdraws_own_request). */
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

static const char *member_string(struct json_object *reply, const char *object, const char *key) {
        struct json_object *o = reply_member(reply, object), *v = NULL;

        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
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
         * admin may deny it, and it ends cancelled, not denied, with them
         * recorded as who decided. */
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
        CHECK_STR(reply_string(reply, "state"), "cancelled");
        json_object_put(reply);
        CHECK(audit_has(j, "request-cancelled", "JIT_REQUEST_ID", request_id));
        CHECK(audit_has(j, "request-cancelled", "JIT_REASON", "withdrawn"));
        CHECK(!audit_has(j, "request-denied", "JIT_REQUEST_ID", request_id));
        CHECK_INT(call(j, JIT_METHOD_SHOW, params("id", request_id, NULL), &reply), 0);
        CHECK_OK(reply);
        CHECK_STR(member_string(reply, "request", "state"), "cancelled");
        CHECK_STR(member_string(reply, "request", "decided_by"), "nobody");
        json_object_put(reply);
}

static int request_as(Jitd *j, uid_t uid, gid_t gid, const char *action, char *ret_id, size_t size) {
        struct json_object *reply = NULL;
        int r;

        ret_id[0] = 0;
        r = call_as(j, uid, gid, JIT_METHOD_REQUEST, params("action", action, NULL), &reply);
        if (r >= 0 && reply_string(reply, "request_id"))
                snprintf(ret_id, size, "%s", reply_string(reply, "request_id"));
        json_object_put(reply);
        return ret_id[0] ? 0 : -EIO;
}

/* A plain user may withdraw their own pending request (jitctl cancel, or
 * jitctl deny on it), and only that: not someone else's, not one that is
 * no longer pending. It ends cancelled, and a login waiting on it hears so. */
static void test_user_withdraws_own_request(Jitd *j) {
        struct json_object *reply = NULL;
        char mine[JIT_ID_MAX], theirs[JIT_ID_MAX];

        /* Earlier tests left grants; with one, Request answers "approved". */
        CHECK_INT(call(j, JIT_METHOD_REVOKE, params("user", "daemon", NULL), &reply), 0);
        json_object_put(reply);
        CHECK_INT(call(j, JIT_METHOD_REVOKE, params("user", "nobody", NULL), &reply), 0);
        json_object_put(reply);

        CHECK_INT(request_as(j, AS_DAEMON, "sudo", mine, sizeof(mine)), 0);
        CHECK_INT(request_as(j, AS_NOBODY, "sudo", theirs, sizeof(theirs)), 0);

        /* Not someone else's: as a denial (not an admin) or a cancel. */
        CHECK_INT(call_as(j, AS_DAEMON, JIT_METHOD_DENY, params("request_id", theirs, NULL), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_PERMISSION_DENIED);
        CHECK_STR(reply_string(reply, "reason"), "not-admin");
        json_object_put(reply);
        CHECK_INT(call_as(j, AS_DAEMON, JIT_METHOD_DENY,
                          params_add_bool(params("request_id", theirs, NULL), "cancel", true), &reply),
                  0);
        CHECK_ERROR(reply, JIT_ERROR_PERMISSION_DENIED);
        CHECK_STR(reply_string(reply, "reason"), "not-owner");
        json_object_put(reply);
        /* An admin's cancel is for their own requests only, too. */
        CHECK_INT(call_as(j, AS_NOBODY, JIT_METHOD_DENY,
                          params_add_bool(params("request_id", mine, NULL), "cancel", true), &reply),
                  0);
        CHECK_ERROR(reply, JIT_ERROR_PERMISSION_DENIED);
        CHECK_STR(reply_string(reply, "reason"), "not-owner");
        json_object_put(reply);

        CHECK_INT(call_as(j, AS_DAEMON, JIT_METHOD_DENY,
                          params_add_bool(params("request_id", mine, "reason", "fixed it myself", NULL), "cancel",
                                          true),
                          &reply),
                  0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "state"), "cancelled");
        json_object_put(reply);
        CHECK(audit_has(j, "request-cancelled", "JIT_REQUEST_ID", mine));
        CHECK(audit_has(j, "request-cancelled", "JIT_USER", "daemon"));

        /* What a waiting login or sudo is told: cancelled, not approved. */
        CHECK_INT(call(j, JIT_METHOD_WAIT_DECISION, params("request_id", mine, NULL), &reply), 0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "state"), "cancelled");
        json_object_put(reply);
        CHECK_INT(call_as(j, AS_DAEMON, JIT_METHOD_SHOW, params("id", mine, NULL), &reply), 0);
        CHECK_OK(reply);
        CHECK_STR(member_string(reply, "request", "state"), "cancelled");
        CHECK_STR(member_string(reply, "request", "decision_reason"), "fixed it myself");
        json_object_put(reply);

        /* Once closed it stays closed: a second withdrawal is a conflict. */
        CHECK_INT(call_as(j, AS_DAEMON, JIT_METHOD_DENY, params("request_id", mine, NULL), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_CONFLICT);
        CHECK_STR(reply_string(reply, "state"), "cancelled");
        json_object_put(reply);

        /* jitctl deny by the requester is the same withdrawal. */
        CHECK_INT(request_as(j, AS_DAEMON, "sudo", mine, sizeof(mine)), 0);
        CHECK_INT(call_as(j, AS_DAEMON, JIT_METHOD_DENY, params("request_id", mine, NULL), &reply), 0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "state"), "cancelled");
        json_object_put(reply);

        /* The other user's request is untouched; an admin still denies it. */
        CHECK_INT(call(j, JIT_METHOD_DENY, params("request_id", theirs, NULL), &reply), 0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "state"), "denied");
        json_object_put(reply);
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
        test_user_withdraws_own_request(&j);

        CHECK_INT(jitd_stop(&j), 0);
        jitd_cleanup(&j);
        return test_result("integration-identity");
}
