/* No state of jitd opens a host (issue 10): a foreign-owned, read-only or
 * full store, a configuration broken at start (with and without a copy of
 * the last policy that loaded) or broken by an edit and a reload. In each,
 * jitd stays up on its socket, every user the policy covers is refused
 * with an error pam_jit never turns into a fail-open, and users it does not
 * cover are answered as usual, in Check and in OpenSession/CloseSession.
 * A webhook secret that cannot be used degrades jitd the same way.
 *
 * The state directory is a small tmpfs, mounted in a mount namespace of
 * this test's own, so it can be made read-only and filled up. */

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../test.h"
#include "harness.h"

#define WAIT_USEC (5ULL * 1000000ULL)

static char state_dir[160];
static char original_config[4096];

static int write_config(Jitd *j, const char *extra) {
        FILE *f = fopen(j->config, "we");

        if (!f)
                return -errno;
        fprintf(f, "%s%s", original_config, extra ?: "");
        return fclose(f) == 0 ? 0 : -errno;
}

static bool jitd_alive(Jitd *j) {
        int status;

        return j->pid > 0 && waitpid(j->pid, &status, WNOHANG) == 0;
}

/* "allow"/"ignore" for a success, else the error's name; into buf. */
static const char *ask(Jitd *j, const char *method, struct json_object *p, char *buf, size_t size) {
        struct json_object *reply = NULL;

        if (call(j, method, p, &reply) < 0) {
                snprintf(buf, size, "(no answer)");
                return buf;
        }
        if (reply_error(reply))
                snprintf(buf, size, "%s", reply_error(reply));
        else
                snprintf(buf, size, "%s", reply_string(reply, "decision") ?: "(success)");
        json_object_put(reply);
        return buf;
}

static const char *check(Jitd *j, const char *user, const char *action, char *buf, size_t size) {
        return ask(j, JIT_METHOD_CHECK,
                   params_add_bool(params("user", user, "action", action, "service", "sshd", NULL), "create_request",
                                   true),
                   buf, size);
}

/* Poll until Check for user/action answers `want`: a reload re-executes
 * jitd, which takes a moment. */
static bool check_becomes(Jitd *j, const char *user, const char *action, const char *want) {
        uint64_t deadline = now_monotonic_usec() + WAIT_USEC;
        char buf[128];

        for (;;) {
                if (strcmp(check(j, user, action, buf, sizeof(buf)), want) == 0)
                        return true;
                if (now_monotonic_usec() >= deadline) {
                        fprintf(stderr, "Check %s %s: %s, expected %s\n", user, action, buf, want);
                        return false;
                }
                sleep_usec(50000);
        }
}

/* The promises of a degraded jitd. `covered_ok` lists what a covered user
 * may be answered (NULL-terminated): each a denial. */
static void expect_degraded(Jitd *j, const char *const *covered_ok) {
        char buf[128];
        bool ok = false;

        check(j, "nobody", "sudo", buf, sizeof(buf));
        for (size_t i = 0; covered_ok[i]; i++)
                ok = ok || strcmp(buf, covered_ok[i]) == 0;
        if (!ok)
                fprintf(stderr, "covered user nobody (sudo, has a grant): %s\n", buf);
        CHECK(ok);
        check(j, "nobody", "login", buf, sizeof(buf));
        ok = false;
        for (size_t i = 0; covered_ok[i]; i++)
                ok = ok || strcmp(buf, covered_ok[i]) == 0;
        if (!ok)
                fprintf(stderr, "covered user nobody (login): %s\n", buf);
        CHECK(ok);

        /* Users the policy does not cover, and break-glass, as usual. */
        CHECK_STR(check(j, "daemon", "login", buf, sizeof(buf)), "ignore");
        CHECK_STR(check(j, "bin", "sudo", buf, sizeof(buf)), "allow");
        CHECK_STR(ask(j, JIT_METHOD_OPEN_SESSION,
                      params("user", "daemon", "action", "login", "session_id", "c7", "service", "sshd", NULL), buf,
                      sizeof(buf)),
                  "ignore");
        /* bin needs approval for nothing (daemon does for sudo): no session
         * of it is ever recorded, and closing one says so, as usual. */
        CHECK_STR(ask(j, JIT_METHOD_CLOSE_SESSION, params("user", "bin", "session_id", "c7", NULL), buf,
                      sizeof(buf)),
                  JIT_ERROR_NOT_FOUND);
        /* A covered user's session is refused, never recorded as allowed. */
        ask(j, JIT_METHOD_OPEN_SESSION,
            params("user", "nobody", "action", "login", "session_id", "c8", "service", "sshd", NULL), buf,
            sizeof(buf));
        CHECK(strcmp(buf, "(success)") != 0 && strcmp(buf, "ignore") != 0);
        CHECK(jitd_alive(j));
}

