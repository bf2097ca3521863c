/* One outbox message on its way out (see outbox-internal.h): a due row
 * turned into a job (its request and grants read, the approvers who get a
 * link picked), its links minted, its body built afresh for this attempt,
 * signed for the endpoint and posted; the outcome is written back into the
 * row (delivered, the next attempt time from webhook_retry_next(), or
 * failed when too old) and audited.
 *
 * Links are minted for the "created" message of a pending request only;
 * later events describe what happened. One link per approver named for the
 * endpoint (never for the requester), or one shared link when a trusted
 * proxy names the approver; a link expires with its request. An attempt in
 * flight is only in memory: after a crash the row is still due and goes
 * out again, with the same webhook-id, so receivers can drop the
 * duplicate. */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "list.h"
#include "log.h"
#include "macros.h"
#include "outbox-internal.h"
#include "random.h"
#include "review-server.h"
#include "test-hooks.h"
#include "text.h"
#include "webhook-payload.h"

/* ---- building one message ---- */

void job_erase(Job *j) {
        explicit_bzero(j->tokens, sizeof(j->tokens));
}

/* The approvers this message carries links for. */
static void job_pick_approvers(Outbox *ob, Job *j) {
        const ApproverConfig *n = ob->m->config.approval;
        const StringList *names = &n->approvers[j->request.action];

        j->n_links = 0;
        if (j->row.event != WEBHOOK_EVENT_REQUEST_CREATED || j->request.state != REQUEST_PENDING ||
            j->request.expires_at <= jit_now_realtime() || !review_server_public_url(ob->m))
                return;

        for (size_t i = 0; i < names->n && j->n_links < WEBHOOK_LINKS_MAX; i++) {
                /* The requester never gets a link to their own request. */
                if (strcmp(names->items[i], j->request.user) == 0)
                        continue;
                if (!webhook_config_links_for(n, j->endpoint, j->request.action, names->items[i]))
                        continue;
                snprintf(j->approvers[j->n_links++], sizeof(j->approvers[0]), "%s", names->items[i]);
        }
        if (j->n_links < WEBHOOK_LINKS_MAX && webhook_config_links_for(n, j->endpoint, j->request.action, ""))
                j->approvers[j->n_links++][0] = '\0';
}

/* Inside the scan's transaction: a token per link, its hash stored. */
int job_mint_links(Outbox *ob, Job *j, int64_t now) {
        for (size_t i = 0; i < j->n_links; i++) {
                ReviewLinkRecord l = {
                        .created_at = now,
                        .expires_at = j->request.expires_at,
                };
                int k;

                k = review_token_generate(j->tokens[i]);
                if (k >= 0)
                        k = review_token_hash(j->tokens[i], &l.hash);
                if (k < 0)
                        return k;
                snprintf(l.request_id, sizeof(l.request_id), "%s", j->request.id);
                snprintf(l.approver, sizeof(l.approver), "%s", j->approvers[i]);
                snprintf(l.endpoint, sizeof(l.endpoint), "%s", j->endpoint->name);
                k = store_review_link_insert(ob->m->store, &l);
                if (k < 0)
                        return k;
        }
        return 0;
}

