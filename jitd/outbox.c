/* The webhook outbox and its scheduler (see outbox.h).
 *
 * The outbox is the truth: a message is a row, written in the transaction
 * that created or decided its request. The scheduler reads due rows
 * endpoint by endpoint, fairly over requesters and up to a share of slots
 * each, mints their review links in one transaction, and hands each to
 * outbox-job.c to build, sign and post; a completion kicks the next scan.
 * It also purges expired links and settles rows of endpoints no longer
 * configured. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "macros.h"
#include "outbox-internal.h"
#include "review-server.h"
#include "text.h"

/* Messages in flight to one endpoint at a time. The outbox sends each
 * endpoint's messages round-robin over their requesters; what is already
 * in flight is ahead of everyone, so this is also how many messages a
 * requester's notice can find ahead of it at a receiver that takes one
 * at a time. */
#define OUTBOX_ENDPOINT_IN_FLIGHT_MAX 4U
/* If the store cannot say what is due, look again this much later. */
#define OUTBOX_RETRY_USEC (10ULL * USEC_PER_SEC)
/* Expired links are kept this long, so a late click says "expired", not
 * "unknown link". */
#define OUTBOX_LINK_KEEP_SEC (7LL * 24 * 3600)
#define OUTBOX_PURGE_INTERVAL_USEC (3600ULL * USEC_PER_SEC)

uint64_t outbox_now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000ULL;
}

static bool endpoint_configured(const ApproverConfig *n, const char *name) {
        for (size_t i = 0; n && i < n->n_webhooks; i++)
                if (strcmp(n->webhooks[i].name, name) == 0)
                        return true;
        return false;
}

/* ---- queueing ---- */

/* One row: `event` of request `r` to endpoint `w`, due at `due`. */
static int queue_one(Manager *m, const RequestRecord *r, const WebhookConfig *w, WebhookEventType event,
                     int64_t now, uint64_t due) {
        OutboxRecord o = {
                .event = event,
                .created_at = now,
                .next_attempt_usec = due,
                .state = OUTBOX_PENDING,
        };
        int k;

        k = webhook_message_id_generate(o.message_id, sizeof(o.message_id));
        if (k < 0)
                return k;
        snprintf(o.endpoint, sizeof(o.endpoint), "%s", w->name);
        snprintf(o.request_id, sizeof(o.request_id), "%s", r->id);
        snprintf(o.requester, sizeof(o.requester), "%s", r->user);
        return store_outbox_insert(m->store, &o);
}

int outbox_enqueue(Manager *m, const RequestRecord *r, WebhookEventType event, int64_t now) {
        const ApproverConfig *n = m->config.approval;
        uint64_t due = outbox_now_usec();
        int k;

        if (!r || r->action < 0 || r->action >= _JIT_ACTION_MAX || event < 0 || event >= _WEBHOOK_EVENT_MAX)
                return -EINVAL;
        if (!approver_config_any_webhook(n))
                return 0;

        for (size_t i = 0; i < n->n_webhooks; i++) {
                const WebhookConfig *w = &n->webhooks[i];

                if (!w->actions[r->action] || !w->events[event])
                        continue;
                k = queue_one(m, r, w, event, now, due);
                if (k < 0)
                        return k;
        }
        return 0;
}

void outbox_kick(Manager *m) {
        Outbox *ob = m->outbox;

        if (ob && ob->kick)
                (void) sd_event_source_set_enabled(ob->kick, SD_EVENT_ONESHOT);
}

/* Nothing failed: the approvers are reminded with a fresh "created"
 * message (new webhook-id, new links). The number queued. */
static int remind(Manager *m, const RequestRecord *r, const char *endpoint, int64_t now) {
        const ApproverConfig *n = m->config.approval;
        int k, queued = 0;

        k = store_transaction_begin(m->store);
        for (size_t i = 0; k >= 0 && i < n->n_webhooks; i++) {
                const WebhookConfig *w = &n->webhooks[i];

                if ((endpoint && strcmp(endpoint, w->name) != 0) || !w->actions[r->action] ||
                    !w->events[WEBHOOK_EVENT_REQUEST_CREATED])
                        continue;
                k = queue_one(m, r, w, WEBHOOK_EVENT_REQUEST_CREATED, now, outbox_now_usec());
                if (k >= 0)
                        queued++;
        }
        if (k >= 0)
                k = store_transaction_commit(m->store);
        if (k < 0) {
                store_transaction_rollback(m->store);
                return k;
        }
        return queued;
}

