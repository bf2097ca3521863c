/* Grant and request expiry: one CLOCK_REALTIME sd-event timer armed at the
 * store's next deadline. Timers only carry out what happens at expiry (audit,
 * waking waiters, ending sessions); every Check compares the stored deadline
 * itself, so a late timer never extends access. */
#pragma once

#include "jitd.h"
#include "store.h"

/* Expire whatever fell due while jitd was down, then arm the timer. */
int expiry_start(Manager *m);
void expiry_stop(Manager *m);

/* Re-arm after any change that may have added an earlier deadline. */
void expiry_rearm(Manager *m);

/* What happens when a grant stops being active (expired, revoked). */
void expiry_grant_ended(Manager *m, const GrantRecord *g);
