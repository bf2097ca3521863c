/* Policy decisions: does this user need approval for this action, may they
 * bypass (break-glass), is a peer an admin, how long may a grant last. Group
 * membership comes from NSS (getgrouplist). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"

typedef enum PolicyVerdict {
        POLICY_NOT_COVERED,     /* -> "ignore" */
        POLICY_NEEDS_APPROVAL,  /* -> grant required */
        POLICY_BREAKGLASS,      /* -> allowed, audited on every use */
        _POLICY_VERDICT_INVALID = -1,
} PolicyVerdict;

/* Negative errno on NSS failure (caller must deny). */
PolicyVerdict policy_evaluate(const Config *c, const char *user, JitAction action);
/* uid 0, or member of admin_group (primary gid or supplementary). */
bool policy_peer_is_admin(const Config *c, uid_t uid, gid_t gid);
/* Clamp a requested duration: 0 means default; >max -> -ERANGE. */
int policy_grant_duration(const Config *c, JitAction action, uint64_t requested_sec, uint64_t *ret_sec);
