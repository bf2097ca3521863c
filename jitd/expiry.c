/* Expiry: the life of a grant in time, and what happens when a grant's or
 * a pending request's deadline passes. Whether access is allowed is never
 * decided here: Check compares the stored deadline, so a late or missed
 * timer never extends access. What is decided here is when the actions run:
 * the audit entry, waking a request's waiters, ending the grant's sessions
 * through logind, dropping sudo's cached credentials, removing its timer.
 *
 * A grant's expiry runs from its transient systemd timer where systemd is
 * there (systemd-timers.c: the timer runs "jitctl expire", io.jit.Expire
 * lands in teardown.c). Otherwise, and for pending requests
 * always, one CLOCK_REALTIME sd-event timer is armed at the store's earliest
 * deadline; when it fires, store_expire_due_until() flips everything due.
 * With systemd timers in charge, that timer still sweeps up grants whose
 * systemd timer did not do its job, a grace period after their deadline.
 *
 * What happens once a grant has ended (audit, sessions, sudo's cached
 * credentials) is teardown.c's: the store records it as pending in the
 * same statement that ends the grant, so a crash does not lose it. The
 * webhook messages of an expired request are written in the transaction
 * that expires it.
 *
 * The same timer also fires warn_before ahead of each grant's deadline, to
 * warn the terminals of its sessions. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "event-util.h"
#include "expiry.h"
#include "log.h"
#include "logind.h"
#include "lifecycle.h"
#include "outbox.h"
#include "systemd-timers.h"
#include "teardown.h"
#include "test-hooks.h"
#include "text.h"

/* If the store cannot tell the next deadline, look again this much later. */
#define EXPIRY_RETRY_SEC 10
/* With systemd timers in charge (AccuracySec=1s), jitd's own timer takes
 * over a grant's expiry only this long after its deadline, so the two do
 * not race for it. */
#define EXPIRY_SYSTEMD_GRACE_SEC 10
/* Changes collected per store_expire_due() pass before acting on them. */
#define EXPIRY_BATCH_MAX 4096U

typedef struct ExpiredBatch {
        Manager *m;
        GrantRecord *grants;
        size_t n_grants;
        RequestRecord *requests;
        size_t n_requests;
        size_t dropped;
} ExpiredBatch;

static int collect(void **array, size_t *n, size_t element_size, const void *element, size_t *dropped) {
        void *p;

        if (*n >= EXPIRY_BATCH_MAX) {
                (*dropped)++;
                return 0;
        }
        p = realloc(*array, (*n + 1) * element_size);
        if (!p) {
                (*dropped)++;
                return 0;
        }
        *array = p;
        memcpy((char *) p + *n * element_size, element, element_size);
        (*n)++;
        return 0;
}

/* Inside the transaction that expires the request: its "expired" webhook
 * messages commit with the expiry or not at all. */
static int on_request_expiring(const RequestRecord *r, void *userdata) {
        ExpiredBatch *b = userdata;
        return outbox_enqueue(b->m, r, WEBHOOK_EVENT_REQUEST_EXPIRED, r->expires_at);
}

/* The store calls back in the middle of its work; only copy here and act
 * once it has returned, so nothing re-enters the store mid-transaction. */
static int on_grant_expired(const GrantRecord *g, void *userdata) {
        ExpiredBatch *b = userdata;
        return collect((void **) &b->grants, &b->n_grants, sizeof(*g), g, &b->dropped);
}

static int on_request_expired(const RequestRecord *r, void *userdata) {
        ExpiredBatch *b = userdata;
        return collect((void **) &b->requests, &b->n_requests, sizeof(*r), r, &b->dropped);
}

int64_t expiry_deadline_after(int64_t t, uint64_t seconds) {
        return seconds > (uint64_t) (INT64_MAX - t) ? INT64_MAX : t + (int64_t) seconds;
}

int64_t expiry_extension_deadline(Manager *m, const RequestRecord *req, int64_t now, uint64_t duration) {
        uint64_t max = m->config.policy[req->action].max_duration_sec;
        int64_t base = now, deadline, cap;
        GrantRecord old;

        if (store_get_grant(m->store, req->extends_grant_id, &old) >= 0 && old.state == GRANT_ACTIVE &&
            old.expires_at > base)
                base = old.expires_at;
        deadline = expiry_deadline_after(base, duration);
        cap = expiry_deadline_after(now, max);
        return deadline < cap ? deadline : cap;
}

void expiry_grant_started(Manager *m, const GrantRecord *g) {
        systemd_timers_add(m, g);

        /* An approved extension ended the grant it extends in the same
         * transaction (store_approve_request()), with a pending teardown:
         * its audit entry, and its timer goes. */
        if (g->extends_grant_id[0])
                teardown_run_grant(m, g->extends_grant_id);

        expiry_rearm(m);
}

/* ---- warnings ---- */

static int warn_grant_cb(const GrantRecord *g, void *userdata) {
        logind_warn_sessions(userdata, g);
        return 0;
}

/* Warn the sessions of every grant whose deadline came within warn_before
 * since the last time. Each grant is warned once, by this watermark. */
