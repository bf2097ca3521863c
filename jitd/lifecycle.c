/* lifecycle_committed(): the effects of a committed change, in the order
 * lifecycle.h documents; and the one place AuditFields is filled from a
 * request record. */

#include "audit.h"
#include "expiry.h"
#include "lifecycle.h"
#include "outbox.h"
#include "teardown.h"
#include "waiters.h"

AuditFields audit_fields_from_request(const RequestRecord *r) {
        return (AuditFields) {
                .request_id = r->id,
                .user = r->user,
                .action = jit_action_to_string(r->action),
                .service = r->service,
                .rhost = r->rhost,
                .tty = r->tty,
                .reason = r->reason,
        };
}

void lifecycle_committed(Manager *m, const LifecycleChange *c) {
        /* 1. The record of what happened. */
        if (c->audit)
                audit_log(c->event, c->audit);

        /* 2. Whoever waits on the request. */
        if (c->decided)
                waiters_release(m, c->decided, c->decided_grant);

        /* 3. Timers: a new grant's, an ended grant's teardown, then the
         * expiry timer (expiry_grant_started() re-arms it itself). */
        if (c->grant_started)
                expiry_grant_started(m, c->grant_started);
        if (c->grant_ended)
                teardown_run_grant(m, c->grant_ended);
        if (c->teardowns_due)
                teardown_run_due(m);
        if (c->rearm && !c->grant_started)
                expiry_rearm(m);

        /* 4. The outbox. */
        if (c->kick)
                outbox_kick(m);
}
