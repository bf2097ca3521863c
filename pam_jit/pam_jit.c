/* pam_jit.so's entry points and the decisions every phase shares: building
 * the context from PAM items and arguments, the account gate, session
 * registration, the one mapping from results to PAM return codes (with
 * failmode), and the one log line each call ends with. The interactive auth
 * flow lives in auth_flow.c, the jitd exchanges in decision.c.
 *
 * The module runs inside sshd and sudo: no threads, no fork, no signal
 * handlers, no getenv, no state kept between calls, and every exchange with
 * jitd bounded by timeout=. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <security/pam_appl.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "auth_flow.h"
#include "conversation.h"
#include "decision.h"
#include "jit-message-ids.h"
#include "journal_native.h"
#include "macros.h"
#include "pam_jit.h"
#include "text.h"

/* Only the pam_sm_* entry points are visible (see also pam_jit.map). */
#define _public_ __attribute__((visibility("default")))

static const char *const jit_result_table[_JIT_RESULT_MAX] = {
        [JIT_RESULT_ALLOW] = "allow",
        [JIT_RESULT_IGNORE] = "ignore",
        [JIT_RESULT_NO_GRANT] = "no-grant",
        [JIT_RESULT_UNREACHABLE] = "unreachable",
        [JIT_RESULT_NO_ANSWER] = "no-answer",
        [JIT_RESULT_UNTRUSTED] = "untrusted",
        [JIT_RESULT_DAEMON_ERROR] = "daemon-error",
        [JIT_RESULT_CONV_ERROR] = "conversation-error",
        [JIT_RESULT_BAD_CONFIG] = "bad-config",
        [JIT_RESULT_USER_UNKNOWN] = "user-unknown",
        [JIT_RESULT_SYSTEM_ERROR] = "system-error",
};

DEFINE_STRING_TABLE(, jit_result, JitResult, _JIT_RESULT_INVALID);

static const char *const pam_jit_phase_table[_PAM_JIT_PHASE_MAX] = {
        [PAM_JIT_PHASE_AUTH] = "auth",
        [PAM_JIT_PHASE_SETCRED] = "setcred",
        [PAM_JIT_PHASE_ACCOUNT] = "account",
        [PAM_JIT_PHASE_OPEN_SESSION] = "open_session",
        [PAM_JIT_PHASE_CLOSE_SESSION] = "close_session",
};

DEFINE_STRING_TABLE(static, pam_jit_phase, PamJitPhase, _PAM_JIT_PHASE_INVALID);

/* The only place a result becomes a PAM return code.
 *
 * failmode=safe changes exactly one thing: "jitd unreachable" (nobody
 * listens on the socket at all) in a gating phase becomes success. It
 * never touches a "no" from jitd (NO_GRANT), jitd's own errors
 * (DAEMON_ERROR: store or configuration unavailable), a socket that is
 * held but not answered (NO_ANSWER: jitd restarting, crash-looping or
 * hung), an untrusted socket or server (UNTRUSTED), or a failed
 * conversation. */
