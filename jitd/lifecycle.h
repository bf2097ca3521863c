/* What follows a committed change, in one place. Every action (requests.c,
 * grants.c, decision.c, sessions.c, expiry.c) writes its change to the
 * store in one transaction, commits, and then calls lifecycle_committed()
 * once with what changed; nothing else audits, wakes waiters, arms timers
 * or kicks the outbox after a commit.
 *
 * The order is fixed:
 *   1. audit      the journal entry (audit.h), first: it is the record,
 *                 and it must exist even if what follows fails;
 *   2. waiters    answer the logins and sudo calls blocked on a request
 *                 that left the pending state (waiters.h), before anything
 *                 slower: a login waits on it;
 *   3. timers     a grant that started gets its timer (expiry_grant_started,
 *                 which also tears down the grant an extension replaces);
 *                 a grant that ended is torn down (teardown_run_grant: its
 *                 own audit entry, sessions, sudo's credentials, timer;
 *                 teardown_run_due for grants ended in bulk);
 *                 then the expiry timer is re-armed for the new deadlines;
 *   4. outbox     kick the webhook outbox (outbox_kick): its rows were
 *                 committed with the change; the kick only schedules a
 *                 look from the event loop, so a waiter's reply is always
 *                 queued before any webhook goes out, as before.
 * Nothing here fails the action: the change is on disk already.
 *
 * Not here: entries that follow no commit (Check's allowed/denied and a
 * break-glass login in access.c, a refused request in request-limit.c),
 * and the entries of a grant's teardown, which teardown.c writes when
 * step 3 runs it. */
#pragma once

#include <stdbool.h>

#include "audit.h"
#include "jitd.h"
#include "store.h"

typedef struct LifecycleChange {
        /* 1. The entry to write; `audit` NULL: none. */
        AuditEvent event;
        const AuditFields *audit;
        /* 2. The request left the pending state: its waiters are answered.
         * `grant`: the grant its approval created (or NULL). */
        const RequestRecord *decided;
        const GrantRecord *decided_grant;
        /* 3. A grant began (approved, break-glass, an extension). */
        const GrantRecord *grant_started;
        /* 3. A grant ended (revoked, expired by io.jit.Expire): its teardown
         * is pending in the store since the commit; carried out now. */
        const char *grant_ended;
        /* 3. Grants ended in bulk (the expiry timer): carry out every
         * teardown that is due. */
        bool teardowns_due;
        /* 3. Deadlines changed (a new request, a decision, an ended grant):
         * re-arm the expiry timer. Implied by grant_started. */
        bool rearm;
        /* 4. Outbox rows were committed with the change. */
        bool kick;
} LifecycleChange;

void lifecycle_committed(Manager *m, const LifecycleChange *c);
