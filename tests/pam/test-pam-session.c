/* test-pam-jit's scenarios past the gate: the logind session a grant
 * opened (session), sudo's invoking user (sudo-runas), and the services
 * that only check (norequest). */
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

/* ---- session: telling jitd which logind session a grant opened ---- */

static struct json_object *find_session(struct json_object *show, const char *session_id) {
        struct json_object *sessions = member(show, "sessions");

        if (!sessions || !json_object_is_type(sessions, json_type_array))
                return NULL;
        for (size_t i = 0; i < json_object_array_length(sessions); i++) {
                struct json_object *s = json_object_array_get_idx(sessions, i);
                const char *id = json_string_of(s, "session_id");

                if (id && strcmp(id, session_id) == 0)
                        return s;
        }
        return NULL;
}

/* Part of scenario_session(): sessions under alice's login grant. */
static void session_login(void) {
        Transcript t = {};
        RunResult res;
        char grant[64];
        struct json_object *show, *s;

        CHECK_INT(admin_grant("alice", "login", grant, sizeof(grant)), 0);

        /* Opened under alice's grant: recorded with where it came from. */
        {
                Step step = { PAMTEST_OPEN_SESSION, PAM_SUCCESS, 0 };

                transcript_reset(&t);
                pam_run("sshd", "alice", NULL, "c42", &t, &step, 1, &res);
                CHECK(res.ok);
                CHECK(log_has(&res, "session registered: user=alice"));
                run_result_done(&res);
        }
        show = admin_show(grant);
        s = find_session(show, "c42");
        CHECK(s);
        CHECK_STR(json_string_of(s, "service"), "sshd");
        CHECK_STR(json_string_of(s, "rhost"), TEST_RHOST);
        CHECK_STR(json_string_of(s, "tty"), TEST_TTY);
        CHECK(!member(s, "closed_at"));
        CHECK(member(s, "pid") && json_object_get_int64(member(s, "pid")) == (int64_t) getpid());
        json_object_put(show);

        /* ... and closed. */
        {
                Step step = { PAMTEST_CLOSE_SESSION, PAM_SUCCESS, 0 };

                transcript_reset(&t);
                pam_run("sshd", "alice", NULL, "c42", &t, &step, 1, &res);
                CHECK(res.ok);
                run_result_done(&res);
        }
        show = admin_show(grant);
        s = find_session(show, "c42");
        CHECK(s && member(s, "closed_at"));
        json_object_put(show);

        /* Open and close on one handle, as sshd does. */
        {
                Step steps[] = { { PAMTEST_OPEN_SESSION, PAM_SUCCESS, 0 },
                                 { PAMTEST_CLOSE_SESSION, PAM_SUCCESS, 0 } };

                transcript_reset(&t);
                pam_run("sshd", "alice", NULL, "c43", &t, steps, ELEMENTSOF(steps), &res);
                CHECK(res.ok);
                run_result_done(&res);
        }
        show = admin_show(grant);
        s = find_session(show, "c43");
        CHECK(s && member(s, "closed_at"));
        json_object_put(show);

        /* No XDG_SESSION_ID (pam_systemd missing or after us): ignored. */
        {
                Step steps[] = { { PAMTEST_OPEN_SESSION, PAM_IGNORE, 0 },
                                 { PAMTEST_CLOSE_SESSION, PAM_IGNORE, 0 } };

                transcript_reset(&t);
                pam_run("sshd", "alice", NULL, NULL, &t, steps, ELEMENTSOF(steps), &res);
                CHECK(res.ok);
                CHECK(log_has(&res, "no XDG_SESSION_ID"));
                run_result_done(&res);
        }

        transcript_reset(&t);
}

