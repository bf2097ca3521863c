/* Filing requests (requests.h). A request and its "created" webhook
 * messages are written in one transaction (insert_with_messages()); what
 * follows the commit is lifecycle_committed()'s. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "expiry.h"
#include "lifecycle.h"
#include "outbox.h"
#include "request-limit.h"
#include "requests.h"
#include "text.h"

static int insert_with_messages(Manager *m, const RequestRecord *r) {
        int k;

        k = store_transaction_begin(m->store);
        if (k < 0)
                return k;
        k = store_insert_request(m->store, r);
        if (k >= 0)
                k = outbox_enqueue(m, r, WEBHOOK_EVENT_REQUEST_CREATED, r->created_at);
        if (k >= 0)
                k = store_transaction_commit(m->store);
        if (k < 0)
                store_transaction_rollback(m->store);
        return k;
}

int request_create(Manager *m, const RequestInput *in, int64_t now, RequestRecord *ret, int64_t *ret_retry_at) {
        uint64_t ttl = m->config.request_ttl_sec;
        RequestRecord r = {};
        AuditFields f;
        int64_t retry_at = 0;
        int k;

        k = request_limit_check(m, in->user, now, &retry_at);
        if (k == -EDQUOT) {
                request_limit_audit_refusal(m, in->user, in->action, in->service, in->rhost, in->tty, retry_at);
                *ret_retry_at = retry_at;
                return k;
        }
        if (k < 0)
                return k;

        k = jit_random_id('r', r.id, sizeof(r.id));
        if (k < 0)
                return k;
        k = jit_random_match_code(r.match_code, sizeof(r.match_code));
        if (k < 0)
                return k;

        snprintf(r.user, sizeof(r.user), "%s", in->user);
        r.action = in->action;
        snprintf(r.service, sizeof(r.service), "%s", in->service ?: "");
        snprintf(r.rhost, sizeof(r.rhost), "%s", in->rhost ?: "");
        snprintf(r.tty, sizeof(r.tty), "%s", in->tty ?: "");
        snprintf(r.reason, sizeof(r.reason), "%s", in->reason ?: "");
        r.duration_sec = in->duration_sec;
        snprintf(r.extends_grant_id, sizeof(r.extends_grant_id), "%s", in->extends ?: "");
        r.state = REQUEST_PENDING;
        r.created_at = now;
        r.expires_at = expiry_deadline_after(now, ttl > 0 ? ttl : 1);

        /* With its webhook messages, in one transaction. */
        k = insert_with_messages(m, &r);
        if (k < 0)
                return k;

        f = audit_fields_from_request(&r);
        f.match_code = r.match_code;
        f.expires = r.expires_at;
        f.grant_id = in->extends; /* "... to extend grant g..." */
        lifecycle_committed(m, &(LifecycleChange) {
                                    .event = AUDIT_REQUEST_CREATED, .audit = &f, .rearm = true, .kick = true });

        *ret = r;
        return 0;
}

/* An extension asks for more time on one of the user's own live grants
 * for this action; the approver sees which. */
static int check_extends(Manager *m, const RequestInput *in, int64_t now, GrantRecord *g) {
        int r;

        r = store_get_grant(m->store, in->extends, g);
        if (r < 0)
                return r;
        if (strcmp(g->user, in->user) != 0 || g->action != in->action)
                return -EXDEV;
        if (g->state != GRANT_ACTIVE || g->expires_at <= now)
                return -ESTALE;
        return 0;
}

/* The live grant's request, for its match code: the user may be asked. */
static void granted(Manager *m, RequestFiled *ret) {
        RequestRecord req;

        ret->granted = true;
        if (ret->grant.request_id[0] && store_get_request(m->store, ret->grant.request_id, &req) >= 0 &&
            strcmp(req.id, ret->grant.request_id) == 0) {
                ret->request = req;
                ret->have_request = true;
        }
}

int request_file(Manager *m, const RequestInput *in, int64_t now, RequestFiled *ret) {
        RequestRecord *req = &ret->request;
        int r;

        *ret = (RequestFiled) {};
        if (in->extends) {
                r = check_extends(m, in, now, &ret->grant);
                if (r < 0)
                        return r;
        } else {
                r = store_find_live_grant(m->store, in->user, in->action, now, &ret->grant);
                if (r < 0)
                        return r;
                if (r > 0) {
                        granted(m, ret);
                        return 0;
                }
        }

        r = store_find_pending_request(m->store, in->user, in->action, now, req);
        if (r < 0)
                return r;
        /* A pending request asks for the same thing only if it extends the
         * same grant (or, for a plain request, none). */
        if (r > 0 && strcmp(req->extends_grant_id, in->extends ?: "") != 0)
                r = 0;
        if (r == 0) {
                r = request_create(m, in, now, req, &ret->retry_at);
                if (r < 0)
                        return r;
                ret->have_request = ret->created = true;
                return 0;
        }

        /* One pending request per user and action: reuse it. */
        ret->have_request = true;
        if (in->reason && in->reason[0] && !req->reason[0]) {
                r = store_update_request_reason(m->store, req->id, in->reason);
                if (r < 0)
                        return r;
                snprintf(req->reason, sizeof(req->reason), "%s", in->reason);
        }
        return 0;
}

int request_resend(Manager *m, const RequestRecord *r, const char *endpoint) {
        int queued = outbox_queue_again(m, r, endpoint);

        if (queued >= 0)
                lifecycle_committed(m, &(LifecycleChange) { .kick = true });
        return queued;
}