static int jit_result_to_pam(PamJitPhase phase, JitResult result, FailMode fail_mode) {
        /* Rows: results. Columns: the gating phases, in PamJitPhase order. */
        static const int gating[_JIT_RESULT_MAX][_PAM_JIT_PHASE_GATING_MAX] = {
                /*                            auth                  account               open_session */
                [JIT_RESULT_ALLOW] =        { PAM_SUCCESS,          PAM_SUCCESS,          PAM_SUCCESS },
                [JIT_RESULT_IGNORE] =       { PAM_IGNORE,           PAM_IGNORE,           PAM_IGNORE },
                [JIT_RESULT_NO_GRANT] =     { PAM_AUTH_ERR,         PAM_PERM_DENIED,      PAM_SESSION_ERR },
                [JIT_RESULT_UNREACHABLE] =  { PAM_AUTHINFO_UNAVAIL, PAM_AUTHINFO_UNAVAIL, PAM_SESSION_ERR },
                [JIT_RESULT_NO_ANSWER] =    { PAM_AUTHINFO_UNAVAIL, PAM_AUTHINFO_UNAVAIL, PAM_SESSION_ERR },
                [JIT_RESULT_UNTRUSTED] =    { PAM_AUTHINFO_UNAVAIL, PAM_AUTHINFO_UNAVAIL, PAM_SESSION_ERR },
                [JIT_RESULT_DAEMON_ERROR] = { PAM_AUTHINFO_UNAVAIL, PAM_AUTHINFO_UNAVAIL, PAM_SESSION_ERR },
                [JIT_RESULT_CONV_ERROR] =   { PAM_CONV_ERR,         PAM_PERM_DENIED,      PAM_SESSION_ERR },
                [JIT_RESULT_BAD_CONFIG] =   { PAM_SERVICE_ERR,      PAM_SERVICE_ERR,      PAM_SERVICE_ERR },
                [JIT_RESULT_USER_UNKNOWN] = { PAM_USER_UNKNOWN,     PAM_USER_UNKNOWN,     PAM_SESSION_ERR },
                [JIT_RESULT_SYSTEM_ERROR] = { PAM_SYSTEM_ERR,       PAM_SYSTEM_ERR,       PAM_SESSION_ERR },
        };

        if (result < 0 || result >= _JIT_RESULT_MAX || phase < 0 || phase >= _PAM_JIT_PHASE_MAX)
                return phase == PAM_JIT_PHASE_CLOSE_SESSION ? PAM_IGNORE : PAM_SYSTEM_ERR;

        /* Nothing to set up (setcred), or the user is leaving anyway
         * (close_session): only bad arguments are worth a failure; the
         * rest is logged and ignored. */
        if (phase >= _PAM_JIT_PHASE_GATING_MAX)
                return result == JIT_RESULT_ALLOW         ? PAM_SUCCESS
                        : result == JIT_RESULT_BAD_CONFIG ? PAM_SERVICE_ERR
                                                          : PAM_IGNORE;

        if (result == JIT_RESULT_UNREACHABLE && fail_mode == FAIL_MODE_SAFE)
                return PAM_SUCCESS;
        return gating[result][phase];
}

static const char *pam_code_name(int code) {
        switch (code) {
        case PAM_SUCCESS:
                return "PAM_SUCCESS";
        case PAM_IGNORE:
                return "PAM_IGNORE";
        case PAM_AUTH_ERR:
                return "PAM_AUTH_ERR";
        case PAM_PERM_DENIED:
                return "PAM_PERM_DENIED";
        case PAM_SESSION_ERR:
                return "PAM_SESSION_ERR";
        case PAM_AUTHINFO_UNAVAIL:
                return "PAM_AUTHINFO_UNAVAIL";
        case PAM_CONV_ERR:
                return "PAM_CONV_ERR";
        case PAM_SERVICE_ERR:
                return "PAM_SERVICE_ERR";
        case PAM_USER_UNKNOWN:
                return "PAM_USER_UNKNOWN";
        case PAM_SYSTEM_ERR:
                return "PAM_SYSTEM_ERR";
        default:
                return "PAM_?";
        }
}

/* Why an exchange with jitd failed, in words an admin can act on. */
static const char *failure_cause(const JitdAnswer *a, char *buf, size_t size) {
        char err[128];
        const char *what;

        if (!a || !a->failed_step)
                return "-";
        switch (a->error) {
        case -EPERM:
                what = "socket file or server not owned by root";
                break;
        case -EPROTO:
                what = a->error_name[0] ? a->error_name : "protocol version mismatch";
                break;
        case -EBADMSG:
                what = "malformed reply";
                break;
        case -EREMOTEIO:
                what = a->error_name;
                break;
        case -ETIMEDOUT:
                what = "timed out";
                break;
        default:
                what = strerror_r(-a->error, err, sizeof(err));
        }
        snprintf(buf, size, "%s: %s", a->failed_step, what);
        return buf;
}

static const char *dash(const char *s) {
        return s && *s ? s : "-";
}

/* Every call ends with one line in this one shape, so admins can grep and
 * parse it; ignored calls, and allows that jitd's Check has already
 * audited, only with debug. jitd writes an access-allowed entry (every
 * field of this line and more) before it answers "allow"; a second line
 * per login or sudo, through syslog and journald again, was most of the
 * module's own cost per decision. Denials, errors, break-glass, every
 * fail-open, approvals waited for and the session phases are always
 * logged. */