/* Part of scenario_session(): sudo's sessions, in the invoking user's name. */
static void session_sudo(void) {
        Transcript t = {};
        RunResult res;
        struct json_object *show;

        /* sudo: PAM_USER is the target user by then; the grant is that of
         * PAM_RUSER, the user who ran sudo. Without one: refused. */
        {
                Step step = { PAMTEST_OPEN_SESSION, PAM_SESSION_ERR, 0 };

                transcript_reset(&t);
                pam_run("sudo", "root", NULL, "c44", &t, &step, 1, &res);
                CHECK(res.ok);
                CHECK(log_has(&res, "no usable PAM_RUSER"));
                run_result_done(&res);
        }
        /* alice ran it and holds no sudo grant: refused, in her name (not
         * root's, who is not gated). */
        {
                Step step = { PAMTEST_OPEN_SESSION, PAM_SESSION_ERR, 0 };

                pam_run_ruser = "alice";
                transcript_reset(&t);
                pam_run("sudo", "root", NULL, "c44", &t, &step, 1, &res);
                CHECK(res.ok);
                CHECK(log_has(&res, "session refused: user=alice action=sudo"));
                run_result_done(&res);
        }
        /* With a sudo grant, outside any logind session (this test) and
         * [sudo] on_expiry keep: nothing to record, and XDG_SESSION_ID (the
         * client's word) is not used for it. */
        {
                Step step = { PAMTEST_OPEN_SESSION, PAM_IGNORE, 0 };
                char sudo_grant[64];

                CHECK_INT(admin_grant("alice", "sudo", sudo_grant, sizeof(sudo_grant)), 0);
                transcript_reset(&t);
                pam_run("sudo", "root", NULL, "c44", &t, &step, 1, &res);
                CHECK(res.ok);
                run_result_done(&res);
                show = admin_show(sudo_grant);
                CHECK(show && !find_session(show, "c44"));
                json_object_put(show);
        }
        /* Closing: a sudo record lasts as long as the login session. */
        {
                Step step = { PAMTEST_CLOSE_SESSION, PAM_IGNORE, 0 };

                transcript_reset(&t);
                pam_run("sudo", "root", NULL, "c44", &t, &step, 1, &res);
                CHECK(res.ok);
                run_result_done(&res);
                pam_run_ruser = NULL;
        }

        transcript_reset(&t);
}

/* Part of scenario_session(): users without a grant, and unknown sessions. */
static void session_without_grant(void) {
        Transcript t = {};
        RunResult res;

        /* Users without a grant by policy: not covered, break-glass. */
        {
                Step steps[] = { { PAMTEST_OPEN_SESSION, PAM_IGNORE, 0 },
                                 { PAMTEST_CLOSE_SESSION, PAM_IGNORE, 0 } };

                transcript_reset(&t);
                pam_run("sshd", "dave", NULL, "c45", &t, steps, ELEMENTSOF(steps), &res);
                CHECK(res.ok);
                run_result_done(&res);
                transcript_reset(&t);
                pam_run("sshd", "erin", NULL, "c46", &t, steps, ELEMENTSOF(steps), &res);
                CHECK(res.ok);
                run_result_done(&res);
        }

        /* A covered user without a grant cannot open a session. */
        {
                Step step = { PAMTEST_OPEN_SESSION, PAM_SESSION_ERR, 0 };

                transcript_reset(&t);
                pam_run("sshd", "carol", NULL, "c47", &t, &step, 1, &res);
                CHECK(res.ok);
                CHECK(log_has(&res, "session refused: user=carol"));
                run_result_done(&res);
        }

        /* Closing a session jitd never saw is not an error. */
        {
                Step step = { PAMTEST_CLOSE_SESSION, PAM_IGNORE, 0 };

                transcript_reset(&t);
                pam_run("sshd", "alice", NULL, "c99", &t, &step, 1, &res);
                CHECK(res.ok);
                run_result_done(&res);
        }

        transcript_reset(&t);
}

void scenario_session(void) {
        pid_t jitd = jitd_start();

        session_login();
        session_sudo();
        session_without_grant();

        jitd_stop(jitd);
}

/* ---- sudo-runas: sudo gates the invoking user, whatever PAM_USER says ---- */

/* With rootpw, targetpw or runaspw sudo sets PAM_USER to root or the
 * target user, whom the policy does not cover; PAM_RUSER names the user who
 * ran sudo. Asking about PAM_USER would let that user's sudo through
 * (PAM_IGNORE) without a grant. */
