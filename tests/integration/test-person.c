/* Root is not a person: a real jitd, called from processes whose audit
 * loginuid this test sets, as sudo leaves it. Each caller is a forked child
 * that sets its own /proc/self/loginuid (as root, before dropping to its
 * uid, if it does), so jitd reads a real loginuid through /proc and a
 * pidfd. uid 0 with loginuid 1 is daemon after "sudo"; with the loginuid
 * unset, a system service (the expiry timer's jitctl expire).
 *
 * Covered: self-approval through sudo refused (login, sudo, an extension;
 * sudo -u another admin too), the requester's deny through sudo is a
 * withdrawal, a quorum counts persons (root-by-X and X are one, two
 * persons through root are two, an admin account is itself in anyone's
 * login), root outside a login may expire, revoke and deny but not approve
 * or grant, and both names in the audit trail and in Show. */

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../loginuid.h"
#include "../test.h"
#include "harness.h"
#include "macros.h"

/* Persons: daemon (uid 1) requests; nobody (an admin account, nogroup),
 * bin (2) and sys (3) approve, bin and sys only through sudo (root). */
#define UID_BIN 2
#define UID_SYS 3

static void start(Jitd *j) {
        int status = 0;

        CHECK_INT(jitd_setup(j, TEST_JITD_KEYS,
                             "[sudo]\nusers = daemon\ndefault_duration = 600\nmax_duration = 3600\n"
                             "[login]\nusers = daemon\napprovers = bin sys\nquorum = 2\n"),
                  0);
        if (jitd_start(j, &status) < 0) {
                fprintf(stderr, "jitd did not start (status %d)\n", status);
                exit(EXIT_FAILURE);
        }
}

/* root with this loginuid: what "sudo jitctl" is to jitd. */
static int call_root_as(Jitd *j, uid_t loginuid, const char *method, struct json_object *p,
                        struct json_object **ret) {
        return call_as_login(j, 0, 0, loginuid, method, p, ret);
}

static const char *reason_of(struct json_object *reply) {
        return reply_string(reply, "reason") ?: "(none)";
}

/* root in `loginuid`'s login calls `method` on request `id` and is refused
 * with PermissionDenied for `reason`. */
