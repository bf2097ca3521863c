/* pam_jit.so through libpam (pam_wrapper + libpamtest) against a real jitd
 * on a private socket, and against fake servers that are down, stopped,
 * untrusted or talking nonsense. One scenario per ctest entry:
 *
 *   test-pam-jit args|account|auth|destinations|session|unavailable|failmode-safe|trust|
 *                sudo-runas|norequest|rate-limit
 *
 * Every check is something an admin or a user would notice: a return code
 * that decides a login, a message that tells the user the request id, a
 * request that exists (or must not), a log line that must be there.
 *
 * This file holds the service files, the helpers every scenario uses, the
 * args scenario and main(); the other scenarios are in test-pam-auth.c,
 * test-pam-session.c and test-pam-failmode.c (see pam-scenarios.h). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "jit-message-ids.h"
#include "jit-protocol.h"
#include "macros.h"
#include "pam-scenarios.h"
#include "test.h"

/* Every file's checks count here (TEST_FAILURES_SHARED, see test.h). */
int test_failures;

/* Each service file runs pam_jit.so in every phase with these arguments;
 * "@" is the test directory. "sshd" and "sudo" leave action= out, so the
 * module derives it from the service name. */
static const Profile profiles[] = {
        { "sshd", "socket=@/io.jit timeout=2000 reason=none wait=5 debug" },
        { "sudo", "socket=@/io.jit timeout=2000 reason=optional wait=5" },
        { "sudo-debug", "socket=@/io.jit timeout=2000 action=sudo debug" },
        { "quiet", "socket=@/io.jit action=login quiet" },
        { "reason-required", "socket=@/io.jit action=login reason=required wait=5" },
        { "wait2", "socket=@/io.jit action=login reason=none wait=2" },
        { "wait0", "socket=@/io.jit action=sudo reason=none wait=0" },
        { "login-wait0", "socket=@/io.jit action=login reason=none wait=0" },
        { "fake-wait0", "socket=@/fake.sock action=sudo timeout=500 reason=none wait=0" },
        { "fast", "socket=@/io.jit action=login timeout=500 reason=none wait=2" },
        { "fast-safe",
          "socket=@/io.jit action=login timeout=500 reason=none wait=2 failmode=safe "
          "journal_socket=@/journal.sock" },
        { "missing", "socket=@/missing.sock action=login timeout=500 reason=none" },
        { "missing-safe",
          "socket=@/missing.sock action=login timeout=500 reason=none failmode=safe "
          "journal_socket=@/journal.sock" },
        { "fake", "socket=@/fake.sock action=login timeout=500 reason=none" },
        { "fake-safe",
          "socket=@/fake.sock action=login timeout=500 reason=none failmode=safe "
          "journal_socket=@/journal.sock" },
        { "bad-unknown", "socket=@/io.jit bogus=1" },
        { "bad-timeout-text", "timeout=3s" },
        { "bad-timeout-low", "timeout=5" },
        { "bad-timeout-high", "timeout=600000" },
        { "bad-failmode", "failmode=open" },
        { "bad-wait", "wait=-1" },
        { "bad-socket", "socket=run/jitd/io.jit" },
        { "bad-action", "action=su" },
        { "bad-reason", "reason=maybe" },
        { "bad-norequest", "norequest=yes" },
        /* The scheduled-job services as the pam-auth-update profile
         * gates them: a login grant is checked, no request is filed. */
        { "cron", "socket=@/io.jit action=login norequest" },
        { "systemd-user", "socket=@/io.jit action=login norequest debug" },
};

/* One PAM call on a fresh handle; the transcript is reset first. */
bool run1(const char *service, const char *user, enum pamtest_ops op, int expect, Transcript *t, RunResult *res) {
        Step s = { op, expect, 0 };

        transcript_reset(t);
        pam_run(service, user, NULL, NULL, t, &s, 1, res);
        CHECK(res->ok);
        return res->ok;
}

bool log_has(const RunResult *res, const char *needle) {
        bool found = res->log && strstr(res->log, needle);

        if (!found)
                fprintf(stderr, "expected in the module's log: \"%s\"\n--- log ---\n%s--- end ---\n", needle,
                        res->log ?: "");
        return found;
}