static const char *const STORE_DENIALS[] = { JIT_ERROR_STORE_UNAVAILABLE, NULL };
static const char *const CONFIG_DENIALS[] = { JIT_ERROR_CONFIG_UNAVAILABLE, NULL };

static void grant_nobody_sudo(Jitd *j) {
        struct json_object *reply = NULL;

        CHECK_INT(call(j, JIT_METHOD_GRANT,
                       params_add_int(params("user", "nobody", "action", "sudo", "reason", "test", NULL), "duration",
                                      3600),
                       &reply),
                  0);
        CHECK_OK(reply);
        json_object_put(reply);
}

static void restart(Jitd *j) {
        int status = 0;

        (void) jitd_stop(j);
        CHECK_INT(jitd_start(j, &status), 0);
}

static void test_foreign_owned(Jitd *j) {
        char buf[128];

        fprintf(stderr, "-- store owned by nobody\n");
        CHECK_INT(jitd_stop(j), 0);
        CHECK_INT(chown(j->db, UID_NOBODY, GID_NOBODY), 0);
        restart(j);
        expect_degraded(j, STORE_DENIALS);
        CHECK(log_has(j, "refusing it"));

        CHECK_INT(chown(j->db, 0, 0), 0);
        restart(j);
        CHECK_STR(check(j, "nobody", "sudo", buf, sizeof(buf)), "allow");
}

static void test_read_only(Jitd *j) {
        char buf[128];

        fprintf(stderr, "-- store on a read-only file system, at start\n");
        CHECK_INT(jitd_stop(j), 0);
        CHECK_INT(mount(NULL, state_dir, NULL, MS_REMOUNT | MS_RDONLY, NULL), 0);
        restart(j);
        expect_degraded(j, STORE_DENIALS);

        /* (Under a running jitd the kernel refuses the remount: jitd has
         * the file open for writing. A database jitd may not write, 0400
         * with jitd's empty capability set, is the e2e case's.) */
        CHECK_INT(jitd_stop(j), 0);
        CHECK_INT(mount(NULL, state_dir, NULL, MS_REMOUNT, NULL), 0);
        restart(j);
        CHECK_STR(check(j, "nobody", "sudo", buf, sizeof(buf)), "allow");
}

static int fill(const char *path) {
        static char block[4096];
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        if (fd < 0)
                return -errno;
        while (write(fd, block, sizeof(block)) > 0)
                ;
        while (write(fd, block, 1) > 0)
                ;
        close(fd);
        return 0;
}

static void test_full(Jitd *j) {
        char filler[256], buf[128];

        fprintf(stderr, "-- state directory full under a running jitd\n");
        snprintf(filler, sizeof(filler), "%s/filler", state_dir);
        CHECK_INT(fill(filler), 0);
        for (int i = 0; i < 3; i++) {
                char user_check[128];

                check(j, "nobody", "login", user_check, sizeof(user_check));
                CHECK(strcmp(user_check, JIT_ERROR_STORE_UNAVAILABLE) == 0 ||
                      strcmp(user_check, JIT_ERROR_NO_GRANT) == 0);
        }
        CHECK_STR(check(j, "daemon", "login", buf, sizeof(buf)), "ignore");
        CHECK(jitd_alive(j));

        fprintf(stderr, "-- state directory full at start\n");
        restart(j);
        /* A full disk may still take a small write (SQLite reuses WAL
         * space): then the answer is the ordinary "no grant", a denial too. */
        expect_degraded(j, (const char *const[]) { JIT_ERROR_STORE_UNAVAILABLE, JIT_ERROR_NO_GRANT, "allow",
                                                   NULL });
        /* The grant holder may still be let in from a store that reads
         * fine: that is its grant, not a fail-open. Nobody else is. */
        CHECK(strcmp(check(j, "nobody", "login", buf, sizeof(buf)), "allow") != 0);

        CHECK_INT(unlink(filler), 0);
        restart(j);
        CHECK_STR(check(j, "nobody", "sudo", buf, sizeof(buf)), "allow");
}

