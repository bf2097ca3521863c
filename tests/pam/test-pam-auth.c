/* test-pam-jit's scenarios of a request through the account and auth
 * phases: the gate (account), the interactive companion (auth), where the
 * request went (destinations) and the request limit (rate-limit). */
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

/* ---- account: the gate ---- */

/* Part of scenario_account(): alice's request, then her grant. */
static void account_request_then_grant(void) {
        Transcript t = {};
        RunResult res;
        char id[64], code[16], id2[64], code2[16];
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

        transcript_reset(&t);
}

/* Part of scenario_account(): other users, services and a hostile rhost. */
static void account_other_users(void) {
        Transcript t = {};
        RunResult res;
        char id[64], code[16], grant[64];
        struct json_object *show;
        const char *msg;

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
}

void scenario_account(void) {
        pid_t jitd = jitd_start();

        account_request_then_grant();
        account_other_users();

        jitd_stop(jitd);
}

/* ---- auth: the interactive companion ---- */

/* Part of scenario_auth(): granted, not covered, approved or denied while
 * waiting. */
static void auth_decided(void) {
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

        transcript_reset(&t);
}

/* Part of scenario_auth(): no decision, a failed conversation, no reason. */
static void auth_undecided(void) {
        Transcript t = {};
        RunResult res;

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

        transcript_reset(&t);
}

/* Part of scenario_auth(): sudo with a reason, and wait=0. */
static void auth_sudo_and_wait0(void) {
        Transcript t = {};
        RunResult res;
        struct json_object *show;
        const char *msg;

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
}

void scenario_auth(void) {
        pid_t jitd = jitd_start();

        auth_decided();
        auth_undecided();
        auth_sudo_and_wait0();

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

void scenario_destinations(void) {
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

/* A user who has filed request_limit requests (1 here) gets no new one:
 * the account and the auth phase say so and when to try again, refuse as
 * for any denial (never the failmode=safe fail-open: jitd answered), and
 * the log line says why. */
static const char rate_limit_dropin[] = "[jitd]\nrequest_limit = 1\n";

void scenario_rate_limit(void) {
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
