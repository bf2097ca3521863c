/* Grants: ending them (io.jit.Revoke, io.jit.Expire from the expiry timers)
 * and creating the one kind nobody reviews (io.jit.Grant, break-glass).
 * Grants an approval creates are decision.c's. Who may call these (an
 * admin) is the caller's business. */
#pragma once

#include <stdint.h>

#include "jitd.h"
#include "store.h"

#define REVOKE_MAX 1000U

/* End grant `grant_id` as `state` (revoked or expired) and record a
 * revocation's reason with its pending teardown, in one transaction; then
 * carry out the teardown (lifecycle.h). The caller re-arms the expiry
 * timer (one re-arm for many grants). -ENOENT, -ESTALE (not active). */
int grant_end(Manager *m, const char *grant_id, GrantState state, const char *by, const char *by_person,
              const char *reason, int64_t now, GrantRecord *ret);

typedef void (*GrantRevokedFunc)(const GrantRecord *g, void *userdata);

/* Revoke `grant_id`, or else every live grant of `user` (for `action` if
 * it is >= 0; at most REVOKE_MAX), calling `cb` for each. For one grant:
 * -ENOENT unknown, -ESTALE no longer active. A grant that ends meanwhile
 * is skipped. On a store failure those revoked so far stay revoked. */
int grants_revoke(Manager *m, const char *grant_id, const char *user, JitAction action, const char *by,
                  const char *by_person, const char *reason, int64_t now, GrantRevokedFunc cb, void *userdata);

/* Record what the clock decided: grant `grant_id` passed its deadline.
 * -ENOENT; -ESTALE not active; -EBUSY not due yet (ret->expires_at). */
int grant_expire(Manager *m, const char *grant_id, const char *by, const char *by_person, int64_t now,
                 GrantRecord *ret);

typedef struct BreakglassInput {
        const char *user;
        JitAction action;
        uint64_t duration_sec;
        const char *by, *by_person; /* the admin, and the person behind the account */
        const char *reason;         /* required: nobody reviews it */
} BreakglassInput;

/* io.jit.Grant: a grant without a request. -ERANGE duration above the
 * policy maximum, -EINVAL invalid duration, other: the store failed. */
int grant_breakglass(Manager *m, const BreakglassInput *in, int64_t now, GrantRecord *ret);
