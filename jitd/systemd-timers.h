/* Expiry timers in systemd: one transient jit-expire-<grant>.timer per live
 * grant (OnCalendar= at its deadline, AccuracySec=1s), whose service runs
 * "jitctl expire <grant>", made and removed over sd-bus without ever
 * blocking the event loop. Where no systemd manager is reachable, jitd's own
 * timer (expiry.c) does the work. Neither decides access: Check compares the
 * stored deadline. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jitd.h"
#include "store.h"

/* Ask the bus (asynchronously) whether systemd is there. When it answers
 * yes, the timers of every live grant are (re)created; until then, and for
 * good if the answer is no or there is no bus, expiry stays with jitd's own
 * timer. Says once in the log which one it is. */
int systemd_timers_start(Manager *m);

/* True while systemd's timers carry out expiry, so that jitd's own timer
 * only catches what they missed. */
bool systemd_timers_active(const Manager *m);

/* Create or remove the timer of a grant. No-ops unless systemd carries out
 * expiry; failures are logged (and jitd's own timer covers them). */
void systemd_timers_add(Manager *m, const GrantRecord *g);
void systemd_timers_remove(Manager *m, const GrantRecord *g);

/* "jit-expire-<grant><suffix>" into buf; -EINVAL for a malformed grant id. */
int systemd_timer_unit_name(const char *grant_id, const char *suffix, char *buf, size_t size);
/* An OnCalendar= spec for the UNIX time t: "2026-11-23 14:05:00 UTC". */
int systemd_calendar_spec(int64_t t, char *buf, size_t size);
