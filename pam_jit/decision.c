/* Asking jitd. Every exchange opens its own connection (the module keeps
 * nothing between calls and must not hold a socket across a prompt that may
 * take minutes) and is bounded by one CLOCK_MONOTONIC deadline, timeout=
 * from now, covering connect, send and the first reply; only WaitDecision's
 * later replies run on the wait= deadline instead.
 *
 * Answers are read defensively. Anything that would let someone in (an
 * "allow", an approval) must be exactly well-formed, otherwise it is
 * garbage and counts as no answer (never a fail-open). Anything that says no
 * (io.jit.NoGrant, a denial) is believed even when its details are
 * malformed: a broken detail must never turn a "no" into a fail-open.
 * Display strings (approver, reason) are sanitised, never rejected. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_ext.h>

#include "client.h"
#include "decision.h"
#include "jit-protocol.h"
#include "json-util.h"
#include "macros.h"
#include "text.h"
#include "varlink.h"

static const char *const jitd_state_table[_JITD_STATE_MAX] = {
        [JITD_STATE_UNKNOWN] = "-", /* not said (e.g. an allow) or not understood */
        [JITD_STATE_NONE] = "none",
        [JITD_STATE_PENDING] = "pending",
        [JITD_STATE_APPROVED] = "approved",
        [JITD_STATE_DENIED] = "denied",
        [JITD_STATE_EXPIRED] = "expired",
        [JITD_STATE_CANCELLED] = "cancelled",
};

/* Unknown names read as JITD_STATE_UNKNOWN, shown as "-". */
DEFINE_STRING_TABLE(, jitd_state, JitdState, JITD_STATE_UNKNOWN);

static void client_done(JitClient *c) {
        jit_client_close(c);
}

static void answer_init(JitdAnswer *a) {
        *a = (JitdAnswer) {};
}

/* Record why an exchange failed; returns `result` for tail calls. */
static JitResult failed(JitdAnswer *a, const char *step, int error, JitResult result) {
        a->failed_step = step;
        a->error = error;
        return result;
}

static void copy_string(char *buf, size_t size, const char *s) {
        size_t n = strnlen(s, size - 1);

        memcpy(buf, s, n);
        buf[n] = 0;
}

/* ---- building calls ---- */

/* user, action, service and, when known, where from. */
static struct json_object *params_new(const PamJitContext *ctx, bool with_origin) {
        _cleanup_json_ struct json_object *p = json_object_new_object();

        if (!p)
                return NULL;
        if (json_add_string_optional(p, "user", ctx->user) < 0 ||
            json_add_string_optional(p, "action", jit_action_to_string(ctx->action)) < 0)
                return NULL;
        if (with_origin &&
            (json_add_string_optional(p, "service", ctx->service) < 0 ||
             json_add_string_optional(p, "rhost", ctx->rhost) < 0 ||
             json_add_string_optional(p, "tty", ctx->tty) < 0))
                return NULL;
        return TAKE_PTR(p);
}

/* ---- reading replies ---- */

/* Connect, send one call and read its first reply, all before one deadline.
 * Takes ownership of `parameters` (never NULL). On failure the answer says
 * which step failed and the caller decides what that means. */
static int exchange(const PamJitContext *ctx, JitClient *client, const char *method,
                    struct json_object *parameters, bool more, struct json_object **ret_reply,
                    JitdAnswer *answer) {
        _cleanup_json_ struct json_object *p = parameters;
        uint64_t deadline = now_monotonic_usec() + ctx->args.timeout_usec;
        int r;

        r = jit_client_connect(client, ctx->args.socket_path, /* require_root= */ true, deadline);
        if (r < 0) {
                failed(answer, "connect", r, JIT_RESULT_NO_ANSWER);
                return r;
        }
        r = jit_client_send(client, method, TAKE_PTR(p), more, deadline);
        if (r < 0) {
                failed(answer, "send", r, JIT_RESULT_NO_ANSWER);
                return r;
        }
        r = jit_client_receive(client, deadline, ret_reply);
        if (r < 0) {
                failed(answer, "receive", r, JIT_RESULT_NO_ANSWER);
                return r;
        }
        return 0;
}

