/* What follows the end of a grant or a request survives a crash of jitd
 * right after that end is committed. jitd-crashtest (crash-hook.c) dies
 * with SIGKILL at a named point; a real jitd started on the same database
 * must then do what was left: the grant-expired or grant-revoked audit
 * entry (once), sudo's cached credentials dropped, and the "expired"
 * webhook message of a request that expired unanswered delivered to a
 * loopback receiver. A message that reached its receiver just before the
 * crash goes out again with the same webhook-id, and both attempts are
 * counted. */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../test.h"
#include "harness.h"
#include "web-helpers.h"

#define SEC 1000000ULL

static char ts_dir[256];

static void make_timestamp(const char *user) {
        char path[512];
        int fd;

        snprintf(path, sizeof(path), "%s/%s", ts_dir, user);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        CHECK(fd >= 0);
        if (fd >= 0)
                close(fd);
}

static bool timestamp_exists(const char *user) {
        char path[512];

        snprintf(path, sizeof(path), "%s/%s", ts_dir, user);
        return access(path, F_OK) == 0;
}

static int approve(Jitd *j, const char *user, const char *action, int64_t duration, char *ret_request_id,
                   char *ret_grant_id) {
        struct json_object *reply = NULL;
        int r;

        r = create_request(j, user, action, ret_request_id, JIT_ID_MAX);
        if (r < 0)
                return r;
        r = call(j, JIT_METHOD_APPROVE,
                 params_add_int(params("request_id", ret_request_id, NULL), "duration", duration), &reply);
        if (r >= 0 && (reply_error(reply) || !reply_string(reply, "grant_id")))
                r = -EBADMSG;
        if (r >= 0)
                snprintf(ret_grant_id, JIT_ID_MAX, "%s", reply_string(reply, "grant_id"));
        json_object_put(reply);
        return r;
}

static const char *grant_state(Jitd *j, const char *grant_id) {
        static char buf[32];
        struct json_object *reply = NULL, *g, *state = NULL;

        buf[0] = '\0';
        if (call(j, JIT_METHOD_SHOW, params("id", grant_id, NULL), &reply) >= 0 && (g = reply_member(reply, "grant")) &&
            json_object_object_get_ex(g, "state", &state))
                snprintf(buf, sizeof(buf), "%s", json_object_get_string(state));
        json_object_put(reply);
        return buf;
}

static void start(Jitd *j, const char *crash_at) {
        int status = 0;

        j->crash_at = crash_at;
        if (jitd_start(j, &status) < 0) {
                fprintf(stderr, "jitd did not start (exit status %d)\n", status);
                exit(EXIT_FAILURE);
        }
}

/* A grant expires on jitd's timer, and jitd dies before any end action. */
static void test_expiry(Jitd *j) {
        char request_id[JIT_ID_MAX], grant_id[JIT_ID_MAX];

        start(j, "teardown");
        make_timestamp("nobody");
        CHECK_INT(approve(j, "nobody", "sudo", 2, request_id, grant_id), 0);
        CHECK(jitd_wait_crashed(j, 10 * SEC));
        /* The window is real: the grant ended, nothing after it happened. */
        CHECK(!audit_has(j, "grant-expired", "JIT_GRANT_ID", grant_id));
        CHECK(timestamp_exists("nobody"));

        start(j, NULL);
        CHECK(WAIT_FOR(audit_has(j, "grant-expired", "JIT_GRANT_ID", grant_id), 5 * SEC));
        CHECK(WAIT_FOR(!timestamp_exists("nobody"), 5 * SEC));
        CHECK_STR(grant_state(j, grant_id), "expired");

        /* Done means done: another restart does not repeat it. */
        CHECK_INT(jitd_stop(j), 0);
        start(j, NULL);
        sleep_usec(SEC / 2);
        CHECK_INT(audit_count(j, "grant-expired", request_id), 1);
        CHECK_INT(jitd_stop(j), 0);
}

/* An admin revokes a grant, and jitd dies before any end action: the
 * revocation stands, and its audit entry keeps the reason given. */
static void test_revoke(Jitd *j) {
        char request_id[JIT_ID_MAX], grant_id[JIT_ID_MAX];
        struct json_object *reply = NULL;

        start(j, "teardown");
        make_timestamp("nobody");
        CHECK_INT(approve(j, "nobody", "sudo", 600, request_id, grant_id), 0);
        (void) call(j, JIT_METHOD_REVOKE, params("grant_id", grant_id, "reason", "crash test", NULL), &reply);
        json_object_put(reply);
        CHECK(jitd_wait_crashed(j, 10 * SEC));
        CHECK(!audit_has(j, "grant-revoked", "JIT_GRANT_ID", grant_id));
        CHECK(timestamp_exists("nobody"));

        start(j, NULL);
        CHECK(WAIT_FOR(audit_has(j, "grant-revoked", "JIT_GRANT_ID", grant_id), 5 * SEC));
        CHECK(audit_has(j, "grant-revoked", "JIT_REASON", "crash test"));
        CHECK(audit_has(j, "grant-revoked", "JIT_APPROVER", "root"));
        CHECK(WAIT_FOR(!timestamp_exists("nobody"), 5 * SEC));
        CHECK_STR(grant_state(j, grant_id), "revoked");
        CHECK_INT(audit_count(j, "grant-revoked", request_id), 1);
        CHECK_INT(jitd_stop(j), 0);
}

/* A request expires unanswered, and jitd dies right after committing
 * that: its "expired" message was written with it and goes out. */
