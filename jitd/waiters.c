/* The waiter registry (waiters.h): a list per Manager of who waits on which
 * request. A handful of entries at most at any time (one per blocked login
 * or sudo), so a list walk per released request is cheap. */

#include <stdio.h>
#include <string.h>

#include "list.h"
#include "waiters.h"

void waiters_add(Manager *m, Waiter *w, const char *request_id, WaiterFunc func, void *userdata) {
        waiters_remove(m, w);
        snprintf(w->request_id, sizeof(w->request_id), "%s", request_id);
        w->func = func;
        w->userdata = userdata;
        LIST_PREPEND(m->waiters, w);
        w->linked = true;
}

void waiters_remove(Manager *m, Waiter *w) {
        if (!w || !w->linked)
                return;
        LIST_REMOVE(m->waiters, w);
        w->linked = false;
}

void waiters_release(Manager *m, const RequestRecord *r, const GrantRecord *grant) {
        Waiter *w, *next;

        if (!r)
                return;
        for (w = m->waiters; w; w = next) {
                next = w->next; /* answering removes only this waiter */
                if (strcmp(w->request_id, r->id) != 0)
                        continue;
                waiters_remove(m, w);
                w->func(m, r, grant, w->userdata);
        }
}
