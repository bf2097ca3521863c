/* pam_jit.so through libpam (pam_wrapper + libpamtest) against a real jitd
 * on a private socket, and against fake servers that are down, stopped,
 * untrusted or talking nonsense. One scenario per ctest entry:
 *
 *   test-pam-jit args|account|auth|destinations|session|unavailable|failmode-safe|trust|
 *                sudo-runas|norequest|rate-limit
 *
 * Every check is something an admin or a user would notice: a return code
 * that decides a login, a message that tells the user the request id, a
 * request that exists (or must not), a log line that must be there. */
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
#include "pam-harness.h"
#include "test.h"

#define USEC_PER_MSEC 1000ULL
#define USEC_PER_SEC 1000000ULL
/* How much longer than timeout= a call to an unresponsive jitd may take. */
#define SLACK_USEC (1500ULL * USEC_PER_MSEC)

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
static bool run1(const char *service, const char *user, enum pamtest_ops op, int expect, Transcript *t,
                 RunResult *res) {
        Step s = { op, expect, 0 };

        transcript_reset(t);
        pam_run(service, user, NULL, NULL, t, &s, 1, res);
        CHECK(res->ok);
        return res->ok;
}

static bool log_has(const RunResult *res, const char *needle) {
        bool found = res->log && strstr(res->log, needle);

        if (!found)
                fprintf(stderr, "expected in the module's log: \"%s\"\n--- log ---\n%s--- end ---\n", needle,
                        res->log ?: "");
        return found;
}

