/* io.jit.Check as sshd and sudo see it: ignore for users policy does not
 * cover, allow for break-glass accounts and live grants, NoGrant with the
 * request's state otherwise (creating one when asked); and the grant
 * lifecycle around it: approve, session bookkeeping, break-glass Grant,
 * Revoke. Plus the protocol's envelope: version mismatch, unknown methods,
 * bad parameters. */

#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "../test.h"
#include "harness.h"
#include "text.h"

static struct json_object *check_params(const char *user, const char *action, bool create) {
        return params_add_bool(params("user", user, "action", action, "service", "sudo", "tty", "pts/1", "rhost",
                                      "10.0.0.7", NULL),
                               "create_request", create);
}

/* The MESSAGE of an audit entry, with this host's name in it. */
static bool audit_has_message(Jitd *j, const char *event, const char *format, ...) _printf_(3, 4);
static bool audit_has_message(Jitd *j, const char *event, const char *format, ...) {
        char host[256] = "", clean[256], expected[1024], with_host[1024];
        va_list ap;

        if (gethostname(host, sizeof(host) - 1) < 0 || !host[0])
                snprintf(host, sizeof(host), "localhost");
        jit_sanitize(host, clean, sizeof(clean));
        va_start(ap, format);
        vsnprintf(expected, sizeof(expected), format, ap);
        va_end(ap);
        /* "@" in the expected text stands for the host name. */
        {
                const char *at = strchr(expected, '@');

                if (!at)
                        return audit_has(j, event, "MESSAGE", expected);
                snprintf(with_host, sizeof(with_host), "%.*s%s%s", (int) (at - expected), expected, clean, at + 1);
        }
        return audit_has(j, event, "MESSAGE", with_host);
}

static void test_ignore_and_breakglass(Jitd *j) {
        struct json_object *reply;

        /* daemon is not in [login]: pam_jit returns PAM_IGNORE. */
        CHECK_INT(call(j, JIT_METHOD_CHECK, check_params("daemon", "login", false), &reply), 0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "decision"), "ignore");
        CHECK_INT(reply_int(reply, "protocol"), JIT_PROTOCOL_VERSION);
        json_object_put(reply);

        /* bin is a break-glass account: allowed, and audited every time. */
        CHECK_INT(call(j, JIT_METHOD_CHECK, check_params("bin", "sudo", false), &reply), 0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "decision"), "allow");
        CHECK(reply_bool(reply, "breakglass"));
        json_object_put(reply);
        CHECK(audit_has(j, "breakglass", "JIT_USER", "bin"));
}

