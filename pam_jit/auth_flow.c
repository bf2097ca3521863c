/* The auth phase's interactive flow, for ssh keyboard-interactive and sudo:
 * a user without a live grant is asked for a reason, a request goes to the
 * approvers, the user sees its id and match code, and the login waits for
 * the decision. It never replaces the account phase, which checks again.
 *
 * Two host programs shape it. sshd's keyboard-interactive conversation
 * holds notices back until the next prompt (and shows what is left when
 * authentication fails), so for logins the request id travels with a
 * "Press Enter" prompt before the wait starts; sudo prints notices at once.
 * Both pass PAM_SILENT (sudo always does), yet the request id is the only
 * way the user can ask for approval, so these notices ignore PAM_SILENT.
 *
 * Nothing the user types or fails to type is ever taken as approval: only
 * jitd's "approved" (or a live grant found by Check) lets the phase
 * succeed. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <security/pam_appl.h>

#include "auth_flow.h"
#include "conversation.h"
#include "macros.h"
#include "text.h"

/* With reason=required an empty answer is asked again, this many times in all. */
#define REASON_TRIES 3

static const char *subject(const PamJitContext *ctx) {
        return ctx->action == JIT_ACTION_SUDO ? "Access to sudo on this host" : "Access to this host";
}

static char *format_until(int64_t t, char *buf, size_t size) {
        char when[64];

        if (t <= 0)
                buf[0] = 0;
        else
                snprintf(buf, size, " until %s", jit_format_time(t, when, sizeof(when)));
        return buf;
}

/* Bounded append: what does not fit is cut, never overflows. */
static void append(char *buf, size_t size, const char *s) {
        size_t n = strlen(buf);

        if (n + 1 < size)
                snprintf(buf + n, size - n, "%s", s);
}

/* "carol, dave via webhook ops" / "webhooks ops, sec": who was told of the
 * request, from names already sanitised and capped by decision.c. */
static char *format_destinations(const JitdAnswer *a, char *buf, size_t size) {
        buf[0] = 0;
        for (size_t i = 0; i < a->n_approvers; i++) {
                if (i > 0)
                        append(buf, size, ", ");
                append(buf, size, a->approvers[i]);
        }
        if (a->n_approvers > 0)
                append(buf, size, " via ");
        append(buf, size, a->n_endpoints > 1 ? "webhooks " : "webhook ");
        for (size_t i = 0; i < a->n_endpoints; i++) {
                if (i > 0)
                        append(buf, size, ", ");
                append(buf, size, a->endpoints[i]);
        }
        if (a->destinations_truncated)
                append(buf, size, ", ...");
        return buf;
}

/* The line that tells the user their request id, where it went and the
 * match code. `then` follows it ("Try again ...", "Waiting ..."). */
static void format_request_notice(const JitdAnswer *a, const char *request_id, const char *then, char *buf,
                                  size_t size) {
        char where[256], code[JIT_MATCH_CODE_MAX + 32] = "";

        if (a->match_code[0])
                snprintf(code, sizeof(code), "; match code %s", a->match_code);

        if (!a->have_destinations)
                snprintf(buf, size, "Request %s %s%s. %s", request_id,
                         a->created ? "sent to the approvers" : "is waiting for the approvers", code, then);
        else if (a->n_endpoints == 0)
                /* No webhook carries it: nobody will hear of it unless the
                 * user tells an admin, so say what the admin must run. */
                snprintf(buf, size,
                         "Request %s is pending, but no approvers are notified: ask an admin to run "
                         "\"jitctl approve %s\"%s. %s",
                         request_id, request_id, code, then);
        else if (a->created)
                snprintf(buf, size, "Request %s sent to %s%s. %s", request_id,
                         format_destinations(a, where, sizeof(where)), code, then);
        else
                snprintf(buf, size, "Request %s (sent to %s) is still pending%s. %s", request_id,
                         format_destinations(a, where, sizeof(where)), code, then);
}

/* Trim surrounding white space and make the answer safe to send, store and
 * show; jitd refuses control characters and caps the length. */
static void reason_clean(const char *answer, char *buf, size_t size) {
        const char *b = answer, *e = answer + strlen(answer);
        char tmp[JIT_REASON_MAX * 4 + 1];
        size_t n;

        while (*b == ' ' || *b == '\t')
                b++;
        while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
                e--;
        n = (size_t) (e - b);
        if (n >= sizeof(tmp))
                n = sizeof(tmp) - 1;
        memcpy(tmp, b, n);
        tmp[n] = 0;
        jit_sanitize(tmp, buf, size);
}