/* "... Request rXXXX (code 123-456) is pending ..." -> id and code. */
static void parse_account_notice(const char *msg, char *id, size_t id_size, char *code, size_t code_size) {
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

static struct json_object *member(struct json_object *o, const char *key) {
        struct json_object *v = NULL;

        return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* ---- args: bad module arguments are a service error in every phase ---- */

static void scenario_args(void) {
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

/* ---- account: the gate ---- */

static void scenario_account(void) {
        pid_t jitd = jitd_start();
        Transcript t = {};
        RunResult res;
        char id[64], code[16], id2[64], code2[16], grant[64];
        struct json_object *show, *req;
        const char *msg;

        /* No grant: refused, a request is made, and the user is told its id
         * and match code. */
        run1("sshd", "alice", PAMTEST_ACCOUNT, PAM_PERM_DENIED, &t, &res);
        msg = transcript_find(&t, "needs approval");
        CHECK(msg);
        CHECK_INT(transcript_style_of(&t, "needs approval"), PAM_ERROR_MSG);
        CHECK(msg && strstr(msg, "Access to this host needs approval. Request r"));
        CHECK(msg && strstr(msg, "is pending; ask an approver, then try again."));
        parse_account_notice(msg, id, sizeof(id), code, sizeof(code));
        CHECK_INT(strlen(id), 17);
        CHECK_INT(strlen(code), 7);
        CHECK(log_has(&res, "access denied: user=alice action=login service=sshd rhost=" TEST_RHOST));
        run_result_done(&res);

        show = admin_show(id);
        req = member(show, "request");
        CHECK(req);
        CHECK_STR(json_string_of(req, "user"), "alice");
        CHECK_STR(json_string_of(req, "action"), "login");
        CHECK_STR(json_string_of(req, "service"), "sshd");
        CHECK_STR(json_string_of(req, "rhost"), TEST_RHOST);
        CHECK_STR(json_string_of(req, "tty"), TEST_TTY);
        CHECK_STR(json_string_of(req, "state"), "pending");
        CHECK_STR(json_string_of(req, "match_code"), code);
        json_object_put(show);

        /* Trying again points at the same pending request. */
        run1("sshd", "alice", PAMTEST_ACCOUNT, PAM_PERM_DENIED, &t, &res);
        parse_account_notice(transcript_find(&t, "needs approval"), id2, sizeof(id2), code2, sizeof(code2));
        CHECK_STR(id2, id);
        CHECK_STR(code2, code);
        CHECK_INT(admin_pending_requests("alice"), 1);
        run_result_done(&res);

        /* Approved: the same check lets alice in, silently. */
        CHECK_INT(admin_approve(id), 0);
        run1("sshd", "alice", PAMTEST_ACCOUNT, PAM_SUCCESS, &t, &res);
        CHECK_INT(t.n, 0);
        CHECK(log_has(&res, "access allowed: user=alice action=login service=sshd"));
        /* The sshd stack has `debug`: jitd's answer is logged too. */
        CHECK(log_has(&res, "jitd Check: result=allow state="));
        run_result_done(&res);
        /* Without `debug`, an allowed decision is not logged by the module
         * at all: jitd's access-allowed audit entry records it. */
        run1("fast", "alice", PAMTEST_ACCOUNT, PAM_SUCCESS, &t, &res);
        CHECK(!log_has(&res, "access allowed"));
        CHECK(!log_has(&res, "jitd Check:"));
        run_result_done(&res);

        /* A user the policy does not cover: PAM_IGNORE, nothing shown, no request. */
        run1("sshd", "dave", PAMTEST_ACCOUNT, PAM_IGNORE, &t, &res);
        CHECK_INT(t.n, 0);
        CHECK_INT(admin_pending_requests("dave"), 0);
        run_result_done(&res);

        /* Break-glass: allowed, and logged as such. */
        run1("sshd", "erin", PAMTEST_ACCOUNT, PAM_SUCCESS, &t, &res);
        CHECK(log_has(&res, "breakglass=yes"));
        run_result_done(&res);

        /* quiet: refused without a message, but the request exists. */
        run1("quiet", "bob", PAMTEST_ACCOUNT, PAM_PERM_DENIED, &t, &res);
        CHECK_INT(t.n, 0);
        CHECK_INT(admin_pending_requests("bob"), 1);
        run_result_done(&res);

        /* sudo passes PAM_SILENT to account management; the request id is
         * still shown (it is the user's only way to ask for approval), and
         * the "sudo" service means action=sudo. */
        {
                Step s = { PAMTEST_ACCOUNT, PAM_PERM_DENIED, PAM_SILENT };

                transcript_reset(&t);
                pam_run("sudo", "carol", NULL, NULL, &t, &s, 1, &res);
                CHECK(res.ok);
                msg = transcript_find(&t, "Access to sudo on this host needs approval. Request r");
                CHECK(msg);
                parse_account_notice(msg, id, sizeof(id), code, sizeof(code));
                show = admin_show(id);
                CHECK_STR(json_string_of(member(show, "request"), "action"), "sudo");
                json_object_put(show);
                run_result_done(&res);
        }

        /* A grant is per action: sudo for frank is not a login for frank. */
        CHECK_INT(admin_grant("frank", "sudo", grant, sizeof(grant)), 0);
        run1("sudo", "frank", PAMTEST_ACCOUNT, PAM_SUCCESS, &t, &res);
        CHECK(!log_has(&res, "access allowed"));
        run_result_done(&res);
        run1("sudo-debug", "frank", PAMTEST_ACCOUNT, PAM_SUCCESS, &t, &res);
        CHECK(log_has(&res, "access allowed: user=frank action=sudo"));
        CHECK(log_has(&res, grant));
        run_result_done(&res);
        run1("sshd", "frank", PAMTEST_ACCOUNT, PAM_PERM_DENIED, &t, &res);
        run_result_done(&res);

        /* A hostile PAM_RHOST reaches jitd and the log sanitised. */
        {
                Step s = { PAMTEST_ACCOUNT, PAM_PERM_DENIED, 0 };

                transcript_reset(&t);
                pam_run("sshd", "grace", "evil\nhost\x1b[31m", NULL, &t, &s, 1, &res);
                CHECK(res.ok);
                parse_account_notice(transcript_find(&t, "needs approval"), id, sizeof(id), code,
                                     sizeof(code));
                show = admin_show(id);
                CHECK_STR(json_string_of(member(show, "request"), "rhost"), "evil?host?[31m");
                json_object_put(show);
                CHECK(log_has(&res, "rhost=evil?host?[31m"));
                run_result_done(&res);
        }

        transcript_reset(&t);
        jitd_stop(jitd);
}

/* ---- auth: the interactive companion ---- */

static void scenario_auth(void) {
        pid_t jitd = jitd_start();
        Transcript t = {};
        RunResult res;
        char grant[64];
        struct json_object *show;
        const char *msg;

        /* A live grant: success without a word. */
        CHECK_INT(admin_grant("alice", "login", grant, sizeof(grant)), 0);
        run1("sshd", "alice", PAMTEST_AUTHENTICATE, PAM_SUCCESS, &t, &res);
        CHECK_INT(t.n, 0);
        run_result_done(&res);

        /* Not covered: PAM_IGNORE, no prompt, no request. */
        run1("sshd", "dave", PAMTEST_AUTHENTICATE, PAM_IGNORE, &t, &res);
        CHECK_INT(t.n, 0);
        CHECK_INT(admin_pending_requests("dave"), 0);
        run_result_done(&res);

        /* ssh login, reason=none: the request id and match code travel with
         * a prompt (sshd shows notices only with the next prompt), then the
         * module waits; an approver in another process releases it. */
        transcript_reset(&t);
        t.approver = APPROVER_APPROVE;
        t.approver_loginuid = 2; /* an admin, bin, with sudo: root in bin's login */
        {
                Step s = { PAMTEST_AUTHENTICATE, PAM_SUCCESS, 0 };

                pam_run("sshd", "frank", NULL, NULL, &t, &s, 1, &res);
        }
        CHECK(res.ok);
        CHECK_INT(transcript_approver_wait(&t), 0);
        msg = transcript_find(&t, "Waiting up to 5 s for a decision");
        /* No webhook here: nobody hears of it, so the user is told who
         * must act and how. */
        CHECK(msg && strstr(msg, "is pending, but no approvers are notified: ask an admin to run \"jitctl approve r"));
        CHECK(msg && strstr(msg, "; match code "));
        CHECK_INT(strlen(t.request_id), 17);
        CHECK_INT(strlen(t.match_code), 7);
        CHECK(transcript_find(&t, "Press Enter to wait for approval"));
        CHECK_INT(t.prompts, 1);
        CHECK_INT(t.prompt_call_size, 2); /* notice and prompt in one call */
        CHECK(transcript_find(&t, "Approved by root (bin) until "));
        CHECK(res.elapsed_usec < 5 * USEC_PER_SEC);
        show = admin_show(t.request_id);
        CHECK_STR(json_string_of(member(show, "request"), "match_code"), t.match_code);
        CHECK_STR(json_string_of(member(show, "request"), "state"), "approved");
        json_object_put(show);
        run_result_done(&res);
        /* ... and the gate agrees. */
        run1("sshd", "frank", PAMTEST_ACCOUNT, PAM_SUCCESS, &t, &res);
        run_result_done(&res);

        /* Denied while waiting: refused, with who and why. */
        transcript_reset(&t);
        t.approver = APPROVER_DENY;
        t.deny_reason = "not today";
        {
                Step s = { PAMTEST_AUTHENTICATE, PAM_AUTH_ERR, 0 };

                pam_run("sshd", "grace", NULL, NULL, &t, &s, 1, &res);
        }
        CHECK(res.ok);
        CHECK_INT(transcript_approver_wait(&t), 0);
        CHECK(transcript_find(&t, "Denied by root: not today"));
        CHECK_INT(transcript_style_of(&t, "Denied by root"), PAM_ERROR_MSG);
        CHECK(res.elapsed_usec < 5 * USEC_PER_SEC);
        run_result_done(&res);

        /* Nobody decides: the wait ends at wait= with a clear message. */
        run1("wait2", "heidi", PAMTEST_AUTHENTICATE, PAM_AUTH_ERR, &t, &res);
        CHECK(res.elapsed_usec >= 2 * USEC_PER_SEC);
        CHECK(res.elapsed_usec < 2 * USEC_PER_SEC + 3 * USEC_PER_SEC);
        CHECK(transcript_find(&t, "Still pending: request r"));
        CHECK(transcript_find(&t, "Try again once approved."));
        CHECK(log_has(&res, "note=wait= ran out"));
        run_result_done(&res);

        /* The conversation fails at the prompt (Ctrl-C, client gone), or
         * answers nothing: never approval. */
        transcript_reset(&t);
        t.answers[0] = (Answer) { ANSWER_CONV_ERR, NULL };
        t.n_answers = 1;
        {
                Step s = { PAMTEST_AUTHENTICATE, PAM_CONV_ERR, 0 };

                pam_run("sshd", "ivan", NULL, NULL, &t, &s, 1, &res);
        }
        CHECK(res.ok);
        run_result_done(&res);

        transcript_reset(&t);
        t.answers[0] = (Answer) { ANSWER_NULL, NULL };
        t.n_answers = 1;
        {
                Step s = { PAMTEST_AUTHENTICATE, PAM_CONV_ERR, 0 };

                pam_run("sshd", "judy", NULL, NULL, &t, &s, 1, &res);
        }
        CHECK(res.ok);
        run_result_done(&res);

        /* reason=required: three empty answers, then refused, and no
         * request bothers the approvers. */
        transcript_reset(&t);
        t.answers[0] = (Answer) { ANSWER_TEXT, "" };
        t.answers[1] = (Answer) { ANSWER_TEXT, "   " };
        t.answers[2] = (Answer) { ANSWER_TEXT, "" };
        t.n_answers = 3;
        {
                Step s = { PAMTEST_AUTHENTICATE, PAM_AUTH_ERR, 0 };

                pam_run("reason-required", "mallory", NULL, NULL, &t, &s, 1, &res);
        }
        CHECK(res.ok);
        CHECK_INT(t.prompts, 3);
        CHECK(transcript_find(&t, "A reason is required."));
        CHECK(transcript_find(&t, "No reason given; no request was sent."));
        CHECK_INT(admin_pending_requests("mallory"), 0);
        run_result_done(&res);

        /* ... and a conversation error at the reason prompt sends nothing either. */
        transcript_reset(&t);
        t.answers[0] = (Answer) { ANSWER_CONV_ERR, NULL };
        t.n_answers = 1;
        {
                Step s = { PAMTEST_AUTHENTICATE, PAM_CONV_ERR, 0 };

                pam_run("reason-required", "oscar", NULL, NULL, &t, &s, 1, &res);
        }
        CHECK(res.ok);
        CHECK_INT(admin_pending_requests("oscar"), 0);
        run_result_done(&res);

        /* sudo: the reason goes with the request; the notice is printed at
         * once, so no extra prompt; approval releases the wait. */
        transcript_reset(&t);
        t.answers[0] = (Answer) { ANSWER_TEXT, "  deploy hotfix  " };
        t.n_answers = 1;
        t.approver = APPROVER_APPROVE;
        {
                Step s = { PAMTEST_AUTHENTICATE, PAM_SUCCESS, PAM_SILENT };

                pam_run("sudo", "peggy", NULL, NULL, &t, &s, 1, &res);
        }
        CHECK(res.ok);
        CHECK_INT(transcript_approver_wait(&t), 0);
        CHECK_INT(t.prompts, 1);
        CHECK(transcript_find(&t, "Access to sudo on this host needs approval."));
        CHECK_INT(transcript_style_of(&t, "Waiting up to 5 s"), PAM_TEXT_INFO);
        CHECK(!transcript_find(&t, "Press Enter"));
        show = admin_show(t.request_id);
        CHECK_STR(json_string_of(member(show, "request"), "reason"), "deploy hotfix");
        CHECK_STR(json_string_of(member(show, "request"), "action"), "sudo");
        CHECK_STR(json_string_of(member(show, "request"), "service"), "sudo");
        json_object_put(show);
        run_result_done(&res);

        /* wait=0: the request is sent and shown, and the call fails at once. */
        run1("wait0", "bob", PAMTEST_AUTHENTICATE, PAM_AUTH_ERR, &t, &res);
        msg = transcript_find(&t, "Try again once it is approved.");
        CHECK(msg && strstr(msg, "Request r") && strstr(msg, "match code "));
        CHECK(res.elapsed_usec < 2 * USEC_PER_SEC);
        CHECK_INT(admin_pending_requests("bob"), 1);
        run_result_done(&res);

        transcript_reset(&t);
        jitd_stop(jitd);
}

/* ---- destinations: the user is told where the request went ---- */

/* Two endpoints for sudo, one only for login, one that never hears of a
 * new request; the URLs lead nowhere (delivery is not the point here). */
static const char destinations_dropin[] =
        "[sudo]\n"
        "approvers = carol dave\n"
        "[webhook ops-chat]\n"
        "url = http://127.0.0.1:9/hook\nallow_http_loopback = yes\nformat = slack\n"
        "[webhook login-only]\n"
        "url = http://127.0.0.1:9/hook\nallow_http_loopback = yes\nformat = slack\nactions = login\n"
        "[webhook outcomes]\n"
        "url = http://127.0.0.1:9/hook\nallow_http_loopback = yes\nformat = slack\n"
        "events = approved denied expired\n";

static void scenario_destinations(void) {
        pid_t jitd = jitd_start_with(destinations_dropin), fake;
        Transcript t = {};
        RunResult res;
        char first[64], again[64], code[16];
        const char *msg;

        /* sudo: the approvers (never the requester herself) and the
         * endpoint that carries new requests; not the others. */
        run1("wait0", "carol", PAMTEST_AUTHENTICATE, PAM_AUTH_ERR, &t, &res);
        msg = transcript_find(&t, "Try again once it is approved.");
        CHECK(msg && strstr(msg, " sent to dave via webhook ops-chat; match code "));
        CHECK(msg && !strstr(msg, "login-only") && !strstr(msg, "outcomes") && !strstr(msg, "carol"));
        parse_account_notice(msg, first, sizeof(first), code, sizeof(code));
        CHECK_INT(strlen(first), 17);
        run_result_done(&res);

        /* Asking again finds the same request, and says where it went. */
        run1("wait0", "carol", PAMTEST_AUTHENTICATE, PAM_AUTH_ERR, &t, &res);
        msg = transcript_find(&t, "Try again once it is approved.");
        CHECK(msg && strstr(msg, " (sent to dave via webhook ops-chat) is still pending; match code "));
        parse_account_notice(msg, again, sizeof(again), code, sizeof(code));
        CHECK_STR(again, first);
        run_result_done(&res);

        /* login: no approvers named, two endpoints. */
        run1("login-wait0", "frank", PAMTEST_AUTHENTICATE, PAM_AUTH_ERR, &t, &res);
        msg = transcript_find(&t, "Try again once it is approved.");
        CHECK(msg && strstr(msg, " sent to webhooks ops-chat, login-only; match code "));
        run_result_done(&res);
        jitd_stop(jitd);

        /* Names from the socket are hostile: control characters replaced,
         * a long name cut, no more than JIT_DESTINATIONS_MAX shown, and
         * the answer is still a plain "no". */
        fake = fake_server_start(test_path("fake.sock"), FAKE_HOSTILE_PENDING, FAKE_OWNER_ROOT);
        run1("fake-wait0", "alice", PAMTEST_AUTHENTICATE, PAM_AUTH_ERR, &t, &res);
        msg = transcript_find(&t, "Try again once it is approved.");
        CHECK(msg && strstr(msg, "Request rabcdefghjkmnpqrs sent to bell???root, xxx"));
        CHECK(msg && strstr(msg, "?[2Jwipe, e2, e3"));
        CHECK(msg && strstr(msg, "e8, ...; match code 123-456."));
        CHECK(msg && !strstr(msg, "e9"));
        CHECK(msg && !strpbrk(msg, "\x1b\a\r\n"));
        CHECK(msg && strlen(msg) < 512);
        run_result_done(&res);
        fake_server_stop(fake, test_path("fake.sock"));
        transcript_reset(&t);
}

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

static void scenario_session(void) {
        pid_t jitd = jitd_start();
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
        jitd_stop(jitd);
}

/* ---- unavailable: jitd down, stopped, or not jitd ---- */

static void scenario_unavailable(void) {
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

static void scenario_failmode_safe(void) {
        int journal = journal_listen(test_path("journal.sock"));
        Transcript t = {};
        RunResult res;
        pid_t jitd, fake;

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
        close(journal);
}

/* ---- trust: only a root-owned socket with a root server is jitd ---- */

static void scenario_trust(void) {
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

/* ---- sudo-runas: sudo gates the invoking user, whatever PAM_USER says ---- */

/* With rootpw, targetpw or runaspw sudo sets PAM_USER to root or the
 * target user, whom the policy does not cover; PAM_RUSER names the user who
 * ran sudo. Asking about PAM_USER would let that user's sudo through
 * (PAM_IGNORE) without a grant. */
static void scenario_sudo_runas(void) {
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

static void scenario_norequest(void) {
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

/* A user who has filed request_limit requests (1 here) gets no new one:
 * the account and the auth phase say so and when to try again, refuse as
 * for any denial (never the failmode=safe fail-open: jitd answered), and
 * the log line says why. */
static const char rate_limit_dropin[] = "[jitd]\nrequest_limit = 1\n";

static void scenario_rate_limit(void) {
        static const char notice[] = "Access to this host needs approval, but you have filed too many requests "
                                     "lately, so no new one was sent. Try again after ";
        int journal = journal_listen(test_path("journal.sock"));
        pid_t jitd = jitd_start_with(rate_limit_dropin);
        Transcript t = {};
        RunResult res;
        char id[64], code[16];
        const char *msg;

        run1("sshd", "alice", PAMTEST_ACCOUNT, PAM_PERM_DENIED, &t, &res);
        parse_account_notice(transcript_find(&t, "needs approval"), id, sizeof(id), code, sizeof(code));
        CHECK_INT(strlen(id), 17);
        run_result_done(&res);
        CHECK_INT(admin_deny(id, "not now"), 0);

        /* The account phase (sshd's public-key login, sudo). */
        run1("sshd", "alice", PAMTEST_ACCOUNT, PAM_PERM_DENIED, &t, &res);
        msg = transcript_find(&t, "too many requests");
        CHECK(msg && strstr(msg, notice) == msg);
        CHECK_INT(transcript_style_of(&t, "too many requests"), PAM_ERROR_MSG);
        CHECK(log_has(&res, "access denied: user=alice action=login service=sshd"));
        CHECK(log_has(&res, "note=too many requests (request_limit) -> PAM_PERM_DENIED"));
        CHECK_INT(admin_pending_requests("alice"), 0);
        run_result_done(&res);

        /* The auth phase: its Request is refused, and it says so instead
         * of "no request could be sent". */
        run1("login-wait0", "alice", PAMTEST_AUTHENTICATE, PAM_AUTH_ERR, &t, &res);
        msg = transcript_find(&t, "too many requests");
        CHECK(msg && strstr(msg, notice) == msg);
        CHECK(!transcript_find(&t, "no request could be sent"));
        CHECK(log_has(&res, "note=too many requests (request_limit) -> PAM_AUTH_ERR"));
        run_result_done(&res);

        /* failmode=safe: a refusal is not an outage. */
        run1("fast-safe", "alice", PAMTEST_ACCOUNT, PAM_PERM_DENIED, &t, &res);
        CHECK(transcript_find(&t, "too many requests"));
        CHECK(!log_has(&res, "FAIL-OPEN"));
        run_result_done(&res);
        run1("fast-safe", "alice", PAMTEST_AUTHENTICATE, PAM_AUTH_ERR, &t, &res);
        CHECK(transcript_find(&t, "too many requests"));
        CHECK(!log_has(&res, "FAIL-OPEN"));
        run_result_done(&res);
        CHECK_INT(admin_pending_requests("alice"), 0);

        transcript_reset(&t);
        jitd_stop(jitd);
        close(journal);
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
