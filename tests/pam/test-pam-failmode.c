/* test-pam-jit's scenarios without a jitd to ask: jitd down, stopped or
 * not jitd (unavailable), what failmode=safe opens (failmode-safe), and
 * which server is trusted as jitd (trust). */
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

/* ---- unavailable: jitd down, stopped, or not jitd ---- */

void scenario_unavailable(void) {
        Transcript t = {};
        RunResult res;
        pid_t jitd, fake;

        /* No socket at all: every gating phase fails closed; closing a
         * session still succeeds quietly. (Close runs on its own handle:
         * libpam replays the session chain as open_session left it.) */
        {
                Step steps[] = {
                        { PAMTEST_AUTHENTICATE, PAM_AUTHINFO_UNAVAIL, 0 },
                        { PAMTEST_ACCOUNT, PAM_AUTHINFO_UNAVAIL, 0 },
                        { PAMTEST_OPEN_SESSION, PAM_SESSION_ERR, 0 },
                };
                Step close_step = { PAMTEST_CLOSE_SESSION, PAM_IGNORE, 0 };

                transcript_reset(&t);
                pam_run("missing", "alice", NULL, "c1", &t, steps, ELEMENTSOF(steps), &res);
                CHECK(res.ok);
                CHECK(log_has(&res, "jitd unavailable: user=alice"));
                CHECK(log_has(&res, "cause=connect: No such file or directory"));
                CHECK(!strstr(res.log, "FAIL-OPEN"));
                /* Only the account phase explains the refusal (auth fails
                 * before prompting, the session has nobody to tell). */
                CHECK_INT(t.n, 1);
                CHECK(t.n == 1 && t.styles[0] == PAM_ERROR_MSG && strstr(t.texts[0], "cannot be reached"));
                run_result_done(&res);

                pam_run("missing", "alice", NULL, "c1", &t, &close_step, 1, &res);
                CHECK(res.ok);
                run_result_done(&res);
        }

        /* jitd stopped (SIGSTOP): the kernel still accepts the connection,
         * nobody answers. The call must end at timeout= (500 ms), not hang. */
        jitd = jitd_start();
        CHECK_INT(kill(jitd, SIGSTOP), 0);
        run1("fast", "alice", PAMTEST_ACCOUNT, PAM_AUTHINFO_UNAVAIL, &t, &res);
        CHECK(res.elapsed_usec >= 450 * USEC_PER_MSEC);
        CHECK(res.elapsed_usec < 500 * USEC_PER_MSEC + SLACK_USEC);
        CHECK(log_has(&res, "cause=receive: timed out"));
        run_result_done(&res);
        run1("fast", "alice", PAMTEST_AUTHENTICATE, PAM_AUTHINFO_UNAVAIL, &t, &res);
        CHECK(res.elapsed_usec < 500 * USEC_PER_MSEC + SLACK_USEC);
        CHECK_INT(t.n, 0);
        run_result_done(&res);
        CHECK_INT(kill(jitd, SIGCONT), 0);
        /* ... and once it runs again, it answers again. */
        run1("fast", "alice", PAMTEST_ACCOUNT, PAM_PERM_DENIED, &t, &res);
        run_result_done(&res);
        jitd_stop(jitd);

        /* Something that is not jitd: garbage, another protocol version, or
         * silence. */
        fake = fake_server_start(test_path("fake.sock"), FAKE_GARBAGE, FAKE_OWNER_ROOT);
        run1("fake", "alice", PAMTEST_ACCOUNT, PAM_AUTHINFO_UNAVAIL, &t, &res);
        CHECK(log_has(&res, "cause=receive: malformed reply"));
        run_result_done(&res);
        run1("fake", "alice", PAMTEST_AUTHENTICATE, PAM_AUTHINFO_UNAVAIL, &t, &res);
        run_result_done(&res);
        fake_server_stop(fake, test_path("fake.sock"));

        fake = fake_server_start(test_path("fake.sock"), FAKE_WRONG_PROTOCOL, FAKE_OWNER_ROOT);
        run1("fake", "alice", PAMTEST_ACCOUNT, PAM_AUTHINFO_UNAVAIL, &t, &res);
        CHECK(log_has(&res, "protocol version mismatch"));
        run_result_done(&res);
        fake_server_stop(fake, test_path("fake.sock"));

        fake = fake_server_start(test_path("fake.sock"), FAKE_SILENT, FAKE_OWNER_ROOT);
        run1("fake", "alice", PAMTEST_ACCOUNT, PAM_AUTHINFO_UNAVAIL, &t, &res);
        CHECK(res.elapsed_usec < 500 * USEC_PER_MSEC + SLACK_USEC);
        run_result_done(&res);
        fake_server_stop(fake, test_path("fake.sock"));

        /* jitd itself cannot decide (its store is down). */
        fake = fake_server_start(test_path("fake.sock"), FAKE_STORE_ERROR, FAKE_OWNER_ROOT);
        run1("fake", "alice", PAMTEST_ACCOUNT, PAM_AUTHINFO_UNAVAIL, &t, &res);
        CHECK(log_has(&res, "jitd could not decide"));
        CHECK(log_has(&res, "io.jit.StoreUnavailable"));
        run_result_done(&res);
        fake_server_stop(fake, test_path("fake.sock"));

        transcript_reset(&t);
}

