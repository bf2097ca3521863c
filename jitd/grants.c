/* Ending grants and break-glass grants (grants.h). Each change commits in
 * one transaction; what follows (audit, teardown, timers) is
 * lifecycle_committed()'s. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expiry.h"
#include "grants.h"
#include "lifecycle.h"
#include "policy.h"
#include "store.h"
#include "text.h"

static int end_grant_transaction(Store *store, const char *grant_id, GrantState state, const char *by,
                                 const char *by_person, const char *reason, int64_t now, GrantRecord *ret) {
        int r;

        r = store_transaction_begin(store);
        if (r < 0)
                return r;
        r = store_end_grant(store, grant_id, state, by, by_person, now, ret);
        if (r >= 0 && reason && *reason)
                r = store_set_teardown_reason(store, grant_id, reason);
        if (r >= 0)
                r = store_transaction_commit(store);
        if (r < 0)
                store_transaction_rollback(store);
        return r;
}

int grant_end(Manager *m, const char *grant_id, GrantState state, const char *by, const char *by_person,
              const char *reason, int64_t now, GrantRecord *ret) {
        int r;

        r = end_grant_transaction(m->store, grant_id, state, by, by_person, reason, now, ret);
        if (r < 0)
                return r;
        /* Its audit entry, sessions, sudo's cached credentials: pending in
         * the store since the commit, carried out now. */
        lifecycle_committed(m, &(LifecycleChange) { .grant_ended = ret->id });
        return 0;
}

typedef struct IdList {
        char (*ids)[JIT_ID_MAX];
        size_t n, allocated;
        JitAction action; /* filter; _JIT_ACTION_INVALID: any */
} IdList;

static int collect_grant_id(const GrantRecord *g, void *userdata) {
        IdList *l = userdata;

        if (l->action >= 0 && g->action != l->action)
                return 0;
        if (l->n >= l->allocated) {
                size_t n = l->allocated ? l->allocated * 2 : 8;
                void *p;

                if (n > REVOKE_MAX)
                        n = REVOKE_MAX;
                if (l->n >= n)
                        return 0;
                p = realloc(l->ids, n * sizeof(*l->ids));
                if (!p)
                        return -ENOMEM;
                l->ids = p;
                l->allocated = n;
        }
        snprintf(l->ids[l->n++], JIT_ID_MAX, "%s", g->id);
        return 0;
}

/* The grants a revocation names: the one, or the user's live ones. */
static int revoke_targets(Manager *m, const char *grant_id, const char *user, JitAction action, int64_t now,
                          IdList *list) {
        if (grant_id) {
                list->ids = calloc(1, sizeof(*list->ids));
                if (!list->ids)
                        return -ENOMEM;
                list->allocated = list->n = 1;
                snprintf(list->ids[0], JIT_ID_MAX, "%s", grant_id);
                return 0;
        }
        list->action = action;
        return store_list_grants(m->store, user, true, now, REVOKE_MAX, collect_grant_id, list);
}

int grants_revoke(Manager *m, const char *grant_id, const char *user, JitAction action, const char *by,
                  const char *by_person, const char *reason, int64_t now, GrantRevokedFunc cb, void *userdata) {
        IdList list = { .action = _JIT_ACTION_INVALID };
        int r;

        r = revoke_targets(m, grant_id, user, action, now, &list);
        for (size_t i = 0; r >= 0 && i < list.n; i++) {
                GrantRecord g;

                r = grant_end(m, list.ids[i], GRANT_REVOKED, by, by_person, reason, now, &g);
                if (!grant_id && (r == -ENOENT || r == -ESTALE)) { /* ended meanwhile */
                        r = 0;
                        continue;
                }
                if (r >= 0)
                        cb(&g, userdata);
        }
        free(list.ids);
        /* Also after a failure: those revoked so far have ended. */
        lifecycle_committed(m, &(LifecycleChange) { .rearm = true });
        return r < 0 ? r : 0;
}

int grant_expire(Manager *m, const char *grant_id, const char *by, const char *by_person, int64_t now,
                 GrantRecord *ret) {
        int r;

        r = store_get_grant(m->store, grant_id, ret);
        if (r < 0)
                return r;
        if (ret->state != GRANT_ACTIVE)
                return -ESTALE;
        /* Expire records what the clock already decided; ending a grant
         * early is Revoke. The deadline second itself counts as passed (as
         * in Check): a timer firing at 12:00:05.000 must not be refused
         * for sub-second timing. */
        if (ret->expires_at > now)
                return -EBUSY;

        r = grant_end(m, grant_id, GRANT_EXPIRED, by, by_person, NULL, now, ret);
        if (r < 0)
                return r;
        lifecycle_committed(m, &(LifecycleChange) { .rearm = true });
        return 0;
}

int grant_breakglass(Manager *m, const BreakglassInput *in, int64_t now, GrantRecord *ret) {
        GrantRecord g = {};
        uint64_t effective;
        int r;

        r = policy_grant_duration(&m->config, in->action, in->duration_sec, &effective);
        if (r == -ERANGE)
                return r;
        if (r < 0 || effective == 0)
                return -EINVAL;

        r = jit_random_id('g', g.id, sizeof(g.id));
        if (r < 0)
                return r;
        snprintf(g.user, sizeof(g.user), "%s", in->user);
        g.action = in->action;
        g.created_at = now;
        g.expires_at = expiry_deadline_after(now, effective);
        snprintf(g.approver, sizeof(g.approver), "%s", in->by);
        snprintf(g.approver_person, sizeof(g.approver_person), "%s", in->by_person);
        snprintf(g.reason, sizeof(g.reason), "%s", in->reason);
        g.state = GRANT_ACTIVE;
        g.breakglass = true;

        r = store_insert_grant(m->store, &g);
        if (r < 0)
                return r;

        lifecycle_committed(m,
                            &(LifecycleChange) {
                                    .event = AUDIT_BREAKGLASS,
                                    .audit = &(AuditFields) {
                                            .grant_id = g.id,
                                            .user = g.user,
                                            .action = jit_action_to_string(g.action),
                                            .approver = in->by,
                                            .approver_person = in->by_person,
                                            .reason = in->reason,
                                            .expires = g.expires_at,
                                    },
                                    .grant_started = &g,
                            });
        *ret = g;
        return 0;
}
