/* Check (access.h). Called for every login and sudo of a covered user, so
 * it reads the store once on the common path (store_check_live_grant())
 * and writes only when it files a request. */

#include <errno.h>

#include "access.h"
#include "audit.h"
#include "log.h"
#include "policy.h"

/* The entry every Check answer writes: who, what, from where. */
static AuditFields access_fields(const RequestInput *in) {
        return (AuditFields) {
                .user = in->user,
                .action = jit_action_to_string(in->action),
                .service = in->service,
                .rhost = in->rhost,
                .tty = in->tty,
        };
}

/* No live grant. Where the user stands: a pending request (one per user
 * and action: a retried login does not page the approvers again), else a
 * new request when asked to create one. Only a pending request blocks a
 * new one: after a denial or an expiry the account phase is how a user
 * with "AuthenticationMethods publickey" alone asks again. Without
 * create_request (the auth phase, before it asks for a reason) a recent
 * denial is reported. */
static int standing(Manager *m, const RequestInput *in, bool create, int64_t now, AccessResult *ret) {
        uint64_t ttl = m->config.request_ttl_sec;
        int r;

        ret->state = "none";
        r = store_find_pending_request(m->store, in->user, in->action, now, &ret->request);
        if (r < 0)
                return r;
        if (r > 0) {
                ret->have_request = true;
                ret->state = "pending";
        } else if (create) {
                r = request_create(m, in, now, &ret->request, &ret->retry_at);
                if (r == -EDQUOT)
                        ret->limited = true;
                else if (r < 0)
                        return r;
                else {
                        ret->have_request = ret->created = true;
                        ret->state = "pending";
                }
        } else {
                int64_t since = ttl < (uint64_t) now ? now - (int64_t) ttl : 0;

                r = store_find_recent_request(m->store, in->user, in->action, since, &ret->request);
                if (r < 0)
                        return r;
                if (r > 0 && ret->request.state == REQUEST_DENIED) {
                        ret->have_request = true;
                        ret->state = "denied";
                }
        }
        return 0;
}

int access_check(Manager *m, const RequestInput *in, bool create, int64_t now, AccessResult *ret) {
        AuditFields f = access_fields(in);
        PolicyVerdict v;
        int r;

        *ret = (AccessResult) {};
        v = policy_evaluate(&m->config, in->user, in->action);
        if ((int) v < 0) {
                /* NSS trouble: we cannot tell whether the user is covered, so
                 * deny (never "ignore", which would let them through). */
                log_warning_errno((int) v, "Cannot evaluate policy for user %s: %m", in->user);
                ret->verdict = ACCESS_POLICY_FAILED;
                return 0;
        }
        if (v == POLICY_NOT_COVERED) {
                ret->verdict = ACCESS_IGNORE;
                return 0;
        }
        if (v == POLICY_BREAKGLASS) {
                audit_log(AUDIT_BREAKGLASS, &f);
                ret->verdict = ACCESS_BREAKGLASS;
                return 0;
        }

        /* Covered, and the policy is not the admin's current one: no grant
         * is honoured and no request filed until it is. */
        if (m->config_problem) {
                ret->verdict = ACCESS_CONFIG_UNAVAILABLE;
                return 0;
        }

        r = store_check_live_grant(m->store, in->user, in->action, now, &ret->grant);
        if (r < 0)
                return r;
        if (r > 0) {
                f.grant_id = ret->grant.id;
                f.request_id = ret->grant.request_id;
                f.approver = ret->grant.breakglass ? ret->grant.approver : NULL;
                f.expires = ret->grant.expires_at;
                audit_log(ret->grant.breakglass ? AUDIT_BREAKGLASS : AUDIT_ACCESS_ALLOWED, &f);
                ret->verdict = ACCESS_ALLOW;
                return 0;
        }

        r = standing(m, in, create, now, ret);
        if (r < 0)
                return r;
        f.request_id = ret->have_request ? ret->request.id : NULL;
        audit_log(AUDIT_ACCESS_DENIED, &f);
        ret->verdict = ACCESS_DENY;
        return 0;
}