static void log_outcome(const PamJitContext *ctx, JitResult result, int code, const JitdAnswer *a,
                        const char *detail) {
        static const char *const event_table[_JIT_RESULT_MAX] = {
                [JIT_RESULT_ALLOW] = "access allowed",
                [JIT_RESULT_IGNORE] = "not handled",
                [JIT_RESULT_NO_GRANT] = "access denied",
                [JIT_RESULT_UNREACHABLE] = "jitd unavailable",
                [JIT_RESULT_NO_ANSWER] = "jitd not answering",
                [JIT_RESULT_UNTRUSTED] = "jitd not trusted",
                [JIT_RESULT_DAEMON_ERROR] = "jitd could not decide",
                [JIT_RESULT_CONV_ERROR] = "conversation failed",
                [JIT_RESULT_BAD_CONFIG] = "bad module arguments",
                [JIT_RESULT_USER_UNKNOWN] = "no usable user name",
                [JIT_RESULT_SYSTEM_ERROR] = "internal error",
        };
        const char *event = event_table[result];
        char cause[256];
        int prio;

        switch (result) {
        case JIT_RESULT_ALLOW:
                prio = a && a->breakglass ? LOG_NOTICE : LOG_INFO;
                if (prio == LOG_INFO && a && a->allow_audited && !ctx->args.debug)
                        return;
                if (ctx->phase == PAM_JIT_PHASE_OPEN_SESSION)
                        event = "session registered";
                else if (ctx->phase == PAM_JIT_PHASE_CLOSE_SESSION)
                        event = "session closed";
                break;
        case JIT_RESULT_IGNORE:
                if (!ctx->args.debug)
                        return;
                prio = LOG_DEBUG;
                break;
        case JIT_RESULT_NO_GRANT:
        case JIT_RESULT_CONV_ERROR:
                prio = LOG_NOTICE;
                if (result == JIT_RESULT_NO_GRANT && ctx->phase == PAM_JIT_PHASE_OPEN_SESSION)
                        event = "session refused";
                break;
        case JIT_RESULT_BAD_CONFIG:
                return; /* module_args_parse() said what was wrong */
        default:
                prio = LOG_ERR;
        }
        if (ctx->phase == PAM_JIT_PHASE_CLOSE_SESSION && result != JIT_RESULT_ALLOW && prio < LOG_WARNING)
                prio = LOG_WARNING; /* closing never fails the user; a note suffices */

        pam_syslog(
                ctx->pamh, prio,
                "%s: user=%s action=%s service=%s rhost=%s tty=%s request=%s grant=%s state=%s%s "
                "cause=%s%s%s -> %s",
                event, dash(ctx->user), jit_action_to_string(ctx->action) ?: "-", dash(ctx->service),
                dash(ctx->rhost), dash(ctx->tty), dash(a ? a->request_id : NULL),
                dash(a ? a->grant_id : NULL), a ? jitd_state_to_string(a->state) : "-",
                a && a->breakglass ? " breakglass=yes" : "", failure_cause(a, cause, sizeof(cause)),
                detail && *detail ? " note=" : "", detail ?: "", pam_code_name(code));
}

/* failmode=safe let someone in without asking jitd: say so at LOG_ALERT
 * and as a journald entry with a fixed MESSAGE_ID that alerting can match. */