/* What a failed exchange() means. The client refuses a socket file that is
 * not a root-owned socket, or a server whose peer credentials are not
 * root's, with -EPERM when it connects (client.h): someone else listening
 * where jitd should is an impostor, not an outage, and failmode=safe must
 * not let users in on its account. Only when nobody listens at all (no
 * socket file: jitd.socket is stopped or not installed; or connection
 * refused: a socket file nobody serves) is jitd unreachable, the one case
 * failmode=safe opens. Anything else means something holds the socket
 * (systemd, while jitd restarts or crash-loops; a hung jitd) and did not
 * answer: that is no answer, never a fail-open. */
static JitResult exchange_failure(const JitdAnswer *a) {
        bool connecting = a->failed_step && strcmp(a->failed_step, "connect") == 0;

        if (connecting && a->error == -EPERM)
                return JIT_RESULT_UNTRUSTED;
        if (connecting && (a->error == -ENOENT || a->error == -ECONNREFUSED))
                return JIT_RESULT_UNREACHABLE;
        return JIT_RESULT_NO_ANSWER;
}

/* Errors that mean "this is not a jitd speaking our protocol" are no
 * answer; any other error is jitd itself saying it cannot decide. Neither
 * ever opens anything. */
static JitResult error_result(const char *error, JitdAnswer *a) {
        jit_sanitize(error, a->error_name, sizeof(a->error_name));

        if (strcmp(error, JIT_ERROR_PROTOCOL_MISMATCH) == 0 ||
            strcmp(error, JIT_ERROR_INVALID_MESSAGE) == 0 ||
            strncmp(error, "org.varlink.", strlen("org.varlink.")) == 0)
                return failed(a, "reply", -EPROTO, JIT_RESULT_NO_ANSWER);
        return failed(a, "reply", -EREMOTEIO, JIT_RESULT_DAEMON_ERROR);
}

static JitResult garbage(JitdAnswer *a) {
        return failed(a, "reply", -EBADMSG, JIT_RESULT_NO_ANSWER);
}

static JitdState read_state(struct json_object *params) {
        const char *s = NULL;

        if (varlink_param_string(params, "state", false, 16, &s) <= 0)
                return JITD_STATE_UNKNOWN;
        return jitd_state_from_string(s);
}

/* An id, copied only if well-formed. Returns true if one was copied. */
static bool read_id(struct json_object *params, const char *key, char prefix, char *buf, size_t size) {
        const char *s = NULL;

        buf[0] = 0;
        if (varlink_param_string(params, key, false, JIT_ID_MAX - 1, &s) <= 0 || !jit_id_is_valid(s, prefix))
                return false;
        copy_string(buf, size, s);
        return true;
}

static void read_match_code(struct json_object *params, JitdAnswer *a) {
        const char *s = NULL;

        a->match_code[0] = 0;
        if (varlink_param_string(params, "match_code", false, JIT_MATCH_CODE_MAX - 1, &s) <= 0)
                return;
        /* Shown next to "ask an approver": digits and dashes only. */
        if (s[0] == 0 || strspn(s, "0123456789-") != strlen(s))
                return;
        copy_string(a->match_code, sizeof(a->match_code), s);
}

/* Display text: whatever string jitd sent, made safe to show and log. */
static void read_text(struct json_object *params, const char *key, char *buf, size_t size) {
        const char *s = json_member_string(params, key);

        buf[0] = 0;
        if (s)
                jit_sanitize(s, buf, size);
}

/* Who decided: the account, and the person behind it where jitd names
 * someone else ("root (alice)"). */
static void read_approver(struct json_object *params, char *buf, size_t size) {
        char person[JIT_USER_MAX + 1];
        size_t n;

        read_text(params, "approver", buf, size);
        read_text(params, "approver_person", person, sizeof(person));
        n = strlen(buf);
        if (n > 0 && person[0] && strcmp(person, buf) != 0)
                snprintf(buf + n, size - n, " (%s)", person);
}