int outbox_queue_again(Manager *m, const RequestRecord *r, const char *endpoint) {
        int64_t now = jit_now_realtime();
        int k, queued;

        if (endpoint && !endpoint_configured(m->config.approval, endpoint))
                return -ENOENT;

        k = store_outbox_requeue(m->store, r->id, endpoint, outbox_now_usec(), now);
        if (k < 0)
                return k;
        queued = k;

        if (queued == 0 && r->state == REQUEST_PENDING && r->expires_at > now) {
                k = remind(m, r, endpoint, now);
                if (k < 0)
                        return k;
                queued = k;
        }
        return queued;
}

/* ---- the scheduler ---- */

static void outbox_rearm(Outbox *ob) {
        uint64_t now = outbox_now_usec(), next = UINT64_MAX;
        int k;

        if (ob->n_in_flight >= WEBHOOK_ATTEMPTS_IN_FLIGHT_MAX) {
                /* Full: a completion kicks the next scan. */
                (void) sd_event_source_set_enabled(ob->timer, SD_EVENT_OFF);
                return;
        }
        if (ob->backoff_until > now)
                /* The store failed: the rows due now wait until then. */
                next = ob->backoff_until;
        else {
                /* Rows due now that the scan left are in flight, or wait
                 * for a slot of their endpoint (a completion kicks the
                 * next scan), or belong to an endpoint no longer
                 * configured (purge() settles them): the timer is
                 * for the first row due later. */
                k = store_outbox_next_due_after(ob->m->store, now, &next);
                if (k < 0) {
                        log_warning_errno(k, "Cannot read the webhook outbox, retrying: %m");
                        next = now + OUTBOX_RETRY_USEC;
                } else if (k == 0)
                        next = UINT64_MAX;
        }

        if (next == UINT64_MAX) {
                (void) sd_event_source_set_enabled(ob->timer, SD_EVENT_OFF);
                return;
        }
        k = sd_event_source_set_time(ob->timer, next);
        if (k >= 0)
                k = sd_event_source_set_enabled(ob->timer, SD_EVENT_ONESHOT);
        if (k < 0)
                log_error_errno(k, "Failed to arm the webhook timer: %m");
}

/* The scan goes endpoint by endpoint, so messages to an endpoint that
 * was removed from the configuration are settled here instead, at start
 * and with each purge. */
static void settle_unconfigured(Outbox *ob) {
        const ApproverConfig *n = ob->m->config.approval;
        const char *names[CONFIG_WEBHOOKS_MAX];
        size_t n_names = 0;
        int k;

        for (size_t i = 0; i < n->n_webhooks && n_names < ELEMENTSOF(names); i++)
                names[n_names++] = n->webhooks[i].name;
        k = store_outbox_cancel_other_endpoints(ob->m->store, names, n_names, "its endpoint is no longer configured");
        if (k < 0)
                log_warning_errno(k, "Cannot settle webhook messages of removed endpoints: %m");
        else if (k > 0)
                log_warning("%d webhook message(s) to endpoints no longer configured were cancelled.", k);
}

static void purge(Outbox *ob, uint64_t now) {
        int k;

        if (ob->purged_usec != 0 && now - ob->purged_usec < OUTBOX_PURGE_INTERVAL_USEC)
                return;
        ob->purged_usec = now;
        k = store_review_links_purge(ob->m->store, (int64_t) (now / USEC_PER_SEC) - OUTBOX_LINK_KEEP_SEC);
        if (k < 0)
                log_warning_errno(k, "Cannot remove expired review links: %m");
        else if (k > 0)
                log_debug("Removed %d expired review link(s).", k);
        settle_unconfigured(ob);
}

/* Pick the due rows to send now into jobs[] (at most `capacity`).
 * Endpoint by endpoint, each in its fair order, up to its share of slots.
 * Rows in flight are still pending in the store and come back from the
 * query: ask for that many more, and skip them. <0 if the store failed. */