/* 0 with the reason in buf (maybe empty when optional), -ENODATA when a
 * required reason was never given, -ECANCELED/-ENOMEM from the conversation. */
static int ask_reason(const PamJitContext *ctx, const JitdAnswer *check, char *buf, size_t size) {
        bool required = ctx->args.reason_mode == REASON_MODE_REQUIRED;
        const char *prompt = required ? "Reason for access (sent to the approvers): "
                                      : "Reason for access (optional, sent to the approvers): ";
        char notice[256];

        if (check->state == JITD_STATE_PENDING && check->request_id[0])
                snprintf(notice, sizeof(notice), "%s needs approval. Request %s%s%s%s is already pending.",
                         subject(ctx), check->request_id, check->match_code[0] ? " (code " : "",
                         check->match_code, check->match_code[0] ? ")" : "");
        else if (check->state == JITD_STATE_DENIED && check->request_id[0])
                snprintf(notice, sizeof(notice),
                         "%s needs approval. Request %s was denied%s%s; you may ask again.", subject(ctx),
                         check->request_id, check->approver[0] ? " by " : "", check->approver);
        else
                snprintf(notice, sizeof(notice), "%s needs approval.", subject(ctx));

        for (unsigned i = 0; i < REASON_TRIES; i++) {
                _cleanup_free_ char *answer = NULL;
                int r;

                r = conv_ask(ctx->pamh, i == 0 ? PAM_TEXT_INFO : PAM_ERROR_MSG,
                             i == 0 ? notice : "A reason is required.", prompt, &answer);
                if (r < 0)
                        return r;

                reason_clean(answer, buf, size);
                if (buf[0] || !required)
                        return 0;
        }

        (void) conv_notice(ctx->pamh, PAM_ERROR_MSG, "No reason given; no request was sent.");
        return -ENODATA;
}

static void show_approved(const PamJitContext *ctx, const JitdAnswer *a) {
        char until[96], text[256];

        if (ctx->args.quiet)
                return;
        format_until(a->expires_at, until, sizeof(until));
        if (a->approver[0])
                snprintf(text, sizeof(text), "Approved by %s%s.", a->approver, until);
        else
                snprintf(text, sizeof(text), "Access approved%s.", until);
        (void) conv_notice(ctx->pamh, PAM_TEXT_INFO, text);
}

/* What the user is told when the wait ends without access. */
static void show_unapproved(const PamJitContext *ctx, const JitdAnswer *a, const char *request_id) {
        char text[JIT_REASON_MAX + JIT_USER_MAX + 128];

        switch (a->state) {
        case JITD_STATE_DENIED:
                if (a->approver[0] && a->reason[0])
                        snprintf(text, sizeof(text), "Denied by %s: %s", a->approver, a->reason);
                else if (a->approver[0])
                        snprintf(text, sizeof(text), "Denied by %s.", a->approver);
                else
                        snprintf(text, sizeof(text), "Request %s was denied.", request_id);
                break;
        case JITD_STATE_EXPIRED:
                snprintf(text, sizeof(text),
                         "Request %s expired without a decision. Try again to send a new one.", request_id);
                break;
        case JITD_STATE_CANCELLED:
                snprintf(text, sizeof(text), "Request %s was cancelled.", request_id);
                break;
        default:
                snprintf(text, sizeof(text), "Still pending: request %s. Try again once approved.",
                         request_id);
                break;
        }
        (void) conv_notice(ctx->pamh, PAM_ERROR_MSG, text);
}

static const char *unapproved_detail(const JitdAnswer *a) {
        switch (a->state) {
        case JITD_STATE_DENIED:
                return "denied while waiting";
        case JITD_STATE_EXPIRED:
                return "request expired while waiting";
        case JITD_STATE_CANCELLED:
                return "request cancelled while waiting";
        default:
                if (a->wait_timed_out)
                        return "wait= ran out";
                return a->failed_step ? "lost jitd while waiting" : "still pending";
        }
}

/* Ask for a reason and file the request. 1: a request is pending, its id
 * in answer->request_id; 0: the flow ends here with *ret_result. */
