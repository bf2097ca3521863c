/* The waiters of a request: the logins and sudo calls blocked in
 * io.jit.WaitDecision until their request leaves the pending state. The
 * registry sits below everything that ends a wait (decision.c, expiry.c,
 * through lifecycle.h) and knows nothing of connections or replies: the
 * protocol layer registers a waiter by request id with the function that
 * answers it, and removes it when its connection goes. So nothing below the
 * protocol layer calls up into it (no methods_ symbol below methods.c).
 *
 * A Waiter is embedded in what waits (a Connection), so registering cannot
 * fail and removing twice is harmless. */
#pragma once

#include <stdbool.h>

#include "jitd.h"
#include "store.h"

/* Answer one waiter: request `r` has left the pending state. `grant` (may
 * be NULL) is the grant an approval created. The waiter is already removed
 * from the registry when this is called. */
typedef void (*WaiterFunc)(Manager *m, const RequestRecord *r, const GrantRecord *grant, void *userdata);

struct Waiter {
        char request_id[JIT_ID_MAX];
        WaiterFunc func;
        void *userdata;
        Waiter *prev, *next;
        bool linked;
};

/* Wait on `request_id`: `func(userdata)` is called once, when it leaves
 * the pending state, unless the waiter is removed first. */
void waiters_add(Manager *m, Waiter *w, const char *request_id, WaiterFunc func, void *userdata);
/* No longer waiting (answered, or the connection went). A no-op if `w`
 * is not registered. */
void waiters_remove(Manager *m, Waiter *w);

/* Request `r` left the pending state: answer each of its waiters. */
void waiters_release(Manager *m, const RequestRecord *r, const GrantRecord *grant);