static void expiry_warn_due(Manager *m, int64_t now) {
        uint64_t before = m->config.warn_before_sec;
        int64_t until;
        int r;

        if (before == 0)
                return;
        until = now + (int64_t) before;
        if (until <= m->warned_until)
                return;

        r = store_list_grants_expiring(m->store, m->warned_until, until, warn_grant_cb, m);
        if (r < 0)
                log_warning_errno(r, "Cannot list grants about to expire, not warning their sessions: %m");
        /* Also after an error: a warning is a courtesy, a busy loop is not. */
        m->warned_until = until;
}

/* ---- the timer ---- */

static int64_t grant_grace(const Manager *m) {
        return systemd_timers_active(m) ? EXPIRY_SYSTEMD_GRACE_SEC : 0;
}

static void expiry_run_due(Manager *m) {
        ExpiredBatch b = { .m = m };
        int64_t now = jit_now_realtime(), grace = grant_grace(m);
        int r;

        r = store_expire_due_tx(m->store, now - grace, now, on_request_expiring, on_grant_expired,
                                on_request_expired, &b);
        if (r < 0) {
                log_error_errno(r, "Failed to expire due grants and requests, retrying: %m");
                m->expiry_backoff_until = now + EXPIRY_RETRY_SEC;
        }
        if (b.n_grants + b.n_requests > 0)
                test_hook("expiry-committed");

        for (size_t i = 0; i < b.n_grants; i++) {
                const GrantRecord *g = &b.grants[i];

                if (grace > 0)
                        log_warning("Grant %s passed its deadline %llis ago and its systemd timer did not expire "
                                    "it; expiring it now.",
                                    g->id, (long long) (now - g->expires_at));
        }
        /* Each expired grant has a pending teardown in the store: its audit
         * entry, its sessions, sudo's cached credentials. */
        if (b.n_grants > 0 || b.dropped > 0)
                lifecycle_committed(m, &(LifecycleChange) { .teardowns_due = true });

        /* Each expired request: its audit entry and its waiters; the outbox
         * once, after the last (its "expired" messages committed with it). */
        for (size_t i = 0; i < b.n_requests; i++) {
                const RequestRecord *req = &b.requests[i];
                AuditFields f = audit_fields_from_request(req);

                f.match_code = req->match_code;
                lifecycle_committed(m,
                                    &(LifecycleChange) {
                                            .event = AUDIT_REQUEST_EXPIRED,
                                            .audit = &f,
                                            .decided = req,
                                            .kick = i + 1 == b.n_requests,
                                    });
        }

        if (b.dropped > 0)
                log_error("Out of memory while expiring: %zu audit entries lost.", b.dropped);
        if (b.n_grants + b.n_requests > 0)
                log_debug("Expired %zu grant(s) and %zu request(s).", b.n_grants, b.n_requests);

        free(b.grants);
        free(b.requests);

        expiry_warn_due(m, now);
}

static int on_expiry_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        expiry_run_due(m);
        expiry_rearm(m);
        return 0;
}

static int64_t add_saturating(int64_t a, int64_t b) {
        return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/* The next time something is due, INT64_MAX for nothing; <0 if the store
 * cannot say. */
static int next_due(Manager *m, int64_t *ret) {
        int64_t grant, request, next, deadline;
        int r;

        r = store_next_deadlines(m->store, &grant, &request);
        if (r < 0)
                return r;
        next = add_saturating(grant, grant_grace(m));
        if (request < next)
                next = request;

        if (m->config.warn_before_sec > 0) {
                r = store_next_grant_deadline_after(m->store, m->warned_until, &deadline);
                if (r < 0)
                        return r;
                if (r > 0 && deadline - (int64_t) m->config.warn_before_sec < next)
                        next = deadline - (int64_t) m->config.warn_before_sec;
        }

        *ret = next;
        return 0;
}

void expiry_rearm(Manager *m) {
        int64_t next = INT64_MAX;
        int r;

        if (!m->expiry_source)
                return;

        r = next_due(m, &next);
        if (r >= 0 && next != INT64_MAX && next < m->expiry_backoff_until)
                next = m->expiry_backoff_until; /* the store failed on what is due: not a busy loop */
        if (r < 0) {
                /* Check still compares deadlines itself; only the actions
                 * would be late. Try again soon. */
                log_warning_errno(r, "Cannot read the next deadline from the store, retrying: %m");
                next = jit_now_realtime() + EXPIRY_RETRY_SEC;
        } else if (next == INT64_MAX) {
                (void) sd_event_source_set_enabled(m->expiry_source, SD_EVENT_OFF);
                return;
        }

        r = event_arm_wall_timer(m->expiry_source, next);
        if (r < 0)
                log_error_errno(r, "Failed to arm the expiry timer: %m");
}

int expiry_start(Manager *m) {
        int r;

        r = event_add_wall_timer(m->event, &m->expiry_source, 100 * USEC_PER_MSEC, on_expiry_timer, m,
                                 JITD_PRIORITY_EXPIRY, "expiry");
        if (r < 0)
                return log_error_errno(r, "Failed to create the expiry timer: %m");

        /* Grants about to expire get their warning now: if jitd was down at
         * their warning time, late is better than never. */
        m->warned_until = jit_now_realtime();

        /* Whatever fell due while jitd was not running: before asking
         * whether systemd is there, so with no grace. */
        expiry_run_due(m);
        expiry_rearm(m);
        return 0;
}

void expiry_stop(Manager *m) {
        m->expiry_source = sd_event_source_disable_unref(m->expiry_source);
}
