/* The webhook outbox and its scheduler (see notify.h).
 *
 * The outbox is the truth: a message is a row, written in the transaction
 * that created or decided its request. The scheduler reads due rows, builds
 * each body afresh (the request as it is now, review links minted for this
 * attempt: the database never holds a working link, only its hash), signs
 * it for generic endpoints, and posts it through the libcurl engine; the
 * outcome goes back into the row (delivered, or the next attempt time from
 * webhook_retry_next(), or failed when too old). An attempt in flight is
 * only in memory: after a crash the row is still due and goes out again,
 * with the same webhook-id, so receivers can drop the duplicate.
 *
 * Links are minted for the "created" message of a pending request only;
 * later events describe what happened. One link per approver named for the
 * endpoint (never for the requester), or one shared link when a trusted
 * proxy names the approver; a link expires with its request. */

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "config-notify.h"
#include "http-server.h"
#include "log.h"
#include "macros.h"
#include "notify-util.h"
#include "test-hooks.h"
#include "notify.h"
#include "review.h"
#include "store-internal.h"
#include "store-notify.h"
#include "text.h"
#include "webhook-delivery.h"
#include "webhook-payload.h"
#include "webhook-sign.h"

#define USEC_PER_SEC 1000000ULL
/* Messages in flight to one endpoint at a time. The outbox sends each
 * endpoint's messages round-robin over their requesters; what is already
 * in flight is ahead of everyone, so this is also how many messages a
 * requester's notice can find ahead of it at a receiver that takes one
 * at a time. */
#define NOTIFY_ENDPOINT_IN_FLIGHT_MAX 4U
/* If the store cannot say what is due, look again this much later. */
#define NOTIFY_RETRY_USEC (10ULL * USEC_PER_SEC)
/* Expired links are kept this long, so a late click says "expired", not
 * "unknown link". */
#define NOTIFY_LINK_KEEP_SEC (7LL * 24 * 3600)
#define NOTIFY_PURGE_INTERVAL_USEC (3600ULL * USEC_PER_SEC)
#define KEY_FILE_NAME "review.key"

_Static_assert((int) NOTIFY_EVENT_CREATED == (int) WEBHOOK_EVENT_REQUEST_CREATED &&
                       (int) NOTIFY_EVENT_APPROVED == (int) WEBHOOK_EVENT_REQUEST_APPROVED &&
                       (int) NOTIFY_EVENT_DENIED == (int) WEBHOOK_EVENT_REQUEST_DENIED &&
                       (int) NOTIFY_EVENT_EXPIRED == (int) WEBHOOK_EVENT_REQUEST_EXPIRED &&
                       (int) NOTIFY_EVENT_CANCELLED == (int) WEBHOOK_EVENT_REQUEST_CANCELLED,
               "NotifyEvent follows WebhookEventType");

typedef struct InFlight InFlight;
struct InFlight {
        Notifier *notifier;
        InFlight *prev, *next;
        OutboxRecord row;
        const WebhookConfig *endpoint;
        WebhookAttempt *attempt;
};

struct Notifier {
        Manager *m;
        WebhookDelivery *delivery;
        HttpServer *http;
        ReviewKey key;
        WebhookSecret *secrets; /* one per configured webhook; size 0: none */
        size_t n_secrets;
        char *proxy_secret; /* [review] identity_secret_file's content */
        size_t proxy_secret_size;
        char *public_url;       /* the base of every link, without trailing slash */
        char hostname[HOST_NAME_MAX + 1];

        sd_event_source *timer; /* CLOCK_REALTIME: the next due row */
        sd_event_source *kick;  /* defer: scan now */
        InFlight *in_flight;
        size_t n_in_flight;
        uint64_t purged_usec;
        uint64_t backoff_until; /* the store failed: no scan before this */
};

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000ULL;
}

static const WebhookConfig *endpoint_find(const NotifyConfig *n, const char *name, size_t *ret_index) {
        for (size_t i = 0; n && i < n->n_webhooks; i++)
                if (strcmp(n->webhooks[i].name, name) == 0) {
                        if (ret_index)
                                *ret_index = i;
                        return &n->webhooks[i];
                }
        return NULL;
}

/* ---- queueing ---- */