static int64_t read_time(struct json_object *params, const char *key) {
        int64_t t = 0;

        if (varlink_param_int(params, key, false, 0, INT64_MAX, &t) <= 0)
                return 0;
        return t;
}

static bool read_flag(struct json_object *params, const char *key) {
        bool b = false;

        if (varlink_param_bool(params, key, false, &b) <= 0)
                return false;
        return b;
}

/* One list of names: strings only, at most JIT_DESTINATIONS_MAX kept,
 * each sanitised and cut to JIT_DESTINATION_NAME_MAX. Returns false if
 * `key` is not an array. */
static bool read_names(struct json_object *params, const char *key,
                       char names[JIT_DESTINATIONS_MAX][JIT_DESTINATION_NAME_MAX + 1], size_t *ret_n,
                       bool *truncated) {
        struct json_object *list = json_member_of_type(params, key, json_type_array);
        size_t n = 0, len;

        *ret_n = 0;
        if (!list)
                return false;
        len = json_object_array_length(list);
        for (size_t i = 0; i < len; i++) {
                struct json_object *v = json_object_array_get_idx(list, i);

                if (!v || !json_object_is_type(v, json_type_string) || json_object_get_string_len(v) == 0)
                        continue;
                if (n >= JIT_DESTINATIONS_MAX) {
                        *truncated = true;
                        break;
                }
                jit_sanitize(json_object_get_string(v), names[n++], JIT_DESTINATION_NAME_MAX + 1);
        }
        *ret_n = n;
        return true;
}

/* Where a pending request went. Display only: malformed lists are simply
 * not shown, they never change the answer. */
static void read_destinations(struct json_object *params, JitdAnswer *a) {
        /* Without "endpoints" jitd said nothing about where (an older
         * jitd): then we must not claim that nobody was told either. */
        a->have_destinations =
                read_names(params, "endpoints", a->endpoints, &a->n_endpoints, &a->destinations_truncated);
        if (a->have_destinations && a->n_endpoints > 0)
                (void) read_names(params, "approvers", a->approvers, &a->n_approvers, &a->destinations_truncated);
}

/* io.jit.NoGrant and friends: believe the "no", take the details if sane. */
static void read_request_details(struct json_object *params, JitdAnswer *a) {
        a->state = read_state(params);
        (void) read_id(params, "request_id", 'r', a->request_id, sizeof(a->request_id));
        read_match_code(params, a);
        a->created = read_flag(params, "created");
        read_text(params, "decided_by", a->approver, sizeof(a->approver));
        if (a->state == JITD_STATE_PENDING)
                read_destinations(params, a);
        a->rate_limited = read_flag(params, "rate_limited");
        if (a->rate_limited)
                a->retry_after = read_time(params, "retry_after");
}

void jitd_rate_limited_text(const JitdAnswer *a, const char *subject, char *buf, size_t size) {
        char when[64];

        if (a->retry_after > 0)
                snprintf(buf, size,
                         "%s needs approval, but you have filed too many requests lately, so no new one was "
                         "sent. Try again after %s, or ask an approver.",
                         subject, jit_format_time(a->retry_after, when, sizeof(when)));
        else
                snprintf(buf, size,
                         "%s needs approval, but you have filed too many requests lately, so no new one was "
                         "sent. Try again later, or ask an approver.",
                         subject);
}

static void debug_log(const PamJitContext *ctx, const char *method, JitResult result, const JitdAnswer *a) {
        if (!ctx->args.debug)
                return;
        pam_syslog(ctx->pamh, LOG_DEBUG,
                   "jitd %s: result=%s state=%s request=%s grant=%s step=%s error=%d jitd_error=%s", method,
                   jit_result_to_string(result), jitd_state_to_string(a->state),
                   a->request_id[0] ? a->request_id : "-", a->grant_id[0] ? a->grant_id : "-",
                   a->failed_step ?: "-", a->error, a->error_name[0] ? a->error_name : "-");
}

/* ---- the calls ---- */

