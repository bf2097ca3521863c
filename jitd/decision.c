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
#include "methods.h"
#include "outbox.h"
#include "policy.h"
#include "store-outbox.h"
#include "text.h"

static int64_t deadline_after(int64_t now, uint64_t seconds) {
        if (seconds > (uint64_t) (INT64_MAX - now))
                return INT64_MAX;
        return now + (int64_t) seconds;
}

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

int decision_approve(Manager *m, const DecisionInput *in, DecisionResult *ret) {
        DecisionResult res = {};
        RequestRecord req;
        GrantRecord g = {};
        ApprovalRecord vote = {};
        uint64_t effective, requested, shortest = 0;
        unsigned count = 0;
        int64_t now = jit_now_realtime();
        bool in_tx = false;
        int r;

        if (!m || !in || !ret || !in->request_id || !in->approver || !jit_user_name_is_valid(in->approver) ||
            !in->approver_person || !jit_user_name_is_valid(in->approver_person) ||
            (in->approver_login && !jit_user_name_is_valid(in->approver_login)))
                return -EINVAL;

        r = store_get_request(m->store, in->request_id, &req);
        if (r < 0)
                return r;
        res.request = req;
        res.approvals_needed = quorum(m, req.action);
        res.max_duration_sec = m->config.policy[req.action].max_duration_sec;

        if (strcmp(req.user, in->approver) == 0 || strcmp(req.user, in->approver_person) == 0 ||
            (in->approver_login && strcmp(req.user, in->approver_login) == 0)) {
                if (strcmp(in->approver, req.user) == 0)
                        log_warning("%s tried to approve their own request %s.", in->approver, req.id);
                else
                        log_warning("%s (as %s) tried to approve their own request %s.", req.user, in->approver,
                                    req.id);
                *ret = res;
                return -EPERM;
        }
        if (req.state != REQUEST_PENDING || req.expires_at <= now) {
                current_state(m, req.id, now, &res.request);
                *ret = res;
                return -ESTALE;
        }

        /* Checked before anything is written: an out-of-range choice is a
         * mistake to correct, not a vote. */
        r = vote_duration(m, &req, in->duration_sec, &effective);
        if (r >= 0)
                r = vote_duration(m, &req, 0, &requested);
        if (r < 0) {
                *ret = res;
                return r;
        }

        snprintf(vote.request_id, sizeof(vote.request_id), "%s", req.id);
        snprintf(vote.approver, sizeof(vote.approver), "%s", in->approver);
        snprintf(vote.person, sizeof(vote.person), "%s", in->approver_person);
        snprintf(vote.via, sizeof(vote.via), "%s", in->via ?: "");
        vote.approved_at = now;
        vote.duration_sec = in->duration_sec;

        r = store_transaction_begin(m->store);
        if (r < 0)
                return r;
        in_tx = true;

        r = store_record_approval(m->store, &vote, now, requested, &count, &shortest);
        if (r == -EEXIST) {
                (void) store_count_approvals(m->store, req.id, &res.approvals);
                r = -EALREADY;
                goto fail;
        }
        if (r == -ESTALE) {
                store_transaction_rollback(m->store);
                in_tx = false;
                current_state(m, req.id, now, &res.request);
                *ret = res;
                return -ESTALE;
        }
        if (r < 0)
                goto fail;
        res.approvals = count;

        if (count < res.approvals_needed) {
                r = store_transaction_commit(m->store);
                if (r < 0)
                        goto fail;
                in_tx = false;

                audit_log(AUDIT_APPROVAL_RECORDED,
                          &(AuditFields) {
                                  .request_id = req.id,
                                  .user = req.user,
                                  .action = jit_action_to_string(req.action),
                                  .service = req.service,
                                  .rhost = req.rhost,
                                  .tty = req.tty,
                                  .approver = in->approver,
                                  .approver_person = in->approver_person,
                                  .reason = req.reason,
                                  .approvals = count,
                                  .approvals_needed = res.approvals_needed,
                          });
                res.outcome = DECISION_APPROVAL_RECORDED;
                *ret = res;
                return 0;
        }

        /* Quorum reached. Every approver may shorten, so the shortest
         * vote wins (a vote without a choice: what was asked for), and
         * never beyond today's policy maximum. */
        effective = shortest;
        if (effective > res.max_duration_sec)
                effective = res.max_duration_sec;

        r = jit_random_id('g', g.id, sizeof(g.id));
        if (r < 0)
                goto fail;
        snprintf(g.request_id, sizeof(g.request_id), "%s", req.id);
        snprintf(g.user, sizeof(g.user), "%s", req.user);
        g.action = req.action;
        g.created_at = now;
        g.expires_at = req.extends_grant_id[0] ? expiry_extension_deadline(m, &req, now, effective)
                                               : deadline_after(now, effective);
        snprintf(g.approver, sizeof(g.approver), "%s", in->approver);
        snprintf(g.approver_person, sizeof(g.approver_person), "%s", in->approver_person);
        snprintf(g.reason, sizeof(g.reason), "%s", req.reason);
        g.state = GRANT_ACTIVE;

        /* First decision wins: the store flips pending -> approved and
         * inserts the grant, or says we lost (-ESTALE). */
        r = store_approve_request(m->store, req.id, in->approver, now, &g);
        if (r == -ESTALE) {
                store_transaction_rollback(m->store);
                in_tx = false;
                current_state(m, req.id, now, &res.request);
                *ret = res;
                return -ESTALE;
        }
        if (r < 0)
                goto fail;

        req.state = REQUEST_APPROVED;
        req.decided_at = now;
        snprintf(req.decided_by, sizeof(req.decided_by), "%s", in->approver);
        snprintf(req.decided_by_person, sizeof(req.decided_by_person), "%s", in->approver_person);
        snprintf(req.grant_id, sizeof(req.grant_id), "%s", g.id);

        r = outbox_enqueue(m, &req, WEBHOOK_EVENT_REQUEST_APPROVED, now);
        if (r < 0)
                goto fail;

        r = store_transaction_commit(m->store);
        if (r < 0)
                goto fail;
        in_tx = false;

        audit_log(AUDIT_REQUEST_APPROVED,
                  &(AuditFields) {
                          .request_id = req.id,
                          .grant_id = g.id,
                          .user = req.user,
                          .action = jit_action_to_string(req.action),
                          .service = req.service,
                          .rhost = req.rhost,
                          .tty = req.tty,
                          .approver = in->approver,
                          .approver_person = in->approver_person,
                          .reason = req.reason,
                          .expires = g.expires_at,
                  });

        methods_notify_decision(m, &req, &g);
        expiry_grant_started(m, &g);
        outbox_kick(m);

        res.outcome = DECISION_APPROVED;
        res.request = req;
        res.grant = g;
        *ret = res;
        return 0;

fail:
        if (in_tx)
                store_transaction_rollback(m->store);
        *ret = res;
        return r;
}

