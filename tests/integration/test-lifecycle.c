/* The life of a grant on a host without systemd (this test's jitd has no
 * system bus): expiry on jitd's own timer, sudo's cached credentials dropped
 * at expiry and at revoke (and a planted symlink not followed), the expiry
 * warning arriving on the session's terminal (a pty this test opened)
 * before the deadline, `jitctl extend`'s protocol (an extension counts from
 * the old deadline, ends the old grant and moves its sessions), and
 * io.jit.Expire succeeding in the deadline second itself, which is when a
 * systemd timer runs it. */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../test.h"
#include "harness.h"

#define SEC 1000000ULL

static int64_t now_realtime_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int approve(Jitd *j, const char *user, const char *action, int64_t duration, char *ret_grant_id,
                   int64_t *ret_expires) {
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
        if (r >= 0) {
                snprintf(ret_grant_id, JIT_ID_MAX, "%s", reply_string(reply, "grant_id"));
                if (ret_expires)
                        *ret_expires = reply_int(reply, "expires_at");
        }
        json_object_put(reply);
        return r;
}

static int open_session(Jitd *j, const char *user, const char *action, const char *session_id, const char *tty) {
        struct json_object *reply = NULL;
        int r;

        r = call(j, JIT_METHOD_OPEN_SESSION,
                 params("user", user, "action", action, "session_id", session_id, "service", "sshd", "tty", tty, NULL),
                 &reply);
        if (r >= 0 && reply_error(reply))
                r = -EBADMSG;
        json_object_put(reply);
        return r;
}

/* A member of the grant in io.jit.Show's reply, as a string ("" if absent). */
static const char *show_grant_string(Jitd *j, const char *grant_id, const char *key, char *buf, size_t size) {
        struct json_object *reply = NULL, *g, *v = NULL;

        buf[0] = 0;
        if (call(j, JIT_METHOD_SHOW, params("id", grant_id, NULL), &reply) >= 0 &&
            (g = reply_member(reply, "grant")) && json_object_object_get_ex(g, key, &v) && v)
                snprintf(buf, size, "%s", json_object_get_string(v));
        json_object_put(reply);
        return buf;
}

static int64_t show_grant_int(Jitd *j, const char *grant_id, const char *key) {
        char buf[64];

        return strtoll(show_grant_string(j, grant_id, key, buf, sizeof(buf)), NULL, 10);
}

/* Ids of the sessions io.jit.Show lists under a grant, space-separated. */
static const char *show_grant_sessions(Jitd *j, const char *grant_id, char *buf, size_t size) {
        struct json_object *reply = NULL, *sessions;

        buf[0] = 0;
        if (call(j, JIT_METHOD_SHOW, params("id", grant_id, NULL), &reply) >= 0 &&
            (sessions = reply_member(reply, "sessions")))
                for (size_t i = 0; i < json_object_array_length(sessions); i++) {
                        struct json_object *id = NULL;

                        if (json_object_object_get_ex(json_object_array_get_idx(sessions, i), "session_id", &id))
                                snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", buf[0] ? " " : "",
                                         json_object_get_string(id));
                }
        json_object_put(reply);
        return buf;
}

static bool exists_nofollow(const char *path) {
        struct stat st;

        return lstat(path, &st) == 0;
}

static void touch(const char *path) {
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

        CHECK(fd >= 0);
        if (fd >= 0)
                close(fd);
}

static bool wait_until_gone(const char *path, uint64_t timeout_usec) {
        uint64_t end = now_monotonic_usec() + timeout_usec;

        while (exists_nofollow(path)) {
                if (now_monotonic_usec() > end)
                        return false;
                sleep_usec(50000);
        }
        return true;
}

static bool wait_audit(Jitd *j, const char *event, const char *key, const char *value, uint64_t timeout_usec) {
        uint64_t end = now_monotonic_usec() + timeout_usec;

        while (!audit_has(j, event, key, value)) {
                if (now_monotonic_usec() > end)
                        return false;
                sleep_usec(50000);
        }
        return true;
}

