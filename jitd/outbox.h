/* Telling approvers: the outbox of webhook messages (one per request event
 * and endpoint) and its scheduler on jitd's event loop. A request and its
 * outbox rows are written in one transaction, so nothing is lost to a
 * crash; messages are retried with backoff until delivered or too old.
 * The review server their links point to starts and stops with it
 * (review-server.h). */
#pragma once

#include <json-c/json.h>
#include <stdint.h>

#include "jitd.h"
#include "store.h"
#include "webhook-payload.h"

typedef struct Outbox Outbox;

/* Load the webhook secrets, start the review server (review-server.h), the
 * delivery engine and the outbox timer; nothing when no webhook is
 * configured. A secret that cannot be read is fatal (<0): messages would
 * go out unsigned. Call outbox_stop() after a failure too. */
int outbox_start(Manager *m);
void outbox_stop(Manager *m);

/* Queue the messages for one event of request `r` (every endpoint that
 * wants it). Joins the caller's transaction if one is open
 * (store_transaction_begin(); an expiry's is store_expire_due_tx()'s); call
 * outbox_kick() once it is committed. */
int outbox_enqueue(Manager *m, const RequestRecord *r, WebhookEventType event, int64_t now);
/* Look at the outbox soon (from the event loop, not from inside the call). */
void outbox_kick(Manager *m);

/* io.jit.Resend's rows: failed or cancelled messages of a request are due
 * again, and those still being retried are due now; if there are none, and
 * the request is still pending, a new "created" message is queued for each
 * endpoint (of `endpoint` only, if set). Committed; the caller kicks the
 * outbox (request_resend()). The number queued, or -errno (-ENOENT: no such
 * endpoint). */
int outbox_queue_again(Manager *m, const RequestRecord *r, const char *endpoint);

/* io.jit.Show (outbox-show.c): what was sent about a request and what came
 * back: "notifications" (delivery state per endpoint and event),
 * "approvals" (the votes cast, by link or jitctl) and "approvals_needed". */
int outbox_show_request(Manager *m, const RequestRecord *r, struct json_object *reply);