int job_build_body(Outbox *ob, Job *j, char **ret, size_t *ret_size) {
        const RequestRecord *r = &j->request;
        WebhookReviewLink links[WEBHOOK_LINKS_MAX];
        char urls[WEBHOOK_LINKS_MAX][WEBHOOK_URL_MAX];
        WebhookEvent e = {
                .type = j->row.event,
                .request_id = r->id,
                .user = r->user,
                .host = ob->hostname,
                .action = r->action,
                .service = r->service,
                .rhost = r->rhost,
                .tty = r->tty,
                .reason = r->reason,
                .requested_duration_sec = r->duration_sec > 0 ? r->duration_sec
                                                              : ob->m->config.policy[r->action].default_duration_sec,
                .match_code = r->match_code,
                .request_expires_at = r->expires_at,
                .extends_grant_id = r->extends_grant_id,
                /* Its deadline while it runs; once an approval replaced
                 * it, the deadline it had. */
                .extends_grant_expires_at = j->have_extended && (j->extended.state == GRANT_ACTIVE ||
                                                                 j->row.event == WEBHOOK_EVENT_REQUEST_APPROVED)
                                                    ? j->extended.expires_at
                                                    : 0,
                .max_duration_sec = ob->m->config.policy[r->action].max_duration_sec,
                .links = links,
                .n_links = j->n_links,
        };
        int k;

        switch (j->row.event) {
        case WEBHOOK_EVENT_REQUEST_CREATED:
                e.timestamp = r->created_at;
                break;
        case WEBHOOK_EVENT_REQUEST_APPROVED:
                e.timestamp = r->decided_at;
                e.decided_by = r->decided_by;
                if (j->have_grant) {
                        e.grant_expires_at = j->grant.expires_at;
                        if (j->grant.expires_at > j->grant.created_at)
                                e.granted_duration_sec = (uint64_t) (j->grant.expires_at - j->grant.created_at);
                }
                break;
        case WEBHOOK_EVENT_REQUEST_DENIED:
        case WEBHOOK_EVENT_REQUEST_CANCELLED:
                e.timestamp = r->decided_at;
                e.decided_by = r->decided_by;
                e.decision_reason = r->decision_reason;
                break;
        case WEBHOOK_EVENT_REQUEST_EXPIRED:
                e.timestamp = r->expires_at;
                break;
        default:
                return -EINVAL;
        }

        for (size_t i = 0; i < j->n_links; i++) {
                snprintf(urls[i], sizeof(urls[i]), "%s/r/%s", review_server_public_url(ob->m), j->tokens[i]);
                links[i] = (WebhookReviewLink){ .approver = j->approvers[i], .url = urls[i] };
        }
        k = webhook_payload_build(&e, j->endpoint->format, ret, ret_size);
        explicit_bzero(urls, sizeof(urls));
        return k;
}

/* ---- attempts ---- */

void in_flight_free(InFlight *f) {
        Outbox *ob;

        if (!f)
                return;
        ob = f->outbox;
        LIST_REMOVE(ob->in_flight, f);
        ob->n_in_flight--;
        free(f);
}

static InFlight *in_flight_add(Outbox *ob, const OutboxRecord *row, const WebhookConfig *w) {
        InFlight *f = calloc(1, sizeof(InFlight));

        if (!f)
                return NULL;
        f->outbox = ob;
        f->row = *row;
        f->endpoint = w;
        LIST_PREPEND(ob->in_flight, f);
        ob->n_in_flight++;
        return f;
}

bool in_flight_has(Outbox *ob, int64_t id) {
        for (InFlight *f = ob->in_flight; f; f = f->next)
                if (f->row.id == id)
                        return true;
        return false;
}

size_t in_flight_to(Outbox *ob, const char *endpoint) {
        size_t n = 0;

        for (InFlight *f = ob->in_flight; f; f = f->next)
                if (strcmp(f->row.endpoint, endpoint) == 0)
                        n++;
        return n;
}

static void audit_notification(AuditEvent e, const OutboxRecord *row, const RequestRecord *r, long status,
                               const char *error, bool final) {
        audit_log(e, &(AuditFields) {
                             .request_id = row->request_id,
                             .user = r ? r->user : NULL,
                             .action = r ? jit_action_to_string(r->action) : NULL,
                             .endpoint = row->endpoint,
                             .notification = outbox_event_to_string(row->event),
                             .webhook_id = row->message_id,
                             .attempts = row->attempts,
                             .http_status = status,
                             .reason = error,
                             .final = final,
                     });
}

void outbox_write(Outbox *ob, const OutboxRecord *row) {
        int k = store_outbox_update(ob->m->store, row);

        /* Not written: the row stays due and is sent again (a duplicate
         * with the same webhook-id), never lost. */
        if (k < 0)
                log_error_errno(k, "Cannot record the delivery state of webhook message %s: %m", row->message_id);
}

