/* Approve and deny, for every way an approver can decide (jitctl over
 * io.jit, the review page over HTTP). See decision.h. The transaction is
 * what makes "first decision wins" and "one person counts once" hold
 * (a person, not an account: root-by-alice and alice are one):
 * the vote, the count, the flip of the request, the grant and the outcome
 * webhooks commit together or not at all. */

#include <errno.h>
#include <string.h>

#include "audit.h"
#include "config-approvers.h"
#include "decision.h"
#include "expiry.h"
#include "log.h"
#include "lifecycle.h"
#include "outbox.h"
#include "policy.h"
#include "store.h"
#include "store-outbox.h"
#include "text.h"

/* After a store call said -ESTALE: what the request is now. */
static void current_state(Manager *m, const char *request_id, int64_t now, RequestRecord *req) {
        RequestRecord r;

        if (store_get_request(m->store, request_id, &r) >= 0)
                *req = r;
        if (req->state == REQUEST_PENDING && req->expires_at <= now)
                req->state = REQUEST_EXPIRED;
}

static unsigned quorum(Manager *m, JitAction action) {
        return approver_config_quorum(m->config.approval, action);
}

/* The request being decided, and what the result reports of it whatever
 * the outcome: its state, the quorum, the policy maximum. */
static int load(Manager *m, const char *request_id, RequestRecord *req, DecisionResult *res) {
        int r = store_get_request(m->store, request_id, req);

        if (r < 0)
                return r;
        res->request = *req;
        res->approvals_needed = quorum(m, req->action);
        res->max_duration_sec = m->config.policy[req->action].max_duration_sec;
        return 0;
}

/* The effective duration of a vote: what the approver chose, or else what
 * was requested cut to the policy maximum (policy may have shrunk since). */
static int vote_duration(Manager *m, const RequestRecord *req, uint64_t chosen, uint64_t *ret) {
        uint64_t effective;
        int r;

        if (chosen > 0) {
                r = policy_grant_duration(&m->config, req->action, chosen, &effective);
                if (r < 0)
                        return r; /* -ERANGE above the maximum */
        } else {
                r = policy_grant_duration(&m->config, req->action, req->duration_sec, &effective);
                if (r == -ERANGE)
                        r = policy_grant_duration(&m->config, req->action,
                                                  m->config.policy[req->action].max_duration_sec, &effective);
                if (r < 0)
                        return r;
        }
        if (effective == 0)
                return -EINVAL;
        *ret = effective;
        return 0;
}

static bool is_requester(const RequestRecord *req, const DecisionInput *in) {
        return strcmp(req->user, in->approver) == 0 || strcmp(req->user, in->approver_person) == 0 ||
                (in->approver_login && strcmp(req->user, in->approver_login) == 0);
}

/* What every approval must satisfy before anything is written: not the
 * requester's own request (under any account), still pending, a duration
 * within policy. 0, with *ret_effective the approver's choice and
 * *ret_requested what was asked for (both cut to policy); or the error. */
static int approve_precheck(Manager *m, const DecisionInput *in, int64_t now, const RequestRecord *req,
                            DecisionResult *res, uint64_t *ret_effective, uint64_t *ret_requested) {
        int r;

        if (is_requester(req, in)) {
                if (strcmp(in->approver, req->user) == 0)
                        log_warning("%s tried to approve their own request %s.", in->approver, req->id);
                else
                        log_warning("%s (as %s) tried to approve their own request %s.", req->user, in->approver,
                                    req->id);
                return -EPERM;
        }
        if (req->state != REQUEST_PENDING || req->expires_at <= now) {
                current_state(m, req->id, now, &res->request);
                return -ESTALE;
        }

        /* An out-of-range choice is a mistake to correct, not a vote. */
        r = vote_duration(m, req, in->duration_sec, ret_effective);
        if (r >= 0)
                r = vote_duration(m, req, 0, ret_requested);
        return r;
}

/* The grant a reached quorum creates, `effective` seconds long (for an
 * extension: counted from the end of the grant it extends). */
