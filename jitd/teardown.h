/* What happens when a grant ends, carried out until it is done: its audit
 * entry, its timer removed, its sessions ended through logind, the user's
 * systemd manager ended with their last login grant, sudo's cached
 * credentials of its user dropped. The store writes a pending teardown in
 * the transaction that ends a grant (store.h, TeardownRecord); this runs
 * it, retries what failed with growing delays (a bounded number of times),
 * deletes it when done, and at start redoes what a crash cut short. */
#pragma once

#include "jitd.h"
#include "store.h"

/* Create the retry timer and run every pending teardown, whenever due:
 * what an earlier jitd left undone. Call with the bus open. */
int teardown_start(Manager *m);
void teardown_stop(Manager *m);

/* Run the pending teardown of one grant now (after the commit that ended
 * it): its audit entry is written before this returns. No-op if it has
 * none. */
void teardown_run_grant(Manager *m, const char *grant_id);
/* Run the teardowns that are due (a batch; the timer takes the rest). */
void teardown_run_due(Manager *m);

/* The audit entry (session-teardown-failed) of a failed attempt
 * `attempt` at ending `g`'s sessions: `error_text` (else strerror of
 * `error`) says what failed; the next attempt comes `retry_sec` later, or
 * 0: jitd gives up. Exposed for tests. */
void teardown_audit_failed(const GrantRecord *g, unsigned attempt, int error, const char *error_text,
                           uint64_t retry_sec);

/* The delay before retry `attempt` (1, 2, ...) of a teardown that failed. */
uint64_t teardown_backoff_sec(unsigned attempt);