static int start(Jitd *j, const char *jitd_keys, const char *policy) {
        int status = 0, failures = test_failures;

        CHECK_INT(jitd_setup(j, jitd_keys, policy), 0);
        CHECK_INT(jitd_start(j, &status), 0);
        if (test_failures > failures) {
                fprintf(stderr, "jitd did not start (exit status %d)\n", status);
                return -1;
        }
        return 0;
}

/* sudo's timestamp file goes when a grant ends, by expiry or revoke; a
 * symlink planted in its place is not followed. */
static void test_sudo_timestamps(void) {
        char keys[512], ts[256], file[320], link[320], target[320], grant[JIT_ID_MAX], buf[64];
        struct json_object *reply = NULL;
        int64_t expires = 0;
        Jitd j;

        snprintf(ts, sizeof(ts), "/tmp/jitd-lifecycle-ts.XXXXXX");
        CHECK(mkdtemp(ts) != NULL);
        snprintf(keys, sizeof(keys), TEST_JITD_KEYS "warn_before = 0\nsudo_timestamp_dir = %s\n", ts);
        if (start(&j, keys, TEST_POLICY) < 0)
                goto finish;

        /* Expiry, on jitd's own timer (no systemd here). */
        snprintf(file, sizeof(file), "%s/nobody", ts);
        touch(file);
        CHECK_INT(approve(&j, "nobody", "sudo", 2, grant, &expires), 0);
        CHECK(exists_nofollow(file));
        CHECK(wait_audit(&j, "grant-expired", "JIT_GRANT_ID", grant, 5 * SEC));
        CHECK(now_realtime_usec() / 1000000 >= expires);
        CHECK_STR(show_grant_string(&j, grant, "state", buf, sizeof(buf)), "expired");
        CHECK(wait_until_gone(file, 2 * SEC));

        /* Revoke. */
        touch(file);
        CHECK_INT(approve(&j, "nobody", "login", 600, grant, NULL), 0);
        CHECK_INT(call(&j, JIT_METHOD_REVOKE, params("grant_id", grant, NULL), &reply), 0);
        CHECK_OK(reply);
        json_object_put(reply);
        CHECK(!exists_nofollow(file));

        /* A symlink under daemon's name, pointing at a file that must stay. */
        snprintf(target, sizeof(target), "%s.precious", ts);
        snprintf(link, sizeof(link), "%s/daemon", ts);
        touch(target);
        CHECK_INT(symlink(target, link), 0);
        CHECK_INT(approve(&j, "daemon", "sudo", 600, grant, NULL), 0);
        CHECK_INT(call(&j, JIT_METHOD_REVOKE, params("grant_id", grant, NULL), &reply), 0);
        CHECK_OK(reply);
        json_object_put(reply);
        CHECK(exists_nofollow(target));
        CHECK(exists_nofollow(link));
        CHECK(audit_has(&j, "grant-revoked", "JIT_GRANT_ID", grant));

finish:
        jitd_cleanup(&j);
        (void) unlink(target);
        (void) unlink(link);
        (void) unlink(file);
        (void) rmdir(ts);
}

/* A pty for a session: the master stays with the test, the slave's name is
 * what pam_jit would record as the session's tty. */
static int open_pty(uid_t owner, char *ret_name, size_t size) {
        int fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        const char *name;

        if (fd < 0 || grantpt(fd) < 0 || unlockpt(fd) < 0 || !(name = ptsname(fd)) || chown(name, owner, -1) < 0) {
                if (fd >= 0)
                        close(fd);
                return -errno;
        }
        snprintf(ret_name, size, "%s", name);
        return fd;
}

