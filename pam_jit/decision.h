/* The module's exchanges with jitd (Check, Request, WaitDecision,
 * OpenSession, CloseSession) and how their answers are read. Each returns a
 * JitResult and fills a JitdAnswer with what jitd said, already validated
 * and sanitised, or with why the exchange failed. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "jit-protocol.h"
#include "pam_jit.h"

typedef enum JitdState {
        JITD_STATE_UNKNOWN, /* not said, or not understood */
        JITD_STATE_NONE,
        JITD_STATE_PENDING,
        JITD_STATE_APPROVED,
        JITD_STATE_DENIED,
        JITD_STATE_EXPIRED,
        JITD_STATE_CANCELLED,
        _JITD_STATE_MAX,
} JitdState;

typedef struct JitdAnswer {
        JitdState state;
        char request_id[JIT_ID_MAX]; /* "" if none */
        char match_code[JIT_MATCH_CODE_MAX];
        char grant_id[JIT_ID_MAX];
        /* sanitised: shown and logged; "root (alice)" when jitd names the
         * person behind the account (alice approved through sudo) */
        char approver[2 * JIT_USER_MAX + 4];
        char reason[JIT_REASON_MAX + 1]; /* sanitised: a denial's reason */
        int64_t expires_at;              /* grant deadline, wall clock; 0 if unknown */
        bool created;                    /* Check/Request: this call created the request */
        bool breakglass;
        bool wait_timed_out; /* WaitDecision: our wait= ran out first */
        /* Check/Request: the user filed too many requests lately
         * (request_limit in jitd.conf), so none was created; a new one is
         * possible at retry_after (wall clock; 0 if not said). */
        bool rate_limited;
        int64_t retry_after;
        /* Check said "allow": jitd has written this access's
         * access-allowed (or breakglass) audit entry before replying. */
        bool allow_audited;

        /* Check/Request: where the pending request was announced, names
         * sanitised. have_destinations is false if jitd did not say; both
         * lists empty means nobody was told (an admin must use jitctl). */
        bool have_destinations;
        bool destinations_truncated; /* jitd listed more than we keep */
        char endpoints[JIT_DESTINATIONS_MAX][JIT_DESTINATION_NAME_MAX + 1];
        size_t n_endpoints;
        char approvers[JIT_DESTINATIONS_MAX][JIT_DESTINATION_NAME_MAX + 1];
        size_t n_approvers;

        /* Why the exchange failed, for the one log line about it. */
        const char *failed_step; /* "connect", "send", "receive", "reply"; NULL if it did not fail */
        int error;               /* negative errno of the failed step */
        char error_name[64];     /* the io.jit.* error jitd answered with, sanitised */
} JitdAnswer;

const char *jitd_state_to_string(JitdState s);
JitdState jitd_state_from_string(const char *s);

/* "<subject> needs approval, but ..." for a rate-limited answer: what the
 * user is shown in the account and the auth phase alike. */
void jitd_rate_limited_text(const JitdAnswer *a, const char *subject, char *buf, size_t size);

/* allow -> ALLOW, ignore -> IGNORE, io.jit.NoGrant -> NO_GRANT. */
JitResult jitd_check(const PamJitContext *ctx, bool create_request, JitdAnswer *answer);
/* pending -> NO_GRANT with request_id and match_code; approved -> ALLOW;
 * policy not covering -> IGNORE. `reason` may be NULL. */
JitResult jitd_request(const PamJitContext *ctx, const char *reason, JitdAnswer *answer);
/* Waits up to wait_sec for a decision on an existing request: approved ->
 * ALLOW; anything else, failures included, -> NO_GRANT: once a request
 * exists it is answered or unanswered, never "unreachable", so failmode
 * can never turn an unanswered request into access. */
JitResult jitd_wait_decision(const PamJitContext *ctx, const char *request_id, uint64_t wait_sec,
                             JitdAnswer *answer);
/* Recorded -> ALLOW (grant_id set); policy not covering -> IGNORE. session_id
 * NULL for sudo: jitd finds the caller's logind session itself. */
JitResult jitd_open_session(const PamJitContext *ctx, const char *session_id, JitdAnswer *answer);
JitResult jitd_close_session(const PamJitContext *ctx, const char *session_id, JitdAnswer *answer);