static void log_fail_open(const PamJitContext *ctx, const JitdAnswer *a) {
        char cause[256], message[1024], errno_str[16];
        int r;

        failure_cause(a, cause, sizeof(cause));
        snprintf(message, sizeof(message),
                 "FAIL-OPEN: jitd unavailable (%s), allowing user=%s action=%s service=%s rhost=%s tty=%s "
                 "in %s because failmode=safe",
                 cause, dash(ctx->user), jit_action_to_string(ctx->action) ?: "-", dash(ctx->service),
                 dash(ctx->rhost), dash(ctx->tty), pam_jit_phase_to_string(ctx->phase));
        pam_syslog(ctx->pamh, LOG_ALERT, "%s", message);

        snprintf(errno_str, sizeof(errno_str), "%d", a && a->error < 0 ? -a->error : 0);
        const JournalField fields[] = {
                { "MESSAGE_ID", JIT_MESSAGE_ID_FAIL_OPEN },
                { "MESSAGE", message },
                { "PRIORITY", "1" },         /* LOG_ALERT */
                { "SYSLOG_FACILITY", "10" }, /* LOG_AUTHPRIV */
                { "SYSLOG_IDENTIFIER", "pam_jit" },
                { "ERRNO", errno_str },
                { "JIT_USER", ctx->user ?: "" },
                { "JIT_ACTION", jit_action_to_string(ctx->action) ?: "" },
                { "JIT_SERVICE", ctx->service },
                { "JIT_RHOST", ctx->rhost },
                { "JIT_TTY", ctx->tty },
        };
        r = journal_native_send(ctx->args.journal_socket, fields, ELEMENTSOF(fields));
        if (r < 0)
                pam_syslog(ctx->pamh, LOG_ERR, "could not write the fail-open journal entry to %s: %s",
                           ctx->args.journal_socket, strerror_r(-r, cause, sizeof(cause)));
}

static int finish(const PamJitContext *ctx, JitResult result, const JitdAnswer *a, const char *detail) {
        int code = jit_result_to_pam(ctx->phase, result, ctx->args.fail_mode);

        log_outcome(ctx, result, code, a, detail);
        if (result == JIT_RESULT_UNREACHABLE && code == PAM_SUCCESS)
                log_fail_open(ctx, a);
        return code;
}

static const char *pam_item_string(pam_handle_t *pamh, int item) {
        const void *v = NULL;

        if (pam_get_item(pamh, item, &v) != PAM_SUCCESS)
                return NULL;
        return v;
}

/* sudo runs its own PAM services "sudo" and "sudo-i" (sudo -i); everything
 * else is a login as far as approval is concerned. */
static JitAction action_from_service(const char *service) {
        if (strcmp(service, "sudo") == 0 || strcmp(service, "sudo-i") == 0)
                return JIT_ACTION_SUDO;
        return JIT_ACTION_LOGIN;
}

/* Arguments, PAM items and the user. JIT_RESULT_ALLOW means "go on"; any
 * other result ends the call with that result. */
static JitResult context_init(PamJitContext *ctx, pam_handle_t *pamh, PamJitPhase phase, int argc,
                              const char **argv) {
        const char *service, *user = NULL;
        int r;

        *ctx = (PamJitContext) {
                .pamh = pamh,
                .phase = phase,
                .action = JIT_ACTION_LOGIN,
                .args.fail_mode = FAIL_MODE_SECURE,
                .args.journal_socket = PAM_JIT_JOURNAL_SOCKET_DEFAULT,
        };

        if (module_args_parse(pamh, argc, argv, &ctx->args) < 0)
                return JIT_RESULT_BAD_CONFIG;

        service = pam_item_string(pamh, PAM_SERVICE);
        if (!service)
                return JIT_RESULT_SYSTEM_ERROR;
        jit_sanitize(service, ctx->service, sizeof(ctx->service));
        jit_sanitize(pam_item_string(pamh, PAM_RHOST), ctx->rhost, sizeof(ctx->rhost));
        jit_sanitize(pam_item_string(pamh, PAM_TTY), ctx->tty, sizeof(ctx->tty));
        ctx->action = ctx->args.action >= 0 ? ctx->args.action : action_from_service(service);

        /* sudo gates the user who runs it, but with rootpw, targetpw or
         * runaspw it sets PAM_USER to root or the target user, whom jitd
         * usually does not cover: asking about PAM_USER would let sudo run
         * without a grant. sudo always names the invoking user in
         * PAM_RUSER. (open_session reads PAM_RUSER itself: there it is
         * required.) */
        if (ctx->action == JIT_ACTION_SUDO &&
            (phase == PAM_JIT_PHASE_AUTH || phase == PAM_JIT_PHASE_ACCOUNT)) {
                const char *ruser = pam_item_string(pamh, PAM_RUSER);

                if (ruser && *ruser) {
                        if (!jit_user_name_is_valid(ruser))
                                return JIT_RESULT_USER_UNKNOWN;
                        ctx->user = ruser;
                        return JIT_RESULT_ALLOW;
                }
        }

        r = pam_get_user(pamh, &user, NULL);
        if (r == PAM_CONV_ERR || r == PAM_CONV_AGAIN)
                return JIT_RESULT_CONV_ERROR;
        if (r == PAM_BUF_ERR || r == PAM_SYSTEM_ERR)
                return JIT_RESULT_SYSTEM_ERROR;
        if (r != PAM_SUCCESS || !jit_user_name_is_valid(user))
                return JIT_RESULT_USER_UNKNOWN;
        ctx->user = user;
        return JIT_RESULT_ALLOW;
}