static int grant_for_request(Manager *m, const RequestRecord *req, const DecisionInput *in, uint64_t effective,
                             int64_t now, GrantRecord *g) {
        int r;

        *g = (GrantRecord) {};
        r = jit_random_id('g', g->id, sizeof(g->id));
        if (r < 0)
                return r;
        snprintf(g->request_id, sizeof(g->request_id), "%s", req->id);
        snprintf(g->user, sizeof(g->user), "%s", req->user);
        g->action = req->action;
        g->created_at = now;
        g->expires_at = req->extends_grant_id[0] ? expiry_extension_deadline(m, req, now, effective)
                                                 : expiry_deadline_after(now, effective);
        snprintf(g->approver, sizeof(g->approver), "%s", in->approver);
        snprintf(g->approver_person, sizeof(g->approver_person), "%s", in->approver_person);
        snprintf(g->reason, sizeof(g->reason), "%s", req->reason);
        g->state = GRANT_ACTIVE;
        return 0;
}

/* Inside the open transaction: count the vote; at the quorum flip the
 * request (first decision wins: -ESTALE if we lost), insert the grant and
 * queue the outcome webhooks. res->outcome says which. */
static int approve_in_transaction(Manager *m, const DecisionInput *in, int64_t now, uint64_t requested,
                                  RequestRecord *req, GrantRecord *g, DecisionResult *res) {
        ApprovalRecord vote = {};
        uint64_t effective, shortest = 0;
        unsigned count = 0;
        int r;

        snprintf(vote.request_id, sizeof(vote.request_id), "%s", req->id);
        snprintf(vote.approver, sizeof(vote.approver), "%s", in->approver);
        snprintf(vote.person, sizeof(vote.person), "%s", in->approver_person);
        snprintf(vote.via, sizeof(vote.via), "%s", in->via ?: "");
        vote.approved_at = now;
        vote.duration_sec = in->duration_sec;

        r = store_record_approval(m->store, &vote, now, requested, &count, &shortest);
        if (r == -EEXIST) {
                (void) store_count_approvals(m->store, req->id, &res->approvals);
                return -EALREADY;
        }
        if (r < 0)
                return r;
        res->approvals = count;
        if (count < res->approvals_needed) {
                res->outcome = DECISION_APPROVAL_RECORDED;
                return 0;
        }

        /* Quorum reached. Every approver may shorten, so the shortest
         * vote wins (a vote without a choice: what was asked for), and
         * never beyond today's policy maximum. */
        effective = shortest < res->max_duration_sec ? shortest : res->max_duration_sec;
        r = grant_for_request(m, req, in, effective, now, g);
        if (r < 0)
                return r;
        r = store_approve_request(m->store, req->id, in->approver, now, g);
        if (r < 0)
                return r;

        req->state = REQUEST_APPROVED;
        req->decided_at = now;
        snprintf(req->decided_by, sizeof(req->decided_by), "%s", in->approver);
        snprintf(req->decided_by_person, sizeof(req->decided_by_person), "%s", in->approver_person);
        snprintf(req->grant_id, sizeof(req->grant_id), "%s", g->id);

        res->outcome = DECISION_APPROVED;
        return outbox_enqueue(m, req, WEBHOOK_EVENT_REQUEST_APPROVED, now);
}

/* After the commit: a vote, or the approval with its grant. */
static void approve_committed(Manager *m, const DecisionInput *in, const RequestRecord *req, const GrantRecord *g,
                              const DecisionResult *res) {
        AuditFields f = audit_fields_from_request(req);

        f.approver = in->approver;
        f.approver_person = in->approver_person;
        if (res->outcome == DECISION_APPROVAL_RECORDED) {
                f.approvals = res->approvals;
                f.approvals_needed = res->approvals_needed;
                lifecycle_committed(m, &(LifecycleChange) { .event = AUDIT_APPROVAL_RECORDED, .audit = &f });
                return;
        }
        f.grant_id = g->id;
        f.expires = g->expires_at;
        lifecycle_committed(m,
                            &(LifecycleChange) {
                                    .event = AUDIT_REQUEST_APPROVED,
                                    .audit = &f,
                                    .decided = req,
                                    .decided_grant = g,
                                    .grant_started = g,
                                    .kick = true,
                            });
}

