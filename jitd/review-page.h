/* The approver's pages: the review page (who, what, where, why, the match
 * code, Approve with a duration capped by policy, Deny with a reason) and
 * the result pages. Self-contained HTML (inline CSS, no scripts, no
 * external assets) readable on a phone; every interpolated string is
 * sanitised and HTML-escaped. Also the security headers every response
 * carries. The form's field names and parsing are review-form.h's. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jit-protocol.h"
#include "review-form.h"

#define REVIEW_PAGE_MAX (64U * 1024U)
#define REVIEW_DURATION_CHOICES_MAX 16U


typedef struct ReviewHeader {
        const char *name;
        const char *value;
} ReviewHeader;

/* Content-Security-Policy, Referrer-Policy, X-Frame-Options,
 * X-Content-Type-Options, Cache-Control: on every response, errors too. */
extern const ReviewHeader review_page_headers[];
extern const size_t review_page_n_headers;
#define REVIEW_PAGE_CONTENT_TYPE "text/html; charset=utf-8"

typedef struct ReviewPageView {
        const char *request_id;
        const char *user;
        const char *host;
        JitAction action;
        const char *service;
        const char *rhost;
        const char *tty;
        const char *reason;
        const char *match_code;
        uint64_t requested_duration_sec; /* 0: the policy default */
        uint64_t default_duration_sec;   /* policy default */
        uint64_t max_duration_sec;       /* policy maximum: no choice above it is offered */
        int64_t created_at;
        int64_t expires_at;      /* the request expires unanswered then */
        const char *approver;    /* whom the page is for */
        const char *csrf_token;  /* bound to the link (and approver) */
        unsigned approvals;      /* quorum progress; approvals_needed <= 1 hides it */
        unsigned approvals_needed;
        /* An extension (jitctl extend): the grant it asks more time for and
         * that grant's deadline as it stands (0: unknown or ended). */
        const char *extends_grant_id;
        int64_t extends_grant_expires_at;
} ReviewPageView;

typedef enum ReviewOutcomeKind {
        REVIEW_OUTCOME_APPROVED,          /* this decision granted access */
        REVIEW_OUTCOME_APPROVAL_RECORDED, /* counted towards a quorum; not granted yet */
        REVIEW_OUTCOME_ALREADY_COUNTED,   /* this approver had already approved */
        REVIEW_OUTCOME_DENIED,
        REVIEW_OUTCOME_ALREADY_APPROVED,  /* someone decided first */
        REVIEW_OUTCOME_ALREADY_DENIED,
        REVIEW_OUTCOME_WITHDRAWN,         /* the requester withdrew it (state cancelled) */
        REVIEW_OUTCOME_CLOSED,            /* otherwise no longer pending */
        REVIEW_OUTCOME_EXPIRED,           /* the request or the link expired */
        REVIEW_OUTCOME_INVALID_LINK,      /* unknown or malformed token */
        REVIEW_OUTCOME_OWN_REQUEST,       /* the requester cannot approve their own request */
        REVIEW_OUTCOME_NOT_APPROVER,      /* trusted-header identity missing or not an approver */
        REVIEW_OUTCOME_FORM_INVALID,      /* missing/wrong CSRF token or malformed form */
        REVIEW_OUTCOME_DURATION_TOO_LONG,
        REVIEW_OUTCOME_PROXY_REQUIRED,    /* identity_header mode: not sent through the proxy */
        REVIEW_OUTCOME_ERROR,
        _REVIEW_OUTCOME_MAX,
        _REVIEW_OUTCOME_INVALID = -1,
} ReviewOutcomeKind;

typedef struct ReviewOutcome {
        ReviewOutcomeKind kind;
        const char *request_id;
        const char *user;
        JitAction action;
        const char *host;
        const char *decided_by;      /* who decided (already approved/denied by X; withdrawn: the requester) */
        int64_t grant_expires_at;    /* approved: access ends then */
        const char *decision_reason; /* denied; withdrawn: the requester's reason */
        unsigned approvals;
        unsigned approvals_needed;
        uint64_t max_duration_sec; /* DURATION_TOO_LONG */
} ReviewOutcome;

/* The HTTP status a result page is sent with. */
unsigned review_outcome_http_status(ReviewOutcomeKind k);

/* Render into a malloc()ed NUL-terminated page. -EINVAL for a view
 * without request id or CSRF token, -EMSGSIZE above REVIEW_PAGE_MAX. */
int review_page_render(const ReviewPageView *v, char **ret, size_t *ret_size);
int review_page_render_outcome(const ReviewOutcome *o, char **ret, size_t *ret_size);

/* The durations offered: a ladder of common values below max, max itself,
 * and the requested duration if it is within max. Ascending, unique.
 * *ret_selected is the index to preselect (the requested duration, capped
 * at max; the policy default if none was requested). Returns the count. */
size_t review_duration_choices(uint64_t requested_sec, uint64_t default_sec, uint64_t max_sec,
                               uint64_t out[static REVIEW_DURATION_CHOICES_MAX], size_t *ret_selected);

/* HTML-escape `s` (&, <, >, ", ') after sanitising it; for tests and for
 * callers composing their own markup. malloc()ed; NULL if out of memory
 * or longer than REVIEW_PAGE_MAX once escaped. */
char *review_html_escape(const char *s);