/* ---- failmode=safe: only a socket nobody listens on opens, and loudly ---- */

static bool journal_has(const char *entry, const char *line) {
        char needle[512];
        bool found;

        /* A whole line: start of the entry or after a newline, up to a newline. */
        snprintf(needle, sizeof(needle), "\n%s\n", line);
        found = entry &&
                (strstr(entry, needle) ||
                 (strncmp(entry, line, strlen(line)) == 0 && entry[strlen(line)] == '\n'));
        if (!found)
                fprintf(stderr, "expected journal line \"%s\" in:\n%s\n", line, entry ?: "(no entry)");
        return found;
}

static int count_lines_starting(const char *entry, const char *prefix) {
        int n = 0;

        for (const char *p = entry; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                if (strncmp(p, prefix, strlen(prefix)) == 0)
                        n++;
        return n;
}

static void check_fail_open(int journal, const RunResult *res, const char *service) {
        char *entry = journal_receive(journal);
        char line[256];

        CHECK(log_has(res, "SYSLOG(1): FAIL-OPEN: jitd unavailable"));
        CHECK(entry);
        CHECK(journal_has(entry, "MESSAGE_ID=" JIT_MESSAGE_ID_FAIL_OPEN));
        CHECK(journal_has(entry, "PRIORITY=1"));
        CHECK(journal_has(entry, "SYSLOG_IDENTIFIER=pam_jit"));
        CHECK(journal_has(entry, "JIT_USER=alice"));
        CHECK(journal_has(entry, "JIT_ACTION=login"));
        snprintf(line, sizeof(line), "JIT_SERVICE=%s", service);
        CHECK(journal_has(entry, line));
        CHECK(journal_has(entry, "JIT_RHOST=" TEST_RHOST));
        CHECK_INT(count_lines_starting(entry, "MESSAGE_ID="), 1);
        free(entry);
}

static void check_no_fail_open(int journal, const RunResult *res) {
        char *entry = journal_receive(journal);

        CHECK(!entry);
        CHECK(!strstr(res->log, "FAIL-OPEN"));
        free(entry);
}

/* Under failmode=safe the auth and session phases refuse too (alice, at the
 * "fake-safe" service), never opened: what the account phase was shown
 * just before. */
static void safe_auth_and_session_refused(int journal, Transcript *t, RunResult *res) {
        Step step = { PAMTEST_OPEN_SESSION, PAM_SESSION_ERR, 0 };

        run1("fake-safe", "alice", PAMTEST_AUTHENTICATE, PAM_AUTHINFO_UNAVAIL, t, res);
        check_no_fail_open(journal, res);
        run_result_done(res);
        transcript_reset(t);
        pam_run("fake-safe", "alice", NULL, "c1", t, &step, 1, res);
        CHECK(res->ok);
        check_no_fail_open(journal, res);
        run_result_done(res);
}

/* A fake jitd at fake.sock that answers as `mode` from a socket owned as
 * `owner`: failmode=safe's account phase refuses alice, never opened. */
static void safe_account_refused_by(int journal, FakeMode mode, FakeOwner owner, Transcript *t, RunResult *res) {
        pid_t fake = fake_server_start(test_path("fake.sock"), mode, owner);

        run1("fake-safe", "alice", PAMTEST_ACCOUNT, PAM_AUTHINFO_UNAVAIL, t, res);
        check_no_fail_open(journal, res);
        run_result_done(res);
        fake_server_stop(fake, test_path("fake.sock"));
}

/* Part of scenario_failmode_safe(): no jitd, or a server that is not one. */
static void safe_without_jitd(int journal) {
        Transcript t = {};
        RunResult res;
        pid_t fake;

        /* No socket: allowed in auth, account and session, each time logged
         * at LOG_ALERT and as a journald entry with the fail-open MESSAGE_ID. */
        run1("missing-safe", "alice", PAMTEST_ACCOUNT, PAM_SUCCESS, &t, &res);
        check_fail_open(journal, &res, "missing-safe");
        run_result_done(&res);
        run1("missing-safe", "alice", PAMTEST_AUTHENTICATE, PAM_SUCCESS, &t, &res);
        check_fail_open(journal, &res, "missing-safe");
        run_result_done(&res);
        {
                Step step = { PAMTEST_OPEN_SESSION, PAM_SUCCESS, 0 };

                transcript_reset(&t);
                pam_run("missing-safe", "alice", NULL, "c1", &t, &step, 1, &res);
                CHECK(res.ok);
                check_fail_open(journal, &res, "missing-safe");
                run_result_done(&res);
        }

        /* A hostile host name cannot forge journal fields. */
        {
                Step step = { PAMTEST_ACCOUNT, PAM_SUCCESS, 0 };
                char *entry;

                transcript_reset(&t);
                pam_run("missing-safe", "alice", "evil\nMESSAGE_ID=00000000000000000000000000000000", NULL,
                        &t, &step, 1, &res);
                CHECK(res.ok);
                entry = journal_receive(journal);
                CHECK(entry);
                CHECK_INT(count_lines_starting(entry, "MESSAGE_ID="), 1);
                CHECK(journal_has(entry, "JIT_RHOST=evil?MESSAGE_ID=00000000000000000000000000000000"));
                free(entry);
                run_result_done(&res);
        }

        /* A socket file nobody serves (connection refused) is an outage
         * too: nobody listens. */
        {
                struct sockaddr_un sa = { .sun_family = AF_UNIX };
                int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

                snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", test_path("fake.sock"));
                CHECK(fd >= 0);
                CHECK_INT(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
                close(fd); /* the file stays, nobody listens on it */
                run1("fake-safe", "alice", PAMTEST_ACCOUNT, PAM_SUCCESS, &t, &res);
                check_fail_open(journal, &res, "fake-safe");
                CHECK(log_has(&res, "cause=connect: Connection refused"));
                run_result_done(&res);
                (void) unlink(test_path("fake.sock"));
        }

        /* Something listens but gives no usable answer: systemd holding
         * jitd.socket while jitd restarts or crash-loops (accepted, never
         * answered), a hung jitd, garbage, another protocol version. That
         * is not "nobody there": failmode=safe does not open, in any
         * gating phase, and the user is told. */
        fake = fake_server_start(test_path("fake.sock"), FAKE_SILENT, FAKE_OWNER_ROOT);
        run1("fake-safe", "alice", PAMTEST_ACCOUNT, PAM_AUTHINFO_UNAVAIL, &t, &res);
        CHECK(res.elapsed_usec < 500 * USEC_PER_MSEC + SLACK_USEC);
        check_no_fail_open(journal, &res);
        CHECK(log_has(&res, "jitd not answering: user=alice"));
        CHECK(log_has(&res, "cause=receive: timed out"));
        CHECK(transcript_find(&t, "cannot be reached"));
        run_result_done(&res);
        safe_auth_and_session_refused(journal, &t, &res);
        fake_server_stop(fake, test_path("fake.sock"));

        safe_account_refused_by(journal, FAKE_GARBAGE, FAKE_OWNER_ROOT, &t, &res);

        safe_account_refused_by(journal, FAKE_WRONG_PROTOCOL, FAKE_OWNER_ROOT, &t, &res);

        /* jitd's own "cannot decide" is not unreachable: still closed. */
        safe_account_refused_by(journal, FAKE_STORE_ERROR, FAKE_OWNER_ROOT, &t, &res);

        transcript_reset(&t);
}

/* Part of scenario_failmode_safe(): jitd runs, says no, hangs or has a
 * broken configuration. */
static void safe_jitd_running(int journal) {
        Transcript t = {};
        RunResult res;
        pid_t jitd;

        /* A "no" from a running jitd is never opened... */
        jitd = jitd_start();
        run1("fast-safe", "bob", PAMTEST_ACCOUNT, PAM_PERM_DENIED, &t, &res);
        check_no_fail_open(journal, &res);
        run_result_done(&res);

        /* ... nor an unanswered request (the wait runs out). */
        run1("fast-safe", "carol", PAMTEST_AUTHENTICATE, PAM_AUTH_ERR, &t, &res);
        check_no_fail_open(journal, &res);
        CHECK(transcript_find(&t, "Still pending"));
        run_result_done(&res);

        /* jitd hung (stopped) on its socket: refused within timeout=,
         * never opened. */
        CHECK_INT(kill(jitd, SIGSTOP), 0);
        run1("fast-safe", "alice", PAMTEST_ACCOUNT, PAM_AUTHINFO_UNAVAIL, &t, &res);
        CHECK(res.elapsed_usec < 500 * USEC_PER_MSEC + SLACK_USEC);
        check_no_fail_open(journal, &res);
        run_result_done(&res);
        CHECK_INT(kill(jitd, SIGCONT), 0);
        jitd_stop(jitd);

        /* A configuration broken at start: jitd runs on the last policy
         * that loaded (saved by the jitd above) and answers
         * ConfigUnavailable for the users it covers, a denial even with
         * failmode=safe; the user is told; users it does not cover pass. */
        jitd = jitd_start_with("[login]\nthis line does not parse\n");
        run1("fast-safe", "alice", PAMTEST_ACCOUNT, PAM_AUTHINFO_UNAVAIL, &t, &res);
        check_no_fail_open(journal, &res);
        CHECK(log_has(&res, "io.jit.ConfigUnavailable"));
        CHECK(transcript_find(&t, "cannot decide right now"));
        run_result_done(&res);
        run1("fast-safe", "alice", PAMTEST_AUTHENTICATE, PAM_AUTHINFO_UNAVAIL, &t, &res);
        check_no_fail_open(journal, &res);
        run_result_done(&res);
        run1("fast-safe", "dave", PAMTEST_ACCOUNT, PAM_IGNORE, &t, &res);
        run_result_done(&res);
        {
                Step step = { PAMTEST_OPEN_SESSION, PAM_IGNORE, 0 };

                transcript_reset(&t);
                pam_run("fast-safe", "dave", NULL, "c1", &t, &step, 1, &res);
                CHECK(res.ok);
                run_result_done(&res);
        }
        CHECK(kill(jitd, 0) == 0);
        jitd_stop(jitd);

        transcript_reset(&t);
}

/* Part of scenario_failmode_safe(): jitd with a corrupt store. */
static void safe_corrupt_store(int journal) {
        Transcript t = {};
        RunResult res;
        pid_t jitd;

        /* A corrupt store is not an outage: jitd stays up and answers
         * StoreUnavailable, which denies even with failmode=safe. */
        (void) unlink(test_path("jitd.db-wal"));
        (void) unlink(test_path("jitd.db-shm"));
        {
                FILE *f = fopen(test_path("jitd.db"), "we");

                CHECK(f != NULL);
                if (f) {
                        fputs("this is not an SQLite database, it is garbage\n", f);
                        fclose(f);
                }
                (void) chmod(test_path("jitd.db"), 0600);
        }
        jitd = jitd_start();
        run1("fast-safe", "alice", PAMTEST_ACCOUNT, PAM_AUTHINFO_UNAVAIL, &t, &res);
        check_no_fail_open(journal, &res);
        CHECK(log_has(&res, "io.jit.StoreUnavailable"));
        run_result_done(&res);
        run1("fast-safe", "alice", PAMTEST_AUTHENTICATE, PAM_AUTHINFO_UNAVAIL, &t, &res);
        check_no_fail_open(journal, &res);
        run_result_done(&res);
        /* A user the policy does not cover needs no store, in the account
         * phase and in `session required pam_jit.so`. */
        run1("fast-safe", "dave", PAMTEST_ACCOUNT, PAM_IGNORE, &t, &res);
        run_result_done(&res);
        {
                Step steps[] = { { PAMTEST_OPEN_SESSION, PAM_IGNORE, 0 }, { PAMTEST_CLOSE_SESSION, PAM_IGNORE, 0 } };

                transcript_reset(&t);
                pam_run("fast-safe", "dave", NULL, "c1", &t, steps, 2, &res);
                CHECK(res.ok);
                CHECK(!strstr(res.log, "StoreUnavailable"));
                run_result_done(&res);
        }
        /* A covered user's session is refused, not opened. */
        {
                Step step = { PAMTEST_OPEN_SESSION, PAM_SESSION_ERR, 0 };

                transcript_reset(&t);
                pam_run("fast-safe", "alice", NULL, "c1", &t, &step, 1, &res);
                CHECK(res.ok);
                check_no_fail_open(journal, &res);
                CHECK(log_has(&res, "io.jit.StoreUnavailable"));
                run_result_done(&res);
        }
        CHECK(kill(jitd, 0) == 0);
        jitd_stop(jitd);

        transcript_reset(&t);
}

void scenario_failmode_safe(void) {
        int journal = journal_listen(test_path("journal.sock"));

        safe_without_jitd(journal);
        safe_jitd_running(journal);
        safe_corrupt_store(journal);

        close(journal);
}

/* ---- trust: only a root-owned socket with a root server is jitd ---- */

void scenario_trust(void) {
        int journal = journal_listen(test_path("journal.sock"));
        Transcript t = {};
        RunResult res;
        pid_t fake;

        /* The fake answers a correct "allow" and is believed when it is
         * root's: so the refusals below are about who owns it. */
        fake = fake_server_start(test_path("fake.sock"), FAKE_ALLOW, FAKE_OWNER_ROOT);
        run1("fake", "alice", PAMTEST_ACCOUNT, PAM_SUCCESS, &t, &res);
        run_result_done(&res);
        fake_server_stop(fake, test_path("fake.sock"));

        /* Socket file owned by nobody. */
        fake = fake_server_start(test_path("fake.sock"), FAKE_ALLOW, FAKE_OWNER_FILE_NOBODY);
        run1("fake", "alice", PAMTEST_ACCOUNT, PAM_AUTHINFO_UNAVAIL, &t, &res);
        CHECK(log_has(&res, "cause=connect: socket file or server not owned by root"));
        run_result_done(&res);
        run1("fake", "alice", PAMTEST_AUTHENTICATE, PAM_AUTHINFO_UNAVAIL, &t, &res);
        run_result_done(&res);
        fake_server_stop(fake, test_path("fake.sock"));

        /* Root-owned socket file, server process running as nobody. */
        fake = fake_server_start(test_path("fake.sock"), FAKE_ALLOW, FAKE_OWNER_PROCESS_NOBODY);
        run1("fake", "alice", PAMTEST_ACCOUNT, PAM_AUTHINFO_UNAVAIL, &t, &res);
        CHECK(log_has(&res, "cause=connect: socket file or server not owned by root"));
        run_result_done(&res);
        fake_server_stop(fake, test_path("fake.sock"));

        /* A symlink in place of the socket, even to a root socket. */
        fake = fake_server_start(test_path("real.sock"), FAKE_ALLOW, FAKE_OWNER_ROOT);
        CHECK_INT(symlink(test_path("real.sock"), test_path("fake.sock")), 0);
        run1("fake", "alice", PAMTEST_ACCOUNT, PAM_AUTHINFO_UNAVAIL, &t, &res);
        run_result_done(&res);
        (void) unlink(test_path("fake.sock"));
        fake_server_stop(fake, test_path("real.sock"));

        /* An untrusted socket or server is an impostor, not an outage:
         * failmode=safe does not open for it, in any gating phase, and the
         * refusal is logged as such. */
        fake = fake_server_start(test_path("fake.sock"), FAKE_ALLOW, FAKE_OWNER_FILE_NOBODY);
        run1("fake-safe", "alice", PAMTEST_ACCOUNT, PAM_AUTHINFO_UNAVAIL, &t, &res);
        check_no_fail_open(journal, &res);
        CHECK(log_has(&res, "jitd not trusted: user=alice"));
        CHECK(log_has(&res, "cause=connect: socket file or server not owned by root"));
        CHECK(transcript_find(&t, "cannot be reached"));
        run_result_done(&res);
        safe_auth_and_session_refused(journal, &t, &res);
        fake_server_stop(fake, test_path("fake.sock"));

        fake = fake_server_start(test_path("fake.sock"), FAKE_ALLOW, FAKE_OWNER_PROCESS_NOBODY);
        run1("fake-safe", "alice", PAMTEST_ACCOUNT, PAM_AUTHINFO_UNAVAIL, &t, &res);
        check_no_fail_open(journal, &res);
        CHECK(log_has(&res, "jitd not trusted: user=alice"));
        run_result_done(&res);
        fake_server_stop(fake, test_path("fake.sock"));

        /* A symlink in place of the socket is not root's socket either. */
        fake = fake_server_start(test_path("real.sock"), FAKE_ALLOW, FAKE_OWNER_ROOT);
        CHECK_INT(symlink(test_path("real.sock"), test_path("fake.sock")), 0);
        run1("fake-safe", "alice", PAMTEST_ACCOUNT, PAM_AUTHINFO_UNAVAIL, &t, &res);
        check_no_fail_open(journal, &res);
        run_result_done(&res);
        (void) unlink(test_path("fake.sock"));
        fake_server_stop(fake, test_path("real.sock"));

        /* Nobody there at all is an outage: failmode=safe still opens. */
        run1("fake-safe", "alice", PAMTEST_ACCOUNT, PAM_SUCCESS, &t, &res);
        check_fail_open(journal, &res, "fake-safe");
        run_result_done(&res);

        transcript_reset(&t);
        close(journal);
}