void scenario_sudo_runas(void) {
        pid_t jitd = jitd_start();
        Transcript t = {};
        RunResult res;
        char grant[64], id[64], code[16];
        struct json_object *show;
        const char *msg;

        /* Without PAM_RUSER, PAM_USER is the one asked about: root is not
         * covered (this is what sudo with rootpw looked like before). */
        run1("sudo", "root", PAMTEST_ACCOUNT, PAM_IGNORE, &t, &res);
        run_result_done(&res);

        pam_run_ruser = "judy";

        /* judy, without a grant, runs sudo with rootpw: refused, not
         * ignored, and the request is judy's. */
        run1("sudo", "root", PAMTEST_ACCOUNT, PAM_PERM_DENIED, &t, &res);
        msg = transcript_find(&t, "Access to sudo on this host needs approval. Request r");
        CHECK(msg);
        parse_account_notice(msg, id, sizeof(id), code, sizeof(code));
        show = admin_show(id);
        CHECK_STR(json_string_of(member(show, "request"), "user"), "judy");
        CHECK_STR(json_string_of(member(show, "request"), "action"), "sudo");
        json_object_put(show);
        CHECK(log_has(&res, "access denied: user=judy action=sudo service=sudo"));
        CHECK_INT(admin_pending_requests("root"), 0);
        run_result_done(&res);

        run1("wait0", "root", PAMTEST_AUTHENTICATE, PAM_AUTH_ERR, &t, &res);
        CHECK(transcript_find(&t, "Try again once it is approved."));
        CHECK(log_has(&res, "user=judy action=sudo"));
        run_result_done(&res);

        /* With a sudo grant for judy: both phases let her through. */
        CHECK_INT(admin_grant("judy", "sudo", grant, sizeof(grant)), 0);
        run1("sudo-debug", "root", PAMTEST_ACCOUNT, PAM_SUCCESS, &t, &res);
        CHECK_INT(t.n, 0);
        /* `debug`: allowed decisions are logged only then. */
        CHECK(log_has(&res, "access allowed: user=judy action=sudo"));
        CHECK(log_has(&res, grant));
        run_result_done(&res);
        run1("sudo", "root", PAMTEST_AUTHENTICATE, PAM_SUCCESS, &t, &res);
        CHECK_INT(t.n, 0);
        run_result_done(&res);

        /* targetpw with a covered target: still the invoker's grant that
         * counts. ivan has none, so ivan's sudo -u judy is refused. */
        pam_run_ruser = "ivan";
        run1("sudo", "judy", PAMTEST_ACCOUNT, PAM_PERM_DENIED, &t, &res);
        CHECK(log_has(&res, "access denied: user=ivan action=sudo"));
        run_result_done(&res);

        /* A PAM_RUSER that is no user name is refused, not skipped. */
        pam_run_ruser = "bad\nname";
        run1("sudo", "root", PAMTEST_ACCOUNT, PAM_USER_UNKNOWN, &t, &res);
        run_result_done(&res);

        /* Logins are about PAM_USER: PAM_RUSER (a remote user name from
         * rlogin-era services) changes nothing there. */
        pam_run_ruser = "judy";
        run1("sshd", "ivan", PAMTEST_ACCOUNT, PAM_PERM_DENIED, &t, &res);
        CHECK(log_has(&res, "access denied: user=ivan action=login"));
        run_result_done(&res);

        pam_run_ruser = NULL;
        transcript_reset(&t);
        jitd_stop(jitd);
}

/* ---- norequest: cron, atd and the user manager only check ---- */