static void check_refused_as(Jitd *j, uid_t loginuid, const char *method, const char *id, const char *reason) {
        struct json_object *reply = NULL;

        CHECK_INT(call_root_as(j, loginuid, method, params("request_id", id, NULL), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_PERMISSION_DENIED);
        CHECK_STR(reason_of(reply), reason);
        json_object_put(reply);
}

/* Show's "request" object of `id`; the caller puts the whole reply. */
static struct json_object *show(Jitd *j, const char *id, struct json_object **ret_reply) {
        struct json_object *reply = NULL, *o;

        *ret_reply = NULL;
        if (call(j, JIT_METHOD_SHOW, params("id", id, NULL), &reply) < 0 || reply_error(reply)) {
                json_object_put(reply);
                return NULL;
        }
        *ret_reply = reply;
        o = reply_member(reply, id[0] == 'r' ? "request" : "grant");
        return o;
}

static const char *member_string(struct json_object *o, const char *key) {
        struct json_object *v = NULL;

        if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static void check_request(Jitd *j, const char *id, const char *state, const char *decided_by,
                          const char *decided_by_person) {
        struct json_object *reply = NULL, *r = show(j, id, &reply);

        CHECK_STR(member_string(r, "state"), state);
        if (decided_by)
                CHECK_STR(member_string(r, "decided_by"), decided_by);
        if (decided_by_person)
                CHECK_STR(member_string(r, "decided_by_person"), decided_by_person);
        else
                CHECK(!member_string(r, "decided_by_person"));
        json_object_put(reply);
}

/* The audit entry `event` of `id` (a request or grant id) names `approver`
 * and `person` (NULL: no JIT_APPROVER_PERSON). */
static bool audit_names(Jitd *j, const char *event, const char *id, const char *approver, const char *person) {
        _cleanup_free_ char *line = NULL;
        size_t size = 0;
        bool found = false;
        FILE *f = fopen(j->audit, "re");

        if (!f)
                return false;
        while (!found && getline(&line, &size, f) > 0) {
                struct json_object *o = json_tokener_parse(line), *v;
                const char *rid, *gid, *a, *p;

                if (!o)
                        continue;
                v = NULL;
                if (json_object_object_get_ex(o, "JIT_EVENT", &v) && strcmp(json_object_get_string(v), event) == 0) {
                        rid = member_string(o, "JIT_REQUEST_ID");
                        gid = member_string(o, "JIT_GRANT_ID");
                        a = member_string(o, "JIT_APPROVER");
                        p = member_string(o, "JIT_APPROVER_PERSON");
                        if (((rid && strcmp(rid, id) == 0) || (gid && strcmp(gid, id) == 0)) && a &&
                            strcmp(a, approver) == 0 && (person ? p && strcmp(p, person) == 0 : !p))
                                found = true;
                }
                json_object_put(o);
        }
        fclose(f);
        return found;
}

/* "sudo jitctl approve" on your own request: refused, whatever it is. */
static void test_self_approval(Jitd *j) {
        char login[JIT_ID_MAX], sudo[JIT_ID_MAX], ext[JIT_ID_MAX], grant[JIT_ID_MAX];
        struct json_object *reply = NULL;

        CHECK_INT(create_request(j, "daemon", "login", login, sizeof(login)), 0);
        check_refused_as(j, UID_DAEMON, JIT_METHOD_APPROVE, login, "own-request");
        check_request(j, login, "pending", NULL, NULL);
        CHECK(!audit_has(j, "approval-recorded", "JIT_REQUEST_ID", login));

        /* Through another admin's account (sudo -u nobody): still from
         * daemon's own login. */
        CHECK_INT(call_as_login(j, UID_NOBODY, GID_NOBODY, UID_DAEMON, JIT_METHOD_APPROVE,
                                params("request_id", login, NULL), &reply),
                  0);
        CHECK_ERROR(reply, JIT_ERROR_PERMISSION_DENIED);
        CHECK_STR(reason_of(reply), "own-request");
        json_object_put(reply);

        /* A quorum of one, so nothing but the person stops it. */
        CHECK_INT(create_request(j, "daemon", "sudo", sudo, sizeof(sudo)), 0);
        check_refused_as(j, UID_DAEMON, JIT_METHOD_APPROVE, sudo, "own-request");
        check_request(j, sudo, "pending", NULL, NULL);

        /* The control: root logged in as someone else approves it. */
        CHECK_INT(call_root_as(j, UID_BIN, JIT_METHOD_APPROVE, params("request_id", sudo, NULL), &reply), 0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "approver"), "root");
        CHECK_STR(reply_string(reply, "approver_person"), "bin");
        CHECK_STR(reply_string(reply, "state"), "approved");
        snprintf(grant, sizeof(grant), "%s", reply_string(reply, "grant_id") ?: "");
        json_object_put(reply);
        check_request(j, sudo, "approved", "root", "bin");
        {
                struct json_object *show_reply = NULL, *g = show(j, grant, &show_reply);

                CHECK_STR(member_string(g, "approver"), "root");
                CHECK_STR(member_string(g, "approver_person"), "bin");
                json_object_put(show_reply);
        }
        CHECK(audit_names(j, "request-approved", sudo, "root", "bin"));

        /* An extension of daemon's live grant: still daemon's own. */
        CHECK_INT(call_as(j, UID_DAEMON, GID_DAEMON, JIT_METHOD_REQUEST,
                          params_add_int(params("user", "daemon", "action", "sudo", "extends", grant, "reason",
                                                "more time", NULL),
                                         "duration", 300),
                          &reply),
                  0);
        CHECK_OK(reply);
        snprintf(ext, sizeof(ext), "%s", reply_string(reply, "request_id") ?: "");
        json_object_put(reply);
        check_refused_as(j, UID_DAEMON, JIT_METHOD_APPROVE, ext, "own-request");
        check_request(j, ext, "pending", NULL, NULL);

        /* The requester saying no through sudo withdraws it: cancelled, not
         * an approver's denial, with both names kept. */
        CHECK_INT(call_root_as(j, UID_DAEMON, JIT_METHOD_DENY, params("request_id", ext, "reason", "never mind", NULL),
                               &reply),
                  0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "state"), "cancelled");
        json_object_put(reply);
        check_request(j, ext, "cancelled", "root", "daemon");
        CHECK(audit_has(j, "request-cancelled", "JIT_REQUEST_ID", ext));
        CHECK(!audit_has(j, "request-denied", "JIT_REQUEST_ID", ext));
        /* ... and "jitctl cancel" through sudo finds it is theirs. */
        CHECK_INT(call_root_as(j, UID_DAEMON, JIT_METHOD_DENY,
                               params_add_bool(params("request_id", login, NULL), "cancel", true), &reply),
                  0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "state"), "cancelled");
        json_object_put(reply);

        /* Revoked through sudo: both names, in the store and the trail. */
        CHECK_INT(call_root_as(j, UID_SYS, JIT_METHOD_REVOKE, params("grant_id", grant, "reason", "done", NULL),
                               &reply),
                  0);
        CHECK_OK(reply);
        json_object_put(reply);
        {
                struct json_object *show_reply = NULL, *g = show(j, grant, &show_reply);

                CHECK_STR(member_string(g, "ended_by"), "root");
                CHECK_STR(member_string(g, "ended_by_person"), "sys");
                json_object_put(show_reply);
        }
        CHECK(audit_names(j, "grant-revoked", grant, "root", "sys"));
        CHECK_INT(call(j, JIT_METHOD_REVOKE, params("user", "daemon", NULL), &reply), 0);
        json_object_put(reply);
}

