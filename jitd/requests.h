/* Requests for access: filing one (with its webhook messages, under the
 * request limit), and what io.jit.Request does with a user's wish: reuse
 * the pending request, report the live grant, or file a new one, possibly
 * to extend a live grant. Who may ask for whom, and which policy verdicts
 * allow a request at all, is the caller's (methods.c) to check first. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "jitd.h"
#include "store.h"

typedef struct RequestInput {
        const char *user;
        JitAction action;
        const char *service, *rhost, *tty; /* where from; NULL: unknown */
        const char *reason;                /* NULL: none yet */
        uint64_t duration_sec;             /* 0: the policy's default */
        const char *extends;               /* NULL, or the live grant this asks more time for */
} RequestInput;

/* File a new pending request with its "created" messages, audit it and
 * re-arm the expiry timer. -EDQUOT: the user has filed request_limit
 * requests already (the refusal is audited); *ret_retry_at says when one
 * more is possible. */
int request_create(Manager *m, const RequestInput *in, int64_t now, RequestRecord *ret, int64_t *ret_retry_at);

typedef struct RequestFiled {
        /* The user holds a live grant for the action already (a plain
         * request only): `grant`, and `request` if it came from one. */
        bool granted;
        GrantRecord grant;
        bool have_request;
        RequestRecord request; /* the pending request (granted: the grant's request) */
        bool created;          /* filed now, rather than the pending one reused */
        int64_t retry_at;      /* -EDQUOT */
} RequestFiled;

/* io.jit.Request once the caller may ask and the policy covers the user.
 * One pending request per user and action (and extended grant): a second
 * ask reuses it, adding a reason it lacked. 0, or:
 *   -ENOENT  `extends` names no grant
 *   -EXDEV   `extends` is not this user's grant for this action
 *   -ESTALE  `extends` is no longer live: ret->grant says why
 *   -EDQUOT  rate-limited: ret->retry_at
 *   other    the store failed */
int request_file(Manager *m, const RequestInput *in, int64_t now, RequestFiled *ret);

/* io.jit.Resend: the request's messages go out again (outbox_queue_again()),
 * then the outbox is kicked. The number queued, or -errno. */
int request_resend(Manager *m, const RequestRecord *r, const char *endpoint);