static void test_config_broken_at_start(Jitd *j) {
        char copy[256], buf[128];
        struct stat st;

        fprintf(stderr, "-- configuration broken at start, last policy known\n");
        snprintf(copy, sizeof(copy), "%s/policy.last-good", state_dir);
        CHECK_INT(stat(copy, &st), 0);
        CHECK_INT((int) (st.st_mode & 07777), 0600);
        CHECK_INT((int) st.st_uid, 0);

        CHECK_INT(jitd_stop(j), 0);
        CHECK_INT(write_config(j, "[login]\nthis line does not parse\n"), 0);
        restart(j);
        expect_degraded(j, CONFIG_DENIALS);
        CHECK_STR(ask(j, JIT_METHOD_REQUEST, params("user", "nobody", "action", "sudo", NULL), buf, sizeof(buf)),
                  JIT_ERROR_CONFIG_UNAVAILABLE);
        CHECK(log_has(j, "jitd.conf:"));
        CHECK(log_has(j, "CONFIGURATION BROKEN"));

        fprintf(stderr, "-- repaired, then systemctl reload (SIGHUP)\n");
        CHECK_INT(write_config(j, NULL), 0);
        CHECK_INT(kill(j->pid, SIGHUP), 0);
        CHECK(check_becomes(j, "nobody", "sudo", "allow"));
        CHECK_STR(check(j, "nobody", "login", buf, sizeof(buf)), JIT_ERROR_NO_GRANT);
        CHECK(jitd_alive(j));

        fprintf(stderr, "-- configuration broken at start, no earlier policy known\n");
        CHECK_INT(jitd_stop(j), 0);
        CHECK_INT(unlink(copy), 0);
        CHECK_INT(write_config(j, "[login]\nthis line does not parse\n"), 0);
        restart(j);
        /* Every user but root counts as covered: daemon, uncovered by the
         * real policy, is refused; root is not. */
        CHECK_STR(check(j, "daemon", "login", buf, sizeof(buf)), JIT_ERROR_CONFIG_UNAVAILABLE);
        CHECK_STR(check(j, "bin", "sudo", buf, sizeof(buf)), JIT_ERROR_CONFIG_UNAVAILABLE);
        CHECK_STR(check(j, "root", "login", buf, sizeof(buf)), "ignore");
        CHECK(jitd_alive(j));

        CHECK_INT(write_config(j, NULL), 0);
        restart(j);
        CHECK_INT(stat(copy, &st), 0);
}

/* A webhook secret others can read (or one that is gone) only shows when
 * jitd sets up its webhooks: jitd then runs as with a broken configuration
 * (requests could not reach the approvers), with the policy it loaded. */
static void test_webhook_secret_unusable(Jitd *j) {
        char secret[256], extra[512], buf[128];
        FILE *f;

        fprintf(stderr, "-- a webhook secret readable by others\n");
        snprintf(secret, sizeof(secret), "%s/webhook.secret", j->dir);
        f = fopen(secret, "we");
        CHECK(f != NULL);
        if (f) {
                fputs("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n", f);
                fclose(f);
        }
        CHECK_INT(chmod(secret, 0644), 0);
        snprintf(extra, sizeof(extra),
                 "[webhook ops]\nurl = http://127.0.0.1:9/hook\nallow_http_loopback = yes\nsecret_file = %s\n",
                 secret);
        CHECK_INT(jitd_stop(j), 0);
        CHECK_INT(write_config(j, extra), 0);
        restart(j);
        expect_degraded(j, CONFIG_DENIALS);
        CHECK(log_has(j, "CONFIGURATION UNUSABLE"));

        fprintf(stderr, "-- fixed, then reloaded\n");
        CHECK_INT(chmod(secret, 0600), 0);
        CHECK_INT(kill(j->pid, SIGHUP), 0);
        CHECK(check_becomes(j, "nobody", "sudo", "allow"));
        CHECK_STR(check(j, "nobody", "login", buf, sizeof(buf)), JIT_ERROR_NO_GRANT);
        CHECK_INT(jitd_stop(j), 0);
        CHECK_INT(write_config(j, NULL), 0);
        CHECK_INT(jitd_start(j, NULL), 0);
}

