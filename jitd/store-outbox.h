/* The notification tables of the store (schema step 3 in store-schema.c):
 * the webhook outbox and the review links (token hashes only); the
 * approvals that count towards a quorum are in store.h. Same contract as
 * store.h: -errno, rows read back are validated, writes are on disk before
 * success is returned unless the caller holds a transaction
 * (store_transaction_begin()), in which case they commit with it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config-approvers.h"
#include "jit-protocol.h"
#include "review-token.h"
#include "store.h"
#include "webhook-payload.h"
#include "webhook-sign.h"

typedef enum OutboxState {
        OUTBOX_PENDING,
        OUTBOX_DELIVERED,
        OUTBOX_FAILED,    /* gave up: too old, or the receiver said 410 Gone */
        OUTBOX_CANCELLED, /* its endpoint is no longer configured */
        _OUTBOX_STATE_MAX,
        _OUTBOX_STATE_INVALID = -1,
} OutboxState;

const char *outbox_state_to_string(OutboxState s);
OutboxState outbox_state_from_string(const char *s);
/* "created", "approved", "denied", "expired", "cancelled" (the outbox's and
 * jitctl's names). */
const char *outbox_event_to_string(WebhookEventType t);
WebhookEventType outbox_event_from_string(const char *s);

#define OUTBOX_ERROR_MAX 256

typedef struct OutboxRecord {
        int64_t id;
        char message_id[WEBHOOK_MESSAGE_ID_MAX];
        char endpoint[CONFIG_WEBHOOK_NAME_MAX + 1];
        char request_id[JIT_ID_MAX];
        WebhookEventType event;
        int64_t created_at;          /* unix seconds */
        uint64_t next_attempt_usec;  /* CLOCK_REALTIME */
        unsigned attempts;
        OutboxState state;
        long last_status;
        char last_error[OUTBOX_ERROR_MAX];
        int64_t last_attempt_at;
        int64_t delivered_at;
        char requester[JIT_USER_MAX + 1]; /* the request's user (schema 7; '' before) */
        int64_t turn;                     /* its place in the endpoint's round-robin (schema 7) */
} OutboxRecord;

/* A new row (r->id and r->turn are ignored). Its turn is the one after
 * the requester's last message still pending for this endpoint, and never
 * below the lowest turn still pending there: each endpoint goes round the
 * requesters with messages due, one message each per round. */
int store_outbox_insert(Store *s, const OutboxRecord *r);
/* Pending rows due at now_usec, earliest first, at most `limit`; *ret is
 * malloc()ed. */
int store_outbox_list_due(Store *s, uint64_t now_usec, unsigned limit, OutboxRecord **ret, size_t *ret_n);
/* Pending rows of one endpoint due at now_usec in the order they go out:
 * lowest turn first (round-robin over requesters), then oldest. */
int store_outbox_list_fair(Store *s, const char *endpoint, uint64_t now_usec, unsigned limit, OutboxRecord **ret,
                           size_t *ret_n);
/* The earliest next_attempt_usec of a pending row: 1 found, 0 none. */
int store_outbox_next_due(Store *s, uint64_t *ret_usec);
/* The same among rows due after `after_usec` only. */
int store_outbox_next_due_after(Store *s, uint64_t after_usec, uint64_t *ret_usec);
/* Write back the outcome of an attempt: state, attempts, next attempt,
 * last status/error, times. */
int store_outbox_update(Store *s, const OutboxRecord *r);
/* Every row of one request, oldest first (at most 256). */
int store_outbox_list_request(Store *s, const char *request_id, OutboxRecord **ret, size_t *ret_n);
/* Failed or cancelled rows of a request (of one endpoint if not NULL)
 * pending again: attempts 0, due now, their age counted from now; rows
 * still pending are due now. The number of rows changed. */
int store_outbox_requeue(Store *s, const char *request_id, const char *endpoint, uint64_t now_usec, int64_t now);
/* Pending rows of endpoints not among names[0..n) cancelled, with `why`
 * as their last error. The number of rows changed. */
int store_outbox_cancel_other_endpoints(Store *s, const char *const *names, size_t n, const char *why);
/* Counts by state, for the benchmarks and the log. */
int store_outbox_count(Store *s, OutboxState state, uint64_t *ret);

typedef struct ReviewLinkRecord {
        ReviewTokenHash hash;
        char request_id[JIT_ID_MAX];
        char approver[JIT_USER_MAX + 1]; /* "" = shared */
        char endpoint[CONFIG_WEBHOOK_NAME_MAX + 1];
        int64_t created_at;
        int64_t expires_at;
} ReviewLinkRecord;

int store_review_link_insert(Store *s, const ReviewLinkRecord *l);
/* -ENOENT for an unknown hash. */
int store_review_link_get(Store *s, const ReviewTokenHash *h, ReviewLinkRecord *ret);
/* Links that expired before `before`. Returns the number removed. */
int store_review_links_purge(Store *s, int64_t before);