int decision_deny(Manager *m, const DecisionInput *in, DecisionResult *ret) {
        DecisionResult res = {};
        RequestRecord req;
        int64_t now = jit_now_realtime();
        bool withdrawal;
        int r;

        if (!m || !in || !ret || !in->request_id || !in->approver || !jit_user_name_is_valid(in->approver) ||
            (in->approver_person && !jit_user_name_is_valid(in->approver_person)) ||
            (in->reason && !jit_text_is_clean(in->reason, JIT_REASON_MAX)))
                return -EINVAL;

        r = store_get_request(m->store, in->request_id, &req);
        if (r < 0)
                return r;
        res.request = req;
        res.approvals_needed = quorum(m, req.action);
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

        audit_log(withdrawal ? AUDIT_REQUEST_CANCELLED : AUDIT_REQUEST_DENIED,
                  &(AuditFields) {
                          .request_id = req.id,
                          .user = req.user,
                          .action = jit_action_to_string(req.action),
                          .service = req.service,
                          .rhost = req.rhost,
                          .tty = req.tty,
                          .approver = withdrawal ? NULL : in->approver,
                          .approver_person = withdrawal ? NULL : in->approver_person,
                          .reason = in->reason,
                  });

        methods_notify_decision(m, &req, NULL);
        expiry_rearm(m);
        outbox_kick(m);

        res.outcome = withdrawal ? DECISION_CANCELLED : DECISION_DENIED;
        res.request = req;
        *ret = res;
        return 0;
}