/* Everything readable on the pty master within timeout_usec. */
static size_t read_pty(int fd, char *buf, size_t size, uint64_t timeout_usec, const char *until) {
        uint64_t end = now_monotonic_usec() + timeout_usec;
        size_t n = 0;

        buf[0] = 0;
        while (n + 1 < size) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                uint64_t now = now_monotonic_usec();
                ssize_t k;

                if (now >= end || (until && strstr(buf, until)))
                        break;
                if (poll(&p, 1, (int) ((end - now) / 1000) + 1) <= 0)
                        continue;
                k = read(fd, buf + n, size - 1 - n);
                if (k <= 0)
                        break;
                n += (size_t) k;
                buf[n] = 0;
        }
        return n;
}

/* warn_before ahead of the deadline, the session's terminal hears it; a
 * terminal that is not the user's does not. */
static void test_expiry_warning(void) {
        char pty[64], other_pty[64], grant[JIT_ID_MAX], text[2048], expect[128];
        int master = -1, other = -1;
        int64_t expires = 0, arrived;
        Jitd j;

        if (start(&j, TEST_JITD_KEYS "warn_before = 3s\n", TEST_POLICY) < 0)
                goto finish;

        master = open_pty(UID_NOBODY, pty, sizeof(pty));
        other = open_pty(0, other_pty, sizeof(other_pty)); /* root's, not nobody's */
        CHECK(master >= 0);
        CHECK(other >= 0);
        if (master < 0 || other < 0)
                goto finish;

        CHECK_INT(approve(&j, "nobody", "login", 6, grant, &expires), 0);
        CHECK_INT(open_session(&j, "nobody", "login", "7", pty), 0);
        CHECK_INT(open_session(&j, "nobody", "login", "8", other_pty), 0);
        CHECK_INT(open_session(&j, "nobody", "login", "9", "ssh"), 0);

        snprintf(expect, sizeof(expect), "pam_jit: your access (login grant %s) ends at ", grant);
        read_pty(master, text, sizeof(text), 8 * SEC, "more time.");
        arrived = now_realtime_usec();
        if (!strstr(text, expect))
                fprintf(stderr, "pty got: \"%s\"\n", text);
        CHECK(strstr(text, expect) != NULL);
        CHECK(strstr(text, "jitctl extend --action login") != NULL);
        /* Before the deadline, and not much before warn_before ahead of it. */
        CHECK(arrived < expires * 1000000);
        CHECK(arrived >= (expires - 4) * 1000000);
        CHECK(wait_audit(&j, "grant-expiry-warning", "JIT_SESSION", "7", SEC));

        /* Not on a terminal that belongs to someone else. */
        CHECK_INT(read_pty(other, text, sizeof(text), SEC / 2, NULL), 0);
        CHECK(!audit_has(&j, "grant-expiry-warning", "JIT_SESSION", "8"));
        CHECK(!audit_has(&j, "grant-expiry-warning", "JIT_SESSION", "9"));

finish:
        if (master >= 0)
                close(master);
        if (other >= 0)
                close(other);
        jitd_cleanup(&j);
}

/* An extension: filed with "extends", shown as one, approved from the old
 * deadline; the old grant ends and its sessions move to the new one. */