int notify_enqueue(Manager *m, const RequestRecord *r, NotifyEvent event, int64_t now) {
        const NotifyConfig *n = m->config.notify;
        uint64_t due = now_usec();
        int k;

        if (!r || r->action < 0 || r->action >= _JIT_ACTION_MAX)
                return -EINVAL;
        if (!notify_config_any_webhook(n))
                return 0;

        for (size_t i = 0; i < n->n_webhooks; i++) {
                const WebhookConfig *w = &n->webhooks[i];
                OutboxRecord o = {
                        .event = (WebhookEventType) event,
                        .created_at = now,
                        .next_attempt_usec = due,
                        .state = OUTBOX_PENDING,
                };

                if (!w->actions[r->action] || !w->events[event])
                        continue;
                k = webhook_message_id_generate(o.message_id, sizeof(o.message_id));
                if (k < 0)
                        return k;
                snprintf(o.endpoint, sizeof(o.endpoint), "%s", w->name);
                snprintf(o.request_id, sizeof(o.request_id), "%s", r->id);
                snprintf(o.requester, sizeof(o.requester), "%s", r->user);
                k = store_outbox_insert(m->store, &o);
                if (k < 0)
                        return k;
        }
        return 0;
}

int notify_insert_request(Manager *m, const RequestRecord *r) {
        int k;

        k = store_transaction_begin(m->store);
        if (k < 0)
                return k;
        k = store_insert_request(m->store, r);
        if (k >= 0)
                k = notify_enqueue(m, r, NOTIFY_EVENT_CREATED, r->created_at);
        if (k >= 0)
                k = store_transaction_commit(m->store);
        if (k < 0) {
                store_transaction_rollback(m->store);
                return k;
        }
        notify_kick(m);
        return 0;
}

void notify_kick(Manager *m) {
        Notifier *nf = m->notifier;

        if (nf && nf->kick)
                (void) sd_event_source_set_enabled(nf->kick, SD_EVENT_ONESHOT);
}

/* ---- building one message ---- */

typedef struct Job {
        OutboxRecord row;
        const WebhookConfig *endpoint;
        size_t endpoint_index;
        RequestRecord request;
        GrantRecord grant;
        bool have_grant;
        GrantRecord extended; /* an extension request: the grant it extends */
        bool have_extended;
        /* Minted for this attempt; the tokens are secret until sent. */
        char tokens[WEBHOOK_LINKS_MAX][REVIEW_TOKEN_STRING_MAX];
        char approvers[WEBHOOK_LINKS_MAX][JIT_USER_MAX + 1];
        size_t n_links;
} Job;

static void job_erase(Job *j) {
        explicit_bzero(j->tokens, sizeof(j->tokens));
}

/* The approvers this message carries links for. */
static void job_pick_approvers(Notifier *nf, Job *j) {
        const NotifyConfig *n = nf->m->config.notify;
        const StringList *names = &n->approvers[j->request.action];

        j->n_links = 0;
        if (j->row.event != WEBHOOK_EVENT_REQUEST_CREATED || j->request.state != REQUEST_PENDING ||
            j->request.expires_at <= jit_now_realtime() || !nf->public_url)
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
static int job_mint_links(Notifier *nf, Job *j, int64_t now) {
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
                k = store_review_link_insert(nf->m->store, &l);
                if (k < 0)
                        return k;
        }
        return 0;
}

static int job_build_body(Notifier *nf, Job *j, char **ret, size_t *ret_size) {
        const RequestRecord *r = &j->request;
        WebhookReviewLink links[WEBHOOK_LINKS_MAX];
        char urls[WEBHOOK_LINKS_MAX][WEBHOOK_URL_MAX];
        WebhookEvent e = {
                .type = j->row.event,
                .request_id = r->id,
                .user = r->user,
                .host = nf->hostname,
                .action = r->action,
                .service = r->service,
                .rhost = r->rhost,
                .tty = r->tty,
                .reason = r->reason,
                .requested_duration_sec = r->duration_sec > 0 ? r->duration_sec
                                                              : nf->m->config.policy[r->action].default_duration_sec,
                .match_code = r->match_code,
                .request_expires_at = r->expires_at,
                .extends_grant_id = r->extends_grant_id,
                /* Its deadline while it runs; once an approval replaced
                 * it, the deadline it had. */
                .extends_grant_expires_at = j->have_extended && (j->extended.state == GRANT_ACTIVE ||
                                                                 j->row.event == WEBHOOK_EVENT_REQUEST_APPROVED)
                                                    ? j->extended.expires_at
                                                    : 0,
                .max_duration_sec = nf->m->config.policy[r->action].max_duration_sec,
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
                snprintf(urls[i], sizeof(urls[i]), "%s/r/%s", nf->public_url, j->tokens[i]);
                links[i] = (WebhookReviewLink){ .approver = j->approvers[i], .url = urls[i] };
        }
        k = webhook_payload_build(&e, j->endpoint->format, ret, ret_size);
        explicit_bzero(urls, sizeof(urls));
        return k;
}

