/* Telling approvers: the outbox of webhook messages (one per request event
 * and endpoint), its scheduler on jitd's event loop, the review links each
 * message carries, and the review-link web server. A request and its
 * outbox rows are written in one transaction, so nothing is lost to a
 * crash; messages are retried with backoff until delivered or too old. */
#pragma once

#include <json-c/json.h>
#include <stdint.h>

#include "jitd.h"
#include "review-token.h"
#include "store.h"

typedef struct Notifier Notifier;

typedef enum NotifyEvent {
        NOTIFY_EVENT_CREATED,
        NOTIFY_EVENT_APPROVED,
        NOTIFY_EVENT_DENIED,
        NOTIFY_EVENT_EXPIRED,
        NOTIFY_EVENT_CANCELLED, /* withdrawn by the requester */
} NotifyEvent;

/* Load the secrets and the review key, start the delivery engine, the
 * review server (when webhooks are configured) and the outbox timer. A
 * secret that cannot be read is fatal (<0): messages would go out
 * unsigned. A review server that cannot listen is logged and left out. */
int notify_start(Manager *m);
void notify_stop(Manager *m);

/* Insert a new request and its "created" messages in one transaction, then
 * schedule them. */
int notify_insert_request(Manager *m, const RequestRecord *r);
/* Queue the messages for one event of request `r` (every endpoint that
 * wants it). Joins the caller's transaction if one is open
 * (store_transaction_begin(); an expiry's is store_expire_due_tx()'s); call
 * notify_kick() once it is committed. */
int notify_enqueue(Manager *m, const RequestRecord *r, NotifyEvent event, int64_t now);
/* Look at the outbox soon (from the event loop, not from inside the call). */
void notify_kick(Manager *m);

/* io.jit.Show: add "notifications" (delivery state per endpoint and event),
 * "approvals" and "approvals_needed" to a request reply. */
int notify_show_request(Manager *m, const RequestRecord *r, struct json_object *reply);
/* io.jit.Resend: failed or cancelled messages of a request go out again,
 * and those still being retried go out now; if there are none, and the
 * request is still pending, a new "created" message goes to each endpoint
 * (of `endpoint` only, if set). The number queued. */
int notify_resend(Manager *m, const RequestRecord *r, const char *endpoint);

/* For review.c: the CSRF key, and the base URL links use (its origin is
 * the only one a decision may be posted from). */
const ReviewKey *notify_review_key(Manager *m);
const char *notify_public_url(Manager *m);