/* Check's and OpenSession's replies: 1 and *ret when the reply ends the
 * call (garbage, NoGrant with the request's details, another error), 0
 * and *ret_params for a success to read on. */
static int reply_unwrap(struct json_object *reply, JitdAnswer *a, struct json_object **ret_params, JitResult *ret) {
        const char *error = NULL;

        *ret_params = NULL;
        if (varlink_reply_parse(reply, &error, ret_params, NULL) < 0) {
                *ret = garbage(a);
                return 1;
        }
        if (!error)
                return 0;
        if (strcmp(error, JIT_ERROR_NO_GRANT) == 0) {
                read_request_details(*ret_params, a);
                *ret = JIT_RESULT_NO_GRANT;
        } else
                *ret = error_result(error, a);
        return 1;
}

static JitResult check_reply(struct json_object *reply, JitdAnswer *a) {
        struct json_object *params;
        const char *decision = NULL;
        JitResult result;

        if (reply_unwrap(reply, a, &params, &result) > 0)
                return result;

        if (varlink_param_string(params, "decision", true, 16, &decision) <= 0)
                return garbage(a);
        if (strcmp(decision, "ignore") == 0)
                return JIT_RESULT_IGNORE;
        if (strcmp(decision, "allow") != 0)
                return garbage(a);

        /* An allow must be exactly right. A grant id is optional (a
         * break-glass allow has none) but must be well-formed if present. */
        if (!read_id(params, "grant_id", 'g', a->grant_id, sizeof(a->grant_id)) &&
            json_object_object_get_ex(params, "grant_id", NULL))
                return garbage(a);
        a->expires_at = read_time(params, "expires_at");
        a->breakglass = read_flag(params, "breakglass");
        a->state = JITD_STATE_APPROVED;
        a->allow_audited = true;
        return JIT_RESULT_ALLOW;
}

/* One call with one reply: send `p` (owned), read the reply with `parse`,
 * log the outcome under `name` with debug. */
static JitResult call_once(const PamJitContext *ctx, const char *method, const char *name, struct json_object *p,
                           JitResult (*parse)(struct json_object *reply, JitdAnswer *a), JitdAnswer *answer) {
        _cleanup_(client_done) JitClient client = { .fd = -1 };
        _cleanup_json_ struct json_object *reply = NULL;
        JitResult result;

        if (exchange(ctx, &client, method, p, false, &reply, answer) < 0)
                result = exchange_failure(answer);
        else
                result = parse(reply, answer);

        debug_log(ctx, name, result, answer);
        return result;
}

JitResult jitd_check(const PamJitContext *ctx, bool create_request, JitdAnswer *answer) {
        _cleanup_json_ struct json_object *p = NULL;

        answer_init(answer);

        p = params_new(ctx, /* with_origin= */ true);
        if (!p || json_add(p, "create_request", json_object_new_boolean(create_request)) < 0)
                return failed(answer, "send", -ENOMEM, JIT_RESULT_SYSTEM_ERROR);

        return call_once(ctx, JIT_METHOD_CHECK, "Check", TAKE_PTR(p), check_reply, answer);
}