static void on_attempt_done(WebhookDelivery *d, const WebhookResult *result, void *userdata) {
        InFlight *f = userdata;
        Outbox *ob = f->outbox;
        OutboxRecord *row = &f->row;
        const WebhookConfig *w = f->endpoint;
        RequestRecord req, *rp = NULL;
        uint64_t now = outbox_now_usec(), next = 0, random = 0;
        WebhookVerdict verdict = webhook_result_verdict(result);
        int k;

        if (store_get_request(ob->m->store, row->request_id, &req) >= 0)
                rp = &req;

        /* The attempt was counted before it was sent (job_post). */
        test_hook("webhook-answered");
        row->last_attempt_at = (int64_t) (now / USEC_PER_SEC);
        row->last_status = result->http_status >= 0 && result->http_status <= 999 ? result->http_status : 0;
        snprintf(row->last_error, sizeof(row->last_error), "%s", result->delivered ? "" : result->error);

        if (verdict == WEBHOOK_VERDICT_DELIVERED) {
                row->state = OUTBOX_DELIVERED;
                row->delivered_at = row->last_attempt_at;
                outbox_write(ob, row);
                audit_notification(AUDIT_NOTIFICATION_DELIVERED, row, rp, result->http_status, NULL, false);
                log_debug("Webhook %s accepted %s message %s for %s (attempt %u, HTTP %ld, %" PRIu64 " ms).",
                          row->endpoint, outbox_event_to_string(row->event), row->message_id, row->request_id,
                          row->attempts, result->http_status, result->elapsed_usec / 1000);
        } else {
                WebhookRetryPolicy policy = {
                        .initial_delay_usec = w->retry_initial_sec * USEC_PER_SEC,
                        .max_delay_usec = w->retry_max_delay_sec * USEC_PER_SEC,
                        .max_age_usec = w->max_age_sec * USEC_PER_SEC,
                };
                uint64_t first = row->created_at > 0 ? (uint64_t) row->created_at * USEC_PER_SEC : now;

                k = 0;
                if (verdict == WEBHOOK_VERDICT_RETRY) {
                        (void) random_u64(&random);
                        k = webhook_retry_next(&policy, row->attempts, first, now,
                                               result->retry_after_sec * USEC_PER_SEC, random, &next);
                }
                if (k > 0) {
                        row->next_attempt_usec = next;
                } else {
                        row->state = OUTBOX_FAILED;
                        if (verdict == WEBHOOK_VERDICT_GIVE_UP)
                                snprintf(row->last_error, sizeof(row->last_error), "%s",
                                         "the receiver answered 410 Gone");
                        log_error("Giving up on webhook %s for request %s (%s) after %u attempts: %s", row->endpoint,
                                  row->request_id, outbox_event_to_string(row->event), row->attempts,
                                  row->last_error);
                }
                outbox_write(ob, row);
                audit_notification(AUDIT_NOTIFICATION_FAILED, row, rp, result->http_status, row->last_error,
                                   row->state == OUTBOX_FAILED);
        }

        in_flight_free(f);
        outbox_kick(ob->m);
}