int decision_approve(Manager *m, const DecisionInput *in, DecisionResult *ret) {
        DecisionResult res = {};
        RequestRecord req;
        GrantRecord g = {};
        uint64_t effective, requested;
        int64_t now = jit_now_realtime();
        int r;

        if (!m || !in || !ret || !in->request_id || !in->approver || !jit_user_name_is_valid(in->approver) ||
            !in->approver_person || !jit_user_name_is_valid(in->approver_person) ||
            (in->approver_login && !jit_user_name_is_valid(in->approver_login)))
                return -EINVAL;

        r = load(m, in->request_id, &req, &res);
        if (r < 0)
                return r;

        r = approve_precheck(m, in, now, &req, &res, &effective, &requested);
        if (r < 0) {
                *ret = res;
                return r;
        }

        r = store_transaction_begin(m->store);
        if (r < 0)
                return r;
        r = approve_in_transaction(m, in, now, requested, &req, &g, &res);
        if (r == -ESTALE) {
                /* Somebody decided first, or the request expired. */
                store_transaction_rollback(m->store);
                current_state(m, req.id, now, &res.request);
                *ret = res;
                return r;
        }
        if (r >= 0)
                r = store_transaction_commit(m->store);
        if (r < 0) {
                store_transaction_rollback(m->store);
                *ret = res;
                return r;
        }

        approve_committed(m, in, &req, &g, &res);
        if (res.outcome == DECISION_APPROVED) {
                res.request = req;
                res.grant = g;
        }
        *ret = res;
        return 0;
}

int decision_deny(Manager *m, const DecisionInput *in, DecisionResult *ret) {
        DecisionResult res = {};
        RequestRecord req;
        AuditFields f;
        int64_t now = jit_now_realtime();
        bool withdrawal;
        int r;

        if (!m || !in || !ret || !in->request_id || !in->approver || !jit_user_name_is_valid(in->approver) ||
            (in->approver_person && !jit_user_name_is_valid(in->approver_person)) ||
            (in->reason && !jit_text_is_clean(in->reason, JIT_REASON_MAX)))
                return -EINVAL;

        r = load(m, in->request_id, &req, &res);
        if (r < 0)
                return r;
        /* The requester saying no to their own request is a withdrawal:
         * recorded as cancelled, not as an approver's denial; through sudo
         * too, where the account is root's and the person theirs. */
        withdrawal = strcmp(req.user, in->approver) == 0 ||
                     (in->approver_person && strcmp(req.user, in->approver_person) == 0);

        r = store_transaction_begin(m->store);
        if (r < 0)
                return r;
        if (withdrawal)
                /* The requester withdrew it, through whatever account. */
                r = store_cancel_request(m->store, req.id, in->approver, req.user, in->reason ?: "", now, &req);
        else
                r = store_deny_request(m->store, req.id, in->approver, in->approver_person, in->reason ?: "", now,
                                       &req);
        /* A withdrawal closes the request for the approvers too: they are
         * told it was withdrawn, not that somebody denied it. */
        if (r >= 0)
                r = outbox_enqueue(m, &req, withdrawal ? WEBHOOK_EVENT_REQUEST_CANCELLED : WEBHOOK_EVENT_REQUEST_DENIED, now);
        if (r >= 0)
                r = store_transaction_commit(m->store);
        if (r < 0) {
                store_transaction_rollback(m->store);
                if (r == -ESTALE)
                        current_state(m, in->request_id, now, &res.request);
                *ret = res;
                return r;
        }

        f = audit_fields_from_request(&req);
        f.approver = withdrawal ? NULL : in->approver;
        f.approver_person = withdrawal ? NULL : in->approver_person;
        f.reason = in->reason; /* the decision's, not the request's */
        lifecycle_committed(m,
                            &(LifecycleChange) {
                                    .event = withdrawal ? AUDIT_REQUEST_CANCELLED : AUDIT_REQUEST_DENIED,
                                    .audit = &f,
                                    .decided = &req,
                                    .rearm = true,
                                    .kick = true,
                            });

        res.outcome = withdrawal ? DECISION_CANCELLED : DECISION_DENIED;
        res.request = req;
        *ret = res;
        return 0;
}