static JitResult request_reply(struct json_object *reply, JitdAnswer *a) {
        struct json_object *params = NULL;
        const char *error = NULL, *reason = NULL;

        if (varlink_reply_parse(reply, &error, &params, NULL) < 0)
                return garbage(a);
        if (error) {
                /* Policy does not cover this user/action after all. */
                if (strcmp(error, JIT_ERROR_INVALID_PARAMETER) == 0 &&
                    varlink_param_string(params, "reason", false, 64, &reason) > 0 &&
                    strcmp(reason, "not-covered") == 0)
                        return JIT_RESULT_IGNORE;
                if (strcmp(error, JIT_ERROR_NO_GRANT) == 0) {
                        read_request_details(params, a);
                        return JIT_RESULT_NO_GRANT;
                }
                /* Too many requests: a refusal like any other, never an
                 * outage (failmode does not apply). */
                if (strcmp(error, JIT_ERROR_RATE_LIMITED) == 0) {
                        jit_sanitize(error, a->error_name, sizeof(a->error_name));
                        a->state = JITD_STATE_NONE;
                        a->rate_limited = true;
                        a->retry_after = read_time(params, "retry_after");
                        return JIT_RESULT_NO_GRANT;
                }
                return error_result(error, a);
        }

        a->state = read_state(params);
        a->created = read_flag(params, "created");
        switch (a->state) {
        case JITD_STATE_PENDING:
                /* Without an id the user could not tell an approver what
                 * to approve: that is not an answer we can use. */
                if (!read_id(params, "request_id", 'r', a->request_id, sizeof(a->request_id)))
                        return garbage(a);
                read_match_code(params, a);
                read_destinations(params, a);
                return JIT_RESULT_NO_GRANT;
        case JITD_STATE_APPROVED:
                (void) read_id(params, "request_id", 'r', a->request_id, sizeof(a->request_id));
                if (!read_id(params, "grant_id", 'g', a->grant_id, sizeof(a->grant_id)))
                        return garbage(a);
                a->expires_at = read_time(params, "expires_at");
                return JIT_RESULT_ALLOW;
        default:
                return garbage(a);
        }
}

JitResult jitd_request(const PamJitContext *ctx, const char *reason, JitdAnswer *answer) {
        _cleanup_json_ struct json_object *p = NULL;

        answer_init(answer);

        p = params_new(ctx, /* with_origin= */ true);
        if (!p || json_add_string_optional(p, "reason", reason) < 0)
                return failed(answer, "send", -ENOMEM, JIT_RESULT_SYSTEM_ERROR);

        return call_once(ctx, JIT_METHOD_REQUEST, "Request", TAKE_PTR(p), request_reply, answer);
}

/* One WaitDecision reply. Returns 1 when the exchange is over (result in
 * *ret), 0 when more replies are to come. */
static int wait_reply(struct json_object *reply, JitdAnswer *a, JitResult *ret) {
        struct json_object *params = NULL;
        const char *error = NULL;
        bool continues = false;

        if (varlink_reply_parse(reply, &error, &params, &continues) < 0) {
                (void) garbage(a);
                *ret = JIT_RESULT_NO_GRANT;
                return 1;
        }
        if (error) {
                (void) error_result(error, a);
                *ret = JIT_RESULT_NO_GRANT;
                return 1;
        }

        a->state = read_state(params);
        switch (a->state) {
        case JITD_STATE_APPROVED:
                if (!read_id(params, "grant_id", 'g', a->grant_id, sizeof(a->grant_id))) {
                        (void) garbage(a);
                        a->state = JITD_STATE_UNKNOWN;
                        *ret = JIT_RESULT_NO_GRANT;
                        return 1;
                }
                a->expires_at = read_time(params, "expires_at");
                read_approver(params, a->approver, sizeof(a->approver));
                *ret = JIT_RESULT_ALLOW;
                return 1;
        case JITD_STATE_DENIED:
                read_approver(params, a->approver, sizeof(a->approver));
                read_text(params, "reason", a->reason, sizeof(a->reason));
                *ret = JIT_RESULT_NO_GRANT;
                return 1;
        case JITD_STATE_EXPIRED:
        case JITD_STATE_CANCELLED:
                *ret = JIT_RESULT_NO_GRANT;
                return 1;
        case JITD_STATE_PENDING:
                *ret = JIT_RESULT_NO_GRANT;
                return continues ? 0 : 1;
        default:
                (void) garbage(a);
                a->state = JITD_STATE_UNKNOWN;
                *ret = JIT_RESULT_NO_GRANT;
                return 1;
        }
}