static int scan_collect(Outbox *ob, uint64_t now, Job *jobs, size_t capacity, size_t *ret_n_jobs,
                        size_t *ret_settled) {
        const ApproverConfig *n = ob->m->config.approval;
        int64_t now_sec = (int64_t) (now / USEC_PER_SEC);
        size_t n_jobs = 0;
        int k = 0;

        for (size_t e = 0; e < n->n_webhooks && n_jobs < capacity && k >= 0; e++) {
                const WebhookConfig *w = &n->webhooks[e];
                _cleanup_free_ OutboxRecord *rows = NULL;
                size_t busy = in_flight_to(ob, w->name), n_rows = 0, slots;

                if (busy >= OUTBOX_ENDPOINT_IN_FLIGHT_MAX)
                        continue;
                slots = OUTBOX_ENDPOINT_IN_FLIGHT_MAX - busy;
                if (slots > capacity - n_jobs)
                        slots = capacity - n_jobs;
                k = store_outbox_list_fair(ob->m->store, w->name, now, (unsigned) (slots + busy), &rows, &n_rows);
                if (k < 0) {
                        log_warning_errno(k, "Cannot read the webhook outbox: %m");
                        break;
                }
                for (size_t i = 0; i < n_rows && slots > 0; i++) {
                        if (in_flight_has(ob, rows[i].id))
                                continue;
                        k = job_prepare(ob, &rows[i], w, e, now_sec, &jobs[n_jobs]);
                        if (k < 0)
                                break;
                        if (k == 0) {
                                (*ret_settled)++;
                                continue;
                        }
                        n_jobs++;
                        slots--;
                }
        }
        *ret_n_jobs = n_jobs;
        return k < 0 ? k : 0;
}

/* Every link of this batch is on disk before any message carrying one
 * leaves: a link that was sent must work. */
static int scan_mint(Outbox *ob, Job *jobs, size_t n_jobs, int64_t now_sec) {
        Store *s = ob->m->store;
        int k;

        k = store_transaction_begin(s);
        for (size_t i = 0; k >= 0 && i < n_jobs; i++)
                k = job_mint_links(ob, &jobs[i], now_sec);
        if (k >= 0)
                k = store_transaction_commit(s);
        if (k < 0) {
                store_transaction_rollback(s);
                for (size_t i = 0; i < n_jobs; i++)
                        job_erase(&jobs[i]);
                return log_error_errno(k, "Cannot store review links, webhooks wait: %m");
        }
        return 0;
}

static void scan_send(Outbox *ob, Job *jobs, size_t n_jobs, uint64_t now) {
        for (size_t i = 0; i < n_jobs; i++) {
                Job *j = &jobs[i];
                _cleanup_free_ char *body = NULL;
                size_t body_size = 0;
                int k;

                k = job_build_body(ob, j, &body, &body_size);
                job_erase(j);
                if (k < 0) {
                        /* Nothing about the request can be sent as built; a
                         * bug or an unusable public_url. Keep the row for a
                         * later configuration. */
                        log_error_errno(k, "Cannot build the %s message for %s: %m", j->endpoint->name, j->row.request_id);
                        j->row.next_attempt_usec = now + (uint64_t) j->endpoint->retry_max_delay_sec * USEC_PER_SEC;
                        snprintf(j->row.last_error, sizeof(j->row.last_error), "cannot build the message: %s",
                                 strerror(-k));
                        outbox_write(ob, &j->row);
                        continue;
                }
                k = job_post(ob, j, body, body_size);
                explicit_bzero(body, body_size);
                if (k < 0) {
                        log_error_errno(k, "Cannot send webhook messages: %m");
                        ob->backoff_until = now + OUTBOX_RETRY_USEC;
                        for (size_t l = i + 1; l < n_jobs; l++)
                                job_erase(&jobs[l]);
                        break;
                }
        }
}

static void outbox_scan(Outbox *ob) {
        const ApproverConfig *n = ob->m->config.approval;
        _cleanup_free_ Job *jobs = NULL;
        size_t n_jobs = 0, capacity, settled = 0;
        uint64_t now = outbox_now_usec();
        int k;

        if (now < ob->backoff_until)
                return;
        ob->backoff_until = 0;
        purge(ob, now);

        capacity = WEBHOOK_ATTEMPTS_IN_FLIGHT_MAX - ob->n_in_flight;
        if (capacity > n->n_webhooks * OUTBOX_ENDPOINT_IN_FLIGHT_MAX)
                capacity = n->n_webhooks * OUTBOX_ENDPOINT_IN_FLIGHT_MAX;
        if (capacity == 0)
                return;
        jobs = calloc(capacity, sizeof(Job));
        if (!jobs) {
                log_error("Out of memory while sending webhooks.");
                ob->backoff_until = now + OUTBOX_RETRY_USEC;
                return;
        }

        k = scan_collect(ob, now, jobs, capacity, &n_jobs, &settled);
        if (k < 0)
                ob->backoff_until = now + OUTBOX_RETRY_USEC;
        else if (settled > 0)
                /* Settled rows took places in the queries: look again for
                 * what they hid. */
                outbox_kick(ob->m);
        if (n_jobs == 0)
                return;

        if (scan_mint(ob, jobs, n_jobs, (int64_t) (now / USEC_PER_SEC)) < 0) {
                /* The rows are still due; the timer tries again. */
                ob->backoff_until = now + OUTBOX_RETRY_USEC;
                return;
        }
        scan_send(ob, jobs, n_jobs, now);
}