static void test_reload(Jitd *j) {
        char buf[128];
        pid_t pid = j->pid;

        fprintf(stderr, "-- configuration broken by an edit, then reloaded\n");
        CHECK_INT(write_config(j, "[sudo]\nusers = nobody\nno_such_key = 1\n"), 0);
        CHECK_INT(kill(j->pid, SIGHUP), 0);
        CHECK(log_has(j, "Reload failed"));
        CHECK(log_has(j, "unknown key 'no_such_key'"));
        /* The configuration in use is kept, whole. */
        CHECK_STR(check(j, "nobody", "sudo", buf, sizeof(buf)), "allow");
        CHECK_STR(check(j, "daemon", "login", buf, sizeof(buf)), "ignore");
        CHECK_STR(check(j, "daemon", "sudo", buf, sizeof(buf)), JIT_ERROR_NO_GRANT);
        CHECK(jitd_alive(j));

        fprintf(stderr, "-- a good edit, reloaded\n");
        CHECK_INT(write_config(j, "[login]\nusers = daemon\n"), 0);
        CHECK_INT(kill(j->pid, SIGHUP), 0);
        CHECK(check_becomes(j, "daemon", "login", JIT_ERROR_NO_GRANT));
        CHECK(j->pid == pid && jitd_alive(j));
        CHECK(access(j->socket, F_OK) == 0);
        CHECK(log_has(j, "re-executes itself"));

        CHECK_INT(write_config(j, NULL), 0);
        CHECK_INT(kill(j->pid, SIGHUP), 0);
        CHECK(check_becomes(j, "daemon", "login", "ignore"));
        /* A jitd that bound its own socket still removes it when it stops
         * after a re-execution. */
        CHECK_INT(jitd_stop(j), 0);
        CHECK(access(j->socket, F_OK) < 0);
        CHECK_INT(jitd_start(j, NULL), 0);
}

int main(void) {
        Jitd j;
        FILE *f;
        size_t n;
        int status = 0;

        harness_require_root("integration-failsafe");
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                fprintf(stderr, "SKIP: integration-failsafe: no mount namespace: %m\n");
                return 77;
        }
        CHECK_INT(jitd_setup(&j, TEST_JITD_KEYS, TEST_POLICY), 0);
        j.capture_log = true;
        f = fopen(j.config, "re");
        CHECK(f != NULL);
        n = f ? fread(original_config, 1, sizeof(original_config) - 1, f) : 0;
        original_config[n] = 0;
        if (f)
                fclose(f);

        snprintf(state_dir, sizeof(state_dir), "%s/state", j.dir);
        CHECK_INT(mkdir(state_dir, 0700), 0);
        CHECK_INT(mount("tmpfs", state_dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0700"), 0);

        CHECK_INT(jitd_start(&j, &status), 0);
        if (test_failures) {
                fprintf(stderr, "jitd did not start (exit status %d)\n", status);
                jitd_cleanup(&j);
                return test_result("integration-failsafe");
        }
        grant_nobody_sudo(&j);

        test_foreign_owned(&j);
        test_read_only(&j);
        test_full(&j);
        test_config_broken_at_start(&j);
        test_webhook_secret_unusable(&j);
        test_reload(&j);

        (void) jitd_stop(&j);
        (void) umount2(state_dir, MNT_DETACH);
        jitd_cleanup(&j);
        return test_result("integration-failsafe");
}
