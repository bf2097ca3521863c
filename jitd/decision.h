/* Deciding a request: the one code path behind io.jit.Approve/Deny (jitctl)
 * and the review page's POST. It checks what every approval must satisfy
 * whoever asks (not the requester's own request, under any account, still pending, not
 * expired, a duration within policy), counts the vote towards the quorum,
 * and when the quorum is reached flips the request, creates the grant and
 * queues the outcome webhooks, all in one transaction; then it audits,
 * wakes the waiting login or sudo and starts the grant's timer. Who may
 * call it (admin, holder of a review link) is the caller's business. */
#pragma once

#include <stdint.h>

#include "jitd.h"
#include "store.h"

typedef enum DecisionOutcome {
        DECISION_APPROVED,          /* granted: result->grant is the new grant */
        DECISION_APPROVAL_RECORDED, /* one more vote; the quorum is not reached yet */
        DECISION_DENIED,
        DECISION_CANCELLED, /* deny by the requester: withdrawn, state cancelled */
} DecisionOutcome;

typedef struct DecisionInput {
        const char *request_id;
        const char *approver;   /* a user name: the account that decides */
        /* The person behind it (person.h): approve needs one, and
         * compares it with the requester and counts the quorum by it; deny
         * takes the requester's as a withdrawal. NULL: none known (root
         * outside a login); a review link's approver is its own person. */
        const char *approver_person;
        /* Approve: the user of the login the decision came from (person.h),
         * NULL if none: never the requester either, so nobody approves
         * their own request through another account (sudo -u). */
        const char *approver_login;
        const char *via;        /* "jitctl", "web": recorded with the vote */
        uint64_t duration_sec;  /* approve: 0 = what was requested (cut to the policy maximum) */
        const char *reason;     /* deny: may be NULL */
} DecisionInput;

typedef struct DecisionResult {
        DecisionOutcome outcome;
        RequestRecord request;     /* as it is now; see the error codes below */
        GrantRecord grant;         /* DECISION_APPROVED */
        unsigned approvals;        /* votes so far */
        unsigned approvals_needed; /* the quorum */
        uint64_t max_duration_sec; /* the policy maximum (for -ERANGE) */
} DecisionResult;

/* 0 and *ret filled, or:
 *   -ENOENT     unknown request
 *   -EPERM      the approver (account or person) is the requester
 *   -ESTALE     no longer pending: ret->request.state says what it is
 *               (REQUEST_EXPIRED also for a pending one past its deadline),
 *               decided_by who decided
 *   -EALREADY   (approve) this person's vote is counted already
 *   -ERANGE     (approve) duration above the policy maximum
 *   -EINVAL     invalid duration
 *   other       the store failed */
int decision_approve(Manager *m, const DecisionInput *in, DecisionResult *ret);
int decision_deny(Manager *m, const DecisionInput *in, DecisionResult *ret);