static int on_kick(sd_event_source *s, void *userdata) {
        Outbox *ob = userdata;

        outbox_scan(ob);
        outbox_rearm(ob);
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        return on_kick(NULL, userdata);
}

/* ---- start and stop ---- */

static int load_secrets(Outbox *ob) {
        const ApproverConfig *n = ob->m->config.approval;

        ob->secrets = calloc(n->n_webhooks, sizeof(WebhookSecret));
        if (!ob->secrets)
                return -ENOMEM;
        ob->n_secrets = n->n_webhooks;
        for (size_t i = 0; i < n->n_webhooks; i++) {
                const WebhookConfig *w = &n->webhooks[i];
                char error[256] = "";
                int k;

                if (!w->secret_file)
                        continue;
                k = webhook_secret_load(w->secret_file, &ob->secrets[i], error, sizeof(error));
                if (k < 0)
                        return log_error_errno(k, "[webhook %s] secret_file %s: %s", w->name, w->secret_file,
                                               error[0] ? error : strerror(-k));
        }
        return 0;
}

static int timers_start(Outbox *ob) {
        sd_event *e = ob->m->event;
        int k;

        k = sd_event_add_time(e, &ob->timer, CLOCK_REALTIME, UINT64_MAX - 1, 10 * USEC_PER_MSEC, on_timer, ob);
        if (k >= 0)
                k = sd_event_add_defer(e, &ob->kick, on_kick, ob);
        if (k < 0)
                return log_error_errno(k, "Cannot create the webhook timers: %m");
        (void) sd_event_source_set_priority(ob->timer, JITD_PRIORITY_NOTIFY);
        (void) sd_event_source_set_priority(ob->kick, JITD_PRIORITY_NOTIFY);
        (void) sd_event_source_set_description(ob->timer, "webhook-timer");
        (void) sd_event_source_set_description(ob->kick, "webhook-kick");
        (void) sd_event_source_set_enabled(ob->timer, SD_EVENT_OFF);
        return 0;
}

int outbox_start(Manager *m) {
        const ApproverConfig *n = m->config.approval;
        Outbox *ob;
        int k;

        if (!approver_config_any_webhook(n))
                return 0;

        ob = calloc(1, sizeof(Outbox));
        if (!ob)
                return log_error_errno(-ENOMEM, "Out of memory.");
        ob->m = m;
        m->outbox = ob;
        if (gethostname(ob->hostname, sizeof(ob->hostname) - 1) < 0 || !ob->hostname[0])
                snprintf(ob->hostname, sizeof(ob->hostname), "localhost");

        k = load_secrets(ob);
        if (k < 0)
                return k;
        /* Its links are what the review server serves: without webhooks
         * nobody gets one, so it runs only with the outbox. */
        k = review_server_start(m);
        if (k < 0)
                return k;

        /* Below root's and users' connections: a burst of deliveries must
         * not delay a login decision. */
        k = webhook_delivery_new(m->event, JITD_PRIORITY_NOTIFY, &ob->delivery);
        if (k < 0)
                return log_error_errno(k, "Cannot set up webhook delivery: %m");
        k = timers_start(ob);
        if (k < 0)
                return k;

        /* Whatever the outbox holds from before a restart goes out now. */
        (void) sd_event_source_set_enabled(ob->kick, SD_EVENT_ONESHOT);
        log_info("Webhooks: %zu endpoint(s).", n->n_webhooks);
        return 0;
}

void outbox_stop(Manager *m) {
        Outbox *ob = m->outbox;

        if (!ob)
                return;
        /* Attempts in flight are dropped; their rows are still due. */
        ob->delivery = webhook_delivery_free(ob->delivery);
        while (ob->in_flight)
                in_flight_free(ob->in_flight);
        review_server_stop(m);
        ob->timer = sd_event_source_disable_unref(ob->timer);
        ob->kick = sd_event_source_disable_unref(ob->kick);
        for (size_t i = 0; i < ob->n_secrets; i++)
                webhook_secret_erase(&ob->secrets[i]);
        free(ob->secrets);
        free(ob);
        m->outbox = NULL;
}