/* The account phase cannot prompt, but pam_error() text reaches sudo users
 * at once and ssh keyboard-interactive users with the failure. It ignores
 * PAM_SILENT (sudo always passes it): without the request id the user has
 * no way to ask for approval. `quiet` turns it off. */
static void account_notice(const PamJitContext *ctx, const JitdAnswer *a) {
        const char *subject = ctx->action == JIT_ACTION_SUDO ? "Access to sudo on this host"
                                                             : "Access to this host";
        char code[JIT_MATCH_CODE_MAX + 16] = "", text[512];

        if (a->match_code[0])
                snprintf(code, sizeof(code), " (code %s)", a->match_code);

        if (!a->request_id[0] && a->rate_limited)
                jitd_rate_limited_text(a, subject, text, sizeof(text));
        else if (a->request_id[0] && a->state == JITD_STATE_DENIED)
                snprintf(text, sizeof(text), "%s needs approval. Request %s was denied; ask an approver.",
                         subject, a->request_id);
        else if (a->request_id[0])
                snprintf(text, sizeof(text),
                         "%s needs approval. Request %s%s is pending; ask an approver, then try again.",
                         subject, a->request_id, code);
        else
                snprintf(text, sizeof(text),
                         "%s needs approval, and no request is pending; ask an approver.", subject);
        (void) conv_notice(ctx->pamh, PAM_ERROR_MSG, text);
}

/* jitd could not answer, or could not decide, and access is refused:
 * without a word the user sees only "Connection closed" or sudo's generic
 * error. */
static void unavailable_notice(const PamJitContext *ctx, JitResult r) {
        (void) conv_notice(ctx->pamh, PAM_ERROR_MSG,
                           r == JIT_RESULT_DAEMON_ERROR
                                   ? "The access approval service (jitd) cannot decide right now (its database "
                                     "or configuration is unavailable), so access is refused. Contact an "
                                     "administrator."
                                   : "The access approval service (jitd) cannot be reached, so access is "
                                     "refused. Try again later or contact an administrator.");
}

/* A session id we can hand to jitd: set (by pam_systemd, earlier in the
 * stack) and clean. NULL otherwise, with the reason in *ret_detail. */
static const char *session_id_get(const PamJitContext *ctx, const char **ret_detail) {
        const char *id = pam_getenv(ctx->pamh, "XDG_SESSION_ID");

        if (!id || !*id) {
                *ret_detail = "no XDG_SESSION_ID (pam_systemd must come first in the session stack)";
                return NULL;
        }
        if (!jit_text_is_clean(id, JIT_SESSION_MAX)) {
                *ret_detail = "XDG_SESSION_ID is not a plausible session id";
                return NULL;
        }
        return id;
}

/* What a gating or session phase does once its context is set up: the
 * result, and in *a and *detail what finish() logs. */
typedef JitResult (*PhaseRun)(PamJitContext *ctx, JitdAnswer *a, const char **detail);

/* Every phase but setcred: the context from the PAM items and arguments,
 * the phase's own step, and the one place a result becomes a PAM code. */
static int run_phase(pam_handle_t *pamh, PamJitPhase phase, int argc, const char **argv, PhaseRun run) {
        PamJitContext ctx;
        JitdAnswer a = {};
        const char *detail = "";
        JitResult r;

        r = context_init(&ctx, pamh, phase, argc, argv);
        if (r == JIT_RESULT_ALLOW)
                r = run(&ctx, &a, &detail);
        return finish(&ctx, r, &a, detail);
}

