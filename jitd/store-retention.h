/* Retention: rows that ended long ago leave the store (see store_prune()).
 * Same rules as store.h: -errno, one transaction per call. */
#pragma once

#include <stdint.h>

#include "store.h"

typedef struct PruneCounts {
        unsigned requests, grants, sessions, messages; /* rows removed */
} PruneCounts;

/* Remove at most `max` rows of each kind that ended before `cutoff`
 * (unix seconds), in one transaction:
 *   - webhook messages queued before it that are no longer pending
 *     (delivered, failed or cancelled);
 *   - grants created and ended before it (not active), with their
 *     sessions, unless a session is still open or its end actions have
 *     not all run (a teardown row);
 *   - requests created, decided and expired before it (not pending), with
 *     their votes, review links and messages, unless a grant still
 *     points at it or one of its messages is still pending.
 * Nothing live is touched: an active grant, a pending request, a pending
 * message, an open session, an unfinished teardown. Returns 1 if any kind
 * hit `max` (call again soon), 0 if everything old is gone. */
int store_prune(Store *s, int64_t cutoff, unsigned max, PruneCounts *ret);
