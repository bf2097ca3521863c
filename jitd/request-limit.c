/* The per-user request limit and its audit entries (see request-limit.h). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "clock.h"
#include "macros.h"
#include "request-limit.h"
#include "text.h"

/* After a user's refusal was audited, the next one is audited this much
 * later at the earliest, with the count of those in between. */
#define REFUSAL_AUDIT_INTERVAL_USEC (60ULL * USEC_PER_SEC)
/* Users whose refusals are being counted; beyond this many at once the
 * longest-quiet one is forgotten (its next refusal is audited at once). */
#define REFUSAL_SLOTS 32

typedef struct RefusalSlot {
        char user[JIT_USER_MAX + 1]; /* "": free */
        uint64_t audited_usec;       /* CLOCK_MONOTONIC of the last entry */
        unsigned unaudited;          /* refusals since */
} RefusalSlot;

struct RequestLimiter {
        RefusalSlot slots[REFUSAL_SLOTS];
};

int request_limit_check(Manager *m, const char *user, int64_t now, int64_t *ret_retry_at) {
        uint64_t interval = m->config.request_limit_interval_sec;
        int64_t since = (uint64_t) now > interval ? now - (int64_t) interval : 0, nth = 0;
        int k;

        if (m->config.request_limit == 0)
                return 0;
        k = store_nth_newest_request(m->store, user, since, m->config.request_limit, &nth);
        if (k <= 0)
                return k;
        /* The n-th newest leaves the window `interval` after it was made;
         * a clock that went back must not push that into the far future. */
        if (ret_retry_at)
                *ret_retry_at = nth > now ? now + (int64_t) interval : nth + (int64_t) interval;
        return -EDQUOT;
}

static RefusalSlot *refusal_slot(RequestLimiter *l, const char *user) {
        RefusalSlot *free_slot = NULL, *quietest = &l->slots[0];

        for (size_t i = 0; i < REFUSAL_SLOTS; i++) {
                RefusalSlot *s = &l->slots[i];

                if (s->user[0] && strcmp(s->user, user) == 0)
                        return s;
                if (!s->user[0] && !free_slot)
                        free_slot = s;
                if (s->audited_usec < quietest->audited_usec)
                        quietest = s;
        }
        if (!free_slot) {
                free_slot = quietest;
                *free_slot = (RefusalSlot) {};
        }
        snprintf(free_slot->user, sizeof(free_slot->user), "%s", user);
        return free_slot;
}

void request_limit_audit_refusal(Manager *m, const char *user, JitAction action, const char *service,
                                 const char *rhost, const char *tty, int64_t retry_at) {
        uint64_t now = now_monotonic_usec();
        char interval[32], reason[256];
        RefusalSlot *s;

        if (!m->limiter) {
                m->limiter = calloc(1, sizeof(RequestLimiter));
                if (!m->limiter)
                        return;
        }
        s = refusal_slot(m->limiter, user);
        if (s->audited_usec != 0 && now - s->audited_usec < REFUSAL_AUDIT_INTERVAL_USEC) {
                s->unaudited++;
                return;
        }

        jit_format_duration(m->config.request_limit_interval_sec, interval, sizeof(interval));
        if (s->unaudited > 0)
                snprintf(reason, sizeof(reason),
                         "request_limit: %u new requests in %s; %u more refused since the last entry",
                         m->config.request_limit, interval, s->unaudited);
        else
                snprintf(reason, sizeof(reason), "request_limit: %u new requests in %s", m->config.request_limit,
                         interval);
        audit_log(AUDIT_REQUEST_REFUSED,
                  &(AuditFields) {
                          .user = user,
                          .action = jit_action_to_string(action),
                          .service = service,
                          .rhost = rhost,
                          .tty = tty,
                          .reason = reason,
                          .expires = retry_at,
                  });
        s->audited_usec = now;
        s->unaudited = 0;
}

void request_limiter_free(Manager *m) {
        free(m->limiter);
        m->limiter = NULL;
}
