/* The waiter registry's seam (waiters.h): one release function, supplied by
 * the protocol layer, called by the lifecycle. The connections themselves
 * (who streams on which request id) stay with the socket server, which
 * drops a waiter when its connection goes. */

#include <stddef.h>

#include "waiters.h"

static WaitersReleaseFunc release_func = NULL;

void waiters_set_release_func(WaitersReleaseFunc func) {
        release_func = func;
}

void waiters_release(Manager *m, const RequestRecord *r, const GrantRecord *grant) {
        if (release_func && r)
                release_func(m, r, grant);
}