static void test_extend(void) {
        char g1[JIT_ID_MAX], g2[JIT_ID_MAX], g3[JIT_ID_MAX], g4[JIT_ID_MAX], other[JIT_ID_MAX], req[JIT_ID_MAX];
        char buf[256];
        struct json_object *reply = NULL, *requests;
        int64_t e1 = 0, e2, now;
        bool listed = false;
        Jitd j;

        if (start(&j, TEST_JITD_KEYS "warn_before = 0\n", TEST_POLICY) < 0)
                goto finish;

        CHECK_INT(approve(&j, "nobody", "login", 100, g1, &e1), 0);
        CHECK_INT(open_session(&j, "nobody", "login", "11", "pts/4"), 0);

        /* nobody asks for 60 s more, as `jitctl extend` does. */
        CHECK_INT(call_as(&j, UID_NOBODY, GID_NOBODY, JIT_METHOD_REQUEST,
                          params_add_int(params("user", "nobody", "action", "login", "extends", g1, "reason",
                                                "need longer", NULL),
                                         "duration", 60),
                          &reply),
                  0);
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "state"), "pending");
        CHECK_STR(reply_string(reply, "extends"), g1);
        snprintf(req, sizeof(req), "%s", reply_string(reply, "request_id") ?: "");
        json_object_put(reply);

        /* Approvers see it as an extension. */
        CHECK_INT(call(&j, JIT_METHOD_LIST, params("filter", "pending", NULL), &reply), 0);
        requests = reply_member(reply, "requests");
        for (size_t i = 0; requests && i < json_object_array_length(requests); i++) {
                struct json_object *r = json_object_array_get_idx(requests, i), *v = NULL;

                if (json_object_object_get_ex(r, "extends", &v) && strcmp(json_object_get_string(v), g1) == 0)
                        listed = true;
        }
        CHECK(listed);
        json_object_put(reply);

        CHECK_INT(call(&j, JIT_METHOD_APPROVE, params("request_id", req, NULL), &reply), 0);
        CHECK_OK(reply);
        snprintf(g2, sizeof(g2), "%s", reply_string(reply, "grant_id") ?: "");
        e2 = reply_int(reply, "expires_at");
        json_object_put(reply);

        CHECK_INT(e2, e1 + 60);
        CHECK_STR(show_grant_string(&j, g2, "extends", buf, sizeof(buf)), g1);
        CHECK_STR(show_grant_string(&j, g1, "state", buf, sizeof(buf)), "expired");
        CHECK_STR(show_grant_string(&j, g1, "extended_by", buf, sizeof(buf)), g2);
        CHECK_STR(show_grant_sessions(&j, g2, buf, sizeof(buf)), "11");
        CHECK_STR(show_grant_sessions(&j, g1, buf, sizeof(buf)), "");
        CHECK(audit_has(&j, "grant-expired", "JIT_GRANT_ID", g1));
        snprintf(buf, sizeof(buf), "extended by grant %s", g2);
        CHECK(audit_has(&j, "grant-expired", "JIT_REASON", buf));
        CHECK(!audit_has(&j, "session-terminated", NULL, NULL));

        CHECK_INT(call(&j, JIT_METHOD_CHECK, params("user", "nobody", "action", "login", "service", "sshd", NULL),
                       &reply),
                  0);
        CHECK_STR(reply_string(reply, "decision"), "allow");
        CHECK_STR(reply_string(reply, "grant_id"), g2);
        json_object_put(reply);

        /* The ended grant cannot be extended again; nor can somebody else's. */
        CHECK_INT(call(&j, JIT_METHOD_REQUEST, params("user", "nobody", "action", "login", "extends", g1, NULL),
                       &reply),
                  0);
        CHECK_ERROR(reply, JIT_ERROR_CONFLICT);
        json_object_put(reply);
        CHECK_INT(approve(&j, "daemon", "sudo", 600, other, NULL), 0);
        CHECK_INT(call(&j, JIT_METHOD_REQUEST, params("user", "nobody", "action", "sudo", "extends", other, NULL),
                       &reply),
                  0);
        CHECK_ERROR(reply, JIT_ERROR_INVALID_PARAMETER);
        CHECK_STR(reply_string(reply, "parameter"), "extends");
        json_object_put(reply);

        /* Never beyond max_duration from now ([sudo] max_duration = 3600). */
        CHECK_INT(approve(&j, "nobody", "sudo", 3000, g3, NULL), 0);
        CHECK_INT(call(&j, JIT_METHOD_REQUEST,
                       params_add_int(params("user", "nobody", "action", "sudo", "extends", g3, NULL), "duration",
                                      3000),
                       &reply),
                  0);
        snprintf(req, sizeof(req), "%s", reply_string(reply, "request_id") ?: "");
        json_object_put(reply);
        now = now_realtime_usec() / 1000000;
        CHECK_INT(call(&j, JIT_METHOD_APPROVE, params("request_id", req, NULL), &reply), 0);
        CHECK_OK(reply);
        snprintf(g4, sizeof(g4), "%s", reply_string(reply, "grant_id") ?: "");
        CHECK(reply_int(reply, "expires_at") >= now + 3600 && reply_int(reply, "expires_at") <= now + 3601);
        json_object_put(reply);
        CHECK_STR(show_grant_string(&j, g3, "extended_by", buf, sizeof(buf)), g4);