void scenario_norequest(void) {
        pid_t jitd = jitd_start();
        Transcript t = {};
        RunResult res;
        char id[64], code[16], id2[64], grant[64];
        const char *msg;

        /* A covered user's job without a grant: refused, logged as such,
         * and nobody is paged (no request exists afterwards). */
        run1("cron", "alice", PAMTEST_ACCOUNT, PAM_PERM_DENIED, &t, &res);
        CHECK(log_has(&res, "access denied: user=alice action=login service=cron"));
        CHECK(log_has(&res, "note=norequest: no request filed -> PAM_PERM_DENIED"));
        CHECK_INT(admin_pending_requests("alice"), 0);
        /* What the job's owner would read, if anybody reads it: true, and
         * without a request id that does not exist. */
        msg = transcript_find(&t, "needs approval");
        CHECK(msg && strstr(msg, "no request is pending"));
        run_result_done(&res);

        /* Again and again, as cron runs every minute: still no request. */
        for (int i = 0; i < 3; i++) {
                run1("systemd-user", "alice", PAMTEST_ACCOUNT, PAM_PERM_DENIED, &t, &res);
                run_result_done(&res);
        }
        CHECK_INT(admin_pending_requests("alice"), 0);

        /* The auth phase with norequest asks nothing and files nothing. */
        run1("cron", "alice", PAMTEST_AUTHENTICATE, PAM_AUTH_ERR, &t, &res);
        CHECK_INT(t.prompts, 0);
        CHECK(log_has(&res, "note=norequest: no request filed -> PAM_AUTH_ERR"));
        CHECK_INT(admin_pending_requests("alice"), 0);
        run_result_done(&res);

        /* A request the user filed at the door (sshd) is pointed at, not
         * duplicated. */
        run1("sshd", "bob", PAMTEST_ACCOUNT, PAM_PERM_DENIED, &t, &res);
        parse_account_notice(transcript_find(&t, "needs approval"), id, sizeof(id), code, sizeof(code));
        CHECK_INT(strlen(id), 17);
        run_result_done(&res);
        run1("cron", "bob", PAMTEST_ACCOUNT, PAM_PERM_DENIED, &t, &res);
        parse_account_notice(transcript_find(&t, "needs approval"), id2, sizeof(id2), code, sizeof(code));
        CHECK_STR(id2, id);
        CHECK(log_has(&res, id));
        CHECK_INT(admin_pending_requests("bob"), 1);
        run_result_done(&res);

        /* Under a live login grant the job runs, silently. */
        CHECK_INT(admin_approve(id), 0);
        run1("cron", "bob", PAMTEST_ACCOUNT, PAM_SUCCESS, &t, &res);
        CHECK_INT(t.n, 0);
        run_result_done(&res);
        run1("systemd-user", "bob", PAMTEST_ACCOUNT, PAM_SUCCESS, &t, &res);
        CHECK(log_has(&res, "access allowed: user=bob action=login service=systemd-user"));
        run_result_done(&res);

        /* A sudo grant is not a login grant: cron stays shut for frank. */
        CHECK_INT(admin_grant("frank", "sudo", grant, sizeof(grant)), 0);
        run1("cron", "frank", PAMTEST_ACCOUNT, PAM_PERM_DENIED, &t, &res);
        CHECK_INT(admin_pending_requests("frank"), 0);
        run_result_done(&res);

        /* Users the policy does not cover run their jobs as before;
         * break-glass users too, audited. */
        run1("cron", "dave", PAMTEST_ACCOUNT, PAM_IGNORE, &t, &res);
        CHECK_INT(t.n, 0);
        run_result_done(&res);
        run1("cron", "erin", PAMTEST_ACCOUNT, PAM_SUCCESS, &t, &res);
        CHECK(log_has(&res, "breakglass=yes"));
        run_result_done(&res);

        /* A revoked grant ends the jobs with it. */
        CHECK_INT(admin_grant("grace", "login", grant, sizeof(grant)), 0);
        run1("cron", "grace", PAMTEST_ACCOUNT, PAM_SUCCESS, &t, &res);
        run_result_done(&res);
        {
                struct json_object *p = json_object_new_object(), *reply = NULL;
                char *error = NULL;

                json_object_object_add(p, "grant_id", json_object_new_string(grant));
                CHECK_INT(admin_call(JIT_METHOD_REVOKE, p, &reply, &error), 0);
                json_object_put(reply);
                free(error);
        }
        run1("cron", "grace", PAMTEST_ACCOUNT, PAM_PERM_DENIED, &t, &res);
        CHECK_INT(admin_pending_requests("grace"), 0);
        run_result_done(&res);

        transcript_reset(&t);
        jitd_stop(jitd);
}
