/* The review form: what a POST to a review link carries (review-form.c).
 * The fields are picked out of the decoded body (http-server.h's
 * HttpFormField), each at most once, and the decision is read from them;
 * the CSRF token is checked by the caller (review_csrf_verify). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "http-server.h"
#include "jit-protocol.h"

/* Form fields (application/x-www-form-urlencoded). */
#define REVIEW_FIELD_CSRF "csrf"
#define REVIEW_FIELD_DECISION "decision"
#define REVIEW_FIELD_DURATION "duration"
#define REVIEW_FIELD_REASON "reason"
#define REVIEW_DECISION_APPROVE "approve"
#define REVIEW_DECISION_DENY "deny"

/* The four fields, NULL when absent; they point into the fields they were
 * picked from. */
typedef struct ReviewForm {
        const char *csrf;
        const char *decision;
        const char *duration;
        const char *reason;
} ReviewForm;

/* Pick the review fields (others are ignored). -EBADMSG for a field that
 * occurs twice: which one did the person mean? */
int review_form_pick(const HttpFormField *fields, size_t n_fields, ReviewForm *ret);

typedef enum ReviewDecisionKind {
        REVIEW_DECISION_KIND_APPROVE,
        REVIEW_DECISION_KIND_DENY,
} ReviewDecisionKind;

typedef struct ReviewDecision {
        ReviewDecisionKind kind;
        uint64_t duration_sec;            /* approve */
        char reason[JIT_REASON_MAX + 1];  /* deny; sanitised, may be empty */
} ReviewDecision;

/* Parse the form values (NULL = absent). -EINVAL: unknown decision or a
 * malformed/missing duration for approve; -ERANGE: a duration above
 * max_duration_sec; -EMSGSIZE: a reason above JIT_REASON_MAX bytes. The
 * CSRF token is checked by the caller (review_csrf_verify). */
int review_form_parse(const char *decision, const char *duration, const char *reason, uint64_t max_duration_sec,
                      ReviewDecision *ret);
