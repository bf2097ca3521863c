/* The life of a grant in time: its expiry timer (a transient systemd timer,
 * or jitd's own CLOCK_REALTIME timer where there is no systemd), the warning
 * before its deadline, and what happens when it ends. Timers only carry out
 * what happens at expiry (audit, waking waiters, ending sessions); every
 * Check compares the stored deadline itself, so a late timer never extends
 * access. */
#pragma once

#include "jitd.h"
#include "store.h"

/* Expire whatever fell due while jitd was down, then arm the timer. */
int expiry_start(Manager *m);
void expiry_stop(Manager *m);

/* Re-arm after any change that may have added an earlier deadline. */
void expiry_rearm(Manager *m);

/* A grant was created (approved, break-glass, an approved extension): its
 * timer, and for an extension the teardown of the grant it extends. Everything
 * that creates a grant calls this once the grant is on disk. Re-arms. */
void expiry_grant_started(Manager *m, const GrantRecord *g);

/* t + seconds, saturating at INT64_MAX: every deadline jitd computes
 * (a request's TTL, a grant's duration) goes through here. */
int64_t expiry_deadline_after(int64_t t, uint64_t seconds);

/* The deadline of the grant an approved extension request creates: the
 * duration counts from the end of the grant it extends (from now if that
 * has ended), and never reaches past the policy's max_duration from now.
 * Whatever path approves a request computes an extension's deadline here. */
int64_t expiry_extension_deadline(Manager *m, const RequestRecord *req, int64_t now, uint64_t duration);