static JitResult auth_run(PamJitContext *ctx, JitdAnswer *a, const char **detail) {
        return auth_flow_run(ctx, a, detail);
}

_public_ int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        return run_phase(pamh, PAM_JIT_PHASE_AUTH, argc, argv, auth_run);
}

_public_ int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        ModuleArgs args = { .fail_mode = FAIL_MODE_SECURE, .journal_socket = PAM_JIT_JOURNAL_SOCKET_DEFAULT };

        /* No credentials to establish: the grant lives in jitd. Arguments
         * are still checked, so a typo fails in every phase alike. */
        if (module_args_parse(pamh, argc, argv, &args) < 0)
                return jit_result_to_pam(PAM_JIT_PHASE_SETCRED, JIT_RESULT_BAD_CONFIG, FAIL_MODE_SECURE);
        return jit_result_to_pam(PAM_JIT_PHASE_SETCRED, JIT_RESULT_ALLOW, FAIL_MODE_SECURE);
}

static JitResult account_run(PamJitContext *ctx, JitdAnswer *a, const char **detail) {
        JitResult r;

        /* norequest: a cron job or a user manager refused at 3 am is
         * skipped and logged, not a page to the approvers. */
        r = jitd_check(ctx, /* create_request= */ !ctx->args.no_request, a);
        if (a->breakglass)
                *detail = "break-glass";
        else if (a->rate_limited)
                *detail = "too many requests (request_limit)";
        else if (r == JIT_RESULT_NO_GRANT && ctx->args.no_request)
                *detail = "norequest: no request filed";
        if (r == JIT_RESULT_NO_GRANT && !ctx->args.quiet)
                account_notice(ctx, a);
        else if ((r == JIT_RESULT_UNTRUSTED || r == JIT_RESULT_NO_ANSWER || r == JIT_RESULT_DAEMON_ERROR ||
                  (r == JIT_RESULT_UNREACHABLE && ctx->args.fail_mode == FAIL_MODE_SECURE)) &&
                 !ctx->args.quiet)
                unavailable_notice(ctx, r);
        return r;
}

_public_ int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        return run_phase(pamh, PAM_JIT_PHASE_ACCOUNT, argc, argv, account_run);
}

static JitResult open_session_run(PamJitContext *ctx, JitdAnswer *a, const char **detail) {
        const char *session_id = NULL;
        JitResult r;

        if (ctx->action != JIT_ACTION_LOGIN) {
                /* sudo sets PAM_USER to the target user before it opens its
                 * session; the grant is the invoking user's, whom sudo names
                 * in PAM_RUSER. Which logind session sudo runs in, jitd finds
                 * out from the connection itself: nothing is sent for it. */
                const char *ruser = pam_item_string(ctx->pamh, PAM_RUSER);

                if (!jit_user_name_is_valid(ruser)) {
                        *detail = "no usable PAM_RUSER (the user who ran sudo)";
                        return JIT_RESULT_USER_UNKNOWN;
                }
                ctx->user = ruser;
        } else if (!(session_id = session_id_get(ctx, detail)))
                return JIT_RESULT_IGNORE;

        /* jitd answers "ignore" for users it does not gate and for
         * break-glass users, who hold no grant. */
        r = jitd_open_session(ctx, session_id, a);
        if (r == JIT_RESULT_NO_GRANT)
                *detail = "no live grant";
        return r;
}

_public_ int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        return run_phase(pamh, PAM_JIT_PHASE_OPEN_SESSION, argc, argv, open_session_run);
}

static JitResult close_session_run(PamJitContext *ctx, JitdAnswer *a, const char **detail) {
        const char *session_id;

        if (ctx->action != JIT_ACTION_LOGIN) {
                /* jitd's record of sudo in a login session lasts as long as
                 * that session: the login's close_session closes it, or the
                 * end of the grant. */
                *detail = "a sudo record ends with the login session";
                return JIT_RESULT_IGNORE;
        }
        if (!(session_id = session_id_get(ctx, detail)))
                return JIT_RESULT_IGNORE;
        return jitd_close_session(ctx, session_id, a);
}

_public_ int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        return run_phase(pamh, PAM_JIT_PHASE_CLOSE_SESSION, argc, argv, close_session_run);
}