/* Quorum of two on daemon's logins: persons count, accounts do not. */
static void test_quorum(Jitd *j) {
        char id[JIT_ID_MAX];
        struct json_object *reply = NULL, *show_reply = NULL, *r, *votes;

        CHECK_INT(create_request(j, "daemon", "login", id, sizeof(id)), 0);

        /* nobody, logged in as itself. */
        CHECK_INT(call_as(j, UID_NOBODY, GID_NOBODY, JIT_METHOD_APPROVE, params("request_id", id, NULL), &reply), 0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "state"), "pending");
        CHECK_INT(reply_int(reply, "approvals"), 1);
        json_object_put(reply);

        /* nobody again, through sudo: the same person, no second vote. */
        CHECK_INT(call_root_as(j, UID_NOBODY, JIT_METHOD_APPROVE, params("request_id", id, NULL), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_CONFLICT);
        CHECK_STR(reason_of(reply), "already-approved-by-you");
        CHECK_INT(reply_int(reply, "approvals"), 1);
        json_object_put(reply);

        /* The requester through sudo: refused, and counts for nothing. */
        check_refused_as(j, UID_DAEMON, JIT_METHOD_APPROVE, id, "own-request");
        check_request(j, id, "pending", NULL, NULL);

        /* bin through sudo is a second person: granted. */
        CHECK_INT(call_root_as(j, UID_BIN, JIT_METHOD_APPROVE, params("request_id", id, NULL), &reply), 0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "state"), "approved");
        json_object_put(reply);
        check_request(j, id, "approved", "root", "bin");

        r = show(j, id, &show_reply);
        CHECK(r != NULL);
        votes = reply_member(show_reply, "approvals");
        CHECK(votes && json_object_array_length(votes) == 2);
        for (size_t i = 0; votes && i < json_object_array_length(votes); i++) {
                struct json_object *v = json_object_array_get_idx(votes, i);
                const char *person = member_string(v, "person");

                /* Cast in the same second: in either order. */
                CHECK(person && (strcmp(person, "nobody") == 0 || strcmp(person, "bin") == 0));
                CHECK_STR(member_string(v, "approver"), person && strcmp(person, "bin") == 0 ? "root" : "nobody");
        }
        json_object_put(show_reply);
        CHECK_INT(call(j, JIT_METHOD_REVOKE, params("user", "daemon", NULL), &reply), 0);
        json_object_put(reply);

        /* Two persons, both through root: two votes. */
        CHECK_INT(create_request(j, "daemon", "login", id, sizeof(id)), 0);
        CHECK_INT(call_root_as(j, UID_BIN, JIT_METHOD_APPROVE, params("request_id", id, NULL), &reply), 0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "state"), "pending");
        CHECK_STR(reply_string(reply, "approver_person"), "bin");
        json_object_put(reply);
        CHECK(audit_names(j, "approval-recorded", id, "root", "bin"));
        CHECK_INT(call_root_as(j, UID_SYS, JIT_METHOD_APPROVE, params("request_id", id, NULL), &reply), 0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "state"), "approved");
        json_object_put(reply);
        check_request(j, id, "approved", "root", "sys");
        CHECK(audit_names(j, "request-approved", id, "root", "sys"));
        CHECK_INT(call(j, JIT_METHOD_REVOKE, params("user", "daemon", NULL), &reply), 0);
        json_object_put(reply);

        /* An account other than root counts as itself in anyone's login:
         * a process outside a login (a service) may set its loginuid to
         * anything, and one admin must not vote as two that way. */
        CHECK_INT(create_request(j, "daemon", "login", id, sizeof(id)), 0);
        CHECK_INT(call_as_login(j, UID_NOBODY, GID_NOBODY, UID_BIN, JIT_METHOD_APPROVE, params("request_id", id, NULL),
                                &reply),
                  0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "approver_person"), "nobody");
        CHECK_STR(reply_string(reply, "state"), "pending");
        json_object_put(reply);
        CHECK_INT(call_as_login(j, UID_NOBODY, GID_NOBODY, UID_SYS, JIT_METHOD_APPROVE, params("request_id", id, NULL),
                                &reply),
                  0);
        CHECK_ERROR(reply, JIT_ERROR_CONFLICT);
        CHECK_STR(reason_of(reply), "already-approved-by-you");
        json_object_put(reply);
        check_request(j, id, "pending", NULL, NULL);
        /* bin, through sudo, is someone else: granted. */
        CHECK_INT(call_root_as(j, UID_BIN, JIT_METHOD_APPROVE, params("request_id", id, NULL), &reply), 0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "state"), "approved");
        json_object_put(reply);
        CHECK_INT(call(j, JIT_METHOD_REVOKE, params("user", "daemon", NULL), &reply), 0);
        json_object_put(reply);
}