/* ---- attempts ---- */

static void in_flight_free(InFlight *f) {
        Notifier *nf;

        if (!f)
                return;
        nf = f->notifier;
        if (f->prev)
                f->prev->next = f->next;
        else
                nf->in_flight = f->next;
        if (f->next)
                f->next->prev = f->prev;
        nf->n_in_flight--;
        free(f);
}

static InFlight *in_flight_add(Notifier *nf, const OutboxRecord *row, const WebhookConfig *w) {
        InFlight *f = calloc(1, sizeof(InFlight));

        if (!f)
                return NULL;
        f->notifier = nf;
        f->row = *row;
        f->endpoint = w;
        f->next = nf->in_flight;
        if (f->next)
                f->next->prev = f;
        nf->in_flight = f;
        nf->n_in_flight++;
        return f;
}

static bool in_flight_has(Notifier *nf, int64_t id) {
        for (InFlight *f = nf->in_flight; f; f = f->next)
                if (f->row.id == id)
                        return true;
        return false;
}

static size_t in_flight_to(Notifier *nf, const char *endpoint) {
        size_t n = 0;

        for (InFlight *f = nf->in_flight; f; f = f->next)
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

static void outbox_write(Notifier *nf, const OutboxRecord *row) {
        int k = store_outbox_update(nf->m->store, row);

        /* Not written: the row stays due and is sent again (a duplicate
         * with the same webhook-id), never lost. */
        if (k < 0)
                log_error_errno(k, "Cannot record the delivery state of webhook message %s: %m", row->message_id);
}

static void on_attempt_done(WebhookDelivery *d, const WebhookResult *result, void *userdata) {
        InFlight *f = userdata;
        Notifier *nf = f->notifier;
        OutboxRecord *row = &f->row;
        const WebhookConfig *w = f->endpoint;
        RequestRecord req, *rp = NULL;
        uint64_t now = now_usec(), next = 0, random = 0;
        WebhookVerdict verdict = webhook_result_verdict(result);
        int k;

        if (store_get_request(nf->m->store, row->request_id, &req) >= 0)
                rp = &req;

        /* The attempt was counted before it was sent (job_post). */
        test_hook("webhook-answered");
        row->last_attempt_at = (int64_t) (now / USEC_PER_SEC);
        row->last_status = result->http_status >= 0 && result->http_status <= 999 ? result->http_status : 0;
        snprintf(row->last_error, sizeof(row->last_error), "%s", result->delivered ? "" : result->error);

        if (verdict == WEBHOOK_VERDICT_DELIVERED) {
                row->state = OUTBOX_DELIVERED;
                row->delivered_at = row->last_attempt_at;
                outbox_write(nf, row);
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
                outbox_write(nf, row);
                audit_notification(AUDIT_NOTIFICATION_FAILED, row, rp, result->http_status, row->last_error,
                                   row->state == OUTBOX_FAILED);
        }

        in_flight_free(f);
        notify_kick(nf->m);
}

static int job_post(Notifier *nf, Job *j, const char *body, size_t body_size) {
        const WebhookConfig *w = j->endpoint;
        const WebhookSecret *secret = j->endpoint_index < nf->n_secrets ? &nf->secrets[j->endpoint_index] : NULL;
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

        f = in_flight_add(nf, &j->row, w);
        if (!f)
                return -ENOMEM;

        /* Counted on disk before a byte is sent: a message that went out
         * and was then cut short by a crash is sent again after it, and
         * `attempts` must say so. The row stays due, so after a crash it
         * goes out again either way; if it cannot be written, the message
         * still goes now (late is worse than miscounted). */
        f->row.attempts++;
        f->row.last_attempt_at = jit_now_realtime();
        k = store_outbox_update(nf->m->store, &f->row);
        if (k < 0)
                log_error_errno(k, "Cannot record the attempt to send webhook message %s: %m", f->row.message_id);

        k = webhook_delivery_post(nf->delivery,
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
                on_attempt_done(nf->delivery, &res, f);
        }
        return 0;
}

/* A row that cannot be sent as it is (endpoint gone, request gone, too
 * old): settle it without an attempt. */
static void row_settle(Notifier *nf, OutboxRecord *row, OutboxState state, const char *why) {
        RequestRecord req;

        row->state = state;
        snprintf(row->last_error, sizeof(row->last_error), "%s", why);
        outbox_write(nf, row);
        log_warning("Webhook message %s to %s for %s: %s.", row->message_id, row->endpoint, row->request_id, why);
        if (state == OUTBOX_FAILED)
                audit_notification(AUDIT_NOTIFICATION_FAILED, row,
                                   store_get_request(nf->m->store, row->request_id, &req) >= 0 ? &req : NULL, 0, why,
                                   true);
}

/* ---- the scheduler ---- */

static void notify_rearm(Notifier *nf) {
        uint64_t now = now_usec(), next = UINT64_MAX;
        int k;

        if (nf->n_in_flight >= WEBHOOK_ATTEMPTS_IN_FLIGHT_MAX) {
                /* Full: a completion kicks the next scan. */
                (void) sd_event_source_set_enabled(nf->timer, SD_EVENT_OFF);
                return;
        }
        if (nf->backoff_until > now)
                /* The store failed: the rows due now wait until then. */
                next = nf->backoff_until;
        else {
                /* Rows due now that the scan left are in flight, or wait
                 * for a slot of their endpoint (a completion kicks the
                 * next scan), or belong to an endpoint no longer
                 * configured (notify_purge() settles them): the timer is
                 * for the first row due later. */
                k = store_outbox_next_due_after(nf->m->store, now, &next);
                if (k < 0) {
                        log_warning_errno(k, "Cannot read the webhook outbox, retrying: %m");
                        next = now + NOTIFY_RETRY_USEC;
                } else if (k == 0)
                        next = UINT64_MAX;
        }

        if (next == UINT64_MAX) {
                (void) sd_event_source_set_enabled(nf->timer, SD_EVENT_OFF);
                return;
        }
        k = sd_event_source_set_time(nf->timer, next);
        if (k >= 0)
                k = sd_event_source_set_enabled(nf->timer, SD_EVENT_ONESHOT);
        if (k < 0)
                log_error_errno(k, "Failed to arm the webhook timer: %m");
}

/* The scan goes endpoint by endpoint, so messages to an endpoint that
 * was removed from the configuration are settled here instead, at start
 * and with each purge. */
static void notify_settle_unconfigured(Notifier *nf) {
        const NotifyConfig *n = nf->m->config.notify;
        const char *names[CONFIG_WEBHOOKS_MAX];
        size_t n_names = 0;
        int k;

        for (size_t i = 0; i < n->n_webhooks && n_names < ELEMENTSOF(names); i++)
                names[n_names++] = n->webhooks[i].name;
        k = store_outbox_cancel_other_endpoints(nf->m->store, names, n_names, "its endpoint is no longer configured");
        if (k < 0)
                log_warning_errno(k, "Cannot settle webhook messages of removed endpoints: %m");
        else if (k > 0)
                log_warning("%d webhook message(s) to endpoints no longer configured were cancelled.", k);
}

static void notify_purge(Notifier *nf, uint64_t now) {
        int k;

        if (nf->purged_usec != 0 && now - nf->purged_usec < NOTIFY_PURGE_INTERVAL_USEC)
                return;
        nf->purged_usec = now;
        k = store_review_links_purge(nf->m->store, (int64_t) (now / USEC_PER_SEC) - NOTIFY_LINK_KEEP_SEC);
        if (k < 0)
                log_warning_errno(k, "Cannot remove expired review links: %m");
        else if (k > 0)
                log_debug("Removed %d expired review link(s).", k);
        notify_settle_unconfigured(nf);
}

/* Turn one due row into a job: 1 ready, 0 settled without an attempt
 * (too old, request gone), <0 the store failed. */
static int job_prepare(Notifier *nf, const OutboxRecord *row, const WebhookConfig *w, size_t endpoint_index,
                       int64_t now_sec, Job *j) {
        Manager *m = nf->m;
        OutboxRecord settle = *row;
        int k;

        *j = (Job) {};
        if (row->created_at > 0 && (uint64_t) now_sec > (uint64_t) row->created_at + w->max_age_sec + 60) {
                /* jitd was down past the message's max_age. */
                row_settle(nf, &settle, OUTBOX_FAILED, "older than max_age, not sent");
                return 0;
        }
        k = store_get_request(m->store, row->request_id, &j->request);
        if (k == -ENOENT) {
                row_settle(nf, &settle, OUTBOX_CANCELLED, "its request is gone");
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
        job_pick_approvers(nf, j);
        return 1;
}

static void notify_scan(Notifier *nf) {
        Manager *m = nf->m;
        const NotifyConfig *n = m->config.notify;
        _cleanup_free_ Job *jobs = NULL;
        size_t n_jobs = 0, capacity, settled = 0;
        uint64_t now = now_usec();
        int64_t now_sec = (int64_t) (now / USEC_PER_SEC);
        int k = 0;

        if (now < nf->backoff_until)
                return;
        nf->backoff_until = 0;
        notify_purge(nf, now);

        capacity = WEBHOOK_ATTEMPTS_IN_FLIGHT_MAX - nf->n_in_flight;
        if (capacity > n->n_webhooks * NOTIFY_ENDPOINT_IN_FLIGHT_MAX)
                capacity = n->n_webhooks * NOTIFY_ENDPOINT_IN_FLIGHT_MAX;
        if (capacity == 0)
                return;
        jobs = calloc(capacity, sizeof(Job));
        if (!jobs) {
                log_error("Out of memory while sending webhooks.");
                nf->backoff_until = now + NOTIFY_RETRY_USEC;
                return;
        }

        /* Endpoint by endpoint, each in its fair order, up to its share of
         * slots. Rows in flight are still pending in the store and come
         * back from the query: ask for that many more, and skip them. */
        for (size_t e = 0; e < n->n_webhooks && n_jobs < capacity && k >= 0; e++) {
                const WebhookConfig *w = &n->webhooks[e];
                _cleanup_free_ OutboxRecord *rows = NULL;
                size_t busy = in_flight_to(nf, w->name), n_rows = 0, slots;

                if (busy >= NOTIFY_ENDPOINT_IN_FLIGHT_MAX)
                        continue;
                slots = NOTIFY_ENDPOINT_IN_FLIGHT_MAX - busy;
                if (slots > capacity - n_jobs)
                        slots = capacity - n_jobs;
                k = store_outbox_list_fair(m->store, w->name, now, (unsigned) (slots + busy), &rows, &n_rows);
                if (k < 0) {
                        log_warning_errno(k, "Cannot read the webhook outbox: %m");
                        break;
                }
                for (size_t i = 0; i < n_rows && slots > 0; i++) {
                        if (in_flight_has(nf, rows[i].id))
                                continue;
                        k = job_prepare(nf, &rows[i], w, e, now_sec, &jobs[n_jobs]);
                        if (k < 0)
                                break;
                        if (k == 0) {
                                settled++;
                                continue;
                        }
                        n_jobs++;
                        slots--;
                }
        }
        if (k < 0)
                nf->backoff_until = now + NOTIFY_RETRY_USEC;
        else if (settled > 0)
                /* Settled rows took places in the queries: look again for
                 * what they hid. */
                notify_kick(m);
        if (n_jobs == 0)
                return;

        /* Every link of this batch is on disk before any message carrying
         * one leaves: a link that was sent must work. */
        k = store_transaction_begin(m->store);
        for (size_t i = 0; k >= 0 && i < n_jobs; i++)
                k = job_mint_links(nf, &jobs[i], now_sec);
        if (k >= 0)
                k = store_transaction_commit(m->store);
        if (k < 0) {
                store_transaction_rollback(m->store);
                for (size_t i = 0; i < n_jobs; i++)
                        job_erase(&jobs[i]);
                log_error_errno(k, "Cannot store review links, webhooks wait: %m");
                /* The rows are still due; the timer tries again. */
                nf->backoff_until = now + NOTIFY_RETRY_USEC;
                return;
        }

        for (size_t i = 0; i < n_jobs; i++) {
                Job *j = &jobs[i];
                _cleanup_free_ char *body = NULL;
                size_t body_size = 0;

                k = job_build_body(nf, j, &body, &body_size);
                job_erase(j);
                if (k < 0) {
                        /* Nothing about the request can be sent as built; a
                         * bug or an unusable public_url. Keep the row for a
                         * later configuration. */
                        log_error_errno(k, "Cannot build the %s message for %s: %m", j->endpoint->name, j->row.request_id);
                        j->row.next_attempt_usec = now + (uint64_t) j->endpoint->retry_max_delay_sec * USEC_PER_SEC;
                        snprintf(j->row.last_error, sizeof(j->row.last_error), "cannot build the message: %s",
                                 strerror(-k));
                        outbox_write(nf, &j->row);
                        continue;
                }
                k = job_post(nf, j, body, body_size);
                explicit_bzero(body, body_size);
                if (k < 0) {
                        log_error_errno(k, "Cannot send webhook messages: %m");
                        nf->backoff_until = now + NOTIFY_RETRY_USEC;
                        for (size_t l = i + 1; l < n_jobs; l++)
                                job_erase(&jobs[l]);
                        break;
                }
        }
}

static int on_kick(sd_event_source *s, void *userdata) {
        Notifier *nf = userdata;

        notify_scan(nf);
        notify_rearm(nf);
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        return on_kick(NULL, userdata);
}

/* ---- start and stop ---- */

static char *effective_public_url(const NotifyConfig *n, HttpServer *http) {
        const ReviewConfig *rc = &n->review;
        uint16_t port = rc->listen_port;

        if (!rc->public_url && rc->listen_address && http && port == 0 && http_server_local_port(http, &port) < 0)
                return NULL;
        return review_link_base(rc, port);
}

static void on_http_log(void *userdata, const char *message) {
        log_debug("Review server: %s", message);
}

static int review_server_start(Notifier *nf) {
        Manager *m = nf->m;
        const ReviewConfig *rc = &m->config.notify->review;
        const char *proxies[HTTP_TRUSTED_PROXIES_MAX];
        size_t n_proxies = 0;
        int k;

        if (!rc->listen_address)
                return 0;
        for (size_t i = 0; i < rc->trusted_proxies.n && n_proxies < HTTP_TRUSTED_PROXIES_MAX; i++)
                proxies[n_proxies++] = rc->trusted_proxies.items[i];

        k = review_http_server_new(m->event,
                            &(HttpServerSettings) {
                                    .listen_fd = -1,
                                    .address = rc->listen_address,
                                    .port = rc->listen_port,
                                    .tls_cert_file = rc->tls_cert,
                                    .tls_key_file = rc->tls_key,
                                    .connection_limit = rc->max_connections,
                                    .per_ip_connection_limit = rc->max_connections_per_ip,
                                    .connection_timeout_sec = (unsigned) rc->connection_timeout_sec,
                                    .request_timeout_sec = (unsigned) rc->request_timeout_sec,
                                    .post_body_max = (size_t) rc->max_body,
                                    .identity_header = rc->identity_header,
                                    .trusted_proxies = n_proxies > 0 ? proxies : NULL,
                                    .n_trusted_proxies = n_proxies,
                                    .identity_secret_header = rc->identity_secret_header,
                                    .identity_secret = nf->proxy_secret,
                                    .identity_secret_size = nf->proxy_secret_size,
                                    .priority = JITD_PRIORITY_USER,
                                    .log = on_http_log,
                            },
                            review_on_view, review_on_decision, m, &nf->http);
        if (k < 0)
                return log_error_errno(k,
                                       "Cannot start the review server on %s: %m. Review links will not work; "
                                       "approve with jitctl.",
                                       rc->listen);
        return 0;
}

static int load_secrets(Notifier *nf) {
        const NotifyConfig *n = nf->m->config.notify;

        nf->secrets = calloc(n->n_webhooks, sizeof(WebhookSecret));
        if (!nf->secrets)
                return -ENOMEM;
        nf->n_secrets = n->n_webhooks;
        for (size_t i = 0; i < n->n_webhooks; i++) {
                const WebhookConfig *w = &n->webhooks[i];
                char error[256] = "";
                int k;

                if (!w->secret_file)
                        continue;
                k = webhook_secret_load(w->secret_file, &nf->secrets[i], error, sizeof(error));
                if (k < 0)
                        return log_error_errno(k, "[webhook %s] secret_file %s: %s", w->name, w->secret_file,
                                               error[0] ? error : strerror(-k));
        }

        if (n->review.identity_header) {
                char error[256] = "";
                int k;

                /* config_notify_check() refuses identity_header without it. */
                if (!n->review.identity_secret_file)
                        return log_error_errno(-EINVAL, "[review] identity_header needs identity_secret_file.");
                k = http_proxy_secret_load(n->review.identity_secret_file, &nf->proxy_secret, &nf->proxy_secret_size,
                                           error, sizeof(error));
                if (k < 0)
                        return log_error_errno(k, "[review] identity_secret_file %s: %s", n->review.identity_secret_file,
                                               error[0] ? error : strerror(-k));
        }
        return 0;
}

static int load_key(Notifier *nf) {
        const Config *c = &nf->m->config;
        _cleanup_free_ char *path = NULL;
        char error[256] = "";
        int k;

        if (c->notify->review.key_file)
                path = strdup(c->notify->review.key_file);
        else if (asprintf(&path, "%s/%s", c->state_directory ?: "/var/lib/jitd", KEY_FILE_NAME) < 0)
                path = NULL;
        if (!path)
                return -ENOMEM;
        k = review_key_load_or_create(path, &nf->key, error, sizeof(error));
        if (k < 0)
                return log_error_errno(k, "Review key %s: %s", path, error[0] ? error : strerror(-k));
        return 0;
}

int notify_start(Manager *m) {
        const NotifyConfig *n = m->config.notify;
        Notifier *nf;
        int k;

        if (!notify_config_any_webhook(n))
                return 0;

        nf = calloc(1, sizeof(Notifier));
        if (!nf)
                return log_error_errno(-ENOMEM, "Out of memory.");
        nf->m = m;
        m->notifier = nf;
        if (gethostname(nf->hostname, sizeof(nf->hostname) - 1) < 0 || !nf->hostname[0])
                snprintf(nf->hostname, sizeof(nf->hostname), "localhost");

        k = load_secrets(nf);
        if (k < 0)
                return k;
        k = load_key(nf);
        if (k < 0)
                return k;

        /* Below root's and users' connections: a burst of deliveries must
         * not delay a login decision. */
        k = webhook_delivery_new(m->event, JITD_PRIORITY_NOTIFY, &nf->delivery);
        if (k < 0)
                return log_error_errno(k, "Cannot set up webhook delivery: %m");

        (void) review_server_start(nf);
        nf->public_url = effective_public_url(n, nf->http);
        if (!nf->public_url)
                log_warning("No review server and no [review] public_url: webhook messages carry no review links.");
        else if (nf->http)
                log_info("Review links: %s/r/..., served on %s.", nf->public_url, n->review.listen);

        k = sd_event_add_time(m->event, &nf->timer, CLOCK_REALTIME, UINT64_MAX - 1, 10 * 1000, on_timer, nf);
        if (k >= 0)
                k = sd_event_add_defer(m->event, &nf->kick, on_kick, nf);
        if (k < 0)
                return log_error_errno(k, "Cannot create the webhook timers: %m");
        (void) sd_event_source_set_priority(nf->timer, JITD_PRIORITY_NOTIFY);
        (void) sd_event_source_set_priority(nf->kick, JITD_PRIORITY_NOTIFY);
        (void) sd_event_source_set_description(nf->timer, "webhook-timer");
        (void) sd_event_source_set_description(nf->kick, "webhook-kick");
        (void) sd_event_source_set_enabled(nf->timer, SD_EVENT_OFF);

        /* Whatever the outbox holds from before a restart goes out now. */
        (void) sd_event_source_set_enabled(nf->kick, SD_EVENT_ONESHOT);
        log_info("Webhooks: %zu endpoint(s).", n->n_webhooks);
        return 0;
}

void notify_stop(Manager *m) {
        Notifier *nf = m->notifier;

        if (!nf)
                return;
        /* Attempts in flight are dropped; their rows are still due. */
        nf->delivery = webhook_delivery_free(nf->delivery);
        while (nf->in_flight)
                in_flight_free(nf->in_flight);
        nf->http = http_server_free(nf->http);
        nf->timer = sd_event_source_disable_unref(nf->timer);
        nf->kick = sd_event_source_disable_unref(nf->kick);
        for (size_t i = 0; i < nf->n_secrets; i++)
                webhook_secret_erase(&nf->secrets[i]);
        erase_and_free(nf->proxy_secret, nf->proxy_secret_size);
        free(nf->secrets);
        review_key_erase(&nf->key);
        free(nf->public_url);
        free(nf);
        m->notifier = NULL;
}

const ReviewKey *notify_review_key(Manager *m) {
        return m->notifier ? &m->notifier->key : NULL;
}

const char *notify_public_url(Manager *m) {
        return m->notifier ? m->notifier->public_url : NULL;
}

/* ---- Show and Resend ---- */

int notify_show_request(Manager *m, const RequestRecord *r, struct json_object *reply) {
        _cleanup_free_ OutboxRecord *rows = NULL;
        _cleanup_free_ ApprovalRecord *votes = NULL;
        struct json_object *a;
        size_t n = 0, n_votes = 0;
        int k;

        k = store_outbox_list_request(m->store, r->id, &rows, &n);
        if (k < 0)
                return k;
        a = json_object_new_array();
        if (!a)
                return -ENOMEM;
        json_object_object_add(reply, "notifications", a);
        for (size_t i = 0; i < n; i++) {
                const OutboxRecord *o = &rows[i];
                struct json_object *e = json_object_new_object();

                if (!e)
                        return -ENOMEM;
                json_object_object_add(e, "endpoint", json_object_new_string(o->endpoint));
                json_object_object_add(e, "event", json_object_new_string(outbox_event_to_string(o->event)));
                json_object_object_add(e, "state", json_object_new_string(outbox_state_to_string(o->state)));
                json_object_object_add(e, "webhook_id", json_object_new_string(o->message_id));
                json_object_object_add(e, "attempts", json_object_new_int64(o->attempts));
                if (o->last_status > 0)
                        json_object_object_add(e, "last_status", json_object_new_int64(o->last_status));
                if (o->last_error[0])
                        json_object_object_add(e, "last_error", json_object_new_string(o->last_error));
                if (o->last_attempt_at > 0)
                        json_object_object_add(e, "last_attempt_at", json_object_new_int64(o->last_attempt_at));
                if (o->state == OUTBOX_PENDING)
                        json_object_object_add(e, "next_attempt_at",
                                               json_object_new_int64((int64_t) (o->next_attempt_usec / USEC_PER_SEC)));
                if (o->delivered_at > 0)
                        json_object_object_add(e, "delivered_at", json_object_new_int64(o->delivered_at));
                json_object_array_add(a, e);
        }

        k = store_list_approvals(m->store, r->id, &votes, &n_votes);
        if (k < 0)
                return k;
        a = json_object_new_array();
        if (!a)
                return -ENOMEM;
        json_object_object_add(reply, "approvals", a);
        for (size_t i = 0; i < n_votes; i++) {
                struct json_object *e = json_object_new_object();

                if (!e)
                        return -ENOMEM;
                json_object_object_add(e, "approver", json_object_new_string(votes[i].approver));
                json_object_object_add(e, "person", json_object_new_string(votes[i].person));
                json_object_object_add(e, "approved_at", json_object_new_int64(votes[i].approved_at));
                if (votes[i].duration_sec > 0)
                        json_object_object_add(e, "duration", json_object_new_int64((int64_t) votes[i].duration_sec));
                if (votes[i].via[0])
                        json_object_object_add(e, "via", json_object_new_string(votes[i].via));
                json_object_array_add(a, e);
        }
        json_object_object_add(reply, "approvals_needed",
                               json_object_new_int64(notify_config_quorum(m->config.notify, r->action)));
        return 0;
}

int notify_resend(Manager *m, const RequestRecord *r, const char *endpoint) {
        const NotifyConfig *n = m->config.notify;
        int64_t now = jit_now_realtime();
        int k, queued;

        if (endpoint && !endpoint_find(n, endpoint, NULL))
                return -ENOENT;

        k = store_outbox_requeue(m->store, r->id, endpoint, now_usec(), now);
        if (k < 0)
                return k;
        queued = k;

        if (queued == 0 && r->state == REQUEST_PENDING && r->expires_at > now) {
                /* Nothing failed: the approvers are reminded with a fresh
                 * "created" message (new webhook-id, new links). */
                k = store_transaction_begin(m->store);
                for (size_t i = 0; k >= 0 && i < n->n_webhooks; i++) {
                        const WebhookConfig *w = &n->webhooks[i];
                        OutboxRecord o = {
                                .event = WEBHOOK_EVENT_REQUEST_CREATED,
                                .created_at = now,
                                .next_attempt_usec = now_usec(),
                                .state = OUTBOX_PENDING,
                        };

                        if ((endpoint && strcmp(endpoint, w->name) != 0) || !w->actions[r->action] ||
                            !w->events[WEBHOOK_EVENT_REQUEST_CREATED])
                                continue;
                        k = webhook_message_id_generate(o.message_id, sizeof(o.message_id));
                        if (k < 0)
                                break;
                        snprintf(o.endpoint, sizeof(o.endpoint), "%s", w->name);
                        snprintf(o.request_id, sizeof(o.request_id), "%s", r->id);
                        snprintf(o.requester, sizeof(o.requester), "%s", r->user);
                        k = store_outbox_insert(m->store, &o);
                        if (k >= 0)
                                queued++;
                }
                if (k >= 0)
                        k = store_transaction_commit(m->store);
                if (k < 0) {
                        store_transaction_rollback(m->store);
                        return k;
                }
        }
        notify_kick(m);
        return queued;
}