static void test_request_expiry(Jitd *j, Receiver *rcv) {
        char request_id[JIT_ID_MAX];

        start(j, "expiry-committed");
        CHECK_INT(create_request(j, "daemon", "sudo", request_id, sizeof(request_id)), 0);
        CHECK(wait_records(rcv, request_id, "jit.request.created", 1, 15 * SEC));
        /* request_ttl = 10 s */
        CHECK(jitd_wait_crashed(j, 20 * SEC));
        {
                struct json_object *recs = records_for(rcv, request_id, "jit.request.expired");

                CHECK_INT(recs ? json_object_array_length(recs) : 0, 0); /* not sent before the crash */
                json_object_put(recs);
        }

        start(j, NULL);
        CHECK_STR(request_state(j, request_id), "expired");
        CHECK(wait_records(rcv, request_id, "jit.request.expired", 1, 15 * SEC));
        CHECK_INT(jitd_stop(j), 0);
}

/* The notification of `event` for a request, from Show: its attempts and
 * state ("" if there is none). */
static int64_t notification_attempts(Jitd *j, const char *request_id, const char *event, char *ret_state,
                                     size_t size) {
        struct json_object *p = show_request(j, request_id), *notes, *e, *v;
        int64_t attempts = -1;

        snprintf(ret_state, size, "%s", "");
        if (p && json_object_object_get_ex(p, "notifications", &notes))
                for (size_t i = 0; i < json_object_array_length(notes); i++) {
                        e = json_object_array_get_idx(notes, i);
                        if (!json_object_object_get_ex(e, "event", &v) || strcmp(json_object_get_string(v), event) != 0)
                                continue;
                        if (json_object_object_get_ex(e, "attempts", &v))
                                attempts = json_object_get_int64(v);
                        if (json_object_object_get_ex(e, "state", &v))
                                snprintf(ret_state, size, "%s", json_object_get_string(v));
                }
        json_object_put(p);
        return attempts;
}

/* The webhook-id header a receiver record came with, or NULL. */
static const char *record_webhook_id(struct json_object *record) {
        struct json_object *headers, *id;

        if (!json_object_object_get_ex(record, "_headers", &headers) ||
            !json_object_object_get_ex(headers, "webhook-id", &id))
                return NULL;
        return json_object_get_string(id);
}

/* The receiver took the message; jitd dies before it records that. */
static void test_attempts_counted(Jitd *j, Receiver *rcv) {
        char request_id[JIT_ID_MAX], state[32];
        struct json_object *recs;
        const char *first_id, *second_id;

        start(j, "webhook-answered");
        CHECK_INT(create_request(j, "nobody", "sudo", request_id, sizeof(request_id)), 0);
        CHECK(jitd_wait_crashed(j, 20 * SEC));
        CHECK(wait_records(rcv, request_id, "jit.request.created", 1, 15 * SEC));

        start(j, NULL);
        CHECK(wait_records(rcv, request_id, "jit.request.created", 2, 15 * SEC));
        CHECK(WAIT_FOR(notification_attempts(j, request_id, "created", state, sizeof(state)) >= 0 &&
                               strcmp(state, "delivered") == 0,
                       15 * SEC));
        CHECK_INT(notification_attempts(j, request_id, "created", state, sizeof(state)), 2);
        CHECK_STR(state, "delivered");

        /* The same message both times: receivers can drop the second. */
        recs = records_for(rcv, request_id, "jit.request.created");
        CHECK_INT(recs ? json_object_array_length(recs) : 0, 2);
        first_id = record_webhook_id(json_object_array_get_idx(recs, 0));
        second_id = record_webhook_id(json_object_array_get_idx(recs, 1));
        CHECK(first_id && second_id);
        if (first_id && second_id)
                CHECK_STR(first_id, second_id);
        json_object_put(recs);
        CHECK_INT(jitd_stop(j), 0);
}

int main(int argc, char **argv) {
        _cleanup_free_ char *secret_path = NULL, *secret = NULL, *keys = NULL, *rest = NULL;
        const char *extra[3];
        Receiver rcv;
        Jitd j;

        web_test_init(argc, argv, "integration-crash");
        harness_require_root("integration-crash");

        snprintf(ts_dir, sizeof(ts_dir), "%s/ts", web_scratch());
        CHECK(mkdir(ts_dir, 0700) == 0);

        CHECK_INT(make_secret("crash.secret", &secret_path, &secret), 0);
        extra[0] = "--secret";
        extra[1] = secret;
        extra[2] = NULL;
        start_receiver(&rcv, "crash", extra);

        CHECK(asprintf(&keys, "admin_group = nogroup\nrequest_ttl = 10\nsudo_timestamp_dir = %s\n", ts_dir) > 0);
        CHECK(asprintf(&rest,
                       "[sudo]\nusers = nobody daemon\ndefault_duration = 600\nmax_duration = 3600\n"
                       "[webhook ops]\nurl = http://127.0.0.1:%u/hook\nallow_http_loopback = yes\n"
                       "secret_file = %s\nretry_initial = 1s\n",
                       rcv.port, secret_path) > 0);
        CHECK_INT(jitd_setup(&j, keys, rest), 0);

        test_attempts_counted(&j, &rcv); /* first: no older message may be sent before its own */
        test_expiry(&j);
        test_revoke(&j);
        test_request_expiry(&j, &rcv);

        jitd_cleanup(&j);
        receiver_stop(&rcv);
        return test_result("integration-crash");
}
