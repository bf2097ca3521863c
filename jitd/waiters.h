/* The waiters of a request: the logins and sudo calls blocked in
 * io.jit.WaitDecision until their request leaves the pending state. Who
 * waits, and how they are answered, is the protocol layer's business (its
 * connections, its reply format); what ends a wait (an approval, a denial,
 * a withdrawal, an expiry) happens in the actions below it. This module is
 * the seam between the two: the protocol layer supplies the function that
 * answers every waiter of a request id, and the lifecycle (lifecycle.h)
 * calls waiters_release() once the change is committed. Nothing below the
 * protocol layer names a methods_ symbol. */
#pragma once

#include "jitd.h"
#include "store.h"

/* Answer everyone waiting on request `r` with its final state. `grant`
 * (may be NULL) is the grant an approval created; looked up if needed. */
typedef void (*WaitersReleaseFunc)(Manager *m, const RequestRecord *r, const GrantRecord *grant);

/* Set by the protocol layer when it starts serving (server_new()); one per
 * process, as there is one socket server. NULL: nobody can be waiting
 * (unit tests, before the server exists), releasing is a no-op. */
void waiters_set_release_func(WaitersReleaseFunc func);

/* Request `r` left the pending state: answer its waiters, if any. */
void waiters_release(Manager *m, const RequestRecord *r, const GrantRecord *grant);