int job_post(Outbox *ob, Job *j, const char *body, size_t body_size) {
        const WebhookConfig *w = j->endpoint;
        const WebhookSecret *secret = j->endpoint_index < ob->n_secrets ? &ob->secrets[j->endpoint_index] : NULL;
        WebhookSignatureHeaders sh;
        const char *headers[4];
        size_t n_headers = 0;
        InFlight *f;
        int k;

        if (secret && secret->size > 0) {
                k = webhook_signature_headers(secret, j->row.message_id, jit_now_realtime(), body, body_size, &sh);
                if (k < 0)
                        return k;
                headers[n_headers++] = sh.id;
                headers[n_headers++] = sh.timestamp;
                headers[n_headers++] = sh.signature;
        } else {
                /* Unsigned (Slack, Teams without secret_file): still the
                 * message's id, so a receiver or relay can drop a retry it
                 * has seen. */
                snprintf(sh.id, sizeof(sh.id), "webhook-id: %s", j->row.message_id);
                headers[n_headers++] = sh.id;
        }

        f = in_flight_add(ob, &j->row, w);
        if (!f)
                return -ENOMEM;

        /* Counted on disk before a byte is sent: a message that went out
         * and was then cut short by a crash is sent again after it, and
         * `attempts` must say so. The row stays due, so after a crash it
         * goes out again either way; if it cannot be written, the message
         * still goes now (late is worse than miscounted). */
        f->row.attempts++;
        f->row.last_attempt_at = jit_now_realtime();
        k = store_outbox_update(ob->m->store, &f->row);
        if (k < 0)
                log_error_errno(k, "Cannot record the attempt to send webhook message %s: %m", f->row.message_id);

        k = webhook_delivery_post(ob->delivery,
                                  &(WebhookRequest) {
                                          .url = w->url,
                                          .body = body,
                                          .body_size = body_size,
                                          .headers = headers,
                                          .n_headers = n_headers,
                                          .ca_file = w->ca_file,
                                          .proxy = w->proxy,
                                          .allow_http_loopback = w->allow_http_loopback,
                                          .connect_timeout_usec = w->connect_timeout_sec * USEC_PER_SEC,
                                          .timeout_usec = w->timeout_sec * USEC_PER_SEC,
                                  },
                                  on_attempt_done, f, &f->attempt);
        if (k < 0) {
                /* Refused before anything was sent (the transport rules,
                 * or all slots busy): a failed attempt like any other. */
                WebhookResult res = { .curl_code = -1 };

                snprintf(res.error, sizeof(res.error), "not sent: %s", strerror(-k));
                on_attempt_done(ob->delivery, &res, f);
        }
        return 0;
}

/* A row that cannot be sent as it is (endpoint gone, request gone, too
 * old): settle it without an attempt. */
static void row_settle(Outbox *ob, OutboxRecord *row, OutboxState state, const char *why) {
        RequestRecord req;

        row->state = state;
        snprintf(row->last_error, sizeof(row->last_error), "%s", why);
        outbox_write(ob, row);
        log_warning("Webhook message %s to %s for %s: %s.", row->message_id, row->endpoint, row->request_id, why);
        if (state == OUTBOX_FAILED)
                audit_notification(AUDIT_NOTIFICATION_FAILED, row,
                                   store_get_request(ob->m->store, row->request_id, &req) >= 0 ? &req : NULL, 0, why,
                                   true);
}


/* Turn one due row into a job: 1 ready, 0 settled without an attempt
 * (too old, request gone), <0 the store failed. */
int job_prepare(Outbox *ob, const OutboxRecord *row, const WebhookConfig *w, size_t endpoint_index,
                       int64_t now_sec, Job *j) {
        Manager *m = ob->m;
        OutboxRecord settle = *row;
        int k;

        *j = (Job) {};
        if (row->created_at > 0 && (uint64_t) now_sec > (uint64_t) row->created_at + w->max_age_sec + 60) {
                /* jitd was down past the message's max_age. */
                row_settle(ob, &settle, OUTBOX_FAILED, "older than max_age, not sent");
                return 0;
        }
        k = store_get_request(m->store, row->request_id, &j->request);
        if (k == -ENOENT) {
                row_settle(ob, &settle, OUTBOX_CANCELLED, "its request is gone");
                return 0;
        }
        if (k < 0)
                return log_warning_errno(k, "Cannot read request %s for a webhook, retrying: %m", row->request_id);
        if (j->request.grant_id[0] && store_get_grant(m->store, j->request.grant_id, &j->grant) >= 0)
                j->have_grant = true;
        if (j->request.extends_grant_id[0] &&
            store_get_grant(m->store, j->request.extends_grant_id, &j->extended) >= 0)
                j->have_extended = true;
        j->row = *row;
        j->endpoint = w;
        j->endpoint_index = endpoint_index;
        job_pick_approvers(ob, j);
        return 1;
}
