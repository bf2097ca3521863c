/* Expiry: what happens when a grant's or a pending request's deadline
 * passes. One CLOCK_REALTIME sd-event timer is armed at the store's earliest
 * deadline (deadlines are wall-clock, like the grants admins read); when it
 * fires, store_expire_due() flips everything due, and for each change we
 * write the audit entry, answer the request's waiters, and run the grant's
 * end-of-life actions. The timer only carries out those actions: whether
 * access is allowed is decided by Check comparing the stored deadline, so a
 * late or missed timer never extends access.
 *
 * systemd transient timers (jit-expire-<grant>.timer) and ending sessions
 * through logind come later; expiry_grant_ended() is where they plug in. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "expiry.h"
#include "log.h"
#include "methods.h"
#include "text.h"

#define USEC_PER_SEC 1000000ULL
#define USEC_PER_MSEC 1000ULL
/* If the store cannot tell the next deadline, look again this much later. */
#define EXPIRY_RETRY_USEC (10ULL * USEC_PER_SEC)
/* Changes collected per store_expire_due() pass before acting on them. */
#define EXPIRY_BATCH_MAX 4096U

typedef struct ExpiredBatch {
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

void expiry_grant_ended(Manager *m, const GrantRecord *g) {
        /* Hook for the end of a grant (expired or revoked). Still to come:
         * terminate the grant's logind sessions (TerminateSession over
         * sd-bus, when policy says so), drop sudo's cached timestamp for the
         * user, and remove the grant's jit-expire-<grant>.timer. Until then
         * the user's next sudo or login is refused by Check, but sessions
         * already open stay open. */
        log_debug("Grant %s of %s (%s) ended (%s).", g->id, g->user, jit_action_to_string(g->action),
                  grant_state_to_string(g->state));
}

static void expiry_run_due(Manager *m) {
        ExpiredBatch b = {};
        int64_t now = jit_now_realtime();
        int r;

        r = store_expire_due(m->store, now, on_grant_expired, on_request_expired, &b);
        if (r < 0)
                log_error_errno(r, "Failed to expire due grants and requests: %m");

        for (size_t i = 0; i < b.n_grants; i++) {
                const GrantRecord *g = &b.grants[i];

                audit_log(AUDIT_GRANT_EXPIRED,
                          &(AuditFields) {
                                  .grant_id = g->id,
                                  .request_id = g->request_id,
                                  .user = g->user,
                                  .action = jit_action_to_string(g->action),
                                  .expires = g->expires_at,
                          });
                expiry_grant_ended(m, g);
        }

        for (size_t i = 0; i < b.n_requests; i++) {
                const RequestRecord *req = &b.requests[i];

                audit_log(AUDIT_REQUEST_EXPIRED,
                          &(AuditFields) {
                                  .request_id = req->id,
                                  .user = req->user,
                                  .action = jit_action_to_string(req->action),
                                  .service = req->service,
                                  .rhost = req->rhost,
                                  .tty = req->tty,
                                  .reason = req->reason,
                                  .match_code = req->match_code,
                          });
                methods_notify_decision(m, req, NULL);
        }

        if (b.dropped > 0)
                log_error("Out of memory while expiring: %zu audit entries lost.", b.dropped);
        if (b.n_grants + b.n_requests > 0)
                log_debug("Expired %zu grant(s) and %zu request(s).", b.n_grants, b.n_requests);

        free(b.grants);
        free(b.requests);
}

static int on_expiry_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        expiry_run_due(m);
        expiry_rearm(m);
        return 0;
}

void expiry_rearm(Manager *m) {
        int64_t deadline = 0;
        uint64_t usec;
        int r;

        if (!m->expiry_source)
                return;

        r = store_next_deadline(m->store, &deadline);
        if (r < 0) {
                /* Check still compares deadlines itself; only the actions
                 * would be late. Try again soon. */
                log_warning_errno(r, "Cannot read the next deadline from the store, retrying: %m");
                usec = (uint64_t) jit_now_realtime() * USEC_PER_SEC + EXPIRY_RETRY_USEC;
        } else if (r == 0) {
                (void) sd_event_source_set_enabled(m->expiry_source, SD_EVENT_OFF);
                return;
        } else if (deadline <= 0)
                usec = 1; /* long past: now */
        else if ((uint64_t) deadline > UINT64_MAX / USEC_PER_SEC - 1)
                usec = UINT64_MAX - 1;
        else
                usec = (uint64_t) deadline * USEC_PER_SEC;

        r = sd_event_source_set_time(m->expiry_source, usec);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->expiry_source, SD_EVENT_ONESHOT);
        if (r < 0)
                log_error_errno(r, "Failed to arm the expiry timer: %m");
}

int expiry_start(Manager *m) {
        int r;

        log_info("Grant expiry runs on jitd's own timer (systemd transient timers are not used yet).");

        r = sd_event_add_time(m->event, &m->expiry_source, CLOCK_REALTIME, UINT64_MAX - 1, 100 * USEC_PER_MSEC,
                              on_expiry_timer, m);
        if (r < 0)
                return log_error_errno(r, "Failed to create the expiry timer: %m");
        (void) sd_event_source_set_enabled(m->expiry_source, SD_EVENT_OFF);
        (void) sd_event_source_set_priority(m->expiry_source, JITD_PRIORITY_EXPIRY);
        (void) sd_event_source_set_description(m->expiry_source, "expiry");

        /* Whatever fell due while jitd was not running. */
        expiry_run_due(m);
        expiry_rearm(m);
        return 0;
}

void expiry_stop(Manager *m) {
        m->expiry_source = sd_event_source_disable_unref(m->expiry_source);
}
