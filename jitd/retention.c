/* The retention pass and its timer (see retention.h). */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "macros.h"
#include "retention.h"
#include "store-retention.h"
#include "text.h"

/* The first pass comes soon after start, then one this often. */
#define RETENTION_FIRST_USEC (2ULL * USEC_PER_SEC)
#define RETENTION_INTERVAL_USEC (10ULL * 60 * USEC_PER_SEC)
/* With more to remove, the next pass comes this much later. A pass holds
 * the event loop for its transaction (a few milliseconds, its fsync
 * included; more on a busy disk): spaced like this, passes delay well
 * under 1% of root's decisions even while a backlog lasts. */
#define RETENTION_BACKLOG_USEC (5ULL * USEC_PER_SEC)
/* Rows of each kind removed per pass. */
#define RETENTION_BATCH 100U

struct Retention {
        sd_event_source *timer; /* CLOCK_MONOTONIC */
};

static void retention_schedule(Manager *m, uint64_t delay_usec) {
        uint64_t now = 0;
        int k;

        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        k = sd_event_source_set_time(m->retention->timer, now + delay_usec);
        if (k >= 0)
                k = sd_event_source_set_enabled(m->retention->timer, SD_EVENT_ONESHOT);
        if (k < 0)
                log_error_errno(k, "Cannot arm the retention timer: %m");
}

static int on_retention_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        int64_t now = jit_now_realtime(), cutoff;
        PruneCounts c = {};
        int k;

        cutoff = (uint64_t) now > m->config.retention_sec ? now - (int64_t) m->config.retention_sec : 0;
        k = store_prune(m->store, cutoff, RETENTION_BATCH, &c);
        if (k < 0)
                log_warning_errno(k, "Cannot prune rows older than the retention: %m");
        else if (c.requests + c.grants + c.sessions + c.messages > 0)
                log_info("Retention: removed %u request(s), %u grant(s), %u session(s) and %u webhook message(s) "
                         "that ended before %" PRIi64 ".",
                         c.requests, c.grants, c.sessions, c.messages, cutoff);
        retention_schedule(m, k > 0 ? RETENTION_BACKLOG_USEC : RETENTION_INTERVAL_USEC);
        return 0;
}

int retention_start(Manager *m) {
        int k;

        m->retention = calloc(1, sizeof(Retention));
        if (!m->retention)
                return log_error_errno(-ENOMEM, "Out of memory.");
        k = sd_event_add_time(m->event, &m->retention->timer, CLOCK_MONOTONIC, 0, USEC_PER_SEC,
                              on_retention_timer, m);
        if (k < 0)
                return log_error_errno(k, "Cannot create the retention timer: %m");
        (void) sd_event_source_set_priority(m->retention->timer, JITD_PRIORITY_NOTIFY);
        (void) sd_event_source_set_description(m->retention->timer, "retention");
        retention_schedule(m, RETENTION_FIRST_USEC);
        return 0;
}

void retention_stop(Manager *m) {
        if (!m->retention)
                return;
        m->retention->timer = sd_event_source_disable_unref(m->retention->timer);
        free(m->retention);
        m->retention = NULL;
}