finish:
        jitd_cleanup(&j);
}

/* io.jit.Expire in the deadline second: what a systemd timer with
 * OnCalendar= at the deadline does. jitd is stopped across the second
 * boundary, so its own timer cannot get there first: the call waits on an
 * open connection of root's, which jitd serves before its timer. */
static void test_expire_at_deadline(void) {
        char grant[JIT_ID_MAX], buf[64];
        struct json_object *reply = NULL;
        int64_t expires = 0;
        JitClient c = { .fd = -1 };
        Jitd j;

        if (start(&j, TEST_JITD_KEYS "warn_before = 0\n", TEST_POLICY) < 0)
                goto finish;

        CHECK_INT(approve(&j, "daemon", "sudo", 2, grant, &expires), 0);

        /* Before the deadline: refused. */
        CHECK_INT(call(&j, JIT_METHOD_EXPIRE, params("grant_id", grant, NULL), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_CONFLICT);
        CHECK_STR(reply_string(reply, "state"), "active");
        json_object_put(reply);

        CHECK_INT(jit_client_connect(&c, j.socket, true, now_monotonic_usec() + CALL_TIMEOUT_USEC), 0);
        CHECK_INT(jit_client_call(&c, JIT_METHOD_STATUS, params("user", "daemon", NULL),
                                  now_monotonic_usec() + CALL_TIMEOUT_USEC, &reply),
                  0);
        json_object_put(reply);

        /* Stop jitd a little before the deadline, send in its first
         * milliseconds, and let jitd go. */
        while (now_realtime_usec() < expires * 1000000 - 300000)
                sleep_usec(10000);
        CHECK_INT(kill(j.pid, SIGSTOP), 0);
        while (now_realtime_usec() < expires * 1000000 + 20000)
                sleep_usec(1000);
        CHECK_INT(jit_client_send(&c, JIT_METHOD_EXPIRE, params("grant_id", grant, NULL), false,
                                  now_monotonic_usec() + CALL_TIMEOUT_USEC),
                  0);
        CHECK_INT(kill(j.pid, SIGCONT), 0);
        CHECK_INT(jit_client_receive(&c, now_monotonic_usec() + CALL_TIMEOUT_USEC, &reply), 0);
        CHECK(now_realtime_usec() < (expires + 1) * 1000000); /* still the deadline second */
        CHECK_OK(reply);
        CHECK_STR(reply_string(reply, "state"), "expired");
        json_object_put(reply);
        jit_client_close(&c);

        CHECK_STR(show_grant_string(&j, grant, "ended_by", buf, sizeof(buf)), "root");
        CHECK_INT(show_grant_int(&j, grant, "ended_at"), expires);

        /* Run again (a timer that fires late, jitd's own timer first): it
         * stays expired, and says so. */
        CHECK_INT(call(&j, JIT_METHOD_EXPIRE, params("grant_id", grant, NULL), &reply), 0);
        CHECK_ERROR(reply, JIT_ERROR_CONFLICT);
        CHECK_STR(reply_string(reply, "state"), "expired");
        json_object_put(reply);

finish:
        if (c.fd >= 0)
                jit_client_close(&c);
        jitd_cleanup(&j);
}

int main(void) {
        harness_require_root("integration-lifecycle");

        test_sudo_timestamps();
        test_expiry_warning();
        test_extend();
        test_expire_at_deadline();
        return test_result("integration-lifecycle");
}