static int file_request(const PamJitContext *ctx, JitdAnswer *answer, JitResult *ret_result,
                        const char **ret_detail) {
        char reason[JIT_REASON_MAX + 1] = "", text[512];
        JitResult result;
        int r;

        *ret_result = JIT_RESULT_NO_GRANT;
        if (ctx->args.reason_mode != REASON_MODE_NONE) {
                r = ask_reason(ctx, answer, reason, sizeof(reason));
                if (r == -ENODATA) {
                        *ret_detail = "no reason given";
                        return 0;
                }
                if (r == -ENOMEM) {
                        *ret_result = JIT_RESULT_SYSTEM_ERROR;
                        return 0;
                }
                if (r < 0) {
                        *ret_detail = "reason prompt";
                        *ret_result = JIT_RESULT_CONV_ERROR;
                        return 0;
                }
        }

        result = jitd_request(ctx, reason[0] ? reason : NULL, answer);
        /* Approved between our Check and the Request. */
        if (result == JIT_RESULT_ALLOW)
                show_approved(ctx, answer);
        if (result != JIT_RESULT_NO_GRANT) {
                *ret_result = result;
                return 0;
        }
        if (!answer->request_id[0] && answer->rate_limited) {
                jitd_rate_limited_text(answer, subject(ctx), text, sizeof(text));
                (void) conv_notice(ctx->pamh, PAM_ERROR_MSG, text);
                *ret_detail = "too many requests (request_limit)";
                return 0;
        }
        if (!answer->request_id[0]) {
                snprintf(text, sizeof(text),
                         "%s needs approval, but no request could be sent. Ask an approver.", subject(ctx));
                (void) conv_notice(ctx->pamh, PAM_ERROR_MSG, text);
                *ret_detail = "no request id";
                return 0;
        }
        return 1;
}

/* Wait for the decision on request `request_id` (or say not to, wait=0),
 * and what the user is told when it ends. */
static JitResult wait_for_decision(const PamJitContext *ctx, JitdAnswer *answer, const char *request_id,
                                   const char **ret_detail) {
        char text[512], waiting[64];
        JitdAnswer after;
        JitResult result;
        int r;

        if (ctx->args.wait_sec == 0) {
                format_request_notice(answer, request_id, "Try again once it is approved.", text, sizeof(text));
                (void) conv_notice(ctx->pamh, PAM_ERROR_MSG, text);
                *ret_detail = "not waiting (wait=0)";
                return JIT_RESULT_NO_GRANT;
        }

        snprintf(waiting, sizeof(waiting), "Waiting up to %" PRIu64 " s for a decision...", ctx->args.wait_sec);
        format_request_notice(answer, request_id, waiting, text, sizeof(text));
        if (ctx->action == JIT_ACTION_LOGIN) {
                _cleanup_free_ char *enter = NULL;

                /* What is typed here does not matter; that something was
                 * typed means the user saw the request id. */
                r = conv_ask(ctx->pamh, PAM_TEXT_INFO, text, "Press Enter to wait for approval: ", &enter);
                if (r == -ENOMEM)
                        return JIT_RESULT_SYSTEM_ERROR;
                if (r < 0) {
                        *ret_detail = "wait prompt";
                        return JIT_RESULT_CONV_ERROR;
                }
        } else
                (void) conv_notice(ctx->pamh, PAM_TEXT_INFO, text);

        result = jitd_wait_decision(ctx, request_id, ctx->args.wait_sec, answer);
        if (result == JIT_RESULT_ALLOW) {
                show_approved(ctx, answer);
                return result;
        }

        /* The wait ended undecided (timeout, or jitd went away): a decision
         * may still have landed in between, so ask once more. Only an allow
         * counts here; an outage now must not become a fail-open for a
         * request that is simply unanswered. */
        if (answer->state != JITD_STATE_DENIED && answer->state != JITD_STATE_EXPIRED &&
            answer->state != JITD_STATE_CANCELLED &&
            jitd_check(ctx, /* create_request= */ false, &after) == JIT_RESULT_ALLOW) {
                memcpy(after.request_id, request_id, sizeof(after.request_id));
                *answer = after;
                show_approved(ctx, answer);
                return JIT_RESULT_ALLOW;
        }

        show_unapproved(ctx, answer, request_id);
        *ret_detail = unapproved_detail(answer);
        return JIT_RESULT_NO_GRANT;
}

JitResult auth_flow_run(const PamJitContext *ctx, JitdAnswer *answer, const char **ret_detail) {
        char request_id[JIT_ID_MAX];
        JitResult result;

        *ret_detail = "";

        /* A live grant lets the user through silently, and a user outside
         * the policy is none of our business. */
        result = jitd_check(ctx, /* create_request= */ false, answer);
        if (result != JIT_RESULT_NO_GRANT)
                return result;
        /* norequest never files a request, here no more than in account. */
        if (ctx->args.no_request) {
                *ret_detail = "norequest: no request filed";
                return JIT_RESULT_NO_GRANT;
        }

        if (file_request(ctx, answer, &result, ret_detail) <= 0)
                return result;
        /* The wait overwrites the answer; the id stays what was filed. */
        memcpy(request_id, answer->request_id, sizeof(request_id));
        return wait_for_decision(ctx, answer, request_id, ret_detail);
}