/* Root outside any login (a service, a timer, systemd-run) is no person:
 * it may take access away and record what the clock decided, not give
 * access. A service account that is not root is its own person. */
static void test_anonymous_root(Jitd *j) {
        char id[JIT_ID_MAX], grant[JIT_ID_MAX];
        struct json_object *reply = NULL;

        CHECK_INT(create_request(j, "daemon", "sudo", id, sizeof(id)), 0);
        CHECK_INT(call_root_as(j, TEST_LOGINUID_UNSET, JIT_METHOD_APPROVE, params("request_id", id, NULL), &reply),
                  0);
        CHECK_ERROR(reply, JIT_ERROR_PERMISSION_DENIED);
        CHECK_STR(reason_of(reply), "no-person");
        json_object_put(reply);
        check_request(j, id, "pending", NULL, NULL);

        CHECK_INT(call_root_as(j, TEST_LOGINUID_UNSET, JIT_METHOD_GRANT,
                               params_add_int(params("user", "daemon", "action", "sudo", "reason", "timer", NULL),
                                              "duration", 60),
                               &reply),
                  0);
        CHECK_ERROR(reply, JIT_ERROR_PERMISSION_DENIED);
        CHECK_STR(reason_of(reply), "no-person");
        json_object_put(reply);

        /* Reading works as before. */
        CHECK_INT(call_root_as(j, TEST_LOGINUID_UNSET, JIT_METHOD_SHOW, params("id", id, NULL), &reply), 0);
        CHECK_OK(reply);
        json_object_put(reply);

        /* Denying takes access away: allowed, recorded as root alone. */
        CHECK_INT(call_root_as(j, TEST_LOGINUID_UNSET, JIT_METHOD_DENY, params("request_id", id, "reason", "no", NULL),
                               &reply),
                  0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "state"), "denied");
        json_object_put(reply);
        check_request(j, id, "denied", "root", NULL);
        CHECK(audit_names(j, "request-denied", id, "root", NULL));

        /* Break-glass by root logged in as bin: both names kept. */
        CHECK_INT(call_root_as(j, UID_BIN, JIT_METHOD_GRANT,
                               params_add_int(params("user", "daemon", "action", "sudo", "reason", "incident", NULL),
                                              "duration", 60),
                               &reply),
                  0);
        CHECK_OK(reply);
        snprintf(grant, sizeof(grant), "%s", reply_string(reply, "grant_id") ?: "");
        json_object_put(reply);
        CHECK(audit_names(j, "breakglass", grant, "root", "bin"));
        {
                struct json_object *show_reply = NULL, *g = show(j, grant, &show_reply);

                CHECK_STR(member_string(g, "approver"), "root");
                CHECK_STR(member_string(g, "approver_person"), "bin");
                json_object_put(show_reply);
        }

        /* The expiry timer's "jitctl expire" runs as root outside a login:
         * heard (this grant is not due yet, so jitd says so), not refused.
         * The booted-host suite has the timer expire real grants. */
        CHECK_INT(call_root_as(j, TEST_LOGINUID_UNSET, JIT_METHOD_EXPIRE, params("grant_id", grant, NULL), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_CONFLICT);
        CHECK_STR(reply_string(reply, "state"), "active");
        json_object_put(reply);

        /* Revoking takes access away: allowed. */
        CHECK_INT(call_root_as(j, TEST_LOGINUID_UNSET, JIT_METHOD_REVOKE, params("grant_id", grant, NULL), &reply),
                  0);
        CHECK_OK(reply);
        json_object_put(reply);
        {
                struct json_object *show_reply = NULL, *g = show(j, grant, &show_reply);

                CHECK_STR(member_string(g, "state"), "revoked");
                CHECK_STR(member_string(g, "ended_by"), "root");
                CHECK(!member_string(g, "ended_by_person"));
                json_object_put(show_reply);
        }
        CHECK(audit_names(j, "grant-revoked", grant, "root", NULL));

        /* An admin account outside a login (a service running as nobody)
         * is its own person. */
        CHECK_INT(create_request(j, "daemon", "sudo", id, sizeof(id)), 0);
        CHECK_INT(call_as_login(j, UID_NOBODY, GID_NOBODY, TEST_LOGINUID_UNSET, JIT_METHOD_APPROVE,
                                params("request_id", id, NULL), &reply),
                  0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "approver_person"), "nobody");
        json_object_put(reply);
        CHECK_INT(call(j, JIT_METHOD_REVOKE, params("user", "daemon", NULL), &reply), 0);
        json_object_put(reply);
}

int main(void) {
        Jitd j;

        harness_require_root("test-integration-person");
        if (!getpwuid(UID_BIN) || !getpwuid(UID_SYS)) {
                fprintf(stderr, "test-integration-person: skipped: needs users bin (2) and sys (3).\n");
                return TEST_SKIP;
        }
        /* The children below set their loginuid: see that it can be done
         * before blaming jitd. */
        {
                struct json_object *reply = NULL;

                start(&j);
                if (call_as_login(&j, 0, 0, UID_BIN, JIT_METHOD_LIST, params(NULL), &reply) == -ECHILD) {
                        fprintf(stderr, "test-integration-person: skipped: a child cannot set its loginuid.\n");
                        jitd_cleanup(&j);
                        return TEST_SKIP;
                }
                json_object_put(reply);
        }

        test_self_approval(&j);
        test_quorum(&j);
        test_anonymous_root(&j);

        jitd_cleanup(&j);
        return test_failures ? EXIT_FAILURE : EXIT_SUCCESS;
}