static void test_request_approve_revoke(Jitd *j) {
        struct json_object *reply;
        char request_id[JIT_ID_MAX] = "", match_code[JIT_MATCH_CODE_MAX] = "", grant_id[JIT_ID_MAX] = "";

        /* No grant, no request, none wanted. */
        CHECK_INT(call(j, JIT_METHOD_CHECK, check_params("nobody", "sudo", false), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_NO_GRANT);
        CHECK_STR(reply_string(reply, "state"), "none");
        CHECK(!reply_bool(reply, "created"));
        CHECK(!reply_string(reply, "request_id"));
        json_object_put(reply);
        CHECK(audit_has(j, "access-denied", "JIT_USER", "nobody"));
        CHECK(audit_has_message(j, "access-denied", "sudo for nobody denied on @ via sudo from 10.0.0.7 on pts/1: "
                                                    "no live grant"));

        /* The account phase asks for a request to be filed. */
        CHECK_INT(call(j, JIT_METHOD_CHECK, check_params("nobody", "sudo", true), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_NO_GRANT);
        CHECK_STR(reply_string(reply, "state"), "pending");
        CHECK(reply_bool(reply, "created"));
        CHECK(reply_string(reply, "request_id") && jit_id_is_valid(reply_string(reply, "request_id"), 'r'));
        CHECK(reply_string(reply, "match_code") && strlen(reply_string(reply, "match_code")) >= 3);
        CHECK(reply_int(reply, "request_expires_at") > 0);
        if (reply_string(reply, "request_id"))
                snprintf(request_id, sizeof(request_id), "%s", reply_string(reply, "request_id"));
        if (reply_string(reply, "match_code"))
                snprintf(match_code, sizeof(match_code), "%s", reply_string(reply, "match_code"));
        json_object_put(reply);
        CHECK(audit_has(j, "request-created", "JIT_REQUEST_ID", request_id));
        CHECK(audit_has(j, "request-created", "JIT_MATCH_CODE", match_code));
        CHECK(audit_has(j, "request-created", "JIT_RHOST", "10.0.0.7"));

        /* A second login attempt finds the same request, no new one. */
        CHECK_INT(call(j, JIT_METHOD_CHECK, check_params("nobody", "sudo", true), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_NO_GRANT);
        CHECK_STR(reply_string(reply, "state"), "pending");
        CHECK(!reply_bool(reply, "created"));
        CHECK_STR(reply_string(reply, "request_id"), request_id);
        json_object_put(reply);
        CHECK(audit_has_message(j, "access-denied",
                                "sudo for nobody denied on @ via sudo from 10.0.0.7 on pts/1: no live grant "
                                "(request %s)",
                                request_id));

        CHECK_INT(call(j, JIT_METHOD_APPROVE, params("request_id", request_id, NULL), &reply), 0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "approver"), "root");
        CHECK(reply_int(reply, "expires_at") > 0);
        if (reply_string(reply, "grant_id"))
                snprintf(grant_id, sizeof(grant_id), "%s", reply_string(reply, "grant_id"));
        json_object_put(reply);
        CHECK(grant_id[0] == 'g');
        CHECK(audit_has(j, "request-approved", "JIT_GRANT_ID", grant_id));
        CHECK(audit_has(j, "request-approved", "JIT_APPROVER", "root"));

        CHECK_INT(call(j, JIT_METHOD_CHECK, check_params("nobody", "sudo", false), &reply), 0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "decision"), "allow");
        CHECK_STR(reply_string(reply, "grant_id"), grant_id);
        CHECK(!reply_bool(reply, "breakglass"));
        {
                char until[64];

                jit_format_time(reply_int(reply, "expires_at"), until, sizeof(until));
                CHECK(audit_has_message(j, "access-allowed",
                                        "sudo for nobody allowed on @ via sudo from 10.0.0.7 on pts/1 under grant %s "
                                        "until %s",
                                        grant_id, until));
        }
        json_object_put(reply);
        CHECK(audit_has(j, "access-allowed", "JIT_GRANT_ID", grant_id));
        CHECK(audit_has(j, "access-allowed", "JIT_TTY", "pts/1"));

        /* The grant is for sudo only. */
        CHECK_INT(call(j, JIT_METHOD_CHECK, check_params("nobody", "login", false), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_NO_GRANT);
        json_object_put(reply);

        /* Expire refuses a grant whose deadline has not passed. */
        CHECK_INT(call(j, JIT_METHOD_EXPIRE, params("grant_id", grant_id, NULL), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_CONFLICT);
        CHECK_STR(reply_string(reply, "state"), "active");
        json_object_put(reply);

        /* Admin view. */
        CHECK_INT(call(j, JIT_METHOD_LIST, params(NULL), &reply), 0);
        CHECK_OK(reply);
        CHECK(reply_member(reply, "grants") && json_object_array_length(reply_member(reply, "grants")) >= 1);
        json_object_put(reply);

        CHECK_INT(call(j, JIT_METHOD_REVOKE, params("grant_id", grant_id, "reason", "done", NULL), &reply), 0);
        CHECK_OK(reply);
        CHECK(reply_member(reply, "revoked") && json_object_array_length(reply_member(reply, "revoked")) == 1);
        json_object_put(reply);
        CHECK(audit_has(j, "grant-revoked", "JIT_GRANT_ID", grant_id));

        CHECK_INT(call(j, JIT_METHOD_CHECK, check_params("nobody", "sudo", false), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_NO_GRANT);
        json_object_put(reply);

        /* Revoking twice is a conflict, not a second success. */
        CHECK_INT(call(j, JIT_METHOD_REVOKE, params("grant_id", grant_id, NULL), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_CONFLICT);
        CHECK_STR(reply_string(reply, "state"), "revoked");
        json_object_put(reply);

        CHECK_INT(call(j, JIT_METHOD_SHOW, params("id", grant_id, NULL), &reply), 0);
        CHECK_OK(reply);
        json_object_put(reply);
}

static void test_denied_is_reported(Jitd *j) {
        struct json_object *reply;
        char request_id[JIT_ID_MAX];

        CHECK_INT(create_request(j, "daemon", "sudo", request_id, sizeof(request_id)), 0);
        CHECK_INT(call(j, JIT_METHOD_DENY, params("request_id", request_id, "reason", "not today", NULL), &reply), 0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "state"), "denied");
        json_object_put(reply);
        CHECK(audit_has(j, "request-denied", "JIT_REASON", "not today"));

        /* Without create_request (the auth phase, before it asks for a
         * reason) the denial is reported, with who decided. */
        CHECK_INT(call(j, JIT_METHOD_CHECK, check_params("daemon", "sudo", false), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_NO_GRANT);
        CHECK_STR(reply_string(reply, "state"), "denied");
        CHECK_STR(reply_string(reply, "request_id"), request_id);
        CHECK_STR(reply_string(reply, "decided_by"), "root");
        CHECK(!reply_bool(reply, "created"));
        json_object_put(reply);
}

/* A denial does not lock the user out for request_ttl: the account phase
 * (create_request) files a new request at the next login, since only a
 * pending one blocks it; the next attempts find that one. With
 * "AuthenticationMethods publickey" alone this is the only way to ask. */
static void test_new_request_after_denial(Jitd *j) {
        struct json_object *reply;
        char denied_id[JIT_ID_MAX], new_id[JIT_ID_MAX] = "";

        CHECK_INT(create_request(j, "daemon", "sudo", denied_id, sizeof(denied_id)), 0);
        CHECK_INT(call(j, JIT_METHOD_DENY, params("request_id", denied_id, NULL), &reply), 0);
        CHECK_OK(reply);
        json_object_put(reply);

        CHECK_INT(call(j, JIT_METHOD_CHECK, check_params("daemon", "sudo", true), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_NO_GRANT);
        CHECK_STR(reply_string(reply, "state"), "pending");
        CHECK(reply_bool(reply, "created"));
        CHECK(reply_string(reply, "request_id") && jit_id_is_valid(reply_string(reply, "request_id"), 'r'));
        CHECK(reply_string(reply, "request_id") && strcmp(reply_string(reply, "request_id"), denied_id) != 0);
        CHECK(reply_string(reply, "match_code") != NULL);
        if (reply_string(reply, "request_id"))
                snprintf(new_id, sizeof(new_id), "%s", reply_string(reply, "request_id"));
        json_object_put(reply);
        CHECK(audit_has(j, "request-created", "JIT_REQUEST_ID", new_id));
        CHECK(audit_has(j, "access-denied", "JIT_REQUEST_ID", new_id));

        /* Pending ones are still de-duplicated. */
        CHECK_INT(call(j, JIT_METHOD_CHECK, check_params("daemon", "sudo", true), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_NO_GRANT);
        CHECK_STR(reply_string(reply, "state"), "pending");
        CHECK(!reply_bool(reply, "created"));
        CHECK_STR(reply_string(reply, "request_id"), new_id);
        json_object_put(reply);

        /* The denied one stays denied; the new one is what approvers see. */
        CHECK_INT(call(j, JIT_METHOD_SHOW, params("id", denied_id, NULL), &reply), 0);
        CHECK_OK(reply);
        json_object_put(reply);
        CHECK_INT(call(j, JIT_METHOD_APPROVE, params("request_id", new_id, NULL), &reply), 0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "state"), "approved");
        json_object_put(reply);
        CHECK_INT(call(j, JIT_METHOD_CHECK, check_params("daemon", "sudo", true), &reply), 0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "decision"), "allow");
        json_object_put(reply);
        CHECK_INT(call(j, JIT_METHOD_REVOKE, params("user", "daemon", "action", "sudo", NULL), &reply), 0);
        CHECK_OK(reply);
        json_object_put(reply);
}

static void test_sessions(Jitd *j) {
        struct json_object *reply, *p;
        char request_id[JIT_ID_MAX], grant_id[JIT_ID_MAX] = "";

        /* No grant: no session bookkeeping. */
        p = params("user", "nobody", "action", "login", "session_id", "c7", "service", "sshd", NULL);
        CHECK_INT(call(j, JIT_METHOD_OPEN_SESSION, p, &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_NO_GRANT);
        json_object_put(reply);

        CHECK_INT(create_request(j, "nobody", "login", request_id, sizeof(request_id)), 0);
        CHECK_INT(call(j, JIT_METHOD_APPROVE, params_add_int(params("request_id", request_id, NULL), "duration", 300),
                       &reply),
                  0);
        CHECK_OK(reply);
        if (reply_string(reply, "grant_id"))
                snprintf(grant_id, sizeof(grant_id), "%s", reply_string(reply, "grant_id"));
        json_object_put(reply);

        p = params_add_int(params("user", "nobody", "action", "login", "session_id", "c7", "service", "sshd", "tty",
                                  "pts/3", NULL),
                           "pid", 4242);
        CHECK_INT(call(j, JIT_METHOD_OPEN_SESSION, p, &reply), 0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "grant_id"), grant_id);
        json_object_put(reply);
        CHECK(audit_has(j, "session-opened", "JIT_SESSION", "c7"));

        CHECK_INT(call(j, JIT_METHOD_SHOW, params("id", grant_id, NULL), &reply), 0);
        CHECK_OK(reply);
        CHECK(reply_member(reply, "sessions") && json_object_array_length(reply_member(reply, "sessions")) == 1);
        json_object_put(reply);

        /* A session id that could smuggle text into logs is refused. */
        p = params("user", "nobody", "action", "login", "session_id", "c7\nFAKE=1", NULL);
        CHECK_INT(call(j, JIT_METHOD_OPEN_SESSION, p, &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_INVALID_PARAMETER);
        json_object_put(reply);

        CHECK_INT(call(j, JIT_METHOD_CLOSE_SESSION, params("user", "nobody", "session_id", "c7", NULL), &reply), 0);
        CHECK_OK(reply);
        json_object_put(reply);
        CHECK(audit_has(j, "session-closed", "JIT_SESSION", "c7"));
}

static void test_breakglass_grant(Jitd *j) {
        struct json_object *reply, *p;
        char grant_id[JIT_ID_MAX] = "";

        /* Break-glass must say why. */
        p = params_add_int(params("user", "daemon", "action", "sudo", NULL), "duration", 60);
        CHECK_INT(call(j, JIT_METHOD_GRANT, p, &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_INVALID_PARAMETER);
        CHECK_STR(reply_string(reply, "parameter"), "reason");
        json_object_put(reply);

        /* Not beyond the policy maximum either. */
        p = params_add_int(params("user", "daemon", "action", "sudo", "reason", "incident 42", NULL), "duration",
                           7200);
        CHECK_INT(call(j, JIT_METHOD_GRANT, p, &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_INVALID_PARAMETER);
        CHECK_STR(reply_string(reply, "parameter"), "duration");
        json_object_put(reply);

        p = params_add_int(params("user", "daemon", "action", "sudo", "reason", "incident 42", NULL), "duration", 60);
        CHECK_INT(call(j, JIT_METHOD_GRANT, p, &reply), 0);
        CHECK_OK(reply);
        CHECK(reply_string(reply, "grant_id") != NULL);
        snprintf(grant_id, sizeof(grant_id), "%s", reply_string(reply, "grant_id") ?: "");
        json_object_put(reply);
        CHECK(audit_has(j, "breakglass", "JIT_REASON", "incident 42"));

        CHECK_INT(call(j, JIT_METHOD_CHECK, check_params("daemon", "sudo", false), &reply), 0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "decision"), "allow");
        CHECK(reply_bool(reply, "breakglass"));
        {
                char until[64];

                /* A use of the grant reads as a use, not as its issuing. */
                jit_format_time(reply_int(reply, "expires_at"), until, sizeof(until));
                CHECK(audit_has_message(j, "breakglass",
                                        "daemon used break-glass sudo grant %s on @ via sudo from 10.0.0.7 on pts/1 "
                                        "(issued by root, until %s)",
                                        grant_id, until));
        }
        json_object_put(reply);

        /* Revoke by user ends it. */
        CHECK_INT(call(j, JIT_METHOD_REVOKE, params("user", "daemon", "action", "sudo", NULL), &reply), 0);
        CHECK_OK(reply);
        CHECK(reply_member(reply, "revoked") && json_object_array_length(reply_member(reply, "revoked")) == 1);
        json_object_put(reply);

        CHECK_INT(call(j, JIT_METHOD_CHECK, check_params("daemon", "sudo", false), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_NO_GRANT);
        json_object_put(reply);
}

static void test_envelope(Jitd *j) {
        static const char wrong_version[] =
                "{\"method\":\"io.jit.Check\",\"parameters\":{\"protocol\":2,\"user\":\"nobody\",\"action\":\"sudo\","
                "\"service\":\"sudo\"}}";
        static const char no_version[] =
                "{\"method\":\"io.jit.Check\",\"parameters\":{\"user\":\"nobody\",\"action\":\"sudo\","
                "\"service\":\"sudo\"}}";
        struct json_object *reply = NULL, *p;
        int fd;

        fd = raw_connect(j);
        CHECK(fd >= 0);
        CHECK_INT(raw_send(fd, wrong_version, sizeof(wrong_version)), 0);
        CHECK_INT(raw_receive(fd, CALL_TIMEOUT_USEC, &reply), 1);
        CHECK_ERROR(reply, JIT_ERROR_PROTOCOL_MISMATCH);
        json_object_put(reply);
        /* The connection stays usable. */
        CHECK_INT(raw_send(fd, no_version, sizeof(no_version)), 0);
        CHECK_INT(raw_receive(fd, CALL_TIMEOUT_USEC, &reply), 1);
        CHECK_ERROR(reply, JIT_ERROR_PROTOCOL_MISMATCH);
        json_object_put(reply);
        close(fd);

        /* What pam_jit.so sees: a reply it must treat as "jitd unavailable". */
        p = params_add_int(params("user", "nobody", "action", "sudo", "service", "sudo", NULL), "protocol", 2);
        CHECK_INT(call(j, JIT_METHOD_CHECK, p, &reply), -EPROTO);
        json_object_put(reply);

        CHECK_INT(call(j, "io.jit.Reboot", params(NULL), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_METHOD_NOT_FOUND);
        json_object_put(reply);

        CHECK_INT(call(j, JIT_METHOD_CHECK, check_params("no body", "sudo", false), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_INVALID_PARAMETER);
        CHECK_STR(reply_string(reply, "parameter"), "user");
        json_object_put(reply);

        CHECK_INT(call(j, JIT_METHOD_CHECK, check_params("nobody", "reboot", false), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_INVALID_PARAMETER);
        CHECK_STR(reply_string(reply, "parameter"), "action");
        json_object_put(reply);

        /* Missing service. */
        CHECK_INT(call(j, JIT_METHOD_CHECK, params("user", "nobody", "action", "sudo", NULL), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_INVALID_PARAMETER);
        CHECK_STR(reply_string(reply, "parameter"), "service");
        json_object_put(reply);

        /* Wrong type. */
        p = params_add_int(params("user", "nobody", "action", "sudo", NULL), "service", 5);
        CHECK_INT(call(j, JIT_METHOD_CHECK, p, &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_INVALID_PARAMETER);
        json_object_put(reply);

        CHECK_INT(call(j, JIT_METHOD_SHOW, params("id", "r0000000000000000", NULL), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_NOT_FOUND);
        json_object_put(reply);

        CHECK_INT(call(j, JIT_METHOD_SHOW, params("id", "../../etc/passwd", NULL), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_INVALID_PARAMETER);
        json_object_put(reply);
}

int main(void) {
        Jitd j;
        int status = 0;

        harness_require_root("integration-check");
        CHECK_INT(jitd_setup(&j, TEST_JITD_KEYS, TEST_POLICY), 0);
        CHECK_INT(jitd_start(&j, &status), 0);
        if (test_failures) {
                fprintf(stderr, "jitd did not start (exit status %d)\n", status);
                jitd_cleanup(&j);
                return test_result("integration-check");
        }

        test_ignore_and_breakglass(&j);
        test_request_approve_revoke(&j);
        test_denied_is_reported(&j);
        test_new_request_after_denial(&j);
        test_sessions(&j);
        test_breakglass_grant(&j);
        test_envelope(&j);

        CHECK_INT(jitd_stop(&j), 0);
        /* A clean stop removes the socket it made. */
        CHECK(access(j.socket, F_OK) < 0);
        jitd_cleanup(&j);
        return test_result("integration-check");
}