/* "... Request rXXXX (code 123-456) is pending ..." -> id and code. */
void parse_account_notice(const char *msg, char *id, size_t id_size, char *code, size_t code_size) {
        const char *p;

        id[0] = code[0] = 0;
        if (!msg)
                return;
        p = strstr(msg, "Request r");
        if (p) {
                p += strlen("Request ");
                snprintf(id, id_size, "%.*s", (int) strcspn(p, " .;,"), p);
        }
        p = strstr(msg, "(code ");
        if (p) {
                p += strlen("(code ");
                snprintf(code, code_size, "%.*s", (int) strspn(p, "0123456789-"), p);
        }
}

struct json_object *member(struct json_object *o, const char *key) {
        struct json_object *v = NULL;

        return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* ---- args: bad module arguments are a service error in every phase ---- */

void scenario_args(void) {
        static const char *const bad[] = {
                "bad-unknown", "bad-timeout-text", "bad-timeout-low", "bad-timeout-high", "bad-failmode",
                "bad-wait",    "bad-socket",       "bad-action",      "bad-reason",      "bad-norequest",
        };
        Transcript t = {};
        RunResult res;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                Step steps[] = {
                        { PAMTEST_AUTHENTICATE, PAM_SERVICE_ERR, 0 },
                        { PAMTEST_SETCRED, PAM_SERVICE_ERR, 0 },
                        { PAMTEST_ACCOUNT, PAM_SERVICE_ERR, 0 },
                        { PAMTEST_OPEN_SESSION, PAM_SERVICE_ERR, 0 },
                        { PAMTEST_CLOSE_SESSION, PAM_SERVICE_ERR, 0 },
                };

                transcript_reset(&t);
                pam_run(bad[i], "alice", NULL, "c1", &t, steps, ELEMENTSOF(steps), &res);
                CHECK(res.ok);
                CHECK(log_has(&res, "bad module argument"));
                CHECK_INT(t.n, 0);
                run_result_done(&res);
        }

        /* With good arguments setcred has nothing to do: success, no call to jitd. */
        run1("fast", "alice", PAMTEST_SETCRED, PAM_SUCCESS, &t, &res);
        CHECK(res.ok);
        CHECK_INT(t.n, 0);
        run_result_done(&res);

        /* The log names the offending argument. */
        run1("bad-unknown", "alice", PAMTEST_ACCOUNT, PAM_SERVICE_ERR, &t, &res);
        CHECK(log_has(&res, "bad module argument \"bogus=1\": unknown argument"));
        run_result_done(&res);
        run1("bad-timeout-low", "alice", PAMTEST_ACCOUNT, PAM_SERVICE_ERR, &t, &res);
        CHECK(log_has(&res, "\"timeout=5\": expected milliseconds"));
        run_result_done(&res);
        transcript_reset(&t);
}

static const struct {
        const char *name;
        void (*run)(void);
        bool need_root;
} scenarios[] = {
        { "args", scenario_args, false },
        { "account", scenario_account, true },
        { "auth", scenario_auth, true },
        { "destinations", scenario_destinations, true },
        { "session", scenario_session, true },
        { "unavailable", scenario_unavailable, true },
        { "failmode-safe", scenario_failmode_safe, true },
        { "trust", scenario_trust, true },
        { "sudo-runas", scenario_sudo_runas, true },
        { "norequest", scenario_norequest, true },
        { "rate-limit", scenario_rate_limit, true },
};

int main(int argc, char **argv) {
        for (size_t i = 0; argc == 2 && i < ELEMENTSOF(scenarios); i++) {
                if (strcmp(argv[1], scenarios[i].name) != 0)
                        continue;
                harness_setup(argc, argv, profiles, ELEMENTSOF(profiles), scenarios[i].need_root);
                scenarios[i].run();
                harness_cleanup();
                return test_result(argv[1]);
        }

        fprintf(stderr, "usage: %s SCENARIO\nscenarios:", argv[0]);
        for (size_t i = 0; i < ELEMENTSOF(scenarios); i++)
                fprintf(stderr, " %s", scenarios[i].name);
        fprintf(stderr, "\n");
        return EXIT_FAILURE;
}