JitResult jitd_wait_decision(const PamJitContext *ctx, const char *request_id, uint64_t wait_sec,
                             JitdAnswer *answer) {
        _cleanup_(client_done) JitClient client = { .fd = -1 };
        _cleanup_json_ struct json_object *reply = NULL, *p = NULL;
        uint64_t wait_deadline = now_monotonic_usec() + wait_sec * USEC_PER_SEC;
        JitResult result = JIT_RESULT_NO_GRANT;

        answer_init(answer);
        answer->state = JITD_STATE_PENDING;
        copy_string(answer->request_id, sizeof(answer->request_id), request_id);

        p = json_object_new_object();
        if (!p || json_add_string_optional(p, "request_id", request_id) < 0)
                return failed(answer, "send", -ENOMEM, JIT_RESULT_SYSTEM_ERROR);

        if (exchange(ctx, &client, JIT_METHOD_WAIT_DECISION, TAKE_PTR(p), /* more= */ true, &reply,
                     answer) >= 0)
                for (;;) {
                        int r;

                        if (wait_reply(reply, answer, &result) > 0)
                                break;

                        json_object_put(TAKE_PTR(reply));
                        r = jit_client_receive(&client, wait_deadline, &reply);
                        if (r == -ETIMEDOUT) {
                                answer->wait_timed_out = true;
                                break;
                        }
                        if (r < 0) {
                                (void) failed(answer, "receive", r, JIT_RESULT_NO_GRANT);
                                break;
                        }
                }

        /* The request exists: whatever went wrong, it is unanswered, and an
         * unanswered request never becomes access (see decision.h). */
        if (result != JIT_RESULT_ALLOW)
                result = JIT_RESULT_NO_GRANT;
        debug_log(ctx, "WaitDecision", result, answer);
        return result;
}

static JitResult open_session_reply(struct json_object *reply, JitdAnswer *a) {
        struct json_object *params;
        const char *decision = NULL;
        JitResult result;

        if (reply_unwrap(reply, a, &params, &result) > 0)
                return result;

        if (varlink_param_string(params, "decision", false, 16, &decision) > 0 &&
            strcmp(decision, "ignore") == 0)
                return JIT_RESULT_IGNORE;
        if (!read_id(params, "grant_id", 'g', a->grant_id, sizeof(a->grant_id)))
                return garbage(a);
        a->expires_at = read_time(params, "expires_at");
        a->breakglass = read_flag(params, "breakglass");
        return JIT_RESULT_ALLOW;
}

JitResult jitd_open_session(const PamJitContext *ctx, const char *session_id, JitdAnswer *answer) {
        _cleanup_json_ struct json_object *p = NULL;

        answer_init(answer);

        p = params_new(ctx, /* with_origin= */ true);
        if (!p || (session_id && json_add_string_optional(p, "session_id", session_id) < 0) ||
            json_add(p, "pid", json_object_new_int64((int64_t) getpid())) < 0)
                return failed(answer, "send", -ENOMEM, JIT_RESULT_SYSTEM_ERROR);

        return call_once(ctx, JIT_METHOD_OPEN_SESSION, "OpenSession", TAKE_PTR(p), open_session_reply, answer);
}

static JitResult close_session_reply(struct json_object *reply, JitdAnswer *a) {
        const char *error = NULL;

        if (varlink_reply_parse(reply, &error, NULL, NULL) < 0)
                return garbage(a);
        if (!error)
                return JIT_RESULT_ALLOW;
        /* A session jitd never recorded (opened under no grant, or before
         * jitd knew it): nothing to close. */
        if (strcmp(error, JIT_ERROR_NOT_FOUND) == 0 || strcmp(error, JIT_ERROR_NO_GRANT) == 0) {
                jit_sanitize(error, a->error_name, sizeof(a->error_name));
                return JIT_RESULT_IGNORE;
        }
        return error_result(error, a);
}

JitResult jitd_close_session(const PamJitContext *ctx, const char *session_id, JitdAnswer *answer) {
        _cleanup_json_ struct json_object *p = NULL;

        answer_init(answer);

        p = json_object_new_object();
        if (!p || json_add_string_optional(p, "user", ctx->user) < 0 ||
            json_add_string_optional(p, "session_id", session_id) < 0)
                return failed(answer, "send", -ENOMEM, JIT_RESULT_SYSTEM_ERROR);

        return call_once(ctx, JIT_METHOD_CLOSE_SESSION, "CloseSession", TAKE_PTR(p), close_session_reply, answer);
}
