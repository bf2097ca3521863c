/* io.jit.Check's decision: may this user log in (or sudo) now? The policy
 * verdict, the live grant, and without one where the user stands (a
 * pending request, a new one when asked to file it, a recent denial);
 * each answer with its audit entry. The caller (methods.c) only turns the
 * result into a reply. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "jitd.h"
#include "requests.h"
#include "store.h"

typedef enum AccessVerdict {
        ACCESS_IGNORE,             /* the policy does not gate this user */
        ACCESS_BREAKGLASS,         /* a break-glass account: allowed, no grant */
        ACCESS_ALLOW,              /* a live grant: result->grant */
        ACCESS_DENY,               /* no live grant: result->state and the request */
        ACCESS_POLICY_FAILED,      /* NSS trouble: cannot tell, so denied */
        ACCESS_CONFIG_UNAVAILABLE, /* covered, while jitd lacks the admin's configuration */
} AccessVerdict;

typedef struct AccessResult {
        AccessVerdict verdict;
        LiveGrant grant;       /* ACCESS_ALLOW */
        const char *state;     /* ACCESS_DENY: "none", "pending" or "denied" */
        bool have_request;     /* ACCESS_DENY: `request` is the pending or denied one */
        RequestRecord request;
        bool created;          /* filed by this call */
        bool limited;          /* filing was refused by the request limit: retry_at */
        int64_t retry_at;
} AccessResult;

/* `in` names the user, action and origin; `create`: file a request if
 * there is none pending (the account phase). <0: the store failed. */
int access_check(Manager *m, const RequestInput *in, bool create, int64_t now, AccessResult *ret);
